package connect_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/dispatchkit/connect"
)

// A month's statement counts the orders created in it (drafts left out) by
// status and by depot, the on-time rate of its deliveries and its failures by
// reason, in the time zone asked: an order created at 23:30 UTC on the last
// day is the next month's in Paris. The dispatcher gets the same.
func TestStatementCountsAMonthByStatusDepotAndReason(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	at := func(day, hour int) { w.Clock.Set(time.Date(2026, 10, day, hour, 0, 0, 0, time.UTC)) }
	mk := func(s connect.Status, ref string) *connect.Order {
		return w.OrderFrom(w.owner, s, connect.OrderInput{Ref: ref, Address: connect.Address{Line1: "1 High St"}})
	}
	w.Clock.Set(time.Date(2026, 9, 30, 12, 0, 0, 0, time.UTC)) // September: not counted
	mk(connect.StatusDelivered, "SEP")
	at(2, 9)
	mk(connect.StatusDelivered, "D1")
	mk(connect.StatusDelivered, "D2")
	mk(connect.StatusFailed, "F1")
	mk(connect.StatusSubmitted, "S1")
	mk(connect.StatusDraft, "DRAFT") // never submitted: not counted
	south := mk(connect.StatusSubmitted, "S2")
	if _, err := w.svc.MoveToDepot(w.ctx, w.disp, south.ID, "south"); err != nil {
		t.Fatal(err)
	}
	w.Clock.Set(time.Date(2026, 10, 31, 23, 30, 0, 0, time.UTC)) // 1 November in Paris
	mk(connect.StatusFailed, "NOV")

	st, err := w.svc.Statement(w.ctx, w.owner, connect.StatementParams{Month: time.Date(2026, 10, 15, 0, 0, 0, 0, paris), Location: paris})
	if err != nil {
		t.Fatal(err)
	}
	want := &connect.Statement{Client: w.client.ID, ClientName: "Green Grocer", ClientNumber: w.client.Number,
		From: time.Date(2026, 10, 1, 0, 0, 0, 0, paris), To: time.Date(2026, 11, 1, 0, 0, 0, 0, paris),
		Orders: 5, Counts: connect.StatusCounts{connect.StatusDelivered: 2, connect.StatusFailed: 1, connect.StatusSubmitted: 2},
		OnTime: 2, WithETA: 2, Failures: []connect.FailureCount{{Reason: "nobody home", Count: 1}},
		Depots: []connect.DepotStatement{
			{Depot: "north", Orders: 4, Counts: connect.StatusCounts{connect.StatusDelivered: 2, connect.StatusFailed: 1, connect.StatusSubmitted: 1},
				OnTime: 2, WithETA: 2, Failures: []connect.FailureCount{{Reason: "nobody home", Count: 1}}},
			{Depot: "south", Orders: 1, Counts: connect.StatusCounts{connect.StatusSubmitted: 1}},
		}}
	opts := cmp.Options{cmpopts.IgnoreFields(connect.Statement{}, "ClientNumber"), cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })}
	if d := cmp.Diff(want, st, opts); d != "" {
		t.Fatalf("statement (-want +got):\n%s", d)
	}
	if st.OnTimeRate() != 1 {
		t.Fatalf("on-time rate %v", st.OnTimeRate())
	}
	// In UTC, the 23:30 order is October's.
	utc, err := w.svc.Statement(w.ctx, w.owner, connect.StatementParams{Month: time.Date(2026, 10, 15, 0, 0, 0, 0, time.UTC)})
	if err != nil || utc.Orders != 6 || utc.Counts[connect.StatusFailed] != 2 {
		t.Fatalf("UTC statement: %+v, %v", utc, err)
	}
	// The dispatcher names the client; without one, it is refused.
	d, err := w.svc.Statement(w.ctx, w.disp, connect.StatementParams{Client: w.client.ID, Month: want.From, Location: paris})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(st, d, opts); diff != "" {
		t.Fatalf("the dispatcher's statement differs (-member +dispatcher):\n%s", diff)
	}
	_, err = w.svc.Statement(w.ctx, w.disp, connect.StatementParams{Month: want.From})
	wantCode(t, err, connect.Invalid)
}
