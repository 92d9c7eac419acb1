package portal_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/connecttest"
	"github.com/dispatchkit/connect/internal/pgtest"
	"github.com/dispatchkit/connect/portal"
)

// TestThreePortalsBehindOneBalancer runs the portal as a dispatcher with many
// clients would: three "processes" (each its own Service, Store and pool, and
// portal) on one PostgreSQL schema, behind a round-robin reverse proxy. A client
// signs in through one and is served by all; her live stream, on one, sees
// orders submitted through the others; a member removed through one is refused
// by every one at his next request; and three outbox workers, one per process,
// deliver each stop change exactly once.
func TestThreePortalsBehindOneBalancer(t *testing.T) {
	t.Parallel()
	dsn := pgtest.Schema(t)
	proxy := httptest.NewServer(nil)
	t.Cleanup(proxy.Close)
	routes := &connecttest.RouteSync{}
	key := []byte(strings.Repeat("k", 32)) // the same in every process
	var (
		worlds   []*connecttest.World
		backends []*httputil.ReverseProxy
	)
	for range 3 {
		w := newWorld(t, dsn, proxy.URL, connecttest.WithConfig(func(c *connect.Config) { c.RouteSync = routes }))
		p, err := portal.New(portal.Config{Service: w.Service, BaseURL: proxy.URL, SessionKey: key,
			Spreadsheets: fakeSheets{}, UploadDir: t.TempDir(), Blobs: w.Store, Once: w.Store, Limits: w.Store,
			Dispatchers: testDispatchers,
			// A new device's failures for one email: 3, then one an hour. (Not the
			// progressive delay, whose first second a loaded machine may outwait.)
			RateLimits: portal.RateLimits{PerEmail: portal.Rate{Burst: 3, Every: time.Hour}},
			Logger:     slog.New(slog.NewTextHandler(testLog{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(p)
		t.Cleanup(srv.Close)
		t.Cleanup(p.Close) // first: the streams end, then the server
		u, _ := url.Parse(srv.URL)
		rp := httputil.NewSingleHostReverseProxy(u)
		rp.FlushInterval = -1 // event streams go through at once
		worlds, backends = append(worlds, w), append(backends, rp)
	}
	var turn atomic.Uint64
	served := make([]atomic.Int64, len(backends))
	proxy.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := turn.Add(1) % uint64(len(backends))
		served[i].Add(1)
		backends[i].ServeHTTP(w, r)
	})
	e := &env{t: t, ctx: context.Background(), w: worlds[0], svc: worlds[0].Service, srv: proxy, base: proxy.URL,
		acct: worlds[0].Account, disp: worlds[0].Dispatcher}

	// Signed in through one process, served by every one.
	tm := e.signUp("Green Grocer", uploads)
	b := e.signedIn(tm.email)
	for range 6 {
		b.get("/home").is(t, http.StatusOK).has(t, "Green Grocer")
	}
	for i := range served {
		if served[i].Load() == 0 {
			t.Fatalf("process %d served nothing: the balancer is not spreading requests", i)
		}
	}

	// Wrong passwords spread over the processes meet one count: after three
	// failures from a new device the next attempt waits, whichever process it
	// reaches.
	guess := e.browser()
	for range 3 {
		guess.post("/signin", url.Values{"email": {tm.email}, "password": {"not her password"}}).is(t, http.StatusUnauthorized)
	}
	guess.post("/signin", url.Values{"email": {tm.email}, "password": {"not her password"}}).
		is(t, http.StatusTooManyRequests).has(t, "Too many attempts")

	// An import's steps, each through the next process: the upload, its settings,
	// refused rows and progress are shared through the database.
	body, ct := multipartFile(t, "orders.csv", ordersCSV, nil)
	r := b.do(http.MethodPost, "/imports", body, ct, nil).is(t, http.StatusSeeOther)
	loc := r.header.Get("Location")
	b.get(loc).is(t, http.StatusOK).has(t, "orders.csv", "Colour", "Springfield")
	b.post(loc+"/mapping", url.Values{"col_0": {"id"}, "col_1": {"address_line_1"}, "col_2": {"city"},
		"col_3": {"recipient_name"}, "col_4": {"package_count"}, "col_5": {"notes"}}).is(t, http.StatusSeeOther)
	for range len(backends) { // every process reads the corrected mapping and the file
		b.get(loc+"/preview").is(t, http.StatusOK).has(t, `id="rows-read">4<`, `id="rows-refused">2<`)
	}
	b.get(loc+"/refused.csv").is(t, http.StatusOK).has(t, "S-2", "S-3").lacks(t, "S-1")
	// A double click reaching two processes at once imports once.
	var runs [2]response
	var clicks sync.WaitGroup
	for i := range runs {
		clicks.Go(func() { runs[i] = b.post(loc+"/run", url.Values{}) })
	}
	clicks.Wait()
	for _, r := range runs {
		r.is(t, http.StatusSeeOther)
	}
	b.waitImport(loc) // followed by a process that does not run it (or does: round robin)
	for range len(backends) {
		b.follow(b.get(loc+"/progress")).is(t, http.StatusOK).
			has(t, "Draft orders successfully imported: 2.", `id="refused-count">2<`)
		b.get(loc+"/refused.csv").is(t, http.StatusOK).has(t, "S-2", "S-3").lacks(t, "S-1")
	}
	if got, err := worlds[1].Service.Orders(e.ctx, tm.owner, connect.ListOrdersParams{View: connect.ViewDrafts}); err != nil || len(got.Orders) != 2 {
		t.Fatalf("drafts after the import: %v, %v; want 2 (imported once)", got, err)
	}
	// A bulk action runs in the process that took the request; its progress and
	// result are followed through every process.
	bulk := strings.TrimSuffix(b.post("/orders/submit-matching", url.Values{}).is(t, http.StatusSeeOther).header.Get("Location"), "/progress")
	b.waitImport(bulk)
	for range len(backends) {
		b.follow(b.get(bulk+"/progress")).is(t, http.StatusOK).has(t, "Orders submitted: 2.", `id="bulk-matched">2<`)
	}
	// Another member of the team sees none of it, on any process.
	_, otherEmail := e.addMember(tm, connect.RoleMember)
	other := e.signedIn(otherEmail)
	for _, p := range []string{loc, loc + "/preview", loc + "/result", loc + "/refused.csv", loc + "/status"} {
		other.get(p).is(t, http.StatusNotFound)
	}

	// A live stream on one process sees orders submitted through the others.
	ctx, cancel := context.WithCancel(e.ctx)
	defer cancel()
	events, res := b.stream(ctx, "/events", nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("stream: %d", res.StatusCode)
	}
	var latencies []time.Duration
	for i, w := range worlds {
		o, err := w.Service.CreateOrder(e.ctx, tm.owner, connect.OrderInput{Ref: "MP-" + string(rune('A'+i)),
			Address: connect.Address{Line1: "1 Balancer Row"}})
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		if _, err := w.Service.SubmitOrders(e.ctx, tm.owner, []connect.OrderID{o.ID}); err != nil {
			t.Fatal(err)
		}
		for {
			ev := next(t, events)
			if ev.name == "order" && ev.data["order"] == string(o.ID) && ev.data["to"] == string(connect.StatusSubmitted) {
				break
			}
		}
		latencies = append(latencies, time.Since(start))
	}
	t.Logf("submission to the stream on another process: %v", latencies)

	// A member removed through one process is refused by every one.
	mem := tm.of.Join(connect.RoleMember)
	mb := e.signedIn(mem.Email)
	mb.get("/home").is(t, http.StatusOK)
	if err := worlds[2].Service.RemoveMember(e.ctx, tm.owner, mem.Actor.Member); err != nil {
		t.Fatal(err)
	}
	for range len(worlds) {
		if r := mb.get("/home"); r.status == http.StatusOK {
			t.Fatal("a process still serves the removed member")
		}
	}

	// Three workers, one per process, deliver each change once.
	orders := worlds[0].Orders(tm.owner, connect.StatusSubmitted, 30)
	want := len(orders) + len(worlds) // and the three submitted above
	wctx, stopWorkers := context.WithCancel(e.ctx)
	var wg sync.WaitGroup
	for _, w := range worlds {
		wg.Go(func() {
			_ = w.Service.RunOutbox(wctx, connect.OutboxOptions{Poll: 10 * time.Millisecond, Lease: 10 * time.Second})
		})
	}
	actx, done := context.WithTimeout(e.ctx, 30*time.Second)
	defer done()
	if _, err := routes.Await(actx, want); err != nil {
		t.Fatalf("the workers delivered %d of %d changes: %v", len(routes.Changes()), want, err)
	}
	stopWorkers()
	wg.Wait()
	keys := map[string]int{}
	for _, c := range routes.Changes() {
		keys[c.Key]++
	}
	if len(keys) != want {
		t.Fatalf("%d distinct changes delivered, want %d", len(keys), want)
	}
	for k, n := range keys {
		if n != 1 {
			t.Fatalf("change %s delivered %d times", k, n)
		}
	}

	// The dispatcher's stops file takes its steps through every process: its
	// columns (headers the glossary does not know) shown by each, mapped by
	// hand through one, checked by each, imported once.
	d := e.dispatcher()
	body, ct = multipartFile(t, "stops.csv", "Kunde Nr,Straße\n"+string(tm.client.Number)+",1 Balancer Row\n", map[string]string{"step": "check"})
	stops := d.do(http.MethodPost, "/dispatch/stops/import", body, ct, nil).is(t, http.StatusSeeOther).header.Get("Location")
	for range len(backends) {
		d.get(stops).is(t, http.StatusOK).has(t, "Kunde Nr", "Straße", `id="missing"`)
	}
	d.post(stops+"/mapping", url.Values{"col_0": {"client_number"}, "col_1": {"address_line_1"}}).is(t, http.StatusSeeOther)
	for range len(backends) {
		d.get(stops).is(t, http.StatusOK).has(t, `<option value="client_number" selected>`).lacks(t, `id="missing"`)
		d.get(stops+"/check").is(t, http.StatusOK).has(t, `id="stops-valid">1<`, "Green Grocer")
	}
	d.post(stops, url.Values{}).is(t, http.StatusOK).has(t, "1 stops imported; 0 refused")
	for range len(backends) {
		d.get(stops).is(t, http.StatusNotFound)
	}
	t.Logf("%d requests served by the processes: %d, %d, %d", turn.Load(), served[0].Load(), served[1].Load(), served[2].Load())
}
