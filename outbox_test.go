package connect_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/connecttest"
)

// fakeHost is an idempotent host stop list: it counts each key once, and records
// every call and any overlap of two deliveries of the same key.
type fakeHost struct {
	mu       sync.Mutex
	calls    int
	byKey    map[string]int
	inFlight map[string]bool
	overlap  bool
	fail     int // fail this many calls first
	delay    time.Duration
	// killAfter, when set, is called once the host has taken this many changes:
	// it ends the worker mid-batch, at a known point.
	killAt    int
	killAfter func()
}

func newFakeHost() *fakeHost { return &fakeHost{byKey: map[string]int{}, inFlight: map[string]bool{}} }

func (h *fakeHost) SyncStop(ctx context.Context, c connect.StopChange) error {
	h.mu.Lock()
	h.calls++
	if h.inFlight[c.Key] {
		h.overlap = true
	}
	h.inFlight[c.Key] = true
	failing := h.fail > 0
	if failing {
		h.fail--
	}
	h.mu.Unlock()
	defer func() {
		h.mu.Lock()
		delete(h.inFlight, c.Key)
		h.mu.Unlock()
	}()
	if h.delay > 0 {
		select {
		case <-time.After(h.delay):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if failing {
		return connect.Errorf(connect.Unavailable, "host down")
	}
	h.mu.Lock()
	h.byKey[c.Key]++
	kill := h.killAfter != nil && len(h.byKey) == h.killAt
	h.mu.Unlock()
	if kill {
		h.killAfter()
	}
	return nil
}

func (h *fakeHost) delivered() map[string]int {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := map[string]int{}
	for k, v := range h.byKey {
		out[k] = v
	}
	return out
}

var fastRetry = connect.OutboxOptions{Batch: 10, Lease: 200 * time.Millisecond, Poll: 10 * time.Millisecond,
	MaxAttempts: 3, Backoff: func(int) time.Duration { return 0 }}

func TestSubmitWithdrawAndCancelReachTheHostOnce(t *testing.T) {
	host := newFakeHost()
	w := newWorldWith(t, func(c *connect.Config) { c.RouteSync = host })
	orders := w.submitted(3)
	if _, err := w.svc.Withdraw(w.ctx, w.owner, orders[0].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.CancelOrder(w.ctx, w.disp, orders[1].ID, "out of area"); err != nil {
		t.Fatal(err)
	}
	for {
		n, err := w.svc.DeliverOutbox(w.ctx, fastRetry)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
	}
	got := host.delivered()
	if len(got) != 5 { // 3 submits, 1 withdraw, 1 cancel
		t.Fatalf("host got %d distinct changes: %v", len(got), got)
	}
	for k, n := range got {
		if n != 1 {
			t.Fatalf("key %s delivered %d times", k, n)
		}
	}
}

func TestOutboxRetriesThenDeadLetters(t *testing.T) {
	host := newFakeHost()
	host.fail = 100
	w := newWorldWith(t, func(c *connect.Config) { c.RouteSync = host })
	w.submitted(1)
	for range 5 {
		if _, err := w.svc.DeliverOutbox(w.ctx, fastRetry); err != nil {
			t.Fatal(err)
		}
	}
	dead, err := w.store.Outbox(w.ctx, w.acct, []connect.OutboxState{connect.OutboxDead}, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(dead) != 1 || dead[0].Attempts != 3 || dead[0].LastError == "" {
		t.Fatalf("dead letters %+v", dead)
	}
	if host.calls != 3 {
		t.Fatalf("host called %d times, want 3 attempts", host.calls)
	}
}

func TestAWorkerKilledMidBatchLosesNothingAndDoublesNothing(t *testing.T) {
	host := newFakeHost()
	w := newWorldWith(t, func(c *connect.Config) { c.RouteSync = host })
	w.submitted(30)
	// The first worker dies (its context ends) after its 5th delivery, in the
	// middle of a batch of 10: the rest of that batch stays claimed under its lease.
	ctx, cancel := context.WithCancel(w.ctx)
	host.killAt, host.killAfter = 5, cancel
	_ = w.svc.RunOutbox(ctx, fastRetry)
	if n := len(host.delivered()); n != 5 {
		t.Fatalf("the first worker delivered %d of 30 before it died, want 5", n)
	}
	host.killAfter = nil
	// A new worker, after the dead one's lease ran out, finishes the job.
	time.Sleep(fastRetry.Lease)
	ctx, cancel = context.WithTimeout(w.ctx, 30*time.Second)
	defer cancel()
	for len(host.delivered()) < 30 && ctx.Err() == nil {
		if _, err := w.svc.DeliverOutbox(ctx, fastRetry); err != nil && !errors.Is(err, context.DeadlineExceeded) {
			t.Fatal(err)
		}
	}
	for k, n := range host.delivered() {
		if n != 1 {
			t.Fatalf("key %s delivered %d times", k, n)
		}
	}
	if len(host.delivered()) != 30 {
		t.Fatalf("%d of 30 delivered", len(host.delivered()))
	}
}

func TestTwoWorkersNeverDeliverTheSameEntryAtOnce(t *testing.T) {
	host := newFakeHost()
	host.delay = 2 * time.Millisecond
	w := newWorldWith(t, func(c *connect.Config) { c.RouteSync = host })
	w.submitted(40)
	ctx, cancel := context.WithCancel(w.ctx)
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = w.svc.RunOutbox(ctx, connect.OutboxOptions{Batch: 5, Lease: 5 * time.Second, Poll: 5 * time.Millisecond})
		}()
	}
	deadline := time.Now().Add(30 * time.Second)
	for len(host.delivered()) < 40 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	wg.Wait()
	if host.overlap {
		t.Fatal("two workers delivered the same entry at once")
	}
	if host.calls != 40 || len(host.delivered()) != 40 {
		t.Fatalf("%d calls for %d entries", host.calls, len(host.delivered()))
	}
}

// fakeShop records what the core asks of Shopify.
type fakeShop struct {
	mu       sync.Mutex
	fulfils  []connect.FulfilParams
	progress []connect.FulfilmentEventParams
	orders   []connect.ShopifyOrder
}

func (f *fakeShop) UnfulfilledOrders(_ context.Context, _ connect.Scope, _ string, _ int) (*connect.ShopifyOrderPage, error) {
	return &connect.ShopifyOrderPage{Orders: f.orders}, nil
}

func (f *fakeShop) LookupOrders(_ context.Context, _ connect.Scope, refs []string) ([]connect.ShopifyOrder, error) {
	var out []connect.ShopifyOrder
	for _, r := range refs {
		found := connect.ShopifyOrder{Name: r, Problem: "order not found in the store"}
		for _, o := range f.orders {
			if o.Name == r {
				found = o
			}
		}
		out = append(out, found)
	}
	return out, nil
}

func (f *fakeShop) Fulfil(_ context.Context, _ connect.Scope, p connect.FulfilParams) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fulfils = append(f.fulfils, p)
	return nil
}

func (f *fakeShop) FulfilmentEvent(_ context.Context, _ connect.Scope, p connect.FulfilmentEventParams) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.progress = append(f.progress, p)
	return nil
}

func shopOrder(name string) connect.ShopifyOrder {
	return connect.ShopifyOrder{Name: name, Ref: connect.ShopifyRef{Shop: "green.myshopify.com", OrderID: "gid://shopify/Order/" + name[1:]},
		Input: connect.OrderInput{Ref: name, Address: connect.Address{Line1: "1 Shop St"}, Recipient: connect.Recipient{Name: "Ada"}}}
}

func TestDeliveredShopifyOrdersAreFulfilledWhenTheClientAsks(t *testing.T) {
	shop := &fakeShop{orders: []connect.ShopifyOrder{shopOrder("#1001"), shopOrder("#1002"), {Name: "#1003", Problem: "has no shipping address"}}}
	w := newWorldWith(t, func(c *connect.Config) { c.Shopify = shop })
	_, err := w.svc.ImportShopifyOrders(w.ctx, w.owner, []string{"#1001"}, connect.ImportOptions{})
	connecttest.WantCode(t, err, connect.Forbidden) // no store linked yet
	if _, err := w.svc.LinkShopify(w.ctx, w.owner, "green.myshopify.com"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.UpdateFulfilment(w.ctx, w.owner, connect.FulfilmentSettings{AutoFulfil: true, NotifyCustomer: true}); err != nil {
		t.Fatal(err)
	}
	res, err := w.svc.ImportShopifyOrders(w.ctx, w.owner, []string{"#1001, #1002", "#1003\n#1001"}, connect.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Imported != 2 || res.Refused != 1 || res.Errors[0].Reason != "#1003: has no shipping address" {
		t.Fatalf("import %+v", res)
	}
	again, err := w.svc.ImportShopifyOrders(w.ctx, w.owner, []string{"#1001"}, connect.ImportOptions{})
	if err != nil || again.Duplicates != 1 {
		t.Fatalf("re-import %+v, %v", again, err)
	}
	page, err := w.svc.ShopifyOrders(w.ctx, w.owner, "", 0)
	if err != nil || !page.Orders[0].Imported || page.Orders[2].Imported {
		t.Fatalf("listing %+v, %v", page, err)
	}
	drafts, _ := w.svc.Orders(w.ctx, w.owner, connect.ListOrdersParams{View: connect.ViewDrafts})
	var ids []connect.OrderID
	for _, o := range drafts.Orders {
		if o.Source != connect.SourceShopify || o.Shopify.OrderID == "" {
			t.Fatalf("draft %+v", o)
		}
		ids = append(ids, o.ID)
	}
	if _, err := w.svc.SubmitOrders(w.ctx, w.owner, ids); err != nil {
		t.Fatal(err)
	}
	w.route(ev("a", ids[0], connect.EventComplete, 1), ev("b", ids[1], connect.EventFail, 1))
	for {
		if n, err := w.svc.DeliverOutbox(w.ctx, fastRetry); err != nil {
			t.Fatal(err)
		} else if n == 0 {
			break
		}
	}
	if len(shop.fulfils) != 1 || !shop.fulfils[0].NotifyCustomer || shop.fulfils[0].Order.OrderID == "" {
		t.Fatalf("fulfilments %+v", shop.fulfils)
	}
}

func TestFulfilOnStartPostsProgress(t *testing.T) {
	shop := &fakeShop{orders: []connect.ShopifyOrder{shopOrder("#2001")}}
	w := newWorldWith(t, func(c *connect.Config) { c.Shopify = shop })
	w.svc.LinkShopify(w.ctx, w.owner, "green.myshopify.com")
	w.svc.UpdateFulfilment(w.ctx, w.owner, connect.FulfilmentSettings{AutoFulfil: true, Mode: connect.FulfilOnStart})
	if _, err := w.svc.ImportShopifyOrders(w.ctx, w.owner, []string{"#2001"}, connect.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	drafts, _ := w.svc.Orders(w.ctx, w.owner, connect.ListOrdersParams{View: connect.ViewDrafts})
	id := drafts.Orders[0].ID
	w.svc.SubmitOrders(w.ctx, w.owner, []connect.OrderID{id})
	w.route(ev("1", id, connect.EventSchedule, 0), ev("2", id, connect.EventStart, 1), ev("3", id, connect.EventComplete, 2))
	for {
		if n, _ := w.svc.DeliverOutbox(w.ctx, fastRetry); n == 0 {
			break
		}
	}
	if len(shop.fulfils) != 1 || shop.fulfils[0].NotifyCustomer || shop.fulfils[0].TrackingURL == "" {
		t.Fatalf("fulfilments %+v", shop.fulfils)
	}
	var statuses []connect.FulfilmentStatus
	for _, p := range shop.progress {
		statuses = append(statuses, p.Status)
	}
	if len(statuses) != 2 || statuses[0] != connect.FulfilmentOutForDelivery || statuses[1] != connect.FulfilmentDelivered {
		t.Fatalf("progress %v", statuses)
	}
	// The tracking URL opens the order, and only it.
	token := shop.fulfils[0].TrackingURL[len("https://portal.example/track/"):]
	tr, err := w.svc.Track(w.ctx, token)
	if err != nil || tr.Ref != "#2001" || tr.Status != connect.StatusDelivered {
		t.Fatalf("track %+v, %v", tr, err)
	}
}

// slowHost is a host whose first delivery outlasts the worker's lease: meanwhile
// a second worker claims the entry again and delivers it; then the first delivery
// fails.
type slowHost struct {
	*fakeHost
	w       *world
	stalled bool
	second  func()
}

func (h *slowHost) SyncStop(ctx context.Context, c connect.StopChange) error {
	if !h.stalled {
		h.stalled = true
		h.w.advance(2 * time.Minute) // the first worker's lease runs out here
		h.second()
		return connect.Errorf(connect.Unavailable, "timed out")
	}
	return h.fakeHost.SyncStop(ctx, c)
}

// TestAWorkerWhoseLeaseRanOutLeavesTheRestAndKeepsTheNewerOutcome: a delivery that
// outlasts its lease stops its worker from delivering the rest of the batch (they
// may be another's by then), and its finish does not overwrite the outcome of the
// worker that claimed the entry again.
func TestAWorkerWhoseLeaseRanOutLeavesTheRestAndKeepsTheNewerOutcome(t *testing.T) {
	host := &slowHost{fakeHost: newFakeHost()}
	w := newWorldWith(t, func(c *connect.Config) { c.RouteSync = host })
	host.w = w
	opts := connect.OutboxOptions{Batch: 10, Lease: time.Minute, MaxAttempts: 3, Backoff: func(int) time.Duration { return 0 }}
	var secondClaimed int
	host.second = func() {
		n, err := w.svc.DeliverOutbox(w.ctx, opts) // another worker, while the first is stalled
		if err != nil {
			t.Error(err)
		}
		secondClaimed = n
	}
	w.submitted(3)
	first, err := w.svc.DeliverOutbox(w.ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	if first != 3 || secondClaimed != 3 {
		t.Fatalf("claimed %d then %d, want all 3 twice (the first lease ran out)", first, secondClaimed)
	}
	if host.calls != 3 { // the second worker's; the first stops after its stalled one
		t.Fatalf("host took %d calls besides the stalled one, want 3", host.calls)
	}
	list, err := w.store.Outbox(w.ctx, w.acct, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range list {
		if e.State != connect.OutboxDone || e.Attempts != 2 || e.LastError != "" {
			t.Fatalf("entry %s: %s after %d attempts (%q), want done by the second claim", e.Key, e.State, e.Attempts, e.LastError)
		}
	}
	if got := host.delivered(); len(got) != 3 {
		t.Fatalf("host applied %v, want 3 keys once each", got)
	}
}

// TestRunOutboxForgetsOldRouteEventIDs: the worker forgets route event ids older
// than HostEventMemory; a replay of a forgotten event is then stale, not replayed,
// and changes nothing either way.
func TestRunOutboxForgetsOldRouteEventIDs(t *testing.T) {
	w := newWorldWith(t, func(c *connect.Config) { c.RouteSync = newFakeHost() })
	o := w.submitted(1)[0]
	schedule := ev("sched-1", o.ID, connect.EventSchedule, 1)
	w.route(schedule)
	if res := w.route(schedule); res.Replayed != 1 {
		t.Fatalf("a replay right away: %+v", res)
	}
	// The Store stamps ids with the real clock: put the world's an hour past it.
	w.advance(time.Since(w.clock()) + time.Hour)
	ctx, cancel := context.WithCancel(w.ctx)
	done := make(chan error, 1)
	go func() {
		done <- w.svc.RunOutbox(ctx, connect.OutboxOptions{Poll: 10 * time.Millisecond, HostEventMemory: 30 * time.Minute})
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		res := w.route(schedule)
		if res.Replayed == 0 {
			if res.Stale != 1 || res.Applied != 0 {
				t.Fatalf("a forgotten replay: %+v, want it stale", res)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the worker did not forget the route event id within 10 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("RunOutbox returned %v", err)
	}
	if got := w.status(o.ID); got.Status != connect.StatusScheduled || got.Version != o.Version+1 {
		t.Fatalf("order after the replays: %s at version %d", got.Status, got.Version)
	}
}
