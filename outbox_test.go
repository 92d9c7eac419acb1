package connect_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"go.uber.org/mock/gomock"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/connecttest"
	"github.com/dispatchkit/connect/connecttest/mock"
)

var fastRetry = connect.OutboxOptions{Batch: 10, Lease: 200 * time.Millisecond, Poll: 10 * time.Millisecond,
	MaxAttempts: 3, Backoff: func(int) time.Duration { return 0 }}

// byKey counts the host's changes per idempotency key.
func byKey(changes []connect.StopChange) map[string]int {
	out := map[string]int{}
	for _, c := range changes {
		out[c.Key]++
	}
	return out
}

func TestSubmitWithdrawAndCancelReachTheHostOnce(t *testing.T) {
	w := newWorld(t)
	orders := w.submitted(3)
	if _, err := w.svc.Withdraw(w.ctx, w.owner, orders[0].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.CancelOrder(w.ctx, w.disp, orders[1].ID, "out of area"); err != nil {
		t.Fatal(err)
	}
	w.DeliverOutbox(fastRetry)
	got := byKey(w.RouteSync.Changes())
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
	host := mock.NewMockRouteSync(gomock.NewController(t))
	host.EXPECT().SyncStop(gomock.Any(), gomock.Any()).Return(connect.Errorf(connect.Unavailable, "host down")).Times(3)
	w := newWorldWith(t, func(c *connect.Config) { c.RouteSync = host })
	w.submitted(1)
	for range 5 {
		if _, err := w.svc.DeliverOutbox(w.ctx, fastRetry); err != nil {
			t.Fatal(err)
		}
	}
	dead, err := w.store.Outbox(w.ctx, connect.Scope{Account: w.acct}, []connect.OutboxState{connect.OutboxDead}, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(dead) != 1 || dead[0].Attempts != 3 || dead[0].LastError == "" {
		t.Fatalf("dead letters %+v", dead)
	}
}

// TestAFailedDeliveryWaitsForItsBackoffOnTheServicesClock: the host fails once,
// then takes the change; the retry goes out when the Config's clock has passed
// the backoff, and not before, however much real time passes.
func TestAFailedDeliveryWaitsForItsBackoffOnTheServicesClock(t *testing.T) {
	host := mock.NewMockRouteSync(gomock.NewController(t))
	failed := host.EXPECT().SyncStop(gomock.Any(), gomock.Any()).Return(connect.Errorf(connect.Unavailable, "host down"))
	var took connect.StopChange
	host.EXPECT().SyncStop(gomock.Any(), gomock.Any()).After(failed.Call).
		DoAndReturn(func(_ context.Context, c connect.StopChange) error { took = c; return nil })
	w := newWorldWith(t, func(c *connect.Config) { c.RouteSync = host })
	o := w.submitted(1)[0]
	opts := connect.OutboxOptions{Backoff: func(n int) time.Duration { return time.Duration(n) * time.Minute }}
	if n, err := w.svc.DeliverOutbox(w.ctx, opts); n != 1 || err != nil {
		t.Fatalf("first delivery: %d, %v", n, err)
	}
	w.advance(59 * time.Second)
	if n, err := w.svc.DeliverOutbox(w.ctx, opts); n != 0 || err != nil {
		t.Fatalf("%d retries before the backoff ran out (%v)", n, err)
	}
	w.advance(time.Second)
	if n, err := w.svc.DeliverOutbox(w.ctx, opts); n != 1 || err != nil {
		t.Fatalf("the retry once the backoff ran out: %d, %v", n, err)
	}
	if took.Order == nil || took.Order.ID != o.ID || took.Event != connect.EventSubmit {
		t.Fatalf("the host took %+v", took)
	}
	list, err := w.store.Outbox(w.ctx, connect.Scope{Account: w.acct}, nil, 0)
	if err != nil || len(list) != 1 || list[0].State != connect.OutboxDone || list[0].Attempts != 2 {
		t.Fatalf("outbox %+v, %v", list, err)
	}
}

// killingHost takes changes until it has taken killAt of them, then calls kill:
// a worker dies mid-batch, at a known point.
type killingHost struct {
	connecttest.RouteSync
	killAt int
	kill   func()
}

func (h *killingHost) SyncStop(ctx context.Context, c connect.StopChange) error {
	err := h.RouteSync.SyncStop(ctx, c)
	if h.kill != nil && len(h.Changes()) == h.killAt {
		h.kill()
	}
	return err
}

func TestAWorkerKilledMidBatchLosesNothingAndDoublesNothing(t *testing.T) {
	host := &killingHost{}
	w := newWorldWith(t, func(c *connect.Config) { c.RouteSync = host })
	w.submitted(30)
	// The first worker dies (its context ends) after its 5th delivery, in the
	// middle of a batch of 10: the rest of that batch stays claimed under its lease.
	ctx, cancel := context.WithCancel(w.ctx)
	host.killAt, host.kill = 5, cancel
	_ = w.svc.RunOutbox(ctx, fastRetry)
	if n := len(host.Changes()); n != 5 {
		t.Fatalf("the first worker delivered %d of 30 before it died, want 5", n)
	}
	host.kill = nil
	// A new worker, once the dead one's lease has run out on the Service's clock,
	// finishes the job.
	w.advance(fastRetry.Lease)
	w.DeliverOutbox(fastRetry)
	got := byKey(host.Changes())
	for k, n := range got {
		if n != 1 {
			t.Fatalf("key %s delivered %d times", k, n)
		}
	}
	if len(got) != 30 {
		t.Fatalf("%d of 30 delivered", len(got))
	}
}

// overlapHost notes any two deliveries of one key at once; each delivery takes a
// little real time, so that two workers would overlap if they could.
type overlapHost struct {
	connecttest.RouteSync
	mu       sync.Mutex
	inFlight map[string]bool
	overlap  bool
}

func (h *overlapHost) SyncStop(ctx context.Context, c connect.StopChange) error {
	h.mu.Lock()
	h.overlap = h.overlap || h.inFlight[c.Key]
	h.inFlight[c.Key] = true
	h.mu.Unlock()
	defer func() {
		h.mu.Lock()
		delete(h.inFlight, c.Key)
		h.mu.Unlock()
	}()
	select {
	case <-time.After(2 * time.Millisecond): // a real timer: the overlap window is real time
	case <-ctx.Done():
		return ctx.Err()
	}
	return h.RouteSync.SyncStop(ctx, c)
}

func TestTwoWorkersNeverDeliverTheSameEntryAtOnce(t *testing.T) {
	host := &overlapHost{inFlight: map[string]bool{}}
	w := newWorldWith(t, func(c *connect.Config) { c.RouteSync = host })
	w.submitted(40)
	ctx, cancel := context.WithCancel(w.ctx)
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			_ = w.svc.RunOutbox(ctx, connect.OutboxOptions{Batch: 5, Lease: 5 * time.Second, Poll: 5 * time.Millisecond})
		})
	}
	wait, stop := context.WithTimeout(ctx, 30*time.Second)
	_, err := host.Await(wait, 40)
	stop()
	cancel()
	wg.Wait()
	if err != nil {
		t.Fatalf("the workers delivered %d of 40 within 30 s", len(host.Changes()))
	}
	host.mu.Lock()
	defer host.mu.Unlock()
	if host.overlap {
		t.Fatal("two workers delivered the same entry at once")
	}
	if host.Attempts() != 40 || len(byKey(host.Changes())) != 40 {
		t.Fatalf("%d calls for %d entries", host.Attempts(), len(byKey(host.Changes())))
	}
}

// fakeShop records what the core asks of Shopify.
type fakeShop struct {
	mu       sync.Mutex
	fulfils  []connect.FulfillParams
	progress []connect.FulfillmentEventParams
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
			if o.Name == r || o.Ref.OrderID == r {
				found = o
			}
		}
		out = append(out, found)
	}
	return out, nil
}

func (f *fakeShop) Fulfill(_ context.Context, _ connect.Scope, p connect.FulfillParams) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fulfils = append(f.fulfils, p)
	return nil
}

func (f *fakeShop) FulfillmentEvent(_ context.Context, _ connect.Scope, p connect.FulfillmentEventParams) error {
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
	if _, err := w.svc.UpdateFulfillment(w.ctx, w.owner, connect.FulfillmentSettings{AutoFulfill: true, NotifyCustomer: true}); err != nil {
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
	w.DeliverOutbox(fastRetry)
	if len(shop.fulfils) != 1 || !shop.fulfils[0].NotifyCustomer || shop.fulfils[0].Order.OrderID == "" {
		t.Fatalf("fulfilments %+v", shop.fulfils)
	}
}

func TestFulfillOnStartPostsProgress(t *testing.T) {
	shop := &fakeShop{orders: []connect.ShopifyOrder{shopOrder("#2001")}}
	w := newWorldWith(t, func(c *connect.Config) { c.Shopify = shop })
	w.svc.LinkShopify(w.ctx, w.owner, "green.myshopify.com")
	w.svc.UpdateFulfillment(w.ctx, w.owner, connect.FulfillmentSettings{AutoFulfill: true, Mode: connect.FulfillOnStart})
	if _, err := w.svc.ImportShopifyOrders(w.ctx, w.owner, []string{"#2001"}, connect.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	drafts, _ := w.svc.Orders(w.ctx, w.owner, connect.ListOrdersParams{View: connect.ViewDrafts})
	id := drafts.Orders[0].ID
	w.svc.SubmitOrders(w.ctx, w.owner, []connect.OrderID{id})
	w.route(ev("1", id, connect.EventSchedule, 0), ev("2", id, connect.EventStart, 1), ev("3", id, connect.EventComplete, 2))
	w.DeliverOutbox(fastRetry)
	if len(shop.fulfils) != 1 || shop.fulfils[0].NotifyCustomer || shop.fulfils[0].TrackingURL == "" {
		t.Fatalf("fulfilments %+v", shop.fulfils)
	}
	var statuses []connect.FulfillmentStatus
	for _, p := range shop.progress {
		statuses = append(statuses, p.Status)
	}
	if len(statuses) != 2 || statuses[0] != connect.FulfillmentOutForDelivery || statuses[1] != connect.FulfillmentDelivered {
		t.Fatalf("progress %v", statuses)
	}
	// The tracking URL opens the order, and only it.
	token := shop.fulfils[0].TrackingURL[len("https://portal.example/track/"):]
	tr, err := w.svc.Track(w.ctx, token)
	if err != nil || tr.Ref != "#2001" || tr.Status != connect.StatusDelivered {
		t.Fatalf("track %+v, %v", tr, err)
	}
}

// TestAWorkerWhoseLeaseRanOutLeavesTheRestAndKeepsTheNewerOutcome: a delivery that
// outlasts its lease stops its worker from delivering the rest of the batch (they
// may be another's by then), and its finish does not overwrite the outcome of the
// worker that claimed the entry again.
func TestAWorkerWhoseLeaseRanOutLeavesTheRestAndKeepsTheNewerOutcome(t *testing.T) {
	host := mock.NewMockRouteSync(gomock.NewController(t))
	w := newWorldWith(t, func(c *connect.Config) { c.RouteSync = host })
	opts := connect.OutboxOptions{Batch: 10, Lease: time.Minute, MaxAttempts: 3, Backoff: func(int) time.Duration { return 0 }}
	// The host's first delivery outlasts the worker's lease: meanwhile a second
	// worker claims the entries again and delivers them; then the first delivery
	// fails. Only those three more calls may come: the first worker stops after
	// its stalled one.
	var secondClaimed int
	stalled := host.EXPECT().SyncStop(gomock.Any(), gomock.Any()).DoAndReturn(func(context.Context, connect.StopChange) error {
		w.advance(2 * time.Minute) // the first worker's lease runs out here
		n, err := w.svc.DeliverOutbox(w.ctx, opts)
		if err != nil {
			t.Error(err)
		}
		secondClaimed = n
		return connect.Errorf(connect.Unavailable, "timed out")
	})
	applied := map[string]int{}
	host.EXPECT().SyncStop(gomock.Any(), gomock.Any()).After(stalled.Call).Times(3).
		DoAndReturn(func(_ context.Context, c connect.StopChange) error { applied[c.Key]++; return nil })
	w.submitted(3)
	first, err := w.svc.DeliverOutbox(w.ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	if first != 3 || secondClaimed != 3 {
		t.Fatalf("claimed %d then %d, want all 3 twice (the first lease ran out)", first, secondClaimed)
	}
	list, err := w.store.Outbox(w.ctx, connect.Scope{Account: w.acct}, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range list {
		if e.State != connect.OutboxDone || e.Attempts != 2 || e.LastError != "" {
			t.Fatalf("entry %s: %s after %d attempts (%q), want done by the second claim", e.Key, e.State, e.Attempts, e.LastError)
		}
	}
	if len(applied) != 3 {
		t.Fatalf("host applied %v, want 3 keys once each", applied)
	}
}

// forgettingStore tells the test each time the Service forgets old route event ids.
type forgettingStore struct {
	connect.Store
	forgot chan int
}

func (s *forgettingStore) ForgetHostEventsAnyAccount(ctx context.Context, before time.Time) (int, error) {
	n, err := s.Store.ForgetHostEventsAnyAccount(ctx, before)
	if err == nil {
		select {
		case s.forgot <- n:
		default: // the test heard of one already
		}
	}
	return n, err
}

// TestRunOutboxForgetsOldRouteEventIDs: the worker forgets route event ids older
// than HostEventMemory; a replay of a forgotten event is then stale, not replayed,
// and changes nothing either way.
func TestRunOutboxForgetsOldRouteEventIDs(t *testing.T) {
	forgetting := make(chan int, 1)
	w := newWorldWith(t, func(c *connect.Config) { c.Store = &forgettingStore{Store: c.Store, forgot: forgetting} })
	o := w.submitted(1)[0]
	schedule := ev("sched-1", o.ID, connect.EventSchedule, 1)
	w.route(schedule)
	if res := w.route(schedule); res.Replayed != 1 {
		t.Fatalf("a replay right away: %+v", res)
	}
	// The Store stamps ids with the real clock: put the Service's an hour past it.
	w.Clock.Set(time.Now().Add(time.Hour))
	ctx, cancel := context.WithCancel(w.ctx)
	done := make(chan error, 1)
	go func() {
		done <- w.svc.RunOutbox(ctx, connect.OutboxOptions{Poll: 10 * time.Millisecond, HostEventMemory: 30 * time.Minute})
	}()
	select {
	case n := <-forgetting:
		if n != 1 {
			t.Fatalf("the worker forgot %d route event ids, want 1", n)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the worker did not forget the route event ids within 10 s")
	}
	if res := w.route(schedule); res.Replayed != 0 || res.Stale != 1 || res.Applied != 0 {
		t.Fatalf("a forgotten replay: %+v, want it stale", res)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("RunOutbox returned %v", err)
	}
	if got := w.status(o.ID); got.Status != connect.StatusScheduled || got.Version != o.Version+1 {
		t.Fatalf("order after the replays: %s at version %d", got.Status, got.Version)
	}
}
