-- The portal shows an order's fulfilment in Shopify from the order's outbox
-- entries: OrderOutbox finds them by order.
CREATE INDEX IF NOT EXISTS outbox_order ON outbox (order_id, created_at, id);
