-- Recipient notifications (connect.NotifySettings): one row per client that
-- set them; events is the chosen events, comma-separated; quiet hours in
-- minutes after midnight on the account's clocks (equal: none).
CREATE TABLE IF NOT EXISTS notify_settings (
	account_id   text        COLLATE "C" NOT NULL,
	client_id    text        COLLATE "C" NOT NULL,
	events       text        NOT NULL DEFAULT '',
	email        boolean     NOT NULL DEFAULT false,
	sms          boolean     NOT NULL DEFAULT false,
	language     text        NOT NULL DEFAULT 'en',
	quiet_start  integer     NOT NULL DEFAULT 0,
	quiet_end    integer     NOT NULL DEFAULT 0,
	phone_region text        NOT NULL DEFAULT '',
	updated_by   text        NOT NULL DEFAULT '',
	updated_at   timestamptz NOT NULL,
	PRIMARY KEY (account_id, client_id),
	CONSTRAINT notify_settings_client FOREIGN KEY (account_id, client_id) REFERENCES clients (account_id, id)
);
--bun:split
-- Each order's notice log (connect.Notice): key is the outbox entry's.
CREATE TABLE IF NOT EXISTS notices (
	key        text        COLLATE "C" PRIMARY KEY,
	account_id text        COLLATE "C" NOT NULL,
	client_id  text        COLLATE "C" NOT NULL,
	order_id   text        COLLATE "C" NOT NULL,
	event      text        NOT NULL,
	channel    text        NOT NULL,
	state      text        NOT NULL,
	reason     text        NOT NULL DEFAULT '',
	due_at     timestamptz NOT NULL,
	sent_at    timestamptz,
	created_at timestamptz NOT NULL,
	updated_at timestamptz NOT NULL,
	CONSTRAINT notices_client FOREIGN KEY (account_id, client_id) REFERENCES clients (account_id, id)
);
--bun:split
CREATE INDEX IF NOT EXISTS notices_order ON notices (order_id, created_at, key);
--bun:split
-- An order's opt-out of its client's recipient notifications (OrderInput.NotifyOptOut).
ALTER TABLE orders ADD COLUMN IF NOT EXISTS notify_opt_out boolean NOT NULL DEFAULT false;
