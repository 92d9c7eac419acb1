package shopify

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"sync"

	"github.com/dispatchkit/connect"
)

// session is one client's connection to its linked shop: the client's token,
// opened from its sealed form and refreshed behind the GraphQL client that
// uses it.
type session struct {
	a     *Adapter
	scope connect.Scope
	shop  string
	gql   *Client

	mu  sync.Mutex
	tok Token
}

// session opens the client's token and returns a connection to its shop.
// Errors: Forbidden when no store is linked or its access is gone; Internal
// when the sealed token does not open (another key, or damaged).
func (a *Adapter) session(ctx context.Context, scope connect.Scope) (*session, error) {
	shop, tok, err := a.loadToken(ctx, scope)
	if err != nil {
		return nil, err
	}
	s := &session{a: a, scope: scope, shop: shop, tok: tok}
	s.gql, err = NewClient(ClientConfig{
		Shop: shop, Token: s.accessToken, HTTPClient: a.cfg.HTTPClient, Buckets: a.cfg.Buckets,
		Logger: a.log, Now: a.now, Sleep: a.sleep,
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// loadToken reads and opens the client's token.
func (a *Adapter) loadToken(ctx context.Context, scope connect.Scope) (string, Token, error) {
	shop, sealed, err := a.cfg.Tokens.ShopifyToken(ctx, scope)
	if errors.Is(err, connect.ErrNotFound) {
		return "", Token{}, connect.Errorf(connect.Forbidden, "shopify: no Shopify store is linked; link it in Settings → Integrations")
	}
	if err != nil {
		return "", Token{}, err
	}
	plain, err := a.cfg.Sealer.Open(scope.Client, sealed)
	if err != nil {
		return "", Token{}, connect.Errorf(connect.Internal, "shopify: the client's stored token does not open (was the sealing key changed?); link the store again: %w", err)
	}
	var tok Token
	if err := json.Unmarshal(plain, &tok); err != nil || tok.AccessToken == "" {
		return "", Token{}, connect.Errorf(connect.Internal, "shopify: the client's stored token is not a token; link the store again")
	}
	return shop, tok, nil
}

// saveToken seals the token for the client and stores it.
func (a *Adapter) saveToken(ctx context.Context, scope connect.Scope, shop string, tok Token) error {
	plain, err := json.Marshal(tok)
	if err != nil {
		return connect.Errorf(connect.Internal, "shopify: %w", err)
	}
	sealed, err := a.cfg.Sealer.Seal(scope.Client, plain)
	if err != nil {
		return err
	}
	return a.cfg.Tokens.SaveShopifyToken(ctx, scope, shop, sealed)
}

// lockFor returns the mutex that serialises token refreshes of one client in
// this process: the refresh token changes with every refresh.
func (a *Adapter) lockFor(client connect.ClientID) *sync.Mutex {
	m, _ := a.locks.LoadOrStore(client, &sync.Mutex{})
	return m.(*sync.Mutex)
}

// accessToken is the GraphQL client's token source: the current access token,
// refreshed first when it is about to expire.
func (s *session) accessToken(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tok.NeedsRefresh(s.a.now()) {
		if err := s.refreshLocked(ctx, s.tok.AccessToken); err != nil {
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
	err = s.refreshLocked(ctx, s.tok.AccessToken)
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

// refreshLocked replaces the stale access token (expiring, or refused) with a
// fresh one, and stores it sealed. Another call, here or in another process,
// may have refreshed it already: the stored token is read first, and used if
// it is another one still good. s.mu is held.
//
// The fresh token is used only once it is stored: should storing fail, the
// token held in the store keeps working, as its refresh token stays good until
// the fresh access token is first used.
func (s *session) refreshLocked(ctx context.Context, stale string) error {
	lock := s.a.lockFor(s.scope.Client)
	lock.Lock()
	defer lock.Unlock()
	now := s.a.now()
	shop, tok, err := s.a.loadToken(ctx, s.scope)
	if err != nil {
		return err
	}
	if shop != s.shop {
		return connect.Errorf(connect.Conflict, "shopify: the client linked %s instead of %s meanwhile; try again", shop, s.shop)
	}
	if tok.AccessToken != stale && !tok.NeedsRefresh(now) {
		s.tok = tok
		return nil
	}
	if !tok.CanRefresh(now) {
		return s.revoked(nil)
	}
	fresh, err := refreshToken(ctx, s.a.cfg.HTTPClient, s.a.now, shop, s.a.cfg.ClientID, s.a.cfg.Secret, tok.RefreshToken)
	if connect.ErrorCode(err) == connect.Forbidden {
		return s.revoked(err)
	}
	if err != nil {
		return err
	}
	if len(fresh.Scopes) == 0 {
		fresh.Scopes = tok.Scopes
	}
	if err := s.a.saveToken(ctx, s.scope, shop, fresh); err != nil {
		return err
	}
	s.tok = fresh
	s.a.log.InfoContext(ctx, "shopify: access token refreshed", "shop", shop, "client", s.scope.Client, "expires", fresh.ExpiresAt)
	return nil
}

// revoked is the error of a shop that no longer accepts the client's token.
func (s *session) revoked(cause error) error {
	e := connect.Errorf(connect.Forbidden, "shopify: %s: the store uninstalled the app or revoked access; link it again in Settings → Integrations", s.shop)
	e.Err = cause
	return e
}

// seesAllOrders reports whether Shopify granted the client's token
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
