package connect

import (
	"context"
	"time"
)

// OrderStatsParams picks what OrderStats counts.
type OrderStatsParams struct {
	// Client narrows a dispatcher's counts to one client; a team member always
	// counts its own client's.
	Client ClientID
	// Since starts the on-time window; zero means 30 days ago.
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
	c, err := s.authorize(ctx, a, actViewOrders)
	if err != nil {
		return nil, err
	}
	scope := c.scope()
	if c.Kind == ActorDispatcher {
		scope.Client = p.Client
	}
	out := &OrderStats{Counts: StatusCounts{}, Since: p.Since}
	if out.Since.IsZero() {
		out.Since = s.clock().Add(-onTimeWindow)
	}
	counts, err := s.store.CountOrders(ctx, scope)
	if err != nil {
		return nil, err
	}
	for _, byStatus := range counts {
		for st, n := range byStatus {
			out.Counts[st] += n
		}
	}
	if out.OnTime, out.WithETA, err = s.store.CountOnTime(ctx, scope, out.Since); err != nil {
		return nil, err
	}
	return out, nil
}
