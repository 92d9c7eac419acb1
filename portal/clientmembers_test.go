package portal_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/portal"
)

// ssoCookie is the test host's own sign-in: its cookie names the account, the
// client (may be empty) and the email of the person it signed in. A stand-in
// for a host's SSO session, which the portal never sees but through the hook.
const ssoCookie = "host_sso"

// withHostSignIn makes the test host identify its people by ssoCookie.
func withHostSignIn(c *portal.Config) {
	c.ClientMembers = portal.ClientMembersFunc(func(r *http.Request) (connect.HostIdentity, bool) {
		ck, err := r.Cookie(ssoCookie)
		if err != nil {
			return connect.HostIdentity{}, false
		}
		parts := strings.SplitN(ck.Value, "|", 3)
		if len(parts) != 3 {
			return connect.HostIdentity{}, false
		}
		return connect.HostIdentity{Account: connect.AccountID(parts[0]), Client: connect.ClientID(parts[1]), Email: parts[2]}, true
	})
}

// hostSignedIn is a browser the test host signed in as the email of the
// account (and client, if given), with no portal session.
func (e *env) hostSignedIn(account connect.AccountID, client connect.ClientID, email string) *browser {
	b := e.browser()
	b.header.Set("Cookie", ssoCookie+"="+string(account)+"|"+string(client)+"|"+email)
	return b
}

// rival signs up a client of another account and returns it with its owner's email.
func (e *env) rival() (*connect.Client, string) {
	e.t.Helper()
	inv, err := e.svc.InviteClient(e.ctx, e.w.DispatcherOf("rival-account"), connect.InviteClientParams{Name: "Rival", Settings: uploads})
	if err != nil {
		e.t.Fatal(err)
	}
	acc, err := e.svc.AcceptInvite(e.ctx, inv.Token, connect.SignUp{Name: "Rex", Email: "rex@rival.example", Password: testPassword})
	if err != nil {
		e.t.Fatal(err)
	}
	return acc.Client, acc.Member.Email
}

func TestAMemberTheHostSignsInSeesOnlyItsOwnClientsOrders(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withHostSignIn)
	a, b := e.signUp("Apple Farm", uploads), e.signUp("Berry Farm", uploads)
	mine, theirs := e.draft(a.owner, "APPLE-1"), e.draft(b.owner, "BERRY-1")
	_, email := e.addMember(a, connect.RoleMember)

	br := e.hostSignedIn(e.acct, "", email)
	br.get("/orders?view=drafts").is(t, http.StatusOK).has(t, "APPLE-1").lacks(t, "BERRY-1")
	br.get("/orders/"+string(mine.ID)).is(t, http.StatusOK)
	br.get("/orders/"+string(theirs.ID)).is(t, http.StatusNotFound)
	api := br.do(http.MethodGet, "/api/v1/orders", nil, "", http.Header{"Accept": {"application/json"}}).is(t, http.StatusOK)
	api.has(t, "APPLE-1").lacks(t, "BERRY-1")
	for _, c := range br.c.Jar.Cookies(mustURL(t, e.base)) {
		if c.Name == "connect_session" {
			t.Fatalf("the host's sign-in left a portal session cookie: %v", c)
		}
	}
	// The member changes what the role allows, as the member it is.
	r := br.post("/orders/new", url.Values{"id": {"APPLE-2"}, "address_line_1": {"2 Orchard Rd"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("creating an order as the host's member: %d\n%s", r.status, r.body)
	}
	br.get("/orders?view=drafts").has(t, "APPLE-2")
	page, err := e.svc.Orders(e.ctx, b.owner, connect.ListOrdersParams{})
	if err != nil || len(page.Orders) != 1 {
		t.Fatalf("Berry Farm's orders after the Apple member's: %d, %v", len(page.Orders), err)
	}
}

func TestARemovedMemberOrADisabledClientIsRefusedAtTheNextRequestThoughTheHostStillVouches(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withHostSignIn)
	a := e.signUp("Apple Farm", uploads)
	m, email := e.addMember(a, connect.RoleMember)
	br := e.hostSignedIn(e.acct, "", email)
	br.get("/home").is(t, http.StatusOK)
	if err := e.svc.RemoveMember(e.ctx, a.owner, m.Member); err != nil {
		t.Fatal(err)
	}
	// Refused where it stands: no redirect to a sign-in that would send the
	// person through the host's and back.
	br.get("/home").is(t, http.StatusForbidden).has(t, "not on a client")
	br.do(http.MethodGet, "/api/v1/orders", nil, "", http.Header{"Accept": {"application/json"}}).is(t, http.StatusForbidden)

	owner := e.hostSignedIn(e.acct, "", a.email)
	owner.get("/home").is(t, http.StatusOK)
	if _, err := e.svc.DisableClient(e.ctx, e.disp, a.client.ID); err != nil {
		t.Fatal(err)
	}
	owner.get("/home").is(t, http.StatusForbidden).has(t, "disabled")
}

func TestAHostIdentityNeverReachesAnotherAccountsClient(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withHostSignIn)
	a := e.signUp("Apple Farm", uploads)
	e.draft(a.owner, "APPLE-1")
	rival, rex := e.rival()
	for name, br := range map[string]*browser{
		"the host's account, the rival's email":                 e.hostSignedIn(e.acct, "", rex),
		"the host's account, the rival's client and email":      e.hostSignedIn(e.acct, rival.ID, rex),
		"the rival's account, the host's client and its member": e.hostSignedIn("rival-account", a.client.ID, a.email),
	} {
		t.Run(name, func(t *testing.T) {
			r := br.get("/orders?view=drafts").is(t, http.StatusForbidden)
			r.lacks(t, "APPLE-1", "Apple Farm", "Rival")
		})
	}
	// The rival's own host account reaches its own client.
	e.hostSignedIn("rival-account", "", rex).get("/home").is(t, http.StatusOK).has(t, "Rival")
}

func TestAnEmailOnTwoTeamsNeedsTheHostToNameTheClient(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withHostSignIn)
	a, b := e.signUp("Apple Farm", uploads), e.signUp("Berry Farm", uploads)
	e.draft(a.owner, "APPLE-1")
	e.draft(b.owner, "BERRY-1")
	both := "pat@example.com"
	for _, tm := range []team{a, b} {
		inv, err := e.svc.InviteMember(e.ctx, tm.owner, connect.InviteMemberParams{Email: both, Role: connect.RoleMember})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.AcceptInvite(e.ctx, inv.Token, connect.SignUp{Name: "Pat", Email: both}); err != nil {
			t.Fatal(err)
		}
	}
	e.hostSignedIn(e.acct, "", both).get("/orders?view=drafts").is(t, http.StatusForbidden).lacks(t, "APPLE-1", "BERRY-1")
	e.hostSignedIn(e.acct, b.client.ID, both).get("/orders?view=drafts").is(t, http.StatusOK).has(t, "BERRY-1").lacks(t, "APPLE-1")
}

func TestAHostSignedInMembersCrossOriginPostsAreRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withHostSignIn)
	a := e.signUp("Apple Farm", uploads)
	br := e.hostSignedIn(e.acct, "", a.email)
	form := url.Values{"id": {"EVIL-1"}, "address_line_1": {"1 Evil St"}}
	r := br.do(http.MethodPost, "/orders/new", strings.NewReader(form.Encode()), "application/x-www-form-urlencoded",
		http.Header{"Origin": {"https://evil.example"}, "Sec-Fetch-Site": {"cross-site"}})
	r.is(t, http.StatusForbidden)
	br.get("/orders?view=drafts").is(t, http.StatusOK).lacks(t, "EVIL-1")
}

func TestPeopleTheHostDoesNotKnowGoToItsSignInWhenPasswordsAreOff(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withHostSignIn, func(c *portal.Config) {
		c.NoPasswordSignIn, c.ClientLoginURL = true, "https://sso.example/login"
	})
	a := e.signUp("Apple Farm", uploads)
	nobody := e.browser()
	r := nobody.get("/orders?status=draft").is(t, http.StatusSeeOther)
	if want := "https://sso.example/login?next=" + url.QueryEscape("/orders?status=draft"); r.header.Get("Location") != want {
		t.Fatalf("sent to %q, want %q", r.header.Get("Location"), want)
	}
	if loc := nobody.get("/signin?next=/orders").is(t, http.StatusSeeOther).header.Get("Location"); loc != "https://sso.example/login?next=%2Forders" {
		t.Fatalf("the sign-in page sent to %q", loc)
	}
	nobody.post("/signin", url.Values{"email": {a.email}, "password": {a.password}}).is(t, http.StatusForbidden)
	nobody.post("/signin/forgot", url.Values{"email": {a.email}}).is(t, http.StatusForbidden)
	nobody.get("/orders?view=drafts").is(t, http.StatusSeeOther) // the right password made no session

	// An invite is accepted without a password and without a session: the new
	// member signs in through the host.
	inv, err := e.svc.InviteMember(e.ctx, a.owner, connect.InviteMemberParams{Email: "new@apple.example", Role: connect.RoleMember})
	if err != nil {
		t.Fatal(err)
	}
	path := "/invite/" + inv.Token
	nobody.get(path).is(t, http.StatusOK).lacks(t, `name="password"`)
	nobody.post(path, url.Values{"name": {"Nia"}, "email": {"new@apple.example"}}).is(t, http.StatusSeeOther)
	nobody.get("/home").is(t, http.StatusSeeOther)
	e.hostSignedIn(e.acct, "", "new@apple.example").get("/home").is(t, http.StatusOK)
}

func TestSignOutSendsAPersonTheHostSignedInToTheHostsSignOut(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withHostSignIn, func(c *portal.Config) { c.ClientLogoutURL = "https://sso.example/logout" })
	a := e.signUp("Apple Farm", uploads)
	r := e.hostSignedIn(e.acct, "", a.email).post("/signout", nil).is(t, http.StatusSeeOther)
	if loc := r.header.Get("Location"); loc != "https://sso.example/logout" {
		t.Fatalf("signed out to %q, want the host's sign-out", loc)
	}
	// A person with a portal session signs out of the portal, as before.
	r = e.signedIn(a.email).post("/signout", nil).is(t, http.StatusSeeOther)
	if loc := r.header.Get("Location"); loc != "/signin" {
		t.Fatalf("a portal session signed out to %q", loc)
	}
}

func TestWithoutALoginURLPasswordsOffAnswer403(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withHostSignIn, func(c *portal.Config) { c.NoPasswordSignIn = true })
	e.browser().get("/orders?view=drafts").is(t, http.StatusForbidden)
	e.browser().get("/signin").is(t, http.StatusForbidden)
}

func TestWithTheHookPeopleItDoesNotKnowStillSignInWithAPassword(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withHostSignIn)
	a := e.signUp("Apple Farm", uploads)
	e.draft(a.owner, "APPLE-1")
	e.signedIn(a.email).get("/orders?view=drafts").is(t, http.StatusOK).has(t, "APPLE-1")
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
