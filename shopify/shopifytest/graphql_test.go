package shopifytest_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dispatchkit/connect/shopify"
	"github.com/dispatchkit/connect/shopify/shopifytest"
)

// reply is a GraphQL answer as the fake sends it, with data kept raw so tests
// can compare its exact shape and key order.
type reply struct {
	Data   json.RawMessage `json:"data"`
	Errors []struct {
		Message    string         `json:"message"`
		Path       []any          `json:"path"`
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
	Extensions struct {
		Cost shopify.Cost `json:"cost"`
	} `json:"extensions"`
}

func (r reply) codes() []string {
	var out []string
	for _, e := range r.Errors {
		c, _ := e.Extensions["code"].(string)
		out = append(out, c)
	}
	return out
}

type env struct {
	srv   *shopifytest.Server
	shop  *shopifytest.Shop
	clock *shopifytest.Clock
	token string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{clock: &shopifytest.Clock{}}
	e.srv = shopifytest.New(shopifytest.Config{Now: e.clock.Now})
	t.Cleanup(e.srv.Close)
	e.shop = e.srv.Shop("acme.myshopify.com")
	e.token = e.shop.IssueToken()
	return e
}

// post sends one GraphQL request to the shop and decodes the answer.
func (e *env) post(t *testing.T, query string, vars map[string]any) reply {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, "https://acme.myshopify.com"+shopify.GraphQLPath, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Shopify-Access-Token", e.token)
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("HTTP %s: %s", resp.Status, raw)
	}
	var r reply
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatalf("answer %s: %v", raw, err)
	}
	if r.Extensions.Cost.ThrottleStatus.MaximumAvailable != 2000 {
		t.Errorf("answer without extensions.cost: %s", raw)
	}
	return r
}

func TestFakeRejectsInvalidOperations(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tests := map[string]struct {
		query string
		vars  map[string]any
	}{
		"a field the schema lacks":      {`{ orders(first: 1) { nodes { id totalPriceSet } } }`, nil},
		"a syntax error":                {`{ orders(first: 1) { nodes { id }`, nil},
		"an argument of the wrong type": {`{ orders(first: "ten") { nodes { id } } }`, nil},
		"a missing selection":           {`{ orders(first: 1) }`, nil},
		"an undefined variable":         {`query Q { orders(first: $n) { nodes { id } } }`, nil},
		"a required variable missing":   {`query Q($n: Int!) { orders(first: $n) { nodes { id } } }`, map[string]any{}},
		"a variable of the wrong type":  {`query Q($n: Int!) { orders(first: $n) { nodes { id } } }`, map[string]any{"n": "x"}},
		"an unknown type condition":     {`{ nodes(ids: ["x"]) { ... on Product { id } } }`, nil},
	}
	for name, tt := range tests {
		r := e.post(t, tt.query, tt.vars)
		if len(r.Errors) == 0 || (len(r.Data) > 0 && string(r.Data) != "null") {
			t.Errorf("%s: answered data %s, errors %v; want errors only", name, r.Data, r.Errors)
		}
		if r.Extensions.Cost.ActualQueryCost != nil {
			t.Errorf("%s: charged %d points for a rejected query", name, *r.Extensions.Cost.ActualQueryCost)
		}
	}
	if st := e.shop.Stats(); st.Rejected != len(tests) {
		t.Errorf("Rejected = %d; want %d", st.Rejected, len(tests))
	}
	if got := e.shop.Available(); got != 2000 {
		t.Errorf("rejected queries cost points: %v left", got)
	}
}

func TestFakeRefusesAQueryOverTheCostLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.shop.Seed(5)
	r := e.post(t, shopify.ListOrders_Operation, map[string]any{
		"first": 250, "query": "", "sortKey": "CREATED_AT", "reverse": false, "lineItems": 10,
	})
	if d := cmp.Diff([]string{"MAX_COST_EXCEEDED"}, r.codes()); d != "" {
		t.Fatalf("error codes (-want +got):\n%s", d)
	}
	if r.Extensions.Cost.RequestedQueryCost != 3502 || r.Extensions.Cost.ActualQueryCost != nil {
		t.Errorf("cost %+v; want 3502 requested, nothing charged", r.Extensions.Cost)
	}
	if len(r.Data) > 0 && string(r.Data) != "null" {
		t.Errorf("data %s; want none", r.Data)
	}
	if got := e.shop.Available(); got != 2000 {
		t.Errorf("the refused query cost points: %v left", got)
	}
}

func TestFakeBucketNeverGoesNegative(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.shop.Seed(100)
	vars := map[string]any{"first": 50, "query": "", "sortKey": "CREATED_AT", "reverse": false, "lineItems": 10}

	// 20 requests of 702 points at once, with the clock stopped: the 2000-point
	// bucket can pay for two; the others are throttled, and nothing is
	// charged that is not there.
	var wg sync.WaitGroup
	replies := make([]reply, 20)
	for i := range replies {
		wg.Go(func() { replies[i] = e.post(t, shopify.ListOrders_Operation, vars) })
	}
	wg.Wait()
	throttled := 0
	for _, r := range replies {
		if len(r.Errors) > 0 {
			if d := cmp.Diff([]string{"THROTTLED"}, r.codes()); d != "" {
				t.Errorf("error codes (-want +got):\n%s", d)
			}
			throttled++
		}
		if a := r.Extensions.Cost.ThrottleStatus.CurrentlyAvailable; a < 0 {
			t.Errorf("an answer reports %v points available", a)
		}
	}
	st := e.shop.Stats()
	if st.LowestAvailable < 0 || e.shop.Available() < 0 {
		t.Errorf("the bucket went to %v (now %v)", st.LowestAvailable, e.shop.Available())
	}
	// Actual cost is lower than requested (orders have 1-4 line items, not 10), and
	// the refund lets a third request in, sometimes a fourth.
	if throttled < 16 || throttled != st.Throttled {
		t.Errorf("%d throttled (stats %d); want most of the 20", throttled, st.Throttled)
	}

	e.shop.SetAvailable(0)
	if r := e.post(t, shopify.ListOrders_Operation, vars); len(r.Errors) == 0 {
		t.Error("an empty bucket let a query through")
	}
	e.clock.Advance(7020 * time.Millisecond) // 702 points at 100 a second
	if r := e.post(t, shopify.ListOrders_Operation, vars); len(r.Errors) != 0 {
		t.Errorf("after the refill: %v", r.Errors)
	}
	e.clock.Advance(time.Hour)
	if got := e.shop.Available(); got != 2000 {
		t.Errorf("after an hour the bucket holds %v; want its size, 2000", got)
	}
}

func TestFakeAnswersAliasesFragmentsAndVariables(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	o := e.shop.AddOrder(shopifytest.Order{
		Number: 1001, Email: "ava@example.com",
		ShippingAddress: &shopifytest.Address{FirstName: "Ava", LastName: "Nguyen", City: "Austin"},
		LineItems:       []shopifytest.LineItem{{Name: "Mug", SKU: "M-1", Quantity: 2}},
	})
	r := e.post(t, `
		query Q($ids: [ID!]!, $withItems: Boolean!, $n: Int = 5) {
			first: nodes(ids: $ids) {
				__typename
				... on Order { ref: name ...Who }
			}
			again: nodes(ids: $ids) { id }
		}
		fragment Who on Order {
			email
			shippingAddress { city who: name }
			lineItems(first: $n) @include(if: $withItems) { nodes { sku currentQuantity } }
			name
		}`, map[string]any{"ids": []string{o.ID, "gid://shopify/Order/404"}, "withItems": true})
	if len(r.Errors) > 0 {
		t.Fatalf("errors: %v", r.Errors)
	}
	want := `{"first":[{"__typename":"Order","ref":"#1001","email":"ava@example.com",` +
		`"shippingAddress":{"city":"Austin","who":"Ava Nguyen"},"lineItems":{"nodes":[{"sku":"M-1","currentQuantity":2}]},"name":"#1001"},null],` +
		`"again":[{"id":"` + o.ID + `"},null]}`
	if d := cmp.Diff(want, string(r.Data)); d != "" {
		t.Errorf("data (-want +got):\n%s", d)
	}
}

func TestFakeWithholdsProtectedCustomerData(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.shop.AddOrder(shopifytest.Order{
		Number: 1001, Email: "ava@example.com", Phone: "+15125550100",
		ShippingAddress: &shopifytest.Address{FirstName: "Ava", Address1: "1 Main St", City: "Austin", Zip: "78701"},
	})
	e.shop.WithholdCustomerData(true)
	r := e.post(t, `{ orders(first: 1) { nodes { name email shippingAddress { address1 city zip } } } }`, nil)
	want := `{"orders":{"nodes":[{"name":"#1001","email":null,"shippingAddress":{"address1":null,"city":"Austin","zip":"78701"}}]}}`
	if d := cmp.Diff(want, string(r.Data)); d != "" {
		t.Errorf("data (-want +got):\n%s", d)
	}
	var paths []string
	for _, e := range r.Errors {
		b, _ := json.Marshal(e.Path)
		paths = append(paths, string(b))
	}
	wantPaths := []string{`["orders","nodes",0,"email"]`, `["orders","nodes",0,"shippingAddress","address1"]`}
	if d := cmp.Diff(wantPaths, paths); d != "" {
		t.Errorf("error paths (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"ACCESS_DENIED", "ACCESS_DENIED"}, r.codes()); d != "" {
		t.Errorf("error codes (-want +got):\n%s", d)
	}
}

func TestFakeSearchesOrders(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for i := range 6 {
		e.shop.AddOrder(shopifytest.Order{Email: "c" + string(rune('a'+i)) + "@example.com",
			LineItems: []shopifytest.LineItem{{Name: "Mug", Quantity: 1}}, Closed: i == 4, Cancelled: i == 5})
	}
	fulfil := e.post(t, `mutation($id: ID!) { fulfillmentCreate(fulfillment: {lineItemsByFulfillmentOrder: [{fulfillmentOrderId: $id}]}) { userErrors { message } } }`,
		map[string]any{"id": mustOrder(t, e.shop, "#1002").FulfillmentOrders[0].ID})
	if len(fulfil.Errors) > 0 {
		t.Fatal(fulfil.Errors)
	}
	tests := map[string][]string{
		"status:open fulfillment_status:unfulfilled": {"#1001", "#1003", "#1004"},
		"name:1001 OR name:1003":                     {"#1001", "#1003"},
		"name:#1004":                                 {"#1004"},
		"fulfillment_status:fulfilled":               {"#1002"},
		"status:closed":                              {"#1005"},
		"status:cancelled":                           {"#1006"},
		"-status:open":                               {"#1005", "#1006"},
		"ce@example.com":                             {"#1005"},
		"":                                           {"#1001", "#1002", "#1003", "#1004", "#1005", "#1006"},
		"name:1001 OR name:1002 status:open fulfillment_status:unfulfilled": {"#1001"},
	}
	for q, want := range tests {
		r := e.post(t, `query($q: String) { orders(first: 50, query: $q) { nodes { name } } }`, map[string]any{"q": q})
		var data struct {
			Orders struct{ Nodes []struct{ Name string } }
		}
		if err := json.Unmarshal(r.Data, &data); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, n := range data.Orders.Nodes {
			got = append(got, n.Name)
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("orders(query: %q) (-want +got):\n%s", q, d)
		}
	}
}

func mustOrder(t *testing.T, s *shopifytest.Shop, name string) shopifytest.Order {
	t.Helper()
	o, ok := s.Order(name)
	if !ok {
		t.Fatalf("no order %s", name)
	}
	return o
}

func TestFakeCursorsContinueAfterChanges(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.shop.Seed(10)
	q := `query($after: String) { orders(first: 4, after: $after, query: "fulfillment_status:unfulfilled", reverse: true, sortKey: CREATED_AT) {
		nodes { name } pageInfo { hasNextPage endCursor } } }`
	type page struct {
		Orders struct {
			Nodes    []struct{ Name string }
			PageInfo struct {
				HasNextPage bool
				EndCursor   string
			}
		}
	}
	read := func(after any) page {
		var p page
		r := e.post(t, q, map[string]any{"after": after})
		if err := json.Unmarshal(r.Data, &p); err != nil || len(r.Errors) > 0 {
			t.Fatalf("%s %v %v", r.Data, r.Errors, err)
		}
		return p
	}
	p1 := read(nil)
	// The last order of page 1 is fulfilled before page 2 is read: the cursor
	// still knows where page 1 ended.
	last := mustOrder(t, e.shop, p1.Orders.Nodes[3].Name)
	if r := e.post(t, `mutation($id: ID!) { fulfillmentCreate(fulfillment: {lineItemsByFulfillmentOrder: [{fulfillmentOrderId: $id}]}) { userErrors { message } } }`,
		map[string]any{"id": last.FulfillmentOrders[0].ID}); len(r.Errors) > 0 {
		t.Fatal(r.Errors)
	}
	p2 := read(p1.Orders.PageInfo.EndCursor)
	p3 := read(p2.Orders.PageInfo.EndCursor)
	var names []string
	for _, p := range []page{p1, p2, p3} {
		for _, n := range p.Orders.Nodes {
			names = append(names, n.Name)
		}
	}
	want := []string{"#1010", "#1009", "#1008", "#1007", "#1006", "#1005", "#1004", "#1003", "#1002", "#1001"}
	if d := cmp.Diff(want, names); d != "" {
		t.Errorf("newest first, across the change (-want +got):\n%s", d)
	}
	if p3.Orders.PageInfo.HasNextPage {
		t.Error("the last page says there is more")
	}
}

func TestFakeRefusesBadTokensAndOtherVersions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	do := func(path, token string) int {
		req, _ := http.NewRequest(http.MethodPost, "https://acme.myshopify.com"+path, strings.NewReader(`{"query":"{ orders(first: 1) { nodes { id } } }"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Shopify-Access-Token", token)
		resp, err := e.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := do(shopify.GraphQLPath, "shpat_wrong"); got != http.StatusUnauthorized {
		t.Errorf("a wrong token got HTTP %d; want 401", got)
	}
	if got := do(shopify.GraphQLPath, e.srv.Shop("other.myshopify.com").IssueToken()); got != http.StatusUnauthorized {
		t.Errorf("another shop's token got HTTP %d; want 401", got)
	}
	if got := do("/admin/api/2025-01/graphql.json", e.token); got != http.StatusNotFound {
		t.Errorf("another API version got HTTP %d; want 404", got)
	}
	if got := do(shopify.GraphQLPath, e.token); got != http.StatusOK {
		t.Errorf("the shop's token got HTTP %d; want 200", got)
	}
}
