-- Route sync, the outbox, the live event feed and the portal's credentials. Every
-- statement is idempotent (see the initial migration).

-- when the last route event applied to the order happened at the host
ALTER TABLE orders ADD COLUMN IF NOT EXISTS route_event_at timestamptz;
--bun:split
-- the column mapping of the client's last spreadsheet import (JSON object; '' when none)
ALTER TABLE clients ADD COLUMN IF NOT EXISTS import_mapping text NOT NULL DEFAULT '';
--bun:split
-- the clients linked to a shop (Shopify webhooks name the shop only)
CREATE INDEX IF NOT EXISTS clients_shopify_shop ON clients (shopify_shop) WHERE shopify_shop <> '';
--bun:split
-- PasswordHasher's format; '' when the member has no password. Never read into a Member.
ALTER TABLE members ADD COLUMN IF NOT EXISTS password_hash text NOT NULL DEFAULT '';
--bun:split
-- sign-in looks a member up by email in every account
CREATE INDEX IF NOT EXISTS members_email ON members (lower(email));
--bun:split

-- The event feed (Store.Events) reads order_events in the order of the writing
-- transactions' ids: see events.go for why that, and not the identity column,
-- is a cursor that misses nothing. Events written before this migration get 0 (a
-- constant default needs no table rewrite), which sorts them before every later
-- one, in id order; new rows get their top-level transaction's id.
ALTER TABLE order_events ADD COLUMN IF NOT EXISTS tx xid8 NOT NULL DEFAULT '0';
--bun:split
ALTER TABLE order_events ALTER COLUMN tx SET DEFAULT pg_current_xact_id();
--bun:split
CREATE INDEX IF NOT EXISTS order_events_account_tx ON order_events (account_id, tx, id);
--bun:split
CREATE INDEX IF NOT EXISTS order_events_client_tx ON order_events (client_id, tx, id);
--bun:split
-- Every statement that writes order events (INSERT or COPY, from any code path)
-- tells listeners (Store.Wake) on commit: NOTIFY is transactional, delivered only
-- if the transaction commits, and coalesced to one per transaction.
CREATE OR REPLACE FUNCTION connect_notify_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('connect_events', '');
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
