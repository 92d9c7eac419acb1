-- The record of each import that stored orders (connect.ImportRecord), and the
-- import each order came from (orders.import_id, NULL for an order made another
-- way). client_id is '' for a dispatcher's stops file, whose orders keep their
-- own clients.
CREATE TABLE IF NOT EXISTS imports (
	id         text        COLLATE "C" PRIMARY KEY,
	account_id text        COLLATE "C" NOT NULL,
	client_id  text        COLLATE "C" NOT NULL DEFAULT '',
	name       text        NOT NULL DEFAULT '',
	source     text        NOT NULL,
	orders     integer     NOT NULL,
	refused    integer     NOT NULL,
	by_actor   text        NOT NULL DEFAULT '',
	created_at timestamptz NOT NULL
);
--bun:split
-- A client's imports newest first (the list's select), and an account's.
CREATE INDEX IF NOT EXISTS imports_client ON imports (account_id, client_id, created_at DESC, id DESC);
--bun:split
CREATE INDEX IF NOT EXISTS imports_account ON imports (account_id, created_at DESC, id DESC);
--bun:split
-- Adding a nullable column without a default rewrites nothing.
ALTER TABLE orders ADD COLUMN IF NOT EXISTS import_id text COLLATE "C";
--bun:split
-- The orders of one import newest first: a client's list narrowed to an import
-- (and a dispatcher's, over clients) reads that import's entries alone. Partial:
-- the orders made another way take no room in it.
CREATE INDEX IF NOT EXISTS orders_import ON orders (import_id, created_at DESC, id DESC)
	WHERE import_id IS NOT NULL;
