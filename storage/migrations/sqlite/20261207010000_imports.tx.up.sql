-- The record of each import that stored orders (connect.ImportRecord), and the
-- import each order came from (orders.import_id, NULL for an order made another
-- way). client_id is '' for a dispatcher's stops file, whose orders keep their
-- own clients.
CREATE TABLE IF NOT EXISTS imports (
	id         TEXT    PRIMARY KEY,
	account_id TEXT    NOT NULL,
	client_id  TEXT    NOT NULL DEFAULT '',
	name       TEXT    NOT NULL DEFAULT '',
	source     TEXT    NOT NULL,
	orders     INTEGER NOT NULL,
	refused    INTEGER NOT NULL,
	by_actor   TEXT    NOT NULL DEFAULT '',
	created_at TEXT    NOT NULL
) STRICT;
--bun:split
-- A client's imports newest first (the list's select), and an account's.
CREATE INDEX IF NOT EXISTS imports_client ON imports (account_id, client_id, created_at DESC, id DESC);
--bun:split
CREATE INDEX IF NOT EXISTS imports_account ON imports (account_id, created_at DESC, id DESC);
--bun:split
ALTER TABLE orders ADD COLUMN import_id TEXT;
--bun:split
-- The orders of one import newest first: a client's list narrowed to an import
-- (and a dispatcher's, over clients) reads that import's entries alone. Partial:
-- the orders made another way take no room in it.
CREATE INDEX IF NOT EXISTS orders_import ON orders (import_id, created_at DESC, id DESC)
	WHERE import_id IS NOT NULL;
