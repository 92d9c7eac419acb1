package shopify_test

import (
	"context"
	"testing"

	"github.com/dispatchkit/connect/shopify"
)

func TestOrdersPageCost(t *testing.T) {
	t.Parallel()
	tests := []struct{ first, lineItems, want int }{
		{1, 1, 7},     // 2 + 1 × (order 1 + address 1 + line items 2 + 1)
		{50, 10, 702}, // the default page
		{71, 10, 996}, // the largest page with 10 line items
		{110, 5, 992}, // the largest with 5
		{100, 5, 902},
		{250, 0, 1002}, // even without line items, 250 orders are over the limit
		{250, 10, 3502},
	}
	for _, tt := range tests {
		if got := shopify.OrdersPageCost(tt.first, tt.lineItems); got != tt.want {
			t.Errorf("OrdersPageCost(%d, %d) = %d; want %d", tt.first, tt.lineItems, got, tt.want)
		}
	}
}

// Pages are sized to PageCostBudget, a margin under Shopify's limit, so that a
// field Shopify charges a little more than its documented rules say does not
// get every page refused.
func TestOrdersPageSizeKeepsAMarginUnderTheLimit(t *testing.T) {
	t.Parallel()
	if shopify.PageCostBudget > 900 {
		t.Fatalf("PageCostBudget = %d; want at most 900 of Shopify's %d", shopify.PageCostBudget, shopify.MaxQueryCost)
	}
	for li := 0; li <= 250; li++ {
		n := shopify.OrdersPageSize(li)
		if n < 1 {
			t.Errorf("OrdersPageSize(%d) = %d", li, n)
		}
		if c := shopify.OrdersPageCost(n, li); c > shopify.PageCostBudget {
			t.Errorf("OrdersPageSize(%d) = %d costs %d, over the budget of %d", li, n, c, shopify.PageCostBudget)
		}
		if n < shopify.MaxPageSize && shopify.OrdersPageCost(n+1, li) <= shopify.PageCostBudget {
			t.Errorf("OrdersPageSize(%d) = %d, but %d also fits", li, n, n+1)
		}
	}
}

// The client waits for what QueryCost says; the fake charges what Shopify's
// rules say. They must agree for every operation the adapter sends.
func TestQueryCostIsWhatTheFakeCharges(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	o := f.shop.Seed(3)[0]
	ctx := context.Background()
	charged := func(run func() error) int {
		t.Helper()
		before := f.shop.Stats().Requested
		if err := run(); err != nil {
			t.Fatal(err)
		}
		return f.shop.Stats().Requested - before
	}
	cost := func(query string, vars map[string]any) int {
		t.Helper()
		c, err := shopify.QueryCost(query, vars)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	tests := []struct {
		name      string
		run       func() error
		query     string
		vars      map[string]any
		wantPoint int
	}{
		{"ListOrders", func() error { _, err := listPage(ctx, f.client, 20, 3); return err },
			shopify.ListOrders_Operation, map[string]any{"first": 20, "query": "", "sortKey": "CREATED_AT", "reverse": false, "lineItems": 3}, 2 + 20*7},
		{"OrdersByID", func() error { _, err := shopify.OrdersByID(ctx, f.client, []string{o.ID, o.ID}, 4); return err },
			shopify.OrdersByID_Operation, map[string]any{"ids": []string{o.ID, o.ID}, "lineItems": 4}, 2 * 8},
		{"OrdersByName", func() error { _, err := shopify.OrdersByName(ctx, f.client, "name:1001", 5, 2); return err },
			shopify.OrdersByName_Operation, map[string]any{"query": "name:1001", "first": 5, "lineItems": 2}, 2 + 5*6},
		{"FulfillmentOrders", func() error { _, err := shopify.FulfillmentOrders(ctx, f.client, o.ID, 5); return err },
			shopify.FulfillmentOrders_Operation, map[string]any{"id": o.ID, "first": 5}, 1 + 2 + 5*(1+1+1+1)},
		{"FulfillmentCreate", func() error {
			_, err := shopify.FulfillmentCreate(ctx, f.client, shopify.FulfillmentInput{
				LineItemsByFulfillmentOrder: []shopify.FulfillmentOrderLineItemsInput{{FulfillmentOrderId: o.FulfillmentOrders[0].ID}}}, "")
			return err
		}, shopify.FulfillmentCreate_Operation, map[string]any{"fulfillment": map[string]any{"lineItemsByFulfillmentOrder": []any{}}}, 10},
	}
	for _, tt := range tests {
		got, want := charged(tt.run), cost(tt.query, tt.vars)
		if got != want || want != tt.wantPoint {
			t.Errorf("%s: the fake charged %d, QueryCost says %d; want both %d", tt.name, got, want, tt.wantPoint)
		}
	}
}
