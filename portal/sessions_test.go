package portal_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/internal/pgtest"
	"github.com/dispatchkit/connect/portal"
)

// sessionCookie returns the value of the browser's session cookie ("" for none).
func (b *browser) sessionCookie() string {
	u, _ := url.Parse(b.e.base)
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == "connect_session" {
			return c.Value
		}
	}
	return ""
}

// withCookie is a new browser on env e that presents a session cookie copied
// from elsewhere (a replay).
func (e *env) withCookie(value string) *browser {
	b := e.browser()
	u, _ := url.Parse(e.base)
	b.c.Jar.SetCookies(u, []*http.Cookie{{Name: "connect_session", Value: value, Path: "/"}})
	return b
}

// toSignIn fails the test unless r sends the browser to sign in.
func toSignIn(t *testing.T, what string, r response) {
	t.Helper()
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/signin") {
		t.Fatalf("%s: status %d, Location %q; want a redirect to sign in", what, r.status, r.header.Get("Location"))
	}
}

func TestSignOutEndsTheSessionForAReplayedCookie(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tm := e.signUp("Green Grocer", uploads)
	b := e.signedIn(tm.email)
	stolen := b.sessionCookie()
	if stolen == "" {
		t.Fatal("no session cookie after sign-in")
	}
	e.withCookie(stolen).get("/home").is(t, http.StatusOK)
	b.post("/signout", url.Values{}).is(t, http.StatusSeeOther)
	toSignIn(t, "the signed-out cookie, replayed", e.withCookie(stolen).get("/home"))
	e.withCookie(stolen).get("/api/v1/orders").is(t, http.StatusUnauthorized)
}

func TestAPasswordChangeEndsTheOtherSessionsOnly(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tm := e.signUp("Green Grocer", uploads)
	here, there := e.signedIn(tm.email), e.signedIn(tm.email)
	here.post("/settings/account/password", url.Values{"current": {testPassword}, "password": {"a fresh and long passphrase 42"}}).
		is(t, http.StatusSeeOther)
	here.get("/home").is(t, http.StatusOK)
	toSignIn(t, "the other session after a password change", there.get("/home"))
}

func TestARemovedMembersSessionAndQuietStreamEnd(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tm := e.signUp("Green Grocer", uploads)
	member, email := e.addMember(tm, connect.RoleMember)
	mb := e.signedIn(email)
	ctx, cancel := context.WithCancel(e.ctx)
	defer cancel()
	events, res := mb.stream(ctx, "/events", nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("stream: %d", res.StatusCode)
	}
	e.signedIn(tm.email).post("/settings/team/members/"+string(member.Member)+"/remove", url.Values{}).is(t, http.StatusSeeOther)
	toSignIn(t, "a removed member's next page", mb.get("/home"))
	streamEndsForRemovedMember(t, events, "") // no event comes: the stream's own check ends it
}

func TestASessionSignedOutElsewhereClosesItsStream(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tm := e.signUp("Green Grocer", uploads)
	b, other := e.signedIn(tm.email), e.signedIn(tm.email)
	ctx, cancel := context.WithCancel(e.ctx)
	defer cancel()
	events, _ := b.stream(ctx, "/events", nil)
	other.post("/settings/account/sessions/end-others", url.Values{}).is(t, http.StatusSeeOther)
	start := time.Now()
	streamEndsForRemovedMember(t, events, "")
	t.Logf("the stream ended %v after its session", time.Since(start).Round(100*time.Millisecond))
}

func TestARoleChangeTakesEffectOnTheNextRequest(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tm := e.signUp("Green Grocer", uploads)
	admin, email := e.addMember(tm, connect.RoleAdmin)
	ab := e.signedIn(email)
	ab.post("/settings/team/invites", url.Values{"email": {"first@example.com"}, "role": {"member"}}).is(t, http.StatusSeeOther)
	e.signedIn(tm.email).post("/settings/team/members/"+string(admin.Member)+"/role", url.Values{"role": {"member"}}).
		is(t, http.StatusSeeOther)
	ab.post("/settings/team/invites", url.Values{"email": {"second@example.com"}, "role": {"member"}}).is(t, http.StatusForbidden)
}

var sessionEndRE = regexp.MustCompile(`(?s)<tr><td>([^<]*)(?:<strong>[^<]*</strong>)?</td>.*?/settings/account/sessions/([^/"]+)/end`)

// accountSessions reads the account page's sessions: device → session id, and
// which device is "this device".
func accountSessions(t *testing.T, b *browser) (map[string]string, string) {
	t.Helper()
	r := b.get("/settings/account").is(t, http.StatusOK)
	out, here := map[string]string{}, ""
	for _, row := range strings.Split(r.body, "</tr>") {
		m := sessionEndRE.FindStringSubmatch(row)
		if m == nil {
			continue
		}
		device := strings.TrimSpace(m[1])
		out[device] = m[2]
		if strings.Contains(row, "(this device)") {
			here = device
		}
	}
	return out, here
}

func TestTheAccountPageListsAndEndsSessions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tm := e.signUp("Green Grocer", uploads)
	as := func(ua string) *browser {
		b := e.browser()
		b.header.Set("User-Agent", ua)
		b.signIn(tm.email, testPassword)
		return b
	}
	laptop := as("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0")
	phone := as("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Mobile/15E148 Safari/604.1")
	tablet := as("Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/120.0 Mobile Safari/537.36")

	sessions, here := accountSessions(t, laptop)
	if here != "Firefox on Linux" || len(sessions) != 3 || sessions["Safari on iPhone"] == "" || sessions["Chrome on Android"] == "" {
		t.Fatalf("the laptop's account page lists %v, this device %q", sessions, here)
	}
	laptop.post("/settings/account/sessions/"+sessions["Safari on iPhone"]+"/end", url.Values{}).is(t, http.StatusSeeOther)
	toSignIn(t, "the phone signed out from the laptop", phone.get("/home"))
	tablet.get("/home").is(t, http.StatusOK)

	// A session id of another member is not the caller's to end.
	other, email := e.addMember(tm, connect.RoleMember)
	_ = other
	mates, _ := accountSessions(t, e.signedIn(email))
	for _, id := range mates {
		laptop.post("/settings/account/sessions/"+id+"/end", url.Values{}).is(t, http.StatusNotFound)
	}

	laptop.post("/settings/account/sessions/end-others", url.Values{}).is(t, http.StatusSeeOther)
	toSignIn(t, "the tablet after 'sign out everywhere else'", tablet.get("/home"))
	laptop.get("/home").is(t, http.StatusOK)
	sessions, _ = accountSessions(t, laptop)
	if len(sessions) != 1 {
		t.Fatalf("after signing out everywhere else the page lists %v", sessions)
	}
	// This device's own "sign out" signs it out.
	laptop.post("/settings/account/sessions/"+sessions["Firefox on Linux"]+"/end", url.Values{}).is(t, http.StatusSeeOther)
	toSignIn(t, "the laptop after signing its own session out", laptop.get("/home"))
}

// secondInstance is another process serving the same portal: its own Service and
// Store on env e's database, its own HTTP server, the same configuration.
func (e *env) secondInstance() *env {
	e.t.Helper()
	svc := e.w.OtherProcess()
	srv := httptest.NewServer(nil)
	e.t.Cleanup(srv.Close)
	h, err := portal.New(portal.Config{Service: svc, BaseURL: srv.URL, SessionKey: []byte(strings.Repeat("k", 32)),
		UploadDir: e.t.TempDir(), Spreadsheets: fakeSheets{},
		Logger: slog.New(slog.NewTextHandler(testLog{e.t}, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err != nil {
		e.t.Fatal(err)
	}
	srv.Config.Handler = h
	return &env{t: e.t, ctx: e.ctx, w: e.w, svc: svc, h: h, srv: srv, base: srv.URL, acct: e.acct, disp: e.disp}
}

// on is the browser b (its cookies) talking to another instance.
func (b *browser) on(e *env) *browser {
	jar, _ := cookiejar.New(nil)
	from, _ := url.Parse(b.e.base)
	to, _ := url.Parse(e.base)
	jar.SetCookies(to, b.c.Jar.Cookies(from))
	c := *b.c
	c.Jar = jar
	return &browser{e: e, c: &c, header: b.header.Clone()}
}

func TestSessionsAgreeAcrossTwoInstancesOnPostgres(t *testing.T) {
	t.Parallel()
	a := newEnvOn(t, pgtest.Schema(t))
	b := a.secondInstance()
	tm := a.signUp("Green Grocer", uploads)

	// Signed out on B: A refuses the cookie.
	onA := a.signedIn(tm.email)
	cookie := onA.sessionCookie()
	onB := onA.on(b)
	onB.get("/home").is(t, http.StatusOK)
	onB.post("/signout", url.Values{}).is(t, http.StatusSeeOther)
	toSignIn(t, "A, after signing out on B", a.withCookie(cookie).get("/home"))

	// A password changed on B ends the session on A.
	onA = a.signedIn(tm.email)
	other := a.signedIn(tm.email).on(b)
	other.post("/settings/account/password", url.Values{"current": {testPassword}, "password": {"a fresh and long passphrase 42"}}).
		is(t, http.StatusSeeOther)
	toSignIn(t, "A, after a password change on B", onA.get("/home"))
	other.get("/home").is(t, http.StatusOK)

	// A member removed through B is out on A.
	member, email := a.addMember(tm, connect.RoleMember)
	mb := a.signedIn(email)
	mb.get("/home").is(t, http.StatusOK)
	other.post("/settings/team/members/"+string(member.Member)+"/remove", url.Values{}).is(t, http.StatusSeeOther)
	toSignIn(t, "A, for a member removed through B", mb.get("/home"))
}

func TestDisablingTheClientEndsItsSessionsAndStreams(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tm := e.signUp("Green Grocer", uploads)
	b := e.signedIn(tm.email)
	ctx, cancel := context.WithCancel(e.ctx)
	defer cancel()
	events, _ := b.stream(ctx, "/events", nil)
	e.dispatcher().post("/dispatch/clients/"+string(tm.client.ID)+"/disable", url.Values{}).is(t, http.StatusSeeOther)
	r := b.get("/home")
	toSignIn(t, "a member of a disabled client", r)
	b.follow(r).has(t, "is disabled")
	streamEndsForRemovedMember(t, events, "")
}
