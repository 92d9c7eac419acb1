package shopify

import (
	"cmp"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dispatchkit/connect"
)

// Scopes returns the access scopes the app asks a store for, and no more: each
// one widens what a merchant must trust us with, and Shopify's review asks why.
//
//   - read_orders: list open unfulfilled orders and look orders up by id or
//     name, to import them as deliveries. (Without read_all_orders Shopify shows
//     only the last 60 days, which is what a delivery import needs.)
//   - read_merchant_managed_fulfillment_orders: read an order's fulfillment
//     orders at the merchant's own locations, which is what a fulfillment is
//     created from.
//   - write_merchant_managed_fulfillment_orders: create the fulfillment when the
//     delivery is done (or starts).
//   - write_fulfillments: post delivery progress (fulfillmentEventCreate) on
//     the fulfillment, which Shopify shows the shopper.
//
// Orders fulfilled by third-party services or apps (the assigned and
// third_party fulfillment order scopes) are not ours to fulfill, so those scopes
// are not asked for.
func Scopes() []string {
	return []string{
		"read_orders",
		"read_merchant_managed_fulfillment_orders",
		"write_merchant_managed_fulfillment_orders",
		"write_fulfillments",
	}
}

// ScopeReadAllOrders lets an app see orders older than 60 days, which
// Shopify hides (as if they did not exist) from an app without it. See
// Config.ReadAllOrders.
const ScopeReadAllOrders = "read_all_orders"

// MissingScopes returns the scopes of requested that granted (as Shopify's
// token answer lists them) does not grant, in requested's order. A write
// scope grants its read scope: Shopify lists only write_orders for
// read_orders and write_orders.
func MissingScopes(requested, granted []string) []string {
	var out []string
	for _, want := range requested {
		if !slices.ContainsFunc(granted, func(g string) bool { return scopeGrants(g, want) }) {
			out = append(out, want)
		}
	}
	return out
}

// scopeGrants reports whether the granted scope grants want.
func scopeGrants(granted, want string) bool {
	if granted == want {
		return true
	}
	for _, prefix := range []string{"write_", "unauthenticated_write_"} {
		if rest, ok := strings.CutPrefix(granted, prefix); ok {
			return want == strings.Replace(prefix, "write_", "read_", 1)+rest
		}
	}
	return false
}

// ValidShopDomain returns s, lower-cased, if it is a shop's myshopify.com host
// name ("name.myshopify.com": a letter or digit, then letters, digits and
// hyphens), and an Invalid error otherwise. Anything else, a port, a path, a
// scheme, another domain, is refused: the name ends up in URLs the app posts
// its secret to.
func ValidShopDomain(s string) (string, error) {
	// Lower-case ASCII only: strings.ToLower would turn some non-ASCII letters
	// (the Kelvin sign) into ASCII ones, accepting a name Shopify never sent.
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + ('a' - 'A')
		}
	}
	d := string(b)
	name, ok := strings.CutSuffix(d, ".myshopify.com")
	if !ok || name == "" || len(name) > 63 || !isAlnum(name[0]) {
		return "", connect.Errorf(connect.Invalid, "shopify: %q is not a shop's myshopify.com domain", s)
	}
	for i := 1; i < len(name); i++ {
		if !isAlnum(name[i]) && name[i] != '-' {
			return "", connect.Errorf(connect.Invalid, "shopify: %q is not a shop's myshopify.com domain", s)
		}
	}
	return d, nil
}

func isAlnum(c byte) bool { return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' }

// InstallURL returns the page on the shop where the merchant approves the app
// (the authorization code grant): Shopify then redirects to redirectURI with a
// code, the state and an HMAC. shop must come from [ValidShopDomain]; state from
// [NewState], remembered until the callback. No grant_options: the token is an
// offline token, for background work, not tied to the merchant's staff account.
func InstallURL(shop, clientID string, scopes []string, redirectURI, state string) string {
	q := url.Values{
		"client_id":    {clientID},
		"scope":        {strings.Join(scopes, ",")},
		"redirect_uri": {redirectURI},
		"state":        {state},
	}
	return "https://" + shop + "/admin/oauth/authorize?" + q.Encode()
}

// NewState returns a fresh OAuth state: 256 random bits, URL-safe. Store it
// with the install attempt and accept a callback only with the same state, once:
// it stops another site from completing an install in the merchant's name.
func NewState() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails (crypto/rand crashes the program instead)
	return base64.RawURLEncoding.EncodeToString(b)
}

// DefaultCallbackAge is how old a callback's timestamp may be when
// VerifyCallback is given no maxAge.
const DefaultCallbackAge = 5 * time.Minute

// VerifyCallback checks that the query of a request Shopify redirected to (the
// OAuth callback, or an app URL Shopify opens) is Shopify's: its hmac is the hex
// HMAC-SHA256, with the app's secret, of the other parameters sorted by key and
// joined as k=v&...; compared in constant time. It then checks that shop is a
// myshopify.com domain and that timestamp is within maxAge of now (0:
// DefaultCallbackAge), so a captured callback cannot be replayed later.
//
// It does not check state, which needs storage: compare query.Get("state") with
// the state you issued, and forget it.
//
// Errors: Forbidden when the hmac is missing or wrong or the timestamp too old
// or too far ahead; Invalid when the shop or timestamp is malformed.
func VerifyCallback(query url.Values, secret string, now time.Time, maxAge time.Duration) error {
	return verifyCallback(query, now, maxAge, secret)
}

// verifyCallback is VerifyCallback accepting a signature by any of the secrets.
func verifyCallback(query url.Values, now time.Time, maxAge time.Duration, secrets ...string) error {
	got, err := hex.DecodeString(query.Get("hmac"))
	if err != nil || len(got) != sha256.Size {
		return connect.Errorf(connect.Forbidden, "shopify: the request is not signed by Shopify")
	}
	msg := []byte(callbackMessage(query))
	if !slices.ContainsFunc(secrets, func(secret string) bool {
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write(msg)
		return hmac.Equal(got, mac.Sum(nil))
	}) {
		return connect.Errorf(connect.Forbidden, "shopify: the request is not signed by Shopify")
	}
	if _, err := ValidShopDomain(query.Get("shop")); err != nil {
		return err
	}
	secs, err := strconv.ParseInt(query.Get("timestamp"), 10, 64)
	if err != nil {
		return connect.Errorf(connect.Invalid, "shopify: the request has no valid timestamp")
	}
	if maxAge <= 0 {
		maxAge = DefaultCallbackAge
	}
	age := now.Sub(time.Unix(secs, 0))
	if age > maxAge || age < -maxAge {
		return connect.Errorf(connect.Forbidden, "shopify: the request is %s old, over the %s allowed; start again", age.Round(time.Second), maxAge)
	}
	return nil
}

// callbackMessage is what Shopify signs: every parameter but hmac (and the
// legacy signature), sorted by key (then value), form-encoded and joined by
// & as Shopify's own libraries build it (the JS library's URLSearchParams, so
// a base64 host's padding "=" is signed as %3D and a space as +).
func callbackMessage(query url.Values) string {
	type kv struct{ k, v string }
	var pairs []kv
	for k, vs := range query {
		if k == "hmac" || k == "signature" {
			continue
		}
		for _, v := range vs {
			pairs = append(pairs, kv{k, v})
		}
	}
	slices.SortStableFunc(pairs, func(a, b kv) int { return cmp.Or(strings.Compare(a.k, b.k), strings.Compare(a.v, b.v)) })
	parts := make([]string, len(pairs))
	for i, p := range pairs {
		parts[i] = formEncode(p.k) + "=" + formEncode(p.v)
	}
	return strings.Join(parts, "&")
}

// formEncode encodes s as application/x-www-form-urlencoded does (the WHATWG
// URL standard's byte serializer, which URLSearchParams uses): ASCII letters,
// digits and *-._ stay, a space is +, every other byte is %XX.
func formEncode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '*', c == '-', c == '.', c == '_':
			b.WriteByte(c)
		case c == ' ':
			b.WriteByte('+')
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}
