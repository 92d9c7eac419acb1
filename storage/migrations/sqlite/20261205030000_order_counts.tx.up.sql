-- Orders per client and status, kept by the orders' own triggers in the writing
-- transaction: the dispatcher's client overview and the homes read a few rows
-- instead of counting every order of the account.
CREATE TABLE IF NOT EXISTS order_counts (
	account_id TEXT    NOT NULL,
	client_id  TEXT    NOT NULL,
	status     TEXT    NOT NULL,
	n          INTEGER NOT NULL,
	PRIMARY KEY (account_id, client_id, status)
) STRICT, WITHOUT ROWID;
--bun:split
CREATE TRIGGER IF NOT EXISTS orders_count_insert AFTER INSERT ON orders BEGIN
	INSERT INTO order_counts (account_id, client_id, status, n) VALUES (NEW.account_id, NEW.client_id, NEW.status, 1)
	ON CONFLICT (account_id, client_id, status) DO UPDATE SET n = n + 1;
END;
--bun:split
CREATE TRIGGER IF NOT EXISTS orders_count_update AFTER UPDATE OF account_id, client_id, status ON orders
WHEN OLD.account_id IS NOT NEW.account_id OR OLD.client_id IS NOT NEW.client_id OR OLD.status IS NOT NEW.status BEGIN
	UPDATE order_counts SET n = n - 1
	WHERE account_id = OLD.account_id AND client_id = OLD.client_id AND status = OLD.status;
	INSERT INTO order_counts (account_id, client_id, status, n) VALUES (NEW.account_id, NEW.client_id, NEW.status, 1)
	ON CONFLICT (account_id, client_id, status) DO UPDATE SET n = n + 1;
END;
--bun:split
CREATE TRIGGER IF NOT EXISTS orders_count_delete AFTER DELETE ON orders BEGIN
	UPDATE order_counts SET n = n - 1
	WHERE account_id = OLD.account_id AND client_id = OLD.client_id AND status = OLD.status;
END;
--bun:split
DELETE FROM order_counts;
--bun:split
INSERT INTO order_counts (account_id, client_id, status, n)
SELECT account_id, client_id, status, count(*) FROM orders GROUP BY account_id, client_id, status;
