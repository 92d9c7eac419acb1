-- The portal's tables on SQLite: the same shape as on PostgreSQL, with SQLite's
-- types. Every statement is idempotent, so a crash between this migration's commit
-- and its bookkeeping row leaves nothing to undo. Timestamps are TEXT in bun's fixed UTC format ("2006-01-02
-- 15:04:05.999999+00:00"), which sorts as time does; decimals are TEXT, because a
-- NUMERIC column silently rounds them to a double. STRICT tables refuse a value of
-- the wrong type instead of storing it.

CREATE TABLE IF NOT EXISTS clients (
	id                TEXT    PRIMARY KEY,
	account_id        TEXT    NOT NULL,
	name              TEXT    NOT NULL,
	email             TEXT    NOT NULL DEFAULT '',
	status            TEXT    NOT NULL,
	number            TEXT,   -- NULL while invited: the unique index allows many
	allow_upload      INTEGER NOT NULL DEFAULT 0,
	required_fields   TEXT    NOT NULL DEFAULT '', -- JSON array of field names
	default_depot     TEXT    NOT NULL DEFAULT '',
	shopify_shop      TEXT    NOT NULL DEFAULT '',
	shopify_linked_at TEXT,
	auto_fulfil       INTEGER NOT NULL DEFAULT 0,
	notify_customer   INTEGER NOT NULL DEFAULT 0,
	fulfil_mode       TEXT    NOT NULL DEFAULT '',
	version           INTEGER NOT NULL,
	created_at        TEXT    NOT NULL,
	updated_at        TEXT    NOT NULL,
	import_mapping    TEXT    NOT NULL DEFAULT '', -- JSON object of the last import's columns; '' when none
	CONSTRAINT clients_account_id UNIQUE (account_id, id)
) STRICT;
--bun:split
CREATE UNIQUE INDEX IF NOT EXISTS clients_number ON clients (number);
--bun:split
CREATE INDEX IF NOT EXISTS clients_account_name ON clients (account_id, name, id);
--bun:split
CREATE INDEX IF NOT EXISTS clients_shopify_shop ON clients (shopify_shop) WHERE shopify_shop <> '';
--bun:split

CREATE TABLE IF NOT EXISTS members (
	id         TEXT    PRIMARY KEY,
	account_id TEXT    NOT NULL,
	client_id  TEXT    NOT NULL,
	name       TEXT    NOT NULL,
	email      TEXT    NOT NULL,
	role       TEXT    NOT NULL,
	version    INTEGER NOT NULL,
	created_at TEXT    NOT NULL,
	updated_at TEXT    NOT NULL,
	password_hash TEXT NOT NULL DEFAULT '', -- PasswordHasher's format; '' when none
	CONSTRAINT members_client FOREIGN KEY (account_id, client_id) REFERENCES clients (account_id, id)
) STRICT;
--bun:split
CREATE UNIQUE INDEX IF NOT EXISTS members_client_email ON members (client_id, lower(email));
--bun:split
CREATE INDEX IF NOT EXISTS members_account_client ON members (account_id, client_id);
--bun:split
CREATE INDEX IF NOT EXISTS members_email ON members (lower(email));
--bun:split

CREATE TABLE IF NOT EXISTS invites (
	id          TEXT    PRIMARY KEY,
	account_id  TEXT    NOT NULL,
	client_id   TEXT    NOT NULL,
	kind        TEXT    NOT NULL,
	email       TEXT    NOT NULL DEFAULT '',
	role        TEXT    NOT NULL DEFAULT '',
	token_hash  BLOB    NOT NULL,
	expires_at  TEXT    NOT NULL,
	accepted_at TEXT,
	accepted_by TEXT    NOT NULL DEFAULT '',
	revoked_at  TEXT,
	invited_by  TEXT    NOT NULL DEFAULT '',
	version     INTEGER NOT NULL,
	created_at  TEXT    NOT NULL,
	CONSTRAINT invites_client FOREIGN KEY (account_id, client_id) REFERENCES clients (account_id, id)
) STRICT;
--bun:split
CREATE UNIQUE INDEX IF NOT EXISTS invites_token_hash ON invites (token_hash);
--bun:split
CREATE INDEX IF NOT EXISTS invites_account_created ON invites (account_id, created_at, id);
--bun:split
CREATE INDEX IF NOT EXISTS invites_client_created ON invites (client_id, created_at, id);
--bun:split

CREATE TABLE IF NOT EXISTS orders (
	id               TEXT    PRIMARY KEY,
	account_id       TEXT    NOT NULL,
	client_id        TEXT    NOT NULL,
	ref              TEXT    NOT NULL DEFAULT '',
	source           TEXT    NOT NULL DEFAULT '',
	shopify_shop     TEXT    NOT NULL DEFAULT '',
	shopify_order_id TEXT    NOT NULL DEFAULT '',
	depot            TEXT    NOT NULL DEFAULT '',
	status           TEXT    NOT NULL,
	version          INTEGER NOT NULL,
	stop_type        TEXT    NOT NULL DEFAULT '',
	address_unit     TEXT    NOT NULL DEFAULT '',
	address_line1    TEXT    NOT NULL DEFAULT '',
	address_line2    TEXT    NOT NULL DEFAULT '',
	city             TEXT    NOT NULL DEFAULT '',
	state            TEXT    NOT NULL DEFAULT '',
	zip              TEXT    NOT NULL DEFAULT '',
	country          TEXT    NOT NULL DEFAULT '',
	latitude         TEXT,   -- decimal
	longitude        TEXT,   -- decimal
	recipient_name   TEXT    NOT NULL DEFAULT '',
	recipient_email  TEXT    NOT NULL DEFAULT '',
	recipient_phone  TEXT    NOT NULL DEFAULT '',
	notes            TEXT    NOT NULL DEFAULT '',
	size             TEXT,   -- decimal
	package_count    INTEGER NOT NULL DEFAULT 0,
	products         TEXT,   -- JSON array; NULL when none
	route_id         TEXT    NOT NULL DEFAULT '',
	route_position   INTEGER NOT NULL DEFAULT 0,
	eta              TEXT,
	failure_reason   TEXT    NOT NULL DEFAULT '',
	proof            TEXT,   -- JSON proof of delivery; NULL when none
	created_at       TEXT    NOT NULL,
	updated_at       TEXT    NOT NULL,
	submitted_at     TEXT,
	route_event_at   TEXT,   -- when the last route event applied happened at the host
	fingerprint      TEXT    NOT NULL DEFAULT '' -- of the spreadsheet row an order without ref came from
) STRICT;
--bun:split
-- a client's reference is unique when given, compared without case (lower()
-- folds ASCII letters); ExistingRefs probes it too
CREATE UNIQUE INDEX IF NOT EXISTS orders_client_ref ON orders (client_id, lower(ref)) WHERE ref <> '';
--bun:split
-- ExistingFingerprints: a re-import finds the rows without ref it imported before
CREATE INDEX IF NOT EXISTS orders_client_fingerprint ON orders (client_id, fingerprint) WHERE fingerprint <> '';
--bun:split
CREATE INDEX IF NOT EXISTS orders_client_status ON orders (client_id, status, created_at, id);
--bun:split
CREATE INDEX IF NOT EXISTS orders_client_active ON orders (client_id, created_at, id)
	WHERE status IN ('submitted', 'scheduled', 'en_route');
--bun:split
CREATE INDEX IF NOT EXISTS orders_client_created ON orders (client_id, created_at, id);
--bun:split
CREATE INDEX IF NOT EXISTS orders_account_created ON orders (account_id, created_at, id);
--bun:split
CREATE INDEX IF NOT EXISTS orders_unassigned ON orders (account_id, depot, created_at, id)
	WHERE status = 'submitted';
--bun:split

-- order_events with AUTOINCREMENT: the feed's cursor is the id (one writer
-- at a time, so id order is commit order), and a plain rowid may be given again
-- to a new row once the highest row is deleted (DeleteDraft deletes history),
-- which a reader already past that id would never see.
CREATE TABLE IF NOT EXISTS order_events (
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
-- what PurgeOutboxAnyAccount deletes: delivered and discarded entries, oldest first
CREATE INDEX IF NOT EXISTS outbox_finished ON outbox (updated_at) WHERE state IN ('done', 'discarded');
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
--bun:split
-- files every process reads (connect.Blobs): a key names a set of chunks
CREATE TABLE IF NOT EXISTS blobs (
	key       TEXT    PRIMARY KEY,
	id        TEXT    NOT NULL, -- the chunks' set (UUIDv7)
	size      INTEGER NOT NULL,
	stored_at TEXT    NOT NULL
) STRICT;
--bun:split
CREATE TABLE IF NOT EXISTS blob_chunks (
	blob_id TEXT    NOT NULL,
	n       INTEGER NOT NULL,
	data    BLOB    NOT NULL,
	PRIMARY KEY (blob_id, n)
) STRICT;
