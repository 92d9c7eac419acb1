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
	-- the target of the (account_id, client_id) foreign keys below: a member or an
	-- invite can never belong to a client of another account
	CONSTRAINT clients_account_id UNIQUE (account_id, id)
);
--bun:split
CREATE UNIQUE INDEX IF NOT EXISTS clients_number ON clients (number);
--bun:split
CREATE INDEX IF NOT EXISTS clients_account_name ON clients (account_id, name, id);
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
	CONSTRAINT members_client FOREIGN KEY (account_id, client_id) REFERENCES clients (account_id, id)
);
--bun:split
-- one member per email per client; emails compare without case
CREATE UNIQUE INDEX IF NOT EXISTS members_client_email ON members (client_id, lower(email));
--bun:split
CREATE INDEX IF NOT EXISTS members_account_client ON members (account_id, client_id);
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
	submitted_at     timestamptz
);
--bun:split
-- a client's reference is unique when given; many orders may have none
CREATE UNIQUE INDEX IF NOT EXISTS orders_client_ref ON orders (client_id, ref) WHERE ref <> '';
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
	-- an order's history, oldest first; the only index, so a bulk import of drafts
	-- maintains one B-tree for its history events, not two
	CONSTRAINT order_events_pkey PRIMARY KEY (order_id, id)
);
