package shopify_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/shopify"
)

// recordingService is the Service's webhook side, recording calls; fail makes
// every call fail.
type recordingService struct {
	mu          sync.Mutex
	uninstalled []string
	redactions  []connect.RedactParams
	orders      []orderCall // orders/updated and orders/cancelled
	requests    []connect.DataRequestParams
	fail        error
}

// record runs add as a call of a, unless a is not Shopify's webhooks or
// calls fail.
func (s *recordingService) record(a connect.Actor, add func()) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a != connect.AsShopifyWebhook() {
		return connect.Errorf(connect.Forbidden, "called as %v", a)
	}
	if s.fail != nil {
		return s.fail
	}
	add()
	return nil
}

func (s *recordingService) ShopifyDataRequest(_ context.Context, a connect.Actor, p connect.DataRequestParams) (int, error) {
	if err := s.record(a, func() { s.requests = append(s.requests, p) }); err != nil {
		return 0, err
	}
	return 1, nil
}

func (s *recordingService) ShopifyUninstalled(_ context.Context, a connect.Actor, shop string) (int, error) {
	if err := s.record(a, func() { s.uninstalled = append(s.uninstalled, shop) }); err != nil {
		return 0, err
	}
	return 1, nil
}

func (s *recordingService) RedactShopifyData(_ context.Context, a connect.Actor, p connect.RedactParams) (int, error) {
	if err := s.record(a, func() { s.redactions = append(s.redactions, p) }); err != nil {
		return 0, err
	}
	return 2, nil
}

func (s *recordingService) calls() ([]string, []connect.RedactParams) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.uninstalled...), append([]connect.RedactParams(nil), s.redactions...)
}

// shopClients lists the rig's linked clients for the uninstall webhook.
type shopClients map[string][]*connect.Client

func (c shopClients) ClientsByShopAnyAccount(_ context.Context, shop string) ([]*connect.Client, error) {
	return c[shop], nil
}

// webhookRig is a rig with the webhook handler mounted on a test server.
type webhookRig struct {
	*rig
	svc *recordingService
	url string
}

func newWebhookRig(t *testing.T) *webhookRig {
	t.Helper()
	clients := shopClients{"acme.myshopify.com": {{ID: "client-1", Account: "acct-1"}, {ID: "client-2", Account: "acct-1"}}}
	r := &webhookRig{rig: newRig(t, func(c *shopify.Config) { c.Clients = clients }), svc: &recordingService{}}
	h, err := r.adapter.WebhookHandler(r.svc)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	r.url = srv.URL + "/shopify/webhooks"
	return r
}

func (r *webhookRig) send(topic string, payload any) int {
	r.t.Helper()
	status, err := r.srv.SendWebhook(r.ctx, r.url, r.shop.Domain(), topic, payload)
	if err != nil {
		r.t.Fatal(err)
	}
	return status
}

func TestWebhookWithABadSignatureIs401AndDoesNothing(t *testing.T) {
	t.Parallel()
	r := newWebhookRig(t)
	req, err := r.srv.NewWebhookRequest(r.ctx, r.url, r.shop.Domain(), shopify.TopicShopRedact,
		shopify.ShopRedact{ShopID: 1, ShopDomain: r.shop.Domain()})
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Shopify-Hmac-Sha256", "AAAA"+req.Header.Get("X-Shopify-Hmac-Sha256")[4:])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("answered %d, want 401", resp.StatusCode)
	}
	if u, red := r.svc.calls(); len(u)+len(red) != 0 || r.once.count() != 0 {
		t.Errorf("a forged webhook did something: %v %v, %d ids recorded", u, red, r.once.count())
	}
}

func TestWebhookDeliveredTwiceIsHandledOnce(t *testing.T) {
	t.Parallel()
	r := newWebhookRig(t)
	req, err := r.srv.NewWebhookRequest(r.ctx, r.url, r.shop.Domain(), shopify.TopicShopRedact,
		shopify.ShopRedact{ShopID: 1, ShopDomain: r.shop.Domain()})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		again := req.Clone(r.ctx)
		again.Body, _ = req.GetBody()
		resp, err := http.DefaultClient.Do(again)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("delivery %d answered %d, want 200", i+1, resp.StatusCode)
		}
	}
	if _, red := r.svc.calls(); len(red) != 1 {
		t.Errorf("%d redactions, want 1", len(red))
	}
}

func TestWebhookFailingInOurStoreIs5xxAndHandledOnRetry(t *testing.T) {
	t.Parallel()
	r := newWebhookRig(t)
	req, _ := r.srv.NewWebhookRequest(r.ctx, r.url, r.shop.Domain(), shopify.TopicShopRedact,
		shopify.ShopRedact{ShopID: 1, ShopDomain: r.shop.Domain()})
	deliver := func() int {
		again := req.Clone(r.ctx)
		again.Body, _ = req.GetBody()
		resp, err := http.DefaultClient.Do(again)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	r.svc.fail = connect.Errorf(connect.Unavailable, "the database is down")
	if got := deliver(); got != http.StatusServiceUnavailable {
		t.Fatalf("answered %d while the store fails, want 503", got)
	}
	r.svc.mu.Lock()
	r.svc.fail = nil
	r.svc.mu.Unlock()
	if got := deliver(); got != http.StatusOK {
		t.Fatalf("Shopify's retry answered %d, want 200", got)
	}
	if _, red := r.svc.calls(); len(red) != 1 {
		t.Errorf("%d redactions after the retry, want 1", len(red))
	}
}

func TestUninstallWebhookUnlinksAndDeletesTokens(t *testing.T) {
	t.Parallel()
	r := newWebhookRig(t)
	r.link()
	other := connect.Scope{Account: "acct-1", Client: "client-2"}
	if _, err := r.tokens.SaveShopifyToken(r.ctx, other, "another.myshopify.com", []byte("sealed"), r.clock.Now()); err != nil {
		t.Fatal(err)
	}
	r.shop.Uninstall()
	status := r.send(shopify.TopicAppUninstalled, shopify.AppUninstalled{ID: 1, Name: "Acme", MyshopifyDomain: r.shop.Domain()})
	if status != http.StatusOK {
		t.Fatalf("answered %d", status)
	}
	if u, _ := r.svc.calls(); !cmp.Equal(u, []string{"acme.myshopify.com"}) {
		t.Errorf("ShopifyUninstalled calls = %v", u)
	}
	tokens, _ := r.tokens.snapshot()
	if _, ok := tokens[r.scope]; ok {
		t.Error("the uninstalled shop's token is still stored")
	}
	if _, ok := tokens[other]; !ok {
		t.Error("the token of a client now linked to another shop was deleted")
	}
}

func TestPrivacyWebhooks(t *testing.T) {
	t.Parallel()
	t.Run("customers/redact erases the customer's orders", func(t *testing.T) {
		t.Parallel()
		r := newWebhookRig(t)
		status := r.send(shopify.TopicCustomersRedact, shopify.CustomersRedact{
			ShopID: 1, ShopDomain: r.shop.Domain(),
			Customer:       shopify.PrivacyCustomer{ID: 42, Email: "ava@example.com", Phone: "+15125550100"},
			OrdersToRedact: []int64{5900000000101, 5900000000102},
		})
		if status != http.StatusOK {
			t.Fatalf("answered %d", status)
		}
		_, red := r.svc.calls()
		want := []connect.RedactParams{{Shop: "acme.myshopify.com",
			ShopifyIDs: []string{"gid://shopify/Order/5900000000101", "gid://shopify/Order/5900000000102"},
			Email:      "ava@example.com", Phone: "+15125550100", CustomerID: "42", At: r.clock.Now()}}
		if d := cmp.Diff(want, red, cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".Reason" }, cmp.Ignore())); d != "" {
			t.Errorf("redaction (-want +got):\n%s", d)
		}
	})
	t.Run("shop/redact erases the whole shop", func(t *testing.T) {
		t.Parallel()
		r := newWebhookRig(t)
		if status := r.send(shopify.TopicShopRedact, shopify.ShopRedact{ShopID: 1, ShopDomain: r.shop.Domain()}); status != http.StatusOK {
			t.Fatalf("answered %d", status)
		}
		if _, red := r.svc.calls(); len(red) != 1 || !red[0].WholeShop || red[0].Shop != "acme.myshopify.com" {
			t.Errorf("redactions = %+v, want the whole shop", red)
		}
	})
	t.Run("customers/data_request asks the Service for an export and changes nothing", func(t *testing.T) {
		t.Parallel()
		r := newWebhookRig(t)
		status := r.send(shopify.TopicCustomersDataRequest, shopify.CustomersDataRequest{ShopID: 1, ShopDomain: r.shop.Domain(),
			OrdersRequested: []int64{1}, Customer: shopify.PrivacyCustomer{ID: 42, Email: "ava@example.com"},
			DataRequest: struct {
				ID int64 `json:"id"`
			}{ID: 77}})
		if status != http.StatusOK {
			t.Fatalf("answered %d", status)
		}
		if u, red := r.svc.calls(); len(u)+len(red) != 0 {
			t.Errorf("the data request changed something: %v %v", u, red)
		}
		r.svc.mu.Lock()
		defer r.svc.mu.Unlock()
		want := []connect.DataRequestParams{{Shop: r.shop.Domain(), ShopifyIDs: []string{"gid://shopify/Order/1"},
			Email: "ava@example.com", RequestID: "77", CustomerID: "42"}}
		if d := cmp.Diff(want, r.svc.requests); d != "" {
			t.Errorf("data requests (-want +got):\n%s", d)
		}
	})
	t.Run("a payload for another shop than the header's does nothing", func(t *testing.T) {
		t.Parallel()
		r := newWebhookRig(t)
		status := r.send(shopify.TopicShopRedact, shopify.ShopRedact{ShopID: 1, ShopDomain: "victim.myshopify.com"})
		if status != http.StatusOK {
			t.Fatalf("answered %d", status)
		}
		if _, red := r.svc.calls(); len(red) != 0 {
			t.Errorf("redactions = %+v, want none", red)
		}
	})
	t.Run("an unknown topic is answered and ignored", func(t *testing.T) {
		t.Parallel()
		r := newWebhookRig(t)
		if status := r.send("orders/create", map[string]any{"id": 1}); status != http.StatusOK {
			t.Fatalf("answered %d", status)
		}
	})
}

func TestUninstallRetriedAfterAReinstallChangesNothing(t *testing.T) {
	t.Parallel()
	r := newWebhookRig(t)
	r.link()
	req, err := r.srv.NewWebhookRequest(r.ctx, r.url, r.shop.Domain(), shopify.TopicAppUninstalled,
		shopify.AppUninstalled{ID: 1, MyshopifyDomain: r.shop.Domain()})
	if err != nil {
		t.Fatal(err)
	}
	// The merchant installed the app again after the uninstall was triggered;
	// Shopify's retry of the webhook arrives now.
	relinked := shopClients{"acme.myshopify.com": {{ID: "client-1", Account: "acct-1",
		Shopify: connect.ShopifyLink{Shop: "acme.myshopify.com", LinkedAt: r.clock.Now().Add(time.Minute)}}}}
	h, err := r.adapterWith(func(c *shopify.Config) { c.Clients = relinked }).WebhookHandler(r.svc)
	if err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != http.StatusOK {
		t.Fatalf("answered %d", w.Code)
	}
	if u, _ := r.svc.calls(); len(u) != 0 {
		t.Errorf("ShopifyUninstalled was called for a link newer than the uninstall: %v", u)
	}
	if tokens, _ := r.tokens.snapshot(); len(tokens) != 1 {
		t.Error("the new install's token was deleted")
	}
}

func TestWebhookEventDeliveredTwiceUnderTwoWebhookIDsIsHandledOnce(t *testing.T) {
	t.Parallel()
	r := newWebhookRig(t)
	req, err := r.srv.NewWebhookRequest(r.ctx, r.url, r.shop.Domain(), shopify.TopicShopRedact,
		shopify.ShopRedact{ShopID: 1, ShopDomain: r.shop.Domain()})
	if err != nil {
		t.Fatal(err)
	}
	for i, webhookID := range []string{"delivery-1", "delivery-2"} {
		again := req.Clone(r.ctx)
		again.Body, _ = req.GetBody()
		again.Header.Set("X-Shopify-Webhook-Id", webhookID) // the same event, delivered again
		resp, err := http.DefaultClient.Do(again)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("delivery %d answered %d, want 200", i+1, resp.StatusCode)
		}
	}
	if _, red := r.svc.calls(); len(red) != 1 {
		t.Errorf("%d redactions, want 1: X-Shopify-Event-Id names the event", len(red))
	}
}

func TestWebhookSignedWithThePreviousSecretDuringARotation(t *testing.T) {
	t.Parallel()
	for _, previous := range []string{"", "test-client-secret"} {
		r := newWebhookRig(t)
		a := r.adapterWith(func(c *shopify.Config) { c.Secret, c.PreviousSecret = "the-new-secret", previous })
		h, err := a.WebhookHandler(r.svc)
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(h)
		status, err := r.srv.SendWebhook(r.ctx, srv.URL, r.shop.Domain(), shopify.TopicShopRedact, shopify.ShopRedact{ShopID: 1, ShopDomain: r.shop.Domain()})
		srv.Close()
		if err != nil {
			t.Fatal(err)
		}
		if want := map[string]int{"": http.StatusUnauthorized, "test-client-secret": http.StatusOK}[previous]; status != want {
			t.Errorf("with PreviousSecret %q the old secret's webhook answered %d, want %d", previous, status, want)
		}
	}
}
