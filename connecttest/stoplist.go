package connecttest

import (
	"cmp"
	"context"
	"slices"
	"sync"

	"github.com/dispatchkit/connect"
)

// StopList is a reference connect.RouteSync: the stop list of a host that meets
// the contract, in memory. A host's own RouteSync can follow it line for line
// with its stops table in place of the map, and check itself with RunRouteSync.
//
// The contract asks a host to follow each change's order as it is when the change
// is delivered (c.Order's Status and Version), not the change's Event: the outbox
// may deliver changes of one order out of order, and again after a crash. So the
// list keeps, per order, the newest Version it was told about, and applies a
// change only when its order is newer. It keeps that Version after the stop is
// gone (a tombstone: a withdrawn or cancelled order), or a submission delivered
// late, after its withdrawal, would bring the stop back.
//
// It is safe for concurrent use; the zero value is ready.
type StopList struct {
	mu     sync.Mutex
	orders map[connect.OrderID]*connect.Order // newest version seen, stops and tombstones
}

var _ connect.RouteSync = (*StopList)(nil)

// SyncStop applies c when its order is newer than the one the list holds.
func (l *StopList) SyncStop(_ context.Context, c connect.StopChange) error {
	if c.Order == nil {
		return connect.Errorf(connect.Invalid, "stop change %q carries no order", c.Key)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.orders == nil {
		l.orders = map[connect.OrderID]*connect.Order{}
	}
	if held, ok := l.orders[c.Order.ID]; ok && held.Version >= c.Order.Version {
		return nil // a replay, or a change overtaken by a newer one
	}
	o := *c.Order
	l.orders[o.ID] = &o
	return nil
}

// Routable reports whether the list holds the order as a stop: submitted, or
// further on (scheduled, en route, delivered, failed), and not withdrawn or
// cancelled since.
func (l *StopList) Routable(_ context.Context, id connect.OrderID) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	o, ok := l.orders[id]
	return ok && o.Status.InStopList(), nil
}

// Stops returns the orders the list holds as stops, by id.
func (l *StopList) Stops() []connect.Order {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []connect.Order
	for _, o := range l.orders {
		if o.Status.InStopList() {
			out = append(out, *o)
		}
	}
	slices.SortFunc(out, func(a, b connect.Order) int { return cmp.Compare(a.ID, b.ID) })
	return out
}
