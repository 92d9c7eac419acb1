-- Recipient notifications (connect.NotifySettings): one row per client that
-- set them; events is the chosen events, comma-separated; quiet hours in
-- minutes after midnight on the account's clocks (equal: none).
CREATE TABLE IF NOT EXISTS notify_settings (
	account_id   TEXT    NOT NULL,
	client_id    TEXT    NOT NULL,
	events       TEXT    NOT NULL DEFAULT '',
	email        INTEGER NOT NULL DEFAULT 0,
	sms          INTEGER NOT NULL DEFAULT 0,
	language     TEXT    NOT NULL DEFAULT 'en',
	quiet_start  INTEGER NOT NULL DEFAULT 0,
	quiet_end    INTEGER NOT NULL DEFAULT 0,
	phone_region TEXT    NOT NULL DEFAULT '',
	updated_by   TEXT    NOT NULL DEFAULT '',
	updated_at   TEXT    NOT NULL,
	PRIMARY KEY (account_id, client_id),
	CONSTRAINT notify_settings_client FOREIGN KEY (account_id, client_id) REFERENCES clients (account_id, id)
) STRICT;
--bun:split
-- Each order's notice log (connect.Notice): key is the outbox entry's.
CREATE TABLE IF NOT EXISTS notices (
	key        TEXT PRIMARY KEY,
	account_id TEXT NOT NULL,
	client_id  TEXT NOT NULL,
	order_id   TEXT NOT NULL,
	event      TEXT NOT NULL,
	channel    TEXT NOT NULL,
	state      TEXT NOT NULL,
	reason     TEXT NOT NULL DEFAULT '',
	due_at     TEXT NOT NULL,
	sent_at    TEXT,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	CONSTRAINT notices_client FOREIGN KEY (account_id, client_id) REFERENCES clients (account_id, id)
) STRICT;
--bun:split
CREATE INDEX IF NOT EXISTS notices_order ON notices (order_id, created_at, key);
--bun:split
-- An order's opt-out of its client's recipient notifications (OrderInput.NotifyOptOut).
ALTER TABLE orders ADD COLUMN notify_opt_out INTEGER NOT NULL DEFAULT 0;
