-- Completed orders, most recently completed first (the completed tab, by
-- connect.Order.CompletedAt): a client's and an account's. The expression is
-- storage's completedAtSQL, which the lists order by; the partial WHERE is the
-- completed statuses as the lists name them (sorted).
CREATE INDEX IF NOT EXISTS orders_client_completed ON orders
	(client_id, (CASE WHEN status = 'cancelled' THEN updated_at ELSE coalesce(route_event_at, updated_at) END), id)
	WHERE status IN ('delivered', 'failed', 'cancelled');
--bun:split
CREATE INDEX IF NOT EXISTS orders_account_completed ON orders
	(account_id, (CASE WHEN status = 'cancelled' THEN updated_at ELSE coalesce(route_event_at, updated_at) END), id)
	WHERE status IN ('delivered', 'failed', 'cancelled');
