package shopify_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/connecttest"
	"github.com/dispatchkit/connect/shopify"
	"github.com/dispatchkit/connect/shopify/shopifytest"
)

// order adds an order with two line items to the rig's shop.
func (r *rig) order() (shopifytest.Order, connect.ShopifyRef) {
	o := r.shop.AddOrder(shopifytest.Order{
		ShippingAddress: &shopifytest.Address{FirstName: "Ava", Address1: "1 Elm St", City: "Austin"},
		LineItems:       []shopifytest.LineItem{{Name: "Mug", SKU: "M", Quantity: 2}, {Name: "Jar", Quantity: 1}},
	})
	return o, connect.ShopifyRef{Shop: r.shop.Domain(), OrderID: o.ID}
}

func (r *rig) fulfillments(id string) []shopifytest.Fulfillment {
	o, ok := r.shop.Order(id)
	if !ok {
		r.t.Fatalf("no order %s in the fake", id)
	}
	return o.Fulfillments
}

var ignoreFulfillmentIDs = cmpopts.IgnoreFields(shopifytest.Fulfillment{}, "ID", "CreatedAt", "FulfillmentOrderIDs")

func TestFulfillWithAndWithoutNotification(t *testing.T) {
	t.Parallel()
	r := newRig(t, func(c *shopify.Config) { c.TrackingCompany = "Green Grocer Deliveries" })
	r.link()
	notified, notifiedRef := r.order()
	quiet, quietRef := r.order()
	if err := r.adapter.Fulfill(r.ctx, r.scope, connect.FulfillParams{Key: "k1", Order: notifiedRef, NotifyCustomer: true,
		TrackingURL: "https://portal.example/track/abc"}); err != nil {
		t.Fatal(err)
	}
	if err := r.adapter.Fulfill(r.ctx, r.scope, connect.FulfillParams{Key: "k2", Order: quietRef}); err != nil {
		t.Fatal(err)
	}
	want := []shopifytest.Fulfillment{{Status: "SUCCESS", NotifyCustomer: true, TrackingCompany: "Green Grocer Deliveries",
		TrackingNumbers: []string{"abc"}, TrackingURLs: []string{"https://portal.example/track/abc"}}}
	if d := cmp.Diff(want, r.fulfillments(notified.ID), ignoreFulfillmentIDs, cmpopts.EquateEmpty()); d != "" {
		t.Errorf("notified order's fulfillments (-want +got):\n%s", d)
	}
	want = []shopifytest.Fulfillment{{Status: "SUCCESS"}}
	if d := cmp.Diff(want, r.fulfillments(quiet.ID), ignoreFulfillmentIDs, cmpopts.EquateEmpty()); d != "" {
		t.Errorf("quiet order's fulfillments (-want +got):\n%s", d)
	}
	o, _ := r.shop.Order(quiet.ID)
	if o.DisplayFulfillmentStatus() != "FULFILLED" {
		t.Errorf("the order is %s, want FULFILLED", o.DisplayFulfillmentStatus())
	}
}

func TestFulfillTwiceFulfillsOnce(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.link()
	o, ref := r.order()
	for _, key := range []string{"k1", "k1", "another key"} {
		if err := r.adapter.Fulfill(r.ctx, r.scope, connect.FulfillParams{Key: key, Order: ref, NotifyCustomer: true}); err != nil {
			t.Fatalf("Fulfill %s: %v", key, err)
		}
	}
	if n := len(r.fulfillments(o.ID)); n != 1 {
		t.Errorf("%d fulfillments in Shopify, want 1", n)
	}
}

func TestFulfillRefusals(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.link()
	_, ref := r.order()
	gone := connect.ShopifyRef{Shop: r.shop.Domain(), OrderID: "gid://shopify/Order/1"}
	err := r.adapter.Fulfill(r.ctx, r.scope, connect.FulfillParams{Order: gone})
	connecttest.WantCode(t, err, connect.NotFound, "needs read_all_orders")

	other := ref
	other.Shop = "another.myshopify.com"
	err = r.adapter.Fulfill(r.ctx, r.scope, connect.FulfillParams{Order: other})
	connecttest.WantCode(t, err, connect.Forbidden, "another.myshopify.com")

	err = r.adapter.Fulfill(r.ctx, r.scope, connect.FulfillParams{Order: connect.ShopifyRef{Shop: r.shop.Domain(), OrderID: "#1001"}})
	connecttest.WantCode(t, err, connect.Invalid, "not a Shopify order id")

	r.shop.Uninstall()
	err = r.adapter.Fulfill(r.ctx, r.scope, connect.FulfillParams{Order: ref})
	connecttest.WantCode(t, err, connect.Forbidden, "uninstalled the app or revoked access")
}

func TestFulfillmentEvents(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.link()
	o, ref := r.order()
	eta := r.clock.Now().Add(90 * time.Minute).Truncate(time.Second)

	err := r.adapter.FulfillmentEvent(r.ctx, r.scope, connect.FulfillmentEventParams{Order: ref, Status: connect.FulfillmentOutForDelivery})
	connecttest.WantCode(t, err, connect.Conflict, "no fulfillment")

	if err := r.adapter.Fulfill(r.ctx, r.scope, connect.FulfillParams{Order: ref, TrackingURL: "https://portal.example/track/abc"}); err != nil {
		t.Fatal(err)
	}
	post := func(status connect.FulfillmentStatus, eta time.Time) {
		t.Helper()
		r.clock.Advance(time.Minute)
		if err := r.adapter.FulfillmentEvent(r.ctx, r.scope, connect.FulfillmentEventParams{Key: string(status), Order: ref, Status: status, ETA: eta}); err != nil {
			t.Fatalf("%s: %v", status, err)
		}
	}
	post(connect.FulfillmentOutForDelivery, eta)
	post(connect.FulfillmentOutForDelivery, eta) // a retry: already the latest
	post(connect.FulfillmentAttemptedDelivery, time.Time{})
	post(connect.FulfillmentOutForDelivery, eta.Add(time.Hour)) // out again after the failed attempt
	post(connect.FulfillmentDelivered, eta.Add(time.Hour))
	post(connect.FulfillmentDelivered, time.Time{})

	type event struct {
		Status string
		ETA    time.Time
	}
	var got []event
	for _, e := range r.fulfillments(o.ID)[0].Events {
		got = append(got, event{e.Status, e.EstimatedDeliveryAt})
	}
	want := []event{{"OUT_FOR_DELIVERY", eta}, {"ATTEMPTED_DELIVERY", time.Time{}}, {"OUT_FOR_DELIVERY", eta.Add(time.Hour)}, {"DELIVERED", time.Time{}}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("events in Shopify (-want +got):\n%s", d)
	}

	err = r.adapter.FulfillmentEvent(r.ctx, r.scope, connect.FulfillmentEventParams{Order: ref, Status: "lost"})
	connecttest.WantCode(t, err, connect.Invalid, "unknown fulfilment status")
}

func TestFulfillWaitsForAHeldOrder(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.link()
	o, ref := r.order()
	r.shop.Hold(o.ID, true)
	err := r.adapter.Fulfill(r.ctx, r.scope, connect.FulfillParams{Order: ref})
	connecttest.WantCode(t, err, connect.Conflict, "on hold")
	if n := len(r.fulfillments(o.ID)); n != 0 {
		t.Fatalf("%d fulfillments of a held order", n)
	}
	r.shop.Hold(o.ID, false)
	if err := r.adapter.Fulfill(r.ctx, r.scope, connect.FulfillParams{Order: ref}); err != nil {
		t.Fatal(err)
	}
	if n := len(r.fulfillments(o.ID)); n != 1 {
		t.Fatalf("%d fulfillments once released, want 1", n)
	}
}

func TestUnfulfilledOrdersRefusesACursorShopifyDidNotMake(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.link()
	_, err := r.adapter.UnfulfilledOrders(r.ctx, r.scope, "not-a-cursor", 10)
	connecttest.WantCode(t, err, connect.Invalid, "cursor")
}

// twoLocations adds an order stocked at two locations to the rig's shop.
func (r *rig) twoLocations() (shopifytest.Order, connect.ShopifyRef) {
	o := r.shop.AddOrder(shopifytest.Order{
		ShippingAddress: &shopifytest.Address{FirstName: "Ava", Address1: "1 Elm St", City: "Austin"},
		LineItems: []shopifytest.LineItem{
			{Name: "Mug", SKU: "M", Quantity: 2, Location: "North warehouse"},
			{Name: "Jar", Quantity: 1, Location: "South store"},
			{Name: "Lid", Quantity: 1, Location: "North warehouse"},
		},
	})
	return o, connect.ShopifyRef{Shop: r.shop.Domain(), OrderID: o.ID}
}

func TestFulfillOneFulfillmentPerLocation(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.link()
	o, ref := r.twoLocations()
	if len(o.FulfillmentOrders) != 2 {
		t.Fatalf("the fake made %d fulfillment orders, want one per location", len(o.FulfillmentOrders))
	}
	for _, key := range []string{"k1", "k1"} { // the retry finds nothing left
		if err := r.adapter.Fulfill(r.ctx, r.scope, connect.FulfillParams{Key: key, Order: ref, NotifyCustomer: true}); err != nil {
			t.Fatalf("Fulfill: %v", err)
		}
	}
	got, _ := r.shop.Order(o.ID)
	if got.DisplayFulfillmentStatus() != "FULFILLED" {
		t.Errorf("the order is %s, want FULFILLED", got.DisplayFulfillmentStatus())
	}
	var fulfilled [][]string
	for _, f := range got.Fulfillments {
		fulfilled = append(fulfilled, f.FulfillmentOrderIDs)
	}
	want := [][]string{{o.FulfillmentOrders[0].ID}, {o.FulfillmentOrders[1].ID}}
	if d := cmp.Diff(want, fulfilled); d != "" {
		t.Errorf("fulfillments' fulfillment orders (-want +got):\n%s", d)
	}

	// Progress goes on both parcels, once.
	for range 2 {
		if err := r.adapter.FulfillmentEvent(r.ctx, r.scope, connect.FulfillmentEventParams{Key: "e1", Order: ref, Status: connect.FulfillmentOutForDelivery}); err != nil {
			t.Fatalf("FulfillmentEvent: %v", err)
		}
	}
	for _, f := range r.fulfillments(o.ID) {
		if len(f.Events) != 1 || f.Events[0].Status != "OUT_FOR_DELIVERY" {
			t.Errorf("fulfillment %s has events %+v, want one OUT_FOR_DELIVERY", f.ID, f.Events)
		}
	}
}

func TestFakeRefusesTwoLocationsInOneFulfillment(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	o, _ := r.twoLocations()
	client, err := shopify.NewClient(shopify.ClientConfig{Shop: r.shop.Domain(), Token: shopify.StaticToken(r.shop.IssueToken()),
		HTTPClient: r.srv.Client(), Now: r.clock.Now, Sleep: r.clock.Sleep})
	if err != nil {
		t.Fatal(err)
	}
	res, err := shopify.FulfillmentCreate(r.ctx, client, shopify.FulfillmentInput{LineItemsByFulfillmentOrder: []shopify.FulfillmentOrderLineItemsInput{
		{FulfillmentOrderId: o.FulfillmentOrders[0].ID}, {FulfillmentOrderId: o.FulfillmentOrders[1].ID}}}, "")
	if err != nil {
		t.Fatal(err)
	}
	errs := res.FulfillmentCreate.UserErrors
	if len(errs) != 1 || !strings.HasPrefix(errs[0].Message, "All fulfillment orders must be assigned to a single location.") {
		t.Errorf("user errors %+v, want Shopify's single-location refusal", errs)
	}
	if n := len(r.fulfillments(o.ID)); n != 0 {
		t.Errorf("%d fulfillments, want none", n)
	}
}

func TestFulfillReportsTheLocationsFulfilledWhenAnotherIsRefused(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.link()
	o, ref := r.twoLocations()
	r.shop.RefuseFulfillmentAt("South store", "Fulfillment order is not assigned to a location the app can fulfil from.")
	err := r.adapter.Fulfill(r.ctx, r.scope, connect.FulfillParams{Key: "k1", Order: ref})
	if connect.ErrorCode(err) != connect.Invalid || !strings.Contains(err.Error(), "fulfilled at North warehouse; not at South store") {
		t.Fatalf("Fulfill = %v, want Invalid saying North warehouse was fulfilled and South store was not", err)
	}
	if n := len(r.fulfillments(o.ID)); n != 1 {
		t.Fatalf("%d fulfillments, want the North warehouse's", n)
	}
	r.shop.RefuseFulfillmentAt("South store", "")
	if err := r.adapter.Fulfill(r.ctx, r.scope, connect.FulfillParams{Key: "k1", Order: ref}); err != nil {
		t.Fatalf("retry: %v", err)
	}
	if n := len(r.fulfillments(o.ID)); n != 2 {
		t.Errorf("%d fulfillments after the retry, want 2 (one per location, none twice)", n)
	}
}
