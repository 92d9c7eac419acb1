package portal_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/portal"
)

func TestNewRefusesIncompleteConfig(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	key := []byte(strings.Repeat("k", 32))
	for name, cfg := range map[string]portal.Config{
		"no service":   {BaseURL: "https://p.example", SessionKey: key},
		"short key":    {Service: e.svc, BaseURL: "https://p.example", SessionKey: []byte("short")},
		"relative URL": {Service: e.svc, BaseURL: "/portal", SessionKey: key},
	} {
		if _, err := portal.New(cfg); connect.ErrorCode(err) != connect.Invalid {
			t.Errorf("%s: err = %v, want invalid", name, err)
		}
	}
}

func TestEveryResponseCarriesSecurityHeaders(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tm := e.signUp("Green Grocer", uploads)
	b := e.signedIn(tm.email)
	for _, path := range []string{"/signin", "/home", "/orders", "/api/v1/orders", "/static/portal.js", "/nope", "/track/unknown"} {
		r := b.get(path)
		for h, want := range map[string]string{
			"X-Frame-Options":        "DENY",
			"X-Content-Type-Options": "nosniff",
			"Referrer-Policy":        "no-referrer",
		} {
			if got := r.header.Get(h); got != want {
				t.Errorf("%s: %s = %q, want %q", path, h, got, want)
			}
		}
		csp := r.header.Get("Content-Security-Policy")
		for _, part := range []string{"script-src 'self'", "frame-ancestors 'none'", "object-src 'none'"} {
			if !strings.Contains(csp, part) {
				t.Errorf("%s: CSP %q lacks %q", path, csp, part)
			}
		}
		if strings.Contains(csp, "unsafe-inline") {
			t.Errorf("%s: CSP allows inline code: %q", path, csp)
		}
	}
	if got := b.get("/home").header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("a signed-in page's Cache-Control = %q, want no-store", got)
	}
}

func TestPagesDoNotCarryInlineScripts(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tm := e.signUp("Green Grocer", uploads)
	o := e.draft(tm.owner, "A-1")
	b := e.signedIn(tm.email)
	for _, path := range []string{"/home", "/orders?view=drafts", "/orders/" + string(o.ID), "/orders/new", "/imports/new", "/settings/team"} {
		body := b.get(path).is(t, http.StatusOK).body
		if strings.Contains(body, "<script>") || strings.Contains(body, " onclick=") || strings.Contains(body, "javascript:") {
			t.Errorf("%s has inline script", path)
		}
	}
}

func TestSessionCookieIsHardened(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tm := e.signUp("Green Grocer", uploads)
	r := e.browser().post("/signin", url.Values{"email": {tm.email}, "password": {tm.password}})
	var c *http.Cookie
	for _, ck := range (&http.Response{Header: r.header}).Cookies() {
		if ck.Name == "connect_session" {
			c = ck
		}
	}
	if c == nil {
		t.Fatalf("no session cookie: %v", r.header)
	}
	if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.MaxAge <= 0 {
		t.Errorf("cookie = %+v, want HttpOnly, SameSite=Lax and an expiry", c)
	}
	if c.Secure {
		t.Errorf("cookie is Secure on an http BaseURL (the browser would drop it)")
	}
}

func TestTamperedSessionIsRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.browser()
	u, _ := url.Parse(e.base)
	b.c.Jar.SetCookies(u, []*http.Cookie{{Name: "connect_session", Value: "eyJhIjoiYWNjdC0xIn0.bm90LWEtbWFj", Path: "/"}})
	if r := b.get("/home"); r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/signin") {
		t.Fatalf("a forged session got status %d, location %q", r.status, r.header.Get("Location"))
	}
}

func TestSignedInPagesRequireSignIn(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.browser()
	for _, path := range []string{"/home", "/orders", "/orders/new", "/orders/x", "/imports/new", "/settings/team",
		"/settings/integrations", "/settings/account", "/orders/export.csv", "/orders/shopify"} {
		r := b.get(path)
		if r.status != http.StatusSeeOther || r.header.Get("Location") != "/signin?next="+url.QueryEscape(path) {
			t.Errorf("GET %s: status %d, location %q; want a redirect to sign in", path, r.status, r.header.Get("Location"))
		}
	}
	for _, path := range []string{"/orders/new", "/orders/submit", "/settings/team/invites", "/imports"} {
		r := b.post(path, url.Values{})
		if r.status != http.StatusSeeOther || r.header.Get("Location") != "/signin" {
			t.Errorf("POST %s: status %d, location %q; want a redirect to sign in", path, r.status, r.header.Get("Location"))
		}
	}
	if r := b.get("/events"); r.status != http.StatusSeeOther {
		t.Errorf("GET /events without a session: %d", r.status)
	}
}

func TestCrossOriginRequestsAreRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tm := e.signUp("Green Grocer", uploads)
	b := e.signedIn(tm.email)
	evil := http.Header{"Origin": {"https://evil.example"}, "Sec-Fetch-Site": {"cross-site"}}
	form := strings.NewReader(url.Values{string(connect.FieldAddressLine1): {"1 Evil St"}}.Encode())
	r := b.do(http.MethodPost, "/orders/new", form, "application/x-www-form-urlencoded", evil)
	r.is(t, http.StatusForbidden)
	r.has(t, "Cross-origin request refused")
	// Without Sec-Fetch-Site, an Origin of another host is refused too.
	r = b.do(http.MethodPost, "/orders/new", strings.NewReader("x=1"), "application/x-www-form-urlencoded",
		http.Header{"Origin": {"https://evil.example"}, "Sec-Fetch-Site": nil})
	r.is(t, http.StatusForbidden)
	// The API with the session cookie is a browser's call too.
	r = b.do(http.MethodPost, "/api/v1/orders", strings.NewReader(`{"address":{"line1":"1 Evil St"}}`), "application/json", evil)
	r.is(t, http.StatusForbidden)
	if !strings.Contains(r.body, `"code":"forbidden"`) {
		t.Errorf("API refusal is not JSON: %s", r.body)
	}
	page, err := e.svc.Orders(e.ctx, tm.owner, connect.ListOrdersParams{})
	if err != nil || len(page.Orders) != 0 {
		t.Fatalf("a refused request stored orders: %v %v", page, err)
	}
	// Sign-out and sign-in are state changes too.
	e.browser().do(http.MethodPost, "/signin", strings.NewReader("email=a@b.c&password=x"), "application/x-www-form-urlencoded", evil).
		is(t, http.StatusForbidden)
}

func TestSignInIsRateLimitedPerEmail(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tm := e.signUp("Green Grocer", uploads)
	b := e.browser()
	// Three failures from one place go unnoticed; then each waits longer.
	for i := 0; i < 3; i++ {
		b.post("/signin", url.Values{"email": {tm.email}, "password": {"wrong password " + string(rune('a'+i))}}).is(t, http.StatusUnauthorized)
	}
	r := b.post("/signin", url.Values{"email": {tm.email}, "password": {tm.password}})
	r.is(t, http.StatusTooManyRequests)
	r.has(t, "Too many attempts")
	if r.header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
	// Another email from elsewhere is not held back by it.
	other := e.signUp("Other Shop", uploads)
	e.browser().signIn(other.email, other.password)
}

func TestSignInAndInvitesAreRateLimitedPerNetwork(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *portal.Config) {
		c.RateLimits = portal.RateLimits{PerNetwork: portal.Rate{Burst: 3, Every: time.Hour}}
	})
	b := e.browser()
	for i := 0; i < 3; i++ {
		b.post("/invite/not-a-token", url.Values{"name": {"Mallory"}, "email": {"m" + string(rune('a'+i)) + "@x.test"}, "password": {"long enough password"}}).
			is(t, http.StatusNotFound)
	}
	b.post("/invite/not-a-token", url.Values{"name": {"Mallory"}, "email": {"z@x.test"}, "password": {"long enough password"}}).
		is(t, http.StatusTooManyRequests)
	// Sign-in has a bucket of its own.
	for i := 0; i < 3; i++ {
		b.post("/signin", url.Values{"email": {"m" + string(rune('a'+i)) + "@x.test"}, "password": {"x"}}).is(t, http.StatusUnauthorized)
	}
	b.post("/signin", url.Values{"email": {"q@x.test"}, "password": {"x"}}).is(t, http.StatusTooManyRequests)
}

func TestBodiesAreBounded(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tm := e.signUp("Green Grocer", uploads)
	b := e.signedIn(tm.email)
	big := strings.Repeat("a", 2<<20)
	r := b.do(http.MethodPost, "/orders/new", strings.NewReader("notes="+big), "application/x-www-form-urlencoded", nil)
	if r.status != http.StatusRequestEntityTooLarge && r.status != http.StatusUnprocessableEntity {
		t.Fatalf("a 2 MiB form: status %d", r.status)
	}
	key, err := e.svc.CreateAPIKey(e.ctx, tm.owner, "k")
	if err != nil {
		t.Fatal(err)
	}
	status, body := e.api(key.Token, http.MethodPost, "/api/v1/orders", map[string]any{"notes": big, "address": map[string]string{"line1": "x"}})
	if status != http.StatusRequestEntityTooLarge {
		t.Fatalf("a 2 MiB JSON body: %d %v", status, body)
	}
}

func TestRedirectsStayOnTheSite(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tm := e.signUp("Green Grocer", uploads)
	for _, next := range []string{"https://evil.example/", "//evil.example/x", "/\\evil.example"} {
		r := e.browser().post("/signin", url.Values{"email": {tm.email}, "password": {tm.password}, "next": {next}})
		if loc := r.header.Get("Location"); loc != "/home" {
			t.Errorf("next=%q: redirected to %q", next, loc)
		}
	}
	r := e.browser().post("/signin", url.Values{"email": {tm.email}, "password": {tm.password}, "next": {"/orders?view=drafts"}})
	if loc := r.header.Get("Location"); loc != "/orders?view=drafts" {
		t.Errorf("a local next: redirected to %q", loc)
	}
}

func TestLinksComeFromBaseURLNotHost(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tm := e.signUp("Green Grocer", uploads)
	b := e.signedIn(tm.email)
	r := b.do(http.MethodPost, "/settings/team/invites", strings.NewReader("role=member"), "application/x-www-form-urlencoded",
		http.Header{"X-Forwarded-Host": {"evil.example"}})
	link := secret(t, b.follow(r))
	if !strings.HasPrefix(link, e.base+"/invite/") {
		t.Fatalf("invite link %q is not built from BaseURL %s", link, e.base)
	}
}
