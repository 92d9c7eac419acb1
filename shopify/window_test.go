package shopify_test

import (
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/connecttest"
	"github.com/dispatchkit/connect/shopify"
	"github.com/dispatchkit/connect/shopify/shopifytest"
)

// Shopify shows an app without read_all_orders only the last 60 days' orders,
// answering an older one as if it did not exist: the adapter says so, rather
// than "not found", and Config.ReadAllOrders asks for the permission.
func TestOrdersOlderThan60DaysNeedReadAllOrders(t *testing.T) {
	t.Parallel()
	addr := &shopifytest.Address{FirstName: "Ava", Address1: "1 Elm St", City: "Austin"}
	mug := []shopifytest.LineItem{{Name: "Mug", Quantity: 1}}
	seed := func(r *rig) (old, recent shopifytest.Order) {
		old = r.shop.AddOrder(shopifytest.Order{CreatedAt: r.clock.Now().Add(-61 * 24 * time.Hour), ShippingAddress: addr, LineItems: mug})
		recent = r.shop.AddOrder(shopifytest.Order{CreatedAt: r.clock.Now().Add(-59 * 24 * time.Hour), ShippingAddress: addr, LineItems: mug})
		return old, recent
	}

	t.Run("without read_all_orders", func(t *testing.T) {
		t.Parallel()
		r := newRig(t)
		old, recent := seed(r)
		r.link()
		got, err := r.adapter.LookupOrders(r.ctx, r.scope, []string{old.Name, old.ID, recent.Name})
		if err != nil {
			t.Fatal(err)
		}
		for i, want := range []string{shopify.ProblemNeedsReadAllOrders, shopify.ProblemNeedsReadAllOrders, ""} {
			if got[i].Problem != want {
				t.Errorf("ref %d (%s): problem %q; want %q", i, got[i].Name, got[i].Problem, want)
			}
		}
		if !strings.Contains(shopify.ProblemNeedsReadAllOrders, "needs read_all_orders") {
			t.Errorf("the problem %q does not say what is needed", shopify.ProblemNeedsReadAllOrders)
		}
		page, err := r.adapter.UnfulfilledOrders(r.ctx, r.scope, "", 50)
		if err != nil || len(page.Orders) != 1 || page.Orders[0].Ref.OrderID != recent.ID {
			t.Fatalf("UnfulfilledOrders = %+v, %v; want the recent order alone", page, err)
		}
		// An order imported on its 59th day and delivered on its 61st.
		r.clock.Advance(2 * 24 * time.Hour)
		err = r.adapter.Fulfill(r.ctx, r.scope, connect.FulfillParams{Key: "k", Order: connect.ShopifyRef{Shop: r.shop.Domain(), OrderID: recent.ID}})
		connecttest.WantCode(t, err, connect.NotFound, "needs read_all_orders")
	})

	t.Run("with Config.ReadAllOrders", func(t *testing.T) {
		t.Parallel()
		r := newRig(t, func(c *shopify.Config) { c.ReadAllOrders = true })
		old, _ := seed(r)
		start := r.start("owner", r.shop.Domain())
		approve, _ := url.Parse(start.Header().Get("Location"))
		if scopes := strings.Split(approve.Query().Get("scope"), ","); !slices.Contains(scopes, "read_all_orders") {
			t.Fatalf("the install asks for %v; want read_all_orders among them", scopes)
		}
		r.callback("owner", r.approve(start))
		if _, tok := r.storedToken(r.scope); !slices.Contains(tok.Scopes, "read_all_orders") {
			t.Fatalf("granted %v", tok.Scopes)
		}
		got, err := r.adapter.LookupOrders(r.ctx, r.scope, []string{old.Name, "#9999"})
		if err != nil {
			t.Fatal(err)
		}
		if got[0].Problem != "" || got[0].Ref.OrderID != old.ID {
			t.Errorf("the old order: %+v", got[0])
		}
		if got[1].Problem != shopify.ProblemNotFound {
			t.Errorf("a missing order: problem %q; want %q", got[1].Problem, shopify.ProblemNotFound)
		}
	})
}
