package connect

import (
	"context"
	"fmt"
)

// change is one status change to apply: the event, and what else the change sets on
// the order (ETA, route, proof, reason).
type change struct {
	event  Event
	reason string
	check  func(o *Order) error // refuses the change for this order, if set
	apply  func(o *Order)
}

// transition is the one path of every status change a caller makes to one order:
// load it in the caller's scope, prepare the change, and compare-and-set it with its
// history event and the side effects it calls for (outbox entries), all through tx.
func (s *Service) transition(ctx context.Context, tx Store, c caller, id OrderID, ch change) (*Order, error) {
	o, err := tx.Order(ctx, c.scope(), id)
	if err != nil {
		return nil, err
	}
	set := s.newEffectSet(tx, c.scope())
	p, outbox, err := s.prepare(ctx, tx, c, o, ch, set)
	if err != nil {
		return nil, err
	}
	err = tx.SetStatuses(ctx, c.scope(), []SetStatusParams{p})
	if isConflict(err) {
		return nil, Errorf(Conflict, "order %s changed while you were working on it (it was %s); reload it", orderName(o), p.From.Label())
	} else if err != nil {
		return nil, err
	}
	if len(outbox) > 0 {
		if err := tx.AddOutbox(ctx, c.scope(), outbox); err != nil {
			return nil, err
		}
	}
	return o, set.flush(ctx)
}

// prepare applies a change to a loaded order, if the lifecycle table allows it,
// and returns the compare-and-set that stores it and the side effects it calls for.
// set reads the client's webhook endpoints and notification settings (once
// per client for a transaction's changes).
func (s *Service) prepare(ctx context.Context, tx Store, c caller, o *Order, ch change, set *effectSet) (SetStatusParams, []OutboxEntry, error) {
	if ch.check != nil {
		if err := ch.check(o); err != nil {
			return SetStatusParams{}, nil, err
		}
	}
	to, err := Next(o.Status, ch.event, c.lifecycleKind())
	if err != nil {
		if e, ok := err.(*Error); ok && e.Code == Conflict {
			return SetStatusParams{}, nil, Errorf(Conflict, "order %s: %s", orderName(o), e.Message)
		}
		return SetStatusParams{}, nil, err
	}
	from, version := o.Status, o.Version
	now := s.clock()
	o.Status, o.UpdatedAt = to, now
	if ch.apply != nil {
		ch.apply(o)
	}
	ev := OrderEvent{Order: o.ID, Account: o.Account, Client: o.Client, Event: ch.event, From: from, To: to,
		At: now, By: c.history(), ETA: o.ETA, Reason: ch.reason}
	client := c.client
	if client == nil {
		if client, err = tx.Client(ctx, c.scope(), o.Client); err != nil {
			return SetStatusParams{}, nil, err
		}
	}
	if err := set.load(ctx, s, o.Client); err != nil {
		return SetStatusParams{}, nil, err
	}
	p := SetStatusParams{From: from, Version: version, Order: o, Events: []OrderEvent{ev}}
	return p, s.sideEffects(client, set, o, ch.event, from, ch.reason, version, 1), nil
}

// committed tells subscribers and outbox workers in this process that a change
// was committed.

// SubmitOrders submits drafts for delivery: they join the dispatcher's unassigned
// stops at the client's default depot. All or nothing: if any order cannot be
// submitted (no longer a draft, or missing a field the client's policy now
// requires), none is, and the error lists every problem.
// Errors: ErrForbidden (uploads off); ErrInvalid (fields); ErrNotFound; ErrConflict.
func (s *Service) SubmitOrders(ctx context.Context, a Actor, ids []OrderID) (out []*Order, err error) {
	ctx, span := s.tel.start(ctx, "connect.submit")
	defer func() { end(span, err) }()
	c, err := s.authorizeUpload(ctx, a)
	if err != nil {
		return nil, err
	}
	if callerAttrs(span, c); span.IsRecording() {
		span.SetAttributes(AttrOrders.Int(len(ids)))
	}
	if len(ids) == 0 {
		return nil, Errorf(Invalid, "select the draft orders to submit")
	}
	out = make([]*Order, 0, len(ids))
	submit := change{event: EventSubmit, apply: func(o *Order) {
		o.SubmittedAt = o.UpdatedAt
		o.Depot = c.client.Settings.DefaultDepot // the default at submission wins
	}}
	err = s.store.Tx(ctx, func(tx Store) error {
		// One read, one compare-and-set and one outbox write for the whole
		// selection, however large (a page of 500 drafts was 1,500 statements).
		byID, err := ordersByID(ctx, tx, c.scope(), ids)
		if err != nil {
			return err
		}
		set := s.newEffectSet(tx, c.scope())
		var (
			problems []FieldError
			params   = make([]SetStatusParams, 0, len(ids))
			outbox   []OutboxEntry
		)
		for i, id := range ids {
			o := byID[id]
			if o == nil {
				return Errorf(NotFound, "order %s: not found", id)
			}
			// A second mention of an order finds it submitted by the first.
			p, effects, err := s.prepare(ctx, tx, c, o, submit, set)
			if err != nil {
				return err
			}
			for _, fe := range c.client.Settings.RequiredFields.Check(o.OrderInput) {
				fe.Row = i + 1
				fe.Reason = fmt.Sprintf("%s (order %s)", fe.Reason, orderName(o))
				problems = append(problems, fe)
			}
			params, outbox = append(params, p), append(outbox, effects...)
			out = append(out, o)
		}
		if len(problems) > 0 {
			return InvalidFields(problems)
		}
		if err := tx.SetStatuses(ctx, c.scope(), params); isConflict(err) {
			return Errorf(Conflict, "an order changed while you were submitting it; reload the drafts and submit again")
		} else if err != nil {
			return err
		}
		if len(outbox) > 0 {
			if err := tx.AddOutbox(ctx, c.scope(), outbox); err != nil {
				return err
			}
		}
		return set.flush(ctx)
	})
	if err != nil {
		return nil, err
	}
	s.committed(c.scope())
	return out, nil
}

// transitionOne makes one status change in a transaction of its own.
func (s *Service) transitionOne(ctx context.Context, c caller, id OrderID, ch change) (*Order, error) {
	var o *Order
	err := s.store.Tx(ctx, func(tx Store) (err error) {
		o, err = s.transition(ctx, tx, c, id, ch)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.committed(Scope{Account: o.Account, Client: o.Client})
	return o, nil
}

// Withdraw takes a submitted order back to draft, as long as it is not on a route.
// It races with the dispatcher scheduling it; exactly one wins. Only the client's
// own orders, and only while it may upload: a stop the dispatcher linked to it is
// not the client's to take back.
// Errors: ErrNotFound; ErrForbidden; ErrConflict when it is no longer submitted.
func (s *Service) Withdraw(ctx context.Context, a Actor, id OrderID) (_ *Order, err error) {
	ctx, span := s.tel.start(ctx, "connect.withdraw")
	defer func() { end(span, err) }()
	c, err := s.authorizeUpload(ctx, a)
	if err != nil {
		return nil, err
	}
	orderAttrs(span, c, id)
	return s.transitionOne(ctx, c, id, withdrawal())
}

// CancelOrder cancels an order the account will not deliver. Dispatchers may.
// Errors: ErrNotFound; ErrForbidden; ErrConflict when it is delivered or en route.
func (s *Service) CancelOrder(ctx context.Context, a Actor, id OrderID, reason string) (_ *Order, err error) {
	ctx, span := s.tel.start(ctx, "connect.cancel")
	defer func() { end(span, err) }()
	c, err := s.authorize(ctx, a, actManageOrders)
	if err != nil {
		return nil, err
	}
	orderAttrs(span, c, id)
	return s.transitionOne(ctx, c, id, cancellation(reason))
}

// cancellation is the change CancelOrder makes.
func cancellation(reason string) change {
	return change{event: EventCancel, reason: reason, apply: func(o *Order) {
		o.Route = RouteStop{}
		o.FailureReason = ""
	}}
}

// ordersByID reads the scope's orders among ids in one query, by id.
func ordersByID(ctx context.Context, tx Store, scope Scope, ids []OrderID) (map[OrderID]*Order, error) {
	loaded, err := tx.OrdersByID(ctx, scope, ids)
	if err != nil {
		return nil, err
	}
	byID := make(map[OrderID]*Order, len(loaded))
	for _, o := range loaded {
		byID[o.ID] = o
	}
	return byID, nil
}
