package shopify_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/shopify"
	"github.com/dispatchkit/connect/shopify/shopifytest"
)

// Forged Shopify callbacks and webhooks (issue #9, hostile input). Most were
// covered before; this file adds what was missing and names the rest:
//
//	input                                      → test
//	callback with a bad / missing / non-hex hmac → TestInstallRefusals ("a tampered hmac", "no hmac at all",
//	                                               "a parameter changed after signing"), TestVerifyCallback
//	callback with a replayed state             → TestInstallRefusals ("a replayed state")
//	callback with an expired state             → TestInstallRefusals ("an expired state", "a stale timestamp")
//	callback with a forged or foreign state    → TestInstallRefusals ("a state nobody issued", "... tampered with",
//	                                               "a state of another client", "... for another shop"), FuzzOpenState
//	callback whose shop is not *.myshopify.com → TestInstallRefusals ("a bad shop domain in the callback"),
//	                                               TestVerifyCallback, TestValidShopDomain, FuzzValidShopDomain
//	callback reusing a code                    → TestInstallCallbackReusingACodeIsRefused (here)
//	webhook with a bad hmac                    → TestWebhookWithABadSignatureIs401AndDoesNothing, TestVerifyWebhook
//	webhook without the hmac header            → TestVerifyWebhook ("a missing signature");
//	                                               through the handler: TestForgedWebhooksAreRefusedAndDoNothing (here)
//	webhook replayed (same webhook id)         → TestWebhookDeliveredTwiceIsHandledOnce
//	webhook with an oversized body             → TestVerifyWebhook ("a body over the limit"); through the handler,
//	                                               reading no more than the limit: TestForgedWebhooksAreRefusedAndDoNothing
//	webhook payload for another shop          → TestPrivacyWebhooks ("a payload for another shop ...")
//	fuzzing                                    → FuzzVerifyCallback, FuzzValidShopDomain, FuzzShopDomain, FuzzOpenState,
//	                                               FuzzParseRef, FuzzWebhook (here: signature, headers and payloads)

// TestInstallCallbackReusingACodeIsRefused replays a used authorization code
// with a fresh, valid state: Shopify refuses the code, and the install changes
// nothing.
func TestInstallCallbackReusingACodeIsRefused(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	first := r.approve(r.start("owner", "acme"))
	if w := r.callback("owner", first); w.Code != http.StatusSeeOther {
		t.Fatalf("the first callback answered %d: %s", w.Code, w.Body)
	}
	tokens, _ := r.tokens.snapshot()
	links := r.links.linked()

	q := r.approve(r.start("owner", "acme")) // a new state, and a new code
	q.Set("code", first.Get("code"))
	q.Set("hmac", shopifytest.SignQuery(q, r.srv.Secret()))
	w := r.callback("owner", q)
	if w.Code < 400 || w.Code >= 500 || w.Body.Len() == 0 {
		t.Fatalf("answered %d %q, want a 4xx that says why", w.Code, w.Body)
	}
	after, _ := r.tokens.snapshot()
	if len(after) != len(tokens) || len(r.links.linked()) != len(links) {
		t.Errorf("the refused callback changed something: tokens %d → %d, links %d → %d", len(tokens), len(after), len(links), len(r.links.linked()))
	}
}

// endlessBody is a request body of n bytes of '{' that counts what is read of it.
type endlessBody struct{ left, read int64 }

func (b *endlessBody) Read(p []byte) (int, error) {
	if b.left == 0 {
		return 0, io.EOF
	}
	n := int64(len(p))
	if n > b.left {
		n = b.left
	}
	for i := range p[:n] {
		p[i] = '{'
	}
	b.left -= n
	b.read += n
	return int(n), nil
}

func TestForgedWebhooksAreRefusedAndDoNothing(t *testing.T) {
	t.Parallel()
	sign := func(body []byte, secret string) string {
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write(body)
		return base64.StdEncoding.EncodeToString(mac.Sum(nil))
	}
	const payload = `{"shop_id":1,"shop_domain":"acme.myshopify.com"}`
	cases := []struct {
		name   string
		status int
		req    func(r *webhookRig) (*http.Request, *endlessBody)
	}{
		{"no signature header", http.StatusUnauthorized, func(r *webhookRig) (*http.Request, *endlessBody) {
			req := httptest.NewRequest(http.MethodPost, "/shopify/webhooks", strings.NewReader(payload))
			req.Header.Set("X-Shopify-Topic", shopify.TopicShopRedact)
			req.Header.Set("X-Shopify-Shop-Domain", "acme.myshopify.com")
			return req, nil
		}},
		{"a signed body without the shop header", http.StatusBadRequest, func(r *webhookRig) (*http.Request, *endlessBody) {
			req := httptest.NewRequest(http.MethodPost, "/shopify/webhooks", strings.NewReader(payload))
			req.Header.Set("X-Shopify-Topic", shopify.TopicShopRedact)
			req.Header.Set("X-Shopify-Hmac-Sha256", sign([]byte(payload), r.srv.Secret()))
			return req, nil
		}},
		{"a 1 GiB body", http.StatusBadRequest, func(r *webhookRig) (*http.Request, *endlessBody) {
			body := &endlessBody{left: 1 << 30}
			req := httptest.NewRequest(http.MethodPost, "/shopify/webhooks", body)
			req.Header.Set("X-Shopify-Topic", shopify.TopicShopRedact)
			req.Header.Set("X-Shopify-Shop-Domain", "acme.myshopify.com")
			req.Header.Set("X-Shopify-Hmac-Sha256", sign([]byte(payload), r.srv.Secret()))
			req.Header.Set("X-Shopify-Webhook-Id", "w-1")
			return req, body
		}},
		{"a GET", http.StatusMethodNotAllowed, func(r *webhookRig) (*http.Request, *endlessBody) {
			return httptest.NewRequest(http.MethodGet, "/shopify/webhooks", nil), nil
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := newWebhookRig(t)
			h, err := r.adapter.WebhookHandler(r.svc)
			if err != nil {
				t.Fatal(err)
			}
			req, body := c.req(r)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != c.status || strings.TrimSpace(w.Body.String()) == "" {
				t.Errorf("answered %d %q, want %d with a reason", w.Code, w.Body, c.status)
			}
			// The handler reads the limit and one byte more, then stops: memory
			// and time do not grow with what a sender pushes.
			if body != nil && body.read > shopify.DefaultMaxWebhookBody+64<<10 {
				t.Errorf("read %d bytes of the body, want at most the %d-byte limit (and a buffer)", body.read, shopify.DefaultMaxWebhookBody)
			}
			if u, red := r.svc.calls(); len(u)+len(red) != 0 || r.once.count() != 0 {
				t.Errorf("a refused webhook did something: %v %v, %d ids recorded", u, red, r.once.count())
			}
		})
	}
}

// FuzzWebhook: whatever the body and headers, VerifyWebhook accepts a delivery
// only when its signature is the body's, refuses the rest with Forbidden or
// Invalid, and a verified payload decodes into every topic's type or fails with
// Invalid, never a panic.
func FuzzWebhook(f *testing.F) {
	const secret = "app-secret"
	f.Add([]byte(`{"shop_id":1,"shop_domain":"acme.myshopify.com"}`), "", "acme.myshopify.com", true)
	f.Add([]byte(`{"id":1,"myshopify_domain":"acme.myshopify.com"}`), "AAAA", "ACME.myshopify.com", false)
	f.Add([]byte(`{"orders_to_redact":[1e400],"customer":{"id":"x"}}`), "%%%", "acme.myshopify.com:443", true)
	f.Add([]byte(`[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[`), "", "a.myshopify.com", true)
	f.Fuzz(func(t *testing.T, body []byte, sig, shop string, signIt bool) {
		if signIt {
			mac := hmac.New(sha256.New, []byte(secret))
			mac.Write(body)
			sig = base64.StdEncoding.EncodeToString(mac.Sum(nil))
		}
		req := httptest.NewRequest(http.MethodPost, "/shopify/webhooks", strings.NewReader(string(body)))
		req.Header.Set("X-Shopify-Hmac-Sha256", sig)
		req.Header.Set("X-Shopify-Shop-Domain", shop)
		wh, err := shopify.VerifyWebhook(req, secret, 4<<10)
		if err != nil {
			if code := connect.ErrorCode(err); code != connect.Forbidden && code != connect.Invalid {
				t.Fatalf("VerifyWebhook: %v, want Forbidden or Invalid", err)
			}
			return
		}
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write(body)
		if got, _ := base64.StdEncoding.DecodeString(sig); !hmac.Equal(got, mac.Sum(nil)) {
			t.Fatalf("VerifyWebhook accepted the signature %q of another body", sig)
		}
		if !shopDomain.MatchString(wh.Shop) {
			t.Fatalf("VerifyWebhook accepted the shop %q", wh.Shop)
		}
		for _, v := range []any{&shopify.AppUninstalled{}, &shopify.CustomersDataRequest{}, &shopify.CustomersRedact{}, &shopify.ShopRedact{}} {
			if err := wh.Decode(v); err != nil && connect.ErrorCode(err) != connect.Invalid {
				t.Fatalf("Decode(%T): %v, want Invalid", v, err)
			}
		}
	})
}
