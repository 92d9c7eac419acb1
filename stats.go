package connect

import (
	"context"
	"maps"
	"time"
)

// OrderStatsParams picks what OrderStats counts.
type OrderStatsParams struct {
	// Client narrows a dispatcher's counts to one client; a team member always
	// counts its own client's.
	Client ClientID
	// Since starts the on-time window; zero means 30 days ago. Callers of one
	// scope asking for the default window share one count until a commit
	// touches the scope; a Since taken from the caller's clock differs on every
	// call, and is counted afresh each time.
	Since time.Time
}

// OrderStats is a portal's home page: orders by status and how punctual
// deliveries were.
type OrderStats struct {
	Counts StatusCounts
	// Since is the start of the on-time window.
	Since time.Time
	// OnTime of the WithETA orders delivered since Since (with an ETA) were
	// delivered at or before it; the time of delivery is that of the host's
	// stop-completed event.
	OnTime, WithETA int
}

// onTimeWindow is the default on-time window.
const onTimeWindow = 30 * 24 * time.Hour

// OrderStats counts the caller's orders by status (a member: its client's; a
// dispatcher: its account's, or one client's) and their on-time deliveries. The
// counts come from the Store in two queries, whatever the number of orders.
// Errors: ErrForbidden.
func (s *Service) OrderStats(ctx context.Context, a Actor, p OrderStatsParams) (*OrderStats, error) {
	c, err := s.authorizeRead(ctx, a, actViewOrders)
	if err != nil {
		return nil, err
	}
	scope := c.scope()
	if c.Kind == ActorDispatcher {
		scope.Client = p.Client
	}
	since := p.Since
	if since.IsZero() {
		since = s.clock().Add(-onTimeWindow)
	}
	// The counts are kept until a commit touches the scope (live.Memo): homes are
	// loaded far more often than orders change.
	s.relay.Start() // other processes' commits, too, must move the scope's version
	v, err := s.stats.Get(ctx, liveScope(scope), p.Since.UTC().Format(time.RFC3339Nano), func(ctx context.Context) (*OrderStats, error) {
		return s.countOrders(ctx, scope, since)
	})
	if err != nil {
		return nil, err
	}
	out := *v
	out.Counts = maps.Clone(out.Counts)
	return &out, nil
}

// countOrders reads a scope's counts from the Store.
func (s *Service) countOrders(ctx context.Context, scope Scope, since time.Time) (*OrderStats, error) {
	out := &OrderStats{Counts: StatusCounts{}, Since: since}
	counts, err := s.store.CountOrders(ctx, scope)
	if err != nil {
		return nil, err
	}
	for _, byStatus := range counts {
		for st, n := range byStatus {
			out.Counts[st] += n
		}
	}
	if out.OnTime, out.WithETA, err = s.store.CountOnTime(ctx, scope, since); err != nil {
		return nil, err
	}
	return out, nil
}
