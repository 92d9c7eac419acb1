package connect_test

import (
	"slices"
	"testing"
	"time"

	"github.com/dispatchkit/connect"
)

// TestTheOrderShowsShopifysSideOfItsFulfillment follows an order of a client
// that fulfills when the route starts: not fulfilled while submitted; fulfilled,
// customer not notified, out for delivery once the route started and the
// outbox delivered; delivered as the last progress after that.
func TestTheOrderShowsShopifysSideOfItsFulfillment(t *testing.T) {
	shop := &fakeShop{orders: []connect.ShopifyOrder{shopOrder("#1001")}}
	w := newWorldWith(t, func(c *connect.Config) { c.Shopify = shop })
	if _, err := w.svc.LinkShopify(w.ctx, w.owner, "green.myshopify.com"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.UpdateFulfillment(w.ctx, w.owner, connect.FulfillmentSettings{AutoFulfill: true, Mode: connect.FulfillOnStart}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.ImportShopifyOrders(w.ctx, w.owner, []string{"#1001"}, connect.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	page, err := w.svc.Orders(w.ctx, w.owner, connect.ListOrdersParams{View: connect.ViewDrafts})
	if err != nil || len(page.Orders) != 1 {
		t.Fatalf("drafts %v, %v", page, err)
	}
	d := page.Orders[0]
	if _, err := w.svc.SubmitOrders(w.ctx, w.owner, []connect.OrderID{d.ID}); err != nil {
		t.Fatal(err)
	}
	deliver := func() { w.DeliverOutbox(connect.OutboxOptions{Backoff: func(int) time.Duration { return 0 }}) }
	deliver()
	if f := w.status(d.ID).ShopifyFulfillment; f == nil || *f != (connect.ShopifyFulfillment{}) {
		t.Fatalf("a submitted order's Shopify side: %+v, want not fulfilled", f)
	}
	w.route(ev("s1", d.ID, connect.EventSchedule, 0), ev("g1", d.ID, connect.EventStart, 5))
	if f := w.status(d.ID).ShopifyFulfillment; f.State != connect.ShopifyFulfillPending {
		t.Fatalf("before the outbox ran: %+v, want pending", f)
	}
	deliver()
	f := w.status(d.ID).ShopifyFulfillment
	if f.State != connect.ShopifyFulfilled || f.FulfilledAt.IsZero() || f.NotifyCustomer ||
		f.Progress != connect.FulfillmentOutForDelivery || f.Error != "" {
		t.Fatalf("after the route started: %+v", f)
	}
	w.route(ev("c1", d.ID, connect.EventComplete, 30))
	deliver()
	got := w.status(d.ID)
	if f := got.ShopifyFulfillment; f.Progress != connect.FulfillmentDelivered || f.ProgressAt.Before(f.FulfilledAt) {
		t.Fatalf("after delivery: %+v", f)
	}
	var timeline []connect.Event
	for _, ev := range got.History {
		if ev.Event == connect.EventShopifyFulfilled || ev.Event == connect.EventShopifyProgress {
			timeline = append(timeline, ev.Event)
		}
	}
	slices.Sort(timeline) // the fulfillment and the first progress go out together, in either order
	if want := []connect.Event{connect.EventShopifyFulfilled, connect.EventShopifyProgress, connect.EventShopifyProgress}; !slices.Equal(timeline, want) {
		t.Errorf("the timeline's Shopify events: %v, want %v", timeline, want)
	}
	// The outbox forgets delivered entries after a while; the history keeps them.
	if _, err := w.Store.PurgeOutboxAnyAccount(w.ctx, time.Now().Add(24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if f := w.status(d.ID).ShopifyFulfillment; *f != *got.ShopifyFulfillment {
		t.Errorf("after the outbox was purged: %+v, want %+v", f, got.ShopifyFulfillment)
	}
	// An order from elsewhere has no Shopify side.
	if f := w.status(w.draft(w.owner, "M-1").ID).ShopifyFulfillment; f != nil {
		t.Fatalf("a manual draft has a Shopify side: %+v", f)
	}
}
