package connect

import (
	"context"
	"errors"
	"strings"
	"time"
)

// Bulk actions: "submit (withdraw, delete) all N orders matching the list's
// filter", each one Service call however many orders match.
//
// A run first takes a snapshot of the orders the filter selects at its start
// (their ids and versions, walking the list's pages: newest first, keyset), then
// acts on them in batches of bulkBatch orders, each batch in a transaction of
// its own. One transaction for the whole run would hold the locks of 20,000
// rows (on SQLite, the one write lock of the database) for as long as the run
// lasts, stalling route syncs, imports and every other writer; a batch holds
// them for milliseconds. So a run is not all or nothing, unlike SubmitOrders:
// each batch commits, and the result says what was done and what was refused.
// A run cut short (an error, a cancelled context) leaves its committed batches
// done; running it again takes up where it stopped, since what it did no
// longer matches (submitted orders are no longer drafts).
//
// An order changed after the snapshot (edited, withdrawn and so on: its version
// moved) or deleted is skipped with the reason, never acted on as it is now:
// the snapshot is what the caller chose. An order is in the snapshot once, and
// each change is a compare-and-set at the snapshot's version, so nothing is
// submitted twice. Orders created after the run started are not in it.

// bulkBatch is how many orders a bulk action changes per transaction.
const bulkBatch = 500

// MaxBulkOrders bounds the orders one bulk action takes (the newest that
// match); BulkResult.More says when more matched.
const MaxBulkOrders = 100_000

// maxBulkRefusals bounds the refusals a BulkResult lists.
const maxBulkRefusals = 1000

// BulkOptions tunes a bulk action.
type BulkOptions struct {
	// Progress, when set, is called once the matching orders are known
	// (done 0) and after each batch, with how many of the total were dealt
	// with (changed or refused); done never goes back, and the last call has
	// done == total. It must not block for long.
	Progress func(done, total int)
}

// BulkResult reports a bulk action.
type BulkResult struct {
	// Matched is how many orders the filter selected when the action began (at
	// most MaxBulkOrders); for ChangeClients, how many clients of the account
	// the selection named.
	Matched int `json:"matched"`
	// Done is how many of them were submitted (withdrawn, deleted).
	Done int `json:"done"`
	// Refused is how many were not, each for a reason in Refusals.
	Refused int `json:"refused"`
	// Refusals lists the first 1000 refused orders and why; MoreRefusals
	// counts the rest.
	Refusals     []BulkRefusal `json:"refusals,omitempty"`
	MoreRefusals int           `json:"more_refusals,omitempty"`
	// More is set when more orders matched than one action takes: run it again.
	More bool `json:"more,omitempty"`
}

// BulkRefusal is an order (or, for ChangeClients, a client) a bulk action
// left as it was, and why.
type BulkRefusal struct {
	Order OrderID `json:"order,omitempty"`
	Ref   string  `json:"ref,omitempty"`
	// Client is the client ChangeClients refused.
	Client ClientID `json:"client,omitempty"`
	// Code is invalid (fields missing), conflict (changed since the action
	// began), not_found (deleted meanwhile) or forbidden.
	Code   Code   `json:"code"`
	Reason string `json:"reason"`
}

// refuse records a refusal.
func (r *BulkResult) refuse(o snapshotOrder, err error) {
	r.Refused++
	if len(r.Refusals) >= maxBulkRefusals {
		r.MoreRefusals++
		return
	}
	msg := err.Error()
	var e *Error
	if errors.As(err, &e) {
		msg = e.Message
		if len(e.Fields) > 0 {
			parts := make([]string, len(e.Fields))
			for i, f := range e.Fields {
				parts[i] = f.String()
			}
			msg = strings.Join(parts, "; ")
		}
	}
	r.Refusals = append(r.Refusals, BulkRefusal{Order: o.ID, Ref: o.Ref, Code: ErrorCode(err), Reason: msg})
}

// snapshotOrder is an order as a bulk action found it when it began.
type snapshotOrder struct {
	ID      OrderID
	Ref     string
	Version int
}

func (o snapshotOrder) name() string {
	if o.Ref != "" {
		return o.Ref
	}
	return string(o.ID)
}

// SubmitMatching submits every draft that p selects (as Orders does; p's View,
// Statuses and Cursor are not read: it takes the drafts), in batches, each
// committed on its own (see the top of bulk.go). A draft missing a field the
// client's policy requires, or changed since the action began, is refused with
// the reason; the others are submitted. Who may: as SubmitOrders.
// Errors: ErrForbidden; ErrInvalid for a bad filter; a Store's error, with the
// result of the batches committed before it.
func (s *Service) SubmitMatching(ctx context.Context, a Actor, p ListOrdersParams, opts BulkOptions) (res *BulkResult, err error) {
	ctx, span := s.tel.start(ctx, "connect.submit_matching")
	defer func() { end(span, err) }()
	c, err := s.authorizeUpload(ctx, a)
	if err != nil {
		return nil, err
	}
	callerAttrs(span, c)
	submit := change{event: EventSubmit, check: func(o *Order) error {
		if problems := c.client.Settings.RequiredFields.Check(o.OrderInput); len(problems) > 0 {
			return InvalidFields(problems)
		}
		return nil
	}, apply: func(o *Order) {
		o.SubmittedAt = o.UpdatedAt
		o.Depot = c.client.Settings.DefaultDepot // the default at submission wins
	}}
	return s.bulk(ctx, c, p, StatusDraft, opts, s.transitionBatch(c, submit))
}

// WithdrawMatching takes every submitted order that p selects back to draft
// (p's View, Statuses and Cursor are not read), as Withdraw does one, in
// batches each committed on its own (see the top of bulk.go). An order the
// dispatcher added, one scheduled meanwhile, or one changed since the action
// began is refused with the reason. Who may: as Withdraw.
// Errors: as SubmitMatching.
func (s *Service) WithdrawMatching(ctx context.Context, a Actor, p ListOrdersParams, opts BulkOptions) (res *BulkResult, err error) {
	ctx, span := s.tel.start(ctx, "connect.withdraw_matching")
	defer func() { end(span, err) }()
	c, err := s.authorizeUpload(ctx, a)
	if err != nil {
		return nil, err
	}
	callerAttrs(span, c)
	return s.bulk(ctx, c, p, StatusSubmitted, opts, s.transitionBatch(c, withdrawal()))
}

// DeleteMatching deletes every draft that p selects (p's View, Statuses and
// Cursor are not read), as DeleteDraft does one, in batches each committed on
// its own (see the top of bulk.go). A draft changed since the action began is
// refused with the reason. Who may: as DeleteDraft.
// Errors: as SubmitMatching.
func (s *Service) DeleteMatching(ctx context.Context, a Actor, p ListOrdersParams, opts BulkOptions) (res *BulkResult, err error) {
	ctx, span := s.tel.start(ctx, "connect.delete_matching")
	defer func() { end(span, err) }()
	c, err := s.authorize(ctx, a, actEditOrders)
	if err != nil {
		return nil, err
	}
	callerAttrs(span, c)
	return s.bulk(ctx, c, p, StatusDraft, opts, func(ctx context.Context, batch []snapshotOrder, res *BulkResult) error {
		var done int
		refused := &BulkResult{}
		err := s.store.Tx(ctx, func(tx Store) error {
			done, refused = 0, &BulkResult{}
			for _, o := range batch {
				err := tx.DeleteDraft(ctx, c.scope(), o.ID, o.Version)
				switch code := ErrorCode(err); {
				case err == nil:
					done++
				case code == Conflict || code == NotFound:
					refused.refuse(o, changedMeanwhile(o, err))
				default:
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		res.add(done, refused)
		s.touched(c.scope())
		return nil
	})
}

// CancelMatching cancels every unassigned stop (submitted order) of the
// account that p selects (its Depot, Client, Search, Source and creation
// dates; its View, Statuses and Cursor are not read), with the reason, as
// CancelOrder does one, in batches each committed on its own (see the top of
// bulk.go). A stop scheduled or changed since the action began is refused
// with the reason. Only dispatchers may. Errors: as SubmitMatching.
func (s *Service) CancelMatching(ctx context.Context, a Actor, p ListOrdersParams, reason string, opts BulkOptions) (res *BulkResult, err error) {
	ctx, span := s.tel.start(ctx, "connect.cancel_matching")
	defer func() { end(span, err) }()
	c, err := s.authorize(ctx, a, actManageOrders)
	if err != nil {
		return nil, err
	}
	callerAttrs(span, c)
	return s.bulk(ctx, c, p, StatusSubmitted, opts, s.transitionBatch(c, cancellation(reason)))
}

// changedMeanwhile words the refusal of an order that changed (or went) since
// the bulk action began.
func changedMeanwhile(o snapshotOrder, err error) error {
	if ErrorCode(err) == NotFound {
		return Errorf(NotFound, "order %s was deleted after this began", o.name())
	}
	return Errorf(Conflict, "order %s was changed after this began; review it and try again", o.name())
}

// add counts a committed batch's outcome.
func (r *BulkResult) add(done int, batch *BulkResult) {
	r.Done += done
	r.Refused += batch.Refused
	for _, f := range batch.Refusals {
		if len(r.Refusals) >= maxBulkRefusals {
			r.MoreRefusals++
			continue
		}
		r.Refusals = append(r.Refusals, f)
	}
	r.MoreRefusals += batch.MoreRefusals
}

// withdrawal is the change Withdraw makes.
func withdrawal() change {
	return change{event: EventWithdraw, check: func(o *Order) error {
		if o.Source == SourceDispatcher {
			return Errorf(Forbidden, "order %s was added by your dispatcher; ask them to cancel it", orderName(o))
		}
		return nil
	}, apply: func(o *Order) {
		o.SubmittedAt = time.Time{}
	}}
}

// batchFunc acts on one batch of a bulk action's snapshot and adds what it
// committed to res (nothing, when it returns an error).
type batchFunc func(ctx context.Context, batch []snapshotOrder, res *BulkResult) error

// bulk takes the snapshot of the orders at status that p selects in c's scope,
// then hands it to act a batch at a time, reporting progress.
func (s *Service) bulk(ctx context.Context, c caller, p ListOrdersParams, status Status, opts BulkOptions, act batchFunc) (*BulkResult, error) {
	p.View, p.Statuses, p.Cursor, p.Sort = "", []Status{status}, "", ""
	snap, more, err := s.snapshot(ctx, c, p)
	if err != nil {
		return nil, err
	}
	res := &BulkResult{Matched: len(snap), More: more}
	return res, inBatches(ctx, snap, "orders", opts, func(batch []snapshotOrder) error { return act(ctx, batch, res) })
}

// inBatches hands items to act bulkBatch at a time, calling opts.Progress
// before the first batch and after each; what names the items in the error
// of a run cut short ("stopped after 500 of 2000 orders").
func inBatches[T any](ctx context.Context, items []T, what string, opts BulkOptions, act func(batch []T) error) error {
	progress := func(done int) {
		if opts.Progress != nil {
			opts.Progress(done, len(items))
		}
	}
	progress(0)
	for i := 0; i < len(items); i += bulkBatch {
		if err := ctx.Err(); err != nil {
			return Errorf(Unavailable, "stopped after %d of %d %s: %w", i, len(items), what, err)
		}
		batch := items[i:min(i+bulkBatch, len(items))]
		if err := act(batch); err != nil {
			return Errorf(ErrorCode(err), "stopped after %d of %d %s: %w", i, len(items), what, err)
		}
		progress(i + len(batch))
	}
	return nil
}

// snapshot reads the ids and versions of the orders p selects (at most
// MaxBulkOrders, newest first) and whether more matched.
func (s *Service) snapshot(ctx context.Context, c caller, p ListOrdersParams) ([]snapshotOrder, bool, error) {
	p.Limit = maxPageSize
	scope, q, err := c.orderQuery(p)
	if err != nil {
		return nil, false, err
	}
	var out []snapshotOrder
	for {
		page, err := s.store.Orders(ctx, scope, q)
		if err != nil {
			return nil, false, err
		}
		for _, o := range page {
			if len(out) == MaxBulkOrders {
				return out, true, nil
			}
			out = append(out, snapshotOrder{ID: o.ID, Ref: o.Ref, Version: o.Version})
		}
		if len(page) < q.Limit {
			return out, false, nil
		}
		last := page[len(page)-1]
		q.After = &OrderCursor{CreatedAt: last.CreatedAt, ID: last.ID}
	}
}

// bulkRetries bounds how often a batch is tried again after losing a
// compare-and-set race (an order changed between its read and its write).
const bulkRetries = 5

// transitionBatch returns the batchFunc making ch to each order of a batch that
// is still as the snapshot saw it: one read, one compare-and-set and one
// outbox write per batch, as SubmitOrders does.
func (s *Service) transitionBatch(c caller, ch change) batchFunc {
	return func(ctx context.Context, batch []snapshotOrder, res *BulkResult) error {
		ids := make([]OrderID, len(batch))
		for i, o := range batch {
			ids[i] = o.ID
		}
		for attempt := 0; ; attempt++ {
			var done int
			refused := &BulkResult{}
			err := s.store.Tx(ctx, func(tx Store) error {
				done, refused = 0, &BulkResult{}
				byID, err := ordersByID(ctx, tx, c.scope(), ids)
				if err != nil {
					return err
				}
				var (
					params []SetStatusParams
					outbox []OutboxEntry
					set    = s.newEffectSet(tx, c.scope())
				)
				for _, snap := range batch {
					o := byID[snap.ID]
					switch {
					case o == nil:
						refused.refuse(snap, changedMeanwhile(snap, Errorf(NotFound, "gone")))
						continue
					case o.Version != snap.Version:
						refused.refuse(snap, changedMeanwhile(snap, Errorf(Conflict, "changed")))
						continue
					}
					p, effects, err := s.prepare(ctx, tx, c, o, ch, set)
					if code := ErrorCode(err); err != nil && code != Invalid && code != Forbidden && code != Conflict {
						return err
					} else if err != nil {
						refused.refuse(snap, err)
						continue
					}
					params, outbox = append(params, p), append(outbox, effects...)
				}
				if len(params) == 0 {
					return nil
				}
				if err := tx.SetStatuses(ctx, c.scope(), params); err != nil {
					return err
				}
				done = len(params)
				if len(outbox) > 0 {
					if err := tx.AddOutbox(ctx, c.scope(), outbox); err != nil {
						return err
					}
				}
				return set.flush(ctx)
			})
			if isConflict(err) && attempt < bulkRetries {
				continue // read again: what changed is refused then
			}
			if err != nil {
				return err
			}
			res.add(done, refused)
			if done > 0 {
				s.committed(c.scope())
			}
			return nil
		}
	}
}
