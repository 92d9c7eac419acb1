package connect_test

import (
	"strings"
	"testing"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/connecttest"
)

// shopifySyncWorld is a client linked to a fake shop whose orders #1001…#1005
// were imported: #1001 stays a draft, #1002 is submitted, #1003 scheduled,
// #1004 en route and #1005 delivered.
type shopifySyncWorld struct {
	*world
	shop   *fakeShop
	orders map[string]*connect.Order // by name
}

func newShopifySyncWorld(t *testing.T) *shopifySyncWorld {
	t.Helper()
	names := []string{"#1001", "#1002", "#1003", "#1004", "#1005"}
	shop := &fakeShop{}
	for _, n := range names {
		shop.orders = append(shop.orders, shopOrder(n))
	}
	w := newWorldWith(t, func(c *connect.Config) { c.Shopify = shop })
	if _, err := w.svc.LinkShopify(w.ctx, w.owner, "green.myshopify.com"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.ImportShopifyOrders(w.ctx, w.owner, names, connect.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	sw := &shopifySyncWorld{world: w, shop: shop, orders: map[string]*connect.Order{}}
	page, err := w.svc.Orders(w.ctx, w.owner, connect.ListOrdersParams{View: connect.ViewDrafts})
	if err != nil || len(page.Orders) != len(names) {
		t.Fatalf("imported %d drafts, %v", len(page.Orders), err)
	}
	var ids []connect.OrderID
	for _, o := range page.Orders {
		sw.orders[o.Ref] = o
		if o.Ref != "#1001" {
			ids = append(ids, o.ID)
		}
	}
	if _, err := w.svc.SubmitOrders(w.ctx, w.owner, ids); err != nil {
		t.Fatal(err)
	}
	w.route(ev("s3", sw.orders["#1003"].ID, connect.EventSchedule, 0),
		ev("s4", sw.orders["#1004"].ID, connect.EventSchedule, 0), ev("g4", sw.orders["#1004"].ID, connect.EventStart, 5),
		ev("s5", sw.orders["#1005"].ID, connect.EventSchedule, 0), ev("d5", sw.orders["#1005"].ID, connect.EventComplete, 9))
	return sw
}

// order reads the order imported as name, with its history.
func (w *shopifySyncWorld) order(name string) *connect.Order {
	w.t.Helper()
	return w.status(w.orders[name].ID)
}

// change edits the fake shop's order as the merchant did in Shopify.
func (w *shopifySyncWorld) change(name string, edit func(in *connect.OrderInput)) {
	for i := range w.shop.orders {
		if w.shop.orders[i].Name == name {
			edit(&w.shop.orders[i].Input)
		}
	}
}

func (w *shopifySyncWorld) gid(name string) string { return "gid://shopify/Order/" + name[1:] }

func lastEvent(o *connect.Order) connect.OrderEvent { return o.History[len(o.History)-1] }

func TestShopifyOrderUpdatedReimportsDraftsAndTellsOfTheRest(t *testing.T) {
	w := newShopifySyncWorld(t)
	webhook := connect.AsShopifyWebhook()
	update := func(name string) connect.ShopifySyncResult {
		t.Helper()
		res, err := w.svc.ShopifyOrderUpdated(w.ctx, webhook, connect.ShopifyOrderChange{Shop: "green.myshopify.com", OrderID: w.gid(name)})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}

	t.Run("only Shopify's webhooks may", func(t *testing.T) {
		_, err := w.svc.ShopifyOrderUpdated(w.ctx, w.owner, connect.ShopifyOrderChange{Shop: "green.myshopify.com", OrderID: w.gid("#1001")})
		connecttest.WantCode(t, err, connect.Forbidden)
		_, err = w.svc.ShopifyOrderUpdated(w.ctx, webhook, connect.ShopifyOrderChange{Shop: "green.myshopify.com"})
		connecttest.WantCode(t, err, connect.Invalid)
	})

	t.Run("an update that changes nothing mapped changes nothing", func(t *testing.T) {
		before := w.order("#1001")
		if res := update("#1001"); res != (connect.ShopifySyncResult{}) {
			t.Fatalf("result %+v, want nothing done", res)
		}
		if after := w.order("#1001"); after.Version != before.Version {
			t.Fatalf("the draft moved from version %d to %d", before.Version, after.Version)
		}
	})

	t.Run("a draft takes Shopify's fields and keeps the client's own", func(t *testing.T) {
		d := w.order("#1001")
		edited := d.OrderInput
		edited.Address.Unit, edited.StopType, edited.PackageCount = "Flat 2", connect.Pickup, 3
		if _, err := w.svc.UpdateDraft(w.ctx, w.owner, d.ID, d.Version, edited); err != nil {
			t.Fatal(err)
		}
		w.change("#1001", func(in *connect.OrderInput) {
			in.Address.Line1 = "9 New St"
			in.Notes = "Ring twice"
		})
		if res := update("#1001"); res != (connect.ShopifySyncResult{Updated: 1}) {
			t.Fatalf("result %+v, want one draft updated", res)
		}
		got := w.order("#1001")
		if got.Address.Line1 != "9 New St" || got.Notes != "Ring twice" {
			t.Errorf("the draft did not take Shopify's address and notes: %+v, %q", got.Address, got.Notes)
		}
		if got.Address.Unit != "Flat 2" || got.StopType != connect.Pickup || got.PackageCount != 3 {
			t.Errorf("the draft lost the client's unit, stop type or package count: %+v", got.OrderInput)
		}
		if ev := lastEvent(got); ev.Event != connect.EventShopifyUpdate || !strings.Contains(ev.Reason, "address, notes") || ev.By != "Shopify" {
			t.Errorf("last event %+v, want a shopify_update naming address and notes", ev)
		}

		w.change("#1001", func(in *connect.OrderInput) {
			in.Products = []connect.Product{{Name: "Mug", Quantity: 2}}
			in.PackageCount = 2
		})
		update("#1001")
		if got := w.order("#1001"); got.PackageCount != 2 || len(got.Products) != 1 || got.Products[0].Quantity != 2 {
			t.Errorf("new products in Shopify: the draft has %+v, %d packages", got.Products, got.PackageCount)
		}
	})

	t.Run("orders past the drafts are left as they are and the change is told once", func(t *testing.T) {
		for _, name := range []string{"#1002", "#1003", "#1004", "#1005"} {
			w.change(name, func(in *connect.OrderInput) { in.Address.Line1 = "7 Other Rd" })
			before := w.order(name)
			res := update(name)
			after := w.order(name)
			if after.Address != before.Address || after.Status != before.Status {
				t.Errorf("%s changed: %+v → %+v", name, before, after)
			}
			if name == "#1005" {
				if res != (connect.ShopifySyncResult{}) || len(after.History) != len(before.History) {
					t.Errorf("the delivered %s got %+v and events %+v", name, res, after.History[len(before.History):])
				}
				continue
			}
			if res != (connect.ShopifySyncResult{Noticed: 1}) {
				t.Errorf("%s: result %+v, want one notice", name, res)
			}
			ev := lastEvent(after)
			if ev.Event != connect.EventShopifyChange || ev.From != before.Status || ev.To != before.Status ||
				!strings.Contains(ev.Reason, "changed after submission (address)") {
				t.Errorf("%s: last event %+v, want a shopify_change naming the address", name, ev)
			}
			if res := update(name); res != (connect.ShopifySyncResult{}) {
				t.Errorf("%s: the same change told again: %+v", name, res)
			}
		}
	})

	t.Run("an order cancelled in Shopify is left to orders/cancelled", func(t *testing.T) {
		w.change("#1001", func(in *connect.OrderInput) { in.Notes = "cancelled" })
		for i := range w.shop.orders {
			if w.shop.orders[i].Name == "#1001" {
				w.shop.orders[i].Cancelled, w.shop.orders[i].Problem = true, "was cancelled in Shopify"
			}
		}
		if res := update("#1001"); res != (connect.ShopifySyncResult{}) {
			t.Fatalf("result %+v, want nothing done", res)
		}
	})
}

func TestShopifyOrderCancelledWithdrawsWhatIsNotOnARoute(t *testing.T) {
	w := newShopifySyncWorld(t)
	w.DeliverOutbox(connect.OutboxOptions{})
	synced := len(w.RouteSync.Changes())
	webhook := connect.AsShopifyWebhook()
	send := func(name string) connect.ShopifySyncResult {
		t.Helper()
		res, err := w.svc.ShopifyOrderCancelled(w.ctx, webhook, connect.ShopifyOrderChange{Shop: "green.myshopify.com",
			OrderID: w.gid(name), Name: name, CancelReason: "customer"})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	// cancel cancels the order in the shop, then sends the webhook.
	cancel := func(name string) connect.ShopifySyncResult {
		t.Helper()
		for i := range w.shop.orders {
			if w.shop.orders[i].Name == name {
				w.shop.orders[i].Cancelled = true
			}
		}
		return send(name)
	}
	_, err := w.svc.ShopifyOrderCancelled(w.ctx, w.owner, connect.ShopifyOrderChange{Shop: "green.myshopify.com", OrderID: w.gid("#1001")})
	connecttest.WantCode(t, err, connect.Forbidden)

	// Shopify, read again, says the order is open: the webhook's word
	// changes nothing.
	for _, name := range []string{"#1001", "#1002", "#1003"} {
		before := w.order(name)
		if res := send(name); res != (connect.ShopifySyncResult{}) {
			t.Errorf("%s, open in Shopify: result %+v, want nothing done", name, res)
		}
		if after := w.order(name); after.Version != before.Version || after.Status != before.Status {
			t.Errorf("%s, open in Shopify, changed: %s v%d → %s v%d", name, before.Status, before.Version, after.Status, after.Version)
		}
	}

	if res := cancel("#1001"); res != (connect.ShopifySyncResult{Deleted: 1}) {
		t.Errorf("draft: result %+v, want it deleted", res)
	}
	_, err = w.svc.Order(w.ctx, w.owner, w.orders["#1001"].ID)
	connecttest.WantCode(t, err, connect.NotFound)

	if res := cancel("#1002"); res != (connect.ShopifySyncResult{Withdrawn: 1}) {
		t.Errorf("submitted: result %+v, want it withdrawn", res)
	}
	got := w.order("#1002")
	if ev := lastEvent(got); got.Status != connect.StatusDraft || ev.Event != connect.EventWithdraw || ev.By != "Shopify" ||
		!strings.Contains(ev.Reason, "cancelled in Shopify (reason: customer)") {
		t.Errorf("submitted order after the cancel: %s, last event %+v", got.Status, ev)
	}
	w.DeliverOutbox(connect.OutboxOptions{})
	changes := w.RouteSync.Changes()[synced:]
	if len(changes) != 1 || changes[0].Event != connect.EventWithdraw || changes[0].Order.ID != got.ID {
		t.Errorf("the host heard %+v, want the withdrawal of %s", changes, got.ID)
	}

	for _, name := range []string{"#1003", "#1004"} {
		before := w.order(name)
		if res := cancel(name); res != (connect.ShopifySyncResult{Noticed: 1}) {
			t.Errorf("%s: result %+v, want a notice", name, res)
		}
		after := w.order(name)
		ev := lastEvent(after)
		if after.Status != before.Status || after.Route != before.Route || ev.Event != connect.EventShopifyCancel ||
			!strings.Contains(ev.Reason, "until the dispatcher") {
			t.Errorf("%s on a route after the cancel: %s %+v, last event %+v", name, after.Status, after.Route, ev)
		}
		if res := cancel(name); res != (connect.ShopifySyncResult{}) {
			t.Errorf("%s: told twice: %+v", name, res)
		}
	}
	// The dispatcher's live feed has the notices.
	var told int
	page, err := w.svc.Orders(w.ctx, w.disp, connect.ListOrdersParams{View: connect.ViewActive})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range page.Orders {
		full, err := w.svc.Order(w.ctx, w.disp, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range full.History {
			if ev.Event == connect.EventShopifyCancel {
				told++
			}
		}
	}
	if told != 2 {
		t.Errorf("the dispatcher sees %d cancellation notices, want 2", told)
	}

	before := w.order("#1005")
	if res := cancel("#1005"); res != (connect.ShopifySyncResult{}) {
		t.Errorf("delivered: result %+v, want nothing", res)
	}
	if after := w.order("#1005"); len(after.History) != len(before.History) {
		t.Errorf("the delivered order got events %+v", after.History[len(before.History):])
	}
	if len(w.RouteSync.Changes()) != synced+1 {
		t.Errorf("the host heard %d changes, want only the withdrawal", len(w.RouteSync.Changes())-synced)
	}
}
