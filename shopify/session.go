package shopify

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/dispatchkit/connect"
)

// session is one client's connection to its linked shop: the shop's token,
// shared by every client linked to the shop, opened from its sealed form and
// refreshed behind the GraphQL client that uses it.
type session struct {
	a     *Adapter
	scope connect.Scope
	shop  string
	gql   *Client

	mu      sync.Mutex
	tok     Token
	version int64 // the stored token's version tok was read at, or saved as
}

// session opens the token of the client's shop and returns a connection to
// the shop. Errors: Forbidden when no store is linked or its access is gone;
// Internal when the sealed token does not open (another key, or damaged).
func (a *Adapter) session(ctx context.Context, scope connect.Scope) (*session, error) {
	stored, tok, err := a.loadToken(ctx, scope)
	if err != nil {
		return nil, err
	}
	s := &session{a: a, scope: scope, shop: stored.Shop, tok: tok, version: stored.Version}
	s.gql, err = newClient(ClientConfig{
		Shop: s.shop, Token: s.accessToken, HTTPClient: a.cfg.HTTPClient, Buckets: a.cfg.Buckets,
		Logger: a.log, Now: a.now, Sleep: a.sleep,
	}, a.tel)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// loadToken reads and opens the token of the client's shop: sealed for the
// shop, or, stored before tokens were kept per shop, for the client it was
// sealed for.
func (a *Adapter) loadToken(ctx context.Context, scope connect.Scope) (*connect.ShopifyToken, Token, error) {
	stored, err := a.cfg.Tokens.ShopifyToken(ctx, scope)
	if errors.Is(err, connect.ErrNotFound) {
		return nil, Token{}, connect.Errorf(connect.Forbidden, "shopify: no Shopify store is linked; link it in Settings → Integrations")
	}
	if err != nil {
		return nil, Token{}, err
	}
	var plain []byte
	if stored.SealedFor != "" {
		plain, err = a.cfg.Sealer.Open(stored.SealedFor, stored.Sealed)
	} else {
		plain, err = a.cfg.Sealer.OpenShop(stored.Shop, stored.Sealed)
	}
	if err != nil {
		return nil, Token{}, connect.Errorf(connect.Internal, "shopify: the stored token of %s does not open (was the sealing key changed?); link the store again: %w", stored.Shop, err)
	}
	var tok Token
	if err := json.Unmarshal(plain, &tok); err != nil || tok.AccessToken == "" {
		return nil, Token{}, connect.Errorf(connect.Internal, "shopify: the stored token of %s is not a token; link the store again", stored.Shop)
	}
	return stored, tok, nil
}

// sealToken seals the token for its shop.
func (a *Adapter) sealToken(shop string, tok Token) ([]byte, error) {
	plain, err := json.Marshal(tok)
	if err != nil {
		return nil, connect.Errorf(connect.Internal, "shopify: %w", err)
	}
	return a.cfg.Sealer.SealShop(shop, plain), nil
}

// saveToken links the client to shop and stores tok as the shop's token, for
// every client linked to it: the token of a new install, which revoked the
// shop's earlier one.
func (a *Adapter) saveToken(ctx context.Context, scope connect.Scope, shop string, tok Token) error {
	sealed, err := a.sealToken(shop, tok)
	if err != nil {
		return err
	}
	_, err = a.cfg.Tokens.SaveShopifyToken(ctx, scope, shop, sealed, a.now())
	return err
}

// lockFor returns the mutex that serialises token refreshes of one shop in
// this process (other processes are kept out by the Store's refresh claim).
func (a *Adapter) lockFor(shop string) *sync.Mutex {
	m, _ := a.locks.LoadOrStore(shop, &sync.Mutex{})
	return m.(*sync.Mutex)
}

// accessToken is the GraphQL client's token source: the current access token,
// refreshed first when it is about to expire.
func (s *session) accessToken(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tok.NeedsRefresh(s.a.now()) {
		if err := s.refreshLocked(ctx, s.tok.AccessToken, false); err != nil {
			return "", err
		}
	}
	return s.tok.AccessToken, nil
}

// do runs op, and once more after refreshing the token if Shopify refused the
// token (HTTP 401, which Shopify answers before running anything, mutations
// included).
func (s *session) do(ctx context.Context, op func() error) error {
	err := op()
	if !errors.Is(err, ErrUnauthorized) {
		return err
	}
	s.mu.Lock()
	err = s.refreshLocked(ctx, s.tok.AccessToken, false)
	s.mu.Unlock()
	if err != nil {
		return err
	}
	err = op()
	if errors.Is(err, ErrUnauthorized) {
		return s.revoked(err)
	}
	return err
}

// RefreshClaimTTL is how long one process may take to refresh a shop's token
// while the others wait for its result: longer than a token request can take
// (the default HTTP client gives up after 30 s). Should the process die
// meanwhile, another claims the refresh once this has passed.
const RefreshClaimTTL = 45 * time.Second

// claimPoll is how often a process waiting for another's refresh looks again.
const claimPoll = 25 * time.Millisecond

// refreshLocked replaces the stale access token (expiring, or refused) with a
// fresh one, and stores it sealed. s.mu is held. force refreshes a token that
// is still good (a quiet shop's, whose refresh token would otherwise expire),
// unless another refresh stored a newer one since s.version.
//
// Shopify gives the app one active token per shop, and a refresh revokes the
// earlier one, so the refreshes of one shop are serialised across processes:
// in this one by a mutex per shop, across processes by a claim in the Store
// on the stored token's version. The claimant trades the refresh token and
// stores the fresh pair with a compare-and-set on that version; the others
// wait for the new version and use it, never refreshing the pair a second
// time. A claimant whose swap loses anyway (its claim ran out first) reloads
// and uses the winner's pair.
//
// The fresh token is used only once it is stored: should storing fail, the
// refresh token held in the store can still be traded (Shopify keeps a traded
// refresh token good until its replacement is traded, 30 days at most).
func (s *session) refreshLocked(ctx context.Context, stale string, force bool) error {
	lock := s.a.lockFor(s.shop)
	lock.Lock()
	defer lock.Unlock()
	waitUntil := time.Now().Add(RefreshClaimTTL + 5*time.Second) // real time: another process's work
	since := s.version
	for {
		now := s.a.now()
		stored, tok, err := s.a.loadToken(ctx, s.scope)
		if err != nil {
			return err
		}
		if stored.Shop != s.shop {
			return connect.Errorf(connect.Conflict, "shopify: the client linked %s instead of %s meanwhile; try again", stored.Shop, s.shop)
		}
		if (force && stored.Version != since) || (!force && tok.AccessToken != stale && !tok.NeedsRefresh(now)) {
			s.tok, s.version = tok, stored.Version
			return nil
		}
		if !tok.CanRefresh(now) {
			return s.revoked(nil)
		}
		claim := connect.ShopifyRefreshClaim{Version: stored.Version, Now: now, Until: now.Add(RefreshClaimTTL)}
		err = s.a.cfg.Tokens.ClaimShopifyRefresh(ctx, s.scope, claim)
		if errors.Is(err, connect.ErrConflict) {
			// Another process is refreshing it: wait for its pair.
			if time.Now().After(waitUntil) {
				return connect.Errorf(connect.Unavailable, "shopify: another process has been refreshing the token of %s for too long; try again", s.shop)
			}
			if err := sleep(ctx, claimPoll); err != nil { // real time: not the adapter's clock
				return err
			}
			continue
		}
		if err != nil {
			return err
		}
		err = s.refreshClaimed(ctx, stored, tok)
		if err != nil {
			// Nothing was stored: end the claim now, so that the other
			// processes waiting for this refresh try theirs at once instead
			// of waiting RefreshClaimTTL for it to run out. (After a stored
			// pair the claim is over, and this matches nothing.)
			if rerr := s.a.cfg.Tokens.ReleaseShopifyRefresh(context.WithoutCancel(ctx), s.scope, claim); rerr != nil {
				s.a.log.WarnContext(ctx, "shopify: cannot release the refresh claim; other processes wait for it to run out",
					"shop", s.shop, "err", rerr)
			}
		}
		return err
	}
}

// refreshClaimed trades the refresh token of the stored token, which this
// process claimed, and stores the fresh pair in its place. Should the shop
// have uninstalled the app meanwhile (its token forgotten: the swap finds no
// token), the pair is not stored, and the shop counts as uninstalled: Shopify
// revoked the pair with the install. Should it have installed the app again
// since, the new install's token is at a later version: the swap loses, and
// the new install's token is used.
func (s *session) refreshClaimed(ctx context.Context, stored *connect.ShopifyToken, tok Token) error {
	fresh, err := refreshToken(ctx, s.a.cfg.HTTPClient, s.a.now, s.shop, s.a.cfg.ClientID, s.a.cfg.Secret, tok.RefreshToken)
	if connect.ErrorCode(err) == connect.Forbidden {
		// Refused: revoked, expired, or traded by a process whose claim had
		// run out. In that last case its pair is stored by now.
		if again, tok2, lerr := s.a.loadToken(ctx, s.scope); lerr == nil && again.Version != stored.Version && again.Shop == s.shop {
			s.tok, s.version = tok2, again.Version
			return nil
		}
		// Or this process lost a swap with a pair Shopify issued after the
		// stored one, which that issue revoked: the spare is the live pair.
		if spare, ok := s.a.spares.LoadAndDelete(s.shop); ok && spare.(Token).CanRefresh(s.a.now()) {
			return s.store(ctx, stored.Version, spare.(Token))
		}
		return s.revoked(err)
	}
	if err != nil {
		return err
	}
	if len(fresh.Scopes) == 0 {
		fresh.Scopes = tok.Scopes
	}
	err = s.store(ctx, stored.Version, fresh)
	if errors.Is(err, connect.ErrNotFound) {
		s.a.log.InfoContext(ctx, "shopify: the shop uninstalled the app while its token was refreshed; the new pair is dropped", "shop", s.shop)
		return s.revoked(err)
	}
	if errors.Is(err, connect.ErrConflict) {
		// Another process refreshed the same pair after this one's claim ran
		// out, and stored its pair first: use the winner's pair. Whichever
		// Shopify issued last is the live one; should it be this one, the
		// winner's pair is refused and the spare kept here takes its place.
		again, tok2, lerr := s.a.loadToken(ctx, s.scope)
		if lerr != nil {
			return lerr
		}
		s.a.log.WarnContext(ctx, "shopify: another process stored a refreshed token first; using it", "shop", s.shop)
		if again.Version == stored.Version+1 {
			// The winner refreshed the same pair. Not so after an uninstall
			// and a new install (the forgotten token's version moved on too):
			// the uninstall revoked this pair, which is no spare.
			s.a.spares.Store(s.shop, fresh)
		}
		s.tok, s.version = tok2, again.Version
		return nil
	}
	return err
}

// store seals tok and stores it in place of the token at version, and uses it.
// Errors: ErrConflict when the stored token moved on.
func (s *session) store(ctx context.Context, version int64, tok Token) error {
	sealed, err := s.a.sealToken(s.shop, tok)
	if err != nil {
		return err
	}
	saved, err := s.a.cfg.Tokens.SwapShopifyToken(ctx, s.scope, version, sealed, s.a.now())
	if err != nil {
		return err
	}
	s.tok, s.version = tok, saved.Version
	s.a.log.InfoContext(ctx, "shopify: access token refreshed", "shop", s.shop, "client", s.scope.Client, "expires", tok.ExpiresAt)
	return nil
}

// revoked is the error of a shop that no longer accepts its token.
func (s *session) revoked(cause error) error {
	e := connect.Errorf(connect.Forbidden, "shopify: %s: the store uninstalled the app or revoked access; link it again in Settings → Integrations", s.shop)
	e.Err = cause
	return e
}

// seesAllOrders reports whether Shopify granted the shop's token
// read_all_orders, without which it hides orders older than 60 days.
func (s *session) seesAllOrders() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.ContainsFunc(s.tok.Scopes, func(g string) bool { return scopeGrants(g, ScopeReadAllOrders) })
}

// gone is the error of an order Shopify answered null for: deleted, or, for
// an app without read_all_orders, older than 60 days.
func (s *session) gone(order string) error {
	if s.seesAllOrders() {
		return connect.Errorf(connect.NotFound, "shopify: order %s is no longer in %s", order, s.shop)
	}
	return connect.Errorf(connect.NotFound, "shopify: order %s is not among %s's orders of the last 60 days: an older order needs read_all_orders, a permission the app does not have", order, s.shop)
}
