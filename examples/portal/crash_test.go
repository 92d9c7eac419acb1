package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/connecttest"
	"github.com/dispatchkit/connect/importer"
	"github.com/dispatchkit/connect/internal/pgtest"
	"github.com/dispatchkit/connect/shopify"
	"github.com/dispatchkit/connect/shopify/shopifytest"
	"github.com/dispatchkit/connect/storage"
)

// TestCrashMidImportAndWithPendingOutbox runs the example portal as a child process
// on PostgreSQL and kills it (SIGKILL) at the worst moments, then restarts it:
//
//   - in the middle of a 100k-row spreadsheet import sent to its JSON API with an
//     API key, once part of the rows are stored inside the import's transaction:
//     after the restart the import is wholly absent (a committed one beside it is
//     wholly there);
//   - while its outbox worker pushes stop changes to the host: a push the host
//     applied but whose answer never reached the dying child is pushed again with
//     the same key after the restart, and is a no-op;
//   - while the worker fulfills delivered Shopify orders: a fulfillment Shopify
//     created but whose answer was lost is not created again.
//
// The fakes that count deliveries (the host's route sync over HTTP, and Shopify
// from package shopifytest behind a proxy that can hold an answer) live in the
// test process, so their counts survive the child. After each restart no order is
// in a state the lifecycle (status.go) cannot produce.
func TestCrashMidImportAndWithPendingOutbox(t *testing.T) {
	dsn := pgtest.Schema(t)
	ctx := context.Background()

	rs := newFakeRouteHost()
	rsSrv := httptest.NewServer(rs)
	t.Cleanup(rsSrv.Close)
	shop := shopifytest.New(shopifytest.Config{BucketSize: 100_000, RestoreRate: 100_000})
	t.Cleanup(shop.Close)
	proxy := newShopifyProxy(t, shop.URL())
	proxySrv := httptest.NewServer(proxy)
	t.Cleanup(proxySrv.Close)

	dir := t.TempDir()
	secrets := demoState{SessionKey: randomHex(32), DispatcherPassword: randomHex(6), ShopifyKey: randomHex(32)}
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o700); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(secrets)
	if err := os.WriteFile(filepath.Join(dir, "data", "demo-state.json"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	c := newChild(t, dir, "-db", dsn, "-data", filepath.Join(dir, "data"),
		"-route-sync-url", rsSrv.URL+"/stops",
		"-shopify-api-url", proxySrv.URL, "-shopify-client-id", shop.ClientID(), "-shopify-secret", shop.Secret(),
		"-outbox-poll", "50ms", "-outbox-lease", "3s", "-outbox-retry", "200ms")
	c.start(t)
	w := openWorld(t, dsn, secrets.ShopifyKey, shop)
	w.checkOrders(t, "after the first start")

	t.Run("an import killed midway is wholly absent after the restart", func(t *testing.T) {
		testCrashMidImport(t, ctx, c, w)
	})
	t.Run("stop changes pending at a crash are pushed exactly once in effect", func(t *testing.T) {
		testCrashWhilePushingStops(t, ctx, c, w, rs)
	})
	t.Run("fulfilments pending at a crash are created exactly once", func(t *testing.T) {
		testCrashWhileFulfilling(t, ctx, c, w, shop, proxy)
	})
}

// importRows is the size of the import killed midway.
const importRows = 100_000

func testCrashMidImport(t *testing.T, ctx context.Context, c *child, w *world) {
	// A committed import first: it is wholly there, and it tells how far the
	// orders table grows for 100k rows, to find the middle of the next one.
	a := w.newClient(t, "Import Co")
	key, err := w.svc.CreateAPIKey(ctx, a.Owner.Actor, "crash test")
	if err != nil {
		t.Fatal(err)
	}
	before := w.heapSize(t)
	start := time.Now()
	res := <-c.importCSV(key.Token, ordersCSV("A", importRows))
	if res.err != nil || res.status != http.StatusOK || res.Imported != importRows {
		t.Fatalf("the full import: %d %+v %v", res.status, res.importResult, res.err)
	}
	full := w.heapSize(t) - before
	t.Logf("a committed import of %d rows took %v and grew the orders table by %d kB", importRows, time.Since(start).Round(time.Millisecond), full/1024)
	if n := w.countOrders(t, a.Client.ID); n != importRows {
		t.Fatalf("client A has %d orders after its import, want %d", n, importRows)
	}

	// Then one killed when about half of its rows are stored. Should it finish
	// before the kill (a very fast machine), try again earlier with a new client.
	for attempt, fraction := 1, int64(2); ; attempt, fraction = attempt+1, fraction*2 {
		b := w.newClient(t, fmt.Sprintf("Import Co %d", attempt+1))
		key, err := w.svc.CreateAPIKey(ctx, b.Owner.Actor, "crash test")
		if err != nil {
			t.Fatal(err)
		}
		base := w.heapSize(t)
		threshold := base + full/fraction
		done := c.importCSV(key.Token, ordersCSV(fmt.Sprintf("B%d", attempt), importRows))
		var res importAnswer
		killed, writers := false, 0
		for !killed {
			select {
			case res = <-done:
			case <-time.After(2 * time.Millisecond):
				if w.heapSize(t) < threshold {
					continue
				}
				// Rows are stored, not committed: the child's transaction holds a
				// transaction id (it wrote) and is still open.
				writers = w.openWriters(t)
				c.kill(t)
				killed = true
				res = <-done
			}
			if !killed && res.status != 0 {
				break
			}
		}
		if !killed {
			t.Logf("attempt %d: the import finished (%d, %d rows) before the orders table grew by 1/%d; trying earlier", attempt, res.status, res.Imported, fraction)
			if attempt == 4 {
				t.Fatal("the import always finished before the kill point")
			}
			continue
		}
		grown := w.heapSize(t) - base
		t.Logf("attempt %d: killed the child after the orders table grew by %d kB (%.0f%% of a whole import), with %d open writing transaction(s); the import's answer: %d %v",
			attempt, grown/1024, 100*float64(grown)/float64(full), writers, res.status, res.err)
		if writers == 0 {
			t.Errorf("no open writing transaction at the kill")
		}
		c.start(t)
		want := 0
		if res.err == nil && res.status == http.StatusOK {
			want = importRows // it committed just before the kill, and said so
		}
		n := w.countOrders(t, b.Client.ID)
		t.Logf("after the restart: %d of the killed import's %d rows are stored (client A still has %d)", n, importRows, w.countOrders(t, a.Client.ID))
		if n != want {
			t.Fatalf("after the crash the killed import left %d orders, want %d (all or nothing)", n, want)
		}
		if n := w.countOrderEvents(t, b.Client.ID); n != want {
			t.Fatalf("after the crash the killed import left %d history events, want %d", n, want)
		}
		if n := w.countOrders(t, a.Client.ID); n != importRows {
			t.Fatalf("client A has %d orders after the crash, want %d", n, importRows)
		}
		w.checkOrders(t, "after the restart that followed the import's crash")
		return
	}
}

func testCrashWhilePushingStops(t *testing.T, ctx context.Context, c *child, w *world, rs *fakeRouteHost) {
	// Stop the child gracefully, so that the changes below wait in the outbox.
	c.stop(t)
	cl := w.newClient(t, "Crash Shop")
	w.linkShop(t, cl, "crash-shop.myshopify.com")
	w.shopOrders = w.shop.Shop("crash-shop.myshopify.com").Seed(40)
	names := make([]string, len(w.shopOrders))
	for i, o := range w.shopOrders {
		names[i] = o.Name
	}
	if res, err := w.svc.ImportShopifyOrders(ctx, cl.Owner.Actor, names, connect.ImportOptions{}); err != nil || res.Imported < 30 {
		t.Fatalf("importing the shop's orders: %+v %v", res, err)
	}
	csv := ordersCSV("OB", 1000)
	src, err := importer.OpenSource(bytes.NewReader(csv), int64(len(csv)), "orders.csv", importer.SourceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res, err := w.svc.Import(ctx, cl.Owner.Actor, src, connect.ImportOptions{}); err != nil || res.Imported != 1000 {
		t.Fatalf("importing the spreadsheet: %+v %v", res, err)
	}
	drafts := w.orders(t, cl.Client.ID, connect.StatusDraft)
	for chunk := range slices.Chunk(ids(drafts), 500) {
		if _, err := w.svc.SubmitOrders(ctx, cl.Owner.Actor, chunk); err != nil {
			t.Fatal(err)
		}
	}
	// The shop's orders go on a route that starts; the spreadsheet's wait.
	var events []connect.RouteEvent
	now := time.Now()
	pos := 0
	for _, o := range drafts {
		if o.Source != connect.SourceShopify {
			continue
		}
		pos++
		w.routed = append(w.routed, o.ID)
		events = append(events,
			connect.RouteEvent{ID: "schedule/" + string(o.ID), Order: o.ID, Event: connect.EventSchedule, At: now,
				Route: connect.RouteStop{RouteID: "R-CRASH", Position: pos}},
			connect.RouteEvent{ID: "start/" + string(o.ID), Order: o.ID, Event: connect.EventStart, At: now.Add(time.Millisecond),
				ETA: now.Add(time.Duration(pos) * stopInterval).Truncate(time.Minute)})
	}
	if res, err := w.svc.ApplyRouteEvents(ctx, connect.AsRouteSync(demoAccount), events); err != nil || res.Applied != len(events) {
		t.Fatalf("routing the shop's orders: %+v %v", res, err)
	}
	// Some of the spreadsheet's orders are withdrawn or cancelled.
	var spread []connect.OrderID
	for _, o := range drafts {
		if o.Source != connect.SourceShopify {
			spread = append(spread, o.ID)
		}
	}
	for _, id := range spread[:10] {
		if _, err := w.svc.Withdraw(ctx, cl.Owner.Actor, id); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range spread[10:20] {
		if _, err := w.svc.CancelOrder(ctx, dispatcherActor(), id, "the client called"); err != nil {
			t.Fatal(err)
		}
	}
	pending := w.outbox(t, connect.OutboxPending)
	submits := 0
	for _, e := range pending {
		if e.Kind == connect.OutboxRouteSync && e.Event == connect.EventSubmit {
			submits++
		}
	}
	t.Logf("pending in the outbox before the start: %d entries (%d route sync submits)", len(pending), submits)

	// Start the child; the host holds the answer to a push in the last full batch
	// of submits, applied, and the child is killed while waiting for it.
	holdAt := (submits-60)/50*50 + 10
	held := rs.holdAt(holdAt)
	c.start(t)
	var heldKey string
	select {
	case heldKey = <-held:
	case <-time.After(30 * time.Second):
		t.Fatalf("the host never received its push #%d (%d pushes)", holdAt, rs.firstCount())
	}
	c.kill(t)
	rs.release()
	t.Logf("killed the child while the host held its push #%d (%s) unanswered, with %d entries pending", holdAt, heldKey, len(w.outbox(t, connect.OutboxPending)))

	// The rest of the killed worker's batch is claimed and undelivered until the
	// lease ends. Withdraw those orders now: their withdrawals are pushed before
	// the submits they follow, which a host must survive.
	var late []connect.OrderID
	for _, e := range w.outbox(t, connect.OutboxPending) {
		if e.Kind == connect.OutboxRouteSync && e.Event == connect.EventSubmit && e.Attempts > 0 && e.Key != heldKey && rs.delivered(e.Key) == 0 && len(late) < 5 {
			if _, err := w.svc.Withdraw(ctx, cl.Owner.Actor, e.Order); err != nil {
				t.Fatal(err)
			}
			late = append(late, e.Order)
		}
	}
	c.start(t)
	w.checkOrders(t, "after the restart that followed the crash while pushing stops")
	w.drain(t)

	entries := w.outbox(t)
	rs.check(t, w, cl.Client.ID, entries)
	if rs.delivered(heldKey) != 2 {
		t.Errorf("the push held at the crash was delivered %d times, want 2 (once before the crash, once after, as a no-op)", rs.delivered(heldKey))
	}
	t.Logf("orders withdrawn while their submit was claimed by the dead worker: %d; pushes that arrived older than one applied before (out of order): %d", len(late), rs.outOfOrder())
	w.checkOrders(t, "after the outbox drained")
}

func testCrashWhileFulfilling(t *testing.T, ctx context.Context, c *child, w *world, shop *shopifytest.Server, proxy *shopifyProxy) {
	if len(w.routed) < 30 {
		t.Skipf("the previous step left %d orders en route", len(w.routed))
	}
	c.stop(t)
	// Deliver 30 of the shop's orders with proof and fail 5: 30 fulfillments wait.
	now := time.Now()
	var events []connect.RouteEvent
	for i, id := range w.routed[:35] {
		ev := connect.RouteEvent{ID: "done/" + string(id), Order: id, Event: connect.EventComplete, At: now,
			Proof: &connect.ProofOfDelivery{RecipientName: "Rita", At: now}}
		if i >= 30 {
			ev.Event, ev.Reason, ev.Proof = connect.EventFail, "nobody home", &connect.ProofOfDelivery{Notes: "nobody home", At: now}
		}
		events = append(events, ev)
	}
	if res, err := w.svc.ApplyRouteEvents(ctx, connect.AsRouteSync(demoAccount), events); err != nil || res.Applied != len(events) {
		t.Fatalf("completing the route: %+v %v", res, err)
	}
	fulfils := 0
	for _, e := range w.outbox(t, connect.OutboxPending) {
		if e.Kind == connect.OutboxFulfill {
			fulfils++
		}
	}
	if fulfils != 30 {
		t.Fatalf("%d fulfilments pending, want 30", fulfils)
	}

	created := proxy.creates()
	held := proxy.holdAt(created + 10)
	c.start(t)
	select {
	case <-held:
	case <-time.After(30 * time.Second):
		t.Fatalf("Shopify never received fulfillmentCreate #%d (%d)", created+10, proxy.creates())
	}
	c.kill(t)
	proxy.release()
	if a := proxy.answerHeld(); !strings.Contains(a, `"fulfillment":{"id":"gid://shopify/Fulfillment/`) {
		t.Fatalf("the held fulfillmentCreate did not create a fulfillment: %s", a)
	}
	t.Logf("killed the child while the proxy held the answer to fulfillmentCreate #10, which Shopify had applied, with %d entries pending", len(w.outbox(t, connect.OutboxPending)))
	c.start(t)
	w.checkOrders(t, "after the restart that followed the crash while fulfilling")
	w.drain(t)

	// Each delivered order of the shop is fulfilled once, the failed ones not at all.
	s := shop.Shop("crash-shop.myshopify.com")
	delivered := map[string]bool{}
	failed := map[string]bool{}
	for _, id := range w.routed[:35] {
		o, err := w.svc.Order(ctx, dispatcherActor(), id)
		if err != nil {
			t.Fatal(err)
		}
		switch o.Status {
		case connect.StatusDelivered:
			delivered[o.Shopify.OrderID] = true
		case connect.StatusFailed:
			failed[o.Shopify.OrderID] = true
		}
	}
	once, twice := 0, 0
	for _, o := range s.Orders() {
		switch n := len(o.Fulfillments); {
		case delivered[o.ID] && n == 1:
			once++
			if o.DisplayFulfillmentStatus() != "FULFILLED" || !o.Fulfillments[0].NotifyCustomer {
				t.Errorf("order %s: %s, notify %v", o.Name, o.DisplayFulfillmentStatus(), o.Fulfillments[0].NotifyCustomer)
			}
		case delivered[o.ID]:
			twice++
			t.Errorf("delivered order %s has %d fulfillments, want 1", o.Name, n)
		case n > 0:
			t.Errorf("order %s (failed %v) has %d fulfillments, want none", o.Name, failed[o.ID], n)
		}
	}
	entries := w.outbox(t)
	done := 0
	for _, e := range entries {
		if e.Kind == connect.OutboxFulfill && e.State == connect.OutboxDone {
			done++
		}
	}
	t.Logf("fulfilments: %d entries done, %d orders fulfilled once, %d more than once; fulfillmentCreate sent %d times in all, %d fulfillment-order reads",
		done, once, twice, proxy.creates(), proxy.reads())
	if once != 30 || done != 30 {
		t.Errorf("%d orders fulfilled once and %d fulfilment entries done, want 30 each", once, done)
	}
	if proxy.creates() != 30 {
		t.Errorf("fulfillmentCreate sent %d times, want 30: the one whose answer was lost must not be sent again", proxy.creates())
	}
	w.checkOrders(t, "after the fulfilments drained")
}

// ordersCSV writes n valid order rows with references prefix-1, prefix-2, ….
func ordersCSV(prefix string, n int) []byte {
	var b bytes.Buffer
	b.Grow(n * 64)
	b.WriteString("Id,Address Line 1,City,Recipient Name,Products\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "%s-%06d,%d Main St,Springfield,Rita %d,2 x Apples\n", prefix, i, i%900+1, i)
	}
	return b.Bytes()
}

func ids(orders []*connect.Order) []connect.OrderID {
	out := make([]connect.OrderID, len(orders))
	for i, o := range orders {
		out[i] = o.ID
	}
	return out
}

// child is the example portal, built once, run as a child process.
type child struct {
	bin, base, logs string
	args            []string
	cmd             *exec.Cmd
	exited          chan struct{}
	starts          int
}

func newChild(t *testing.T, dir string, args ...string) *child {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "portal")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // the child listens on it; each restart takes the same address
	c := &child{bin: bin, base: "http://" + addr, logs: filepath.Join(dir, "portal.log"),
		args: append([]string{"-addr", addr}, args...)}
	t.Cleanup(func() {
		if c.running() {
			_ = c.cmd.Process.Kill()
			<-c.exited
		}
		if t.Failed() {
			b, _ := os.ReadFile(c.logs)
			lines := strings.Split(strings.TrimSpace(string(b)), "\n")
			t.Logf("the portal's last log lines:\n%s", strings.Join(lines[max(0, len(lines)-40):], "\n"))
		}
	})
	return c
}

func (c *child) running() bool {
	if c.cmd == nil {
		return false
	}
	select {
	case <-c.exited:
		return false
	default:
		return true
	}
}

// start runs the child and waits until it answers.
func (c *child) start(t *testing.T) {
	t.Helper()
	logs, err := os.OpenFile(c.logs, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	c.starts++
	fmt.Fprintf(logs, "=== start %d\n", c.starts)
	c.cmd = exec.Command(c.bin, c.args...)
	c.cmd.Stdout, c.cmd.Stderr = logs, logs
	dieWithParent(c.cmd) // a test killed by its timeout leaves no portal behind
	if err := c.cmd.Start(); err != nil {
		logs.Close()
		t.Fatal(err)
	}
	exited := make(chan struct{})
	c.exited = exited
	go func(cmd *exec.Cmd) {
		_ = cmd.Wait()
		logs.Close()
		close(exited)
	}(c.cmd)
	answered := poll(30*time.Second, 20*time.Millisecond, func() bool {
		var res *http.Response
		if res, err = http.Get(c.base + "/api/v1/openapi.yaml"); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return true
			}
		}
		if !c.running() {
			t.Fatalf("the portal exited on start %d: %v", c.starts, c.cmd.ProcessState)
		}
		return false
	})
	if !answered {
		t.Fatalf("the portal did not answer within 30 s of start %d: %v", c.starts, err)
	}
}

// poll checks done every interval until it holds or within has passed, and
// reports whether it held. It sleeps between checks because what these tests wait
// for happens in another process (the portal starting, its outbox worker writing
// the database), which tells this one nothing.
func poll(within, interval time.Duration, done func() bool) bool {
	for deadline := time.Now().Add(within); !done(); time.Sleep(interval) {
		if time.Now().After(deadline) {
			return false
		}
	}
	return true
}

// kill sends SIGKILL and waits for the child to die.
func (c *child) kill(t *testing.T) {
	t.Helper()
	if err := c.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-c.exited
}

// stop asks the child to shut down gracefully and waits for it.
func (c *child) stop(t *testing.T) {
	t.Helper()
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-c.exited:
	case <-time.After(20 * time.Second):
		t.Fatal("the portal did not stop within 20 s of SIGTERM")
	}
}

type importAnswer struct {
	status int
	err    error
	importResult
}

type importResult struct {
	Read     int `json:"read"`
	Imported int `json:"imported"`
	Refused  int `json:"refused"`
}

// importCSV posts a spreadsheet to the JSON API with an API key; the answer comes
// on the channel.
func (c *child) importCSV(token string, csv []byte) <-chan importAnswer {
	out := make(chan importAnswer, 1)
	go func() {
		var a importAnswer
		defer func() { out <- a }()
		req, _ := http.NewRequest(http.MethodPost, c.base+"/api/v1/imports?filename=orders.csv", bytes.NewReader(csv))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "text/csv")
		res, err := (&http.Client{Timeout: 2 * time.Minute}).Do(req)
		if err != nil {
			a.err = err
			return
		}
		defer res.Body.Close()
		a.status = res.StatusCode
		body, err := io.ReadAll(res.Body)
		if err != nil {
			a.err = err
			return
		}
		if err := json.Unmarshal(body, &a.importResult); err != nil {
			a.err = fmt.Errorf("%w: %s", err, body)
		}
	}()
	return out
}

// world is the test's own view of the child's database: a Store and a Service
// on it (which delivers nothing: it runs no outbox worker), to set up clients and
// orders and to check what the child left.
type world struct {
	*connecttest.World
	db    *sql.DB
	store *storage.Store
	svc   *connect.Service
	seal  *shopify.Sealer
	shop  *shopifytest.Server

	shopOrders []shopifytest.Order
	routed     []connect.OrderID // the shop's orders, on route R-CRASH
}

func openWorld(t *testing.T, dsn, shopifyKey string, shop *shopifytest.Server) *world {
	t.Helper()
	w := &world{shop: shop}
	var err error
	if w.db, err = sql.Open("pgx", dsn); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.db.Close() })
	key, _ := hex.DecodeString(shopifyKey)
	if w.seal, err = shopify.NewSealer(key); err != nil {
		t.Fatal(err)
	}
	// The Service has a RouteSync (the World's) and Shopify to write the outbox
	// entries the child delivers; this one never runs the outbox. It runs on the
	// real clock, as the child does.
	w.World = connecttest.New(t, connecttest.WithDSN(dsn), connecttest.WithNow(time.Now), connecttest.WithAccount(demoAccount),
		connecttest.WithConfig(func(c *connect.Config) {
			adapter, err := shopify.New(shopify.Config{ClientID: shop.ClientID(), Secret: shop.Secret(),
				Tokens: c.Store.(*storage.Store), Sealer: w.seal, HTTPClient: shop.Client()})
			if err != nil {
				t.Fatal(err)
			}
			c.Shopify, c.Mailer = adapter, nil
		}))
	w.store, w.svc = w.Store, w.Service
	return w
}

// newClient invites a client that may upload, and signs its owner up.
func (w *world) newClient(t *testing.T, name string) *connecttest.Team {
	t.Helper()
	return w.NewClient(name, connect.ClientSettings{AllowUpload: true, DefaultDepot: "north"})
}

// linkShop links the client to a shop of the fake, with a token the child's
// adapter opens (the same sealing key), and turns automatic fulfillment on.
func (w *world) linkShop(t *testing.T, a *connecttest.Team, domain string) {
	t.Helper()
	ctx := context.Background()
	tok, _ := json.Marshal(shopify.Token{AccessToken: w.shop.Shop(domain).IssueToken(), Scopes: shopify.Scopes()})
	sealed := w.seal.SealShop(domain, tok)
	if _, err := w.store.SaveShopifyToken(ctx, connect.Scope{Account: a.Client.Account, Client: a.Client.ID}, domain, sealed, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.LinkShopify(ctx, a.Owner.Actor, domain); err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.UpdateFulfillment(ctx, a.Owner.Actor, connect.FulfillmentSettings{AutoFulfill: true, NotifyCustomer: true}); err != nil {
		t.Fatal(err)
	}
}

func (w *world) scalar(t *testing.T, q string, args ...any) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var n int64
	if err := w.db.QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// heapSize is the size of the orders table: it grows with rows written by a
// transaction that has not committed, which no query can count.
func (w *world) heapSize(t *testing.T) int64 {
	return w.scalar(t, "SELECT pg_relation_size('orders')")
}

// openWriters counts other sessions of the database inside a transaction that
// wrote something.
func (w *world) openWriters(t *testing.T) int {
	return int(w.scalar(t, `SELECT count(*) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL`))
}

func (w *world) countOrders(t *testing.T, client connect.ClientID) int {
	return int(w.scalar(t, "SELECT count(*) FROM orders WHERE client_id = $1", string(client)))
}

func (w *world) countOrderEvents(t *testing.T, client connect.ClientID) int {
	return int(w.scalar(t, "SELECT count(*) FROM order_events WHERE client_id = $1", string(client)))
}

// orders lists the account's orders in the given statuses (all when none).
func (w *world) orders(t *testing.T, client connect.ClientID, statuses ...connect.Status) []*connect.Order {
	t.Helper()
	var out []*connect.Order
	p := connect.ListOrdersParams{Client: client, Statuses: statuses, Limit: 500}
	for {
		page, err := w.svc.Orders(context.Background(), dispatcherActor(), p)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, page.Orders...)
		if page.Next == "" {
			return out
		}
		p.Cursor = page.Next
	}
}

func (w *world) outbox(t *testing.T, states ...connect.OutboxState) []connect.OutboxEntry {
	t.Helper()
	entries, err := w.store.Outbox(context.Background(), connect.Scope{Account: demoAccount}, states, 100_000)
	if err != nil {
		t.Fatal(err)
	}
	return entries
}

// drain waits until the child's worker has delivered every entry, and fails on
// dead ones.
func (w *world) drain(t *testing.T) {
	t.Helper()
	start := time.Now()
	if !poll(45*time.Second, 50*time.Millisecond, func() bool { return len(w.outbox(t, connect.OutboxPending)) == 0 }) {
		t.Fatalf("%d outbox entries still pending after 45 s", len(w.outbox(t, connect.OutboxPending)))
	}
	for _, e := range w.outbox(t, connect.OutboxDead) {
		t.Errorf("outbox entry %s (%s) is dead after %d attempts: %s", e.Key, e.Kind, e.Attempts, e.LastError)
	}
	t.Logf("the outbox drained %v after the restart", time.Since(start).Round(time.Millisecond))
}

// checkOrders fails on any order in a state the lifecycle cannot produce: its
// fields disagree with its status, or its history is not a path through the
// transition table (status.go) ending at its status.
func (w *world) checkOrders(t *testing.T, when string) {
	t.Helper()
	// Drafts are most of the rows: checked in the database, with fresh statistics
	// (after a bulk import the planner would otherwise take the tables for empty).
	if _, err := w.db.Exec("ANALYZE orders, order_events"); err != nil {
		t.Fatal(err)
	}
	if n := w.scalar(t, `SELECT count(*) FROM orders WHERE status = 'draft'
		AND (route_id <> '' OR route_position <> 0 OR eta IS NOT NULL OR proof IS NOT NULL OR submitted_at IS NOT NULL OR failure_reason <> '' OR version < 1)`); n > 0 {
		t.Errorf("%s: %d drafts have a route, an ETA, proof, a failure or a submission time", when, n)
	}
	if n := w.scalar(t, `SELECT count(*) FROM orders o WHERE status = 'draft' AND NOT EXISTS
		(SELECT 1 FROM order_events e WHERE e.order_id = o.id AND e.client_id = o.client_id)`); n > 0 {
		t.Errorf("%s: %d drafts have no history", when, n)
	}
	checked := 0
	for _, o := range w.orders(t, "", connect.StatusSubmitted, connect.StatusScheduled, connect.StatusEnRoute,
		connect.StatusDelivered, connect.StatusFailed, connect.StatusCancelled) {
		full, err := w.svc.Order(context.Background(), dispatcherActor(), o.ID)
		if err != nil {
			t.Fatal(err)
		}
		if problem := impossible(full); problem != "" {
			t.Errorf("%s: order %s (%s) is in an impossible state: %s", when, o.ID, o.Status, problem)
		}
		checked++
	}
	t.Logf("%s: %d drafts and %d other orders are in possible states", when,
		w.scalar(t, "SELECT count(*) FROM orders WHERE status = 'draft'"), checked)
}

// impossible says what is wrong with an order, or "".
func impossible(o *connect.Order) string {
	routed := o.Route.RouteID != "" && o.Route.Position >= 1
	switch {
	case !o.Status.Valid():
		return "unknown status"
	case o.Version < 1:
		return fmt.Sprintf("version %d", o.Version)
	case o.Status != connect.StatusDraft && o.SubmittedAt.IsZero():
		return "never submitted"
	case o.Status == connect.StatusSubmitted && (o.Route != connect.RouteStop{} || !o.ETA.IsZero()):
		return fmt.Sprintf("unassigned, yet on route %+v with ETA %v", o.Route, o.ETA)
	case o.Status == connect.StatusScheduled && !routed:
		return "scheduled without a route"
	case o.Status == connect.StatusEnRoute && (!routed || o.ETA.IsZero()):
		return fmt.Sprintf("en route on %+v with ETA %v", o.Route, o.ETA)
	case o.Status == connect.StatusDelivered && (o.Proof == nil || o.Proof.At.IsZero() || o.FailureReason != ""):
		return fmt.Sprintf("delivered with proof %+v, failure %q", o.Proof, o.FailureReason)
	case o.Status == connect.StatusFailed && o.FailureReason == "":
		return "failed without a reason"
	case o.Status == connect.StatusCancelled && o.Route != connect.RouteStop{}:
		return "cancelled, yet on a route"
	case o.Source == connect.SourceShopify && o.Shopify.OrderID == "":
		return "a Shopify order without its Shopify id"
	}
	// The history is a walk through the lifecycle table ending at the status.
	if len(o.History) == 0 || o.History[0].Event != connect.EventCreate {
		return "the history does not start with its creation"
	}
	at := o.History[0].To
	for _, ev := range o.History[1:] {
		if ev.From != at {
			return fmt.Sprintf("history: %s from %s, but the order was %s", ev.Event, ev.From, at)
		}
		// Events outside the lifecycle table (a depot move, what Shopify
		// said) record something without changing the status.
		ok := !slices.Contains(connect.Events(), ev.Event) && ev.From == ev.To
		for _, k := range []connect.ActorKind{connect.ActorMember, connect.ActorDispatcher, connect.ActorRouteSync, connect.ActorShopify} {
			if to, err := connect.Next(ev.From, ev.Event, k); err == nil && to == ev.To {
				ok = true
			}
		}
		if !ok {
			return fmt.Sprintf("history: %s from %s to %s is not in the lifecycle", ev.Event, ev.From, ev.To)
		}
		at = ev.To
	}
	if at != o.Status {
		return fmt.Sprintf("the history ends at %s", at)
	}
	return ""
}

// fakeRouteHost is a dispatch system's stop list behind httpRouteSync: it applies
// each idempotency key once, counts every delivery, and can hold the answer to
// one push (after applying it) until released.
type fakeRouteHost struct {
	mu       sync.Mutex
	first    map[string]StopPush // key → its first delivery, applied
	count    map[string]int      // key → deliveries
	changed  []string            // keys delivered again with another change
	stops    map[connect.OrderID]bool
	naive    map[connect.OrderID]bool // the stop list of a host that replays events as they come
	newest   map[connect.OrderID]int  // the newest change version applied per order
	late     int                      // pushes of a change older than one applied before
	hold     int                      // hold the answer to the hold-th first delivery
	held     chan string
	released chan struct{}
}

func newFakeRouteHost() *fakeRouteHost {
	return &fakeRouteHost{first: map[string]StopPush{}, count: map[string]int{},
		stops: map[connect.OrderID]bool{}, naive: map[connect.OrderID]bool{}, newest: map[connect.OrderID]int{}}
}

// changeVersion is the order's version before the change, from its key
// (order/version/n/kind).
func changeVersion(key string) int {
	var v int
	if parts := strings.Split(key, "/"); len(parts) == 4 {
		fmt.Sscan(parts[1], &v)
	}
	return v
}

func (h *fakeRouteHost) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var p StopPush
	if err := json.NewDecoder(r.Body).Decode(&p); err != nil || p.Key == "" || p.Key != r.Header.Get("Idempotency-Key") {
		http.Error(w, "bad push", http.StatusBadRequest)
		return
	}
	h.mu.Lock()
	h.count[p.Key]++
	if f, ok := h.first[p.Key]; ok {
		// Seen: a no-op, as long as it is the same change.
		if f.Event != p.Event || f.Order != p.Order {
			h.changed = append(h.changed, p.Key)
		}
		h.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
		return
	}
	h.first[p.Key] = p
	if v := changeVersion(p.Key); v < h.newest[p.Order] {
		h.late++
	} else {
		h.newest[p.Order] = v
	}
	// The stop list follows the order's status as the push tells it, which is
	// right whatever order pushes arrive in.
	h.stops[p.Order] = p.Status != connect.StatusDraft && p.Status != connect.StatusCancelled
	h.naive[p.Order] = p.Event == connect.EventSubmit
	hold := len(h.first) == h.hold
	held, released := h.held, h.released
	h.mu.Unlock()
	if hold {
		held <- p.Key
		select {
		case <-released:
		case <-r.Context().Done():
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

// holdAt makes the host hold its answer to the n-th first delivery; the held
// key comes on the channel.
func (h *fakeRouteHost) holdAt(n int) <-chan string {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.hold, h.held, h.released = n, make(chan string, 1), make(chan struct{})
	return h.held
}

func (h *fakeRouteHost) release() {
	h.mu.Lock()
	defer h.mu.Unlock()
	close(h.released)
	h.hold = 0
}

func (h *fakeRouteHost) firstCount() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.first)
}

func (h *fakeRouteHost) delivered(key string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.count[key]
}

func (h *fakeRouteHost) outOfOrder() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.late
}

// check compares what the host received with the outbox: every route sync entry
// delivered, each key applied once and repeated only as the same change, no
// delivery the outbox does not know, and the host's stop list equal to the
// orders the database says are routable.
func (h *fakeRouteHost) check(t *testing.T, w *world, client connect.ClientID, entries []connect.OutboxEntry) {
	t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	keys := map[string]connect.OutboxEntry{}
	for _, e := range entries {
		if e.Kind == connect.OutboxRouteSync {
			keys[e.Key] = e
		}
	}
	missing, dups := 0, 0
	for k, e := range keys {
		switch n := h.count[k]; {
		case n == 0:
			missing++
			t.Errorf("route sync entry %s (%s, %s) never reached the host", k, e.Event, e.State)
		case n > 1:
			dups += n - 1
		}
		if f, ok := h.first[k]; ok && (f.Event != e.Event || f.Order != e.Order) {
			t.Errorf("the host applied %s as %s of %s, the outbox says %s of %s", k, f.Event, f.Order, e.Event, e.Order)
		}
	}
	for k := range h.first {
		if _, ok := keys[k]; !ok {
			t.Errorf("the host received %s, which the outbox does not hold", k)
		}
	}
	if len(h.changed) > 0 {
		t.Errorf("keys delivered again as a different change: %v", h.changed)
	}
	wrong, naive := 0, 0
	for _, o := range w.orders(t, client) {
		routable := o.Status != connect.StatusDraft && o.Status != connect.StatusCancelled
		if h.naive[o.ID] != routable {
			naive++
		}
		if h.stops[o.ID] != routable {
			if wrong++; wrong <= 5 {
				t.Errorf("order %s is %s, the host thinks it routable: %v", o.ID, o.Status, h.stops[o.ID])
			}
		}
	}
	t.Logf("route sync: %d entries, %d applied once each (first deliveries), %d duplicate deliveries (no-ops), %d missing, %d orders the host holds wrongly",
		len(keys), len(h.first), dups, missing, wrong)
	if wrong > 0 {
		t.Errorf("the host's stop list disagrees with %d orders", wrong)
	}
	t.Logf("a host that replays the pushes' events in the order they arrive would hold %d orders wrongly", naive)
}

// shopifyProxy stands between the child and the fake Shopify, counting
// fulfillmentCreate mutations and able to hold the answer to one of them (after
// Shopify applied it), as a connection lost at the worst moment does.
type shopifyProxy struct {
	rp *httputil.ReverseProxy

	mu             sync.Mutex
	created, read  int
	hold           int
	held, released chan struct{}
	heldAnswer     string // Shopify's answer to the held mutation
}

func newShopifyProxy(t *testing.T, target string) *shopifyProxy {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	return &shopifyProxy{rp: &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.SetURL(u)
		r.Out.Host = r.In.Host // the fake finds the shop by its Host
	}}}
}

func (p *shopifyProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	var op struct {
		Query string `json:"query"`
	}
	_ = json.Unmarshal(body, &op)
	create := strings.Contains(op.Query, "fulfillmentCreate(")
	p.mu.Lock()
	if strings.Contains(op.Query, "fulfillmentOrders(") {
		p.read++
	}
	hold := false
	if create {
		p.created++
		hold = p.created == p.hold
	}
	held, released := p.held, p.released
	p.mu.Unlock()
	if !hold {
		p.rp.ServeHTTP(w, r)
		return
	}
	// Shopify applies it; the answer never leaves.
	rec := httptest.NewRecorder()
	p.rp.ServeHTTP(rec, r)
	p.mu.Lock()
	p.heldAnswer = rec.Body.String()
	p.mu.Unlock()
	close(held)
	select {
	case <-released:
	case <-r.Context().Done():
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		return
	}
	conn, _, err := hj.Hijack()
	if err == nil {
		conn.Close()
	}
}

func (p *shopifyProxy) holdAt(n int) <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.hold, p.held, p.released = n, make(chan struct{}), make(chan struct{})
	return p.held
}

func (p *shopifyProxy) release() {
	p.mu.Lock()
	defer p.mu.Unlock()
	close(p.released)
	p.hold = 0
}

func (p *shopifyProxy) answerHeld() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.heldAnswer
}

func (p *shopifyProxy) creates() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.created
}

func (p *shopifyProxy) reads() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.read
}
