-- What an outbox entry carries beside its order (connect.OutboxEntry.Payload): the
-- proof files a redaction erased, the customer data request to answer. Kept beside
-- the outbox, by the entry's key, so that the outbox table itself is unchanged.
CREATE TABLE IF NOT EXISTS outbox_payloads (
	key     text  COLLATE "C" PRIMARY KEY,
	payload bytea NOT NULL
);
