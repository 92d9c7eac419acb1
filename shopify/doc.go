// Package shopify connects the portal to Shopify stores through Shopify's Admin
// GraphQL API, version [APIVersion].
//
// [Adapter] is the core's Shopify port (connect.Shopify): it lists a client's
// open orders, looks orders up by id or name for a Bulk import, maps each to a
// connect.OrderInput (or says why it cannot be one), fulfills delivered orders
// and posts delivery progress. Each client reaches its linked store with the
// store's expiring offline token (Shopify keeps one per app and shop, so the
// clients linked to a shop share it), kept sealed ([Sealer]) by a
// connect.ShopifyTokens and refreshed before it expires, by one process at a
// time; [Adapter.RefreshQuietShops], which a host runs daily, refreshes the
// shops nobody used lately before their refresh tokens expire. The Adapter
// also makes the two handlers a host
// mounts: [InstallHandler] (linking a store: OAuth with a signed, single-use
// state) and [WebhookHandler] (uninstall, the privacy topics, and orders
// edited or cancelled in Shopify). See the
// example of New for the wiring.
//
// Underneath, the GraphQL operations live in operations.graphql; genqlient
// turns them into typed functions in generated.go (ListOrders, OrdersByID,
// OrdersByName, FulfillmentOrders, OrderFulfillments, FulfillmentCreate,
// FulfillmentEventCreate) that take a [*Client], the rate-limit-aware
// transport. After changing an operation:
//
//	go run ./internal/shopifyschema -src admin-2026-04.graphql  # refresh schema.graphql
//	go generate ./shopify                                      # refresh generated.go
//
// The first step needs Shopify's full schema (not in the repository); the second
// needs only the committed schema.graphql.
package shopify

//go:generate go tool genqlient genqlient.yaml
