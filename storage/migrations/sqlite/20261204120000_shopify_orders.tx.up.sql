-- Shopify's orders/updated and orders/cancelled webhooks name an order by its
-- Shopify id: OrdersFromShopify finds the orders imported from it.
CREATE INDEX IF NOT EXISTS orders_shopify_order ON orders (shopify_order_id) WHERE shopify_order_id <> '';
