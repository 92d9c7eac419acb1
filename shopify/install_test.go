package shopify_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/shopify"
	"github.com/dispatchkit/connect/shopify/shopifytest"
)

// openShopToken opens a shop's sealed token.
func openShopToken(t *testing.T, s *shopify.Sealer, shop string, sealed []byte) shopify.Token {
	t.Helper()
	plain, err := s.OpenShop(shop, sealed)
	if err != nil {
		t.Fatal(err)
	}
	var tok shopify.Token
	if err := json.Unmarshal(plain, &tok); err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestInstallSendsTheMerchantToShopifyWithASignedState(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	for _, typed := range []string{"acme", "acme.myshopify.com", " ACME.myshopify.com ", "https://acme.myshopify.com/admin/orders"} {
		w := r.start("owner", typed)
		if w.Code != http.StatusSeeOther {
			t.Fatalf("Start(%q) answered %d: %s", typed, w.Code, w.Body)
		}
		u, err := url.Parse(w.Header().Get("Location"))
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		if u.Host != "acme.myshopify.com" || u.Path != "/admin/oauth/authorize" {
			t.Errorf("Start(%q) redirected to %s", typed, u)
		}
		want := url.Values{"client_id": {r.srv.ClientID()}, "scope": {strings.Join(shopify.Scopes(), ",")},
			"redirect_uri": {redirectURL}, "state": {q.Get("state")}}
		if d := cmp.Diff(want, q); d != "" || q.Get("state") == "" {
			t.Errorf("install URL query (-want +got):\n%s", d)
		}
	}
}

func TestInstallLinksTheStoreAndKeepsItsTokenSealed(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	w := r.callback("owner", r.approve(r.start("owner", "acme")))
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != returnURL {
		t.Fatalf("Callback answered %d, Location %q: %s", w.Code, w.Header().Get("Location"), w.Body)
	}
	if d := cmp.Diff([]linkCall{{r.owner, "acme.myshopify.com"}}, r.links.linked()); d != "" {
		t.Errorf("LinkShopify calls (-want +got):\n%s", d)
	}
	st, err := r.tokens.ShopifyToken(r.ctx, r.scope)
	if err != nil || st.Shop != "acme.myshopify.com" {
		t.Fatalf("stored token %+v, %v", st, err)
	}
	sealed := st.Sealed
	tok := openShopToken(t, r.sealer, st.Shop, sealed)
	now := r.clock.Now()
	if !strings.HasPrefix(tok.AccessToken, "shpat_") || !strings.HasPrefix(tok.RefreshToken, "shprt_") ||
		!tok.ExpiresAt.Equal(now.Add(time.Hour)) || !tok.RefreshExpiresAt.After(now.Add(30*24*time.Hour)) {
		t.Errorf("stored token = %+v; want an expiring offline token (1 h) with a refresh token", tok)
	}
	t.Run("the stored bytes are not the token", func(t *testing.T) {
		for _, secret := range []string{tok.AccessToken, tok.RefreshToken} {
			if bytes.Contains(sealed, []byte(secret)) {
				t.Errorf("the sealed token contains %q in clear", secret)
			}
		}
	})
	t.Run("they open only for the same shop", func(t *testing.T) {
		if _, err := r.sealer.OpenShop("another.myshopify.com", sealed); err == nil {
			t.Error("the token opened for another shop")
		}
		if _, err := r.sealer.Open(connect.ClientID(st.Shop), sealed); err == nil {
			t.Error("the shop's token opened as a client's")
		}
	})
	t.Run("they open only with the same key", func(t *testing.T) {
		other, _ := shopify.NewSealer(bytes.Repeat([]byte{8}, 32))
		if _, err := other.OpenShop(st.Shop, sealed); err == nil {
			t.Error("the token opened with another key")
		}
	})
	t.Run("the token reaches the store", func(t *testing.T) {
		r.shop.Seed(3)
		page, err := r.adapter.UnfulfilledOrders(r.ctx, r.scope, "", 10)
		if err != nil || len(page.Orders) != 3 {
			t.Fatalf("UnfulfilledOrders = %v, %v; want 3 orders", page, err)
		}
	})
}

// TestInstallRefusals tries every way a callback can be wrong: each is refused
// with a 400 or 403 and a message, and nothing is saved or linked.
func TestInstallRefusals(t *testing.T) {
	t.Parallel()
	resign := func(r *rig, q url.Values) url.Values {
		q.Set("hmac", shopifytest.SignQuery(q, r.srv.Secret()))
		return q
	}
	cases := []struct {
		name   string
		status int
		// run makes the refused request; it may set up the rig first.
		run  func(r *rig) *httptest.ResponseRecorder
		says string
	}{
		{"a tampered hmac", 403, func(r *rig) *httptest.ResponseRecorder {
			q := r.approve(r.start("owner", "acme"))
			h := []byte(q.Get("hmac"))
			h[0] ^= 1
			q.Set("hmac", string(h))
			return r.callback("owner", q)
		}, "not signed by Shopify"},
		{"a parameter changed after signing", 403, func(r *rig) *httptest.ResponseRecorder {
			q := r.approve(r.start("owner", "acme"))
			q.Set("code", "another-code")
			return r.callback("owner", q)
		}, "not signed by Shopify"},
		{"no hmac at all", 403, func(r *rig) *httptest.ResponseRecorder {
			q := r.approve(r.start("owner", "acme"))
			q.Del("hmac")
			return r.callback("owner", q)
		}, "not signed by Shopify"},
		{"a state nobody issued", 403, func(r *rig) *httptest.ResponseRecorder {
			q := r.approve(r.start("owner", "acme"))
			q.Set("state", shopify.NewState())
			return r.callback("owner", resign(r, q))
		}, "not valid"},
		{"a state whose signature was tampered with", 403, func(r *rig) *httptest.ResponseRecorder {
			q := r.approve(r.start("owner", "acme"))
			st := []byte(q.Get("state"))
			st[len(st)-2] = map[bool]byte{true: 'B', false: 'A'}[st[len(st)-2] == 'A']
			q.Set("state", string(st))
			return r.callback("owner", resign(r, q))
		}, "not valid"},
		{"a state of another client", 403, func(r *rig) *httptest.ResponseRecorder {
			r.signIn("other", connect.AsMember("acct-1", "client-2", "member-9"))
			q := r.approve(r.start("other", "acme"))
			return r.callback("owner", q)
		}, "started by someone else"},
		{"a state of the same client in another account", 403, func(r *rig) *httptest.ResponseRecorder {
			r.signIn("other", connect.AsMember("acct-2", "client-1", "member-9"))
			q := r.approve(r.start("other", "acme"))
			return r.callback("owner", q)
		}, "started by someone else"},
		{"a state for another shop", 403, func(r *rig) *httptest.ResponseRecorder {
			q := r.approve(r.start("owner", "other-shop"))
			q.Set("shop", "acme.myshopify.com")
			return r.callback("owner", resign(r, q))
		}, "another store"},
		{"a bad shop domain at the start", 400, func(r *rig) *httptest.ResponseRecorder {
			return r.start("owner", "acme.example.com")
		}, "myshopify.com"},
		{"a bad shop domain in the callback", 400, func(r *rig) *httptest.ResponseRecorder {
			q := r.approve(r.start("owner", "acme"))
			q.Set("shop", "acme.myshopify.com.evil.example")
			return r.callback("owner", resign(r, q))
		}, "not a shop's myshopify.com domain"},
		{"a replayed state", 403, func(r *rig) *httptest.ResponseRecorder {
			q := r.approve(r.start("owner", "acme"))
			if w := r.callback("owner", q); w.Code != http.StatusSeeOther {
				r.t.Fatalf("the first callback answered %d: %s", w.Code, w.Body)
			}
			r.tokens.reset() // forget the first install
			r.links.reset()
			q.Set("code", "a-fresh-code")
			return r.callback("owner", resign(r, q))
		}, "already used"},
		{"a stale timestamp", 403, func(r *rig) *httptest.ResponseRecorder {
			q := r.approve(r.start("owner", "acme"))
			q.Set("timestamp", strconv.FormatInt(r.clock.Now().Add(-6*time.Minute).Unix(), 10))
			return r.callback("owner", resign(r, q))
		}, "old"},
		{"an expired state", 403, func(r *rig) *httptest.ResponseRecorder {
			q := r.approve(r.start("owner", "acme"))
			r.clock.Advance(11 * time.Minute)
			q.Set("timestamp", strconv.FormatInt(r.clock.Now().Unix(), 10))
			return r.callback("owner", resign(r, q))
		}, "expired"},
		{"no session at the callback", 403, func(r *rig) *httptest.ResponseRecorder {
			return r.callback("", r.approve(r.start("owner", "acme")))
		}, "sign in"},
		{"no session at the start", 403, func(r *rig) *httptest.ResponseRecorder {
			return r.start("", "acme")
		}, "sign in"},
		{"a dispatcher at the start", 403, func(r *rig) *httptest.ResponseRecorder {
			r.signIn("dispatcher", connect.AsDispatcher("acct-1", "ana@dispatch.example"))
			return r.start("dispatcher", "acme")
		}, "member of a client's team"},
		{"a plain member, refused before the code is traded", 403, func(r *rig) *httptest.ResponseRecorder {
			r.links.roles = map[connect.MemberID]connect.Role{r.owner.Member: connect.RoleMember}
			return r.callback("owner", r.approve(r.start("owner", "acme")))
		}, "only the owner or an admin"},
		{"a member the Service refuses", 403, func(r *rig) *httptest.ResponseRecorder {
			r.links.refuse = connect.Errorf(connect.Forbidden, "only owners and admins may manage integrations")
			return r.callback("owner", r.approve(r.start("owner", "acme")))
		}, "owners and admins"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := newRig(t)
			w := c.run(r)
			if w.Code != c.status || !strings.Contains(w.Body.String(), c.says) {
				t.Fatalf("answered %d %q, want %d saying %q", w.Code, w.Body, c.status, c.says)
			}
			if tokens, _ := r.tokens.snapshot(); len(tokens) != 0 {
				t.Errorf("tokens after the refusal: %d stored; want none", len(tokens))
			}
			if calls := r.links.linked(); len(calls) != 0 {
				t.Errorf("LinkShopify was called: %+v", calls)
			}
		})
	}
}

// TestInstallRefusedByTheServiceKeepsTheShopsNewToken: once the code is
// traded, Shopify has revoked the shop's earlier token; should the Service
// then refuse the link, the new token stays the shop's (other clients linked
// to it need it), and the client's link is as it was.
func TestInstallRefusedByTheServiceKeepsTheShopsNewToken(t *testing.T) {
	t.Parallel()
	t.Run("a client linked to the shop stays linked, with the new token", func(t *testing.T) {
		t.Parallel()
		r := newRig(t)
		r.link()
		_, old := r.storedToken(r.scope)
		r.links.refuse = connect.Errorf(connect.Forbidden, "only owners and admins may manage integrations")
		w := r.callback("owner", r.approve(r.start("owner", "acme")))
		if w.Code != http.StatusForbidden {
			t.Fatalf("answered %d: %s", w.Code, w.Body)
		}
		_, now := r.storedToken(r.scope)
		if now.AccessToken == old.AccessToken {
			t.Fatal("the revoked token was kept")
		}
		r.shop.Seed(1)
		if _, err := r.adapter.UnfulfilledOrders(r.ctx, r.scope, "", 10); err != nil {
			t.Fatalf("the shop's new token does not work: %v", err)
		}
	})
	t.Run("a client not linked before is not linked after", func(t *testing.T) {
		t.Parallel()
		r := newRig(t)
		r.links.refuse = connect.Errorf(connect.Forbidden, "only owners and admins may manage integrations")
		w := r.callback("owner", r.approve(r.start("owner", "acme")))
		if w.Code != http.StatusForbidden {
			t.Fatalf("answered %d: %s", w.Code, w.Body)
		}
		if tokens, _ := r.tokens.snapshot(); len(tokens) != 0 {
			t.Errorf("tokens after the refusal: %v", tokens)
		}
	})
}

func TestInstallTellsTheOwnerWhichScopesShopifyDidNotGrant(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.shop.GrantOnly("read_orders", "read_merchant_managed_fulfillment_orders", "write_merchant_managed_fulfillment_orders")
	w := r.callback("owner", r.approve(r.start("owner", "acme")))
	if w.Code != http.StatusSeeOther {
		t.Fatalf("Callback answered %d: %s", w.Code, w.Body)
	}
	back, err := url.Parse(w.Header().Get("Location"))
	if err != nil || back.Query().Get(shopify.MissingScopesParam) != "write_fulfillments" {
		t.Errorf("Callback sent the owner to %q, want the return URL naming write_fulfillments", w.Header().Get("Location"))
	}
	missing, err := r.adapter.MissingScopes(r.ctx, r.scope)
	if err != nil || !slices.Equal(missing, []string{"write_fulfillments"}) {
		t.Errorf("MissingScopes = %v, %v; want [write_fulfillments]", missing, err)
	}

	// Progress events then fail as forbidden, naming the scope, not as a bug.
	o, ref := r.order()
	if err := r.adapter.Fulfill(r.ctx, r.scope, connect.FulfillParams{Key: "k", Order: ref}); err != nil {
		t.Fatalf("Fulfill: %v", err)
	}
	err = r.adapter.FulfillmentEvent(r.ctx, r.scope, connect.FulfillmentEventParams{Key: "e", Order: ref, Status: connect.FulfillmentDelivered})
	if connect.ErrorCode(err) != connect.Forbidden || !strings.Contains(err.Error(), "write_fulfillments") {
		t.Errorf("FulfillmentEvent = %v; want Forbidden naming write_fulfillments", err)
	}
	if f := r.fulfillments(o.ID); len(f) != 1 || len(f[0].Events) != 0 {
		t.Errorf("fulfillments %+v; want one without events", f)
	}
}
