package connect_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dispatchkit/connect"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestOrderStatsCountsByStatusAndOnTime(t *testing.T) {
	w := newWorld(t)
	w.draft(w.owner, "D-1")
	o := w.submitted(4)
	// Started at minute 10, so each ETA is minute 40: o[0] arrives early, o[1] late,
	// o[2] fails, o[3] stays en route.
	w.route(
		ev("s0", o[0].ID, connect.EventSchedule, 1), ev("s1", o[1].ID, connect.EventSchedule, 1),
		ev("s2", o[2].ID, connect.EventSchedule, 1), ev("s3", o[3].ID, connect.EventSchedule, 1),
		ev("r0", o[0].ID, connect.EventStart, 10), ev("r1", o[1].ID, connect.EventStart, 10),
		ev("r2", o[2].ID, connect.EventStart, 10), ev("r3", o[3].ID, connect.EventStart, 10),
		ev("c0", o[0].ID, connect.EventComplete, 35), ev("c1", o[1].ID, connect.EventComplete, 55),
		ev("f2", o[2].ID, connect.EventFail, 45),
	)
	_, other := w.signUpClient(w.disp, "Other Shop", connect.ClientSettings{AllowUpload: true})
	w.draft(other, "OTHER-1")

	since := t0.Add(-time.Hour)
	want := &connect.OrderStats{
		Counts: connect.StatusCounts{connect.StatusDraft: 1, connect.StatusDelivered: 2, connect.StatusFailed: 1, connect.StatusEnRoute: 1},
		Since:  since, OnTime: 1, WithETA: 2,
	}
	for _, a := range []connect.Actor{w.owner, w.join(w.owner, "m@example.com", connect.RoleMember)} {
		got, err := w.svc.OrderStats(w.ctx, a, connect.OrderStatsParams{Since: since})
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Fatalf("%s's stats (-want +got):\n%s", a, d)
		}
	}
	// The dispatcher counts one client, or the whole account.
	got, err := w.svc.OrderStats(w.ctx, w.disp, connect.OrderStatsParams{Client: w.client.ID, Since: since})
	if err != nil || cmp.Diff(want, got) != "" {
		t.Fatalf("dispatcher's stats of the client: %+v, %v", got, err)
	}
	got, err = w.svc.OrderStats(w.ctx, w.disp, connect.OrderStatsParams{Since: since})
	if err != nil || got.Counts[connect.StatusDraft] != 2 || got.Counts.Total() != 6 {
		t.Fatalf("dispatcher's stats of the account: %+v, %v", got, err)
	}
	// A window that starts after the deliveries counts none on time.
	got, err = w.svc.OrderStats(w.ctx, w.owner, connect.OrderStatsParams{Since: t0.Add(time.Hour)})
	if err != nil || got.OnTime != 0 || got.WithETA != 0 || got.Counts[connect.StatusDelivered] != 2 {
		t.Fatalf("stats after the deliveries: %+v, %v", got, err)
	}
	// Another client's member counts its own orders only.
	got, err = w.svc.OrderStats(w.ctx, other, connect.OrderStatsParams{Since: since})
	if err != nil || cmp.Diff(connect.StatusCounts{connect.StatusDraft: 1}, got.Counts) != "" || got.WithETA != 0 {
		t.Fatalf("the other client's stats: %+v, %v", got, err)
	}
}

// TestOrderStatsSeeEveryChangeAtOnce: the Service keeps a scope's counts between
// loads (see OrderStats), yet every change shows in the next count: a new draft, a
// submit, a deleted draft, another client's order (which changes nothing), and a
// commit of another process.
func TestOrderStatsSeeEveryChangeAtOnce(t *testing.T) {
	w := newWorld(t)
	_, other := w.signUpClient(w.disp, "Other Shop", connect.ClientSettings{AllowUpload: true})
	counts := func(svc *connect.Service, a connect.Actor) connect.StatusCounts {
		t.Helper()
		got, err := svc.OrderStats(w.ctx, a, connect.OrderStatsParams{})
		if err != nil {
			t.Fatal(err)
		}
		return got.Counts
	}
	want := func(what string, got, want connect.StatusCounts) {
		t.Helper()
		if d := cmp.Diff(want, got, cmpopts.EquateEmpty()); d != "" {
			t.Fatalf("%s (-want +got):\n%s", what, d)
		}
	}
	want("no order yet", counts(w.svc, w.owner), nil)
	d1, d2 := w.draft(w.owner, "D-1"), w.draft(w.owner, "D-2")
	want("two drafts", counts(w.svc, w.owner), connect.StatusCounts{connect.StatusDraft: 2})
	want("the account's two drafts", counts(w.svc, w.disp), connect.StatusCounts{connect.StatusDraft: 2})
	w.draft(other, "OTHER-1")
	want("another client's draft", counts(w.svc, w.owner), connect.StatusCounts{connect.StatusDraft: 2})
	want("the account's three drafts", counts(w.svc, w.disp), connect.StatusCounts{connect.StatusDraft: 3})
	if _, err := w.svc.SubmitOrders(w.ctx, w.owner, []connect.OrderID{d1.ID}); err != nil {
		t.Fatal(err)
	}
	want("a submit", counts(w.svc, w.owner), connect.StatusCounts{connect.StatusDraft: 1, connect.StatusSubmitted: 1})
	if err := w.svc.DeleteDraft(w.ctx, w.owner, d2.ID, 0); err != nil {
		t.Fatal(err)
	}
	want("a deleted draft", counts(w.svc, w.owner), connect.StatusCounts{connect.StatusSubmitted: 1})
	want("the account after a deleted draft", counts(w.svc, w.disp), connect.StatusCounts{connect.StatusDraft: 1, connect.StatusSubmitted: 1})

	// Another process's commit reaches this one's counts once the Store wakes it,
	// or once the counts' lifetime ends.
	woken, stop := connect.WakeUps(w.svc)
	defer stop()
	deadline := time.After(20 * time.Second)
	select {
	case <-connect.ListeningToTheStore(w.svc):
	case <-deadline:
		t.Fatal("the Service never listened to the Store's wake-ups")
	}
	svc2 := w.otherProcess()
	if _, err := svc2.CreateOrder(w.ctx, w.owner, connect.OrderInput{Ref: "D-3", Address: connect.Address{Line1: "3 Elm St"}}); err != nil {
		t.Fatal(err)
	}
	wantCounts := connect.StatusCounts{connect.StatusDraft: 1, connect.StatusSubmitted: 1}
	if strings.HasPrefix(w.dsn, "sqlite:") {
		// SQLite's data_version does not say whose commit it counted, and the Store
		// takes a commit in the same poll as one of its own writes for its own
		// (no wake-up): the counts' lifetime bounds how stale they get.
		w.advance(connect.MemoTTL)
		want("another process's draft, once the counts' lifetime ended", counts(w.svc, w.owner), wantCounts)
		return
	}
	// PostgreSQL's notifications name the committing Store: the wake-up comes, and
	// each is heard after the counts are due for a new count (the first may be
	// another's: a wake-up may be spurious).
	for got := counts(w.svc, w.owner); cmp.Diff(wantCounts, got) != ""; got = counts(w.svc, w.owner) {
		select {
		case <-woken:
		case <-deadline:
			want("another process's draft", got, wantCounts)
		}
	}
}

// countingStore counts the Store's CountOrders calls.
type countingStore struct {
	connect.Store
	counts atomic.Int64
}

func (s *countingStore) CountOrders(ctx context.Context, sc connect.Scope) (map[connect.ClientID]connect.StatusCounts, error) {
	s.counts.Add(1)
	return s.Store.CountOrders(ctx, sc)
}

// TestHomesOfOneScopeShareTheirCounts: fifty members loading their home page
// between two commits cost one count of their client's orders, not fifty; a
// caller with a window of its own is counted afresh.
func TestHomesOfOneScopeShareTheirCounts(t *testing.T) {
	var store *countingStore
	w := newWorldWith(t, func(cfg *connect.Config) {
		store = &countingStore{Store: cfg.Store}
		cfg.Store = store
	})
	w.draft(w.owner, "D-1")
	before := store.counts.Load()
	for range 50 {
		if _, err := w.svc.OrderStats(w.ctx, w.owner, connect.OrderStatsParams{}); err != nil {
			t.Fatal(err)
		}
	}
	if n := store.counts.Load() - before; n != 1 {
		t.Fatalf("50 homes counted %d times, want once", n)
	}
	w.draft(w.owner, "D-2")
	got, err := w.svc.OrderStats(w.ctx, w.owner, connect.OrderStatsParams{})
	if err != nil || got.Counts[connect.StatusDraft] != 2 || store.counts.Load()-before != 2 {
		t.Fatalf("after a commit: %+v, %v, %d counts", got, err, store.counts.Load()-before)
	}
	for i := range 2 {
		if _, err := w.svc.OrderStats(w.ctx, w.owner, connect.OrderStatsParams{Since: time.Now().Add(time.Duration(-i) * time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	if n := store.counts.Load() - before; n != 4 {
		t.Fatalf("two windows of their own: %d counts in all, want 4", n)
	}
}
