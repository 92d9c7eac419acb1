package storage_test

import (
	"context"
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/internal/pgtest"
	"github.com/dispatchkit/connect/storage"
)

// twoStores opens two Stores, each with its own pool, on one database: two
// processes sharing it.
func twoStores(t *testing.T, dialect string) (*storage.Store, *storage.Store) {
	t.Helper()
	var dsn string
	if dialect == "sqlite" {
		dsn = "sqlite:" + filepath.Join(t.TempDir(), "shared.db")
	} else {
		dsn = pgtest.Schema(t)
	}
	open := func() *storage.Store {
		s, err := storage.Open(t.Context(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s
	}
	a := open()
	return a, open()
}

func bothDialects(t *testing.T, fn func(t *testing.T, dialect string)) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		fn(t, "sqlite")
	})
	t.Run("postgres", func(t *testing.T) {
		pgtest.URL(t)
		t.Parallel()
		fn(t, "postgres")
	})
}

// TestTwoProcessesClaimTheOutbox: workers of two Stores on one database (two
// processes) claiming at once never get the same entry, and get all of them; an
// entry whose lease ran out is claimed again, with one more attempt.
func TestTwoProcessesClaimTheOutbox(t *testing.T) {
	t.Parallel()
	bothDialects(t, func(t *testing.T, dialect string) {
		a, b := twoStores(t, dialect)
		const n = 300
		var entries []connect.OutboxEntry
		for i := range n {
			entries = append(entries, connect.OutboxEntry{Key: fmt.Sprintf("k%04d", i), Account: "acct", Client: "c",
				Order: connect.OrderID(fmt.Sprintf("o%d", i)), Kind: connect.OutboxRouteSync, Event: connect.EventSubmit,
				State: connect.OutboxPending, NextAt: t0.Add(time.Duration(i%7) * time.Second), CreatedAt: t0, UpdatedAt: t0})
		}
		if err := a.AddOutbox(t.Context(), connect.Scope{Account: "acct"}, entries); err != nil {
			t.Fatal(err)
		}
		if err := b.AddOutbox(t.Context(), connect.Scope{Account: "acct"}, entries[:10]); err != nil { // the same keys again: left out
			t.Fatal(err)
		}
		now := t0.Add(time.Hour)
		var (
			mu   sync.Mutex
			seen = map[string]int{}
			wg   sync.WaitGroup
		)
		for w := range 6 {
			s := []*storage.Store{a, b}[w%2]
			wg.Go(func() {
				for {
					got, err := s.ClaimOutboxAnyAccount(t.Context(), connect.ClaimOutboxParams{Now: now, Lease: time.Minute, Limit: 9})
					if err != nil {
						t.Error(err)
						return
					}
					if len(got) == 0 {
						return
					}
					mu.Lock()
					for _, e := range got {
						seen[e.Key]++
						if e.Attempts != 1 {
							t.Errorf("entry %s claimed with %d attempts", e.Key, e.Attempts)
						}
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if len(seen) != n {
			t.Fatalf("claimed %d of %d entries", len(seen), n)
		}
		for k, c := range seen {
			if c != 1 {
				t.Fatalf("entry %s claimed %d times", k, c)
			}
		}
		// The leases run out: the other process claims them again.
		got, err := b.ClaimOutboxAnyAccount(t.Context(), connect.ClaimOutboxParams{Now: now.Add(2 * time.Minute), Lease: time.Minute, Limit: n + 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != n || got[0].Attempts != 2 {
			t.Fatalf("after the leases: %d entries claimed (attempts %d), want %d at 2", len(got), got[0].Attempts, n)
		}
	})
}

// TestWakeAcrossProcesses: a Store listening (another process) wakes up soon
// after a commit that wrote order events (PostgreSQL: NOTIFY; SQLite: its
// data_version), not after a rollback, and its channel closes with its context.
func TestWakeAcrossProcesses(t *testing.T) {
	t.Parallel()
	bothDialects(t, func(t *testing.T, dialect string) {
		writer, listener := twoStores(t, dialect)
		var _ connect.Waker = listener
		// Before listening: on SQLite its commit wakes too, and a poll between it
		// and the orders' could send a second wake-up into the rollback's window.
		c := newClient(t, writer, "a", "c-wake")
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		wake, err := listener.Wake(ctx)
		if err != nil {
			t.Fatal(err)
		}
		o := newOrder(c, "o-wake", "r-wake", connect.StatusSubmitted, t0)
		if err := writer.CreateOrders(t.Context(), connect.Scope{Account: o.Account}, []*connect.Order{o}, []connect.OrderEvent{{Order: o.ID, Event: "create", To: o.Status, At: t0}}); err != nil {
			t.Fatal(err)
		}
		select {
		case <-wake:
		case <-time.After(10 * time.Second):
			t.Fatal("no wake-up 10 s after a commit of events")
		}
		// A rolled-back transaction wakes nobody; a status change does.
		drain(wake)
		_ = writer.Tx(t.Context(), func(tx connect.Store) error {
			o2 := newOrder(c, "o-wake-2", "r-wake-2", connect.StatusSubmitted, t0)
			if err := tx.CreateOrders(t.Context(), connect.Scope{Account: o2.Account}, []*connect.Order{o2}, []connect.OrderEvent{{Order: o2.ID, Event: "create", To: o2.Status, At: t0}}); err != nil {
				t.Error(err)
			}
			return errors.New("roll back")
		})
		select {
		case <-wake:
			t.Fatal("woken by a transaction that rolled back")
		case <-time.After(300 * time.Millisecond):
		}
		next := *o
		next.Status = connect.StatusScheduled
		if err := writer.SetStatuses(t.Context(), connect.Scope{Account: "a"}, []connect.SetStatusParams{{
			From: o.Status, Version: 1, Order: &next, Events: []connect.OrderEvent{{Order: o.ID, Event: connect.EventSchedule,
				From: o.Status, To: next.Status, At: t0}}}}); err != nil {
			t.Fatal(err)
		}
		select {
		case <-wake:
		case <-time.After(10 * time.Second):
			t.Fatal("no wake-up 10 s after a status change")
		}
		cancel()
		deadline := time.After(10 * time.Second)
		for {
			select {
			case _, ok := <-wake:
				if !ok {
					return
				}
			case <-deadline:
				t.Fatal("the wake channel stayed open after its context ended")
			}
		}
	})
}

func drain(ch <-chan struct{}) {
	for {
		select {
		case <-ch:
		default:
			return
		}
	}
}

// TestLostBatchInsideTxLeavesNothing: in a caller's transaction, a batch in which
// one change lost its race leaves none of its changes, even if the caller goes on
// and commits: on SQLite the batch is rolled back to its savepoint and the rest
// of the transaction commits; on PostgreSQL the transaction cannot commit.
func TestLostBatchInsideTxLeavesNothing(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, open func(t *testing.T) *storage.Store) {
		s := open(t)
		c := newClient(t, s, "a", "c-lost")
		var orders []*connect.Order
		for i := range 3 {
			orders = append(orders, newOrder(c, fmt.Sprintf("o-lost-%d", i), fmt.Sprintf("r-%d", i), connect.StatusSubmitted, t0))
		}
		if err := s.CreateOrders(t.Context(), connect.Scope{Account: "a"}, orders, nil); err != nil {
			t.Fatal(err)
		}
		batch := make([]connect.SetStatusParams, len(orders))
		for i, o := range orders {
			next := *o
			next.Status = connect.StatusScheduled
			batch[i] = connect.SetStatusParams{From: o.Status, Version: 1, Order: &next,
				Events: []connect.OrderEvent{{Order: o.ID, Event: connect.EventSchedule, From: o.Status, To: next.Status, At: t0}}}
		}
		batch[2].Version = 5 // lost its race
		var batchErr error
		txErr := s.Tx(t.Context(), func(tx connect.Store) error {
			batchErr = tx.SetStatuses(t.Context(), connect.Scope{Account: "a"}, batch)
			return nil // the caller goes on regardless
		})
		wantCode(t, "the batch", batchErr, connect.Conflict)
		if txErr != nil {
			wantCode(t, "committing after a lost batch", txErr, connect.Conflict)
		}
		for _, o := range orders {
			got, err := s.Order(t.Context(), connect.Scope{Account: "a"}, o.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != connect.StatusSubmitted || got.Version != 1 {
				t.Fatalf("order %s is %s at version %d after a lost batch", o.ID, got.Status, got.Version)
			}
			h, err := s.History(t.Context(), connect.Scope{Account: "a"}, o.ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(h) != 0 {
				t.Fatalf("order %s has history %v after a lost batch", o.ID, h)
			}
		}
	})
}

// TestMigrationCommittedButUnrecorded: a migration that committed but was not
// recorded (a crash in between) runs again without harm, keeps the data, and is
// recorded.
func TestMigrationCommittedButUnrecorded(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, open func(t *testing.T) *storage.Store) {
		s := open(t)
		c := newClient(t, s, "a", "c-kept")
		if _, err := s.DB().NewDelete().TableExpr("connect_migrations").Where("name = ?", "20261201000000").Exec(t.Context()); err != nil {
			t.Fatal(err)
		}
		if err := s.Migrate(t.Context()); err != nil {
			t.Fatalf("migrating again: %v", err)
		}
		n, err := s.DB().NewSelect().TableExpr("connect_migrations").Count(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if want := migrations[path.Base(t.Name())]; int64(n) != want {
			t.Fatalf("%d migrations recorded, want %d", n, want)
		}
		if _, err := s.Client(t.Context(), connect.Scope{Account: "a"}, c.ID); err != nil {
			t.Fatalf("the client stored before: %v", err)
		}
	})
}

// TestWakeOnlyForOtherStoresOfItsSchema: stores of two schemas share a database
// and its notification channel; a commit in one schema does not wake the other's
// listener, nor does a Store's own commit (its process has woken its subscribers
// already); a commit by another Store of the same schema does.
func TestWakeOnlyForOtherStoresOfItsSchema(t *testing.T) {
	t.Parallel()
	pgtest.URL(t)
	dsn := pgtest.Schema(t)
	open := func(dsn string) *storage.Store {
		s, err := storage.Open(t.Context(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s
	}
	listener, sibling, other := open(dsn), open(dsn), openPostgres(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	wake, err := listener.Wake(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		store *storage.Store
	}{{"other-schema", other}, {"own", listener}} {
		commitOrder(t, tc.store, tc.name)
		select {
		case <-wake:
			t.Fatalf("woken by a commit of %s", tc.name)
		case <-time.After(300 * time.Millisecond):
		}
	}
	commitOrder(t, sibling, "sibling")
	select {
	case <-wake:
	case <-time.After(10 * time.Second):
		t.Fatal("no wake-up 10 s after a commit by another Store of the schema")
	}
}

// TestSQLiteWakesForOtherProcessesOnly: a SQLite Store's own transactions rarely
// wake its listener (its process woke its subscribers already; telling them apart
// is an optimisation, which may err towards waking), and another Store's commit
// always does, also while the listener's own transactions commit all along.
func TestSQLiteWakesForOtherProcessesOnly(t *testing.T) {
	t.Parallel()
	listener, other := twoStores(t, "sqlite")
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	wake, err := listener.Wake(ctx)
	if err != nil {
		t.Fatal(err)
	}
	const own = 10
	woken := 0
	for i := range own {
		commitOrder(t, listener, fmt.Sprintf("own-%d", i))
		select {
		case <-wake:
			woken++
		case <-time.After(100 * time.Millisecond): // four polls
		}
	}
	if woken > own/2 {
		t.Fatalf("woken by %d of its own %d commits", woken, own)
	}

	// Another Store commits while the listener's own transactions commit around
	// it: the listener hears of it all the same.
	for i := range 3 {
		drain(wake)
		var wg sync.WaitGroup
		var ownErr error
		wg.Go(func() {
			for j := range 20 {
				if ownErr = tryCommitOrder(t, listener, fmt.Sprintf("own-%d-%d", i, j)); ownErr != nil {
					return
				}
			}
		})
		commitOrder(t, other, fmt.Sprintf("other-%d", i))
		wg.Wait()
		if ownErr != nil {
			t.Fatal(ownErr)
		}
		select {
		case <-wake:
		case <-time.After(10 * time.Second):
			t.Fatalf("no wake-up 10 s after another Store's commit %d, among its own", i)
		}
	}
}

// commitOrder commits, in one transaction, a new client of account "a" and a
// submitted order of it with its event, all named after name.
func commitOrder(t *testing.T, s *storage.Store, name string) {
	t.Helper()
	if err := tryCommitOrder(t, s, name); err != nil {
		t.Fatal(err)
	}
}

// tryCommitOrder is commitOrder for another goroutine than the test's.
func tryCommitOrder(t *testing.T, s *storage.Store, name string) error {
	t0 := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	return s.Tx(t.Context(), func(tx connect.Store) error {
		c := &connect.Client{ID: connect.ClientID("c-" + name), Account: "a", Name: name,
			Status: connect.ClientActive, CreatedAt: t0, UpdatedAt: t0}
		if err := tx.CreateClient(t.Context(), connect.Scope{Account: c.Account}, c); err != nil {
			return err
		}
		o := newOrder(c, "o-"+name, "r-"+name, connect.StatusSubmitted, t0)
		return tx.CreateOrders(t.Context(), connect.Scope{Account: o.Account}, []*connect.Order{o}, []connect.OrderEvent{{Order: o.ID, Event: "create", To: o.Status, At: t0}})
	})
}
