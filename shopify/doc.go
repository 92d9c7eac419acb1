// Package shopify connects the portal to Shopify stores through Shopify's Admin
// GraphQL API, version [APIVersion]: installing the app (OAuth), reading open
// orders, fulfilling them, and verifying webhooks.
//
// The GraphQL operations live in operations.graphql; genqlient turns them into
// typed functions in generated.go (ListOrders, OrdersByID, OrdersByName,
// FulfillmentOrders, FulfillmentCreate, FulfillmentEventCreate) that take a
// [*Client], the rate-limit-aware transport. After changing an operation:
//
//	go run ./internal/shopifyschema -src admin-2026-04.graphql  # refresh schema.graphql
//	go generate ./shopify                                      # refresh generated.go
//
// The first step needs Shopify's full schema (not in the repository); the second
// needs only the committed schema.graphql.
package shopify

//go:generate go tool genqlient genqlient.yaml
