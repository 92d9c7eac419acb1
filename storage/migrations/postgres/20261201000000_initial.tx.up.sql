-- The portal's tables on PostgreSQL. Every statement is idempotent, so a crash
-- between this migration's commit and its bookkeeping row leaves nothing to undo.
-- Ids, statuses and references compare byte by byte (COLLATE "C"): faster B-tree
-- comparisons than a language collation, and the same order as on SQLite, so
-- keyset pagination by (created_at, id) agrees across databases.
-- The list indexes are ascending on (created_at, id) although every list is newest
-- first: a backward scan reads them as fast, and new orders (now, time-ordered ids)
-- land at their right edge, where a B-tree appends; a descending index takes every
-- insert at its left edge, splitting pages in half (100k drafts: 1.5× the time and
-- 1.8× the size).

CREATE TABLE IF NOT EXISTS clients (
	id                text        COLLATE "C" PRIMARY KEY,
	account_id        text        COLLATE "C" NOT NULL,
	name              text        NOT NULL,
	email             text        NOT NULL DEFAULT '',
	status            text        COLLATE "C" NOT NULL,
	number            text,       -- NULL while invited: the unique index allows many
	allow_upload      boolean     NOT NULL DEFAULT false,
	required_fields   text        NOT NULL DEFAULT '', -- JSON array of field names
	default_depot     text        NOT NULL DEFAULT '',
	shopify_shop      text        NOT NULL DEFAULT '',
	shopify_linked_at timestamptz,
	auto_fulfil       boolean     NOT NULL DEFAULT false,
	notify_customer   boolean     NOT NULL DEFAULT false,
	fulfil_mode       text        NOT NULL DEFAULT '',
	version           integer     NOT NULL,
	created_at        timestamptz NOT NULL,
	updated_at        timestamptz NOT NULL,
	-- the column mapping of the client's last spreadsheet import (JSON object; '' when none)
	import_mapping    text        NOT NULL DEFAULT '',
	-- the target of the (account_id, client_id) foreign keys below: a member or an
	-- invite can never belong to a client of another account
	CONSTRAINT clients_account_id UNIQUE (account_id, id)
);
--bun:split
CREATE UNIQUE INDEX IF NOT EXISTS clients_number ON clients (number);
--bun:split
CREATE INDEX IF NOT EXISTS clients_account_name ON clients (account_id, name, id);
--bun:split
-- the clients linked to a shop (Shopify webhooks name the shop only)
CREATE INDEX IF NOT EXISTS clients_shopify_shop ON clients (shopify_shop) WHERE shopify_shop <> '';
--bun:split

CREATE TABLE IF NOT EXISTS members (
	id         text        COLLATE "C" PRIMARY KEY,
	account_id text        COLLATE "C" NOT NULL,
	client_id  text        COLLATE "C" NOT NULL,
	name       text        NOT NULL,
	email      text        NOT NULL,
	role       text        NOT NULL,
	version    integer     NOT NULL,
	created_at timestamptz NOT NULL,
	updated_at timestamptz NOT NULL,
	-- PasswordHasher's format; '' when the member has no password. Never read into a Member.
	password_hash text     NOT NULL DEFAULT '',
	CONSTRAINT members_client FOREIGN KEY (account_id, client_id) REFERENCES clients (account_id, id)
);
--bun:split
-- one member per email per client; emails compare without case
CREATE UNIQUE INDEX IF NOT EXISTS members_client_email ON members (client_id, lower(email));
--bun:split
CREATE INDEX IF NOT EXISTS members_account_client ON members (account_id, client_id);
--bun:split
-- sign-in looks a member up by email in every account
CREATE INDEX IF NOT EXISTS members_email ON members (lower(email));
--bun:split

CREATE TABLE IF NOT EXISTS invites (
	id          text        COLLATE "C" PRIMARY KEY,
	account_id  text        COLLATE "C" NOT NULL,
	client_id   text        COLLATE "C" NOT NULL,
	kind        text        NOT NULL,
	email       text        NOT NULL DEFAULT '',
	role        text        NOT NULL DEFAULT '',
	token_hash  bytea       NOT NULL,
	expires_at  timestamptz NOT NULL,
	accepted_at timestamptz,
	accepted_by text        NOT NULL DEFAULT '',
	revoked_at  timestamptz,
	invited_by  text        NOT NULL DEFAULT '',
	version     integer     NOT NULL,
	created_at  timestamptz NOT NULL,
	CONSTRAINT invites_client FOREIGN KEY (account_id, client_id) REFERENCES clients (account_id, id)
);
--bun:split
CREATE UNIQUE INDEX IF NOT EXISTS invites_token_hash ON invites (token_hash);
--bun:split
CREATE INDEX IF NOT EXISTS invites_account_created ON invites (account_id, created_at, id);
--bun:split
CREATE INDEX IF NOT EXISTS invites_client_created ON invites (client_id, created_at, id);
--bun:split

CREATE TABLE IF NOT EXISTS orders (
	id               text        COLLATE "C" PRIMARY KEY,
	account_id       text        COLLATE "C" NOT NULL,
	client_id        text        COLLATE "C" NOT NULL,
	ref              text        COLLATE "C" NOT NULL DEFAULT '',
	source           text        NOT NULL DEFAULT '',
	shopify_shop     text        NOT NULL DEFAULT '',
	shopify_order_id text        NOT NULL DEFAULT '',
	depot            text        COLLATE "C" NOT NULL DEFAULT '',
	status           text        COLLATE "C" NOT NULL,
	version          integer     NOT NULL,
	stop_type        text        NOT NULL DEFAULT '',
	address_unit     text        NOT NULL DEFAULT '',
	address_line1    text        NOT NULL DEFAULT '',
	address_line2    text        NOT NULL DEFAULT '',
	city             text        NOT NULL DEFAULT '',
	state            text        NOT NULL DEFAULT '',
	zip              text        NOT NULL DEFAULT '',
	country          text        NOT NULL DEFAULT '',
	latitude         numeric,
	longitude        numeric,
	recipient_name   text        NOT NULL DEFAULT '',
	recipient_email  text        NOT NULL DEFAULT '',
	recipient_phone  text        NOT NULL DEFAULT '',
	notes            text        NOT NULL DEFAULT '',
	size             numeric,
	package_count    integer     NOT NULL DEFAULT 0,
	products         text,       -- JSON array; NULL when none
	route_id         text        NOT NULL DEFAULT '',
	route_position   integer     NOT NULL DEFAULT 0,
	eta              timestamptz,
	failure_reason   text        NOT NULL DEFAULT '',
	proof            text,       -- JSON proof of delivery; NULL when none
	created_at       timestamptz NOT NULL,
	updated_at       timestamptz NOT NULL,
	submitted_at     timestamptz,
	route_event_at   timestamptz, -- when the last route event applied to the order happened at the host
	fingerprint      text        NOT NULL DEFAULT '' -- of the spreadsheet row an order without ref came from
);
--bun:split
-- a client's reference is unique when given, compared without case ("abc-1"
-- is the same order as "ABC-1", as the glossary says); many orders may have
-- none. ExistingRefs probes it too. References are COLLATE "C": lower() folds
-- their ASCII letters, as SQLite's.
CREATE UNIQUE INDEX IF NOT EXISTS orders_client_ref ON orders (client_id, lower(ref)) WHERE ref <> '';
--bun:split
-- ExistingFingerprints: a re-import finds the rows without ref it imported before
CREATE INDEX IF NOT EXISTS orders_client_fingerprint ON orders (client_id, fingerprint) WHERE fingerprint <> '';
--bun:split
-- a client's orders of one status (the drafts tab), newest first; also the counts
CREATE INDEX IF NOT EXISTS orders_client_status ON orders (client_id, status, created_at, id);
--bun:split
-- a client's active orders (the active tab), newest first: a small partial index, so
-- the first page is 50 index entries and 50 heap rows whatever the client's history
CREATE INDEX IF NOT EXISTS orders_client_active ON orders (client_id, created_at, id)
	WHERE status IN ('submitted', 'scheduled', 'en_route');
--bun:split
-- a client's orders of every status (completed tab, all orders), newest first
CREATE INDEX IF NOT EXISTS orders_client_created ON orders (client_id, created_at, id);
--bun:split
-- the account's orders, newest first (a dispatcher's lists)
CREATE INDEX IF NOT EXISTS orders_account_created ON orders (account_id, created_at, id);
--bun:split
-- the account's unassigned stops by depot
CREATE INDEX IF NOT EXISTS orders_unassigned ON orders (account_id, depot, created_at, id)
	WHERE status = 'submitted';
--bun:split

CREATE TABLE IF NOT EXISTS order_events (
	id           bigint      GENERATED ALWAYS AS IDENTITY,
	account_id   text        COLLATE "C" NOT NULL,
	client_id    text        COLLATE "C" NOT NULL,
	order_id     text        COLLATE "C" NOT NULL,
	event        text        NOT NULL,
	from_status  text        NOT NULL DEFAULT '',
	to_status    text        NOT NULL DEFAULT '',
	occurred_at  timestamptz NOT NULL,
	actor        text        NOT NULL DEFAULT '',
	eta          timestamptz,
	reason       text        NOT NULL DEFAULT '',
	-- the writing transaction's id, which orders the event feed (Store.Events):
	-- see feed.go for why that, and not the identity column, is a cursor that
	-- misses nothing
	tx           xid8        NOT NULL DEFAULT pg_current_xact_id(),
	-- an order's history, oldest first; the only index, so a bulk import of drafts
	-- maintains one B-tree for its history events, not two
	CONSTRAINT order_events_pkey PRIMARY KEY (order_id, id)
);
--bun:split
CREATE INDEX IF NOT EXISTS order_events_account_tx ON order_events (account_id, tx, id);
--bun:split
CREATE INDEX IF NOT EXISTS order_events_client_tx ON order_events (client_id, tx, id);
--bun:split
-- Every statement that writes order events (INSERT or COPY, from any code path)
-- tells listeners (Store.Wake) on commit: NOTIFY is transactional, delivered only
-- if the transaction commits, and coalesced to one per transaction.
-- The notification names the schema that committed (Stores of several schemas
-- may share a database: tests do, and so may a host's tenants) and the Store
-- (its connections' setting connect.origin, set by Open): a listener wakes only
-- for other Stores' commits in its own schema.
CREATE OR REPLACE FUNCTION connect_notify_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('connect_events', current_schema() || '/' || coalesce(current_setting('connect.origin', true), ''));
	RETURN NULL;
END
$$;
--bun:split
CREATE OR REPLACE TRIGGER order_events_notify AFTER INSERT ON order_events
	FOR EACH STATEMENT EXECUTE FUNCTION connect_notify_events();
--bun:split

-- the host's route event ids already applied, per account (replays do nothing)
CREATE TABLE IF NOT EXISTS host_events (
	account_id  text        COLLATE "C" NOT NULL,
	event_id    text        COLLATE "C" NOT NULL,
	recorded_at timestamptz NOT NULL,
	CONSTRAINT host_events_pkey PRIMARY KEY (account_id, event_id)
);
--bun:split

-- side effects to deliver (RouteSync, Shopify), written in the transaction of the
-- change that causes them
CREATE TABLE IF NOT EXISTS outbox (
	id              text        COLLATE "C" PRIMARY KEY,
	key             text        COLLATE "C" NOT NULL,
	account_id      text        COLLATE "C" NOT NULL,
	client_id       text        COLLATE "C" NOT NULL DEFAULT '',
	order_id        text        COLLATE "C" NOT NULL DEFAULT '',
	kind            text        NOT NULL,
	event           text        NOT NULL DEFAULT '',
	notify_customer boolean     NOT NULL DEFAULT false,
	state           text        COLLATE "C" NOT NULL,
	attempts        integer     NOT NULL DEFAULT 0,
	next_at         timestamptz NOT NULL,
	locked_until    timestamptz,
	last_error      text        NOT NULL DEFAULT '',
	created_at      timestamptz NOT NULL,
	updated_at      timestamptz NOT NULL,
	CONSTRAINT outbox_key UNIQUE (key)
);
--bun:split
-- what a claim scans: the pending entries, due first; done and dead ones leave it
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (next_at, id) WHERE state = 'pending';
--bun:split
CREATE INDEX IF NOT EXISTS outbox_account ON outbox (account_id, created_at, id);
--bun:split
-- what PurgeOutboxAnyAccount deletes: delivered and discarded entries, oldest first
CREATE INDEX IF NOT EXISTS outbox_finished ON outbox (updated_at) WHERE state IN ('done', 'discarded');
--bun:split

CREATE TABLE IF NOT EXISTS api_keys (
	id           text        COLLATE "C" PRIMARY KEY,
	account_id   text        COLLATE "C" NOT NULL,
	client_id    text        COLLATE "C" NOT NULL,
	name         text        NOT NULL,
	hash         bytea       NOT NULL,
	created_by   text        NOT NULL DEFAULT '',
	created_at   timestamptz NOT NULL,
	last_used_at timestamptz,
	revoked_at   timestamptz,
	CONSTRAINT api_keys_client FOREIGN KEY (account_id, client_id) REFERENCES clients (account_id, id)
);
--bun:split
CREATE UNIQUE INDEX IF NOT EXISTS api_keys_hash ON api_keys (hash);
--bun:split
CREATE INDEX IF NOT EXISTS api_keys_client_created ON api_keys (client_id, created_at, id);
--bun:split

CREATE TABLE IF NOT EXISTS tracking_links (
	id         text        COLLATE "C" PRIMARY KEY,
	account_id text        COLLATE "C" NOT NULL,
	client_id  text        COLLATE "C" NOT NULL,
	order_id   text        COLLATE "C" NOT NULL,
	hash       bytea       NOT NULL,
	created_by text        NOT NULL DEFAULT '',
	created_at timestamptz NOT NULL,
	revoked_at timestamptz,
	CONSTRAINT tracking_links_client FOREIGN KEY (account_id, client_id) REFERENCES clients (account_id, id)
);
--bun:split
CREATE UNIQUE INDEX IF NOT EXISTS tracking_links_hash ON tracking_links (hash);
--bun:split
CREATE INDEX IF NOT EXISTS tracking_links_order ON tracking_links (order_id, created_at, id);
--bun:split

-- privacy requests carried out (Shopify's customers/redact and shop/redact)
CREATE TABLE IF NOT EXISTS redactions (
	id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	account_id text        COLLATE "C" NOT NULL,
	client_id  text        COLLATE "C" NOT NULL,
	shop       text        NOT NULL,
	reason     text        NOT NULL DEFAULT '',
	orders     integer     NOT NULL,
	at         timestamptz NOT NULL
);
--bun:split
CREATE INDEX IF NOT EXISTS redactions_client ON redactions (account_id, client_id, at);
--bun:split

-- single-use keys (OAuth state, webhook ids) until they expire
CREATE TABLE IF NOT EXISTS used_once (
	key        text        COLLATE "C" PRIMARY KEY,
	expires_at timestamptz NOT NULL
);
--bun:split
CREATE INDEX IF NOT EXISTS used_once_expires ON used_once (expires_at);
--bun:split

-- clients' Shopify access tokens, sealed by the Shopify adapter
CREATE TABLE IF NOT EXISTS shopify_tokens (
	client_id  text        COLLATE "C" PRIMARY KEY,
	account_id text        COLLATE "C" NOT NULL,
	shop       text        NOT NULL,
	sealed     bytea       NOT NULL,
	updated_at timestamptz NOT NULL,
	CONSTRAINT shopify_tokens_client FOREIGN KEY (account_id, client_id) REFERENCES clients (account_id, id)
);
--bun:split
-- files every process reads (connect.Blobs): a key names a set of chunks
CREATE TABLE IF NOT EXISTS blobs (
	key       text        COLLATE "C" PRIMARY KEY,
	id        text        COLLATE "C" NOT NULL, -- the chunks' set (UUIDv7)
	size      bigint      NOT NULL,
	stored_at timestamptz NOT NULL
);
--bun:split
CREATE TABLE IF NOT EXISTS blob_chunks (
	blob_id text    COLLATE "C" NOT NULL,
	n       integer NOT NULL,
	data    bytea   NOT NULL,
	PRIMARY KEY (blob_id, n)
);
