-- The notification also names the Store that committed (its connections' setting
-- connect.origin, set by Open): a Store ignores its own commits, whose subscribers
-- its process has woken already, and wakes only for other processes' (Store.Wake).
CREATE OR REPLACE FUNCTION connect_notify_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('connect_events', current_schema() || '/' || coalesce(current_setting('connect.origin', true), ''));
	RETURN NULL;
END
$$;
