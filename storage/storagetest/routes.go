package storagetest

import (
	"fmt"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/dispatchkit/connect"
)

// testSetStatusesBatch applies a batch over several orders, one of them with more
// than one event: every order moves on by one version, every event is in its
// order's history, with the order's tenant.
func testSetStatusesBatch(t *testing.T, f *fixture) {
	c := f.client(f.account())
	d := f.client(c.Account)
	orders := append(f.orders(c, connect.StatusSubmitted, 1, 3), f.orders(d, connect.StatusSubmitted, 10, 2)...)
	var batch []connect.SetStatusParams
	for i, o := range orders {
		p := f.change(o, connect.EventSchedule, connect.StatusScheduled, 20+i)
		if i == 1 {
			// scheduled, then started, in one change
			p.Order.Status, p.Order.ETA = connect.StatusEnRoute, f.at(99)
			p.Order.RouteEventAt = f.at(40)
			p.Events = append(p.Events, connect.OrderEvent{Order: o.ID, Account: o.Account, Client: o.Client,
				Event: connect.EventStart, From: connect.StatusScheduled, To: connect.StatusEnRoute, At: f.at(41),
				By: "route sync", ETA: f.at(99), Reason: "implied"})
		}
		batch = append(batch, p)
	}
	must(t, f.s.SetStatuses(f.ctx, connect.Scope{Account: c.Account}, batch)) // a dispatcher's batch spans clients
	for i, p := range batch {
		o := orders[i]
		if p.Order.Version != o.Version+1 {
			t.Fatalf("order %d: Version %d after SetStatuses, want %d", i, p.Order.Version, o.Version+1)
		}
		same(t, fmt.Sprintf("order %d", i), p.Order, f.reload(o))
		same(t, fmt.Sprintf("order %d's history", i), append([]connect.OrderEvent{createdEvent(o)}, p.Events...), f.history(o))
	}
	must(t, f.s.SetStatuses(f.ctx, scopeOf(c), nil))
}

// testSetStatusesAllOrNothing: a batch in which one change lost its race (or names
// an order that is not there, or not in scope, or one order twice) changes
// nothing at all.
func testSetStatusesAllOrNothing(t *testing.T, f *fixture) {
	c := f.client(f.account())
	stranger := f.client(f.account())
	orders := f.orders(c, connect.StatusSubmitted, 1, 4)
	theirs := f.orders(stranger, connect.StatusSubmitted, 5, 1)[0]
	// Someone else moves order 2 on first.
	must(t, f.set(f.change(orders[2], connect.EventWithdraw, connect.StatusDraft, 6)))
	moved := f.reload(orders[2])
	histories := func() [][]connect.OrderEvent {
		var out [][]connect.OrderEvent
		for _, o := range orders {
			out = append(out, f.history(o))
		}
		return out
	}
	before := histories()
	batch := func() []connect.SetStatusParams {
		var out []connect.SetStatusParams
		for i, o := range orders {
			out = append(out, f.change(o, connect.EventSchedule, connect.StatusScheduled, 10+i))
		}
		return out
	}

	lost := batch()
	wantCode(t, "a batch with a change that lost its race", f.s.SetStatuses(f.ctx, scopeOf(c), lost), connect.Conflict)
	for i, p := range lost {
		if p.Order.Version != orders[i].Version {
			t.Fatalf("a refused batch set order %d's Version to %d", i, p.Order.Version)
		}
	}

	missing := batch()
	missing[2] = f.change(moved, connect.EventSubmit, connect.StatusSubmitted, 20) // this one would apply
	ghost := f.order(c, connect.StatusSubmitted, 21)                               // never stored
	missing = append(missing, f.change(ghost, connect.EventSchedule, connect.StatusScheduled, 22))
	wantCode(t, "a batch naming an unknown order", f.s.SetStatuses(f.ctx, scopeOf(c), missing), connect.NotFound)

	foreign := batch()
	foreign[2] = f.change(moved, connect.EventSubmit, connect.StatusSubmitted, 20)
	p := f.change(theirs, connect.EventSchedule, connect.StatusScheduled, 23)
	// another account's order, in this client's scope
	foreign = append(foreign, p)
	wantCode(t, "a batch naming another tenant's order", f.s.SetStatuses(f.ctx, scopeOf(c), foreign), connect.NotFound)

	twice := batch()
	twice[2] = f.change(moved, connect.EventSubmit, connect.StatusSubmitted, 20)
	twice = append(twice, f.change(moved, connect.EventSubmit, connect.StatusSubmitted, 24))
	wantCode(t, "a batch naming an order twice", f.s.SetStatuses(f.ctx, scopeOf(c), twice), connect.Invalid)

	for i, o := range orders {
		want := o
		if i == 2 {
			want = moved
		}
		same(t, fmt.Sprintf("order %d after refused batches", i), want, f.reload(o))
	}
	same(t, "histories after refused batches", before, histories())
	same(t, "the other tenant's order", theirs, f.reload(theirs))

	// The batch that is right applies whole.
	ok := batch()
	ok[2] = f.change(moved, connect.EventSubmit, connect.StatusSubmitted, 30)
	must(t, f.s.SetStatuses(f.ctx, scopeOf(c), ok))
	for i, p := range ok {
		same(t, fmt.Sprintf("order %d after the batch", i), p.Order, f.reload(orders[i]))
	}
}

// testSetStatusesBatchesRace races overlapping batches: a batch applies whole or
// not at all, two batches over the same order never both apply, and each order's
// history has exactly the events of the batches that applied.
func testSetStatusesBatchesRace(t *testing.T, f *fixture) {
	c := f.client(f.account())
	const n, racers, width = 24, 6, 8
	orders := f.orders(c, connect.StatusSubmitted, 1, n)
	batches := make([][]connect.SetStatusParams, racers)
	for r := range racers {
		for k := range width {
			o := orders[(r*4+k)%n]
			batches[r] = append(batches[r], f.change(o, connect.EventSchedule, connect.StatusScheduled, 100+r))
		}
	}
	errs := make([]error, racers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for r := range racers {
		wg.Go(func() {
			<-start
			errs[r] = f.s.SetStatuses(f.ctx, scopeOf(c), batches[r])
		})
	}
	close(start)
	wg.Wait()
	owner := map[connect.OrderID]int{}
	won := 0
	for r, err := range errs {
		if err != nil {
			wantCode(t, fmt.Sprintf("batch %d", r), err, connect.Conflict)
			continue
		}
		won++
		for _, p := range batches[r] {
			if w, ok := owner[p.Order.ID]; ok {
				t.Fatalf("batches %d and %d both changed order %s", w, r, p.Order.ID)
			}
			owner[p.Order.ID] = r
		}
	}
	if won == 0 {
		t.Fatalf("no batch applied: %v", errs)
	}
	for _, o := range orders {
		got, h := f.reload(o), f.history(o)
		r, changed := owner[o.ID]
		if !changed {
			same(t, "an order no winning batch named", o, got)
			same(t, "its history", []connect.OrderEvent{createdEvent(o)}, h)
			continue
		}
		i := slices.IndexFunc(batches[r], func(p connect.SetStatusParams) bool { return p.Order.ID == o.ID })
		same(t, "an order a winning batch named", batches[r][i].Order, got)
		same(t, "its history", []connect.OrderEvent{createdEvent(o), batches[r][i].Events[0]}, h)
	}
}

// testOrdersByID reads the scope's orders among ids and leaves out the rest.
func testOrdersByID(t *testing.T, f *fixture) {
	c := f.client(f.account())
	sibling := f.client(c.Account)
	stranger := f.client(f.account())
	mine := f.orders(c, connect.StatusSubmitted, 1, 3)
	theirs := f.orders(sibling, connect.StatusSubmitted, 5, 1)
	far := f.orders(stranger, connect.StatusSubmitted, 6, 1)
	all := slices.Concat(mine, theirs, far)
	ask := append(ids(all), mine[0].ID, "no-such-order")

	byID := func(sc connect.Scope) []*connect.Order {
		t.Helper()
		got, err := f.s.OrdersByID(f.ctx, sc, ask)
		must(t, err)
		sort.Slice(got, func(i, j int) bool { return got[i].ID < got[j].ID })
		return got
	}
	sorted := func(os ...*connect.Order) []*connect.Order {
		out := slices.Clone(os)
		sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
		return out
	}
	same(t, "the client's orders", sorted(mine...), byID(scopeOf(c)))
	same(t, "the account's orders", sorted(slices.Concat(mine, theirs)...), byID(connect.Scope{Account: c.Account}))
	same(t, "another account's", sorted(far...), byID(connect.Scope{Account: stranger.Account}))
	none, err := f.s.OrdersByID(f.ctx, scopeOf(c), nil)
	must(t, err)
	if len(none) != 0 {
		t.Fatalf("OrdersByID of no ids: %v", none)
	}
}

// testRecordHostEvents: the first time an id is recorded it is fresh, after that a
// replay, in the account only.
func testRecordHostEvents(t *testing.T, f *fixture) {
	a, b := f.account(), f.account()
	e1, e2, e3 := f.id("ev"), f.id("ev"), f.id("ev")
	fresh := func(account connect.AccountID, ids ...string) []string {
		t.Helper()
		got, err := f.s.RecordHostEvents(f.ctx, connect.Scope{Account: account}, ids)
		must(t, err)
		slices.Sort(got)
		return got
	}
	sortedOf := func(s ...string) []string { slices.Sort(s); return s }
	same(t, "first batch", sortedOf(e1, e2), fresh(a, e1, e2, e1))
	same(t, "second batch", []string{e3}, fresh(a, e1, e3, e2))
	same(t, "a replayed batch", []string(nil), fresh(a, e1, e2, e3))
	same(t, "the same ids in another account", sortedOf(e1, e2, e3), fresh(b, e3, e2, e1))
	same(t, "no ids", []string(nil), fresh(a))

	// Many at once: more than any one statement's batch.
	var many []string
	for range 2500 {
		many = append(many, f.id("ev"))
	}
	if got := fresh(a, many...); len(got) != len(many) {
		t.Fatalf("%d of %d new ids fresh", len(got), len(many))
	}
	if got := fresh(a, many...); len(got) != 0 {
		t.Fatalf("%d replays reported fresh", len(got))
	}

	// Racing recorders: each id is fresh for exactly one.
	race := []string{f.id("ev"), f.id("ev"), f.id("ev"), f.id("ev")}
	const racers = 8
	got := make([][]string, racers)
	var wg sync.WaitGroup
	for r := range racers {
		wg.Go(func() {
			g, err := f.s.RecordHostEvents(f.ctx, connect.Scope{Account: a}, race)
			if err != nil {
				t.Error(err)
			}
			got[r] = g
		})
	}
	wg.Wait()
	var all []string
	for _, g := range got {
		all = append(all, g...)
	}
	same(t, "ids fresh across racers", sortedOf(race...), sortedOf(all...))
}

// testClaimHostEvents reads the orders the events name within the scope, as
// OrdersByID does, and records the ids of the events whose order it found, as
// RecordHostEvents does: an event of an order outside the scope (another
// client's, another account's, none) is not recorded, so it is fresh once
// claimed where its order is.
func testClaimHostEvents(t *testing.T, f *fixture) {
	c := f.client(f.account())
	sibling := f.client(c.Account)
	stranger := f.client(f.account())
	mine := f.orders(c, connect.StatusSubmitted, 1, 3)
	theirs := f.orders(sibling, connect.StatusSubmitted, 5, 1)
	far := f.orders(stranger, connect.StatusSubmitted, 6, 1)
	ev := func(o connect.OrderID) connect.HostEvent { return connect.HostEvent{ID: f.id("ev"), Order: o} }
	e0, e0b, e1, e2 := ev(mine[0].ID), ev(mine[0].ID), ev(mine[1].ID), ev(mine[2].ID)
	sibEv, farEv, noneEv := ev(theirs[0].ID), ev(far[0].ID), ev("no-such-order")
	claim := func(sc connect.Scope, events ...connect.HostEvent) ([]connect.OrderID, []string) {
		t.Helper()
		orders, fresh, err := f.s.ClaimHostEvents(f.ctx, sc, events)
		must(t, err)
		got := ids(orders)
		slices.Sort(got)
		slices.Sort(fresh)
		return got, fresh
	}
	sortedOf := func(s ...string) []string { slices.Sort(s); return s }
	sortedIDs := func(s ...connect.OrderID) []connect.OrderID { slices.Sort(s); return s }

	orders, fresh := claim(scopeOf(c), e0, e1, sibEv, farEv, noneEv, e0b, e0)
	same(t, "the client's orders", sortedIDs(mine[0].ID, mine[1].ID), orders)
	same(t, "the ids of its events, each once", sortedOf(e0.ID, e0b.ID, e1.ID), fresh)
	orders, fresh = claim(scopeOf(c), e0, e1, e2)
	same(t, "the orders of a batch sent again", sortedIDs(mine[0].ID, mine[1].ID, mine[2].ID), orders)
	same(t, "only its new event fresh", []string{e2.ID}, fresh)
	// The sibling's event was not recorded: claimed by the account, it is fresh.
	orders, fresh = claim(connect.Scope{Account: c.Account}, sibEv, e0)
	same(t, "the account's orders", sortedIDs(mine[0].ID, theirs[0].ID), orders)
	same(t, "the event first claimed outside its scope", []string{sibEv.ID}, fresh)
	orders, fresh = claim(connect.Scope{Account: stranger.Account}, farEv, e0)
	same(t, "another account's orders", []connect.OrderID{far[0].ID}, orders)
	same(t, "another account's event", []string{farEv.ID}, fresh)
	orders, fresh = claim(scopeOf(c))
	if len(orders)+len(fresh) != 0 {
		t.Fatalf("claiming no events: %v, %v", orders, fresh)
	}
	// What it recorded, RecordHostEvents sees as replays.
	again, err := f.s.RecordHostEvents(f.ctx, connect.Scope{Account: c.Account}, []string{e0.ID, e2.ID, sibEv.ID})
	must(t, err)
	same(t, "claimed ids recorded", []string(nil), again)
	// An order read by a claim has its route state as stored (a route, an
	// ETA, a proof, the time of its last route event), whatever else a Store
	// reads.
	o := mine[2]
	for i, to := range []connect.Status{connect.StatusScheduled, connect.StatusEnRoute, connect.StatusDelivered} {
		p := f.change(o, connect.EventComplete, to, 10+i)
		p.Order.RouteEventAt = f.at(20 + i)
		must(t, f.set(p))
		o = p.Order
	}
	stored, err := f.s.OrdersByID(f.ctx, scopeOf(c), []connect.OrderID{o.ID})
	must(t, err)
	got, _, err := f.s.ClaimHostEvents(f.ctx, scopeOf(c), []connect.HostEvent{ev(o.ID)})
	must(t, err)
	if len(got) != 1 || len(stored) != 1 || stored[0].Proof == nil || stored[0].ETA.IsZero() || stored[0].Route.RouteID == "" {
		t.Fatalf("claimed %v, stored %v: want the order delivered on its route", got, stored)
	}
	same(t, "the order's route state", routeState(stored[0]), routeState(got[0]))
}

// routeState is the part of an order that ClaimHostEvents must read.
func routeState(o *connect.Order) *connect.Order {
	return &connect.Order{ID: o.ID, Account: o.Account, Client: o.Client, OrderInput: connect.OrderInput{Ref: o.Ref},
		Source: o.Source, Shopify: o.Shopify, Depot: o.Depot, Status: o.Status, Version: o.Version, Route: o.Route,
		ETA: o.ETA, FailureReason: o.FailureReason, Proof: o.Proof, RouteEventAt: o.RouteEventAt,
		CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt, SubmittedAt: o.SubmittedAt}
}

// testForgetHostEvents: ids recorded before the time are forgotten (a replay of
// one is then fresh again); later ones are kept.
func testForgetHostEvents(t *testing.T, f *fixture) {
	a := f.account()
	e1, e2 := f.id("ev"), f.id("ev")
	_, err := f.s.RecordHostEvents(f.ctx, connect.Scope{Account: a}, []string{e1, e2})
	must(t, err)
	n, err := f.s.ForgetHostEventsAnyAccount(f.ctx, time.Now().Add(-time.Hour))
	must(t, err)
	same(t, "ids forgotten from before they were recorded", 0, n)
	n, err = f.s.ForgetHostEventsAnyAccount(f.ctx, time.Now().Add(time.Second))
	must(t, err)
	same(t, "ids forgotten from after they were recorded", 2, n)
	fresh, err := f.s.RecordHostEvents(f.ctx, connect.Scope{Account: a}, []string{e1})
	must(t, err)
	same(t, "a forgotten id recorded again", []string{e1}, fresh)
}
