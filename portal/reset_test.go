package portal_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/connecttest"
	"github.com/dispatchkit/connect/portal"
)

const newPassword = "a fresh and long passphrase 42"

// newEnvWithMailer is newEnv whose Service mails through a recording Mailer.
func newEnvWithMailer(t *testing.T, world []connecttest.Option, opts ...envOption) (*env, *connecttest.Mailer) {
	t.Helper()
	m := &connecttest.Mailer{}
	world = append(world, connecttest.WithConfig(func(c *connect.Config) { c.Mailer = m }))
	return newEnvOnWorld(t, "", world, opts...), m
}

// resetPath returns the path of the latest reset link mailed to the email.
func resetPath(t *testing.T, m *connecttest.Mailer, email string) string {
	t.Helper()
	var link string
	for _, r := range m.Resets() {
		if strings.EqualFold(r.To, email) {
			link = r.Link
		}
	}
	if link == "" {
		t.Fatalf("no reset link was mailed to %s (mailed: %+v)", email, m.Resets())
	}
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	return u.Path
}

func TestAPasswordResetLinkWorksOnceAndEndsEverySession(t *testing.T) {
	t.Parallel()
	e, m := newEnvWithMailer(t, nil)
	tm := e.signUp("Green Grocer", uploads)
	laptop, phone := e.signedIn(tm.email), e.signedIn(tm.email)

	b := e.browser()
	b.get("/signin").has(t, `href="/signin/forgot"`, "Forgot password?")
	b.get("/signin/forgot").is(t, http.StatusOK)
	b.post("/signin/forgot", url.Values{"email": {strings.ToUpper(tm.email)}}).is(t, http.StatusOK).has(t, `id="reset-sent"`)
	path := resetPath(t, m, tm.email)
	if token := strings.TrimPrefix(path, "/reset/"); len(token) < 22 { // 128 bits in base64
		t.Fatalf("a reset token of %d characters", len(token))
	}
	b.get(path).is(t, http.StatusOK).has(t, "Green Grocer", tm.email)
	r := b.post(path, url.Values{"password": {newPassword}})
	toSignIn(t, "after the reset", r)
	toSignIn(t, "the laptop after a reset", laptop.get("/home"))
	toSignIn(t, "the phone after a reset", phone.get("/home"))

	e.browser().post("/signin", url.Values{"email": {tm.email}, "password": {tm.password}}).is(t, http.StatusUnauthorized)
	e.browser().signIn(tm.email, newPassword)

	// Used once, the link sets nothing again.
	b.get(path).is(t, http.StatusForbidden).has(t, "not valid")
	b.post(path, url.Values{"password": {"yet another long passphrase 7"}}).is(t, http.StatusForbidden)
	e.browser().signIn(tm.email, newPassword)
}

func TestAPasswordResetLinkExpiresAfter30Minutes(t *testing.T) {
	t.Parallel()
	clock := &testClock{now: time.Now()}
	e, m := newEnvWithMailer(t, []connecttest.Option{connecttest.WithNow(clock.Now)}, func(c *portal.Config) { c.Now = clock.Now })
	tm := e.signUp("Green Grocer", uploads)
	b := e.browser()
	b.post("/signin/forgot", url.Values{"email": {tm.email}}).is(t, http.StatusOK)
	path := resetPath(t, m, tm.email)
	clock.add(29 * time.Minute)
	b.get(path).is(t, http.StatusOK)
	clock.add(2 * time.Minute)
	b.get(path).is(t, http.StatusForbidden)
	b.post(path, url.Values{"password": {newPassword}}).is(t, http.StatusForbidden)
	e.browser().signIn(tm.email, tm.password)
}

func TestAPasswordResetAnswersTheSameForAnUnknownEmail(t *testing.T) {
	t.Parallel()
	e, m := newEnvWithMailer(t, nil, fromIP)
	tm := e.signUp("Green Grocer", uploads)
	ask := func(ip, email string) (response, time.Duration) {
		start := time.Now()
		r := e.browser().do(http.MethodPost, "/signin/forgot", strings.NewReader(url.Values{"email": {email}}.Encode()),
			"application/x-www-form-urlencoded", http.Header{"X-Test-IP": {ip}})
		return r, time.Since(start)
	}
	known, tk := ask("198.51.100.1", tm.email)
	unknown, tu := ask("198.51.100.2", "nobody@example.com")
	known.is(t, http.StatusOK)
	unknown.is(t, http.StatusOK)
	if known.body != unknown.body {
		t.Fatalf("the answers differ:\nknown email:\n%s\nunknown email:\n%s", known.body, unknown.body)
	}
	if n := len(m.Resets()); n != 1 {
		t.Fatalf("%d reset links mailed, want 1 (to the known email)", n)
	}
	t.Logf("answered in %v for a known email, %v for an unknown one", tk.Round(time.Millisecond), tu.Round(time.Millisecond))
}

func TestPasswordResetRequestsAreRateLimited(t *testing.T) {
	t.Parallel()
	e, m := newEnvWithMailer(t, nil, fromIP)
	tm := e.signUp("Green Grocer", uploads)
	limited := 0
	for range 10 {
		r := e.browser().do(http.MethodPost, "/signin/forgot", strings.NewReader(url.Values{"email": {tm.email}}.Encode()),
			"application/x-www-form-urlencoded", http.Header{"X-Test-IP": {"203.0.113.9"}})
		if r.status == http.StatusTooManyRequests {
			if r.header.Get("Retry-After") == "" {
				t.Fatal("a refused request without Retry-After")
			}
			limited++
		}
	}
	if limited == 0 || len(m.Resets()) >= 10 {
		t.Fatalf("10 requests for one email from one network: %d refused, %d links mailed", limited, len(m.Resets()))
	}
	// The member's sign-in is not affected by someone asking for resets.
	e.browser().signInFrom("203.0.113.9", tm.email, tm.password).is(t, http.StatusSeeOther)
}

func TestAPasswordResetRefusesAWeakPasswordAndStaysUsable(t *testing.T) {
	t.Parallel()
	e, m := newEnvWithMailer(t, nil)
	tm := e.signUp("Green Grocer", uploads)
	b := e.browser()
	b.post("/signin/forgot", url.Values{"email": {tm.email}}).is(t, http.StatusOK)
	path := resetPath(t, m, tm.email)
	b.post(path, url.Values{"password": {"aaaaaaaaaaaa"}}).is(t, http.StatusUnprocessableEntity)
	b.post(path, url.Values{"password": {"Green Grocer 2026"}}).is(t, http.StatusUnprocessableEntity)
	toSignIn(t, "a good password after refused ones", b.post(path, url.Values{"password": {newPassword}}))
	e.browser().signIn(tm.email, newPassword)
}

func TestPasswordResetLinksGoToEachMembershipOfTheEmail(t *testing.T) {
	t.Parallel()
	e, m := newEnvWithMailer(t, nil)
	green := e.signUp("Green Grocer", uploads)
	blue := e.signUp("Blue Bakery", uploads)
	inv, err := e.svc.InviteMember(e.ctx, blue.owner, connect.InviteMemberParams{Email: green.email, Role: connect.RoleMember})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.AcceptInvite(e.ctx, inv.Token, connect.SignUp{Name: "Same Person", Email: green.email, Password: testPassword}); err != nil {
		t.Fatal(err)
	}
	e.browser().post("/signin/forgot", url.Values{"email": {green.email}}).is(t, http.StatusOK)
	sent := m.Resets()
	if len(sent) != 2 || sent[0].ClientName == sent[1].ClientName {
		t.Fatalf("reset links mailed: %+v; want one per team", sent)
	}
	var bluePath string
	for _, r := range sent {
		if r.ClientName == "Blue Bakery" {
			u, _ := url.Parse(r.Link)
			bluePath = u.Path
		}
	}
	b := e.browser()
	b.get(bluePath).is(t, http.StatusOK).has(t, "Blue Bakery").lacks(t, "Green Grocer")
	toSignIn(t, "the Blue Bakery reset", b.post(bluePath, url.Values{"password": {newPassword}}))
	// The new password opens the Blue Bakery membership only; the old one still
	// opens Green Grocer's.
	e.browser().signIn(green.email, newPassword)
	nb := e.browser()
	nb.signIn(green.email, newPassword)
	nb.get("/home").is(t, http.StatusOK).has(t, "Blue Bakery")
	ob := e.browser()
	ob.signIn(green.email, testPassword)
	ob.get("/home").is(t, http.StatusOK).has(t, "Green Grocer")
}
