package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"time"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/shopify"
	"github.com/dispatchkit/connect/shopify/shopifytest"
)

// The demo's fake Shopify admin, under /demo/shopify: the merchant's side of
// the demo store. Editing or cancelling an order there changes it in the fake
// Shopify, which then delivers orders/updated or orders/cancelled, signed, to
// the portal's webhook handler, as Shopify does after a merchant's change: the
// handler checks and dedupes it, and the Service reads the order again from
// the fake before it acts (see connect.ShopifyOrderChange). Only with the
// in-process fake (no real app configured).

// demoShopifyData is the fake admin's page.
type demoShopifyData struct {
	Orders []shopifytest.Order
	Flash  string
}

func (h *host) shopifyAdminPage(w http.ResponseWriter, r *http.Request, _ connect.Actor) error {
	if h.shopifyFake == nil {
		return connect.Errorf(connect.NotFound, "the demo runs against a real Shopify app: change orders in Shopify's admin")
	}
	orders := h.shopifyFake.Shop(demoShop).Orders()
	h.render(w, http.StatusOK, "shopify.html", demoShopifyData{Orders: orders, Flash: r.URL.Query().Get("msg")})
	return nil
}

// shopifyAdminChange edits (action "edit": a new address line and note) or
// cancels (action "cancel", reason customer) an order of the fake store, and
// has the fake deliver the webhook Shopify sends for it.
func (h *host) shopifyAdminChange(w http.ResponseWriter, r *http.Request, _ connect.Actor) error {
	if h.shopifyFake == nil || h.shopifyWebhooks == nil {
		return connect.Errorf(connect.NotFound, "the demo runs against a real Shopify app: change orders in Shopify's admin")
	}
	shop := h.shopifyFake.Shop(demoShop)
	id := r.PostFormValue("order")
	o, ok := shop.Order(id)
	if !ok {
		return connect.Errorf(connect.NotFound, "the demo store has no order %q", id)
	}
	var topic string
	switch r.PathValue("action") {
	case "edit":
		topic = shopify.TopicOrdersUpdated
		stamp := time.Now().UTC().Format("15:04:05")
		shop.Edit(id, func(o *shopifytest.Order) {
			o.Note = "Edited in Shopify at " + stamp + ": leave it at the back door"
			if o.ShippingAddress != nil {
				o.ShippingAddress.Address2 = "Back door (edited " + stamp + ")"
			}
		})
	case "cancel":
		topic = shopify.TopicOrdersCancelled
		shop.Cancel(id, "customer")
	default:
		return connect.Errorf(connect.NotFound, "no such change")
	}
	payload, _ := shop.OrderPayload(id)
	req, err := h.shopifyFake.NewWebhookRequest(r.Context(), "/shopify/webhooks", demoShop, topic, payload)
	if err != nil {
		return connect.Errorf(connect.Internal, "%w", err)
	}
	rec := httptest.NewRecorder()
	h.shopifyWebhooks.ServeHTTP(rec, req)
	msg := fmt.Sprintf("Shopify sent %s for %s; the portal answered %d.", topic, o.Name, rec.Code)
	http.Redirect(w, r, "/demo/shopify?msg="+url.QueryEscape(msg), http.StatusSeeOther)
	return nil
}
