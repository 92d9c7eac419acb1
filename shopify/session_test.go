package shopify_test

import (
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/connecttest"
	"github.com/dispatchkit/connect/shopify"
)

// seal stores tok as the token of the client's shop, as if an install had.
func (r *rig) seal(tok shopify.Token) {
	r.t.Helper()
	plain, _ := json.Marshal(tok)
	if _, err := r.tokens.SaveShopifyToken(r.ctx, r.scope, r.shop.Domain(), r.sealer.SealShop(r.shop.Domain(), plain), r.clock.Now()); err != nil {
		r.t.Fatal(err)
	}
}

func TestTokenIsRefreshedBeforeItExpires(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.shop.Seed(2)
	r.link()
	_, first := r.storedToken(r.scope)

	r.clock.Advance(56 * time.Minute) // within RefreshMargin of the expiry; still good at Shopify
	if _, err := r.adapter.UnfulfilledOrders(r.ctx, r.scope, "", 10); err != nil {
		t.Fatal(err)
	}
	_, second := r.storedToken(r.scope)
	if second.AccessToken == first.AccessToken || second.RefreshToken == first.RefreshToken {
		t.Fatal("the token was not refreshed before it expired")
	}
	if want := r.clock.Now().Add(time.Hour); !second.ExpiresAt.Equal(want) {
		t.Errorf("the refreshed token expires at %v, want %v", second.ExpiresAt, want)
	}

	r.clock.Advance(3 * time.Hour) // long expired
	if _, err := r.adapter.LookupOrders(r.ctx, r.scope, []string{"#1001"}); err != nil {
		t.Fatal(err)
	}
	if _, third := r.storedToken(r.scope); third.AccessToken == second.AccessToken {
		t.Error("an expired token was not refreshed")
	}
}

func TestTokenIsRefreshedOnceByConcurrentCalls(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.shop.Seed(2)
	r.link()
	_, saves := r.tokens.snapshot()
	r.clock.Advance(58 * time.Minute)
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Go(func() { _, errs[i] = r.adapter.UnfulfilledOrders(r.ctx, r.scope, "", 5) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if _, after := r.tokens.snapshot(); after != saves+1 {
		t.Errorf("%d refreshed tokens saved, want 1", after-saves)
	}
}

func TestTokenIsRefreshedAfterA401(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.shop.Seed(2)
	r.link()
	_, good := r.storedToken(r.scope)
	bad := good
	bad.AccessToken = "shpat_refused" // Shopify answers 401 to it; its refresh token still works
	r.seal(bad)

	page, err := r.adapter.UnfulfilledOrders(r.ctx, r.scope, "", 10)
	if err != nil || len(page.Orders) != 2 {
		t.Fatalf("UnfulfilledOrders = %v, %v", page, err)
	}
	if _, now := r.storedToken(r.scope); now.AccessToken == bad.AccessToken || now.AccessToken == good.AccessToken {
		t.Error("the refused token was not replaced by a refreshed one")
	}
}

func TestRevokedAccessIsForbidden(t *testing.T) {
	t.Parallel()
	t.Run("an uninstalled app", func(t *testing.T) {
		t.Parallel()
		r := newRig(t)
		r.link()
		r.shop.Uninstall() // revokes the access and refresh tokens
		_, err := r.adapter.UnfulfilledOrders(r.ctx, r.scope, "", 10)
		connecttest.WantCode(t, err, connect.Forbidden, "the store uninstalled the app or revoked access")
	})
	t.Run("a token that cannot refresh", func(t *testing.T) {
		t.Parallel()
		r := newRig(t)
		r.seal(shopify.Token{AccessToken: "shpat_refused"}) // non-expiring, so no refresh token
		_, err := r.adapter.LookupOrders(r.ctx, r.scope, []string{"#1001"})
		connecttest.WantCode(t, err, connect.Forbidden, "the store uninstalled the app or revoked access")
	})
	t.Run("a refresh token past its expiry", func(t *testing.T) {
		t.Parallel()
		r := newRig(t)
		r.link()
		_, tok := r.storedToken(r.scope)
		tok.RefreshExpiresAt = r.clock.Now().Add(time.Minute)
		r.seal(tok)
		r.clock.Advance(2 * time.Hour)
		_, err := r.adapter.UnfulfilledOrders(r.ctx, r.scope, "", 10)
		connecttest.WantCode(t, err, connect.Forbidden, "link it again")
	})
}

func TestNoLinkedStore(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	_, err := r.adapter.UnfulfilledOrders(r.ctx, r.scope, "", 10)
	connecttest.WantCode(t, err, connect.Forbidden, "no Shopify store is linked")

	t.Run("a token sealed for another shop does not open", func(t *testing.T) {
		plain, _ := json.Marshal(shopify.Token{AccessToken: "shpat_x"})
		sealed := r.sealer.SealShop("another.myshopify.com", plain)
		if _, err := r.tokens.SaveShopifyToken(r.ctx, r.scope, r.shop.Domain(), sealed, r.clock.Now()); err != nil {
			t.Fatal(err)
		}
		_, err := r.adapter.UnfulfilledOrders(r.ctx, r.scope, "", 10)
		connecttest.WantCode(t, err, connect.Internal, "does not open")
	})
}

func TestNewRequiresTheAppAndItsTokens(t *testing.T) {
	t.Parallel()
	sealer, _ := shopify.NewSealer(make([]byte, 32))
	full := shopify.Config{ClientID: "id", Secret: "secret", Tokens: newMemTokens(), Sealer: sealer}
	for name, edit := range map[string]func(*shopify.Config){
		"ClientID": func(c *shopify.Config) { c.ClientID = "" },
		"Secret":   func(c *shopify.Config) { c.Secret = "" },
		"Tokens":   func(c *shopify.Config) { c.Tokens = nil },
		"Sealer":   func(c *shopify.Config) { c.Sealer = nil },
	} {
		c := full
		edit(&c)
		_, err := shopify.New(c)
		connecttest.WantCode(t, err, connect.Invalid, name)
	}
	a, err := shopify.New(full)
	if err != nil {
		t.Fatal(err)
	}
	_, err = a.InstallHandler(&recordingLinker{})
	connecttest.WantCode(t, err, connect.Invalid, "Session")
	_, err = a.WebhookHandler(&recordingService{})
	connecttest.WantCode(t, err, connect.Invalid, "Once")
}
