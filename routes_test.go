package connect_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/connecttest"
	"github.com/google/go-cmp/cmp"
	"github.com/shopspring/decimal"
)

var t0 = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func ev(id string, o connect.OrderID, e connect.Event, minute int) connect.RouteEvent {
	re := connect.RouteEvent{ID: id, Order: o, Event: e, At: t0.Add(time.Duration(minute) * time.Minute)}
	switch e {
	case connect.EventSchedule:
		re.Route = connect.RouteStop{RouteID: "route-7", Position: 3}
	case connect.EventStart, connect.EventETA:
		re.ETA = t0.Add(time.Duration(minute+30) * time.Minute)
	case connect.EventFail:
		re.Reason = "nobody home"
	}
	return re
}

func (w *world) route(events ...connect.RouteEvent) *connect.RouteEventsResult {
	w.t.Helper()
	res, err := w.svc.ApplyRouteEvents(w.ctx, connect.AsRouteSync(w.acct), events)
	if err != nil {
		w.t.Fatal(err)
	}
	return res
}

func (w *world) status(id connect.OrderID) *connect.Order {
	w.t.Helper()
	o, err := w.svc.Order(w.ctx, w.owner, id)
	if err != nil {
		w.t.Fatal(err)
	}
	return o
}

func TestRouteEventsDriveTheLifecycle(t *testing.T) {
	w := newWorld(t)
	o := w.submitted(1)[0]
	w.route(ev("e1", o.ID, connect.EventSchedule, 0))
	got := w.status(o.ID)
	if got.Status != connect.StatusScheduled || got.Route.RouteID != "route-7" || got.Route.Position != 3 {
		t.Fatalf("after schedule: %+v", got)
	}
	_, err := w.svc.Withdraw(w.ctx, w.owner, o.ID)
	connecttest.WantCode(t, err, connect.Conflict) // on a route: too late to withdraw
	w.route(ev("e2", o.ID, connect.EventStart, 10))
	if got = w.status(o.ID); got.Status != connect.StatusEnRoute || !got.ETA.Equal(t0.Add(40*time.Minute)) {
		t.Fatalf("after start: %s ETA %v", got.Status, got.ETA)
	}
	w.route(ev("e3", o.ID, connect.EventETA, 20))
	if got = w.status(o.ID); !got.ETA.Equal(t0.Add(50 * time.Minute)) {
		t.Fatalf("ETA not moved: %v", got.ETA)
	}
	proof := &connect.ProofOfDelivery{PhotoURLs: []string{"https://host.example/p/1.jpg"}, SignatureURL: "https://host.example/s/1.png",
		RecipientName: "Ada", Notes: "porch", Latitude: decimal.NewNullDecimal(decimal.RequireFromString("53.8")),
		Longitude: decimal.NewNullDecimal(decimal.RequireFromString("-1.55")), At: t0.Add(45 * time.Minute)}
	done := ev("e4", o.ID, connect.EventComplete, 45)
	done.Proof = proof
	w.route(done)
	got = w.status(o.ID)
	if got.Status != connect.StatusDelivered {
		t.Fatalf("after complete: %s", got.Status)
	}
	if d := cmp.Diff(proof, got.Proof, cmp.Comparer(func(a, b decimal.Decimal) bool { return a.Equal(b) })); d != "" {
		t.Fatalf("proof (-want +got):\n%s", d)
	}
	var steps []string
	for _, h := range got.History {
		steps = append(steps, string(h.Event)+":"+string(h.To))
	}
	want := []string{"create:draft", "submit:submitted", "schedule:scheduled", "start:en_route", "eta:en_route", "complete:delivered"}
	if d := cmp.Diff(want, steps); d != "" {
		t.Fatalf("history (-want +got):\n%s", d)
	}
}

func TestReplayedRouteEventsDoNothing(t *testing.T) {
	w := newWorld(t)
	o := w.submitted(1)[0]
	batch := []connect.RouteEvent{ev("e1", o.ID, connect.EventSchedule, 0), ev("e2", o.ID, connect.EventStart, 5)}
	first := w.route(batch...)
	before := w.status(o.ID)
	again := w.route(batch...)
	after := w.status(o.ID)
	if first.Applied != 2 || again.Applied != 0 || again.Replayed != 2 {
		t.Fatalf("first %+v, again %+v", first, again)
	}
	if after.Version != before.Version || len(after.History) != len(before.History) {
		t.Fatal("a replay changed the order")
	}
	// The same id twice in one batch counts once.
	dup := w.route(ev("e3", o.ID, connect.EventETA, 6), ev("e3", o.ID, connect.EventETA, 6))
	if dup.Applied != 1 || dup.Replayed != 1 {
		t.Fatalf("duplicate in batch: %+v", dup)
	}
}

func TestLateEventsNeverMoveAnOrderBackwards(t *testing.T) {
	w := newWorld(t)
	o := w.submitted(1)[0]
	w.route(ev("e1", o.ID, connect.EventSchedule, 0), ev("e2", o.ID, connect.EventStart, 5), ev("e3", o.ID, connect.EventComplete, 30))
	res := w.route(ev("e4", o.ID, connect.EventETA, 40)) // an ETA after delivery
	if res.Stale != 1 || w.status(o.ID).Status != connect.StatusDelivered {
		t.Fatalf("ETA after delivery: %+v, status %s", res, w.status(o.ID).Status)
	}
	// An unschedule that happened before the start arrives after it: ignored by time.
	p := w.submitted(1)[0]
	w.route(ev("p1", p.ID, connect.EventSchedule, 0), ev("p3", p.ID, connect.EventStart, 20))
	res = w.route(ev("p2", p.ID, connect.EventUnschedule, 10))
	if res.Stale != 1 || w.status(p.ID).Status != connect.StatusEnRoute {
		t.Fatalf("late unschedule: %+v, status %s", res, w.status(p.ID).Status)
	}
}

func TestOutOfOrderBatchIsAppliedInTimeOrder(t *testing.T) {
	w := newWorld(t)
	o := w.submitted(1)[0]
	res := w.route(ev("c", o.ID, connect.EventComplete, 30), ev("a", o.ID, connect.EventSchedule, 0), ev("b", o.ID, connect.EventStart, 10))
	if res.Applied != 3 || w.status(o.ID).Status != connect.StatusDelivered {
		t.Fatalf("%+v, status %s", res, w.status(o.ID).Status)
	}
}

func TestALostScheduleIsImpliedByALaterEvent(t *testing.T) {
	w := newWorld(t)
	o := w.submitted(1)[0]
	w.route(ev("x", o.ID, connect.EventComplete, 30))
	got := w.status(o.ID)
	if got.Status != connect.StatusDelivered {
		t.Fatalf("status %s", got.Status)
	}
	var implied []string
	for _, h := range got.History {
		if h.Reason == "implied by complete" {
			implied = append(implied, string(h.Event))
		}
	}
	if d := cmp.Diff([]string{"schedule"}, implied); d != "" {
		t.Fatalf("implied steps (-want +got):\n%s", d)
	}
}

func TestFailedOrderRetriesAndCanBeCancelled(t *testing.T) {
	w := newWorld(t)
	o := w.submitted(1)[0]
	w.route(ev("1", o.ID, connect.EventSchedule, 0), ev("2", o.ID, connect.EventStart, 1), ev("3", o.ID, connect.EventFail, 2))
	got := w.status(o.ID)
	if got.Status != connect.StatusFailed || got.FailureReason != "nobody home" {
		t.Fatalf("failed: %+v", got)
	}
	w.route(ev("4", o.ID, connect.EventRetry, 3))
	if got = w.status(o.ID); got.Status != connect.StatusSubmitted || got.Route.RouteID != "" {
		t.Fatalf("retry: %+v", got)
	}
}

func TestRouteEventsReportBadEventsAndForeignOrders(t *testing.T) {
	w := newWorld(t)
	o := w.submitted(1)[0]
	otherClient, otherOwner := w.signUpClient(w.disp, "Other", connect.ClientSettings{AllowUpload: true})
	_ = otherClient
	theirs := w.draft(otherOwner, "THEIRS")
	res := w.route(
		connect.RouteEvent{ID: "bad", Order: o.ID, Event: connect.EventSubmit, At: t0},
		connect.RouteEvent{ID: "noeta", Order: o.ID, Event: connect.EventStart, At: t0},
		ev("ghost", "no-such-order", connect.EventSchedule, 0),
		ev("ok", o.ID, connect.EventSchedule, 0),
		ev("theirs", theirs.ID, connect.EventSchedule, 0), // a draft: stale, never scheduled
	)
	if res.Applied != 1 || len(res.Errors) != 3 || res.Stale != 1 {
		t.Fatalf("result %+v", res)
	}
	// Another account's host reaches nothing.
	other, err := w.svc.ApplyRouteEvents(w.ctx, connect.AsRouteSync("acct-2"), []connect.RouteEvent{ev("x", o.ID, connect.EventStart, 5)})
	if err != nil || other.Applied != 0 || len(other.Errors) != 1 || connect.ErrorCode(other.Errors[0].Err) != connect.NotFound {
		t.Fatalf("other account: %+v, %v", other, err)
	}
	if w.status(o.ID).Status != connect.StatusScheduled {
		t.Fatal("another account's event changed the order")
	}
	// A refused event's id is not spent: sent again for the right order, it applies.
	again := w.route(ev("ghost", o.ID, connect.EventStart, 4))
	if again.Applied != 1 || again.Replayed != 0 || w.status(o.ID).Status != connect.StatusEnRoute {
		t.Fatalf("the ghost event sent again for a real order: %+v, order %s", again, w.status(o.ID).Status)
	}
	// A host passing its dispatcher's actor is told which actor reports them.
	_, err = w.svc.ApplyRouteEvents(w.ctx, w.disp, nil)
	connecttest.WantCode(t, err, connect.Forbidden, "a dispatcher cannot report route events", "connect.AsRouteSync(account)")
	_, err = w.svc.ApplyRouteEvents(w.ctx, w.owner, nil)
	connecttest.WantCode(t, err, connect.Forbidden)
}

func TestWithdrawRacesScheduleThroughTheService(t *testing.T) {
	w := newWorld(t)
	orders := w.submitted(20)
	for i, o := range orders {
		withdrew := make(chan error, 1)
		scheduled := make(chan *connect.RouteEventsResult, 1)
		go func() {
			_, err := w.svc.Withdraw(w.ctx, w.owner, o.ID)
			withdrew <- err
		}()
		go func() {
			res, err := w.svc.ApplyRouteEvents(w.ctx, connect.AsRouteSync(w.acct), []connect.RouteEvent{ev(fmt.Sprint("s", i), o.ID, connect.EventSchedule, i)})
			if err != nil {
				t.Error(err)
			}
			scheduled <- res
		}()
		werr, res := <-withdrew, <-scheduled
		got := w.status(o.ID)
		switch {
		case werr == nil && res.Applied == 0 && got.Status == connect.StatusDraft:
		case werr != nil && res.Applied == 1 && got.Status == connect.StatusScheduled:
			connecttest.WantCode(t, werr, connect.Conflict)
		default:
			t.Fatalf("order %d: withdraw %v, schedule %+v, status %s", i, werr, res, got.Status)
		}
	}
}

func TestUnassignedStopsByDepotAndMoves(t *testing.T) {
	w := newWorld(t)
	orders := w.submitted(3)
	stops, next, err := w.svc.UnassignedStops(w.ctx, w.disp, "north", "", 2)
	if err != nil || len(stops) != 2 || next == "" {
		t.Fatalf("page 1: %d stops, next %q, %v", len(stops), next, err)
	}
	if stops[0].ClientName != "Green Grocer" || stops[0].ClientNumber != w.client.Number {
		t.Fatalf("stop %+v", stops[0])
	}
	moved, err := w.svc.MoveToDepot(w.ctx, w.disp, orders[0].ID, "south")
	if err != nil || moved.Depot != "south" {
		t.Fatalf("move: %+v, %v", moved, err)
	}
	south, _, _ := w.svc.UnassignedStops(w.ctx, w.disp, "south", "", 10)
	north, _, _ := w.svc.UnassignedStops(w.ctx, w.disp, "north", "", 10)
	if len(south) != 1 || len(north) != 2 {
		t.Fatalf("south %d, north %d", len(south), len(north))
	}
	_, _, err = w.svc.UnassignedStops(w.ctx, w.owner, "", "", 10)
	connecttest.WantCode(t, err, connect.Forbidden)
	_, err = w.svc.MoveToDepot(w.ctx, connect.AsDispatcher("acct-2", "eve"), orders[1].ID, "south")
	connecttest.WantCode(t, err, connect.NotFound)
}
