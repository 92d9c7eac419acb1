package shopify_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/connecttest"
	"github.com/dispatchkit/connect/internal/pgtest"
	"github.com/dispatchkit/connect/shopify"
	"github.com/dispatchkit/connect/storage"
)

// onStores runs fn on a world on SQLite and, when CONNECT_TEST_POSTGRES_URL
// is set, on a PostgreSQL schema of its own.
func onStores(t *testing.T, fn func(t *testing.T, w *world)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		fn(t, newWorld(t))
	})
	t.Run("postgres", func(t *testing.T) {
		dsn := pgtest.Schema(t)
		t.Parallel()
		fn(t, newWorldOn(t, dsn))
	})
}

// linkSecondClient makes another client of the world's account, and links
// it to the world's shop as its owner (signed in as "owner-b").
func (w *world) linkSecondClient() *connecttest.Team {
	w.t.Helper()
	b := w.core.NewClient("Blue Bakery", connect.ClientSettings{AllowUpload: true, DefaultDepot: "north"})
	w.signIn("owner-b", b.Owner.Actor)
	if c := w.callback("owner-b", w.approve(w.start("owner-b", "acme"))); c.Code != http.StatusSeeOther {
		w.t.Fatalf("the second client's install answered %d: %s", c.Code, c.Body)
	}
	return b
}

// TestTwoClientsLinkedToOneShopBothKeepWorking: Shopify keeps one active token
// per shop, and the second client's install revoked the first's; both
// clients use the shop's one token, and unlinking one leaves it to the other.
func TestTwoClientsLinkedToOneShopBothKeepWorking(t *testing.T) {
	t.Parallel()
	onStores(t, func(t *testing.T, w *world) {
		w.shop.Seed(3)
		w.link()
		b := w.linkSecondClient()
		bScope := connect.Scope{Account: b.Client.Account, Client: b.Client.ID}
		for _, a := range []connect.Actor{w.owner, b.Owner.Actor, w.owner} {
			page, err := w.svc.ShopifyOrders(w.ctx, a, "", 0)
			if err != nil || len(page.Orders) != 3 {
				t.Fatalf("%s lists %v, %v; want the shop's 3 orders", a, page, err)
			}
		}
		if st := w.shop.Stats(); st.Unauthorized != 0 {
			t.Errorf("%d requests used a revoked token", st.Unauthorized)
		}

		t.Run("unlinking one client keeps the other's token", func(t *testing.T) {
			if _, err := w.svc.UnlinkShopify(w.ctx, b.Owner.Actor); err != nil {
				t.Fatal(err)
			}
			if _, err := w.store.ShopifyToken(w.ctx, bScope); !errors.Is(err, connect.ErrNotFound) {
				t.Errorf("the unlinked client still reaches the shop's token (%v)", err)
			}
			if page, err := w.svc.ShopifyOrders(w.ctx, w.owner, "", 0); err != nil || len(page.Orders) != 3 {
				t.Fatalf("the client still linked lists %v, %v", page, err)
			}
			_, err := w.adapter.UnfulfilledOrders(w.ctx, bScope, "", 10)
			connecttest.WantCode(t, err, connect.Forbidden, "no Shopify store is linked")
		})
	})
}

// TestTwoProcessesRefreshingAtOnceShareTheWinnersPair: two processes (two
// adapters, each with its own in-process locks and its own connections to
// the one database) need the shop's expiring token at once. One trades the
// refresh token, Shopify sees one refresh, every request of both uses the
// winner's pair, and none uses a revoked token.
func TestTwoProcessesRefreshingAtOnceShareTheWinnersPair(t *testing.T) {
	t.Parallel()
	onStores(t, func(t *testing.T, w *world) {
		w.shop.Seed(2)
		w.link()
		b := w.linkSecondClient() // a client in each process, on the one shop
		bScope := connect.Scope{Account: b.Client.Account, Client: b.Client.ID}
		st2, err := storage.Open(w.ctx, w.core.DSN)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = st2.Close() })
		second := w.adapterOn(st2)
		before, err := w.store.ShopifyToken(w.ctx, w.scope)
		if err != nil {
			t.Fatal(err)
		}
		was := w.shop.Stats()

		w.clock.Advance(58 * time.Minute) // within RefreshMargin of the expiry
		errs := make([]error, 12)
		start := make(chan struct{})
		done := make(chan struct{})
		for i := range errs {
			go func() {
				defer func() { done <- struct{}{} }()
				a, scope := w.adapter, w.scope
				if i%2 == 1 {
					a, scope = second, bScope
				}
				<-start
				_, errs[i] = a.UnfulfilledOrders(w.ctx, scope, "", 5)
			}()
		}
		close(start)
		for range errs {
			<-done
		}
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}
		st := w.shop.Stats()
		if n := st.Refreshed - was.Refreshed; n != 1 {
			t.Errorf("Shopify saw %d refreshes; want 1", n)
		}
		if n := st.RefreshRefused - was.RefreshRefused; n != 0 {
			t.Errorf("Shopify refused %d refreshes", n)
		}
		if st.Unauthorized != 0 {
			t.Errorf("%d requests used a revoked token", st.Unauthorized)
		}
		after, err := w.store.ShopifyToken(w.ctx, bScope)
		if err != nil {
			t.Fatal(err)
		}
		if after.Version != before.Version+1 {
			t.Errorf("the token went from version %d to %d; want one swap", before.Version, after.Version)
		}
		tok := openShopToken(t, w.sealer, after.Shop, after.Sealed)
		if want := w.clock.Now().Add(time.Hour); tok.ExpiresAt.Before(want.Add(-time.Minute)) {
			t.Errorf("the stored token expires at %v; want a fresh one (about %v)", tok.ExpiresAt, want)
		}
		// Both processes go on with the winner's pair.
		for _, a := range []*shopify.Adapter{w.adapter, second} {
			if _, err := a.UnfulfilledOrders(w.ctx, w.scope, "", 5); err != nil {
				t.Fatal(err)
			}
		}
		if st := w.shop.Stats(); st.Unauthorized != 0 || st.Refreshed != was.Refreshed+1 {
			t.Errorf("afterwards: %d requests with a revoked token, %d refreshes", st.Unauthorized, st.Refreshed-was.Refreshed)
		}
	})
}

// TestAQuietShopIsRefreshedBeforeItsRefreshTokenExpires: Shopify lets a
// refresh token expire 90 days after it was issued; RefreshQuietShops trades
// a month-old one for a new pair, so the shop still works after 90 days in
// which nobody used it otherwise.
func TestAQuietShopIsRefreshedBeforeItsRefreshTokenExpires(t *testing.T) {
	t.Parallel()
	onStores(t, func(t *testing.T, w *world) {
		w.shop.Seed(1)
		w.link()
		w.clock.Advance(20 * 24 * time.Hour)
		if n, err := w.adapter.RefreshQuietShops(w.ctx, 0); err != nil || n != 0 {
			t.Fatalf("RefreshQuietShops after 20 days = %d, %v; want nothing refreshed", n, err)
		}
		w.clock.Advance(11 * 24 * time.Hour)
		if n, err := w.adapter.RefreshQuietShops(w.ctx, 0); err != nil || n != 1 {
			t.Fatalf("RefreshQuietShops after 31 days = %d, %v; want the shop refreshed", n, err)
		}
		if n, err := w.adapter.RefreshQuietShops(w.ctx, 0); err != nil || n != 0 {
			t.Fatalf("RefreshQuietShops again = %d, %v; want nothing left", n, err)
		}
		w.clock.Advance(80 * 24 * time.Hour) // 111 days after the install
		if _, err := w.adapter.UnfulfilledOrders(w.ctx, w.scope, "", 10); err != nil {
			t.Fatalf("the shop after 111 days: %v", err)
		}
		if st := w.shop.Stats(); st.Refreshed != 2 || st.RefreshRefused != 0 {
			t.Errorf("Shopify saw %d refreshes, %d refused; want 2, 0", st.Refreshed, st.RefreshRefused)
		}
	})
}

// TestAClaimLeftByADeadProcessIsTakenOver: a process that claimed a shop's
// refresh and died keeps the others waiting only until its claim ends.
func TestAClaimLeftByADeadProcessIsTakenOver(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.shop.Seed(1)
	r.link()
	r.clock.Advance(58 * time.Minute)
	st, err := r.tokens.ShopifyToken(r.ctx, r.scope)
	if err != nil {
		t.Fatal(err)
	}
	now := r.clock.Now()
	if err := r.tokens.ClaimShopifyRefresh(r.ctx, r.scope, connect.ShopifyRefreshClaim{Version: st.Version, Now: now, Until: now.Add(time.Second)}); err != nil {
		t.Fatal(err)
	}
	r.clock.Advance(2 * time.Second) // the claim ran out: its process is gone
	if _, err := r.adapter.UnfulfilledOrders(r.ctx, r.scope, "", 10); err != nil {
		t.Fatal(err)
	}
	if after, _ := r.tokens.ShopifyToken(r.ctx, r.scope); after.Version != st.Version+1 {
		t.Errorf("version %d after the takeover; want %d", after.Version, st.Version+1)
	}
}

// TestAnUninstallForgetsTheSharedTokenForEveryClient: app/uninstalled revoked
// the shop's one token; it is forgotten for every client linked to the shop.
func TestAnUninstallForgetsTheSharedTokenForEveryClient(t *testing.T) {
	t.Parallel()
	onStores(t, func(t *testing.T, w *world) {
		w.link()
		b := w.linkSecondClient()
		bScope := connect.Scope{Account: b.Client.Account, Client: b.Client.ID}
		w.clock.Advance(time.Minute) // the uninstall comes after both links
		w.shop.Uninstall()
		status, err := w.srv.SendWebhook(w.ctx, w.webhooks, w.shop.Domain(), shopify.TopicAppUninstalled,
			shopify.AppUninstalled{ID: 1, MyshopifyDomain: w.shop.Domain()})
		if err != nil || status != http.StatusOK {
			t.Fatalf("app/uninstalled answered %d, %v", status, err)
		}
		for _, sc := range []connect.Scope{w.scope, bScope} {
			if _, err := w.store.ShopifyToken(w.ctx, sc); !errors.Is(err, connect.ErrNotFound) {
				t.Errorf("client %s still reaches the uninstalled shop's token (%v)", sc.Client, err)
			}
		}
		if quiet, err := w.store.ShopifyTokensSavedBeforeAnyAccount(w.ctx, w.clock.Now().Add(time.Hour), 10); err != nil || len(quiet) != 0 {
			t.Errorf("quiet shops after the uninstall: %v, %v", quiet, err)
		}
	})
}

// claimHook is a ShopifyTokens that runs hook once, right after the first
// claim it grants: another process's work in the claimant's refresh.
type claimHook struct {
	*memTokens
	once sync.Once
	hook func()
}

func (c *claimHook) ClaimShopifyRefresh(ctx context.Context, s connect.Scope, p connect.ShopifyRefreshClaim) error {
	if err := c.memTokens.ClaimShopifyRefresh(ctx, s, p); err != nil {
		return err
	}
	c.once.Do(c.hook)
	return nil
}

// TestARefreshThatLosesItsSwapKeepsThePairShopifyIssuedLast: a process whose
// claim ran out while it refreshed (here: another process refreshed the same
// pair and stored its own first) loses the swap and uses the winner's pair.
// When Shopify issued this process's pair last, the winner's is revoked:
// the refused request refreshes again, and the pair kept aside takes its
// place, instead of the shop counting as uninstalled.
func TestARefreshThatLosesItsSwapKeepsThePairShopifyIssuedLast(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.shop.Seed(2)
	r.link()
	r.clock.Advance(58 * time.Minute)
	before, err := r.tokens.ShopifyToken(r.ctx, r.scope)
	if err != nil {
		t.Fatal(err)
	}
	old := openShopToken(t, r.sealer, before.Shop, before.Sealed)
	tokens := &claimHook{memTokens: r.tokens, hook: func() {
		// The other process: it trades the same refresh token first and
		// stores its pair at the version both read.
		w, err := shopify.RefreshToken(r.ctx, r.srv.Client(), r.shop.Domain(), r.srv.ClientID(), r.srv.Secret(), old.RefreshToken)
		if err != nil {
			t.Errorf("the other process's refresh: %v", err)
			return
		}
		plain, _ := json.Marshal(w)
		if _, err := r.tokens.SwapShopifyToken(r.ctx, r.scope, before.Version, r.sealer.SealShop(before.Shop, plain), r.clock.Now()); err != nil {
			t.Errorf("the other process's swap: %v", err)
		}
	}}
	a := r.adapterWith(func(c *shopify.Config) { c.Tokens = tokens })
	page, err := a.UnfulfilledOrders(r.ctx, r.scope, "", 10)
	if err != nil || len(page.Orders) != 2 {
		t.Fatalf("UnfulfilledOrders = %v, %v", page, err)
	}
	after, _ := r.tokens.ShopifyToken(r.ctx, r.scope)
	if after.Version != before.Version+2 {
		t.Errorf("version %d after the race, want %d: the winner's swap, then the live pair's", after.Version, before.Version+2)
	}
	// The stored pair is the live one: the next call needs no refresh.
	st := r.shop.Stats()
	if _, err := a.UnfulfilledOrders(r.ctx, r.scope, "", 10); err != nil {
		t.Fatal(err)
	}
	if now := r.shop.Stats(); now.Unauthorized != st.Unauthorized || now.Refreshed != st.Refreshed {
		t.Errorf("the next call: %d more 401s, %d more refreshes", now.Unauthorized-st.Unauthorized, now.Refreshed-st.Refreshed)
	}
}

// TestARefreshInFlightWhenTheShopUninstallsStoresNothing: a process trades
// the shop's refresh token; Shopify has issued the new pair when the shop
// uninstalls the app (which revokes it) and app/uninstalled forgets the
// token. The refresh then stores nothing and reports the shop uninstalled;
// should the shop have installed the app again meanwhile, the refresh loses
// to the new install's token, which stays and is used. (The fake holds the
// refresh's answer: no sleeps.)
func TestARefreshInFlightWhenTheShopUninstallsStoresNothing(t *testing.T) {
	t.Parallel()
	for _, reinstall := range []bool{false, true} {
		name := "uninstalled"
		if reinstall {
			name = "uninstalled and installed again"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			onStores(t, func(t *testing.T, w *world) {
				w.shop.Seed(2)
				w.link()
				w.clock.Advance(58 * time.Minute) // within RefreshMargin of the expiry
				issued, release := w.shop.HoldNextRefresh()
				t.Cleanup(release)
				errc := make(chan error, 1)
				go func() {
					_, err := w.adapter.UnfulfilledOrders(w.ctx, w.scope, "", 5)
					errc <- err
				}()
				<-issued
				w.shop.Uninstall()
				w.sendWebhook(shopify.TopicAppUninstalled, shopify.AppUninstalled{ID: 1, MyshopifyDomain: w.shop.Domain()})
				var installed *connect.ShopifyToken
				var err error
				if reinstall {
					w.clock.Advance(time.Second)
					w.link()
					if installed, err = w.store.ShopifyToken(w.ctx, w.scope); err != nil {
						t.Fatal(err)
					}
				}
				release()
				err = <-errc
				got, gerr := w.store.ShopifyToken(w.ctx, w.scope)
				if !reinstall {
					connecttest.WantCode(t, err, connect.Forbidden, "uninstalled the app")
					connecttest.WantCode(t, gerr, connect.NotFound)
					return
				}
				if err != nil {
					t.Fatalf("after the reinstall the call failed: %v", err)
				}
				if gerr != nil || got.Version != installed.Version || !bytes.Equal(got.Sealed, installed.Sealed) {
					t.Fatalf("the reinstall's token was replaced: %+v (was %+v), %v", got, installed, gerr)
				}
				if st := w.shop.Stats(); st.Unauthorized != 0 {
					t.Errorf("%d requests used a revoked token", st.Unauthorized)
				}
			})
		})
	}
}

// failingTokenEndpoint is a transport on which the shop's token endpoint
// cannot be reached.
type failingTokenEndpoint struct{ base http.RoundTripper }

func (f failingTokenEndpoint) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Path == "/admin/oauth/access_token" {
		return nil, errors.New("connection reset by peer")
	}
	return f.base.RoundTrip(r)
}

// TestAFailedRefreshReleasesItsClaimAtOnce: a refresh that fails (Shopify
// refuses the refresh token, or cannot be reached) ends its claim at once:
// another process claims the refresh at the same moment, instead of waiting
// RefreshClaimTTL for the claim to run out.
func TestAFailedRefreshReleasesItsClaimAtOnce(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		code connect.Code
		fail func(w *world) *shopify.Adapter
	}{
		{"refused", connect.Forbidden, func(w *world) *shopify.Adapter {
			w.shop.Uninstall() // the refresh token is revoked; the webhook has not come yet
			return w.adapter
		}},
		{"unreachable", connect.Unavailable, func(w *world) *shopify.Adapter {
			return w.adapterOn(w.store, func(c *shopify.Config) {
				c.HTTPClient = &http.Client{Transport: failingTokenEndpoint{w.srv.Client().Transport}}
			})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			onStores(t, func(t *testing.T, w *world) {
				w.shop.Seed(1)
				w.link()
				w.clock.Advance(58 * time.Minute)
				a := tc.fail(w)
				before, err := w.store.ShopifyToken(w.ctx, w.scope)
				if err != nil {
					t.Fatal(err)
				}
				_, err = a.UnfulfilledOrders(w.ctx, w.scope, "", 5)
				connecttest.WantCode(t, err, tc.code)
				now := w.clock.Now()
				if err := w.store.ClaimShopifyRefresh(w.ctx, w.scope, connect.ShopifyRefreshClaim{Version: before.Version,
					Now: now, Until: now.Add(shopify.RefreshClaimTTL)}); err != nil {
					t.Fatalf("another process cannot claim the refresh after the failed one: %v", err)
				}
				if after, _ := w.store.ShopifyToken(w.ctx, w.scope); after.Version != before.Version {
					t.Errorf("the failed refresh stored a token: version %d → %d", before.Version, after.Version)
				}
			})
		})
	}
}
