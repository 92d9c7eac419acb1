package storagetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/dispatchkit/connect"
)

// change returns the SetStatusParams of o by event e to status to, as the core makes it:
// the new state in a copy of o, and its history event.
func (f *fixture) change(o *connect.Order, e connect.Event, to connect.Status, n int) connect.SetStatusParams {
	next := *o
	next.Status, next.UpdatedAt = to, f.at(n)
	switch to {
	case connect.StatusScheduled:
		next.Route = connect.RouteStop{RouteID: "route-" + string(e), Position: n}
	case connect.StatusEnRoute:
		next.ETA = f.at(n + 3600)
	case connect.StatusDelivered:
		next.Proof = &connect.ProofOfDelivery{PhotoURLs: []string{"https://p.example/1.jpg"},
			RecipientName: "Pat", Latitude: dec("-41.2865"), Longitude: dec("174.7762"), At: f.at(n)}
	case connect.StatusFailed:
		next.FailureReason = "nobody home"
	case connect.StatusDraft:
		next.SubmittedAt = time.Time{}
	case connect.StatusSubmitted:
		next.SubmittedAt, next.Depot = f.at(n), "depot-9"
	}
	return connect.SetStatusParams{
		From: o.Status, Version: o.Version, Order: &next,
		Events: []connect.OrderEvent{{Order: o.ID, Account: o.Account, Client: o.Client, Event: e, From: o.Status,
			To: to, At: f.at(n), By: "route sync", ETA: next.ETA, Reason: "because " + string(e)}},
	}
}

// set applies one change.
func (f *fixture) set(p connect.SetStatusParams) error {
	return f.s.SetStatuses(f.ctx, orderScope(p.Order), []connect.SetStatusParams{p})
}

func orderScope(o *connect.Order) connect.Scope {
	return connect.Scope{Account: o.Account, Client: o.Client}
}

func testLifecycle(t *testing.T, f *fixture) {
	c := f.client(f.account())
	kinds := []connect.ActorKind{connect.ActorMember, connect.ActorDispatcher, connect.ActorRouteSync}
	walked := 0
	for _, e := range connect.Events() {
		for _, from := range connect.Statuses() {
			var to connect.Status
			for _, k := range kinds {
				if next, err := connect.Next(from, e, k); err == nil {
					to = next
					break
				}
			}
			if to == "" {
				continue
			}
			t.Run(fmt.Sprintf("%s from %s", e, from), func(t *testing.T) {
				o := f.order(c, from, 1)
				f.store(o)
				p := f.change(o, e, to, 2)
				must(t, f.set(p))
				if p.Order.Version != o.Version+1 {
					t.Fatalf("Version after SetStatus = %d, want %d", p.Order.Version, o.Version+1)
				}
				same(t, "order", p.Order, f.reload(o))
				same(t, "history", []connect.OrderEvent{createdEvent(o), p.Events[0]}, f.history(o))

				// The same change again: the order moved on.
				again := f.change(o, e, to, 3)
				wantCode(t, "SetStatus at the old version", f.set(again), connect.Conflict)
				same(t, "order after a refused change", p.Order, f.reload(o))
				if h := f.history(o); len(h) != 2 {
					t.Fatalf("a refused change wrote history: %v", h)
				}
			})
			walked++
		}
	}
	if walked < 10 {
		t.Fatalf("walked %d transitions; the table has more", walked)
	}
}

func testSetStatusStale(t *testing.T, f *fixture) {
	c := f.client(f.account())
	o := f.order(c, connect.StatusSubmitted, 1)
	f.store(o)

	wrongFrom := f.change(o, connect.EventStart, connect.StatusEnRoute, 2)
	wrongFrom.From = connect.StatusScheduled
	wantCode(t, "SetStatus from a status the order is not at", f.set(wrongFrom), connect.Conflict)

	wrongVersion := f.change(o, connect.EventSchedule, connect.StatusScheduled, 2)
	wrongVersion.Version = 7
	wantCode(t, "SetStatus at a version the order is not at", f.set(wrongVersion), connect.Conflict)
	if wrongVersion.Order.Version != o.Version {
		t.Fatalf("a refused SetStatus set Version to %d", wrongVersion.Order.Version)
	}

	missing := f.change(f.order(c, connect.StatusSubmitted, 1), connect.EventSchedule, connect.StatusScheduled, 2)
	wantCode(t, "SetStatus of an unknown order", f.set(missing), connect.NotFound)

	same(t, "order after refused changes", o, f.reload(o))
	same(t, "history after refused changes", []connect.OrderEvent{createdEvent(o)}, f.history(o))
}

// testWithdrawRace races a member withdrawing orders against the host scheduling
// them: for each order, exactly one wins, the others get ErrConflict, the version
// moves by one and one history event is added.
func testWithdrawRace(t *testing.T, f *fixture) {
	c := f.client(f.account())
	const orders, racers = 20, 20
	for i := range orders {
		o := f.order(c, connect.StatusSubmitted, i)
		f.store(o)
		start := make(chan struct{})
		errs := make([]error, racers)
		params := make([]connect.SetStatusParams, racers)
		for r := range racers {
			if r%2 == 0 {
				params[r] = f.change(o, connect.EventWithdraw, connect.StatusDraft, 100+r)
			} else {
				params[r] = f.change(o, connect.EventSchedule, connect.StatusScheduled, 100+r)
			}
		}
		var wg sync.WaitGroup
		for r := range racers {
			wg.Go(func() {
				<-start
				errs[r] = f.set(params[r])
			})
		}
		close(start)
		wg.Wait()
		winner := -1
		for r, err := range errs {
			if err == nil {
				if winner >= 0 {
					t.Fatalf("order %d: racers %d and %d both won", i, winner, r)
				}
				winner = r
				continue
			}
			wantCode(t, fmt.Sprintf("order %d: a losing racer", i), err, connect.Conflict)
		}
		if winner < 0 {
			t.Fatalf("order %d: nobody won: %v", i, errs)
		}
		got := f.reload(o)
		same(t, fmt.Sprintf("order %d after the race", i), params[winner].Order, got)
		if got.Version != o.Version+1 {
			t.Fatalf("order %d: Version %d after the race, want %d", i, got.Version, o.Version+1)
		}
		same(t, fmt.Sprintf("order %d's history", i), []connect.OrderEvent{createdEvent(o), params[winner].Events[0]}, f.history(o))
	}
}

func testUpdateDraft(t *testing.T, f *fixture) {
	c := f.client(f.account())
	o := f.order(c, connect.StatusDraft, 1)
	other := f.order(c, connect.StatusDraft, 2)
	sub := f.order(c, connect.StatusSubmitted, 3)
	f.store(o, other, sub)

	stale := *o
	o.Ref, o.Notes, o.Size, o.UpdatedAt = "new-ref", "changed", dec("3.25"), f.at(9)
	o.Address = connect.Address{Line1: "2 Side St", Latitude: dec("1.5")}
	o.Products = []connect.Product{{Name: "box", Quantity: 4}}
	must(t, f.s.UpdateDraft(f.ctx, connect.Scope{Account: o.Account, Client: o.Client}, o))
	if o.Version != 2 {
		t.Fatalf("Version after UpdateDraft = %d, want 2", o.Version)
	}
	same(t, "updated draft", o, f.reload(o))

	stale.Notes = "lost update"
	wantCode(t, "UpdateDraft at a stale version", f.s.UpdateDraft(f.ctx, connect.Scope{Account: stale.Account, Client: stale.Client}, &stale), connect.Conflict)

	taken := *other
	taken.Ref = o.Ref
	err := f.s.UpdateDraft(f.ctx, connect.Scope{Account: taken.Account, Client: taken.Client}, &taken)
	wantCode(t, "UpdateDraft to a taken ref", err, connect.Conflict)
	same(t, "draft after a refused ref", other, f.reload(other))

	notDraft := *sub
	notDraft.Notes = "too late"
	wantCode(t, "UpdateDraft of a submitted order", f.s.UpdateDraft(f.ctx, connect.Scope{Account: notDraft.Account, Client: notDraft.Client}, &notDraft), connect.Conflict)
	same(t, "submitted order", sub, f.reload(sub))

	missing := *o
	missing.ID = connect.OrderID(f.id("or"))
	wantCode(t, "UpdateDraft of an unknown order", f.s.UpdateDraft(f.ctx, connect.Scope{Account: missing.Account, Client: missing.Client}, &missing), connect.NotFound)
}

func testDeleteDraft(t *testing.T, f *fixture) {
	c := f.client(f.account())
	o := f.order(c, connect.StatusDraft, 1)
	sub := f.order(c, connect.StatusSubmitted, 2)
	f.store(o, sub)
	sc := scopeOf(c)

	wantCode(t, "DeleteDraft at a stale version", f.s.DeleteDraft(f.ctx, sc, o.ID, o.Version+1), connect.Conflict)
	wantCode(t, "DeleteDraft of a submitted order", f.s.DeleteDraft(f.ctx, sc, sub.ID, sub.Version), connect.Conflict)
	wantCode(t, "DeleteDraft of an unknown order", f.s.DeleteDraft(f.ctx, sc, connect.OrderID(f.id("or")), 1), connect.NotFound)
	same(t, "submitted order", sub, f.reload(sub))

	must(t, f.s.DeleteDraft(f.ctx, sc, o.ID, o.Version))
	_, err := f.s.Order(f.ctx, sc, o.ID)
	wantCode(t, "deleted draft", err, connect.NotFound)
	if h := f.history(o); len(h) != 0 {
		t.Fatalf("a deleted draft keeps history %v", h)
	}
	wantCode(t, "DeleteDraft again", f.s.DeleteDraft(f.ctx, sc, o.ID, o.Version), connect.NotFound)
	refs, err := f.s.ExistingRefs(f.ctx, sc, []string{o.Ref})
	must(t, err)
	if len(refs) != 0 {
		t.Fatalf("a deleted draft's ref is still used: %v", refs)
	}
	again := f.order(c, connect.StatusDraft, 3)
	again.Ref = o.Ref // a deleted draft's ref can be used again
	f.store(again)
}
