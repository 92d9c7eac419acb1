package storage

import (
	"context"
	"strings"
	"time"

	"github.com/dispatchkit/connect"
	"github.com/uptrace/bun"
)

// statusColumns are the columns a status change writes (SetStatuses), besides
// version.
var statusColumns = []string{
	"status", "depot", "route_id", "route_position", "eta", "failure_reason", "proof",
	"route_event_at", "submitted_at", "updated_at",
}

// SetStatuses applies a batch of compare-and-set status changes and their history
// events, all or nothing. On PostgreSQL the batch is one UPDATE … FROM (VALUES …)
// whose RETURNING list says which orders matched, and one multi-row INSERT of the
// events; on SQLite (one writer at a time, no round trips) an UPDATE per change.
// Inside a caller's transaction the batch runs under a savepoint, so that a batch
// that lost a race leaves no partial update behind even if the caller goes on.
//
// The history rows belong to the tenant the compare-and-set matched: the scope's
// account and the order's stored client, whatever the events say.
func (s *Store) SetStatuses(ctx context.Context, changes []connect.SetStatusParams) error {
	if len(changes) == 0 {
		return nil
	}
	rows := make([]*orderRow, len(changes))
	nEvents := 0
	for i, p := range changes {
		if p.Order == nil {
			return connect.Errorf(connect.Invalid, "storage: SetStatuses: change %d has no order", i)
		}
		r, err := orderToRow(p.Order)
		if err != nil {
			return err
		}
		rows[i] = r
		nEvents += len(p.Events)
	}
	err := s.inTx(ctx, func(tx *Store) error {
		var clients []string // the stored client of each change's order
		var err error
		if tx.pg {
			clients, err = tx.setStatusesPG(ctx, changes, rows)
		} else {
			clients, err = tx.setStatusesSQLite(ctx, changes, rows)
		}
		if err != nil {
			return err
		}
		if nEvents == 0 {
			return nil
		}
		evs := make([]eventRow, 0, min(nEvents, insertBatch))
		flush := func() error {
			if len(evs) == 0 {
				return nil
			}
			_, err := tx.idb.NewInsert().Model(&evs).Returning("NULL").Exec(ctx)
			evs = evs[:0]
			return translate(ctx, err, "writing order history")
		}
		for i, p := range changes {
			for j := range p.Events {
				ev := eventToRow(p.Order, &p.Events[j])
				ev.AccountID, ev.ClientID = string(p.Scope.Account), clients[i]
				evs = append(evs, *ev)
				if len(evs) == insertBatch {
					if err := flush(); err != nil {
						return err
					}
				}
			}
		}
		return flush()
	})
	if err != nil {
		return err
	}
	for _, p := range changes {
		p.Order.Version = p.Version + 1
	}
	return nil
}

// setStatusesSQLite runs one compare-and-set UPDATE per change, and returns the
// orders' clients.
func (s *Store) setStatusesSQLite(ctx context.Context, changes []connect.SetStatusParams, rows []*orderRow) ([]string, error) {
	clients := make([]string, len(changes))
	for i, p := range changes {
		o := p.Order
		what := "order " + orderName(o.Ref, o.ID)
		err := inScope(s.idb.NewUpdate().Model(rows[i]).
			Column(statusColumns...).
			Set("version = ?", p.Version+1), p.Scope).
			Where("id = ?", string(o.ID)).
			Where("status = ?", string(p.From)).
			Where("version = ?", p.Version).
			Returning("client_id").
			Scan(ctx, &clients[i])
		if isNoRows(err) {
			return nil, s.casMissed(ctx, inScope(s.idb.NewSelect().Model((*orderRow)(nil)), p.Scope).
				Where("id = ?", string(o.ID)), what, "was changed by someone else; reload it")
		}
		if err != nil {
			return nil, translate(ctx, err, "changing the status of "+what)
		}
	}
	return clients, nil
}

// setStatusesPG runs the batch's compare-and-sets as one UPDATE joined to a VALUES
// list of the changes, and returns the orders' clients. An order matches only in
// its change's scope, at its change's status and version; when fewer orders match
// than there are changes, it says which change failed and how.
func (s *Store) setStatusesPG(ctx context.Context, changes []connect.SetStatusParams, rows []*orderRow) ([]string, error) {
	var b strings.Builder
	args := make([]any, 0, len(changes)*16)
	b.WriteString(`UPDATE orders AS o SET status = v.status, depot = v.depot, route_id = v.route_id,
	route_position = v.route_position, eta = v.eta, failure_reason = v.failure_reason, proof = v.proof,
	route_event_at = v.route_event_at, submitted_at = v.submitted_at, updated_at = v.updated_at,
	version = v.version + 1
FROM (VALUES `)
	for i, p := range changes {
		r := rows[i]
		if i > 0 {
			b.WriteString(", ")
		}
		if i == 0 {
			// The first row types the columns; the others follow it.
			b.WriteString("(?::integer, ?::text, ?::text, ?::text, ?::text, ?::integer, ?::text, ?::text, ?::text, ?::integer, " +
				"?::timestamptz, ?::text, ?::text, ?::timestamptz, ?::timestamptz, ?::timestamptz)")
		} else {
			b.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
		}
		args = append(args, i, string(p.Scope.Account), string(p.Scope.Client), string(p.Order.ID),
			string(p.From), p.Version, r.Status, r.Depot, r.RouteID, r.RoutePosition, nullTime(r.ETA),
			r.FailureReason, nullString(r.Proof), nullTime(r.RouteEventAt), nullTime(r.SubmittedAt), r.UpdatedAt)
	}
	// version is the one the order must still have; status is the new one.
	b.WriteString(`) AS v(n, account_id, client_id, id, from_status, version, status, depot, route_id,
	route_position, eta, failure_reason, proof, route_event_at, submitted_at, updated_at)
WHERE o.id = v.id AND o.account_id = v.account_id AND (v.client_id = '' OR o.client_id = v.client_id)
	AND o.status = v.from_status AND o.version = v.version
RETURNING v.n, o.client_id`)
	var got []struct {
		N        int    `bun:"n"`
		ClientID string `bun:"client_id"`
	}
	if err := s.idb.NewRaw(b.String(), args...).Scan(ctx, &got); err != nil && !isNoRows(err) {
		return nil, translate(ctx, err, "changing the status of orders")
	}
	clients := make([]string, len(changes))
	matched := make([]bool, len(changes))
	for _, g := range got {
		if g.N >= 0 && g.N < len(changes) {
			clients[g.N], matched[g.N] = g.ClientID, true
		}
	}
	for i, ok := range matched {
		if !ok {
			p := changes[i]
			return nil, s.casMissed(ctx, inScope(s.idb.NewSelect().Model((*orderRow)(nil)), p.Scope).
				Where("id = ?", string(p.Order.ID)), "order "+orderName(p.Order.Ref, p.Order.ID),
				"was changed by someone else; reload it")
		}
	}
	return clients, nil
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
	var rows []orderRow
	err := inScope(s.idb.NewSelect().Model(&rows), scope).
		Where("id IN (?)", bun.List(list)).
		Scan(ctx)
	if err != nil {
		return nil, translate(ctx, err, "reading orders")
	}
	return ordersOf(rows)
}

// RecordHostEvents inserts the ids it has not seen, and returns them: the
// RETURNING list of an INSERT … ON CONFLICT DO NOTHING holds only the rows it
// inserted.
func (s *Store) RecordHostEvents(ctx context.Context, account connect.AccountID, ids []string) ([]string, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	type hostEventRow struct {
		bun.BaseModel `bun:"table:host_events"`
		AccountID     string    `bun:"account_id"`
		EventID       string    `bun:"event_id"`
		RecordedAt    time.Time `bun:"recorded_at"`
	}
	now := dbTime(time.Now())
	seen := make(map[string]bool, len(ids))
	rows := make([]hostEventRow, 0, min(len(ids), insertBatch))
	var fresh []string
	flush := func() error {
		if len(rows) == 0 {
			return nil
		}
		var got []string
		err := s.idb.NewInsert().Model(&rows).On("CONFLICT DO NOTHING").Returning("event_id").Scan(ctx, &got)
		if err != nil && !isNoRows(err) {
			return translate(ctx, err, "recording route events")
		}
		fresh = append(fresh, got...)
		rows = rows[:0]
		return nil
	}
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		rows = append(rows, hostEventRow{AccountID: string(account), EventID: id, RecordedAt: now})
		if len(rows) == insertBatch {
			if err := flush(); err != nil {
				return nil, err
			}
		}
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return fresh, nil
}
