package shopify_test

import (
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dispatchkit/connect/shopify"
	"github.com/dispatchkit/connect/shopify/shopifytest"
)

var shopDomain = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}\.myshopify\.com$`)

// FuzzValidShopDomain: whatever is accepted is a lower-case name.myshopify.com
// and nothing more, so it is safe to put in a URL the app posts its secret to,
// and it is the input up to ASCII case, not a look-alike.
func FuzzValidShopDomain(f *testing.F) {
	for _, s := range []string{"acme.myshopify.com", "ACME.myshopify.com", "acme.myshopify.com:443", "acme.myshopify.com.evil.com", "evil.com/.myshopify.com", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := shopify.ValidShopDomain(s)
		if err != nil {
			return
		}
		if !shopDomain.MatchString(d) || len(d) != len(s) || !strings.EqualFold(d, s) {
			t.Fatalf("ValidShopDomain(%q) accepted %q", s, d)
		}
		u, perr := url.Parse("https://" + d + "/admin/oauth/access_token")
		if perr != nil || u.Host != d || u.Hostname() != d {
			t.Fatalf("ValidShopDomain(%q) = %q, which does not stay the host of a URL", s, d)
		}
		if again, err := shopify.ValidShopDomain(d); err != nil || again != d {
			t.Fatalf("ValidShopDomain is not idempotent on %q", d)
		}
	})
}

// FuzzVerifyCallback: any parameter added to a signed callback, or any change
// to one, makes it fail; and arbitrary queries never panic it.
func FuzzVerifyCallback(f *testing.F) {
	f.Add("state", "x", "")
	f.Add("shop", "evil.myshopify.com", "code=abc&hmac=00")
	f.Add("code", "abc&shop=evil.myshopify.com", "hmac=zz&shop=a.myshopify.com&timestamp=1")
	f.Add("x", "1%26y%3D2", "a=1&a=2")
	f.Add("", "", "hmac=700e2dadb827fcc8609e9d5ce208b2e9cdaab9df07390d2cbca10d7c328fc4bf")
	const secret = "app-secret"
	now := time.Unix(1_790_000_000, 0)
	f.Fuzz(func(t *testing.T, key, value, raw string) {
		if q, err := url.ParseQuery(raw); err == nil {
			_ = shopify.VerifyCallback(q, secret, now, time.Minute) // must not panic
		}

		q := url.Values{
			"code":      {"c0de"},
			"shop":      {"acme.myshopify.com"},
			"state":     {"st4te"},
			"timestamp": {strconv.FormatInt(now.Unix(), 10)},
		}
		q.Set("hmac", shopifytest.SignQuery(q, secret))
		if err := shopify.VerifyCallback(q, secret, now, time.Minute); err != nil {
			t.Fatalf("the signed callback failed: %v", err)
		}
		if key == "hmac" || key == "signature" {
			return // not signed: changing them is not a change to the message
		}
		q.Add(key, value)
		if err := shopify.VerifyCallback(q, secret, now, time.Minute); err == nil {
			t.Fatalf("adding %q=%q to a signed callback still verified", key, value)
		}
	})
}

// FuzzShopDomain: what a merchant types becomes a valid myshopify.com host
// name, or is refused.
func FuzzShopDomain(f *testing.F) {
	for _, s := range []string{"acme", "acme.myshopify.com", "https://ACME.myshopify.com/admin", "http://acme.myshopify.com:443/", "acme.example.com", "", "/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := shopify.ShopDomain(s)
		if err != nil {
			return
		}
		if !shopDomain.MatchString(d) {
			t.Fatalf("ShopDomain(%q) accepted %q", s, d)
		}
	})
}
