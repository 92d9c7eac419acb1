-- Orders per client and status, kept by the orders' own statement triggers in the
-- writing transaction: the dispatcher's client overview and the homes read a few
-- rows instead of counting every order of the account (5.6 s at 10M orders).
-- Each statement adds its net change per (account, client, status), in key
-- order, so two transactions lock the rows they share in the same order.
CREATE TABLE IF NOT EXISTS order_counts (
	account_id text   COLLATE "C" NOT NULL,
	client_id  text   COLLATE "C" NOT NULL,
	status     text   COLLATE "C" NOT NULL,
	n          bigint NOT NULL,
	CONSTRAINT order_counts_pkey PRIMARY KEY (account_id, client_id, status)
);
--bun:split
CREATE OR REPLACE FUNCTION connect_count_orders() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'TRUNCATE' THEN
		DELETE FROM order_counts;
	ELSIF TG_OP = 'INSERT' THEN
		INSERT INTO order_counts AS c (account_id, client_id, status, n)
		SELECT account_id, client_id, status, count(*) FROM new_orders
		GROUP BY account_id, client_id, status ORDER BY account_id, client_id, status
		ON CONFLICT (account_id, client_id, status) DO UPDATE SET n = c.n + excluded.n;
	ELSIF TG_OP = 'DELETE' THEN
		INSERT INTO order_counts AS c (account_id, client_id, status, n)
		SELECT account_id, client_id, status, -count(*) FROM old_orders
		GROUP BY account_id, client_id, status ORDER BY account_id, client_id, status
		ON CONFLICT (account_id, client_id, status) DO UPDATE SET n = c.n + excluded.n;
	ELSE
		INSERT INTO order_counts AS c (account_id, client_id, status, n)
		SELECT account_id, client_id, status, sum(d) FROM (
			SELECT account_id, client_id, status, -1 AS d FROM old_orders
			UNION ALL
			SELECT account_id, client_id, status, 1 FROM new_orders
		) AS change
		GROUP BY account_id, client_id, status HAVING sum(d) <> 0 ORDER BY account_id, client_id, status
		ON CONFLICT (account_id, client_id, status) DO UPDATE SET n = c.n + excluded.n;
	END IF;
	RETURN NULL;
END
$$;
--bun:split
-- A trigger with transition tables serves one event, so one per event. Creating
-- them locks orders against writes until the migration commits, so the count
-- below sees every order written before and the triggers every one after.
CREATE OR REPLACE TRIGGER orders_count_insert AFTER INSERT ON orders
	REFERENCING NEW TABLE AS new_orders FOR EACH STATEMENT EXECUTE FUNCTION connect_count_orders();
--bun:split
CREATE OR REPLACE TRIGGER orders_count_update AFTER UPDATE ON orders
	REFERENCING OLD TABLE AS old_orders NEW TABLE AS new_orders FOR EACH STATEMENT EXECUTE FUNCTION connect_count_orders();
--bun:split
CREATE OR REPLACE TRIGGER orders_count_delete AFTER DELETE ON orders
	REFERENCING OLD TABLE AS old_orders FOR EACH STATEMENT EXECUTE FUNCTION connect_count_orders();
--bun:split
CREATE OR REPLACE TRIGGER orders_count_truncate AFTER TRUNCATE ON orders
	FOR EACH STATEMENT EXECUTE FUNCTION connect_count_orders();
--bun:split
DELETE FROM order_counts;
--bun:split
INSERT INTO order_counts (account_id, client_id, status, n)
SELECT account_id, client_id, status, count(*) FROM orders GROUP BY account_id, client_id, status;
