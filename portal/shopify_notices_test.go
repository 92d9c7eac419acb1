package portal_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/connecttest"
)

// noticeShop is sideShop whose orders the merchant may cancel or edit.
type noticeShop struct {
	sideShop
	mu        sync.Mutex
	cancelled map[string]bool   // by name
	line1     map[string]string // an edited address, by name
}

func (s *noticeShop) LookupOrders(ctx context.Context, sc connect.Scope, refs []string) ([]connect.ShopifyOrder, error) {
	names := make([]string, len(refs))
	for i, r := range refs {
		names[i] = r
		if id, ok := strings.CutPrefix(r, "gid://shopify/Order/"); ok {
			names[i] = "#" + id
		}
	}
	out, err := s.sideShop.LookupOrders(ctx, sc, names)
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range out {
		if s.cancelled[out[i].Name] {
			out[i].Cancelled, out[i].Problem = true, "was cancelled in Shopify"
		}
		if l, ok := s.line1[out[i].Name]; ok {
			out[i].Input.Address.Line1 = l
		}
	}
	return out, err
}

// TestTheDispatcherSeesShopifyNotices: an order cancelled in Shopify while on a
// route, and one changed in Shopify after submission, are listed on the
// dispatcher's stops page with what happened, the unassigned one flagged in
// the stops list; a dispatcher of another account sees none of it.
func TestTheDispatcherSeesShopifyNotices(t *testing.T) {
	t.Parallel()
	shop := &noticeShop{cancelled: map[string]bool{}, line1: map[string]string{}}
	e := newEnvOnWorld(t, "", []connecttest.Option{connecttest.WithConfig(func(c *connect.Config) { c.Shopify = shop })})
	tm := e.signUp("Green Grocer", uploads)
	if _, err := e.svc.LinkShopify(e.ctx, tm.owner, "green.myshopify.com"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.ImportShopifyOrders(e.ctx, tm.owner, []string{"#1001", "#1002"}, connect.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	page, err := e.svc.Orders(e.ctx, tm.owner, connect.ListOrdersParams{View: connect.ViewDrafts})
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]connect.OrderID{}
	for _, o := range page.Orders {
		ids[o.Ref] = o.ID
	}
	if _, err := e.svc.SubmitOrders(e.ctx, tm.owner, []connect.OrderID{ids["#1001"], ids["#1002"]}); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.ApplyRouteEvents(e.ctx, connect.AsRouteSync(tm.client.Account), []connect.RouteEvent{{ID: "s1", Order: ids["#1001"],
		Event: connect.EventSchedule, At: time.Now(), Route: connect.RouteStop{RouteID: "r1", Position: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	if o, err := e.svc.Order(e.ctx, tm.owner, ids["#1001"]); err != nil || o.Status != connect.StatusScheduled {
		t.Fatalf("#1001 is not on a route: %+v, %v", o, err)
	}

	d := e.dispatcher()
	d.get("/dispatch/stops").is(t, http.StatusOK).lacks(t, "Shopify notices", "shopify-notice")

	shop.mu.Lock()
	shop.cancelled["#1001"], shop.line1["#1002"] = true, "9 Changed Rd"
	shop.mu.Unlock()
	webhook := connect.AsShopifyWebhook()
	if res, err := e.svc.ShopifyOrderCancelled(e.ctx, webhook, connect.ShopifyOrderChange{Shop: "green.myshopify.com",
		OrderID: "gid://shopify/Order/1001", Name: "#1001", CancelReason: "customer"}); err != nil || res.Noticed != 1 {
		t.Fatalf("orders/cancelled: %+v, %v", res, err)
	}
	if res, err := e.svc.ShopifyOrderUpdated(e.ctx, webhook, connect.ShopifyOrderChange{Shop: "green.myshopify.com",
		OrderID: "gid://shopify/Order/1002", Name: "#1002"}); err != nil || res.Noticed != 1 {
		t.Fatalf("orders/updated: %+v, %v", res, err)
	}

	got := d.get("/dispatch/stops").is(t, http.StatusOK)
	got.has(t, `id="shopify-notices"`, "Shopify notices", `data-order="`+string(ids["#1001"])+`" data-notice="shopify_cancel"`,
		"Cancelled in Shopify", "cancelled in Shopify (reason: customer)", "until the dispatcher takes it off its route",
		`data-order="`+string(ids["#1002"])+`" data-notice="shopify_change"`, "Changed in Shopify", "changed after submission (address)",
		"Green Grocer", string(tm.client.Number))
	// The unassigned stop (#1002) carries its notice in the stops list too.
	got.has(t, `<span class="badge shopify-notice" title="Shopify order #1002 changed after submission (address); this order keeps what was submitted">Changed in Shopify</span>`)

	other := e.browser()
	other.header.Set("X-Test-Dispatcher", "acct-2")
	other.get("/dispatch/stops").is(t, http.StatusOK).lacks(t, "Shopify notices", "#1001", "#1002", "Cancelled in Shopify", "Green Grocer")
	e.signedIn(tm.email).get("/dispatch/stops").lacks(t, "Shopify notices", "Cancelled in Shopify") // a client is no dispatcher

	// Taken off its route by the dispatcher, the cancelled order leaves the notices.
	if _, err := e.svc.CancelOrder(e.ctx, e.disp, ids["#1001"], "cancelled in Shopify"); err != nil {
		t.Fatal(err)
	}
	after := d.get("/dispatch/stops").is(t, http.StatusOK)
	after.lacks(t, "Cancelled in Shopify")
	after.has(t, "Changed in Shopify")
}
