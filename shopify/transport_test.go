package shopify_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Khan/genqlient/graphql"
	"github.com/google/go-cmp/cmp"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/shopify"
	"github.com/dispatchkit/connect/shopify/shopifytest"
)

func listPage(ctx context.Context, c *shopify.Client, first, lineItems int) (*shopify.ListOrdersResponse, error) {
	return shopify.ListOrders(ctx, c, first, "", shopify.OpenUnfulfilled, shopify.OrderSortKeysCreatedAt, false, lineItems)
}

func TestClientRetriesThrottledAfterTheBucketRefills(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.shop.Seed(60)
	f.shop.SetAvailable(100) // the client does not know yet: its first try is throttled
	start := f.clock.Now()

	page, err := listPage(context.Background(), f.client, 50, 10)
	if err != nil {
		t.Fatalf("ListOrders: %v", err)
	}
	if len(page.Orders.Nodes) != 50 {
		t.Errorf("got %d orders; want 50", len(page.Orders.Nodes))
	}
	st := f.shop.Stats()
	if st.Throttled != 1 || st.Requests != 2 {
		t.Errorf("fake saw %d requests, %d throttled; want 2 and 1", st.Requests, st.Throttled)
	}
	// 702 points requested, 100 there, 100 a second back: about 6 s.
	if waited := f.clock.Now().Sub(start); waited < 6*time.Second || waited > 8*time.Second {
		t.Errorf("waited %v for the bucket; want about 6 s", waited)
	}
}

func TestClientWaitsForTheBucketInsteadOfBeingThrottled(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.shop.Seed(60)
	ctx := context.Background()
	if _, err := listPage(ctx, f.client, 1, 1); err != nil { // learn the bucket
		t.Fatal(err)
	}
	f.shop.SetAvailable(0)
	// The estimate still says the bucket is full; the next answer corrects it,
	// and from then on the client waits before sending.
	for range 5 {
		if _, err := listPage(ctx, f.client, 50, 10); err != nil {
			t.Fatal(err)
		}
	}
	if st := f.shop.Stats(); st.Throttled > 1 {
		t.Errorf("throttled %d times; want at most once (before the client learned the bucket was empty)", st.Throttled)
	}
	if _, ok := f.client.Throttle(); !ok {
		t.Error("Throttle() knows nothing after answers reported the bucket")
	}
}

func TestClientRetriesServerErrors(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.shop.Seed(3)
	f.shop.FailNext(http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusInternalServerError, http.StatusTooManyRequests)
	page, err := listPage(context.Background(), f.client, 10, 1)
	if err != nil {
		t.Fatalf("ListOrders after 4 failures with 5 tries: %v", err)
	}
	if len(page.Orders.Nodes) != 3 {
		t.Errorf("got %d orders; want 3", len(page.Orders.Nodes))
	}
}

func TestClientGivesUpAfterMaxAttempts(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(c *shopify.ClientConfig) { c.MaxAttempts = 3 })
	f.shop.FailNext(503, 503, 503, 503)
	_, err := listPage(context.Background(), f.client, 10, 1)
	if connect.ErrorCode(err) != connect.Unavailable {
		t.Fatalf("ListOrders after 3 failed tries = %v; want Unavailable", err)
	}
	// The fourth failure is still queued: the client stopped at 3.
	if _, err := listPage(context.Background(), f.client, 10, 1); err != nil {
		t.Fatalf("the next call (one failure, then success): %v", err)
	}
}

func TestClientDoesNotRetryAMutationThatMayHaveRun(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	o := f.shop.Seed(1)[0]
	f.shop.FailNext(http.StatusBadGateway)
	_, err := shopify.FulfillmentCreate(context.Background(), f.client, shopify.FulfillmentInput{
		LineItemsByFulfillmentOrder: []shopify.FulfillmentOrderLineItemsInput{{FulfillmentOrderId: o.FulfillmentOrders[0].ID}},
	}, "")
	if connect.ErrorCode(err) != connect.Unavailable {
		t.Fatalf("FulfillmentCreate after a 502 = %v; want Unavailable, not retried", err)
	}
	if st := f.shop.Stats(); st.Requests != 0 {
		t.Errorf("the fake ran %d requests after the 502; want 0", st.Requests)
	}
	f.shop.FailNext(http.StatusServiceUnavailable) // 503: not run, safe to retry
	res, err := shopify.FulfillmentCreate(context.Background(), f.client, shopify.FulfillmentInput{
		LineItemsByFulfillmentOrder: []shopify.FulfillmentOrderLineItemsInput{{FulfillmentOrderId: o.FulfillmentOrders[0].ID}},
	}, "")
	if err != nil || res.FulfillmentCreate.Fulfillment == nil {
		t.Fatalf("FulfillmentCreate after a 503 = %+v, %v; want it retried and done", res, err)
	}
}

func TestClientMapsHTTPStatuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		status int
		want   connect.Code
		says   string
	}{
		{http.StatusUnauthorized, connect.Forbidden, "uninstalled the app or revoked access"},
		{http.StatusPaymentRequired, connect.Unavailable, "frozen"},
		{http.StatusForbidden, connect.Forbidden, "forbidden"},
		{http.StatusNotFound, connect.NotFound, "no such store"},
		{http.StatusLocked, connect.Unavailable, "locked"},
		{http.StatusBadRequest, connect.Internal, "400"},
		{http.StatusServiceUnavailable, connect.Unavailable, "503"},
	}
	for _, tt := range tests {
		t.Run(http.StatusText(tt.status), func(t *testing.T) {
			t.Parallel()
			var calls atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				calls.Add(1)
				if r.URL.Path != shopify.GraphQLPath || r.Header.Get("X-Shopify-Access-Token") != "tok" {
					t.Errorf("request to %s with token %q", r.URL.Path, r.Header.Get("X-Shopify-Access-Token"))
				}
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(`{"errors":"nope"}`))
			}))
			t.Cleanup(srv.Close)
			var clock shopifytest.Clock
			c, err := shopify.NewClient(shopify.ClientConfig{Shop: "acme.myshopify.com", Token: shopify.StaticToken("tok"),
				BaseURL: srv.URL, MaxAttempts: 2, Now: clock.Now, Sleep: clock.Sleep})
			if err != nil {
				t.Fatal(err)
			}
			_, err = listPage(context.Background(), c, 1, 1)
			if got := connect.ErrorCode(err); got != tt.want || !strings.Contains(err.Error(), tt.says) {
				t.Errorf("HTTP %d gave %v; want code %s saying %q", tt.status, err, tt.want, tt.says)
			}
			if unauthorized := errors.Is(err, shopify.ErrUnauthorized); unauthorized != (tt.status == http.StatusUnauthorized) {
				t.Errorf("HTTP %d: errors.Is(err, ErrUnauthorized) = %v", tt.status, unauthorized)
			}
			if retried := calls.Load() > 1; retried != (tt.status >= 500) {
				t.Errorf("HTTP %d: %d calls; want retries only for 5xx", tt.status, calls.Load())
			}
		})
	}
}

func TestClientForbiddenAfterUninstall(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.shop.Uninstall()
	_, err := listPage(context.Background(), f.client, 1, 1)
	if !errors.Is(err, connect.ErrForbidden) || !strings.Contains(err.Error(), "uninstalled") {
		t.Fatalf("ListOrders after uninstall = %v; want Forbidden (uninstalled)", err)
	}
}

func TestClientHonoursContext(t *testing.T) {
	t.Parallel()
	t.Run("a cancelled context stops before sending", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := listPage(ctx, f.client, 1, 1)
		if !errors.Is(err, context.Canceled) || connect.ErrorCode(err) != connect.Unavailable {
			t.Fatalf("ListOrders with a cancelled context = %v; want Unavailable wrapping context.Canceled", err)
		}
		if st := f.shop.Stats(); st.Requests != 0 {
			t.Errorf("the fake got %d requests", st.Requests)
		}
	})
	t.Run("a deadline ends the wait for the bucket", func(t *testing.T) {
		t.Parallel()
		srv := shopifytest.New(shopifytest.Config{}) // real clock: the client really waits
		t.Cleanup(srv.Close)
		shop := srv.Shop("acme.myshopify.com")
		shop.SetAvailable(0)
		c, err := shopify.NewClient(shopify.ClientConfig{Shop: shop.Domain(), Token: shopify.StaticToken(shop.IssueToken()), HTTPClient: srv.Client()})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err = listPage(ctx, c, 50, 10) // throttled; the refill takes 7 s
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("ListOrders = %v; want context.DeadlineExceeded", err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("returned after %v; want soon after the 100 ms deadline", d)
		}
	})
}

func TestClientTreatsMaxCostExceededAsABug(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	_, err := listPage(context.Background(), f.client, 250, 10) // 2 + 250 × 14 = 3502 points
	if connect.ErrorCode(err) != connect.Internal || !strings.Contains(err.Error(), "3502") || !errors.Is(err, shopify.ErrMaxCostExceeded) {
		t.Fatalf("ListOrders(250, 10) = %v; want Internal naming the cost 3502, wrapping ErrMaxCostExceeded", err)
	}
	if st := f.shop.Stats(); st.MaxCostExceeded != 1 || st.Requests != 1 {
		t.Errorf("fake stats %+v; want one request, refused, not retried", st)
	}
}

func TestClientReturnsPartialDataWhenCustomerDataIsWithheld(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	seeded := f.shop.Seed(5)
	f.shop.WithholdCustomerData(true)

	page, err := listPage(context.Background(), f.client, 5, 5)
	var partial *shopify.PartialError
	if !errors.As(err, &partial) {
		t.Fatalf("ListOrders = %v; want a *PartialError", err)
	}
	var list gqlerror.List
	if !errors.As(err, &list) || len(list) == 0 {
		t.Errorf("errors.As(err, gqlerror.List) found nothing in %v", err)
	}
	if page == nil || len(page.Orders.Nodes) != 5 {
		t.Fatalf("data with the partial answer = %+v; want the 5 orders", page)
	}
	o := page.Orders.Nodes[0]
	if o.Name != seeded[0].Name || len(o.LineItems.Nodes) != len(seeded[0].LineItems) {
		t.Errorf("order %+v: want name and line items of %s kept", o, seeded[0].Name)
	}
	if o.Email != "" || o.Phone != "" {
		t.Errorf("email %q phone %q; want both withheld", o.Email, o.Phone)
	}
	if a := o.ShippingAddress; a != nil && (a.Address1 != "" || a.LastName != "" || a.City != seeded[0].ShippingAddress.City) {
		t.Errorf("address %+v: want street and names withheld, city kept", a)
	}
	paths := map[string]bool{}
	for _, e := range partial.AccessDenied() {
		paths[e.Path.String()] = true
	}
	for _, p := range []string{"orders.nodes[0].email", "orders.nodes[0].phone", "orders.nodes[0].shippingAddress.address1"} {
		if !paths[p] {
			t.Errorf("no ACCESS_DENIED error at %s; have %v", p, paths)
		}
	}
}

func TestClientRefusesAnInvalidQueryAsABug(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var data map[string]any
	err := f.client.MakeRequest(context.Background(),
		&graphql.Request{OpName: "Bad", Query: `query Bad { orders(first: 1) { nodes { id totalPriceSet } } }`},
		&graphql.Response{Data: &data})
	if connect.ErrorCode(err) != connect.Internal || !strings.Contains(err.Error(), "totalPriceSet") {
		t.Fatalf("an invalid query gave %v; want Internal naming the field", err)
	}
}

func TestNewClientRefusesABadShop(t *testing.T) {
	t.Parallel()
	_, err := shopify.NewClient(shopify.ClientConfig{Shop: "acme.example.com", Token: shopify.StaticToken("t")})
	if connect.ErrorCode(err) != connect.Invalid {
		t.Errorf("NewClient for acme.example.com = %v; want Invalid", err)
	}
	_, err = shopify.NewClient(shopify.ClientConfig{Shop: "acme.myshopify.com"})
	if connect.ErrorCode(err) != connect.Invalid {
		t.Errorf("NewClient without a token = %v; want Invalid", err)
	}
}

func TestGraphQLPathNamesTheAPIVersion(t *testing.T) {
	t.Parallel()
	if d := cmp.Diff("/admin/api/2026-04/graphql.json", shopify.GraphQLPath); d != "" {
		t.Error(d)
	}
}

func TestClientWarnsOnceWhenShopifyServesAnotherAPIVersion(t *testing.T) {
	t.Parallel()
	clock := &shopifytest.Clock{}
	srv := shopifytest.New(shopifytest.Config{Now: clock.Now, ServedVersion: "2025-07"})
	t.Cleanup(srv.Close)
	shop := srv.Shop("acme.myshopify.com")
	shop.Seed(2)
	var logged bytes.Buffer
	c, err := shopify.NewClient(shopify.ClientConfig{Shop: shop.Domain(), Token: shopify.StaticToken(shop.IssueToken()),
		HTTPClient: srv.Client(), Now: clock.Now, Sleep: clock.Sleep, Logger: slog.New(slog.NewTextHandler(&logged, nil))})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := shopify.ListOrders(context.Background(), c, 1, "", shopify.OpenUnfulfilled, shopify.OrderSortKeysCreatedAt, true, 1); err != nil {
			t.Fatal(err)
		}
	}
	if n := strings.Count(logged.String(), "served=2025-07"); n != 1 {
		t.Errorf("%d warnings naming the served version, want 1:\n%s", n, logged.String())
	}
}
