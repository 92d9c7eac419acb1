package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/connecttest"
)

// testDB returns a DSN on a schema of the test's own, dropped at its end, on
// the server CONNECT_TEST_POSTGRES_URL names; it skips without one.
func testDB(t *testing.T) string {
	t.Helper()
	base := os.Getenv("CONNECT_TEST_POSTGRES_URL")
	if base == "" {
		t.Skip("CONNECT_TEST_POSTGRES_URL is not set")
	}
	conn, err := pgx.Connect(t.Context(), base)
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "host_test_" + hex.EncodeToString(b)
	if _, err := conn.Exec(t.Context(), "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = conn.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		conn.Close(context.Background())
	})
	u, _ := url.Parse(base)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// TestTheHostEmbedsThePortal: the host on its own pgx pool and chi router,
// with the portal under /connect/: a client invited by the dispatcher signs up
// and in through the portal, watches its orders live, and its submitted order
// reaches the host's own stop table through the outbox; then the host shuts
// down cleanly with the stream open.
// testHost is the host serving on a port of its own, on a schema of the test's.
type testHost struct {
	*host
	base   string
	ctx    context.Context
	stop   context.CancelFunc // shuts the host down
	served chan error         // what serve returned
	done   chan struct{}      // closed once serve returned
}

// startHost starts the host with cfg (DB, BaseURL and SessionKey filled in);
// before it serves, ready may set its test hooks.
func startHost(t *testing.T, cfg config, ready func(h *host)) *testHost {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg.DB, cfg.BaseURL, cfg.SessionKey = testDB(t), "http://"+ln.Addr().String(), []byte(strings.Repeat("s", 32))
	ctx, stop := context.WithCancel(t.Context())
	h, err := newHost(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if ready != nil {
		ready(h)
	}
	th := &testHost{host: h, base: cfg.BaseURL, ctx: ctx, stop: stop, served: make(chan error, 1), done: make(chan struct{})}
	go func() {
		th.served <- h.serve(ctx, ln)
		close(th.done)
	}()
	t.Cleanup(func() { stop(); <-th.done })
	return th
}

func TestTheHostEmbedsThePortal(t *testing.T) {
	synced := make(chan connect.OrderID, 16)
	th := startHost(t, config{Password: "dispatch-pass"}, func(h *host) {
		h.stops.synced = func(c connect.StopChange) { synced <- c.Order.ID }
	})
	h, base, cfg, ctx, stop, served := th.host, th.base, th.cfg, th.ctx, th.stop, th.served

	// The dispatcher, signed in the host's own way, opens the portal's console.
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 20 * time.Second}
	req, _ := http.NewRequest(http.MethodGet, base+"/connect/dispatch/clients", nil)
	req.SetBasicAuth("ana", cfg.Password)
	if res, err := c.Do(req); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("the console: %v %v", res, err)
	}
	inv, err := h.svc.InviteClient(ctx, connect.AsDispatcher(account, "ana"), connect.InviteClientParams{
		Name: "Green Grocer", Settings: connect.ClientSettings{AllowUpload: true, DefaultDepot: "north"}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(inv.Link, base+"/connect/invite/") {
		t.Fatalf("invite link %s, want it under the mount", inv.Link)
	}
	acc, err := h.svc.AcceptInvite(ctx, inv.Token, connect.SignUp{Name: "Gina", Email: "gina@greengrocer.test", Password: "a long enough password"})
	if err != nil {
		t.Fatal(err)
	}
	post := func(path string, v url.Values) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, base+path, strings.NewReader(v.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", base)
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	if r := post("/connect/signin", url.Values{"email": {"gina@greengrocer.test"}, "password": {"a long enough password"}}); r.StatusCode != http.StatusOK {
		t.Fatalf("sign-in: %d", r.StatusCode)
	}

	// Her live stream sees her order submitted; the host's stop table gets it.
	req, _ = http.NewRequest(http.MethodGet, base+"/connect/events", nil)
	req.Header.Set("Accept", "text/event-stream")
	streamClient := *c
	streamClient.Timeout = 0
	stream, err := streamClient.Do(req)
	if err != nil || stream.StatusCode != http.StatusOK {
		t.Fatalf("the event stream: %v %v", stream, err)
	}
	defer stream.Body.Close()
	events := make(chan string, 16)
	go func() {
		defer close(events)
		sc := bufio.NewScanner(stream.Body)
		for sc.Scan() {
			if line := sc.Text(); strings.HasPrefix(line, "event: ") {
				events <- strings.TrimPrefix(line, "event: ")
			}
		}
	}()
	gina := acc.Actor
	o, err := h.svc.CreateOrder(ctx, gina, connect.OrderInput{Ref: "G-1", Address: connect.Address{Line1: "1 Market St"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.SubmitOrders(ctx, gina, []connect.OrderID{o.ID}); err != nil {
		t.Fatal(err)
	}
	select {
	case ev := <-events:
		if ev != "order" {
			t.Fatalf("first event %q, want an order event", ev)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no live event within 10 s")
	}
	// The host's own outbox worker delivers the submission to its table.
	select {
	case id := <-synced:
		if id != o.ID {
			t.Fatalf("the host's table heard of %s, want %s", id, o.ID)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the submitted order did not reach the host's stop table within 10 s")
	}
	if stop, err := h.stops.Routable(ctx, o.ID); err != nil || !stop {
		t.Fatalf("the submitted order in the host's stop table: %v, %v", stop, err)
	}

	// Shutdown with the stream open: serve returns without error, well within
	// its 10 s deadline, and the stream ends.
	stop()
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the host did not shut down")
	}
	for range events {
	}
}

// TestTheHostsStopTableMeetsTheRouteSyncContract: the host's SQL stop list
// passes connect's RouteSync conformance suite.
func TestTheHostsStopTableMeetsTheRouteSyncContract(t *testing.T) {
	connecttest.RunRouteSync(t, func(t *testing.T) connecttest.RouteSyncHost {
		pool, err := pgxpoolFor(t, testDB(t))
		if err != nil {
			t.Fatal(err)
		}
		st, err := newStopTable(t.Context(), pool)
		if err != nil {
			t.Fatal(err)
		}
		return st
	})
}

// pgxpoolFor opens a pool on dsn, closed when the test ends.
func pgxpoolFor(t *testing.T, dsn string) (*pgxpool.Pool, error) {
	pool, err := pgxpool.New(t.Context(), dsn)
	if err == nil {
		t.Cleanup(pool.Close)
	}
	return pool, err
}

// TestClientPeopleSignInThroughTheHostsOwnSignIn: a client's member signs in
// at the host's own /login (its SSO stand-in), not the portal's: the portal
// sends them there, then takes the host's word for who they are and shows
// their client's orders only; the portal's Sign out goes through the host's;
// once the dispatcher disables their client, the host's sign-in still vouches
// for them, and the portal refuses them.
func TestClientPeopleSignInThroughTheHostsOwnSignIn(t *testing.T) {
	th := startHost(t, config{Password: "dispatch-pass", ClientUsers: map[string]string{
		"gina@greengrocer.test": "host password", "bo@bakery.test": "host password 2"}}, nil)
	ctx, disp := th.ctx, connect.AsDispatcher(account, "ana")
	signUp := func(client, name, email string) connect.Actor {
		t.Helper()
		inv, err := th.svc.InviteClient(ctx, disp, connect.InviteClientParams{Name: client, Settings: connect.ClientSettings{AllowUpload: true}})
		if err != nil {
			t.Fatal(err)
		}
		acc, err := th.svc.AcceptInvite(ctx, inv.Token, connect.SignUp{Name: name, Email: email}) // no portal password
		if err != nil {
			t.Fatal(err)
		}
		return acc.Actor
	}
	gina, bo := signUp("Green Grocer", "Gina", "gina@greengrocer.test"), signUp("Bakery", "Bo", "bo@bakery.test")
	for a, ref := range map[connect.Actor]string{gina: "GREEN-1", bo: "BAKE-1"} {
		if _, err := th.svc.CreateOrder(ctx, a, connect.OrderInput{Ref: ref, Address: connect.Address{Line1: "1 Market St"}}); err != nil {
			t.Fatal(err)
		}
	}

	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(path string) (*http.Response, string) {
		t.Helper()
		res, err := c.Get(th.base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return res, string(body)
	}
	// Nobody signed in: the portal sends the person to the host's sign-in.
	res, _ := get("/connect/orders?view=drafts")
	if want := th.base + "/login?next=" + url.QueryEscape("/connect/orders?view=drafts"); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != want {
		t.Fatalf("unsigned: %d to %q, want 303 to %q", res.StatusCode, res.Header.Get("Location"), want)
	}
	loginRequest := func() *http.Request {
		login := url.Values{"email": {"gina@greengrocer.test"}, "password": {"host password"}, "next": {"/connect/orders?view=drafts"}}
		req, _ := http.NewRequest(http.MethodPost, th.base+"/login", strings.NewReader(login.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", th.base)
		return req
	}
	res, err := c.Do(loginRequest())
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/connect/orders?view=drafts" {
		t.Fatalf("the host's sign-in: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	res, body := get("/connect/orders?view=drafts")
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "GREEN-1") || strings.Contains(body, "BAKE-1") {
		t.Fatalf("Gina's orders through the host's sign-in: %d, GREEN-1 shown %v, BAKE-1 shown %v",
			res.StatusCode, strings.Contains(body, "GREEN-1"), strings.Contains(body, "BAKE-1"))
	}

	// The portal's Sign out goes through the host's: then the portal knows her no more.
	req, _ := http.NewRequest(http.MethodPost, th.base+"/connect/signout", nil)
	req.Header.Set("Origin", th.base)
	if res, err = c.Do(req); err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != th.base+"/logout" {
		t.Fatalf("signing out: %d to %q, want the host's /logout", res.StatusCode, res.Header.Get("Location"))
	}
	if res, _ := get("/logout"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("the host's sign-out: %d", res.StatusCode)
	}
	if res, _ := get("/connect/orders?view=drafts"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("signed out, the portal answered %d, want a redirect to the host's sign-in", res.StatusCode)
	}
	res, err = c.Do(loginRequest())
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()

	// Her client disabled, the host still vouches for her; the portal refuses.
	if _, err := th.svc.DisableClient(ctx, disp, gina.Client); err != nil {
		t.Fatal(err)
	}
	if res, _ := get("/connect/orders?view=drafts"); res.StatusCode != http.StatusForbidden {
		t.Fatalf("a disabled client's member through the host's sign-in: %d, want 403", res.StatusCode)
	}
}
