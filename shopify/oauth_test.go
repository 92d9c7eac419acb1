package shopify_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/shopify"
	"github.com/dispatchkit/connect/shopify/shopifytest"
)

func TestValidShopDomain(t *testing.T) {
	t.Parallel()
	valid := map[string]string{
		"acme.myshopify.com":            "acme.myshopify.com",
		"Acme-Store.MyShopify.com":      "acme-store.myshopify.com",
		"1shop.myshopify.com":           "1shop.myshopify.com",
		"a.myshopify.com":               "a.myshopify.com",
		"shop-with-dash-.myshopify.com": "shop-with-dash-.myshopify.com",
	}
	for in, want := range valid {
		got, err := shopify.ValidShopDomain(in)
		if err != nil || got != want {
			t.Errorf("ValidShopDomain(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	invalid := []string{
		"", ".myshopify.com", "-acme.myshopify.com", "acme.myshopify.com:443", "acme.myshopify.com/admin",
		"https://acme.myshopify.com", "acme.myshopify.com.evil.com", "evil.com", "acme.shopify.com",
		"acme_store.myshopify.com", "ac me.myshopify.com", "a.b.myshopify.com", "acme.myshopify.com.",
		"acme.myshopify.com?x=1", "acme@evil.com#.myshopify.com", strings.Repeat("a", 64) + ".myshopify.com",
		"ácme.myshopify.com", "acme.myshopify.com\n", "\u212acme.myshopify.com", "acme.myshop\u0130fy.com",
	}
	for _, in := range invalid {
		if got, err := shopify.ValidShopDomain(in); connect.ErrorCode(err) != connect.Invalid {
			t.Errorf("ValidShopDomain(%q) = %q, %v; want an Invalid error", in, got, err)
		}
	}
}

func TestInstallURL(t *testing.T) {
	t.Parallel()
	got := shopify.InstallURL("acme.myshopify.com", "client-1", shopify.Scopes(), "https://portal.example/shopify/callback", "st4te")
	u, err := url.Parse(got)
	if err != nil {
		t.Fatal(err)
	}
	if u.Scheme != "https" || u.Host != "acme.myshopify.com" || u.Path != "/admin/oauth/authorize" {
		t.Errorf("InstallURL = %s; want https://acme.myshopify.com/admin/oauth/authorize?…", got)
	}
	want := url.Values{
		"client_id":    {"client-1"},
		"scope":        {"read_orders,read_merchant_managed_fulfillment_orders,write_merchant_managed_fulfillment_orders,write_fulfillments"},
		"redirect_uri": {"https://portal.example/shopify/callback"},
		"state":        {"st4te"},
	}
	if d := cmp.Diff(want, u.Query()); d != "" {
		t.Errorf("InstallURL query (-want +got):\n%s", d)
	}
}

func TestScopesAreOnlyWhatTheAdapterNeeds(t *testing.T) {
	t.Parallel()
	want := []string{"read_orders", "read_merchant_managed_fulfillment_orders", "write_merchant_managed_fulfillment_orders", "write_fulfillments"}
	if d := cmp.Diff(want, shopify.Scopes()); d != "" {
		t.Errorf("Scopes (-want +got):\n%s", d)
	}
	s := shopify.Scopes()
	s[0] = "write_everything"
	if shopify.Scopes()[0] != "read_orders" {
		t.Error("changing the returned slice changed Scopes")
	}
}

func TestNewStateIsRandomAndURLSafe(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 100 {
		s := shopify.NewState()
		if len(s) < 22 { // 128 bits in unpadded base64
			t.Fatalf("NewState() = %q: shorter than 128 bits", s)
		}
		if url.QueryEscape(s) != s {
			t.Fatalf("NewState() = %q: not URL-safe", s)
		}
		if seen[s] {
			t.Fatalf("NewState() repeated %q", s)
		}
		seen[s] = true
	}
}

// Shopify's documented example: secret "hush".
func TestVerifyCallbackAcceptsShopifysDocumentedExample(t *testing.T) {
	t.Parallel()
	q := url.Values{
		"code":      {"0907a61c0c8d55e99db179b68161bc00"},
		"hmac":      {"700e2dadb827fcc8609e9d5ce208b2e9cdaab9df07390d2cbca10d7c328fc4bf"},
		"shop":      {"some-shop.myshopify.com"},
		"state":     {"0.6784241404160823"},
		"timestamp": {"1337178173"},
	}
	if err := shopify.VerifyCallback(q, "hush", time.Unix(1337178173+30, 0), time.Minute); err != nil {
		t.Fatalf("VerifyCallback: %v", err)
	}
}

func TestVerifyCallback(t *testing.T) {
	t.Parallel()
	const secret = "app-secret"
	now := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	signed := func(edit func(url.Values)) url.Values {
		q := url.Values{
			"code":      {"c0de"},
			"host":      {"YWRtaW4uc2hvcGlmeS5jb20vc3RvcmUvYWNtZQ"},
			"shop":      {"acme.myshopify.com"},
			"state":     {"st4te"},
			"timestamp": {strconv.FormatInt(now.Add(-30*time.Second).Unix(), 10)},
		}
		if edit != nil {
			edit(q)
		}
		q.Set("hmac", shopifytest.SignQuery(q, secret))
		return q
	}
	tests := []struct {
		name  string
		query url.Values
		want  connect.Code
	}{
		{"a fresh callback signed with the secret is accepted", signed(nil), ""},
		{"a tampered parameter is refused", func() url.Values { q := signed(nil); q.Set("shop", "evil.myshopify.com"); return q }(), connect.Forbidden},
		{"a tampered hmac is refused", func() url.Values {
			q := signed(nil)
			h := []byte(q.Get("hmac"))
			h[0] ^= 1
			q.Set("hmac", string(h))
			return q
		}(), connect.Forbidden},
		{"a missing hmac is refused", func() url.Values { q := signed(nil); q.Del("hmac"); return q }(), connect.Forbidden},
		{"an hmac that is not hex is refused", func() url.Values { q := signed(nil); q.Set("hmac", "zz"); return q }(), connect.Forbidden},
		{"a callback signed with another secret is refused", func() url.Values {
			q := signed(nil)
			q.Set("hmac", shopifytest.SignQuery(q, "other-secret"))
			return q
		}(), connect.Forbidden},
		{"a signed callback for a shop outside myshopify.com is refused", signed(func(q url.Values) { q.Set("shop", "acme.example.com") }), connect.Invalid},
		{"a signed callback with a port in the shop is refused", signed(func(q url.Values) { q.Set("shop", "acme.myshopify.com:8443") }), connect.Invalid},
		{"a stale timestamp is refused", signed(func(q url.Values) {
			q.Set("timestamp", strconv.FormatInt(now.Add(-10*time.Minute).Unix(), 10))
		}), connect.Forbidden},
		{"a timestamp far in the future is refused", signed(func(q url.Values) {
			q.Set("timestamp", strconv.FormatInt(now.Add(10*time.Minute).Unix(), 10))
		}), connect.Forbidden},
		{"a missing timestamp is refused", signed(func(q url.Values) { q.Del("timestamp") }), connect.Invalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := shopify.VerifyCallback(tt.query, secret, now, 5*time.Minute)
			if got := connect.ErrorCode(err); got != tt.want {
				t.Errorf("VerifyCallback = %v; want code %q", err, tt.want)
			}
		})
	}
}

func TestVerifyCallbackTreatsSpecialCharactersAsShopifyDoes(t *testing.T) {
	t.Parallel()
	// A value containing & must not be able to pass for two parameters: Shopify
	// escapes & and % before signing, so "a=1&b=2" as one value differs from a
	// and b as two.
	one := url.Values{"shop": {"acme.myshopify.com"}, "timestamp": {"1700000000"}, "x": {"1&y=2"}}
	two := url.Values{"shop": {"acme.myshopify.com"}, "timestamp": {"1700000000"}, "x": {"1"}, "y": {"2"}}
	two.Set("hmac", shopifytest.SignQuery(two, "s"))
	one.Set("hmac", two.Get("hmac"))
	if err := shopify.VerifyCallback(one, "s", time.Unix(1700000000, 0), time.Minute); err == nil {
		t.Error("a value with & verified with the signature of two parameters")
	}
}

func TestMissingScopesCountsWriteAsRead(t *testing.T) {
	t.Parallel()
	tests := []struct {
		granted, want []string
	}{
		{[]string{"read_orders", "write_merchant_managed_fulfillment_orders", "write_fulfillments"}, nil},
		{[]string{"write_orders", "write_merchant_managed_fulfillment_orders"}, []string{"write_fulfillments"}},
		{nil, shopify.Scopes()},
		{[]string{"read_fulfillments", "read_orders"}, []string{"read_merchant_managed_fulfillment_orders", "write_merchant_managed_fulfillment_orders", "write_fulfillments"}},
	}
	for _, tt := range tests {
		if d := cmp.Diff(tt.want, shopify.MissingScopes(shopify.Scopes(), tt.granted)); d != "" {
			t.Errorf("MissingScopes(granted %v) (-want +got):\n%s", tt.granted, d)
		}
	}
}

// TestVerifyCallbackSignsTheFormEncodedQuery checks the message Shopify's
// libraries sign: sorted, form-encoded (a padded base64 host's "=" as %3D).
func TestVerifyCallbackSignsTheFormEncodedQuery(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_700_000_000, 0)
	q := url.Values{"code": {"0907a61c0c8d55e99db179b68161bc00"}, "host": {"YWRtaW4uc2hvcGlmeS5jb20vc3RvcmUvYWNtZQ=="},
		"shop": {"acme.myshopify.com"}, "state": {"a b"}, "timestamp": {"1700000000"}}
	message := "code=0907a61c0c8d55e99db179b68161bc00&host=YWRtaW4uc2hvcGlmeS5jb20vc3RvcmUvYWNtZQ%3D%3D&shop=acme.myshopify.com&state=a+b&timestamp=1700000000"
	mac := hmac.New(sha256.New, []byte("s3cret"))
	mac.Write([]byte(message))
	q.Set("hmac", hex.EncodeToString(mac.Sum(nil)))
	if err := shopify.VerifyCallback(q, "s3cret", now, 0); err != nil {
		t.Errorf("VerifyCallback of the form-encoded signature: %v", err)
	}
	if got := shopifytest.SignQuery(q, "s3cret"); got != q.Get("hmac") {
		t.Errorf("the fake signs %s, want %s", got, q.Get("hmac"))
	}
}
