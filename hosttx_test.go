package connect_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/dispatchkit/connect"
)

// TestRouteEventsAndStopImportsRunInTheHostsTransaction: a host that moves its
// stops in its own tables applies the matching route events and imports its
// own stops in the same transaction (Store.WithTx, Service.WithStore): rolled
// back, neither its rows nor connect's change; committed, both do, and a
// subscriber hears of the change after the commit.
func TestRouteEventsAndStopImportsRunInTheHostsTransaction(t *testing.T) {
	w := newWorld(t)
	o := w.submitted(1)[0]
	db := w.store.DB()
	if _, err := db.ExecContext(w.ctx, "CREATE TABLE host_moves (order_id TEXT PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	sub, err := w.svc.Subscribe(w.ctx, w.owner, connect.SubscribeParams{})
	if err != nil {
		t.Fatal(err)
	}
	inHostTx := func(commit bool) {
		t.Helper()
		tx, err := db.BeginTx(w.ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		st, err := w.store.WithTx(w.ctx, tx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.ExecContext(w.ctx, "INSERT INTO host_moves (order_id) VALUES (?)", string(o.ID)); err != nil {
			t.Fatal(err)
		}
		svc := w.svc.WithStore(st)
		if res, err := svc.ApplyRouteEvents(w.ctx, connect.AsRouteSync(w.acct), []connect.RouteEvent{ev("tx-sched", o.ID, connect.EventSchedule, 1)}); err != nil || res.Applied != 1 {
			t.Fatalf("route events in the host's transaction: %+v, %v", res, err)
		}
		// 30 stops: more than the PostgreSQL Store sends by COPY, which a host's
		// transaction cannot carry.
		src := &rowsSource{}
		for i := range 30 {
			src.rows = append(src.rows, stopRow(i+2, string(w.client.Number), fmt.Sprintf("%d Host Way", i), fmt.Sprintf("HOST-%d", i)))
		}
		if res, err := svc.ImportStops(w.ctx, w.disp, src, connect.ImportOptions{}); err != nil || res.Imported != 30 {
			t.Fatalf("stop import in the host's transaction: %+v, %v", res, err)
		}
		if commit {
			err = tx.Commit()
		} else {
			err = tx.Rollback()
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	moves := func() int {
		n, err := db.NewSelect().TableExpr("host_moves").Count(w.ctx)
		if err != nil {
			t.Fatal(err)
		}
		return int(n)
	}

	inHostTx(false)
	if got := w.status(o.ID); got.Status != connect.StatusSubmitted || moves() != 0 {
		t.Fatalf("rolled back: order %s, %d host rows; want submitted and none", got.Status, moves())
	}
	active := func() int {
		page, err := w.svc.Orders(w.ctx, w.owner, connect.ListOrdersParams{View: connect.ViewActive, Limit: 500})
		if err != nil {
			t.Fatal(err)
		}
		return len(page.Orders)
	}
	if n := active(); n != 1 {
		t.Fatalf("rolled back: %d active orders, want the 1 before", n)
	}

	inHostTx(true)
	if got := w.status(o.ID); got.Status != connect.StatusScheduled || moves() != 1 || active() != 31 {
		t.Fatalf("committed: order %s, %d host rows, %d active orders; want scheduled, one and 31", got.Status, moves(), active())
	}
	deadline := time.After(20 * time.Second)
	for {
		select {
		case e := <-sub.Events():
			if e.Order == o.ID && e.Event == connect.EventSchedule {
				return
			}
		case <-deadline:
			t.Fatal("the subscriber did not hear of the committed route event within 20 s")
		}
	}
}
