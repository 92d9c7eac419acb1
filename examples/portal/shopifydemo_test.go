package main

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/shopify/shopifytest"
)

// TestTheDemoSendsOrderEditsAndCancellationsFromItsFakeShopify: three orders of
// the demo store are imported, one left a draft, one submitted, one routed.
// On the demo's fake Shopify admin, the merchant edits the draft's order
// (orders/updated: the draft follows) and cancels the other two
// (orders/cancelled: the submitted one is withdrawn, the routed one stays on
// its route and the dispatcher sees the notice on the console).
func TestTheDemoSendsOrderEditsAndCancellationsFromItsFakeShopify(t *testing.T) {
	th := startHost(t, t.TempDir())
	if th.shopifyFake == nil {
		t.Fatal("no fake Shopify")
	}
	ctx := context.Background()
	shop := th.shopifyFake.Shop(demoShop)
	var picked []shopifytest.Order
	for _, o := range shop.Orders() {
		if len(picked) < 3 && !o.Cancelled && o.ShippingAddress != nil && o.Note != twoLocationOrder {
			picked = append(picked, o)
		}
	}
	if len(picked) != 3 {
		t.Fatalf("the demo store has %d orders to use", len(picked))
	}
	draft, submitted, routed := picked[0], picked[1], picked[2]

	acc := th.linkDemoStore(t)
	imp, err := th.svc.ImportShopifyOrders(ctx, acc.Actor, []string{draft.ID, submitted.ID, routed.ID}, connect.ImportOptions{})
	if err != nil || imp.Imported != 3 {
		t.Fatalf("import: %+v, %v", imp, err)
	}
	drafts, err := th.svc.Orders(ctx, acc.Actor, connect.ListOrdersParams{View: connect.ViewDrafts})
	if err != nil {
		t.Fatal(err)
	}
	ours := map[string]connect.OrderID{}
	for _, o := range drafts.Orders {
		ours[o.Shopify.OrderID] = o.ID
	}
	if _, err := th.svc.SubmitOrders(ctx, acc.Actor, []connect.OrderID{ours[submitted.ID], ours[routed.ID]}); err != nil {
		t.Fatal(err)
	}
	d := th.client()
	th.form(t, d, "/demo/login", url.Values{"email": {dispatcherEmail}, "password": {th.state.DispatcherPassword}})
	if r := th.form(t, d, "/demo/routes", url.Values{"order": {string(ours[routed.ID])}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("build route: %d", r.StatusCode)
	}

	status, page := th.get(t, d, "/demo/shopify")
	if status != http.StatusOK || !strings.Contains(page, `data-shopify-order="`+draft.Name+`"`) {
		t.Fatalf("the fake Shopify admin answered %d:\n%s", status, page)
	}
	change := func(action string, o shopifytest.Order, topic string) {
		t.Helper()
		r := th.form(t, d, "/demo/shopify/"+action, url.Values{"order": {o.ID}})
		if r.StatusCode != http.StatusSeeOther {
			t.Fatalf("%s %s: %d", action, o.Name, r.StatusCode)
		}
		_, after := th.get(t, d, r.Header.Get("Location"))
		if want := "Shopify sent " + topic + " for " + o.Name + "; the portal answered 200."; !strings.Contains(html.UnescapeString(after), want) {
			t.Fatalf("after %s of %s the page lacks %q", action, o.Name, want)
		}
	}
	read := func(o shopifytest.Order) *connect.Order {
		t.Helper()
		got, err := th.svc.Order(ctx, acc.Actor, ours[o.ID])
		if err != nil {
			t.Fatal(err)
		}
		return got
	}

	change("edit", draft, "orders/updated")
	if got := read(draft); !strings.Contains(got.Notes, "Edited in Shopify") || !strings.Contains(got.Address.Line2, "Back door") ||
		got.History[len(got.History)-1].Event != connect.EventShopifyUpdate {
		t.Errorf("the draft after the edit: notes %q, address %+v, last event %+v", got.Notes, got.Address, got.History[len(got.History)-1])
	}
	change("cancel", submitted, "orders/cancelled")
	if got := read(submitted); got.Status != connect.StatusDraft || got.History[len(got.History)-1].Event != connect.EventWithdraw {
		t.Errorf("the submitted order after the cancel: %s, %+v", got.Status, got.History[len(got.History)-1])
	}
	change("cancel", routed, "orders/cancelled")
	if got := read(routed); got.Status != connect.StatusScheduled || got.History[len(got.History)-1].Event != connect.EventShopifyCancel {
		t.Errorf("the routed order after the cancel: %s, %+v", got.Status, got.History[len(got.History)-1])
	}
	if _, stops := th.get(t, d, "/dispatch/stops"); !strings.Contains(stops, "Cancelled in Shopify") || !strings.Contains(stops, routed.Name) {
		t.Errorf("the dispatcher's console lacks the notice of %s", routed.Name)
	}
	if _, after := th.get(t, d, "/demo/shopify"); !strings.Contains(after, "cancelled (customer)") {
		t.Error("the fake admin does not show the cancellations")
	}
}

// linkDemoStore signs up the seeded invitation's owner, who signs in and links
// the fake Shopify's demo store through the install; it returns the owner.
func (th *testHost) linkDemoStore(t *testing.T) *connect.Accepted {
	t.Helper()
	acc, err := th.svc.AcceptInvite(context.Background(), strings.TrimPrefix(th.inviteLink(), th.base+"/invite/"),
		connect.SignUp{Name: "Gina", Email: "gina@greengrocer.test", Password: "long enough password"})
	if err != nil {
		t.Fatal(err)
	}
	c := th.client()
	th.form(t, c, "/signin", url.Values{"email": {"gina@greengrocer.test"}, "password": {"long enough password"}})
	res, err := c.Get(th.base + "/shopify/install?shop=")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if _, err := c.Get(th.base + res.Header.Get("Location")); err != nil { // the callback
		t.Fatal(err)
	}
	return acc
}
