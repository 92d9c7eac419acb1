package connect_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/connecttest"
	"github.com/dispatchkit/connect/internal/pgtest"
)

// TestTheDatabaseRestarts restarts PostgreSQL (a server of the test's own,
// fast shutdown: every connection cut, open transactions rolled back) under
// what a busy portal does (issue #19):
//   - 500 live subscriptions stay open through it and, once it is back, get
//     every event committed after it, in order, none missed and none twice;
//   - while it is down, a call fails at once with ErrUnavailable and a message
//     that says the database is unavailable, instead of hanging;
//   - an import cut by it imports nothing, and imports whole when tried again;
//   - outbox delivery cut by it goes on once it is back: every change is
//     delivered, and only a change whose delivery was under way when the
//     database went (whose done mark could not be written) is delivered again.
func TestTheDatabaseRestarts(t *testing.T) {
	pg := pgtest.NewServer(t)
	routes := &connecttest.RouteSync{}
	// The database goes away while the outbox delivers the first change.
	var inFlight string // the change under way then
	var cut atomic.Bool
	stopped := make(chan struct{})
	cutting := routeSyncFunc(func(ctx context.Context, c connect.StopChange) error {
		if cut.CompareAndSwap(false, true) {
			inFlight = c.Key
			pg.Stop()
			close(stopped)
		}
		return routes.SyncStop(ctx, c)
	})
	w := connecttest.New(t, connecttest.WithDSN(pg.DSN), connecttest.WithNow(time.Now),
		connecttest.WithConfig(func(c *connect.Config) { c.RouteSync = cutting }))
	ctx := context.Background()
	tm := w.NewClient("Green Grocer", connect.ClientSettings{AllowUpload: true})
	owner := tm.Owner.Actor

	// 500 subscriptions, from now on.
	subs := make([]*connect.Subscription, 500)
	sctx, stopSubs := context.WithCancel(ctx)
	defer stopSubs()
	for i := range subs {
		var err error
		if subs[i], err = w.Service.Subscribe(sctx, owner, connect.SubscribeParams{}); err != nil {
			t.Fatal(err)
		}
	}
	got := make([][]string, len(subs)) // each subscription's "order/event"s
	gotMu := make([]sync.Mutex, len(subs))
	ended := make([]atomic.Bool, len(subs)) // its events channel closed
	var collected sync.WaitGroup
	for i, sub := range subs {
		collected.Go(func() {
			defer ended[i].Store(true)
			for ev := range sub.Events() {
				gotMu[i].Lock()
				got[i] = append(got[i], string(ev.Order)+"/"+string(ev.Event))
				gotMu[i].Unlock()
			}
		})
	}

	// An outbox worker delivering submissions.
	before := w.Orders(owner, connect.StatusSubmitted, 20)
	wctx, stopWorker := context.WithCancel(ctx)
	workerDone := make(chan error, 1)
	go func() {
		workerDone <- w.Service.RunOutbox(wctx, connect.OutboxOptions{Poll: 50 * time.Millisecond, Lease: 2 * time.Second})
	}()

	// Down: calls fail at once, with a clear error.
	<-stopped // by the first delivery
	callCtx, cancel := context.WithTimeout(ctx, 20*time.Second)
	_, err := w.Service.CreateOrder(callCtx, owner, connect.OrderInput{Ref: "DOWN-1", Address: connect.Address{Line1: "1 Main St"}})
	cancel()
	if !errors.Is(err, connect.ErrUnavailable) || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a call while the database is down: %v, want unavailable at once", err)
	}
	t.Logf("while down: %v", err)
	// Down for longer than a quiet subscription waits between reads (2 s), so
	// that every one of them reads, and fails to, while it is.
	time.Sleep(3 * time.Second)

	// An import cut in the middle by the restart imports nothing.
	pg.Start()
	rows := make([][]string, 300)
	for i := range rows {
		rows[i] = []string{fmt.Sprintf("IMP-%03d", i), "1 Main St"}
	}
	var restarted atomic.Bool
	src := &cuttingSource{rows: rows, at: 150, cut: func() { pg.Restart(); restarted.Store(true) }}
	if _, err := w.Service.Import(ctx, owner, src, connect.ImportOptions{}); !errors.Is(err, connect.ErrUnavailable) {
		t.Fatalf("an import cut by the restart: %v, want unavailable", err)
	}
	if !restarted.Load() {
		t.Fatal("the import did not reach the restart")
	}
	drafts := func() int {
		p, err := w.Service.Orders(ctx, owner, connect.ListOrdersParams{View: connect.ViewDrafts, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		return len(p.Orders)
	}
	if n := drafts(); n != 0 {
		t.Fatalf("%d drafts after the cut import, want none", n)
	}
	res, err := w.Service.Import(ctx, owner, &cuttingSource{rows: rows, at: -1}, connect.ImportOptions{})
	if err != nil || res.Imported != len(rows) {
		t.Fatalf("the import again: %+v, %v", res, err)
	}

	// Back: the outbox delivers every change; the subscriptions see what was
	// committed after the restarts.
	after := w.Orders(owner, connect.StatusSubmitted, 10)
	want := len(before) + len(after)
	distinct := func() map[string]int {
		seen := map[string]int{}
		for _, c := range routes.Changes() {
			seen[c.Key]++
		}
		return seen
	}
	waitFor(t, "every change delivered", func() bool { return len(distinct()) >= want })
	stopWorker()
	if err := <-workerDone; err != nil && !errors.Is(err, context.Canceled) {
		t.Fatalf("the outbox worker ended: %v", err)
	}
	seen := distinct()
	if len(seen) != want {
		t.Fatalf("%d distinct changes delivered, want %d", len(seen), want)
	}
	for k, n := range seen {
		if n > 1 && k != inFlight {
			t.Errorf("change %s delivered %d times, though its delivery was not under way at the restart", k, n)
		}
	}

	// Every subscription got the events committed after the restarts (the 10
	// later orders' submissions), each once. The last order's submission is the
	// last event: once a subscription has it, it has had every earlier one.
	last := string(after[len(after)-1].ID) + "/" + string(connect.EventSubmit)
	waitFor(t, "every subscription to see the last submission", func() bool {
		for i := range subs {
			gotMu[i].Lock()
			n := len(got[i])
			has := n > 0 && got[i][n-1] == last
			gotMu[i].Unlock()
			if !has && !ended[i].Load() {
				return false
			}
		}
		return true
	})
	stopSubs()
	collected.Wait()
	for i, ids := range got {
		seen := map[string]int{}
		for _, id := range ids {
			if seen[id]++; seen[id] > 1 {
				t.Fatalf("subscription %d got %s twice", i, id)
			}
		}
		for _, o := range after {
			if id := string(o.ID) + "/" + string(connect.EventSubmit); seen[id] != 1 {
				t.Fatalf("subscription %d missed %s (it got %d events; it ended with %v)", i, id, len(ids), subs[i].Err())
			}
		}
	}
}

// routeSyncFunc adapts a function to connect.RouteSync.
type routeSyncFunc func(context.Context, connect.StopChange) error

func (f routeSyncFunc) SyncStop(ctx context.Context, c connect.StopChange) error { return f(ctx, c) }

// cuttingSource is an ImportSource of orders (Id, Address Line 1) that calls
// cut once, before the row at index at (-1: never).
type cuttingSource struct {
	rows [][]string
	at   int
	cut  func()
	next int
}

func (s *cuttingSource) Header() []string { return []string{"Id", "Address Line 1"} }

func (s *cuttingSource) Column(f connect.Field) string {
	switch f {
	case connect.FieldRef:
		return "Id"
	case connect.FieldAddressLine1:
		return "Address Line 1"
	}
	return ""
}

func (s *cuttingSource) Next(context.Context) (connect.ImportRow, error) {
	if s.next == s.at {
		s.cut()
	}
	if s.next >= len(s.rows) {
		return connect.ImportRow{}, io.EOF
	}
	r := s.rows[s.next]
	s.next++
	return connect.ImportRow{Number: s.next + 1, Cells: r, Input: connect.OrderInput{Ref: r[0], Address: connect.Address{Line1: r[1]}}}, nil
}

// waitFor waits for cond, checked every 10 ms, for up to a minute. It polls
// because nothing signals what it waits for: the fake RouteSync's Await
// counts repeated deliveries of one change, and 500 subscriptions have no
// shared event to wait on.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited a minute for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
