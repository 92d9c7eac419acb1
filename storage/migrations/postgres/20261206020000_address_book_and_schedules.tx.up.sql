-- Clients' address books (connect.AddressEntry): one entry per normalised
-- recipient and address (key, a hash), saved from the orders the team adds by
-- hand unless the client turned it off (clients.address_book_off). search is
-- the entry's text in lower case, for AddressEntries' search.
ALTER TABLE clients ADD COLUMN IF NOT EXISTS address_book_off boolean NOT NULL DEFAULT false;
--bun:split
CREATE TABLE IF NOT EXISTS address_entries (
	id              text        COLLATE "C" PRIMARY KEY,
	account_id      text        COLLATE "C" NOT NULL,
	client_id       text        COLLATE "C" NOT NULL,
	key             text        COLLATE "C" NOT NULL,
	recipient_name  text        NOT NULL DEFAULT '',
	recipient_email text        NOT NULL DEFAULT '',
	recipient_phone text        NOT NULL DEFAULT '',
	unit            text        NOT NULL DEFAULT '',
	line1           text        NOT NULL,
	line2           text        NOT NULL DEFAULT '',
	city            text        NOT NULL DEFAULT '',
	state           text        NOT NULL DEFAULT '',
	zip             text        NOT NULL DEFAULT '',
	country         text        NOT NULL DEFAULT '',
	latitude        text        NOT NULL DEFAULT '',
	longitude       text        NOT NULL DEFAULT '',
	search          text        NOT NULL DEFAULT '',
	last_used_at    timestamptz NOT NULL,
	version         integer     NOT NULL,
	created_at      timestamptz NOT NULL,
	updated_at      timestamptz NOT NULL,
	CONSTRAINT address_entries_client FOREIGN KEY (account_id, client_id) REFERENCES clients (account_id, id)
);
--bun:split
CREATE UNIQUE INDEX IF NOT EXISTS address_entries_key ON address_entries (account_id, client_id, key);
--bun:split
CREATE INDEX IF NOT EXISTS address_entries_used ON address_entries (account_id, client_id, last_used_at DESC, id DESC);
--bun:split
-- Recurring order schedules (connect.Schedule): template is the order as JSON
-- (connect.OrderInput), weekdays the days as digits (0 = Sunday), at the local
-- time in minutes, start_date and end_date YYYY-MM-DD in the account's time
-- zone. next_at is the next occurrence not yet run (NULL: none left).
CREATE TABLE IF NOT EXISTS schedules (
	id              text        COLLATE "C" PRIMARY KEY,
	account_id      text        COLLATE "C" NOT NULL,
	client_id       text        COLLATE "C" NOT NULL,
	name            text        NOT NULL DEFAULT '',
	template        text        NOT NULL,
	weekdays        text        NOT NULL,
	at_minute       integer     NOT NULL,
	start_date      text        NOT NULL,
	end_date        text        NOT NULL DEFAULT '',
	mode            text        NOT NULL,
	paused          boolean     NOT NULL DEFAULT false,
	next_at         timestamptz,
	created_by      text        NOT NULL DEFAULT '',
	version         integer     NOT NULL,
	created_at      timestamptz NOT NULL,
	updated_at      timestamptz NOT NULL,
	CONSTRAINT schedules_client FOREIGN KEY (account_id, client_id) REFERENCES clients (account_id, id)
);
--bun:split
CREATE INDEX IF NOT EXISTS schedules_client ON schedules (account_id, client_id, created_at, id);
--bun:split
CREATE INDEX IF NOT EXISTS schedules_due ON schedules (next_at) WHERE NOT paused AND next_at IS NOT NULL;
--bun:split
-- One row per occurrence of a schedule, written in the transaction that makes
-- its order: the primary key is what makes each occurrence once across
-- processes.
CREATE TABLE IF NOT EXISTS schedule_runs (
	schedule_id     text        COLLATE "C" NOT NULL REFERENCES schedules (id) ON DELETE CASCADE,
	occurrence      timestamptz NOT NULL,
	account_id      text        COLLATE "C" NOT NULL,
	client_id       text        COLLATE "C" NOT NULL,
	at              timestamptz NOT NULL,
	outcome         text        NOT NULL,
	order_id        text        COLLATE "C" NOT NULL DEFAULT '',
	reason          text        NOT NULL DEFAULT '',
	PRIMARY KEY (schedule_id, occurrence)
);
