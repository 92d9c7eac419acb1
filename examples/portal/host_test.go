package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dispatchkit/connect"
)

// testHost runs the example host on a free port with its own database and data
// directory, as `go run ./examples/portal` would.
type testHost struct {
	*host
	base string
	logs *logLines
	// stop stops serving as on SIGTERM and waits for serve to return (once;
	// the test's cleanup calls it too, and fails the test when serve failed).
	stop func()
}

// logLines is the host's log as a test waits on it: it counts the lines by
// message, and wakes whoever waits for more.
type logLines struct {
	mu      sync.Mutex
	counts  map[string]int
	changed chan struct{}
}

func (l *logLines) Enabled(context.Context, slog.Level) bool { return true }
func (l *logLines) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *logLines) WithGroup(string) slog.Handler            { return l }

func (l *logLines) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.counts[r.Message]++
	close(l.changed)
	l.changed = make(chan struct{})
	return nil
}

// await waits up to 5 s for n lines of the message, and says how many came.
func (l *logLines) await(msg string, n int) int {
	deadline := time.After(5 * time.Second)
	for {
		l.mu.Lock()
		got, changed := l.counts[msg], l.changed
		l.mu.Unlock()
		if got >= n {
			return got
		}
		select {
		case <-changed:
		case <-deadline:
			return got
		}
	}
}

// startHost starts the host on dir; set changes its config first.
func startHost(t testing.TB, dir string, set ...func(*config)) *testHost {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	cfg := config{Addr: ln.Addr().String(), DB: "sqlite:" + filepath.Join(dir, "demo.db"), BaseURL: base,
		DataDir: filepath.Join(dir, "data"), PasswordIterations: 1000}
	for _, f := range set {
		f(&cfg)
	}
	logs := &logLines{counts: map[string]int{}, changed: make(chan struct{})}
	log := slog.New(logs)
	ctx, cancel := context.WithCancel(context.Background())
	h, err := newHost(ctx, cfg, log)
	if err != nil {
		cancel()
		ln.Close()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- serve(ctx, ln, h, log) }()
	stop := sync.OnceFunc(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	t.Cleanup(func() {
		stop()
		h.Close()
	})
	return &testHost{host: h, base: base, logs: logs, stop: stop}
}

// client is a cookie-keeping HTTP client that does not follow redirects.
func (th *testHost) client() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func (th *testHost) post(t *testing.T, c *http.Client, path, contentType string, body io.Reader) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, th.base+path, body)
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Origin", th.base)
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res
}

func (th *testHost) form(t *testing.T, c *http.Client, path string, v url.Values) *http.Response {
	return th.post(t, c, path, "application/x-www-form-urlencoded", strings.NewReader(v.Encode()))
}

func (th *testHost) get(t *testing.T, c *http.Client, path string) (int, string) {
	t.Helper()
	res, err := c.Get(th.base + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func TestHostSeedsOnceAndKeepsItsDataAcrossRestarts(t *testing.T) {
	dir := t.TempDir()
	th := startHost(t, dir)
	var out bytes.Buffer
	th.printWelcome(&out)
	for _, want := range []string{th.base + "/", "dispatcher@demo.test", th.state.DispatcherPassword, "Client invite link: " + th.base + "/invite/"} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("welcome lacks %q:\n%s", want, out.String())
		}
	}
	link := th.inviteLink()
	th.Close()

	// A second start on the same files seeds nothing new and prints the same link.
	th2 := startHost(t, dir)
	clients, err := th2.svc.Clients(context.Background(), dispatcherActor())
	if err != nil || len(clients) != 1 {
		t.Fatalf("clients after restart: %v %v", clients, err)
	}
	// The same invitation, linked from this run's base URL.
	token := strings.TrimPrefix(link, th.base+"/invite/")
	if want := th2.base + "/invite/" + token; th2.pendingInvite() != want {
		t.Fatalf("invite link after restart %q, want %q", th2.pendingInvite(), want)
	}
}

func TestDispatcherLoginGuardsTheConsoleAndTheDemoPages(t *testing.T) {
	th := startHost(t, t.TempDir())
	c := th.client()
	res, err := c.Get(th.base + "/dispatch/clients")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/demo/login?next=") {
		t.Fatalf("console without login: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	if r := th.form(t, c, "/demo/login", url.Values{"email": {dispatcherEmail}, "password": {"wrong"}}); r.StatusCode != http.StatusUnauthorized {
		t.Fatalf("wrong password: %d", r.StatusCode)
	}
	// Cross-origin posts to the host's own pages are refused too.
	req, _ := http.NewRequest(http.MethodPost, th.base+"/demo/login", strings.NewReader("email=x"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	req.Header.Set("Origin", "https://evil.example")
	if r, err := c.Do(req); err != nil || r.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-origin login: %v %v", r, err)
	}
	th.form(t, c, "/demo/login", url.Values{"email": {dispatcherEmail}, "password": {th.state.DispatcherPassword}})
	if status, body := th.get(t, c, "/dispatch/clients"); status != http.StatusOK || !strings.Contains(body, demoClientName) {
		t.Fatalf("console after login: %d", status)
	}
	if status, _ := th.get(t, c, "/demo/routes"); status != http.StatusOK {
		t.Fatalf("routes: %d", status)
	}
}

// pngBytes draws a tiny PNG.
func pngBytes(t *testing.T) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for i := 0; i < 8; i++ {
		img.Set(i, i, color.Black)
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestRoutesAndDriverReportThroughTheService(t *testing.T) {
	th := startHost(t, t.TempDir())
	ctx := context.Background()
	acc, err := th.svc.AcceptInvite(ctx, strings.TrimPrefix(th.inviteLink(), th.base+"/invite/"),
		connect.SignUp{Name: "Gina", Email: "gina@greengrocer.test", Password: "long enough password"})
	if err != nil {
		t.Fatal(err)
	}
	var ids []connect.OrderID
	for _, ref := range []string{"R-1", "R-2"} {
		o, err := th.svc.CreateOrder(ctx, acc.Actor, connect.OrderInput{Ref: ref, Address: connect.Address{Line1: "1 Main St", City: "Springfield"},
			Recipient: connect.Recipient{Name: "Rita"}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, o.ID)
	}
	if _, err := th.svc.SubmitOrders(ctx, acc.Actor, ids); err != nil {
		t.Fatal(err)
	}
	// The outbox pushes the submitted orders to the host's route sync, which logs
	// each stop it takes.
	th.logs.await("route sync: stop submit", 2)
	if n := th.routes.count(); n != 2 {
		t.Fatalf("route sync holds %d stops, want 2", n)
	}

	c := th.client()
	th.form(t, c, "/demo/login", url.Values{"email": {dispatcherEmail}, "password": {th.state.DispatcherPassword}})
	if r := th.form(t, c, "/demo/routes", url.Values{"order": {string(ids[0]), string(ids[1])}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("build route: %d", r.StatusCode)
	}
	o, _ := th.svc.Order(ctx, acc.Actor, ids[1])
	if o.Status != connect.StatusScheduled || o.Route.Position != 2 {
		t.Fatalf("after building the route: %s at %+v", o.Status, o.Route)
	}
	route := o.Route.RouteID
	if r := th.form(t, c, "/demo/routes/"+route+"/start", url.Values{}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("start: %d", r.StatusCode)
	}
	o, _ = th.svc.Order(ctx, acc.Actor, ids[1])
	if o.Status != connect.StatusEnRoute || o.ETA.IsZero() {
		t.Fatalf("after the start: %s, ETA %v", o.Status, o.ETA)
	}
	status, page := th.get(t, c, "/demo/driver/"+route)
	if status != http.StatusOK || !strings.Contains(page, "R-1") {
		t.Fatalf("driver page: %d", status)
	}
	nonce := regexp.MustCompile(`name="nonce" value="([0-9a-f]+)"`).FindStringSubmatch(page)[1]

	// Complete R-1 with a photo and a signature.
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("nonce", nonce)
	_ = mw.WriteField("recipient", "Rita Doe")
	_ = mw.WriteField("signature", "data:image/png;base64,"+base64.StdEncoding.EncodeToString(pngBytes(t)))
	fw, _ := mw.CreateFormFile("photo", "door.png")
	_, _ = fw.Write(pngBytes(t))
	_ = mw.Close()
	path := "/demo/driver/" + route + "/stops/" + string(ids[0]) + "/complete"
	if r := th.post(t, c, path, mw.FormDataContentType(), bytes.NewReader(body.Bytes())); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("complete: %d", r.StatusCode)
	}
	// Sent twice (a double click): applied once.
	if r := th.post(t, c, path, mw.FormDataContentType(), bytes.NewReader(body.Bytes())); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("complete again: %d", r.StatusCode)
	}
	o, _ = th.svc.Order(ctx, acc.Actor, ids[0])
	if o.Status != connect.StatusDelivered || o.Proof == nil || len(o.Proof.PhotoURLs) != 1 || o.Proof.SignatureURL == "" || o.Proof.RecipientName != "Rita Doe" {
		t.Fatalf("delivered order %s, proof %+v", o.Status, o.Proof)
	}
	// The proof files are kept by connect and served back to the dispatcher,
	// not to anyone without a session.
	res, err := c.Get(o.Proof.SignatureURL)
	if err != nil || res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("signature file: %v %v", res, err)
	}
	res.Body.Close()
	if !strings.HasPrefix(o.Proof.SignatureURL, th.base+"/proof/") {
		t.Fatalf("the signature's link %s is not connect's", o.Proof.SignatureURL)
	}
	anon := th.client()
	if res, err := anon.Get(o.Proof.SignatureURL); err != nil || res.StatusCode == http.StatusOK && res.Header.Get("Content-Type") == "image/png" {
		t.Fatalf("the signature without a session: %v %v", res, err)
	} else {
		res.Body.Close()
	}
	if status, _ := th.get(t, c, "/demo/files/../../demo-state.json"); status == http.StatusOK {
		t.Fatal("the files route serves other files")
	}

	// Fail R-2 with a reason.
	if r := th.form(t, c, "/demo/driver/"+route+"/stops/"+string(ids[1])+"/fail", url.Values{"nonce": {nonce}, "reason": {"nobody home"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("fail: %d", r.StatusCode)
	}
	o, _ = th.svc.Order(ctx, acc.Actor, ids[1])
	if o.Status != connect.StatusFailed || o.FailureReason != "nobody home" {
		t.Fatalf("failed order %s %q", o.Status, o.FailureReason)
	}
}

func TestTheFakeShopifyLinksAStoreAndImportsItsOrders(t *testing.T) {
	th := startHost(t, t.TempDir())
	if !th.shopifyDemo {
		t.Fatal("no Shopify credentials, yet no fake Shopify")
	}
	ctx := context.Background()
	acc, err := th.svc.AcceptInvite(ctx, strings.TrimPrefix(th.inviteLink(), th.base+"/invite/"),
		connect.SignUp{Name: "Gina", Email: "gina@greengrocer.test", Password: "long enough password"})
	if err != nil {
		t.Fatal(err)
	}
	c := th.client()
	if r := th.form(t, c, "/signin", url.Values{"email": {"gina@greengrocer.test"}, "password": {"long enough password"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in: %d", r.StatusCode)
	}
	res, err := c.Get(th.base + "/shopify/install?shop=")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	callback := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(callback, "/shopify/callback?") {
		t.Fatalf("install: %d %q", res.StatusCode, callback)
	}
	res, err = c.Get(th.base + callback)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != th.base+"/settings/integrations" {
		t.Fatalf("callback: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	cl, _ := th.svc.Client(ctx, acc.Actor, acc.Client.ID)
	if cl.Shopify.Shop != demoShop {
		t.Fatalf("linked shop %q", cl.Shopify.Shop)
	}
	status, page := th.get(t, c, "/orders/shopify")
	if status != http.StatusOK || !strings.Contains(page, `name="ref"`) {
		t.Fatalf("shopify orders page: %d\n%s", status, page)
	}
	ref := regexp.MustCompile(`name="ref" value="([^"]+)"`).FindStringSubmatch(page)[1]
	r := th.form(t, c, "/orders/shopify", url.Values{"ref": {ref}})
	if r.StatusCode != http.StatusOK {
		t.Fatalf("import: %d", r.StatusCode)
	}
	drafts, err := th.svc.Orders(ctx, acc.Actor, connect.ListOrdersParams{View: connect.ViewDrafts})
	if err != nil || len(drafts.Orders) != 1 || drafts.Orders[0].Source != connect.SourceShopify {
		t.Fatalf("drafts after the Shopify import: %v %v", drafts, err)
	}
}

func TestTheTemplateImportsAsItIs(t *testing.T) {
	th := startHost(t, t.TempDir())
	c := th.signedInOwner(t)
	status, xlsx := th.get(t, c, "/orders/template.xlsx")
	if status != http.StatusOK || !strings.HasPrefix(xlsx, "PK") {
		t.Fatalf("template: %d", status)
	}
	req, _ := http.NewRequest(http.MethodPost, th.base+"/api/v1/imports?preview=true&filename=template.xlsx", strings.NewReader(xlsx))
	req.Header.Set("Origin", th.base)
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), `"read":3`) || !strings.Contains(string(body), `"refused":0`) {
		t.Fatalf("preview of the template: %d %s", res.StatusCode, body)
	}
}

// TestTheDemoShutsDownWithAStreamOpen: a member's live order stream is open when
// the host stops; serve's Shutdown ends it (Portal.Close) instead of waiting out
// its 10 s deadline, and the stream's body ends (startHost's cleanup fails the
// test when serve returns an error).
func TestTheDemoShutsDownWithAStreamOpen(t *testing.T) {
	th := startHost(t, t.TempDir())
	c := th.signedInOwner(t)
	req, _ := http.NewRequest(http.MethodGet, th.base+"/events", nil)
	req.Header.Set("Accept", "text/event-stream")
	c.Timeout = 0
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("stream: %d", res.StatusCode)
	}
	ended := make(chan error, 1)
	go func() { _, err := io.Copy(io.Discard, res.Body); ended <- err }()
	th.stop() // as on SIGTERM: serve shuts the server down, and fails the test if it times out
	select {
	case <-ended:
	case <-time.After(10 * time.Second):
		t.Fatal("the stream is still open after the host stopped serving")
	}
}

// signedInOwner signs the demo client's owner up through the seeded invite and
// returns a client signed in as her.
func (th *testHost) signedInOwner(t *testing.T) *http.Client {
	t.Helper()
	c, _ := th.signedInOwnerActor(t)
	return c
}

// signedInOwnerActor is signedInOwner, with the owner as an Actor.
func (th *testHost) signedInOwnerActor(t *testing.T) (*http.Client, connect.Actor) {
	t.Helper()
	acc, err := th.svc.AcceptInvite(context.Background(), strings.TrimPrefix(th.inviteLink(), th.base+"/invite/"),
		connect.SignUp{Name: "Gina", Email: "gina@greengrocer.test", Password: "long enough password"})
	if err != nil {
		t.Fatal(err)
	}
	c := th.client()
	th.form(t, c, "/signin", url.Values{"email": {"gina@greengrocer.test"}, "password": {"long enough password"}})
	return c, acc.Actor
}
