package shopify_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dispatchkit/connect/shopify"
	"github.com/dispatchkit/connect/shopify/shopifytest"
)

func TestListOrdersPagesThroughSixHundredOrders(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	seeded := f.shop.Seed(600)
	const lineItems = 5 // the seed has at most 4
	size := shopify.OrdersPageSize(lineItems)
	ctx := context.Background()

	var got []string
	after, pages := "", 0
	for {
		page, err := shopify.ListOrders(ctx, f.client, size, after, shopify.OpenUnfulfilled, shopify.OrderSortKeysCreatedAt, false, lineItems)
		if err != nil {
			t.Fatalf("page %d: %v", pages+1, err)
		}
		pages++
		for _, o := range page.Orders.Nodes {
			got = append(got, o.Name)
			if o.LineItems.PageInfo.HasNextPage {
				t.Errorf("%s has more than %d line items", o.Name, lineItems)
			}
		}
		if !page.Orders.PageInfo.HasNextPage {
			break
		}
		after = page.Orders.PageInfo.EndCursor
	}

	want := make([]string, len(seeded))
	for i, o := range seeded {
		want[i] = o.Name // seeded oldest first, as CREATED_AT sorts
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("orders paged through (-want +got):\n%s", d)
	}
	if wantPages := (600 + size - 1) / size; pages != wantPages {
		t.Errorf("%d pages of %d; want %d", pages, size, wantPages)
	}
	st := f.shop.Stats()
	if st.Throttled != 0 {
		t.Errorf("throttled %d times; the client should have waited for the bucket instead", st.Throttled)
	}
	if st.LowestAvailable < 0 {
		t.Errorf("the bucket went down to %v", st.LowestAvailable)
	}
	if st.Requested > pages*shopify.MaxQueryCost {
		t.Errorf("requested %d points in %d pages: some page was over %d", st.Requested, pages, shopify.MaxQueryCost)
	}
}

func TestListOrdersReturnsWhatTheShopHas(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	lat, lng := 30.2747, -97.7404
	stored := f.shop.AddOrder(shopifytest.Order{
		Number: 1042, Note: "Gate code 4417.", Email: "ava@example.com", Phone: "+15125550100",
		CreatedAt: time.Date(2026, 11, 1, 15, 4, 5, 0, time.UTC),
		ShippingAddress: &shopifytest.Address{
			FirstName: "Ava", LastName: "Nguyen", Company: "Eastside Yoga", Address1: "100 Congress Ave", Address2: "Suite 2",
			City: "Austin", Province: "Texas", ProvinceCode: "TX", Zip: "78701", Country: "United States", CountryCode: "US",
			Phone: "+15125550101", Latitude: &lat, Longitude: &lng,
		},
		LineItems: []shopifytest.LineItem{{Name: "Hand-thrown Mug", SKU: "HTM-BLU", Quantity: 2}, {Name: "Gift card", Quantity: 1, NoShipping: true}},
	})
	page, err := shopify.ListOrders(context.Background(), f.client, 10, "", shopify.OpenUnfulfilled, shopify.OrderSortKeysCreatedAt, false, 10)
	if err != nil {
		t.Fatal(err)
	}
	want := []shopify.OrderFields{{
		Id: stored.ID, Name: "#1042", CreatedAt: stored.CreatedAt, Note: "Gate code 4417.",
		Email: "ava@example.com", Phone: "+15125550100",
		DisplayFulfillmentStatus: shopify.OrderDisplayFulfillmentStatusUnfulfilled,
		ShippingAddress: &shopify.ShippingAddress{
			Name: "Ava Nguyen", FirstName: "Ava", LastName: "Nguyen", Company: "Eastside Yoga",
			Address1: "100 Congress Ave", Address2: "Suite 2", City: "Austin", Province: "Texas", ProvinceCode: "TX",
			Zip: "78701", Country: "United States", CountryCodeV2: shopify.CountryCodeUs, Phone: "+15125550101",
			Latitude: &lat, Longitude: &lng,
		},
		LineItems: shopify.OrderLineItems{Nodes: []shopify.OrderLineItem{
			{Name: "Hand-thrown Mug", CurrentQuantity: 2, Sku: "HTM-BLU", RequiresShipping: true},
			{Name: "Gift card", CurrentQuantity: 1},
		}},
	}}
	if d := cmp.Diff(want, page.Orders.Nodes); d != "" {
		t.Errorf("ListOrders (-want +got):\n%s", d)
	}
}

func TestOrdersByIDAndByName(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	seeded := f.shop.Seed(10)
	ctx := context.Background()

	byID, err := shopify.OrdersByID(ctx, f.client, []string{seeded[2].ID, "gid://shopify/Order/1", seeded[7].ID}, 5)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, n := range byID.Nodes {
		switch n := n.(type) {
		case nil:
			names = append(names, "(none)")
		case *shopify.OrdersByIDNodesOrder:
			names = append(names, n.Name)
		default:
			t.Errorf("node of type %T", n)
		}
	}
	if d := cmp.Diff([]string{seeded[2].Name, "(none)", seeded[7].Name}, names); d != "" {
		t.Errorf("OrdersByID, in the order asked (-want +got):\n%s", d)
	}

	byName, err := shopify.OrdersByName(ctx, f.client, shopify.NameQuery([]string{"#1004", "1009", "#9999"}), 3, 5)
	if err != nil {
		t.Fatal(err)
	}
	names = nil
	for _, o := range byName.Orders.Nodes {
		names = append(names, o.Name)
	}
	slices.Sort(names)
	if d := cmp.Diff([]string{"#1004", "#1009"}, names); d != "" {
		t.Errorf("OrdersByName (-want +got):\n%s", d)
	}
}

func TestNameQuery(t *testing.T) {
	t.Parallel()
	tests := map[string][]string{
		"name:1001 OR name:1002":      {"#1001", "1002"},
		"name:1001-A":                 {" #1001-A "},
		`name:"EN 1001" OR name:1003`: {"EN 1001", "", "#", "1003"},
		"":                            nil,
	}
	for want, names := range tests {
		if got := shopify.NameQuery(names); got != want {
			t.Errorf("NameQuery(%q) = %q; want %q", names, got, want)
		}
	}
}

func TestFulfillmentCreateClosesTheFulfillmentOrders(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	o := f.shop.Seed(3)[1]
	ctx := context.Background()

	fos, err := shopify.FulfillmentOrders(ctx, f.client, o.ID, 5)
	if err != nil {
		t.Fatal(err)
	}
	if fos.Order == nil || len(fos.Order.FulfillmentOrders.Nodes) != 1 {
		t.Fatalf("FulfillmentOrders = %+v; want the order's one fulfillment order", fos.Order)
	}
	fo := fos.Order.FulfillmentOrders.Nodes[0]
	if fo.Status != shopify.FulfillmentOrderStatusOpen || !slices.Contains(actions(fo), shopify.FulfillmentOrderActionCreateFulfillment) {
		t.Fatalf("fulfillment order %+v; want OPEN with CREATE_FULFILLMENT", fo)
	}
	if fo.AssignedLocation.Name != shopifytest.DefaultLocation || fo.AssignedLocation.Location == nil || fo.AssignedLocation.Location.Id != o.FulfillmentOrders[0].Location.ID {
		t.Errorf("fulfillment order assigned to %+v; want the shop's location %+v", fo.AssignedLocation, o.FulfillmentOrders[0].Location)
	}

	input := shopify.FulfillmentInput{
		LineItemsByFulfillmentOrder: []shopify.FulfillmentOrderLineItemsInput{{FulfillmentOrderId: fo.Id}},
		NotifyCustomer:              true,
		TrackingInfo:                &shopify.FulfillmentTrackingInput{Url: "https://track.example/abc"},
	}
	res, err := shopify.FulfillmentCreate(ctx, f.client, input, "Delivered by Dispatch")
	if err != nil {
		t.Fatal(err)
	}
	if p := res.FulfillmentCreate; p.Fulfillment == nil || len(p.UserErrors) != 0 || p.Fulfillment.Status != shopify.FulfillmentStatusSuccess {
		t.Fatalf("FulfillmentCreate = %+v; want a SUCCESS fulfillment and no user errors", p)
	}
	after, _ := f.shop.Order(o.ID)
	if after.FulfillmentOrders[0].Status != "CLOSED" || after.DisplayFulfillmentStatus() != "FULFILLED" {
		t.Errorf("after fulfilling: fulfillment order %s, order %s; want CLOSED and FULFILLED",
			after.FulfillmentOrders[0].Status, after.DisplayFulfillmentStatus())
	}
	got := after.Fulfillments[0]
	if !got.NotifyCustomer || got.Message != "Delivered by Dispatch" || !slices.Equal(got.TrackingURLs, []string{"https://track.example/abc"}) {
		t.Errorf("fulfillment recorded as %+v; want notify, message and tracking URL", got)
	}

	// Fulfilling again is refused with a user error, not an error.
	res, err = shopify.FulfillmentCreate(ctx, f.client, input, "")
	if err != nil {
		t.Fatal(err)
	}
	if p := res.FulfillmentCreate; p.Fulfillment != nil || len(p.UserErrors) != 1 {
		t.Errorf("fulfilling a closed fulfillment order = %+v; want one user error", p)
	}

	// It is no longer open and unfulfilled.
	page, err := listPage(ctx, f.client, 10, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range page.Orders.Nodes {
		if n.Id == o.ID {
			t.Errorf("%s is still listed as unfulfilled", o.Name)
		}
	}
	if len(page.Orders.Nodes) != 2 {
		t.Errorf("%d open unfulfilled orders; want 2", len(page.Orders.Nodes))
	}
}

func actions(fo shopify.FulfillmentOrder) []shopify.FulfillmentOrderAction {
	var out []shopify.FulfillmentOrderAction
	for _, a := range fo.SupportedActions {
		out = append(out, a.Action)
	}
	return out
}

func TestFulfillmentEventCreate(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	o := f.shop.Seed(1)[0]
	ctx := context.Background()
	res, err := shopify.FulfillmentCreate(ctx, f.client, shopify.FulfillmentInput{
		LineItemsByFulfillmentOrder: []shopify.FulfillmentOrderLineItemsInput{{FulfillmentOrderId: o.FulfillmentOrders[0].ID}},
	}, "")
	if err != nil || res.FulfillmentCreate.Fulfillment == nil {
		t.Fatalf("FulfillmentCreate = %+v, %v", res, err)
	}
	at := time.Date(2026, 11, 2, 14, 30, 0, 0, time.UTC)
	ev, err := shopify.FulfillmentEventCreate(ctx, f.client, shopify.FulfillmentEventInput{
		FulfillmentId: res.FulfillmentCreate.Fulfillment.Id,
		Status:        shopify.FulfillmentEventStatusDelivered,
		Message:       "Left at the back door",
		HappenedAt:    &at,
	})
	if err != nil {
		t.Fatal(err)
	}
	p := ev.FulfillmentEventCreate
	if p.FulfillmentEvent == nil || len(p.UserErrors) != 0 {
		t.Fatalf("FulfillmentEventCreate = %+v; want an event", p)
	}
	if p.FulfillmentEvent.Status != shopify.FulfillmentEventStatusDelivered || !p.FulfillmentEvent.HappenedAt.Equal(at) {
		t.Errorf("event %+v; want DELIVERED at %v", p.FulfillmentEvent, at)
	}
	stored, _ := f.shop.Order(o.ID)
	want := []shopifytest.FulfillmentEvent{{ID: p.FulfillmentEvent.Id, Status: "DELIVERED", Message: "Left at the back door", HappenedAt: at}}
	if d := cmp.Diff(want, stored.Fulfillments[0].Events); d != "" {
		t.Errorf("events recorded (-want +got):\n%s", d)
	}

	ev, err = shopify.FulfillmentEventCreate(ctx, f.client, shopify.FulfillmentEventInput{
		FulfillmentId: "gid://shopify/Fulfillment/1", Status: shopify.FulfillmentEventStatusDelivered,
	})
	if err != nil {
		t.Fatal(err)
	}
	if p := ev.FulfillmentEventCreate; p.FulfillmentEvent != nil || len(p.UserErrors) != 1 {
		t.Errorf("an event on an unknown fulfillment = %+v; want one user error", p)
	}
}
