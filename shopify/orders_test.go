package shopify_test

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/shopspring/decimal"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/shopify"
	"github.com/dispatchkit/connect/shopify/shopifytest"
)

var decimalEqual = cmp.Comparer(func(a, b decimal.Decimal) bool { return a.Equal(b) })

func ptr[T any](v T) *T { return &v }

func dec(f float64) decimal.NullDecimal { return decimal.NewNullDecimal(decimal.NewFromFloat(f)) }

func TestUnfulfilledOrdersPagesThrough600Orders(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	seeded := r.shop.Seed(600)
	r.link()
	var got []connect.ShopifyOrder
	cursor, pages := "", 0
	for {
		page, err := r.adapter.UnfulfilledOrders(r.ctx, r.scope, cursor, 250)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, page.Orders...)
		pages++
		if page.Next == "" {
			break
		}
		cursor = page.Next
	}
	if pages != 3 || len(got) != 600 {
		t.Fatalf("%d orders in %d pages, want 600 in 3", len(got), pages)
	}
	for i := range got {
		want := seeded[len(seeded)-1-i] // newest first
		if got[i].Ref.OrderID != want.ID || got[i].Name != want.Name {
			t.Fatalf("order %d is %s, want %s", i, got[i].Name, want.Name)
		}
		if noAddress := want.ShippingAddress == nil; noAddress != (got[i].Problem == shopify.ProblemNoAddress) {
			t.Errorf("%s: Problem %q with address %v", got[i].Name, got[i].Problem, want.ShippingAddress)
		}
	}
	st := r.shop.Stats()
	if st.Throttled != 0 || st.MaxCostExceeded != 0 || st.LowestAvailable < 0 {
		t.Errorf("stats %+v: want no throttling, nothing over the cost limit, the bucket never below 0", st)
	}
	t.Logf("600 orders in 3 pages of 250: %d requests, %d points requested, %d actual", st.Requests, st.Requested, st.Actual)
}

// TestLookupMapsEveryField checks the mapping of each kind of order, and each
// way of naming one.
func TestLookupMapsEveryField(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	created := r.clock.Now().Add(-time.Hour).Truncate(time.Second)
	full := r.shop.AddOrder(shopifytest.Order{
		CreatedAt: created, Note: "Gate code 4417.", Email: "ava.nguyen@example.com", Phone: "+15125550100",
		ShippingAddress: &shopifytest.Address{FirstName: "Ava", LastName: "Nguyen", Company: "Blue Bell Dental",
			Address1: "1200 Congress Ave", Address2: "Suite 4", City: "Austin", Province: "Texas", ProvinceCode: "TX",
			Zip: "78701", Country: "United States", CountryCode: "US", Phone: "+15125550199",
			Latitude: ptr(30.2747), Longitude: ptr(-97.7404)},
		LineItems: []shopifytest.LineItem{{Name: "Hand-thrown Mug", SKU: "HTM-BLU", Quantity: 2}, {Name: "Glass Storage Jar", Quantity: 1}},
	})
	plain := r.shop.AddOrder(shopifytest.Order{
		CreatedAt: created, Phone: "+15125550111",
		ShippingAddress: &shopifytest.Address{FirstName: "Ben", Address1: "5 Main St", City: "Round Rock",
			ProvinceCode: "TX", Zip: "78664", CountryCode: "US"},
		LineItems: []shopifytest.LineItem{{Name: "Beeswax Candle", SKU: "BWC-S", Quantity: 1}},
	})
	var many []shopifytest.LineItem
	for i := range 7 {
		many = append(many, shopifytest.LineItem{Name: "Tea Towel " + strconv.Itoa(i), SKU: "LTT-" + strconv.Itoa(i), Quantity: 1})
	}
	big := r.shop.AddOrder(shopifytest.Order{CreatedAt: created, ShippingAddress: &shopifytest.Address{Address1: "9 Elm St", City: "Austin"}, LineItems: many})
	nowhere := r.shop.AddOrder(shopifytest.Order{CreatedAt: created, LineItems: many[:1]})
	cancelled := r.shop.AddOrder(shopifytest.Order{CreatedAt: created, Cancelled: true, ShippingAddress: &shopifytest.Address{Address1: "1 A St"}, LineItems: many[:1]})
	fulfilled := r.shop.AddOrder(shopifytest.Order{CreatedAt: created, ShippingAddress: &shopifytest.Address{Address1: "2 B St"}, LineItems: many[:1]})
	r.link()
	if err := r.adapter.Fulfill(r.ctx, r.scope, connect.FulfillParams{Order: connect.ShopifyRef{Shop: r.shop.Domain(), OrderID: fulfilled.ID}}); err != nil {
		t.Fatal(err)
	}
	idNumber := func(gid string) string { return gid[strings.LastIndexByte(gid, '/')+1:] }

	refs := []string{
		full.Name,                           // "#1001"
		strings.TrimPrefix(plain.Name, "#"), // "1002"
		big.ID,                              // a global id
		idNumber(nowhere.ID),                // a plain long number: an id
		"https://admin.shopify.com/store/acme/orders/" + idNumber(cancelled.ID),
		fulfilled.Name,
		"#9999",
		"gid://shopify/Customer/1",
	}
	got, err := r.adapter.LookupOrders(r.ctx, r.scope, refs)
	if err != nil {
		t.Fatal(err)
	}
	shop := r.shop.Domain()
	ref := func(o shopifytest.Order) connect.ShopifyRef { return connect.ShopifyRef{Shop: shop, OrderID: o.ID} }
	var bigProducts []connect.Product
	for _, li := range many {
		bigProducts = append(bigProducts, connect.Product{Name: li.Name, Quantity: 1, SKU: li.SKU})
	}
	want := []connect.ShopifyOrder{
		{Ref: ref(full), Name: "#1001", CreatedAt: created, Input: connect.OrderInput{
			Ref: "#1001", StopType: connect.Delivery, Notes: "Gate code 4417.",
			Address: connect.Address{Line1: "1200 Congress Ave", Line2: "Suite 4", City: "Austin", State: "Texas",
				Zip: "78701", Country: "United States", Latitude: dec(30.2747), Longitude: dec(-97.7404)},
			Recipient:    connect.Recipient{Name: "Ava Nguyen (Blue Bell Dental)", Email: "ava.nguyen@example.com", Phone: "+15125550199"},
			PackageCount: 3,
			Products:     []connect.Product{{Name: "Hand-thrown Mug", Quantity: 2, SKU: "HTM-BLU"}, {Name: "Glass Storage Jar", Quantity: 1}},
		}},
		{Ref: ref(plain), Name: "#1002", CreatedAt: created, Input: connect.OrderInput{
			Ref: "#1002", StopType: connect.Delivery,
			Address:      connect.Address{Line1: "5 Main St", City: "Round Rock", State: "TX", Zip: "78664", Country: "US"},
			Recipient:    connect.Recipient{Name: "Ben", Phone: "+15125550111"},
			PackageCount: 1, Products: []connect.Product{{Name: "Beeswax Candle", Quantity: 1, SKU: "BWC-S"}},
		}},
		{Ref: ref(big), Name: big.Name, CreatedAt: created, Input: connect.OrderInput{
			Ref: big.Name, StopType: connect.Delivery, Address: connect.Address{Line1: "9 Elm St", City: "Austin"},
			PackageCount: 7, Products: bigProducts,
		}},
		{Ref: ref(nowhere), Name: nowhere.Name, CreatedAt: created, Problem: shopify.ProblemNoAddress, Input: connect.OrderInput{
			Ref: nowhere.Name, StopType: connect.Delivery, PackageCount: 1, Products: bigProducts[:1],
		}},
		{Ref: ref(cancelled), Name: cancelled.Name, CreatedAt: created, Problem: shopify.ProblemCancelled, Cancelled: true, Input: connect.OrderInput{
			Ref: cancelled.Name, StopType: connect.Delivery, Address: connect.Address{Line1: "1 A St"}, PackageCount: 1, Products: bigProducts[:1],
		}},
		{Ref: ref(fulfilled), Name: fulfilled.Name, CreatedAt: created, Problem: shopify.ProblemFulfilled, Input: connect.OrderInput{
			Ref: fulfilled.Name, StopType: connect.Delivery, Address: connect.Address{Line1: "2 B St"}, PackageCount: 1, Products: bigProducts[:1],
		}},
		{Ref: connect.ShopifyRef{Shop: shop}, Name: "#9999", Input: connect.OrderInput{Ref: "#9999"}, Problem: shopify.ProblemNeedsReadAllOrders},
		{Ref: connect.ShopifyRef{Shop: shop}, Name: "gid://shopify/Customer/1", Input: connect.OrderInput{Ref: "gid://shopify/Customer/1"}, Problem: "is not an order id"},
	}
	if d := cmp.Diff(want, got, decimalEqual); d != "" {
		t.Errorf("LookupOrders (-want +got):\n%s", d)
	}
}

func TestWithheldCustomerDataLeavesTheRestOfThePageUsable(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	for i := range 6 {
		r.shop.AddOrder(shopifytest.Order{Email: fmt.Sprintf("c%d@example.com", i), Withheld: i%3 == 1,
			ShippingAddress: &shopifytest.Address{FirstName: "C", LastName: strconv.Itoa(i), Address1: strconv.Itoa(i) + " Elm St", City: "Austin", Zip: "78701"},
			LineItems:       []shopifytest.LineItem{{Name: "Mug", Quantity: 1}}})
	}
	r.link()
	page, err := r.adapter.UnfulfilledOrders(r.ctx, r.scope, "", 50)
	if err != nil {
		t.Fatal(err)
	}
	var problems []string
	for _, o := range page.Orders {
		problems = append(problems, o.Name+": "+o.Problem)
		if o.Problem == "" && (o.Input.Address.Line1 == "" || o.Input.Recipient.Email == "") {
			t.Errorf("%s has no problem but lacks data: %+v", o.Name, o.Input)
		}
	}
	want := []string{"#1006: ", "#1005: " + shopify.ProblemWithheld, "#1004: ", "#1003: ", "#1002: " + shopify.ProblemWithheld, "#1001: "}
	if d := cmp.Diff(want, problems); d != "" {
		t.Errorf("problems (-want +got):\n%s", d)
	}

	t.Run("an app without approval gets every order withheld", func(t *testing.T) {
		r.shop.WithholdCustomerData(true)
		got, err := r.adapter.LookupOrders(r.ctx, r.scope, []string{"#1001", "#1003"})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range got {
			if o.Problem != shopify.ProblemWithheld {
				t.Errorf("%s: Problem %q, want withheld", o.Name, o.Problem)
			}
		}
	})
}

func TestThrottledRequestsAreRetried(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.shop.Seed(300)
	r.link()
	r.shop.SetAvailable(0)
	page, err := r.adapter.UnfulfilledOrders(r.ctx, r.scope, "", 100)
	if err != nil || len(page.Orders) != 100 {
		t.Fatalf("UnfulfilledOrders = %d orders, %v", len(page.Orders), err)
	}
	if st := r.shop.Stats(); st.Throttled == 0 || st.LowestAvailable < 0 {
		t.Errorf("stats %+v: want a THROTTLED answer, retried, and the bucket never below 0", st)
	}

	t.Run("clients of one shop share its bucket", func(t *testing.T) {
		before := r.shop.Stats().Throttled
		var names []string
		for i := range 300 {
			names = append(names, "#"+strconv.Itoa(1001+i))
		}
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range errs {
			wg.Go(func() {
				got, err := r.adapter.LookupOrders(r.ctx, r.scope, names)
				if err == nil && got[299].Problem == shopify.ProblemNotFound {
					err = errors.New("#1300 not found")
				}
				errs[i] = err
			})
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}
		if st := r.shop.Stats(); st.LowestAvailable < 0 || st.Throttled != before {
			t.Errorf("stats %+v: want no more THROTTLED (was %d) and the bucket never below 0", st, before)
		}
	})
}

// TestBulkLookupOf1000Names looks up 1,000 orders by name, as a Bulk import
// does, and reports what it cost against the least it could.
func TestBulkLookupOf1000Names(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.shop.Seed(1000)
	r.link()
	names := make([]string, 1000)
	for i := range names {
		names[i] = "#" + strconv.Itoa(1001+i)
	}
	start := r.clock.Now()
	got, err := r.adapter.LookupOrders(r.ctx, r.scope, names)
	if err != nil {
		t.Fatal(err)
	}
	elapsed := r.clock.Now().Sub(start)
	for i, o := range got {
		if o.Name != names[i] || o.Problem == shopify.ProblemNotFound {
			t.Fatalf("order %d: %s %q, want %s", i, o.Name, o.Problem, names[i])
		}
	}
	st := r.shop.Stats()
	if st.Throttled != 0 || st.MaxCostExceeded != 0 || st.LowestAvailable < 0 {
		t.Errorf("stats %+v: want no THROTTLED, no query over the cost limit, the bucket never below 0", st)
	}
	minRequests := (st.Actual + shopify.MaxQueryCost - 1) / shopify.MaxQueryCost
	minWait := time.Duration(max(st.Actual-2000, 0)) * time.Second / 100 // a full bucket of 2000, 100 points/s back
	t.Logf("bulk lookup of 1000 names: %d requests (lower bound %d = %d points of data / %d a query), %d points requested, %d actual; %v on the fake clock (lower bound %v: the data's cost beyond a full bucket at 100 points/s)",
		st.Requests, minRequests, st.Actual, shopify.MaxQueryCost, st.Requested, st.Actual, elapsed, minWait)
	if st.Requests > 2*minRequests {
		t.Errorf("%d requests, over twice the lower bound %d", st.Requests, minRequests)
	}
}

func TestOrdersWithManyLineItemsAreReadWhole(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	for _, n := range []int{1, 6, 30, 251} {
		var items []shopifytest.LineItem
		for i := range n {
			items = append(items, shopifytest.LineItem{Name: "Item " + strconv.Itoa(i), Quantity: 1})
		}
		r.shop.AddOrder(shopifytest.Order{ShippingAddress: &shopifytest.Address{Address1: "1 Elm St"}, LineItems: items})
	}
	r.link()
	got, err := r.adapter.LookupOrders(r.ctx, r.scope, []string{"#1001", "#1002", "#1003", "#1004"})
	if err != nil {
		t.Fatal(err)
	}
	var counts []string
	for _, o := range got {
		counts = append(counts, fmt.Sprintf("%s: %d products, %d packages, %q", o.Name, len(o.Input.Products), o.Input.PackageCount, o.Problem))
	}
	want := []string{`#1001: 1 products, 1 packages, ""`, `#1002: 6 products, 6 packages, ""`, `#1003: 30 products, 30 packages, ""`,
		`#1004: 250 products, 250 packages, "has more than 250 products; add it by hand"`}
	if d := cmp.Diff(want, counts); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	if st := r.shop.Stats(); st.Requests != 3 {
		t.Errorf("%d requests; want 3 (names, then 25 line items, then 250)", st.Requests)
	}
}

// Shopify may charge a field more than its documented rules say; the adapter's
// estimate is then short, and Shopify refuses the page as over its limit. The
// adapter reads half as many orders a query from then on.
func TestOrdersHalveThePageWhenShopifyChargesMoreThanEstimated(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	seeded := r.shop.Seed(250)
	r.link()
	// 18 points an order where the adapter counts 9: a page of 99 orders
	// (893 points by the documented rules) requests 1784.
	r.srv.SetFieldCost("Order.shippingAddress", 10)

	page, err := r.adapter.UnfulfilledOrders(r.ctx, r.scope, "", 250)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Orders) != 250 || page.Next != "" {
		t.Fatalf("%d orders, next %q; want all 250 in one page", len(page.Orders), page.Next)
	}
	for i, o := range page.Orders {
		if want := seeded[len(seeded)-1-i]; o.Ref.OrderID != want.ID {
			t.Fatalf("order %d is %s; want %s", i, o.Name, want.Name)
		}
	}
	if st := r.shop.Stats(); st.MaxCostExceeded != 1 {
		t.Errorf("%d queries refused as over the limit; want 1, then half pages", st.MaxCostExceeded)
	}

	var refs []string
	for _, o := range seeded[:120] {
		refs = append(refs, o.ID)
	}
	for _, o := range seeded[120:180] {
		refs = append(refs, o.Name)
	}
	before := r.shop.Stats().MaxCostExceeded
	got, err := r.adapter.LookupOrders(r.ctx, r.scope, refs)
	if err != nil {
		t.Fatal(err)
	}
	for i, o := range got {
		if want := seeded[i]; o.Ref.OrderID != want.ID || o.Problem == shopify.ProblemNotFound {
			t.Fatalf("ref %s: got %s (%s); want %s", refs[i], o.Ref.OrderID, o.Problem, want.ID)
		}
	}
	if n := r.shop.Stats().MaxCostExceeded - before; n != 2 {
		t.Errorf("%d queries refused; want 2 (one by id, one by name)", n)
	}
}

func TestOrdersFailClearlyWhenOneOrderIsOverTheLimit(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.shop.Seed(5)
	r.link()
	r.srv.SetFieldCost("Order.shippingAddress", shopify.MaxQueryCost)

	_, err := r.adapter.UnfulfilledOrders(r.ctx, r.scope, "", 250)
	if connect.ErrorCode(err) != connect.Internal || !errors.Is(err, shopify.ErrMaxCostExceeded) ||
		!strings.Contains(err.Error(), "even one order") || !strings.Contains(err.Error(), "Config.LineItems") {
		t.Fatalf("UnfulfilledOrders = %v; want Internal saying even one order is over the limit, and what to change", err)
	}
	// 99, 49, 24, 12, 6, 3, 1: halved down to one order, then given up.
	if st := r.shop.Stats(); st.MaxCostExceeded != 7 || st.Requests != 7 {
		t.Errorf("stats %+v; want 7 queries, each refused", st)
	}
}
