package portal_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/connecttest"
)

// sideShop is a Shopify port with two orders; fulfilling refuse fails.
type sideShop struct {
	mu     sync.Mutex
	refuse string // the order id whose fulfillment Shopify refuses
}

func (s *sideShop) order(name string) connect.ShopifyOrder {
	return connect.ShopifyOrder{Name: name, Ref: connect.ShopifyRef{Shop: "green.myshopify.com", OrderID: "gid://shopify/Order/" + name[1:]},
		Input: connect.OrderInput{Ref: name, Address: connect.Address{Line1: "1 Shop St", Zip: "12345"}, Recipient: connect.Recipient{Name: "Ada"}}}
}

func (s *sideShop) UnfulfilledOrders(context.Context, connect.Scope, string, int) (*connect.ShopifyOrderPage, error) {
	return &connect.ShopifyOrderPage{}, nil
}

func (s *sideShop) LookupOrders(_ context.Context, _ connect.Scope, refs []string) ([]connect.ShopifyOrder, error) {
	out := make([]connect.ShopifyOrder, len(refs))
	for i, r := range refs {
		out[i] = s.order(r)
	}
	return out, nil
}

func (s *sideShop) Fulfill(_ context.Context, _ connect.Scope, p connect.FulfillParams) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p.Order.OrderID == s.refuse {
		return connect.Errorf(connect.Invalid, "Shopify refused the fulfilment: the order is on hold")
	}
	return nil
}

func (s *sideShop) FulfillmentEvent(context.Context, connect.Scope, connect.FulfillmentEventParams) error {
	return nil
}

// TestTheClientSeesShopifysSideOfAnOrder: an order fulfilled in Shopify shows
// when, and that the customer was notified; one whose fulfillment Shopify
// refused shows why; on the order page and in the API.
func TestTheClientSeesShopifysSideOfAnOrder(t *testing.T) {
	t.Parallel()
	shop := &sideShop{refuse: "gid://shopify/Order/1002"}
	e := newEnvOnWorld(t, "", []connecttest.Option{connecttest.WithConfig(func(c *connect.Config) { c.Shopify = shop })})
	tm := e.signUp("Green Grocer", uploads)
	if _, err := e.svc.LinkShopify(e.ctx, tm.owner, "green.myshopify.com"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.UpdateFulfillment(e.ctx, tm.owner, connect.FulfillmentSettings{AutoFulfill: true, NotifyCustomer: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.ImportShopifyOrders(e.ctx, tm.owner, []string{"#1001", "#1002", "#1003"}, connect.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	page, err := e.svc.Orders(e.ctx, tm.owner, connect.ListOrdersParams{View: connect.ViewDrafts})
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]connect.OrderID{}
	var all []connect.OrderID
	for _, o := range page.Orders {
		ids[o.Ref] = o.ID
		all = append(all, o.ID)
	}
	if _, err := e.svc.SubmitOrders(e.ctx, tm.owner, all); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	var events []connect.RouteEvent
	for i, name := range []string{"#1001", "#1002"} {
		events = append(events,
			connect.RouteEvent{ID: "s" + name, Order: ids[name], Event: connect.EventSchedule, At: now, Route: connect.RouteStop{RouteID: "r1", Position: i + 1}},
			connect.RouteEvent{ID: "d" + name, Order: ids[name], Event: connect.EventComplete, At: now.Add(time.Minute)})
	}
	if _, err := e.svc.ApplyRouteEvents(e.ctx, connect.AsRouteSync(tm.client.Account), events); err != nil {
		t.Fatal(err)
	}
	e.w.DeliverOutbox(connect.OutboxOptions{MaxAttempts: 1, Backoff: func(int) time.Duration { return 0 }})

	b := e.signedIn(tm.email)
	b.get("/orders/"+string(ids["#1001"])).is(t, http.StatusOK).
		has(t, "In Shopify", `id="shopify-fulfilment">fulfilled`, `id="shopify-notified">yes, by Shopify`)
	b.get("/orders/"+string(ids["#1002"])).is(t, http.StatusOK).
		has(t, `id="shopify-fulfilment">failed`, "the order is on hold", "(no more tries)")
	b.get("/orders/"+string(ids["#1003"])).is(t, http.StatusOK).
		has(t, `id="shopify-fulfilment">not fulfilled in Shopify (yet)`)

	tok := secret(t, b.follow(b.post("/settings/integrations/api-keys", url.Values{"name": {"erp"}})))
	status, o := e.api(tok, http.MethodGet, "/api/v1/orders/"+string(ids["#1001"]), nil)
	sh, _ := o["shopify"].(map[string]any)
	if status != http.StatusOK || sh == nil || sh["fulfilment"] != "fulfilled" || sh["notify_customer"] != true ||
		sh["fulfilled_at"] == nil || sh["order_id"] != "gid://shopify/Order/1001" || sh["shop"] != "green.myshopify.com" {
		t.Fatalf("the API's fulfilled order: %d %v", status, o["shopify"])
	}
	_, o = e.api(tok, http.MethodGet, "/api/v1/orders/"+string(ids["#1002"]), nil)
	sh, _ = o["shopify"].(map[string]any)
	if sh == nil || sh["fulfilment"] != "failed" || !strings.Contains(sh["error"].(string), "on hold") || sh["retrying"] != nil {
		t.Fatalf("the API's refused order: %v", o["shopify"])
	}
	_, o = e.api(tok, http.MethodGet, "/api/v1/orders/"+string(ids["#1003"]), nil)
	if sh, _ = o["shopify"].(map[string]any); sh == nil || sh["fulfilment"] != "not_fulfilled" || sh["notify_customer"] != nil {
		t.Fatalf("the API's order not yet delivered: %v", o["shopify"])
	}
	// A manual order has no Shopify side.
	d := e.draft(tm.owner, "M-1")
	if _, o = e.api(tok, http.MethodGet, "/api/v1/orders/"+string(d.ID), nil); o["shopify"] != nil {
		t.Fatalf("a manual order has a Shopify side: %v", o["shopify"])
	}
}
