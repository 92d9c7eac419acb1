package shopify_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/connecttest"
	"github.com/dispatchkit/connect/shopify"
	"github.com/dispatchkit/connect/shopify/shopifytest"
)

// orderCall is one orders/updated or orders/cancelled the recording Service heard.
type orderCall struct {
	Topic  string
	Change connect.ShopifyOrderChange
}

func (s *recordingService) ShopifyOrderUpdated(_ context.Context, a connect.Actor, p connect.ShopifyOrderChange) (connect.ShopifySyncResult, error) {
	return s.order(a, shopify.TopicOrdersUpdated, p)
}

func (s *recordingService) ShopifyOrderCancelled(_ context.Context, a connect.Actor, p connect.ShopifyOrderChange) (connect.ShopifySyncResult, error) {
	return s.order(a, shopify.TopicOrdersCancelled, p)
}

func (s *recordingService) order(a connect.Actor, topic string, p connect.ShopifyOrderChange) (connect.ShopifySyncResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a != connect.AsShopifyWebhook() {
		return connect.ShopifySyncResult{}, connect.Errorf(connect.Forbidden, "called as %v", a)
	}
	if s.fail != nil {
		return connect.ShopifySyncResult{}, s.fail
	}
	s.orders = append(s.orders, orderCall{Topic: topic, Change: p})
	return connect.ShopifySyncResult{Updated: 1}, nil
}

func (s *recordingService) orderCalls() []orderCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]orderCall(nil), s.orders...)
}

// TestOrderWebhooksInShopifysShape sends orders/updated and orders/cancelled as
// the fake shop sends them after the merchant edits and cancels an order (the
// REST Order resource, signed, with event ids): the handler names the order by
// its GraphQL id, passes the cancel reason on, leaves an update of a cancelled
// order to orders/cancelled, ignores a payload that names no order, and handles
// an event delivered twice once.
func TestOrderWebhooksInShopifysShape(t *testing.T) {
	t.Parallel()
	r := newWebhookRig(t)
	o := r.shop.AddOrder(shopifytest.Order{Email: "ava@example.com",
		ShippingAddress: &shopifytest.Address{FirstName: "Ava", Address1: "1 Elm St", City: "Austin"},
		LineItems:       []shopifytest.LineItem{{Name: "Mug", Quantity: 2}}})
	send := func(topic string) {
		t.Helper()
		status, err := r.srv.SendOrderWebhook(r.ctx, r.url, r.shop, topic, o.ID)
		if err != nil || status != http.StatusOK {
			t.Fatalf("%s answered %d, %v", topic, status, err)
		}
	}

	r.shop.Edit(o.ID, func(o *shopifytest.Order) { o.ShippingAddress.Address1 = "9 New St" })
	body, _ := r.shop.OrderPayload(o.ID)
	var payload struct {
		ID          int64                     `json:"id"`
		GID         string                    `json:"admin_graphql_api_id"`
		Name        string                    `json:"name"`
		CancelledAt any                       `json:"cancelled_at"`
		UpdatedAt   string                    `json:"updated_at"`
		Shipping    struct{ Address1 string } `json:"shipping_address"`
		LineItems   []struct {
			CurrentQuantity int `json:"current_quantity"`
		} `json:"line_items"`
	}
	if err := json.Unmarshal(body, &payload); err != nil {
		t.Fatal(err)
	}
	if payload.GID != o.ID || payload.ID == 0 || payload.Name != o.Name || payload.CancelledAt != nil ||
		payload.Shipping.Address1 != "9 New St" || len(payload.LineItems) != 1 || payload.LineItems[0].CurrentQuantity != 2 {
		t.Fatalf("the fake's payload: %s", body)
	}
	send(shopify.TopicOrdersUpdated)
	r.shop.Cancel(o.ID, "customer")
	send(shopify.TopicOrdersUpdated) // Shopify sends both for a cancellation
	send(shopify.TopicOrdersCancelled)
	want := []orderCall{
		{Topic: shopify.TopicOrdersUpdated, Change: connect.ShopifyOrderChange{Shop: r.shop.Domain(), OrderID: o.ID, Name: o.Name}},
		{Topic: shopify.TopicOrdersCancelled, Change: connect.ShopifyOrderChange{Shop: r.shop.Domain(), OrderID: o.ID, Name: o.Name, CancelReason: "customer"}},
	}
	if d := cmp.Diff(want, r.svc.orderCalls()); d != "" {
		t.Errorf("calls (-want +got):\n%s", d)
	}

	if status := r.send(shopify.TopicOrdersCancelled, map[string]any{"name": "#1"}); status != http.StatusOK {
		t.Errorf("a payload without an order answered %d, want 200 (retries would not mend it)", status)
	}
	req, err := r.srv.NewWebhookRequest(r.ctx, r.url, r.shop.Domain(), shopify.TopicOrdersCancelled, body)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if status := redeliver(t, req); status != http.StatusOK {
			t.Errorf("delivery %d answered %d, want 200", i+1, status)
		}
	}
	if got := len(r.svc.orderCalls()); got != len(want)+1 {
		t.Errorf("%d calls after a payload without an order and one event delivered twice, want %d", got, len(want)+1)
	}
}

// TestServiceResyncsOrdersEditedOrCancelledInShopify drives the whole path: a
// store's orders imported, one submitted and one scheduled; the merchant edits
// and cancels them in the fake shop, which sends its webhooks to the handler,
// and the Service re-imports the draft, withdraws the submitted order and tells
// the dispatcher of the scheduled one.
func TestServiceResyncsOrdersEditedOrCancelledInShopify(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	add := func(name string) shopifytest.Order {
		return w.shop.AddOrder(shopifytest.Order{Email: name + "@example.com", Note: "Gate 1",
			ShippingAddress: &shopifytest.Address{FirstName: name, Address1: "1 Elm St", City: "Austin", Zip: "78701"},
			LineItems:       []shopifytest.LineItem{{Name: "Mug", Quantity: 2, SKU: "MUG"}}})
	}
	draft, submitted, scheduled := add("Ava"), add("Ben"), add("Cy")
	w.link()
	if _, err := w.svc.ImportShopifyOrders(w.ctx, w.owner, []string{draft.Name, submitted.Name, scheduled.Name}, connect.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	ours := map[string]*connect.Order{}
	for _, d := range w.drafts() {
		ours[d.Ref] = d
	}
	if _, err := w.svc.SubmitOrders(w.ctx, w.owner, []connect.OrderID{ours[submitted.Name].ID, ours[scheduled.Name].ID}); err != nil {
		t.Fatal(err)
	}
	_, err := w.svc.ApplyRouteEvents(w.ctx, connect.AsRouteSync(w.client.Account), []connect.RouteEvent{{ID: "s1",
		Order: ours[scheduled.Name].ID, Event: connect.EventSchedule, At: w.clock.Now(), Route: connect.RouteStop{RouteID: "r1", Position: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	send := func(topic string, o shopifytest.Order) {
		t.Helper()
		status, err := w.srv.SendOrderWebhook(w.ctx, w.webhooks, w.shop, topic, o.ID)
		if err != nil || status != http.StatusOK {
			t.Fatalf("%s of %s answered %d, %v", topic, o.Name, status, err)
		}
	}
	read := func(o shopifytest.Order) *connect.Order {
		t.Helper()
		got, err := w.svc.Order(w.ctx, w.owner, ours[o.Name].ID)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}

	// Edited: the draft follows; the scheduled order does not, and says so.
	for _, o := range []shopifytest.Order{draft, scheduled} {
		w.shop.Edit(o.ID, func(o *shopifytest.Order) {
			o.ShippingAddress.Address1 = "9 New St"
			o.Note = "Back door"
		})
		w.shop.Refund(o.ID, "Mug", 1, true)
		send(shopify.TopicOrdersUpdated, o)
	}
	got := read(draft)
	wantProducts := []connect.Product{{Name: "Mug", Quantity: 1, SKU: "MUG"}}
	if got.Address.Line1 != "9 New St" || got.Notes != "Back door" || !cmp.Equal(got.Products, wantProducts) || got.PackageCount != 1 {
		t.Errorf("the draft after orders/updated: %+v", got.OrderInput)
	}
	if ev := got.History[len(got.History)-1]; ev.Event != connect.EventShopifyUpdate {
		t.Errorf("the draft's last event is %+v, want shopify_update", ev)
	}
	got = read(scheduled)
	if got.Address.Line1 != "1 Elm St" || got.Status != connect.StatusScheduled {
		t.Errorf("the scheduled order changed: %s %+v", got.Status, got.Address)
	}
	if ev := got.History[len(got.History)-1]; ev.Event != connect.EventShopifyChange {
		t.Errorf("the scheduled order's last event is %+v, want shopify_change", ev)
	}

	// Cancelled: the draft goes, the submitted order is withdrawn, the
	// scheduled one stays on its route with a notice.
	for _, o := range []shopifytest.Order{draft, submitted, scheduled} {
		w.shop.Cancel(o.ID, "inventory")
		send(shopify.TopicOrdersUpdated, o)
		send(shopify.TopicOrdersCancelled, o)
	}
	_, err = w.svc.Order(w.ctx, w.owner, ours[draft.Name].ID)
	connecttest.WantCode(t, err, connect.NotFound)
	if got := read(submitted); got.Status != connect.StatusDraft || got.History[len(got.History)-1].Event != connect.EventWithdraw {
		t.Errorf("the submitted order after orders/cancelled: %s, %+v", got.Status, got.History[len(got.History)-1])
	}
	got = read(scheduled)
	if ev := got.History[len(got.History)-1]; got.Status != connect.StatusScheduled || ev.Event != connect.EventShopifyCancel {
		t.Errorf("the scheduled order after orders/cancelled: %s, %+v", got.Status, ev)
	}
}

// redeliver sends a copy of a webhook request, as Shopify delivers an event
// again, and returns the answer's status.
func redeliver(t *testing.T, req *http.Request) int {
	t.Helper()
	again := req.Clone(req.Context())
	again.Body, _ = req.GetBody()
	resp, err := http.DefaultClient.Do(again)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestOrdersCancelledActsOnlyOnWhatShopifySaysNow: an orders/cancelled
// delivery, signed, that says cancelled for orders the fake shop says are
// open (a forged or stale payload) changes nothing; when Shopify cannot be
// read, the delivery is answered 503 and nothing is done, and the same
// delivery, once Shopify answers and says the order is cancelled, withdraws it.
func TestOrdersCancelledActsOnlyOnWhatShopifySaysNow(t *testing.T) {
	t.Parallel()
	onStores(t, func(t *testing.T, w *world) {
		add := func(name string) shopifytest.Order {
			return w.shop.AddOrder(shopifytest.Order{Email: name + "@example.com",
				ShippingAddress: &shopifytest.Address{FirstName: name, Address1: "1 Elm St", City: "Austin", Zip: "78701"},
				LineItems:       []shopifytest.LineItem{{Name: "Mug", Quantity: 1}}})
		}
		draft, submitted := add("Ava"), add("Ben")
		ours := w.importAndSubmit([]shopifytest.Order{draft, submitted}, submitted)
		claim := func(o shopifytest.Order) shopify.OrderWebhook {
			at, why := "2026-12-01T10:00:00Z", "fraud"
			return shopify.OrderWebhook{AdminGraphQLAPIID: o.ID, Name: o.Name, CancelledAt: &at, CancelReason: &why}
		}
		read := func(o shopifytest.Order) *connect.Order {
			t.Helper()
			got, err := w.svc.Order(w.ctx, w.owner, ours[o.Name])
			if err != nil {
				t.Fatalf("%s: %v", o.Name, err)
			}
			return got
		}
		before := map[string]*connect.Order{draft.Name: read(draft), submitted.Name: read(submitted)}
		unchanged := func(what string) {
			t.Helper()
			for _, o := range []shopifytest.Order{draft, submitted} {
				if got := read(o); got.Version != before[o.Name].Version || got.Status != before[o.Name].Status {
					t.Errorf("%s: %s went from %s v%d to %s v%d", what, o.Name, before[o.Name].Status, before[o.Name].Version, got.Status, got.Version)
				}
			}
		}

		t.Run("a payload saying cancelled for open orders changes nothing", func(t *testing.T) {
			for _, o := range []shopifytest.Order{draft, submitted} {
				status, err := w.srv.SendWebhook(w.ctx, w.webhooks, w.shop.Domain(), shopify.TopicOrdersCancelled, claim(o))
				if err != nil || status != http.StatusOK {
					t.Fatalf("orders/cancelled of %s answered %d, %v", o.Name, status, err)
				}
			}
			unchanged("open in Shopify")
		})

		t.Run("when Shopify cannot be read, nothing is done and the delivery is retried", func(t *testing.T) {
			w.shop.Cancel(submitted.ID, "customer")
			req, err := w.srv.NewWebhookRequest(w.ctx, w.webhooks, w.shop.Domain(), shopify.TopicOrdersCancelled, claim(submitted))
			if err != nil {
				t.Fatal(err)
			}
			w.shop.FailNext(503, 503, 503, 503, 503)
			if status := redeliver(t, req); status != http.StatusServiceUnavailable {
				t.Fatalf("with Shopify down the delivery answered %d, want 503", status)
			}
			unchanged("Shopify down")
			// Shopify's next try of the same event: Shopify answers now.
			if status := redeliver(t, req); status != http.StatusOK {
				t.Fatalf("the retry answered %d", status)
			}
			if got := read(submitted); got.Status != connect.StatusDraft || got.History[len(got.History)-1].Event != connect.EventWithdraw {
				t.Errorf("the submitted order after a confirmed cancel: %s, %+v", got.Status, got.History[len(got.History)-1])
			}
			if got := read(draft); got.Version != before[draft.Name].Version {
				t.Errorf("the draft of an order still open changed: v%d", got.Version)
			}
		})
	})
}
