package connect

import (
	"context"
	"time"
)

// ProofExportParams picks the orders of a bulk proof export.
type ProofExportParams struct {
	// Client is the client a dispatcher exports; a team member always exports
	// its own client's orders.
	Client ClientID
	// From and To bound the orders' creation: at or after From, before To
	// (zero: no bound).
	From, To time.Time
	// IDs, when given, are the orders to export instead (at most
	// MaxLabelOrders); From and To are then ignored.
	IDs []OrderID
	// Progress, when set, is called with the orders read so far (with a proof
	// or not) after each one, on the caller's goroutine.
	Progress func(read int)
}

// MaxProofExport bounds the orders of one bulk proof export.
const MaxProofExport = 10_000

// ProofDocuments calls yield with the proof-of-delivery document of each
// order the export picks that has one (delivered, or failed with a proof),
// newest first, one at a time: a caller writing each out holds one order's
// files at once, whatever the number of orders. It stops at the first error
// yield returns, and after MaxProofExport orders (more reports true). A
// member exports its client's orders; a dispatcher those of the client it
// names. Errors: ErrForbidden; ErrInvalid for a dispatcher naming no client,
// or too many ids; ErrNotFound for an id that is not an order the actor sees.
func (s *Service) ProofDocuments(ctx context.Context, a Actor, p ProofExportParams, yield func(*ProofDocument) error) (more bool, err error) {
	scope, cl, err := s.readClient(ctx, a, p.Client, "whose proofs to export")
	if err != nil {
		return false, err
	}
	read := 0
	one := func(o *Order) error {
		read++
		if p.Progress != nil {
			defer p.Progress(read)
		}
		if o.Status != StatusDelivered && (o.Status != StatusFailed || o.Proof == nil) {
			return nil
		}
		history, err := s.store.History(ctx, scope, o.ID)
		if err != nil {
			return err
		}
		o.History = history
		d, err := s.proofDocument(ctx, o, cl.Name)
		if err != nil {
			return err
		}
		return yield(d)
	}
	if len(p.IDs) > 0 {
		if len(p.IDs) > MaxLabelOrders {
			return false, Errorf(Invalid, "proofs are exported for at most %d chosen orders at once, not %d", MaxLabelOrders, len(p.IDs))
		}
		orders, err := s.store.OrdersByID(ctx, scope, p.IDs)
		if err != nil {
			return false, err
		}
		if len(orders) != len(uniqueIDs(p.IDs)) {
			return false, Errorf(NotFound, "an order chosen is not one of yours")
		}
		for _, o := range orders {
			if err := one(o); err != nil {
				return false, err
			}
		}
		return false, nil
	}
	q := OrderQuery{Statuses: []Status{StatusDelivered, StatusFailed}, CreatedFrom: p.From, CreatedBefore: p.To, Limit: maxPageSize}
	n := 0
	for {
		orders, err := s.store.Orders(ctx, scope, q)
		if err != nil {
			return false, err
		}
		for _, o := range orders {
			if n == MaxProofExport {
				return true, nil
			}
			n++
			if err := one(o); err != nil {
				return false, err
			}
		}
		if len(orders) < q.Limit {
			return false, nil
		}
		last := orders[len(orders)-1]
		q.After = &OrderCursor{CreatedAt: last.CreatedAt, ID: last.ID}
	}
}

// uniqueIDs returns ids without repeats.
func uniqueIDs(ids []OrderID) map[OrderID]bool {
	m := make(map[OrderID]bool, len(ids))
	for _, id := range ids {
		m[id] = true
	}
	return m
}
