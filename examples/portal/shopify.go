package main

import (
	"context"
	"net/http"

	"github.com/dispatchkit/connect"
)

// demoShop is the fake store the demo links when no Shopify app is configured.
const demoShop = "green-grocer.myshopify.com"

// shopifyHandlers are what the portal mounts for Shopify.
type shopifyHandlers struct {
	install  http.Handler
	webhooks http.Handler
}

// shopify wires Shopify into the Service and returns the portal's handlers, or nil
// when Shopify is off.
func (h *host) shopify(ctx context.Context, cfg *connect.Config) (*shopifyHandlers, error) {
	return nil, nil
}
