-- Clients' webhook endpoints (connect.WebhookEndpoint): events is the chosen
-- event types, comma-separated; failures and failing_since count the failed
-- deliveries since the last success (RecordWebhookDelivery), apart from version.
CREATE TABLE IF NOT EXISTS webhooks (
	id                  TEXT    PRIMARY KEY,
	account_id          TEXT    NOT NULL,
	client_id           TEXT    NOT NULL,
	url                 TEXT    NOT NULL,
	description         TEXT    NOT NULL DEFAULT '',
	events              TEXT    NOT NULL,
	paused              INTEGER NOT NULL DEFAULT 0,
	paused_reason       TEXT    NOT NULL DEFAULT '',
	paused_at           TEXT,
	secret              TEXT    NOT NULL,
	previous_secret     TEXT    NOT NULL DEFAULT '',
	previous_expires_at TEXT,
	failures            INTEGER NOT NULL DEFAULT 0,
	failing_since       TEXT,
	version             INTEGER NOT NULL,
	created_at          TEXT    NOT NULL,
	updated_at          TEXT    NOT NULL,
	CONSTRAINT webhooks_client FOREIGN KEY (account_id, client_id) REFERENCES clients (account_id, id)
) STRICT;
--bun:split
CREATE INDEX IF NOT EXISTS webhooks_client ON webhooks (account_id, client_id, created_at, id);
--bun:split
-- The delivery log of each endpoint: its newest attempts (RecordWebhookDelivery
-- keeps a bounded number).
CREATE TABLE IF NOT EXISTS webhook_deliveries (
	id          TEXT    PRIMARY KEY,
	account_id  TEXT    NOT NULL,
	client_id   TEXT    NOT NULL,
	webhook_id  TEXT    NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
	message     TEXT    NOT NULL,
	type        TEXT    NOT NULL,
	order_id    TEXT    NOT NULL DEFAULT '',
	attempt     INTEGER NOT NULL,
	at          TEXT    NOT NULL,
	status      INTEGER NOT NULL DEFAULT 0,
	duration_ns INTEGER NOT NULL DEFAULT 0,
	error       TEXT    NOT NULL DEFAULT '',
	succeeded   INTEGER NOT NULL DEFAULT 0
) STRICT;
--bun:split
CREATE INDEX IF NOT EXISTS webhook_deliveries_webhook ON webhook_deliveries (webhook_id, at, id);
--bun:split
-- Ordered outbox entries (connect.OutboxEntry.Stream): an entry waits while an
-- entry of its stream with a lower position is pending.
ALTER TABLE outbox ADD COLUMN stream TEXT NOT NULL DEFAULT '';
--bun:split
ALTER TABLE outbox ADD COLUMN position INTEGER NOT NULL DEFAULT 0;
--bun:split
CREATE INDEX IF NOT EXISTS outbox_stream ON outbox (stream, position) WHERE state = 'pending' AND stream <> '';
