package connect

import (
	"context"
)

// OutboxView selects the outbox entries a dispatcher looks at (Service.Outbox).
type OutboxView string

// The outbox views.
const (
	// OutboxViewProblems is the entries that need a look: pending ones whose
	// last delivery failed (being retried) and dead ones. The default.
	OutboxViewProblems  OutboxView = "problems"
	OutboxViewPending   OutboxView = "pending"   // every entry still to deliver
	OutboxViewDead      OutboxView = "dead"      // retries ran out
	OutboxViewDone      OutboxView = "done"      // delivered (until the retention purges them)
	OutboxViewDiscarded OutboxView = "discarded" // given up by a dispatcher
)

// query is the Store query of the view.
func (v OutboxView) query() (OutboxQuery, error) {
	switch v {
	case "", OutboxViewProblems:
		return OutboxQuery{States: []OutboxState{OutboxPending, OutboxDead}, Failed: true}, nil
	case OutboxViewPending:
		return OutboxQuery{States: []OutboxState{OutboxPending}}, nil
	case OutboxViewDead:
		return OutboxQuery{States: []OutboxState{OutboxDead}}, nil
	case OutboxViewDone:
		return OutboxQuery{States: []OutboxState{OutboxDone}}, nil
	case OutboxViewDiscarded:
		return OutboxQuery{States: []OutboxState{OutboxDiscarded}}, nil
	}
	return OutboxQuery{}, InvalidFields([]FieldError{{Field: "view", Reason: "must be problems, pending, dead, done or discarded"}})
}

// ListOutboxParams selects a page of the account's outbox entries.
type ListOutboxParams struct {
	View   OutboxView // "": OutboxViewProblems
	Cursor string     // the previous page's OutboxPage.Next; "" for the first
	Limit  int        // page size; 0: 50, at most 500
}

// OutboxPage is a page of outbox entries, newest first.
type OutboxPage struct {
	Entries []OutboxEntry
	Next    string // the cursor of the next page; "" when this is the last
}

// Outbox lists the account's outbox entries (its deliveries to the RouteSync
// and to Shopify) that the view selects, newest first, each with its state,
// attempts, next try and last error: what a dispatcher looks at when a stop did
// not reach the routes or a Shopify order was not fulfilled. Dispatchers and the
// host may list; members may not. Errors: ErrForbidden; ErrInvalid for an
// unknown view or a bad cursor.
func (s *Service) Outbox(ctx context.Context, a Actor, p ListOutboxParams) (*OutboxPage, error) {
	c, err := s.authorizeRead(ctx, a, actOperateOutbox)
	if err != nil {
		return nil, err
	}
	q, err := p.View.query()
	if err != nil {
		return nil, err
	}
	if p.Cursor != "" {
		cur, err := DecodeCursor(p.Cursor)
		if err != nil {
			return nil, err
		}
		q.Before = &OutboxCursor{CreatedAt: cur.CreatedAt, ID: string(cur.ID)}
	}
	limit := p.Limit
	if limit <= 0 {
		limit = 50
	}
	q.Limit = min(limit, 500) + 1 // one more: is there a next page?
	entries, err := s.store.OutboxEntries(ctx, Scope{Account: c.Account}, q)
	if err != nil {
		return nil, err
	}
	page := &OutboxPage{Entries: entries}
	if len(entries) == q.Limit {
		page.Entries = entries[:q.Limit-1]
		last := page.Entries[len(page.Entries)-1]
		page.Next = OrderCursor{CreatedAt: last.CreatedAt, ID: OrderID(last.ID)}.Encode()
	}
	return page, nil
}

// RetryOutbox delivers a dead entry of the account again, or a failing one now
// instead of at its next try, with a fresh set of retries. Errors: ErrForbidden;
// ErrNotFound; ErrConflict when it was delivered or discarded, or is being
// delivered right now.
func (s *Service) RetryOutbox(ctx context.Context, a Actor, id string) error {
	c, err := s.authorize(ctx, a, actOperateOutbox)
	if err != nil {
		return err
	}
	if err := s.store.RequeueOutbox(ctx, Scope{Account: c.Account}, RequeueOutboxParams{ID: id, Now: s.clock()}); err != nil {
		return err
	}
	s.log.InfoContext(ctx, "outbox: entry retried", "account", c.Account, "entry", id, "by", c.User)
	s.outboxWorkers.Wake() // this process's workers deliver it now; others at their next poll
	return nil
}

// DiscardOutbox gives up a dead or pending entry of the account: it is never
// delivered (the order stays as it is; a stop the host never got must then be
// handled by hand), and what it carried (a sealed mail) is deleted. Errors: ErrForbidden; ErrNotFound; ErrConflict when it was
// delivered, or is being delivered right now.
func (s *Service) DiscardOutbox(ctx context.Context, a Actor, id string) error {
	c, err := s.authorize(ctx, a, actOperateOutbox)
	if err != nil {
		return err
	}
	if err := s.store.DiscardOutbox(ctx, Scope{Account: c.Account}, id, s.clock()); err != nil {
		return err
	}
	s.log.InfoContext(ctx, "outbox: entry discarded", "account", c.Account, "entry", id, "by", c.User)
	return nil
}
