package shopify

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/dispatchkit/connect"
)

// Token is a shop's offline access token, with the times after which it and its
// refresh token stop working. Shopify's expiring offline tokens (required of
// public apps) last an hour; the refresh token gets a new one, and is itself
// replaced each time. Store the whole Token sealed (see [Sealer]).
type Token struct {
	AccessToken string    `json:"access_token"`
	Scopes      []string  `json:"scopes"`     // as granted: a write scope implies its read scope
	ExpiresAt   time.Time `json:"expires_at"` // zero: a non-expiring token
	// RefreshToken gets the next token; "" for a non-expiring token.
	RefreshToken     string    `json:"refresh_token,omitempty"`
	RefreshExpiresAt time.Time `json:"refresh_expires_at,omitzero"`
}

// RefreshMargin is how long before its expiry a token counts as needing a
// refresh: long enough for a slow request started just before to finish.
const RefreshMargin = 5 * time.Minute

// NeedsRefresh reports whether the access token expires within RefreshMargin of
// now (or has expired). A non-expiring token never does.
func (t Token) NeedsRefresh(now time.Time) bool {
	return !t.ExpiresAt.IsZero() && !now.Add(RefreshMargin).Before(t.ExpiresAt)
}

// CanRefresh reports whether the refresh token is still good at now; when it is
// not, only a new install gets a token.
func (t Token) CanRefresh(now time.Time) bool {
	return t.RefreshToken != "" && (t.RefreshExpiresAt.IsZero() || now.Before(t.RefreshExpiresAt))
}

// tokenAnswer is Shopify's answer from /admin/oauth/access_token.
type tokenAnswer struct {
	AccessToken           string `json:"access_token"`
	Scope                 string `json:"scope"`
	ExpiresIn             int64  `json:"expires_in"`
	RefreshToken          string `json:"refresh_token"`
	RefreshTokenExpiresIn int64  `json:"refresh_token_expires_in"`
	Error                 string `json:"error"`
	ErrorDescription      string `json:"error_description"`
}

// ExchangeCode trades the code from a verified callback for the shop's
// expiring offline token (expiring: 1), posting the app's credentials to
// https://{shop}/admin/oauth/access_token. httpClient nil: http.DefaultClient.
//
// Errors: Invalid for a shop that is not a myshopify.com domain; Forbidden when
// Shopify refuses the code (used, expired, or not for this app); Unavailable
// when Shopify cannot be reached or fails; Internal for an answer without a token.
func ExchangeCode(ctx context.Context, httpClient *http.Client, shop, clientID, secret, code string) (Token, error) {
	return exchangeCode(ctx, httpClient, time.Now, shop, clientID, secret, code)
}

// exchangeCode is ExchangeCode on the given clock.
func exchangeCode(ctx context.Context, httpClient *http.Client, now func() time.Time, shop, clientID, secret, code string) (Token, error) {
	return requestToken(ctx, httpClient, now, shop, map[string]any{
		"client_id":     clientID,
		"client_secret": secret,
		"code":          code,
		"expiring":      1,
	})
}

// RefreshToken trades a refresh token for a new access token and a new refresh
// token; keep both, as the old refresh token stops working. Errors as
// [ExchangeCode]; Forbidden means the refresh token is no good and the merchant
// must install the app again.
func RefreshToken(ctx context.Context, httpClient *http.Client, shop, clientID, secret, refresh string) (Token, error) {
	return refreshToken(ctx, httpClient, time.Now, shop, clientID, secret, refresh)
}

// refreshToken is RefreshToken on the given clock.
func refreshToken(ctx context.Context, httpClient *http.Client, now func() time.Time, shop, clientID, secret, refresh string) (Token, error) {
	return requestToken(ctx, httpClient, now, shop, map[string]any{
		"client_id":     clientID,
		"client_secret": secret,
		"grant_type":    "refresh_token",
		"refresh_token": refresh,
	})
}

// requestToken posts body to the shop's token endpoint; now is the clock the
// token's expiry times count from.
func requestToken(ctx context.Context, hc *http.Client, now func() time.Time, shop string, body map[string]any) (Token, error) {
	shop, err := ValidShopDomain(shop)
	if err != nil {
		return Token{}, err
	}
	if hc == nil {
		hc = http.DefaultClient
	}
	b, err := json.Marshal(body)
	if err != nil {
		return Token{}, connect.Errorf(connect.Internal, "shopify: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "https://"+shop+"/admin/oauth/access_token", bytes.NewReader(b))
	if err != nil {
		return Token{}, connect.Errorf(connect.Internal, "shopify: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	start := now() // expiry counts from before the request: never later than Shopify's
	resp, err := hc.Do(req)
	if err != nil {
		return Token{}, connect.Errorf(connect.Unavailable, "shopify: cannot reach %s for a token: %w", shop, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return Token{}, connect.Errorf(connect.Unavailable, "shopify: reading the token from %s: %w", shop, err)
	}
	var a tokenAnswer
	jsonErr := json.Unmarshal(raw, &a)
	switch {
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return Token{}, connect.Errorf(connect.Unavailable, "shopify: %s answered HTTP %d to the token request", shop, resp.StatusCode)
	case resp.StatusCode != http.StatusOK:
		why := a.ErrorDescription
		if why == "" {
			why = snippet(raw)
		}
		return Token{}, connect.Errorf(connect.Forbidden, "shopify: %s refused the token request (HTTP %d): %s", shop, resp.StatusCode, why)
	case jsonErr != nil || a.AccessToken == "":
		return Token{}, connect.Errorf(connect.Internal, "shopify: %s answered the token request without a token", shop)
	}
	t := Token{AccessToken: a.AccessToken, RefreshToken: a.RefreshToken}
	for _, s := range strings.Split(a.Scope, ",") {
		if s = strings.TrimSpace(s); s != "" {
			t.Scopes = append(t.Scopes, s)
		}
	}
	if a.ExpiresIn > 0 {
		t.ExpiresAt = start.Add(time.Duration(a.ExpiresIn) * time.Second)
	}
	if a.RefreshTokenExpiresIn > 0 {
		t.RefreshExpiresAt = start.Add(time.Duration(a.RefreshTokenExpiresIn) * time.Second)
	}
	return t, nil
}
