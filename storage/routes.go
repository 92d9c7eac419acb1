package storage

import (
	"context"
	"time"

	"github.com/dispatchkit/connect"
	"github.com/uptrace/bun"
)

// SetStatuses applies a batch of compare-and-set status changes and their history
// events, all or nothing: outside a transaction the batch runs in one of its own;
// inside the caller's, a batch that lost a race leaves nothing of it to commit.
// On PostgreSQL the batch is one statement (postgres_batch.go); on SQLite an
// UPDATE … FROM VALUES and the history's INSERT, under a savepoint (sqlite.go).
// Both match each order once, so a batch names an order at most once.
//
// Each change's compare-and-set matches its order in the order's own account and
// client, which must be in the scope (ErrNotFound otherwise). The history rows
// belong to the tenant the compare-and-set matched: the scope's account and the
// order's stored client, whatever the events say.
func (s *Store) SetStatuses(ctx context.Context, scope connect.Scope, changes []connect.SetStatusParams) error {
	if len(changes) == 0 {
		return nil
	}
	rows := make([]*orderRow, len(changes))
	scopes := make([]connect.Scope, len(changes))
	seen := make(map[connect.OrderID]int, len(changes))
	for i, p := range changes {
		if p.Order == nil {
			return connect.Errorf(connect.Invalid, "storage: SetStatuses: change %d has no order", i)
		}
		if j, ok := seen[p.Order.ID]; ok {
			return connect.Errorf(connect.Invalid, "storage: SetStatuses: changes %d and %d are both of order %s; a batch changes an order once", j, i, p.Order.ID)
		}
		seen[p.Order.ID] = i
		sc, err := within(scope, p.Order.Account, p.Order.Client, "order "+orderName(p.Order.Ref, p.Order.ID))
		if err != nil {
			return err
		}
		scopes[i] = sc
		r, err := orderToRow(p.Order)
		if err != nil {
			return err
		}
		rows[i] = r
	}
	if err := s.d.setStatuses(ctx, s, scopes, changes, rows); err != nil {
		return err
	}
	for _, p := range changes {
		p.Order.Version = p.Version + 1
	}
	return nil
}

// eachEventBatch hands the history rows of the changes to write, insertBatch at
// a time; scopes[i] is the tenant of change i's order and clients[i] its stored
// client.
func eachEventBatch(scopes []connect.Scope, changes []connect.SetStatusParams, clients []string, write func([]eventRow) error) error {
	n := 0
	for _, p := range changes {
		n += len(p.Events)
	}
	if n == 0 {
		return nil
	}
	evs := make([]eventRow, 0, min(n, insertBatch))
	for i, p := range changes {
		for j := range p.Events {
			ev := eventToRow(p.Order, &p.Events[j])
			ev.AccountID, ev.ClientID = string(scopes[i].Account), clients[i]
			evs = append(evs, *ev)
			if len(evs) == insertBatch {
				if err := write(evs); err != nil {
					return err
				}
				evs = evs[:0]
			}
		}
	}
	if len(evs) == 0 {
		return nil
	}
	return write(evs)
}

// OrdersByID returns the scope's orders among ids, in one query.
func (s *Store) OrdersByID(ctx context.Context, scope connect.Scope, ids []connect.OrderID) ([]*connect.Order, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	list := make([]string, 0, len(ids))
	seen := make(map[connect.OrderID]bool, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			list = append(list, string(id))
		}
	}
	return s.d.ordersByID(ctx, s, scope, list)
}

// hostEventRow is a route event id of the host, recorded once applied.
type hostEventRow struct {
	bun.BaseModel `bun:"table:host_events"`
	AccountID     string    `bun:"account_id"`
	EventID       string    `bun:"event_id"`
	RecordedAt    time.Time `bun:"recorded_at"`
}

// RecordHostEvents inserts the ids it has not seen, and returns them: the
// RETURNING list of an INSERT … ON CONFLICT DO NOTHING holds only the rows it
// inserted. The ids are the scope's account's.
func (s *Store) RecordHostEvents(ctx context.Context, scope connect.Scope, ids []string) ([]string, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	list := make([]string, 0, len(ids))
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			list = append(list, id)
		}
	}
	return s.d.recordHostEvents(ctx, s, scope.Account, list, dbTime(time.Now()))
}

// ClaimHostEvents reads the scope's orders the events name and records the ids
// of the events whose order it found, returning those it had not seen before:
// one statement on PostgreSQL, two (no round trips) on SQLite.
func (s *Store) ClaimHostEvents(ctx context.Context, scope connect.Scope, events []connect.HostEvent) ([]*connect.Order, []string, error) {
	if len(events) == 0 {
		return nil, nil, nil
	}
	ids, orders := make([]string, 0, len(events)), make([]string, 0, len(events))
	seenEvent, seenOrder := make(map[string]bool, len(events)), make(map[connect.OrderID]bool, len(events))
	for _, e := range events {
		if !seenEvent[e.ID] {
			seenEvent[e.ID] = true
			ids, orders = append(ids, e.ID), append(orders, string(e.Order))
		}
	}
	var list []string
	for _, e := range events {
		if !seenOrder[e.Order] {
			seenOrder[e.Order] = true
			list = append(list, string(e.Order))
		}
	}
	return s.d.claimHostEvents(ctx, s, scope, list, ids, orders, dbTime(time.Now()))
}

// claimFromOrders is a claimHostEvents made of ordersByID and
// recordHostEvents: for a database without round trips to save.
func claimFromOrders(ctx context.Context, d dialect, s *Store, scope connect.Scope, list, ids, orders []string, now time.Time) ([]*connect.Order, []string, error) {
	found, err := d.ordersByID(ctx, s, scope, list)
	if err != nil {
		return nil, nil, err
	}
	have := make(map[string]bool, len(found))
	for _, o := range found {
		have[string(o.ID)] = true
	}
	var known []string
	for i, id := range ids {
		if have[orders[i]] {
			known = append(known, id)
		}
	}
	if len(known) == 0 {
		return found, nil, nil
	}
	fresh, err := d.recordHostEvents(ctx, s, scope.Account, known, now)
	return found, fresh, err
}

// ForgetHostEventsAnyAccount deletes the host event ids recorded before the time: one
// statement, which reads the whole table (no index on recorded_at, which every
// route event would pay for); RunOutbox calls it about once an hour.
func (s *Store) ForgetHostEventsAnyAccount(ctx context.Context, before time.Time) (int, error) {
	res, err := s.idb.NewRaw("DELETE FROM host_events WHERE recorded_at < ?", dbTime(before)).Exec(ctx)
	n, err := rowsAffected(ctx, res, err, "forgetting route event ids")
	return int(n), err
}
