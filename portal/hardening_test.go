package portal_test

// Tests of issue #17's findings, each an attack over HTTP that worked before.

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/connecttest"
	"github.com/dispatchkit/connect/portal"
)

func TestBearerHeaderBesideSessionDoesNotSkipCrossOriginCheck(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tm := e.signUp("Green Grocer", uploads)
	b := e.signedIn(tm.email)
	evil := http.Header{"Origin": {"https://evil.example"}, "Sec-Fetch-Site": {"cross-site"},
		"Authorization": {"Bearer junk"}}
	r := b.do(http.MethodPost, "/settings/team/invites", strings.NewReader("role=admin"),
		"application/x-www-form-urlencoded", evil)
	r.is(t, http.StatusForbidden)
	invites, err := e.svc.Invites(e.ctx, tm.owner, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, inv := range invites {
		if inv.Role == connect.RoleAdmin {
			t.Fatalf("a cross-site post with a bearer header created an admin invite: %+v", inv)
		}
	}
	// Same-origin, the API takes a key or a session, never both.
	r = b.do(http.MethodPost, "/api/v1/orders", strings.NewReader(`{"address":{"line1":"1 Main St"}}`),
		"application/json", http.Header{"Authorization": {"Bearer junk"}})
	if r.status == http.StatusCreated || r.status == http.StatusOK {
		t.Fatalf("an API call with a junk key and a session was taken: %d %s", r.status, r.body)
	}
	if !strings.Contains(r.body, "not both") {
		t.Errorf("the refusal does not say why: %s", r.body)
	}
	// A key alone still works from any origin (no cookie: nothing ambient).
	key, err := e.svc.CreateAPIKey(e.ctx, tm.owner, "k")
	if err != nil {
		t.Fatal(err)
	}
	if status, body := e.api(key.Token, http.MethodGet, "/api/v1/client", nil); status != http.StatusOK {
		t.Fatalf("a key alone: %d %v", status, body)
	}
}

// cookieOf returns the value a response sets for the cookie.
func cookieOf(r response, name string) string {
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

func TestFlashCookieDoesNotShowTheSecretItCarries(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tm := e.signUp("Green Grocer", uploads)
	b := e.signedIn(tm.email)
	r := b.post("/settings/integrations/api-keys", url.Values{"name": {"shop"}})
	raw := cookieOf(r, "connect_flash")
	if raw == "" {
		t.Fatalf("no flash cookie: %v", r.header)
	}
	key := secret(t, b.follow(r))
	// Whatever the cookie's parts decode to, the key is not in them.
	seen := []string{raw}
	for _, part := range strings.FieldsFunc(raw, func(r rune) bool { return r == '.' }) {
		if dec, err := base64.RawURLEncoding.DecodeString(part); err == nil {
			seen = append(seen, string(dec))
		}
	}
	for _, s := range seen {
		if strings.Contains(s, key) || strings.Contains(s, key[len(key)-12:]) {
			t.Fatalf("the flash cookie shows the API key: %q", s)
		}
	}
	// A tampered flash is dropped, not shown.
	b2 := e.signedIn(tm.email)
	u, _ := url.Parse(e.base)
	b2.c.Jar.SetCookies(u, []*http.Cookie{{Name: "connect_flash", Value: raw[:len(raw)-2] + "AA", Path: "/"}})
	b2.get("/settings/integrations").is(t, http.StatusOK).lacks(t, `id="flash-secret"`)
}

func TestTrackingLinksStopForADisabledClient(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tm := e.signUp("Green Grocer", uploads)
	o := e.draft(tm.owner, "A-1")
	b := e.signedIn(tm.email)
	link := secret(t, b.follow(b.post("/orders/"+string(o.ID)+"/tracking-links", url.Values{})))
	path := strings.TrimPrefix(link, e.base)
	e.browser().get(path).is(t, http.StatusOK)
	e.dispatcher().post("/dispatch/clients/"+string(tm.client.ID)+"/disable", url.Values{}).is(t, http.StatusSeeOther)
	e.browser().get(path).is(t, http.StatusNotFound)
	e.dispatcher().post("/dispatch/clients/"+string(tm.client.ID)+"/enable", url.Values{}).is(t, http.StatusSeeOther)
	e.browser().get(path).is(t, http.StatusOK)
}

func TestFormsWithNULOrInvalidUTF8AreRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tm := e.signUp("Green Grocer", uploads)
	b := e.signedIn(tm.email)
	for name, body := range map[string]string{
		"NUL in a value":        "address_line1=1%00Main+St&city=Springfield",
		"invalid UTF-8":         "address_line1=1+Main+St&notes=%FF%FE",
		"NUL in a name":         "address_line1=1+Main+St&no%00tes=x",
		"NUL in the sign-in":    "",
		"overlong UTF-8 (0xC0)": "address_line1=%C0%80",
	} {
		path := "/orders/new"
		if body == "" {
			path, body = "/signin", "email=a%00@b.test&password=x"
		}
		r := b.do(http.MethodPost, path, strings.NewReader(body), "application/x-www-form-urlencoded", nil)
		r.is(t, http.StatusBadRequest)
		if !strings.Contains(r.body, "not text") {
			t.Errorf("%s: the answer does not say why:\n%s", name, r.body)
		}
	}
	key, err := e.svc.CreateAPIKey(e.ctx, tm.owner, "k")
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, e.base+"/api/v1/orders", strings.NewReader(`{"address":{"line1":"1 Main\u0000 St"}}`))
	req.Header.Set("Authorization", "Bearer "+key.Token)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusBadRequest {
		t.Fatalf("JSON with \\u0000: %d, want 400", res.StatusCode)
	}
	page, err := e.svc.Orders(e.ctx, tm.owner, connect.ListOrdersParams{})
	if err != nil || len(page.Orders) != 0 {
		t.Fatalf("a refused form stored orders: %v %v", page, err)
	}
}

func TestAnEmailInviteIsAcceptedWithItsEmailOnly(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tm := e.signUp("Green Grocer", uploads)
	inv, err := e.svc.InviteMember(e.ctx, tm.owner, connect.InviteMemberParams{Email: "Ada@Example.com", Role: connect.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	path := "/invite/" + inv.Token
	// The page names the company and the role, and fills the email in.
	page := e.browser().get(path).is(t, http.StatusOK)
	page.has(t, "<strong>Green Grocer</strong> invites you", "as an admin", `value="Ada@Example.com"`, "for Ada@Example.com only")
	// Another address is refused, and the invite still works for its own.
	r := e.browser().post(path, url.Values{"name": {"Mallory"}, "email": {"mallory@evil.example"}, "password": {"long enough password"}})
	r.is(t, http.StatusUnprocessableEntity).has(t, "the address this invite was sent to")
	team, err := e.svc.Members(e.ctx, tm.owner, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range team {
		if m.Email == "mallory@evil.example" {
			t.Fatalf("an admin invite sent to Ada was accepted by %s", m.Email)
		}
	}
	// Compared without case.
	e.browser().post(path, url.Values{"name": {"Ada"}, "email": {"ada@EXAMPLE.com"}, "password": {"long enough password"}}).
		is(t, http.StatusSeeOther)
}

func TestALinkInviteSaysAnyoneWithTheLinkMayJoin(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tm := e.signUp("Green Grocer", uploads)
	b := e.signedIn(tm.email)
	flash := b.follow(b.post("/settings/team/invites", url.Values{"role": {"member"}}))
	flash.has(t, "Anyone with this link")
	link := secret(t, flash)
	page := e.browser().get(strings.TrimPrefix(link, e.base)).is(t, http.StatusOK)
	page.has(t, "<strong>Green Grocer</strong> invites you", "anyone who has it can sign up")
	page.lacks(t, "readonly")
}

func TestWeakPasswordsAreRefusedSayingWhy(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *portal.Config) { // many tries, none held back
		c.RateLimits = portal.RateLimits{PerNetwork: portal.Rate{Burst: 100, Every: time.Second},
			PerEmail: portal.Rate{Burst: 100, Every: time.Second}}
	})
	tm := e.signUp("Green Grocer", uploads)
	inv, err := e.svc.InviteMember(e.ctx, tm.owner, connect.InviteMemberParams{Email: "ada.lovelace@example.com", Role: connect.RoleMember})
	if err != nil {
		t.Fatal(err)
	}
	path := "/invite/" + inv.Token
	for password, why := range map[string]string{
		"short":            "must have 10 to 200 characters",
		"zzzzzzzzzzzzz":    "repeated or sequential",
		"abcabcabcabc":     "repeated or sequential",
		"zyxwvutsrq":       "repeated or sequential",
		"password123":      "most common passwords",
		"Qwertyuiop":       "most common passwords",
		"aaaaaaaaaa":       "most common passwords", // and repeated: the list says it first
		"GreenGrocer2024!": "your company",
		"green-grocer-1":   "your company",
		"AdaLovelace99":    "your email address",
		"example.com12345": "your email address",
	} {
		r := e.browser().post(path, url.Values{"name": {"Ada"}, "email": {"ada.lovelace@example.com"}, "password": {password}})
		r.is(t, http.StatusUnprocessableEntity)
		if !strings.Contains(r.body, why) {
			t.Errorf("password %q: the page does not say %q", password, why)
		}
	}
	// A password of its own is taken, even one with the company's name in it.
	b := e.browser()
	b.follow(b.post(path, url.Values{"name": {"Ada"}, "email": {"ada.lovelace@example.com"}, "password": {"green grocer turnip parade"}})).
		is(t, http.StatusOK)
	// Changing it follows the same rules.
	r := b.post("/settings/account/password", url.Values{"current": {"green grocer turnip parade"}, "password": {"ada.lovelace1"}, "confirm": {"ada.lovelace1"}})
	r.is(t, http.StatusUnprocessableEntity)
	if !strings.Contains(r.body, "your email address") {
		t.Errorf("changing to a password made of the email: the page does not say why:\n%s", r.body)
	}
}

// testClock is a clock a test moves.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *testClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func TestSessionsEndWhenIdleAndAfterTheirLifetime(t *testing.T) {
	t.Parallel()
	clock := &testClock{now: time.Now()}
	// The Service keeps the sessions: it runs on the test's clock too.
	e := newEnvOnWorld(t, "", []connecttest.Option{connecttest.WithNow(clock.Now)}, func(c *portal.Config) {
		c.Now, c.SessionIdle, c.SessionTTL = clock.Now, 30*time.Minute, 2*time.Hour
	})
	tm := e.signUp("Green Grocer", uploads)
	b := e.signedIn(tm.email)
	// Used every 20 minutes, it lasts: each use is noted in the Store.
	for i := 0; i < 5; i++ {
		clock.add(20 * time.Minute)
		b.get("/home").is(t, http.StatusOK)
	}
	// Left for longer than the idle timeout, it ends.
	clock.add(31 * time.Minute)
	if r := b.get("/home"); r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/signin") {
		t.Fatalf("a session idle for 31 minutes still opens /home: %d", r.status)
	}
	// However active, it ends after its lifetime.
	b = e.signedIn(tm.email)
	for i := 0; i < 5; i++ {
		clock.add(20 * time.Minute)
		b.get("/home").is(t, http.StatusOK)
	}
	clock.add(21 * time.Minute) // 2 h 1 min since sign-in
	if r := b.get("/home"); r.status != http.StatusSeeOther {
		t.Fatalf("a session past its lifetime still opens /home: %d", r.status)
	}
}

// fromIP makes the portal count a request's address from X-Test-IP (as a host
// behind a proxy it trusts would, from X-Forwarded-For).
func fromIP(c *portal.Config) {
	c.ClientIP = func(r *http.Request) string { return r.Header.Get("X-Test-IP") }
}

// signInFrom posts a sign-in from the address.
func (b *browser) signInFrom(ip, email, password string) response {
	return b.do(http.MethodPost, "/signin", strings.NewReader(url.Values{"email": {email}, "password": {password}}.Encode()),
		"application/x-www-form-urlencoded", http.Header{"X-Test-IP": {ip}})
}

func TestSignInLimitsCannotLockAMemberOut(t *testing.T) {
	t.Parallel()
	clock := &testClock{now: time.Now()}
	e := newEnv(t, fromIP, func(c *portal.Config) {
		c.Now = clock.Now
		c.RateLimits = portal.RateLimits{PerEmail: portal.Rate{Burst: 8, Every: time.Hour}}
	})
	tm := e.signUp("Green Grocer", uploads)
	// The member's own laptop signed in before.
	laptop := e.browser()
	laptop.signInFrom("198.51.100.7", tm.email, tm.password).is(t, http.StatusSeeOther)

	// An attacker guessing from one address is slowed down there: three
	// failures, then a wait that doubles.
	attacker := e.browser()
	for i := 0; i < 3; i++ {
		attacker.signInFrom("203.0.113.5", tm.email, "guess number "+strconv.Itoa(i)).is(t, http.StatusUnauthorized)
	}
	r := attacker.signInFrom("203.0.113.5", tm.email, "guess number 3").is(t, http.StatusTooManyRequests)
	if r.header.Get("Retry-After") != "1" {
		t.Errorf("first delay: Retry-After %q, want 1", r.header.Get("Retry-After"))
	}
	clock.add(time.Second)
	attacker.signInFrom("203.0.113.5", tm.email, "guess number 4").is(t, http.StatusUnauthorized)
	if r := attacker.signInFrom("203.0.113.5", tm.email, "guess number 5").is(t, http.StatusTooManyRequests); r.header.Get("Retry-After") != "2" {
		t.Errorf("second delay: Retry-After %q, want 2", r.header.Get("Retry-After"))
	}
	// Meanwhile the member signs in from a new phone elsewhere.
	e.browser().signInFrom("192.0.2.9", tm.email, tm.password).is(t, http.StatusSeeOther)

	// Guessing spread over many addresses empties the email's bucket: new
	// devices wait, and the member's laptop still signs in.
	for i := 0; i < 8; i++ {
		e.browser().signInFrom("203.0.113."+strconv.Itoa(10+i), tm.email, "spread guess "+strconv.Itoa(i))
	}
	e.browser().signInFrom("192.0.2.10", tm.email, tm.password).is(t, http.StatusTooManyRequests).has(t, "Too many attempts")
	laptop.signInFrom("198.51.100.7", tm.email, tm.password).is(t, http.StatusSeeOther)
	// Nor is the laptop held back from another network.
	laptop.signInFrom("2001:db8:9::1", tm.email, tm.password).is(t, http.StatusSeeOther)
}

func TestSignInIsLimitedPerIPv6Network(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fromIP, func(c *portal.Config) {
		c.RateLimits = portal.RateLimits{PerNetwork: portal.Rate{Burst: 3, Every: time.Hour}}
	})
	b := e.browser()
	// Addresses of one /64 share a bucket, whatever their last 64 bits.
	for _, ip := range []string{"2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2:ffff:ffff:ffff:fffe"} {
		b.signInFrom(ip, "nobody@example.com", "wrong password").is(t, http.StatusUnauthorized)
	}
	b.signInFrom("2001:db8:1:2:abcd::9", "someone@example.com", "wrong password").is(t, http.StatusTooManyRequests)
	// Another /64 is another subscriber; an IPv4 address counts alone.
	b.signInFrom("2001:db8:1:3::1", "someone@example.com", "wrong password").is(t, http.StatusUnauthorized)
	b.signInFrom("198.51.100.1", "someone@example.com", "wrong password").is(t, http.StatusUnauthorized)
	b.signInFrom("198.51.100.2", "someone@example.com", "wrong password").is(t, http.StatusUnauthorized)
}

func TestAFullLimiterTableForgetsRatherThanRefusesEveryone(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fromIP, func(c *portal.Config) {
		c.RateLimits = portal.RateLimits{PerNetwork: portal.Rate{Burst: 1, Every: time.Hour}, Keys: 4}
	})
	b := e.browser()
	// Far more networks than the table holds: each new one is still served.
	for i := 0; i < 20; i++ {
		b.signInFrom("203.0.113."+strconv.Itoa(i), "nobody"+strconv.Itoa(i)+"@example.com", "wrong password").is(t, http.StatusUnauthorized)
	}
	// A network still in the table is held to its bucket.
	b.signInFrom("203.0.113.19", "nobody@example.com", "wrong password").is(t, http.StatusTooManyRequests)
}

// gateHasher lets a test hold every password check until it releases it, and
// counts how many were under way at once.
type gateHasher struct {
	connect.PBKDF2
	entered chan struct{}
	release chan struct{}
	mu      sync.Mutex
	inside  int
	most    int
}

func (h *gateHasher) Verify(hash, password string) bool {
	h.mu.Lock()
	h.inside++
	h.most = max(h.most, h.inside)
	h.mu.Unlock()
	h.entered <- struct{}{}
	<-h.release
	h.mu.Lock()
	h.inside--
	h.mu.Unlock()
	return h.PBKDF2.Verify(hash, password)
}

func TestPasswordHashingIsBoundedProcessWide(t *testing.T) {
	t.Parallel()
	const n, slots = 8, 2
	h := &gateHasher{PBKDF2: connect.PBKDF2{Iterations: 1000}, entered: make(chan struct{}, n), release: make(chan struct{})}
	e := newEnvOnWorld(t, "", []connecttest.Option{connecttest.WithConfig(func(c *connect.Config) {
		c.Passwords, c.PasswordConcurrency = h, slots
	})}, fromIP)
	tm := e.signUp("Green Grocer", uploads)
	done := make(chan int, n)
	for i := 0; i < n; i++ {
		go func() {
			b := e.browser()
			done <- b.signInFrom("198.51.100."+strconv.Itoa(i), tm.email, tm.password).status
		}()
	}
	// Let the checks through one at a time: the flood queues behind the slots.
	for i := 0; i < n; i++ {
		<-h.entered
		h.release <- struct{}{}
	}
	for i := 0; i < n; i++ {
		if status := <-done; status != http.StatusSeeOther {
			t.Errorf("a queued sign-in answered %d", status)
		}
	}
	if h.most > slots {
		t.Fatalf("%d password checks ran at once, over the %d slots", h.most, slots)
	}
}

// filesIn lists the files under dir, at any depth.
func filesIn(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			out = append(out, path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestAnUploadThatCannotBeReadIsDeletedAtOnce(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	e := newEnv(t, func(c *portal.Config) { c.UploadDir = dir })
	tm := e.signUp("Green Grocer", uploads)
	b := e.signedIn(tm.email)
	body, ct := multipartFile(t, "orders.csv", "\"Id,Address\nS-1,\"1 Main St\n"+strings.Repeat("x", 1<<20), nil)
	b.do(http.MethodPost, "/imports", body, ct, nil).is(t, http.StatusUnprocessableEntity).has(t, "not a CSV spreadsheet")
	if files := filesIn(t, dir); len(files) != 0 {
		t.Fatalf("a refused upload stays on disk: %v", files)
	}
}

func TestUploadsLeftByAnEarlierProcessAreDeletedAtStart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	old := filepath.Join(dir, "connect-uploads-123")
	recent := filepath.Join(dir, "connect-uploads-456")
	for _, d := range []string{old, recent} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, "upload"), []byte(strings.Repeat("x", 1<<20)), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// Untouched for longer than an upload lives (an hour): all it holds expired.
	then := time.Now().Add(-61 * time.Minute)
	if err := os.Chtimes(old, then, then); err != nil {
		t.Fatal(err)
	}
	newEnv(t, func(c *portal.Config) { c.UploadDir = dir })
	if _, err := os.Stat(old); !os.IsNotExist(err) {
		t.Errorf("the directory of a process gone for an hour is still there (%v)", err)
	}
	if _, err := os.Stat(recent); err != nil {
		t.Errorf("a recent directory (another process's, maybe) was deleted: %v", err)
	}
}

func TestPendingUploadsHaveAQuotaPerClient(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	e := newEnv(t, func(c *portal.Config) { c.UploadDir, c.UploadQuota = dir, 64<<10 })
	tm := e.signUp("Green Grocer", uploads)
	other := e.signUp("Other Shop", uploads)
	b := e.signedIn(tm.email)
	row := "S-1,1 Main St,Springfield,Rita,2,red\n"
	file := ordersCSV + strings.Repeat(row, (40<<10)/len(row)) // about 40 KB
	body, ct := multipartFile(t, "orders.csv", file, nil)
	b.do(http.MethodPost, "/imports", body, ct, nil).is(t, http.StatusSeeOther)
	first := filesIn(t, dir) // its working copy, and its blobs (file, settings)
	// A second one does not fit beside the first.
	body, ct = multipartFile(t, "orders.csv", file, nil)
	r := b.do(http.MethodPost, "/imports", body, ct, nil)
	r.is(t, http.StatusRequestEntityTooLarge).has(t, "pending uploads take all the room")
	if diff := cmp.Diff(first, filesIn(t, dir)); diff != "" {
		t.Errorf("the refused upload left files on disk (-first upload's +now):\n%s", diff)
	}
	// Another client's quota is its own.
	body, ct = multipartFile(t, "orders.csv", file, nil)
	e.signedIn(other.email).do(http.MethodPost, "/imports", body, ct, nil).is(t, http.StatusSeeOther)
}

func TestAFileOverTheImportMemoryBudgetIsRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *portal.Config) { c.ImportMemory = 8 << 20 })
	tm := e.signUp("Green Grocer", uploads)
	b := e.signedIn(tm.email)
	body, ct := multipartFile(t, "orders.csv", ordersCSV, nil)
	b.do(http.MethodPost, "/imports", body, ct, nil).is(t, http.StatusRequestEntityTooLarge).
		has(t, "more memory than this portal allows for imports (8 MB)")
}
