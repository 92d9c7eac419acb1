-- Clients' webhook endpoints (connect.WebhookEndpoint): events is the chosen
-- event types, comma-separated; failures and failing_since count the failed
-- deliveries since the last success (RecordWebhookDelivery), apart from version.
CREATE TABLE IF NOT EXISTS webhooks (
	id                  text        COLLATE "C" PRIMARY KEY,
	account_id          text        COLLATE "C" NOT NULL,
	client_id           text        COLLATE "C" NOT NULL,
	url                 text        NOT NULL,
	description         text        NOT NULL DEFAULT '',
	events              text        NOT NULL,
	paused              boolean     NOT NULL DEFAULT false,
	paused_reason       text        NOT NULL DEFAULT '',
	paused_at           timestamptz,
	secret              text        NOT NULL,
	previous_secret     text        NOT NULL DEFAULT '',
	previous_expires_at timestamptz,
	failures            integer     NOT NULL DEFAULT 0,
	failing_since       timestamptz,
	version             integer     NOT NULL,
	created_at          timestamptz NOT NULL,
	updated_at          timestamptz NOT NULL,
	CONSTRAINT webhooks_client FOREIGN KEY (account_id, client_id) REFERENCES clients (account_id, id)
);
--bun:split
CREATE INDEX IF NOT EXISTS webhooks_client ON webhooks (account_id, client_id, created_at, id);
--bun:split
-- The delivery log of each endpoint: its newest attempts (RecordWebhookDelivery
-- keeps a bounded number).
CREATE TABLE IF NOT EXISTS webhook_deliveries (
	id          text        COLLATE "C" PRIMARY KEY,
	account_id  text        COLLATE "C" NOT NULL,
	client_id   text        COLLATE "C" NOT NULL,
	webhook_id  text        COLLATE "C" NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
	message     text        NOT NULL,
	type        text        NOT NULL,
	order_id    text        NOT NULL DEFAULT '',
	attempt     integer     NOT NULL,
	at          timestamptz NOT NULL,
	status      integer     NOT NULL DEFAULT 0,
	duration_ns bigint      NOT NULL DEFAULT 0,
	error       text        NOT NULL DEFAULT '',
	succeeded   boolean     NOT NULL DEFAULT false
);
--bun:split
CREATE INDEX IF NOT EXISTS webhook_deliveries_webhook ON webhook_deliveries (webhook_id, at, id);
--bun:split
-- Ordered outbox entries (connect.OutboxEntry.Stream): an entry waits while an
-- entry of its stream with a lower position is pending.
ALTER TABLE outbox ADD COLUMN IF NOT EXISTS stream text COLLATE "C" NOT NULL DEFAULT '';
--bun:split
ALTER TABLE outbox ADD COLUMN IF NOT EXISTS position bigint NOT NULL DEFAULT 0;
--bun:split
CREATE INDEX IF NOT EXISTS outbox_stream ON outbox (stream, position) WHERE state = 'pending' AND stream <> '';
