-- Clients' address books (connect.AddressEntry): one entry per normalised
-- recipient and address (key, a hash), saved from the orders the team adds by
-- hand unless the client turned it off (clients.address_book_off). search is
-- the entry's text in lower case, for AddressEntries' search.
ALTER TABLE clients ADD COLUMN address_book_off INTEGER NOT NULL DEFAULT 0;
--bun:split
CREATE TABLE IF NOT EXISTS address_entries (
	id              TEXT    PRIMARY KEY,
	account_id      TEXT    NOT NULL,
	client_id       TEXT    NOT NULL,
	key             TEXT    NOT NULL,
	recipient_name  TEXT    NOT NULL DEFAULT '',
	recipient_email TEXT    NOT NULL DEFAULT '',
	recipient_phone TEXT    NOT NULL DEFAULT '',
	unit            TEXT    NOT NULL DEFAULT '',
	line1           TEXT    NOT NULL,
	line2           TEXT    NOT NULL DEFAULT '',
	city            TEXT    NOT NULL DEFAULT '',
	state           TEXT    NOT NULL DEFAULT '',
	zip             TEXT    NOT NULL DEFAULT '',
	country         TEXT    NOT NULL DEFAULT '',
	latitude        TEXT    NOT NULL DEFAULT '',
	longitude       TEXT    NOT NULL DEFAULT '',
	search          TEXT    NOT NULL DEFAULT '',
	last_used_at    TEXT    NOT NULL,
	version         INTEGER NOT NULL,
	created_at      TEXT    NOT NULL,
	updated_at      TEXT    NOT NULL,
	CONSTRAINT address_entries_client FOREIGN KEY (account_id, client_id) REFERENCES clients (account_id, id)
) STRICT;
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
	id              TEXT    PRIMARY KEY,
	account_id      TEXT    NOT NULL,
	client_id       TEXT    NOT NULL,
	name            TEXT    NOT NULL DEFAULT '',
	template        TEXT    NOT NULL,
	weekdays        TEXT    NOT NULL,
	at_minute       INTEGER NOT NULL,
	start_date      TEXT    NOT NULL,
	end_date        TEXT    NOT NULL DEFAULT '',
	mode            TEXT    NOT NULL,
	paused          INTEGER NOT NULL DEFAULT 0,
	next_at         TEXT,
	created_by      TEXT    NOT NULL DEFAULT '',
	version         INTEGER NOT NULL,
	created_at      TEXT    NOT NULL,
	updated_at      TEXT    NOT NULL,
	CONSTRAINT schedules_client FOREIGN KEY (account_id, client_id) REFERENCES clients (account_id, id)
) STRICT;
--bun:split
CREATE INDEX IF NOT EXISTS schedules_client ON schedules (account_id, client_id, created_at, id);
--bun:split
CREATE INDEX IF NOT EXISTS schedules_due ON schedules (next_at) WHERE paused = 0 AND next_at IS NOT NULL;
--bun:split
-- One row per occurrence of a schedule, written in the transaction that makes
-- its order: the primary key is what makes each occurrence once across
-- processes.
CREATE TABLE IF NOT EXISTS schedule_runs (
	schedule_id     TEXT    NOT NULL REFERENCES schedules (id) ON DELETE CASCADE,
	occurrence      TEXT    NOT NULL,
	account_id      TEXT    NOT NULL,
	client_id       TEXT    NOT NULL,
	at              TEXT    NOT NULL,
	outcome         TEXT    NOT NULL,
	order_id        TEXT    NOT NULL DEFAULT '',
	reason          TEXT    NOT NULL DEFAULT '',
	PRIMARY KEY (schedule_id, occurrence)
) STRICT;
