package shopifytest_test

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The fake charges by its own reading of Shopify's documented cost rules
// (shopify.dev, "GraphQL Admin API rate limits"): each figure below is worked
// out by hand from those rules, not from the adapter's cost model.
func TestFakeChargesByShopifysDocumentedRules(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const twoOrders = `["gid://shopify/Order/1", "gid://shopify/Order/2"]`
	tests := []struct {
		name  string
		query string
		vars  map[string]any
		field string // given its own cost first, when not ""
		cost  int
		want  int
	}{
		{"scalars cost nothing, a connection 2 plus first × a node",
			`{ orders(first: 10) { nodes { id name email } } }`, nil, "", 0, 2 + 10*1},
		{"an object costs 1",
			`{ orders(first: 10) { nodes { id shippingAddress { city } } pageInfo { hasNextPage } } }`, nil, "", 0, 2 + 10*(1+1)},
		{"last sizes a connection as first does",
			`{ orders(last: 3) { nodes { id } } }`, nil, "", 0, 2 + 3*1},
		{"nested connections multiply",
			`{ orders(first: 4) { nodes { lineItems(first: 6) { nodes { name } } } } }`, nil, "", 0, 2 + 4*(1+2+6*1)},
		{"an interface costs its dearest possible selection, once per id",
			`{ nodes(ids: ` + twoOrders + `) { id ... on Order { shippingAddress { city } lineItems(first: 3) { nodes { name } } } } }`, nil, "", 0, 2 * (1 + 1 + 2 + 3)},
		{"a field left out by @include costs nothing",
			`query Q($x: Boolean!) { orders(first: 10) { nodes { id shippingAddress @include(if: $x) { city } } } }`, map[string]any{"x": false}, "", 0, 2 + 10*1},
		{"a mutation costs 10 per root field",
			`mutation { a: fulfillmentCreate(fulfillment: {lineItemsByFulfillmentOrder: []}) { fulfillment { id } } b: fulfillmentCreate(fulfillment: {lineItemsByFulfillmentOrder: []}) { userErrors { message } } }`, nil, "", 0, 2 * 10},
		{"a field Shopify charges more costs what it says",
			`{ orders(first: 10) { nodes { id shippingAddress { city } } } }`, nil, "Order.shippingAddress", 4, 2 + 10*(1+4)},
	}
	for _, tt := range tests { // in order: a field's cost, once set, stays
		if tt.field != "" {
			e.srv.SetFieldCost(tt.field, tt.cost)
		}
		r := e.post(t, tt.query, tt.vars)
		if got := r.Extensions.Cost.RequestedQueryCost; got != tt.want {
			t.Errorf("%s: requested cost %d; want %d (errors %v)", tt.name, got, tt.want, r.Errors)
		}
	}

	r := e.post(t, `{ orders(first: 250) { nodes { lineItems(first: 4) { nodes { name } } } } }`, nil)
	if got, want := r.Extensions.Cost.RequestedQueryCost, 2+250*(1+2+4); got != want || len(r.Errors) != 1 || r.codes()[0] != "MAX_COST_EXCEEDED" || r.Data != nil {
		t.Errorf("a query of %d points: requested %d, errors %v, data %s; want refused with MAX_COST_EXCEEDED", want, got, r.codes(), r.Data)
	}
}

// A fake sharing the adapter's cost model would agree with it whatever the
// model's mistakes: the fake must not use the adapter's.
func TestFakeDoesNotBorrowTheAdaptersCostModel(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("*.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("no Go files here: %v", err)
	}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		parsed, err := parser.ParseFile(token.NewFileSet(), f, src, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range parsed.Imports {
			if path, _ := strconv.Unquote(imp.Path.Value); strings.Contains(path, "/shopify/internal/") {
				t.Errorf("%s imports %s: the fake must model Shopify on its own", f, path)
			}
		}
	}
}
