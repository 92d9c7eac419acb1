package shopify_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/shopify"
	"github.com/dispatchkit/connect/shopify/shopifytest"
)

// install runs the authorization code grant against the fake up to the
// callback and returns the callback's query.
func install(t *testing.T, srv *shopifytest.Server, shop, state string) url.Values {
	t.Helper()
	hc := srv.Client()
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	u := shopify.InstallURL(shop, srv.ClientID(), shopify.Scopes(), "https://portal.example/shopify/callback", state)
	resp, err := hc.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("GET %s = %s; want a redirect", u, resp.Status)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	if loc.Host != "portal.example" || loc.Path != "/shopify/callback" {
		t.Fatalf("redirected to %s; want the redirect_uri", loc)
	}
	return loc.Query()
}

func TestInstallExchangeAndRefreshAgainstTheFake(t *testing.T) {
	t.Parallel()
	srv := shopifytest.New(shopifytest.Config{})
	t.Cleanup(srv.Close)
	ctx := context.Background()
	state := shopify.NewState()

	q := install(t, srv, "acme.myshopify.com", state)
	if err := shopify.VerifyCallback(q, srv.Secret(), time.Now(), 0); err != nil {
		t.Fatalf("VerifyCallback on the fake's redirect: %v", err)
	}
	if q.Get("state") != state || q.Get("shop") != "acme.myshopify.com" {
		t.Fatalf("callback state %q shop %q; want %q acme.myshopify.com", q.Get("state"), q.Get("shop"), state)
	}

	before := time.Now()
	tok, err := shopify.ExchangeCode(ctx, srv.Client(), q.Get("shop"), srv.ClientID(), srv.Secret(), q.Get("code"))
	if err != nil {
		t.Fatalf("ExchangeCode: %v", err)
	}
	if tok.AccessToken == "" || tok.RefreshToken == "" {
		t.Fatalf("ExchangeCode = %+v; want an access and a refresh token", tok)
	}
	if missing := shopify.MissingScopes(shopify.Scopes(), tok.Scopes); missing != nil {
		t.Errorf("granted scopes %v lack %v", tok.Scopes, missing)
	}
	if lo, hi := before.Add(time.Hour-time.Second), time.Now().Add(time.Hour); tok.ExpiresAt.Before(lo) || tok.ExpiresAt.After(hi) {
		t.Errorf("ExpiresAt = %v; want an hour from now", tok.ExpiresAt)
	}
	if !tok.RefreshExpiresAt.After(tok.ExpiresAt) {
		t.Errorf("RefreshExpiresAt = %v; want after ExpiresAt %v", tok.RefreshExpiresAt, tok.ExpiresAt)
	}
	if tok.NeedsRefresh(time.Now()) || !tok.NeedsRefresh(tok.ExpiresAt.Add(-time.Minute)) {
		t.Error("a fresh token needs a refresh, or one a minute from expiry does not")
	}

	// The code is single-use.
	if _, err := shopify.ExchangeCode(ctx, srv.Client(), q.Get("shop"), srv.ClientID(), srv.Secret(), q.Get("code")); connect.ErrorCode(err) != connect.Forbidden {
		t.Errorf("ExchangeCode with a used code = %v; want Forbidden", err)
	}

	// The token works for GraphQL.
	useToken(t, srv, tok.AccessToken)

	next, err := shopify.RefreshToken(ctx, srv.Client(), "acme.myshopify.com", srv.ClientID(), srv.Secret(), tok.RefreshToken)
	if err != nil {
		t.Fatalf("RefreshToken: %v", err)
	}
	if next.AccessToken == tok.AccessToken || next.RefreshToken == tok.RefreshToken || next.RefreshToken == "" {
		t.Fatalf("RefreshToken gave %+v; want a new access and refresh token", next)
	}
	useToken(t, srv, next.AccessToken)
	// One active token per shop: the refresh revoked the old access token.
	if err := tryToken(srv, tok.AccessToken); !errors.Is(err, shopify.ErrUnauthorized) {
		t.Errorf("the access token the refresh replaced = %v; want 401", err)
	}
	// Until the replacement refresh token is traded, the old one may be
	// retried (a lost answer): a new pair, which revokes the one it replaces.
	retry, err := shopify.RefreshToken(ctx, srv.Client(), "acme.myshopify.com", srv.ClientID(), srv.Secret(), tok.RefreshToken)
	if err != nil {
		t.Fatalf("retrying the traded refresh token: %v", err)
	}
	if err := tryToken(srv, next.AccessToken); !errors.Is(err, shopify.ErrUnauthorized) {
		t.Errorf("the pair the retry replaced = %v; want 401", err)
	}
	if _, err := shopify.RefreshToken(ctx, srv.Client(), "acme.myshopify.com", srv.ClientID(), srv.Secret(), next.RefreshToken); connect.ErrorCode(err) != connect.Forbidden {
		t.Errorf("RefreshToken of the pair the retry replaced = %v; want Forbidden", err)
	}
	// Once the replacement refresh token is traded, the old one is done.
	last, err := shopify.RefreshToken(ctx, srv.Client(), "acme.myshopify.com", srv.ClientID(), srv.Secret(), retry.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := shopify.RefreshToken(ctx, srv.Client(), "acme.myshopify.com", srv.ClientID(), srv.Secret(), tok.RefreshToken); connect.ErrorCode(err) != connect.Forbidden {
		t.Errorf("RefreshToken with the retired refresh token = %v; want Forbidden", err)
	}
	useToken(t, srv, last.AccessToken)
	if st := srv.Shop("acme.myshopify.com").Stats(); st.Refreshed != 3 || st.RefreshRefused != 2 || st.Unauthorized != 2 {
		t.Errorf("the shop saw %d refreshes, %d refused, %d requests with a revoked token; want 3, 2, 2", st.Refreshed, st.RefreshRefused, st.Unauthorized)
	}
}

// tryToken runs a query with the access token.
func tryToken(srv *shopifytest.Server, access string) error {
	c, err := shopify.NewClient(shopify.ClientConfig{Shop: "acme.myshopify.com", Token: shopify.StaticToken(access), HTTPClient: srv.Client()})
	if err != nil {
		return err
	}
	_, err = shopify.OrdersByName(context.Background(), c, "name:1001", 1, 1)
	return err
}

func useToken(t *testing.T, srv *shopifytest.Server, access string) {
	t.Helper()
	c, err := shopify.NewClient(shopify.ClientConfig{Shop: "acme.myshopify.com", Token: shopify.StaticToken(access), HTTPClient: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := shopify.OrdersByName(context.Background(), c, "name:1001", 1, 1); err != nil {
		t.Fatalf("a query with the token: %v", err)
	}
}

func TestExchangeCodeRefusals(t *testing.T) {
	t.Parallel()
	srv := shopifytest.New(shopifytest.Config{})
	t.Cleanup(srv.Close)
	ctx := context.Background()
	q := install(t, srv, "acme.myshopify.com", "s")

	_, err := shopify.ExchangeCode(ctx, srv.Client(), "acme.myshopify.com", srv.ClientID(), "wrong-secret", q.Get("code"))
	if connect.ErrorCode(err) != connect.Forbidden {
		t.Errorf("ExchangeCode with a wrong secret = %v; want Forbidden", err)
	}
	_, err = shopify.ExchangeCode(ctx, srv.Client(), "acme.myshopify.com.evil.com", srv.ClientID(), srv.Secret(), "c")
	if connect.ErrorCode(err) != connect.Invalid {
		t.Errorf("ExchangeCode for a foreign host = %v; want Invalid (the secret must not be posted there)", err)
	}
	_, err = shopify.RefreshToken(ctx, srv.Client(), "acme.myshopify.com", srv.ClientID(), srv.Secret(), "shprt_unknown")
	if connect.ErrorCode(err) != connect.Forbidden {
		t.Errorf("RefreshToken with an unknown refresh token = %v; want Forbidden", err)
	}
	unreachable := &http.Client{Transport: roundTripFunc(func(*http.Request) (*http.Response, error) { return nil, errors.New("connection refused") })}
	_, err = shopify.ExchangeCode(ctx, unreachable, "acme.myshopify.com", srv.ClientID(), srv.Secret(), "c")
	if connect.ErrorCode(err) != connect.Unavailable {
		t.Errorf("ExchangeCode when Shopify is unreachable = %v; want Unavailable", err)
	}
}

func TestTokenNeedsRefresh(t *testing.T) {
	t.Parallel()
	exp := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	tok := shopify.Token{AccessToken: "a", ExpiresAt: exp, RefreshToken: "r", RefreshExpiresAt: exp.Add(24 * time.Hour)}
	tests := []struct {
		now  time.Time
		want bool
	}{
		{exp.Add(-time.Hour), false},
		{exp.Add(-shopify.RefreshMargin - time.Second), false},
		{exp.Add(-shopify.RefreshMargin), true},
		{exp.Add(time.Hour), true},
	}
	for _, tt := range tests {
		if got := tok.NeedsRefresh(tt.now); got != tt.want {
			t.Errorf("NeedsRefresh(expiry %+v) = %v; want %v", tt.now.Sub(exp), got, tt.want)
		}
	}
	if (shopify.Token{AccessToken: "a"}).NeedsRefresh(exp.Add(1000 * time.Hour)) {
		t.Error("a non-expiring token needs a refresh")
	}
	if !tok.CanRefresh(exp) || tok.CanRefresh(exp.Add(25*time.Hour)) {
		t.Error("CanRefresh does not follow RefreshExpiresAt")
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
