-- Stores of several schemas may share a database (tests do, and so may a host's
-- tenants): the notification names the schema that committed, so that a listener
-- wakes only for its own (Store.Wake).
CREATE OR REPLACE FUNCTION connect_notify_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('connect_events', current_schema());
	RETURN NULL;
END
$$;
