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
type routeSync struct {
	log  *slog.Logger
	mu   sync.Mutex
	seen map[string]bool // idempotency keys already applied
	// stops is what the host believes is routable, by order.
	stops map[connect.OrderID]connect.StopChange
}

var _ connect.RouteSync = (*routeSync)(nil)

func (r *routeSync) SyncStop(ctx context.Context, c connect.StopChange) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.seen == nil {
		r.seen, r.stops = map[string]bool{}, map[connect.OrderID]connect.StopChange{}
	}
	if r.seen[c.Key] {
		return nil // the outbox delivered it again after a crash or timeout
	}
	r.seen[c.Key] = true
	// c.Order is the order as it is now, not when the change happened: a change
	// delivered again after a crash can come after later ones (a withdrawal before
	// the submission it undoes). Following the order's status, not the event, the
	// stop list ends right whatever the order.
	if routable(c.Order.Status) {
		r.stops[c.Order.ID] = c
	} else {
		delete(r.stops, c.Order.ID)
	}
	r.log.InfoContext(ctx, "route sync: stop "+string(c.Event), "order", c.Order.ID, "ref", c.Order.Ref,
		"client", c.Order.Client, "depot", c.Order.Depot, "address", c.Order.Address.Line1)
	return nil
}

// routable reports whether an order at status st belongs in the host's stops.
func routable(st connect.Status) bool {
	return st != connect.StatusDraft && st != connect.StatusCancelled
}

// count returns how many stops the host holds.
func (r *routeSync) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.stops)
}
