package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"testing"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/shopify/shopifytest"
)

// The demo store's order stocked at two locations goes through the demo end to
// end: imported, routed, started (fulfilled from each location, each
// fulfillment told the delivery is out for delivery) and delivered (each told
// so).
func TestTheDemoFulfillsATwoLocationOrderFromBoth(t *testing.T) {
	th := startHost(t, t.TempDir())
	if th.shopifyFake == nil {
		t.Fatal("no fake Shopify")
	}
	ctx := context.Background()
	shop := th.shopifyFake.Shop(demoShop)
	var order shopifytest.Order
	for _, o := range shop.Orders() {
		if o.Note == twoLocationOrder {
			order = o
		}
	}
	if len(order.FulfillmentOrders) != 2 || order.FulfillmentOrders[0].Location == order.FulfillmentOrders[1].Location {
		t.Fatalf("the demo store's two-location order: %+v", order.FulfillmentOrders)
	}

	acc := th.linkDemoStore(t)
	if _, err := th.svc.UpdateFulfillment(ctx, acc.Actor, connect.FulfillmentSettings{AutoFulfill: true, NotifyCustomer: true, Mode: connect.FulfillOnStart}); err != nil {
		t.Fatal(err)
	}
	res2, err := th.svc.ImportShopifyOrders(ctx, acc.Actor, []string{order.ID}, connect.ImportOptions{})
	if err != nil || res2.Imported != 1 {
		t.Fatalf("import: %+v, %v", res2, err)
	}
	drafts, err := th.svc.Orders(ctx, acc.Actor, connect.ListOrdersParams{View: connect.ViewDrafts})
	if err != nil || len(drafts.Orders) != 1 {
		t.Fatalf("drafts: %v %v", drafts, err)
	}
	id := drafts.Orders[0].ID
	if _, err := th.svc.SubmitOrders(ctx, acc.Actor, []connect.OrderID{id}); err != nil {
		t.Fatal(err)
	}

	d := th.client()
	th.form(t, d, "/demo/login", url.Values{"email": {dispatcherEmail}, "password": {th.state.DispatcherPassword}})
	if r := th.form(t, d, "/demo/routes", url.Values{"order": {string(id)}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("build route: %d", r.StatusCode)
	}
	o, _ := th.svc.Order(ctx, acc.Actor, id)
	route := o.Route.RouteID
	if r := th.form(t, d, "/demo/routes/"+route+"/start", url.Values{}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("start: %d", r.StatusCode)
	}
	if n := th.logs.await("shopify: delivery progress posted", 2); n != 2 {
		t.Fatalf("%d progress events posted after the start; want one on each of 2 fulfillments", n)
	}
	after, _ := shop.Order(order.ID)
	if after.DisplayFulfillmentStatus() != "FULFILLED" || len(after.Fulfillments) != 2 {
		t.Fatalf("after the start: %s with %d fulfillments; want FULFILLED from both locations", after.DisplayFulfillmentStatus(), len(after.Fulfillments))
	}
	for _, f := range after.Fulfillments {
		if len(f.Events) != 1 || f.Events[0].Status != "OUT_FOR_DELIVERY" || !f.NotifyCustomer {
			t.Errorf("fulfillment %s: events %+v, notify %v; want OUT_FOR_DELIVERY", f.ID, f.Events, f.NotifyCustomer)
		}
	}

	_, page := th.get(t, d, "/demo/driver/"+route)
	nonce := regexp.MustCompile(`name="nonce" value="([0-9a-f]+)"`).FindStringSubmatch(page)[1]
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("nonce", nonce)
	_ = mw.WriteField("recipient", "Olivia Hart")
	_ = mw.WriteField("signature", "data:image/png;base64,"+base64.StdEncoding.EncodeToString(pngBytes(t)))
	_ = mw.Close()
	if r := th.post(t, d, "/demo/driver/"+route+"/stops/"+string(id)+"/complete", mw.FormDataContentType(), &body); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("complete: %d", r.StatusCode)
	}
	if n := th.logs.await("shopify: delivery progress posted", 4); n != 4 {
		t.Fatalf("%d progress events posted in all; want 4", n)
	}
	after, _ = shop.Order(order.ID)
	for _, f := range after.Fulfillments {
		if len(f.Events) != 2 || f.Events[1].Status != "DELIVERED" {
			t.Errorf("fulfillment %s: events %+v; want OUT_FOR_DELIVERY then DELIVERED", f.ID, f.Events)
		}
	}
}
