-- The Shopify orders whose personal data a privacy request (customers/redact,
-- shop/redact) erased, per client and shop: an orders/updated webhook or an
-- import of such an order later must not write the customer's data back
-- (connect.ShopifyRedacted). One row per order, the last request's reason and
-- time; customer_id is the Shopify customer a customers/redact named, so that a
-- customers/data_request export can say what was erased of that customer.
CREATE TABLE IF NOT EXISTS shopify_redacted_orders (
	account_id       text        COLLATE "C" NOT NULL,
	client_id        text        COLLATE "C" NOT NULL,
	shop             text        COLLATE "C" NOT NULL,
	shopify_order_id text        COLLATE "C" NOT NULL,
	customer_id      text        COLLATE "C" NOT NULL DEFAULT '',
	reason           text        NOT NULL DEFAULT '',
	orders           integer     NOT NULL DEFAULT 0, -- the client's orders it erased
	at               timestamptz NOT NULL,
	PRIMARY KEY (account_id, client_id, shop, shopify_order_id)
);
--bun:split
CREATE INDEX IF NOT EXISTS shopify_redacted_orders_customer ON shopify_redacted_orders (account_id, client_id, shop, customer_id) WHERE customer_id <> '';
--bun:split
-- The dispatcher's Shopify notices (connect.Store.ShopifyNotices): the events
-- saying an order was cancelled or changed in Shopify while it was in the
-- dispatcher's hands, newest first per account. Partial: a bulk import's
-- history events do not enter it.
CREATE INDEX IF NOT EXISTS order_events_shopify_notices ON order_events (account_id, id) WHERE event IN ('shopify_cancel', 'shopify_change');
