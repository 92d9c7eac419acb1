-- Shopify tokens per shop. Shopify gives an app one active token per shop (a new
-- install or a refresh revokes the earlier ones), so the token moves to a row per
-- shop that every client linked to the shop shares; shopify_tokens keeps each
-- client's link (client → shop), its sealed column left empty. Of the per-client
-- tokens of a shop, the newest is the one Shopify still honours: it moves, with
-- the client it was sealed for (sealed_for), and the copies are blanked. Every
-- statement is idempotent: run again, it moves nothing twice.

CREATE TABLE IF NOT EXISTS shopify_shop_tokens (
	shop          text        PRIMARY KEY,
	sealed        bytea       NOT NULL,
	version       bigint      NOT NULL,
	saved_at      timestamptz NOT NULL,
	claimed_until timestamptz, -- a refresh under way in some process until then
	sealed_for    text        COLLATE "C" NOT NULL DEFAULT '' -- the client a token moved from shopify_tokens was sealed for
);
--bun:split
CREATE INDEX IF NOT EXISTS shopify_shop_tokens_saved ON shopify_shop_tokens (saved_at);
--bun:split
INSERT INTO shopify_shop_tokens (shop, sealed, version, saved_at, sealed_for)
SELECT t.shop, t.sealed, 1, t.updated_at, t.client_id FROM shopify_tokens t
WHERE length(t.sealed) > 0 AND NOT EXISTS (
	SELECT 1 FROM shopify_tokens u WHERE u.shop = t.shop AND length(u.sealed) > 0
	AND (u.updated_at > t.updated_at OR (u.updated_at = t.updated_at AND u.client_id > t.client_id)))
ON CONFLICT (shop) DO NOTHING;
--bun:split
UPDATE shopify_tokens SET sealed = '\x'::bytea WHERE length(sealed) > 0;
--bun:split
CREATE INDEX IF NOT EXISTS shopify_tokens_shop ON shopify_tokens (shop);
