package shopifytest

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dispatchkit/connect/shopify"
)

// grant is what an authorization code stands for until it is exchanged.
type grant struct {
	shop    string
	scopes  string
	expires time.Time
}

// token is an access token the fake issued.
type token struct {
	shop    string
	scopes  string
	expires time.Time // zero: never
	revoked bool
	// refresh is this token's refresh token; prevRefresh is the one it replaced,
	// which (as on Shopify since 2026-08) the app may trade again until it
	// first trades refresh, for 30 days at most (prevUntil), so an app that
	// lost the refresh answer can recover. Trading it again issues a new pair,
	// which revokes this one, as every new token of the shop does.
	refresh, prevRefresh string
	refreshExpires       time.Time
	prevUntil            time.Time
}

// prevRefreshWindow is how long after its first use Shopify keeps a traded
// refresh token good for a retry.
const prevRefreshWindow = 30 * 24 * time.Hour

// authorize is the page where the merchant approves the app. The fake merchant
// always approves: it redirects at once to redirect_uri with a code and
// Shopify's signed parameters.
func (srv *Server) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("client_id") != srv.cfg.ClientID {
		http.Error(w, "Oauth error invalid_request: The client_id is not registered", http.StatusBadRequest)
		return
	}
	redirect, err := url.Parse(q.Get("redirect_uri"))
	if err != nil || redirect.Scheme == "" || redirect.Host == "" {
		http.Error(w, "Oauth error invalid_request: The redirect_uri is missing or not absolute", http.StatusBadRequest)
		return
	}
	srv.mu.Lock()
	shop := srv.shopOf(r)
	code := randomToken("")
	srv.codes[code] = grant{shop: shop.domain, scopes: grantedScopes(q.Get("scope"), shop.grantOnly), expires: srv.now().Add(10 * time.Minute)}
	now := srv.now()
	srv.mu.Unlock()

	back := url.Values{
		"code":      {code},
		"host":      {base64.StdEncoding.EncodeToString([]byte("admin.shopify.com/store/" + strings.TrimSuffix(shop.domain, ".myshopify.com")))},
		"shop":      {shop.domain},
		"state":     {q.Get("state")},
		"timestamp": {strconv.FormatInt(now.Unix(), 10)},
	}
	back.Set("hmac", SignQuery(back, srv.cfg.Secret))
	redirect.RawQuery = back.Encode()
	http.Redirect(w, r, redirect.String(), http.StatusFound)
}

// AppURL returns the URL Shopify opens when a merchant installs the app on
// the shop from the App Store or an install link, or opens it from the admin:
// the app's application_url with shop, host (the admin's base64 address),
// timestamp (now, on the fake's clock) and hmac, signed as Shopify signs it.
func (srv *Server) AppURL(shop, applicationURL string) string {
	u, err := url.Parse(applicationURL)
	if err != nil {
		panic("shopifytest: AppURL: " + err.Error())
	}
	shop = strings.ToLower(shop)
	q := url.Values{
		"host":      {base64.StdEncoding.EncodeToString([]byte("admin.shopify.com/store/" + strings.TrimSuffix(shop, ".myshopify.com")))},
		"shop":      {shop},
		"timestamp": {strconv.FormatInt(srv.now().Unix(), 10)},
	}
	q.Set("hmac", SignQuery(q, srv.cfg.Secret))
	u.RawQuery = q.Encode()
	return u.String()
}

// SignQuery returns the hex HMAC-SHA256 Shopify puts in a redirect's hmac
// parameter: over the other parameters sorted by key, form-encoded as
// application/x-www-form-urlencoded (URLSearchParams: a space is +, ~ is
// %7E, * stays) and joined by &, as Shopify's libraries verify it. Tests use
// it to forge, or tamper with, a callback.
func SignQuery(q url.Values, secret string) string {
	rest := url.Values{}
	for k, vs := range q {
		if k != "hmac" && k != "signature" {
			rest[k] = slices.Sorted(slices.Values(vs))
		}
	}
	msg := strings.NewReplacer("~", "%7E", "%2A", "*").Replace(rest.Encode())
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(msg))
	return hex.EncodeToString(mac.Sum(nil))
}

// accessToken exchanges a code, or a refresh token, for an access token.
func (srv *Server) accessToken(w http.ResponseWriter, r *http.Request) {
	var in struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
		Code         string `json:"code"`
		Expiring     int    `json:"expiring"`
		GrantType    string `json:"grant_type"`
		RefreshToken string `json:"refresh_token"`
	}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&in); err != nil {
			oauthError(w, http.StatusBadRequest, "invalid_request", "The request body is not JSON")
			return
		}
	} else {
		_ = r.ParseForm()
		in.ClientID, in.ClientSecret, in.Code = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret"), r.PostForm.Get("code")
		in.GrantType, in.RefreshToken = r.PostForm.Get("grant_type"), r.PostForm.Get("refresh_token")
		in.Expiring, _ = strconv.Atoi(r.PostForm.Get("expiring"))
	}
	if in.ClientID != srv.cfg.ClientID || !hmac.Equal([]byte(in.ClientSecret), []byte(srv.cfg.Secret)) {
		oauthError(w, http.StatusUnauthorized, "invalid_client", "Client authentication failed")
		return
	}

	srv.mu.Lock()
	defer srv.mu.Unlock()
	shop := srv.shopOf(r)
	now := srv.now()
	var t *token
	switch in.GrantType {
	case "refresh_token":
		old := srv.byRefresh(in.RefreshToken)
		if old == nil || old.shop != shop.domain || (old.revoked && old.refresh == in.RefreshToken) || !now.Before(old.refreshExpires) {
			shop.stats.RefreshRefused++
			oauthError(w, http.StatusBadRequest, "invalid_grant", "The refresh token is invalid, expired or revoked")
			return
		}
		shop.stats.Refreshed++
		t = srv.issue(shop.domain, old.scopes, true) // revokes old, and every other token of the shop
		t.prevRefresh, t.prevUntil = in.RefreshToken, now.Add(prevRefreshWindow)
		if old.prevRefresh == in.RefreshToken {
			t.prevUntil = old.prevUntil // a retry: the window runs from the first use
		}
		t.prevUntil = minTime(t.prevUntil, old.refreshExpires)
		old.refresh = "" // the old token's own refresh is superseded
	case "", "authorization_code":
		g, ok := srv.codes[in.Code]
		delete(srv.codes, in.Code) // single use, even when refused below
		if !ok || g.shop != shop.domain || now.After(g.expires) {
			oauthError(w, http.StatusBadRequest, "invalid_request", "The authorization code was not found or was already used")
			return
		}
		t = srv.issue(shop.domain, g.scopes, in.Expiring == 1)
	default:
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "Unsupported grant type "+in.GrantType)
		return
	}

	out := map[string]any{"access_token": srv.accessOf(t), "scope": t.scopes}
	if !t.expires.IsZero() {
		out["expires_in"] = int(t.expires.Sub(now).Seconds())
		out["refresh_token"] = t.refresh
		out["refresh_token_expires_in"] = int(t.refreshExpires.Sub(now).Seconds())
	}
	if h := shop.held; h != nil && in.GrantType == "refresh_token" {
		// The pair is issued (the old one revoked); the answer is on its
		// way, and waits, without the server's lock, until released.
		shop.held = nil
		srv.mu.Unlock()
		close(h.issued)
		select {
		case <-h.release:
		case <-r.Context().Done():
		}
		srv.mu.Lock()
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
}

// heldRefresh is a refresh whose answer waits (HoldNextRefresh).
type heldRefresh struct {
	issued  chan struct{}
	release chan struct{}
}

// HoldNextRefresh makes the shop's next refresh-token request wait once
// Shopify issued its pair (revoking the earlier one) and before the answer
// goes out: issued is closed then, and the answer goes out when release is
// called. In between, a test plays what happens while a refresh is in flight
// (an uninstall, another install). Call release once, even if the refresh never
// comes.
func (s *Shop) HoldNextRefresh() (issued <-chan struct{}, release func()) {
	s.srv.mu.Lock()
	defer s.srv.mu.Unlock()
	h := &heldRefresh{issued: make(chan struct{}), release: make(chan struct{})}
	s.held = h
	var once sync.Once
	return h.issued, func() { once.Do(func() { close(h.release) }) }
}

// issue makes a token; expiring ones get a refresh token. Shopify keeps one
// active token per app and shop: every earlier token of the shop is revoked
// (401 on use), and so are their refresh tokens, but for the one just traded,
// which stays good for a retry (see token.prevRefresh).
func (srv *Server) issue(shop, scopes string, expiring bool) *token {
	for _, old := range srv.tokens {
		if old.shop == shop {
			old.revoked = true
		}
	}
	t := &token{shop: shop, scopes: scopes}
	if expiring {
		now := srv.now()
		t.expires = now.Add(srv.cfg.TokenTTL)
		t.refresh = randomToken("shprt_")
		t.refreshExpires = now.Add(srv.cfg.RefreshTTL)
	}
	srv.tokens[randomToken("shpat_")] = t
	return t
}

func (srv *Server) accessOf(t *token) string {
	for k, v := range srv.tokens {
		if v == t {
			return k
		}
	}
	return ""
}

// byRefresh finds the token a refresh token belongs to: its current one, or the
// one it replaced while the replacement is unused.
func (srv *Server) byRefresh(refresh string) *token {
	if refresh == "" {
		return nil
	}
	now := srv.now()
	for _, t := range srv.tokens {
		if t.refresh == refresh || (t.prevRefresh == refresh && !t.revoked && now.Before(t.prevUntil)) {
			return t
		}
	}
	return nil
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// IssueToken returns a non-expiring access token for the shop with every scope
// the adapter asks for (or those given), skipping the install dance.
func (s *Shop) IssueToken(scopes ...string) string {
	s.srv.mu.Lock()
	defer s.srv.mu.Unlock()
	if scopes == nil {
		scopes = shopify.Scopes()
	}
	return s.srv.accessOf(s.srv.issue(s.domain, grantedScopes(strings.Join(scopes, ","), nil), false))
}

// GrantOnly makes installs on the shop grant only these scopes of those
// asked for, as Shopify does when the app's configuration lists fewer than
// the install asks; nil grants what is asked.
func (s *Shop) GrantOnly(scopes ...string) {
	s.srv.mu.Lock()
	defer s.srv.mu.Unlock()
	s.grantOnly = scopes
}

// grantedScopes is what Shopify answers an install that asked for requested
// (comma-separated), when only the allowed scopes may be granted (nil: all):
// the granted scopes, comma-separated, without a read scope whose write scope
// is granted (which implies it), as Shopify's token answers list them.
func grantedScopes(requested string, allowed []string) string {
	var out []string
	for _, sc := range strings.Split(requested, ",") {
		sc = strings.TrimSpace(sc)
		if sc == "" || slices.Contains(out, sc) || (allowed != nil && !slices.Contains(allowed, sc)) {
			continue
		}
		out = append(out, sc)
	}
	var compact []string
	for _, sc := range out {
		if rest, ok := strings.CutPrefix(sc, "read_"); ok && slices.Contains(out, "write_"+rest) {
			continue
		}
		compact = append(compact, sc)
	}
	return strings.Join(compact, ",")
}

// hasScope reports whether the token's scopes grant scope, a write scope
// granting its read scope.
func (t *token) hasScope(scope string) bool {
	for _, sc := range strings.Split(t.scopes, ",") {
		if sc == scope || ("read_"+strings.TrimPrefix(sc, "write_") == scope && strings.HasPrefix(sc, "write_")) {
			return true
		}
	}
	return false
}

// Uninstall revokes every token of the shop, as uninstalling the app does;
// send the app/uninstalled webhook with SendWebhook.
func (s *Shop) Uninstall() {
	s.srv.mu.Lock()
	defer s.srv.mu.Unlock()
	for _, t := range s.srv.tokens {
		if t.shop == s.domain {
			t.revoked = true
		}
	}
}

// authenticate returns the access token if it is good for the shop now; nil
// otherwise.
func (srv *Server) authenticate(shop, access string) *token {
	t := srv.tokens[access]
	if t == nil || t.shop != shop || t.revoked || (!t.expires.IsZero() && !srv.now().Before(t.expires)) {
		return nil
	}
	return t
}

func oauthError(w http.ResponseWriter, status int, code, description string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": description})
}

func randomToken(prefix string) string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}
