package connect_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/dispatchkit/connect"
)

// TestDispatcherSeesRetriesAndDiscardsFailedDeliveries: deliveries the host
// refused show on the dispatcher's problems list with their last error; one
// retried is delivered once the host is back, one discarded never is; members and
// other accounts see and touch none of it.
func TestDispatcherSeesRetriesAndDiscardsFailedDeliveries(t *testing.T) {
	w := newWorld(t)
	w.RouteSync.FailWith(connect.Errorf(connect.Unavailable, "host down for maintenance"))
	w.submitted(3)
	once := fastRetry
	once.MaxAttempts = 1
	w.DeliverOutbox(once)
	problems, err := w.svc.Outbox(w.ctx, w.disp, connect.ListOutboxParams{})
	if err != nil {
		t.Fatal(err)
	}
	if len(problems.Entries) != 3 {
		t.Fatalf("%d problems, want the 3 dead deliveries", len(problems.Entries))
	}
	for _, e := range problems.Entries {
		if e.State != connect.OutboxDead || e.LastError == "" || e.Kind != connect.OutboxRouteSync {
			t.Fatalf("problem %+v, want a dead route sync with its error", e)
		}
	}

	// Members may not look; another account's dispatcher finds nothing.
	if _, err := w.svc.Outbox(w.ctx, w.owner, connect.ListOutboxParams{}); !errors.Is(err, connect.ErrForbidden) {
		t.Fatalf("a member lists the outbox: %v", err)
	}
	stranger := connect.AsDispatcher("another-account", "eve@elsewhere.test")
	if page, err := w.svc.Outbox(w.ctx, stranger, connect.ListOutboxParams{View: connect.OutboxViewDead}); err != nil || len(page.Entries) != 0 {
		t.Fatalf("another account's dispatcher lists %v, %v", page, err)
	}
	retried, discarded := problems.Entries[0], problems.Entries[1]
	for name, err := range map[string]error{
		"retry":   w.svc.RetryOutbox(w.ctx, stranger, retried.ID),
		"discard": w.svc.DiscardOutbox(w.ctx, stranger, discarded.ID),
	} {
		if !errors.Is(err, connect.ErrNotFound) {
			t.Fatalf("another account's dispatcher can %s: %v", name, err)
		}
	}
	if err := w.svc.RetryOutbox(w.ctx, w.owner, retried.ID); !errors.Is(err, connect.ErrForbidden) {
		t.Fatalf("a member retries: %v", err)
	}

	w.RouteSync.FailWith(nil)
	if err := w.svc.RetryOutbox(w.ctx, w.disp, retried.ID); err != nil {
		t.Fatal(err)
	}
	if err := w.svc.DiscardOutbox(w.ctx, w.disp, discarded.ID); err != nil {
		t.Fatal(err)
	}
	w.DeliverOutbox(once)
	got := w.RouteSync.Changes()
	if len(got) != 1 || got[0].Key != retried.Key {
		t.Fatalf("the host got %d changes, want only the retried one", len(got))
	}
	if err := w.svc.RetryOutbox(w.ctx, w.disp, retried.ID); !errors.Is(err, connect.ErrConflict) {
		t.Fatalf("retrying a delivered entry: %v, want a conflict", err)
	}
	for view, want := range map[connect.OutboxView]string{
		connect.OutboxViewProblems: problems.Entries[2].ID, connect.OutboxViewDead: problems.Entries[2].ID,
		connect.OutboxViewDone: retried.ID, connect.OutboxViewDiscarded: discarded.ID,
	} {
		page, err := w.svc.Outbox(w.ctx, w.disp, connect.ListOutboxParams{View: view})
		if err != nil || len(page.Entries) != 1 || page.Entries[0].ID != want {
			t.Fatalf("view %s: %+v, %v; want only %s", view, page, err, want)
		}
	}
	if _, err := w.svc.Outbox(w.ctx, w.disp, connect.ListOutboxParams{View: "everything"}); !errors.Is(err, connect.ErrInvalid) {
		t.Fatalf("an unknown view: %v", err)
	}
}

// TestOutboxPagesCoverEveryEntryOnce: pages of the outbox, newest first, hold
// every entry once.
func TestOutboxPagesCoverEveryEntryOnce(t *testing.T) {
	w := newWorld(t)
	w.submitted(7)
	seen := map[string]int{}
	cursor, pages := "", 0
	for {
		page, err := w.svc.Outbox(w.ctx, w.disp, connect.ListOutboxParams{View: connect.OutboxViewPending, Cursor: cursor, Limit: 3})
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, e := range page.Entries {
			seen[e.ID]++
		}
		if cursor = page.Next; cursor == "" {
			break
		}
	}
	if len(seen) != 7 || pages != 3 {
		t.Fatalf("%d entries over %d pages, want 7 over 3", len(seen), pages)
	}
	for id, n := range seen {
		if n != 1 {
			t.Fatalf("entry %s listed %d times", id, n)
		}
	}
	if _, err := w.svc.Outbox(w.ctx, w.disp, connect.ListOutboxParams{Cursor: "not a cursor"}); !errors.Is(err, connect.ErrInvalid) {
		t.Fatalf("a bad cursor: %v", err)
	}
}

// TestRunOutboxDeletesOldDeliveredEntries: RunOutbox deletes delivered entries
// older than the retention, and keeps dead ones.
func TestRunOutboxDeletesOldDeliveredEntries(t *testing.T) {
	purged := make(chan int, 1)
	w := newWorldWith(t, func(c *connect.Config) { c.Store = &purgingStore{Store: c.Store, purged: purged} })
	w.submitted(2)
	w.DeliverOutbox(fastRetry)
	// The Store stamps entries with the Service's clock: put it past the retention.
	w.advance(4 * 24 * time.Hour)
	ctx, cancel := context.WithCancel(w.ctx)
	done := make(chan error, 1)
	go func() { done <- w.svc.RunOutbox(ctx, connect.OutboxOptions{Poll: 10 * time.Millisecond}) }()
	select {
	case n := <-purged:
		if n != 2 {
			t.Fatalf("the worker deleted %d entries, want the 2 delivered", n)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the worker did not purge the outbox within 10 s")
	}
	if page, err := w.svc.Outbox(w.ctx, w.disp, connect.ListOutboxParams{View: connect.OutboxViewDone}); err != nil || len(page.Entries) != 0 {
		t.Fatalf("delivered entries older than the retention: %v, %v; want none", page, err)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("RunOutbox returned %v", err)
	}
}

// purgingStore tells the test what RunOutbox's purge deleted.
type purgingStore struct {
	connect.Store
	purged chan int
}

func (s *purgingStore) PurgeOutboxAnyAccount(ctx context.Context, before time.Time) (int, error) {
	n, err := s.Store.PurgeOutboxAnyAccount(ctx, before)
	if err == nil {
		select {
		case s.purged <- n:
		default: // the test heard of one already
		}
	}
	return n, err
}
