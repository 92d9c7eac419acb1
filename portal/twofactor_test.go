package portal_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/dispatchkit/connect"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// codeAt is the code an authenticator app shows for secret at t (pquerna/otp).
func codeAt(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	code, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return code
}

var (
	secretTextRE   = regexp.MustCompile(`id="secret">([A-Z2-7]+)<`)
	otpauthRE      = regexp.MustCompile(`name="url" value="([^"]+)"`)
	recoveryCodeRE = regexp.MustCompile(`<li><code>([a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4})</code></li>`)
)

// enrollPage reads the key an enrollment page shows, and the form's fields.
func enrollPage(t *testing.T, r response) (string, url.Values) {
	t.Helper()
	m := secretTextRE.FindStringSubmatch(r.body)
	u := otpauthRE.FindStringSubmatch(r.body)
	if m == nil || u == nil {
		t.Fatalf("no two-factor key in the page:\n%s", r.body)
	}
	return m[1], url.Values{"secret": {m[1]}, "url": {htmlUnescape(u[1])}}
}

func htmlUnescape(s string) string {
	for _, p := range [][2]string{{"&amp;", "&"}, {"&#43;", "+"}, {"&#61;", "="}} {
		s = regexp.MustCompile(regexp.QuoteMeta(p[0])).ReplaceAllString(s, p[1])
	}
	return s
}

// recoveryCodes reads the recovery codes a page shows.
func recoveryCodes(t *testing.T, r response) []string {
	t.Helper()
	var codes []string
	for _, m := range recoveryCodeRE.FindAllStringSubmatch(r.body, -1) {
		codes = append(codes, m[1])
	}
	if len(codes) != connect.RecoveryCodes {
		t.Fatalf("%d recovery codes in the page, want %d:\n%s", len(codes), connect.RecoveryCodes, r.body)
	}
	return codes
}

// withCode sets the code in a copy of form.
func withCode(form url.Values, code string) url.Values {
	f := url.Values{"code": {code}}
	for k, v := range form {
		f[k] = v
	}
	return f
}

// passwordFirst signs a new browser in with the password, and checks that it
// is sent to the second step at path, without a session.
func (e *env) passwordFirst(t *testing.T, email, path string) *browser {
	t.Helper()
	b := e.browser()
	r := b.post("/signin", url.Values{"email": {email}, "password": {testPassword}})
	if r.status != http.StatusSeeOther || r.header.Get("Location") != path {
		t.Fatalf("sign-in: status %d, Location %q; want a redirect to %s", r.status, r.header.Get("Location"), path)
	}
	if b.sessionCookie() != "" {
		t.Fatal("a session started before the second step")
	}
	toSignIn(t, "the portal before the second step", b.get("/home"))
	return b
}

func TestSignInWithTwoFactorTakesTheCodeAfterThePassword(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tm := e.signUp("Green Grocer", uploads)
	b := e.signedIn(tm.email)
	b.get("/settings/account").has(t, "Set up two-factor sign-in")
	secret, form := enrollPage(t, b.post("/settings/account/two-factor", url.Values{}).is(t, http.StatusOK).has(t, `id="qr"`))
	b.post("/settings/account/two-factor/confirm", withCode(form, "000000")).is(t, http.StatusUnprocessableEntity).
		has(t, "not right", `id="secret">`+secret+"<")
	codes := recoveryCodes(t, b.post("/settings/account/two-factor/confirm", withCode(form, codeAt(t, secret, time.Now()))).
		is(t, http.StatusOK))
	b.get("/settings/account").has(t, "10 recovery codes left").lacks(t, codes[0])

	// The password alone opens nothing; a wrong code neither.
	nb := e.passwordFirst(t, tm.email, "/signin/code")
	nb.get("/signin/code").is(t, http.StatusOK).has(t, `name="code"`)
	nb.post("/signin/code", url.Values{"code": {"12345x"}}).is(t, http.StatusUnauthorized).has(t, "not right")
	// The next step's code (the current one confirmed the enrollment): signed in.
	next := codeAt(t, secret, time.Now().Add(30*time.Second))
	r := nb.post("/signin/code", url.Values{"code": {next}})
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/home" {
		t.Fatalf("the right code: status %d, Location %q", r.status, r.header.Get("Location"))
	}
	nb.get("/home").is(t, http.StatusOK)
	// Replayed (by someone who saw it and knows the password): refused.
	e.passwordFirst(t, tm.email, "/signin/code").post("/signin/code", url.Values{"code": {next}}).is(t, http.StatusUnauthorized)

	// A recovery code signs in once.
	rb := e.passwordFirst(t, tm.email, "/signin/code")
	rb.post("/signin/code", url.Values{"code": {codes[3]}}).is(t, http.StatusSeeOther)
	rb.get("/home").is(t, http.StatusOK)
	e.passwordFirst(t, tm.email, "/signin/code").post("/signin/code", url.Values{"code": {codes[3]}}).is(t, http.StatusUnauthorized)

	// Turned off with the password, the password is enough again.
	b.post("/settings/account/two-factor/disable", url.Values{"proof": {"wrong password"}}).is(t, http.StatusUnprocessableEntity)
	b.post("/settings/account/two-factor/disable", url.Values{"proof": {testPassword}}).is(t, http.StatusSeeOther)
	e.signedIn(tm.email).get("/home").is(t, http.StatusOK)
}

func TestWrongTwoFactorCodesCountAgainstTheSignInLimits(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tm := e.signUp("Green Grocer", uploads)
	b := e.signedIn(tm.email)
	secret, form := enrollPage(t, b.post("/settings/account/two-factor", url.Values{}))
	b.post("/settings/account/two-factor/confirm", withCode(form, codeAt(t, secret, time.Now()))).is(t, http.StatusOK)
	nb := e.passwordFirst(t, tm.email, "/signin/code")
	for i := range 20 {
		r := nb.post("/signin/code", url.Values{"code": {"000000"}})
		if r.status == http.StatusTooManyRequests {
			if r.header.Get("Retry-After") == "" {
				t.Fatal("429 without Retry-After")
			}
			return
		}
		if r.status != http.StatusUnauthorized {
			t.Fatalf("wrong code %d: status %d", i, r.status)
		}
	}
	t.Fatal("20 wrong codes in a row were all checked; want the sign-in limits to stop them")
}

func TestADispatcherRequiresTwoFactorOfAClientsTeam(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tm := e.signUp("Green Grocer", uploads)
	_, memberEmail := e.addMember(tm, connect.RoleMember)
	ob := e.signedIn(tm.email) // signed in before the dispatcher requires it
	d := e.dispatcher()
	d.get("/dispatch/clients/"+string(tm.client.ID)).has(t, `name="require_two_factor"`)
	d.follow(d.post("/dispatch/clients/"+string(tm.client.ID), url.Values{"name": {"Green Grocer"}, "depot": {"north"},
		"allow_upload": {"1"}, "require_two_factor": {"1"}})).has(t, "Client settings saved")
	d.get("/dispatch/clients/"+string(tm.client.ID)).has(t, `id="require-two-factor" checked`)

	// Signed in already: the account page, to enroll, and nothing else.
	r := ob.get("/home")
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/settings/account" {
		t.Fatalf("a session of a member who must enroll: status %d, Location %q", r.status, r.header.Get("Location"))
	}
	ob.get("/orders").is(t, http.StatusSeeOther)
	ob.get("/api/v1/orders").is(t, http.StatusForbidden).has(t, "two-factor")
	ob.get("/settings/account").is(t, http.StatusOK).has(t, "Your dispatcher requires it")
	osecret, oform := enrollPage(t, ob.post("/settings/account/two-factor", url.Values{}).is(t, http.StatusOK))
	ob.post("/settings/account/two-factor/confirm", withCode(oform, codeAt(t, osecret, time.Now()))).is(t, http.StatusOK)
	ob.get("/home").is(t, http.StatusOK)
	// Turned off, it is asked for again at once.
	ob.post("/settings/account/two-factor/disable", url.Values{"proof": {testPassword}}).is(t, http.StatusSeeOther)
	ob.get("/home").is(t, http.StatusSeeOther)

	// A member without two-factor sign-in enrolls before the portal opens.
	b := e.passwordFirst(t, memberEmail, "/signin/enroll")
	secret, form := enrollPage(t, b.get("/signin/enroll").is(t, http.StatusOK))
	toSignIn(t, "the portal while enrolling", b.get("/home"))
	b.post("/signin/enroll", withCode(form, "000000")).is(t, http.StatusUnauthorized).has(t, "not right", secret)
	codes := recoveryCodes(t, b.post("/signin/enroll", withCode(form, codeAt(t, secret, time.Now()))).is(t, http.StatusOK))
	b.get("/home").is(t, http.StatusOK)
	b.get("/settings/account").has(t, "requires two-factor sign-in", `id="disable-two-factor"`)

	// Next time: the code page.
	nb := e.passwordFirst(t, memberEmail, "/signin/code")
	nb.post("/signin/code", url.Values{"code": {codes[0]}}).is(t, http.StatusSeeOther)
	nb.get("/home").is(t, http.StatusOK)

	// Who joins the team by an invite enrolls before the portal opens, too.
	inv, err := e.svc.InviteMember(e.ctx, tm.owner, connect.InviteMemberParams{Email: "new@greengrocer.example", Role: connect.RoleMember})
	if err != nil {
		t.Fatal(err)
	}
	ib := e.browser()
	r = ib.post("/invite/"+inv.Token, url.Values{"name": {"Nia New"}, "email": {"new@greengrocer.example"},
		"password": {"a long and fresh passphrase 7"}})
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/signin/enroll" || ib.sessionCookie() != "" {
		t.Fatalf("an accepted invite: status %d, Location %q; want the enrollment, without a session", r.status, r.header.Get("Location"))
	}
	ib.get("/signin/enroll").is(t, http.StatusOK).has(t, `id="secret"`)

	// API keys are not affected.
	key, err := e.svc.CreateAPIKey(e.ctx, tm.owner, "robot")
	if err != nil {
		t.Fatal(err)
	}
	if status, _ := e.api(key.Token, http.MethodGet, "/api/v1/orders", nil); status != http.StatusOK {
		t.Fatalf("an API key of a client that requires two-factor: status %d", status)
	}
}

func TestASecondStepCookieCannotBeForged(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tm := e.signUp("Green Grocer", connect.ClientSettings{RequireTwoFactor: true})
	b := e.browser()
	u, _ := url.Parse(e.base)
	b.c.Jar.SetCookies(u, []*http.Cookie{{Name: "connect_step", Value: "eyJtIjoieCJ9.AAAA", Path: "/"}})
	toSignIn(t, "a forged step cookie's code page", b.get("/signin/code"))
	toSignIn(t, "a forged step cookie's enrollment", b.get("/signin/enroll"))
	toSignIn(t, "a forged step cookie's code", b.post("/signin/code", url.Values{"code": {"123456"}}))
	// The real one of an enrollment is no code step.
	eb := e.passwordFirst(t, tm.email, "/signin/enroll")
	toSignIn(t, "an enrollment's step cookie at the code page", eb.post("/signin/code", url.Values{"code": {"123456"}}))
}

func TestATeamPickedAtSignInAsksForItsOwnSecondStep(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.signUp("Alpha", uploads)
	beta := e.signUp("Beta", connect.ClientSettings{AllowUpload: true, RequireTwoFactor: true})
	inv, err := e.svc.InviteMember(e.ctx, beta.owner, connect.InviteMemberParams{Role: connect.RoleMember})
	if err != nil {
		t.Fatal(err)
	}
	// Alpha's owner also joins Beta (which requires two-factor), with the same email and password.
	if _, err := e.svc.AcceptInvite(e.ctx, inv.Token, connect.SignUp{Name: "Owner", Email: a.email, Password: testPassword}); err != nil {
		t.Fatal(err)
	}
	pick := func(name, other string) (response, *browser) {
		t.Helper()
		br := e.browser()
		choose := br.follow(br.post("/signin", url.Values{"email": {a.email}, "password": {testPassword}})).is(t, http.StatusOK)
		idx := "1" // the options are listed in order
		if strings.Index(choose.body, name) < strings.Index(choose.body, other) {
			idx = "0"
		}
		return br.post("/signin/choose", url.Values{"option": {idx}}), br
	}
	if r, br := pick("Beta", "Alpha"); r.header.Get("Location") != "/signin/enroll" || br.sessionCookie() != "" {
		t.Fatalf("Beta picked: Location %q; want its enrollment, without a session", r.header.Get("Location"))
	}
	if r, br := pick("Alpha", "Beta"); r.header.Get("Location") != "/home" || br.sessionCookie() == "" {
		t.Fatalf("Alpha picked: Location %q; want home, signed in", r.header.Get("Location"))
	}
}

// enrollByService turns two-factor sign-in on for a through the Service.
func (e *env) enrollByService(t *testing.T, a connect.Actor) {
	t.Helper()
	en, err := e.svc.BeginTwoFactor(e.ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.ConfirmTwoFactor(e.ctx, a, codeAt(t, en.Secret, time.Now())); err != nil {
		t.Fatal(err)
	}
}

func TestTheOwnerResetsATeamMembersTwoFactorFromTheTeamPage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tm, other := e.signUp("Green Grocer", uploads), e.signUp("Berry Farm", uploads)
	sam, samEmail := e.addMember(tm, connect.RoleMember)
	_, adminEmail := e.addMember(tm, connect.RoleAdmin)
	samBrowser := e.signedIn(samEmail) // signed in before enrolling: the session stays
	e.enrollByService(t, sam)
	samBrowser.get("/home").is(t, http.StatusOK)
	path := "/settings/team/members/" + string(sam.Member) + "/two-factor/reset"

	owner := e.signedIn(tm.email)
	page := owner.get("/settings/team").is(t, http.StatusOK)
	page.has(t, `action="`+path+`"`, "data-confirm=\"Reset the two-factor sign-in of")
	page.lacks(t, "/settings/team/members/"+string(tm.owner.Member)+"/two-factor/reset") // not for the owner themselves
	e.signedIn(adminEmail).get("/settings/team").lacks(t, path)

	e.signedIn(adminEmail).post(path, nil).is(t, http.StatusForbidden)
	e.signedIn(other.email).post(path, nil).is(t, http.StatusNotFound)
	if st, err := e.svc.TwoFactorStatus(e.ctx, sam); err != nil || !st.Enabled {
		t.Fatalf("after the refusals: %+v, %v", st, err)
	}

	r := owner.post(path, nil).is(t, http.StatusSeeOther)
	owner.follow(r).has(t, "Two-factor sign-in reset")
	if st, err := e.svc.TwoFactorStatus(e.ctx, sam); err != nil || st.Enabled {
		t.Fatalf("after the reset: %+v, %v", st, err)
	}
	samBrowser.get("/home").is(t, http.StatusSeeOther)     // signed out
	e.signedIn(samEmail).get("/home").is(t, http.StatusOK) // the password alone signs in now
}

func TestTheDispatcherResetsAClientMembersTwoFactor(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tm, other := e.signUp("Green Grocer", uploads), e.signUp("Berry Farm", uploads)
	ownerBrowser := e.signedIn(tm.email) // signed in before enrolling: the session stays
	e.enrollByService(t, tm.owner)
	path := "/dispatch/clients/" + string(tm.client.ID) + "/members/" + string(tm.owner.Member) + "/two-factor/reset"
	e.dispatcher().get("/dispatch/clients/"+string(tm.client.ID)).is(t, http.StatusOK).has(t, `action="`+path+`"`)

	// Another account's dispatcher, and the member named under another client, get nothing.
	foreign := e.browser()
	foreign.header.Set("X-Test-Dispatcher", "another-account")
	foreign.post(path, nil).is(t, http.StatusNotFound)
	e.dispatcher().post("/dispatch/clients/"+string(other.client.ID)+"/members/"+string(tm.owner.Member)+"/two-factor/reset", nil).
		is(t, http.StatusNotFound)
	if st, err := e.svc.TwoFactorStatus(e.ctx, tm.owner); err != nil || !st.Enabled {
		t.Fatalf("after the refusals: %+v, %v", st, err)
	}

	d := e.dispatcher()
	r := d.post(path, nil).is(t, http.StatusSeeOther)
	d.follow(r).has(t, "Two-factor sign-in reset")
	if st, err := e.svc.TwoFactorStatus(e.ctx, tm.owner); err != nil || st.Enabled {
		t.Fatalf("after the reset: %+v, %v", st, err)
	}
	ownerBrowser.get("/home").is(t, http.StatusSeeOther)
}
