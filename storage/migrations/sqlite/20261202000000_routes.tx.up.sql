-- Route sync, the outbox, the live event feed and the portal's credentials, on
-- SQLite. SQLite has no ADD COLUMN IF NOT EXISTS: Migrate recognises this
-- migration as applied when it committed but was not recorded (see migrate.go).

ALTER TABLE orders ADD COLUMN route_event_at TEXT;
--bun:split
ALTER TABLE clients ADD COLUMN import_mapping TEXT NOT NULL DEFAULT '';
--bun:split
CREATE INDEX IF NOT EXISTS clients_shopify_shop ON clients (shopify_shop) WHERE shopify_shop <> '';
--bun:split
ALTER TABLE members ADD COLUMN password_hash TEXT NOT NULL DEFAULT '';
--bun:split
CREATE INDEX IF NOT EXISTS members_email ON members (lower(email));
--bun:split

-- order_events again, with AUTOINCREMENT: the feed's cursor is the id (one writer
-- at a time, so id order is commit order), and a plain rowid may be given again
-- to a new row once the highest row is deleted (DeleteDraft deletes history),
-- which a reader already past that id would never see.
CREATE TABLE order_events_new (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	account_id  TEXT    NOT NULL,
	client_id   TEXT    NOT NULL,
	order_id    TEXT    NOT NULL,
	event       TEXT    NOT NULL,
	from_status TEXT    NOT NULL DEFAULT '',
	to_status   TEXT    NOT NULL DEFAULT '',
	occurred_at TEXT    NOT NULL,
	actor       TEXT    NOT NULL DEFAULT '',
	eta         TEXT,
	reason      TEXT    NOT NULL DEFAULT ''
) STRICT;
--bun:split
INSERT INTO order_events_new (id, account_id, client_id, order_id, event, from_status, to_status, occurred_at, actor, eta, reason)
	SELECT id, account_id, client_id, order_id, event, from_status, to_status, occurred_at, actor, eta, reason FROM order_events;
--bun:split
DROP TABLE order_events;
--bun:split
ALTER TABLE order_events_new RENAME TO order_events;
--bun:split
CREATE INDEX IF NOT EXISTS order_events_order ON order_events (order_id, id);
--bun:split
CREATE INDEX IF NOT EXISTS order_events_account ON order_events (account_id, id);
--bun:split
CREATE INDEX IF NOT EXISTS order_events_client ON order_events (client_id, id);
--bun:split

CREATE TABLE IF NOT EXISTS host_events (
	account_id  TEXT NOT NULL,
	event_id    TEXT NOT NULL,
	recorded_at TEXT NOT NULL,
	PRIMARY KEY (account_id, event_id)
) STRICT, WITHOUT ROWID;
--bun:split

CREATE TABLE IF NOT EXISTS outbox (
	id              TEXT    PRIMARY KEY,
	key             TEXT    NOT NULL,
	account_id      TEXT    NOT NULL,
	client_id       TEXT    NOT NULL DEFAULT '',
	order_id        TEXT    NOT NULL DEFAULT '',
	kind            TEXT    NOT NULL,
	event           TEXT    NOT NULL DEFAULT '',
	notify_customer INTEGER NOT NULL DEFAULT 0,
	state           TEXT    NOT NULL,
	attempts        INTEGER NOT NULL DEFAULT 0,
	next_at         TEXT    NOT NULL,
	locked_until    TEXT,
	last_error      TEXT    NOT NULL DEFAULT '',
	created_at      TEXT    NOT NULL,
	updated_at      TEXT    NOT NULL
) STRICT;
--bun:split
CREATE UNIQUE INDEX IF NOT EXISTS outbox_key ON outbox (key);
--bun:split
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (next_at, id) WHERE state = 'pending';
--bun:split
CREATE INDEX IF NOT EXISTS outbox_account ON outbox (account_id, created_at, id);
--bun:split

CREATE TABLE IF NOT EXISTS api_keys (
	id           TEXT PRIMARY KEY,
	account_id   TEXT NOT NULL,
	client_id    TEXT NOT NULL,
	name         TEXT NOT NULL,
	hash         BLOB NOT NULL,
	created_by   TEXT NOT NULL DEFAULT '',
	created_at   TEXT NOT NULL,
	last_used_at TEXT,
	revoked_at   TEXT,
	CONSTRAINT api_keys_client FOREIGN KEY (account_id, client_id) REFERENCES clients (account_id, id)
) STRICT;
--bun:split
CREATE UNIQUE INDEX IF NOT EXISTS api_keys_hash ON api_keys (hash);
--bun:split
CREATE INDEX IF NOT EXISTS api_keys_client_created ON api_keys (client_id, created_at, id);
--bun:split

CREATE TABLE IF NOT EXISTS tracking_links (
	id         TEXT PRIMARY KEY,
	account_id TEXT NOT NULL,
	client_id  TEXT NOT NULL,
	order_id   TEXT NOT NULL,
	hash       BLOB NOT NULL,
	created_by TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL,
	revoked_at TEXT,
	CONSTRAINT tracking_links_client FOREIGN KEY (account_id, client_id) REFERENCES clients (account_id, id)
) STRICT;
--bun:split
CREATE UNIQUE INDEX IF NOT EXISTS tracking_links_hash ON tracking_links (hash);
--bun:split
CREATE INDEX IF NOT EXISTS tracking_links_order ON tracking_links (order_id, created_at, id);
--bun:split

CREATE TABLE IF NOT EXISTS redactions (
	id         INTEGER PRIMARY KEY,
	account_id TEXT    NOT NULL,
	client_id  TEXT    NOT NULL,
	shop       TEXT    NOT NULL,
	reason     TEXT    NOT NULL DEFAULT '',
	orders     INTEGER NOT NULL,
	at         TEXT    NOT NULL
) STRICT;
--bun:split
CREATE INDEX IF NOT EXISTS redactions_client ON redactions (account_id, client_id, at);
--bun:split

CREATE TABLE IF NOT EXISTS used_once (
	key        TEXT PRIMARY KEY,
	expires_at TEXT NOT NULL
) STRICT, WITHOUT ROWID;
--bun:split
CREATE INDEX IF NOT EXISTS used_once_expires ON used_once (expires_at);
--bun:split

CREATE TABLE IF NOT EXISTS shopify_tokens (
	client_id  TEXT PRIMARY KEY,
	account_id TEXT NOT NULL,
	shop       TEXT NOT NULL,
	sealed     BLOB NOT NULL,
	updated_at TEXT NOT NULL,
	CONSTRAINT shopify_tokens_client FOREIGN KEY (account_id, client_id) REFERENCES clients (account_id, id)
) STRICT;
