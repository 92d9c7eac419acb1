package main

import (
	"context"
	"log/slog"
	"sync"

	"github.com/dispatchkit/connect"
)

// routeSync is the demo host's side of the stop list: it keeps the stops connect
// tells it about in memory and logs them. A real host would add them to its own
// unassigned stops; the demo's route builder reads them back from the Service.
// It meets RouteSync's contract as connecttest.StopList shows (and
// connecttest.RunRouteSync checks, in routesync_test.go).
type routeSync struct {
	log *slog.Logger
	mu  sync.Mutex
	// orders holds, per order, the newest version the host was told about: a
	// stop, or a tombstone once withdrawn or cancelled, so that a change
	// delivered late (a submission after the withdrawal that undid it) is not
	// applied.
	orders map[connect.OrderID]*connect.Order
}

var _ connect.RouteSync = (*routeSync)(nil)

func (r *routeSync) SyncStop(ctx context.Context, c connect.StopChange) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.orders == nil {
		r.orders = map[connect.OrderID]*connect.Order{}
	}
	// c.Order is the order as it is when the change is delivered, not when it
	// happened: following its Version and Status, not c.Event, the stop list
	// ends right whatever the order of delivery. A replay (same Key) carries no
	// newer version, so it is ignored too.
	if held, ok := r.orders[c.Order.ID]; ok && held.Version >= c.Order.Version {
		return nil
	}
	o := *c.Order
	r.orders[o.ID] = &o
	r.log.InfoContext(ctx, "route sync: stop "+string(c.Event), "order", o.ID, "ref", o.Ref, "version", o.Version,
		"stop", o.Status.InStopList(), "client", o.Client, "depot", o.Depot, "address", o.Address.Line1)
	return nil
}

// Routable reports whether the host holds the order as a stop.
func (r *routeSync) Routable(_ context.Context, id connect.OrderID) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	o, ok := r.orders[id]
	return ok && o.Status.InStopList(), nil
}

// count returns how many stops the host holds.
func (r *routeSync) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, o := range r.orders {
		if o.Status.InStopList() {
			n++
		}
	}
	return n
}
