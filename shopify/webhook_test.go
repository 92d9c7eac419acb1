package shopify_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/shopify"
	"github.com/dispatchkit/connect/shopify/shopifytest"
)

func TestVerifyWebhookAcceptsTheFakesDelivery(t *testing.T) {
	t.Parallel()
	clock := &shopifytest.Clock{}
	srv := shopifytest.New(shopifytest.Config{Now: clock.Now})
	t.Cleanup(srv.Close)

	got := make(chan shopify.Webhook, 1)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hook, err := shopify.VerifyWebhook(r, srv.Secret(), 0)
		if err != nil {
			t.Errorf("VerifyWebhook: %v", err)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		got <- hook
	}))
	t.Cleanup(recv.Close)

	sent := shopify.CustomersRedact{
		ShopID: 954889, ShopDomain: "acme.myshopify.com",
		Customer:       shopify.PrivacyCustomer{ID: 191167, Email: "ava@example.com", Phone: "+15125550100"},
		OrdersToRedact: []int64{299938, 280263},
	}
	status, err := srv.SendWebhook(context.Background(), recv.URL, "acme.myshopify.com", shopify.TopicCustomersRedact, sent)
	if err != nil || status != http.StatusOK {
		t.Fatalf("SendWebhook = %d, %v", status, err)
	}
	hook := <-got
	if hook.Topic != shopify.TopicCustomersRedact || hook.Shop != "acme.myshopify.com" || hook.APIVersion != shopify.APIVersion ||
		hook.WebhookID == "" || hook.EventID == "" || !hook.TriggeredAt.Equal(clock.Now()) {
		t.Errorf("webhook %+v: headers not read", hook)
	}
	var payload shopify.CustomersRedact
	if err := hook.Decode(&payload); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(sent, payload); d != "" {
		t.Errorf("payload (-sent +decoded):\n%s", d)
	}
}

func TestVerifyWebhook(t *testing.T) {
	t.Parallel()
	const secret = "hush"
	const body = `{"id":1}`
	const sig = "VnKUjZsLuN5iZWjn5EntcBVCF9kMN43LglzCE1/GSeY=" // base64 HMAC-SHA256("hush", body), computed independently
	request := func(body, sig, shop string) *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/shopify/webhooks", strings.NewReader(body))
		r.Header.Set("X-Shopify-Hmac-Sha256", sig)
		r.Header.Set("X-Shopify-Shop-Domain", shop)
		r.Header.Set("X-Shopify-Topic", "app/uninstalled")
		r.Header.Set("X-Shopify-Triggered-At", "2026-11-02T09:00:27.877041743Z")
		return r
	}
	tests := []struct {
		name    string
		req     *http.Request
		maxBody int64
		want    connect.Code
	}{
		{"a body signed with the secret is accepted", request(body, sig, "acme.myshopify.com"), 0, ""},
		{"a changed body is refused", request(`{"id":2}`, sig, "acme.myshopify.com"), 0, connect.Forbidden},
		{"a signature with another secret is refused", request(body, "2e0R7m6X3x8hHkHnK8Qf5f3p8r0Wl4bS9uWvJ0s1c2A=", "acme.myshopify.com"), 0, connect.Forbidden},
		{"a missing signature is refused", request(body, "", "acme.myshopify.com"), 0, connect.Forbidden},
		{"a signature that is not base64 is refused", request(body, "%%%", "acme.myshopify.com"), 0, connect.Forbidden},
		{"a hex signature is refused", request(body, "5672948d9b0bb8de626568e7e449ed70154217d90c378dcb825cc2135fc649e6", "acme.myshopify.com"), 0, connect.Forbidden},
		{"a body over the limit is refused", request(body, sig, "acme.myshopify.com"), 7, connect.Invalid},
		{"a body at the limit is accepted", request(body, sig, "acme.myshopify.com"), int64(len(body)), ""},
		{"a signed body from a shop outside myshopify.com is refused", request(body, sig, "acme.example.com"), 0, connect.Invalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			hook, err := shopify.VerifyWebhook(tt.req, secret, tt.maxBody)
			if got := connect.ErrorCode(err); got != tt.want {
				t.Fatalf("VerifyWebhook = %v; want code %q", err, tt.want)
			}
			if err == nil {
				want := shopify.Webhook{Topic: "app/uninstalled", Shop: "acme.myshopify.com", Body: []byte(body),
					TriggeredAt: time.Date(2026, 11, 2, 9, 0, 27, 877041743, time.UTC)}
				if d := cmp.Diff(want, hook); d != "" {
					t.Errorf("webhook (-want +got):\n%s", d)
				}
			}
		})
	}
}

func TestWebhookPayloads(t *testing.T) {
	t.Parallel()
	tests := []struct {
		body string
		into any
		want any
	}{
		{`{"id":548380009,"name":"Acme","email":"a@example.com","domain":"acme.example","myshopify_domain":"acme.myshopify.com"}`,
			&shopify.AppUninstalled{}, &shopify.AppUninstalled{ID: 548380009, Name: "Acme", Domain: "acme.example", MyshopifyDomain: "acme.myshopify.com"}},
		{`{"shop_id":954889,"shop_domain":"acme.myshopify.com","orders_requested":[299938,280263],"customer":{"id":191167,"email":"john@example.com","phone":"555-625-1199"},"data_request":{"id":9999}}`,
			&shopify.CustomersDataRequest{}, func() *shopify.CustomersDataRequest {
				d := &shopify.CustomersDataRequest{ShopID: 954889, ShopDomain: "acme.myshopify.com", OrdersRequested: []int64{299938, 280263},
					Customer: shopify.PrivacyCustomer{ID: 191167, Email: "john@example.com", Phone: "555-625-1199"}}
				d.DataRequest.ID = 9999
				return d
			}()},
		{`{"shop_id":954889,"shop_domain":"acme.myshopify.com"}`,
			&shopify.ShopRedact{}, &shopify.ShopRedact{ShopID: 954889, ShopDomain: "acme.myshopify.com"}},
	}
	for _, tt := range tests {
		if err := (shopify.Webhook{Body: []byte(tt.body)}).Decode(tt.into); err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(tt.want, tt.into); d != "" {
			t.Errorf("decoded (-want +got):\n%s", d)
		}
	}
	if err := (shopify.Webhook{Topic: "shop/redact", Body: []byte(`{"shop_id":"x"}`)}).Decode(&shopify.ShopRedact{}); connect.ErrorCode(err) != connect.Invalid {
		t.Errorf("a malformed payload gave %v; want Invalid", err)
	}
}
