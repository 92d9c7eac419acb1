-- The dead entries of every account, counted for the outbox metrics
-- (Store.OutboxBacklogAnyAccount) without reading the delivered ones.
CREATE INDEX IF NOT EXISTS outbox_dead ON outbox (created_at) WHERE state = 'dead';
