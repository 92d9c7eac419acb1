package storage

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/dispatchkit/connect"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
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
// All or nothing: outside a transaction the batch runs in one of its own. Inside
// the caller's, on SQLite it runs under a savepoint, rolled back if a change lost
// its race; on PostgreSQL (where a savepoint costs two more round trips per
// batch) a batch that lost a race dooms the caller's transaction instead, as a
// failed statement does: nothing of it can commit, as the Store contract allows
// (fn returns the error and the transaction rolls back).
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
	run := s.inTx
	if s.pg && s.tx != nil {
		run = s.dooming
	}
	err := run(ctx, func(tx *Store) error {
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
			var err error
			if tx.pgx {
				err = tx.insertEventsPG(ctx, evs)
			} else {
				_, err = tx.idb.NewInsert().Model(&evs).Returning("NULL").Exec(ctx)
			}
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

// dooming runs fn in the Store's PostgreSQL transaction, and makes sure that the
// transaction cannot commit if fn fails: a statement that failed already saw to
// that; after a failure of fn's own (a compare-and-set that matched too few rows,
// leaving the others changed) a statement that raises does.
func (s *Store) dooming(ctx context.Context, fn func(tx *Store) error) error {
	err := fn(s)
	if err != nil {
		_, _ = s.idb.ExecContext(ctx, `DO $$BEGIN RAISE EXCEPTION 'connect: a batch of status changes failed; the transaction cannot commit'; END$$`)
	}
	return err
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

// setStatusesPG runs the batch's compare-and-sets as one UPDATE joined to the list
// of changes, and returns the orders' clients. An order matches only in its
// change's scope, at its change's status and version; when fewer orders match than
// there are changes, it says which change failed and how.
//
// Through pgx the changes travel as array parameters of one statement whose text
// never changes: pgx prepares it once per connection, and PostgreSQL neither
// parses thousands of literals nor plans the join anew for each batch. The
// redundant o.id = ANY(ids) gives the planner the index condition on the orders'
// primary key, so the join never scans the table. On another driver the same
// statement carries a VALUES list in its text.
func (s *Store) setStatusesPG(ctx context.Context, changes []connect.SetStatusParams, rows []*orderRow) ([]string, error) {
	var (
		ns, versions, positions                                []int32
		accounts, clients, ids, froms, statuses, depots, route []string
		reasons                                                []string
		proofs                                                 []pgtype.Text
		etas, routeAts, submitted, updated                     []pgtype.Timestamptz
	)
	for i, p := range changes {
		r := rows[i]
		ns, versions, positions = append(ns, int32(i)), append(versions, int32(p.Version)), append(positions, int32(r.RoutePosition))
		accounts, clients, ids = append(accounts, string(p.Scope.Account)), append(clients, string(p.Scope.Client)), append(ids, string(p.Order.ID))
		froms, statuses, depots = append(froms, string(p.From)), append(statuses, r.Status), append(depots, r.Depot)
		route, reasons = append(route, r.RouteID), append(reasons, r.FailureReason)
		proofs = append(proofs, pgtype.Text{String: r.Proof, Valid: r.Proof != ""})
		etas, routeAts = append(etas, timestamptz(r.ETA)), append(routeAts, timestamptz(r.RouteEventAt))
		submitted, updated = append(submitted, timestamptz(r.SubmittedAt)), append(updated, timestamptz(r.UpdatedAt))
	}
	const set = `UPDATE orders AS o SET status = v.status, depot = v.depot, route_id = v.route_id,
	route_position = v.route_position, eta = v.eta, failure_reason = v.failure_reason, proof = v.proof,
	route_event_at = v.route_event_at, submitted_at = v.submitted_at, updated_at = v.updated_at,
	version = v.version + 1
FROM `
	const where = ` AS v(n, account_id, client_id, id, from_status, version, status, depot, route_id,
	route_position, eta, failure_reason, proof, route_event_at, submitted_at, updated_at)
WHERE o.id = ANY(%s) AND o.id = v.id AND o.account_id = v.account_id
	AND (v.client_id = '' OR o.client_id = v.client_id) AND o.status = v.from_status AND o.version = v.version
RETURNING v.n, o.client_id`
	var got []struct {
		N        int    `bun:"n"`
		ClientID string `bun:"client_id"`
	}
	if s.pgx {
		q := set + `unnest($1::int[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::text[],
	$8::text[], $9::text[], $10::int[], $11::timestamptz[], $12::text[], $13::text[], $14::timestamptz[],
	$15::timestamptz[], $16::timestamptz[])` + fmt.Sprintf(where, "$4::text[]")
		rows, err := s.pgQuery(ctx, q, ns, accounts, clients, ids, froms, versions, statuses, depots, route,
			positions, etas, reasons, proofs, routeAts, submitted, updated)
		if err != nil {
			return nil, translate(ctx, err, "changing the status of orders")
		}
		if err := s.db.ScanRows(ctx, rows, &got); err != nil {
			return nil, translate(ctx, err, "changing the status of orders")
		}
	} else {
		var b strings.Builder
		args := make([]any, 0, len(changes)*16+1)
		b.WriteString(set + "(VALUES ")
		for i := range changes {
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
			r := rows[i]
			args = append(args, ns[i], accounts[i], clients[i], ids[i], froms[i], versions[i], statuses[i], depots[i],
				route[i], positions[i], nullTime(r.ETA), reasons[i], nullString(r.Proof), nullTime(r.RouteEventAt),
				nullTime(r.SubmittedAt), r.UpdatedAt)
		}
		b.WriteString(")" + fmt.Sprintf(where, "ARRAY[?]::text[]"))
		args = append(args, bun.List(ids))
		if err := s.idb.NewRaw(b.String(), args...).Scan(ctx, &got); err != nil && !isNoRows(err) {
			return nil, translate(ctx, err, "changing the status of orders")
		}
	}
	clientOf := make([]string, len(changes))
	matched := make([]bool, len(changes))
	for _, g := range got {
		if g.N >= 0 && g.N < len(changes) {
			clientOf[g.N], matched[g.N] = g.ClientID, true
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
	return clientOf, nil
}

// timestamptz returns t for pgx, NULL when zero.
func timestamptz(t time.Time) pgtype.Timestamptz {
	return pgtype.Timestamptz{Time: t, Valid: !t.IsZero()}
}

// pgQuery runs a query with PostgreSQL's $n parameters on the Store's connection
// or transaction, past bun's formatting, as a statement pgx prepares and caches
// per connection. For pgx only.
func (s *Store) pgQuery(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	args = append([]any{pgx.QueryExecModeCacheStatement}, args...)
	if s.tx != nil {
		return s.tx.Tx.QueryContext(ctx, query, args...)
	}
	return s.db.DB.QueryContext(ctx, query, args...)
}

// pgExec is pgQuery for a statement that returns no rows.
func (s *Store) pgExec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	args = append([]any{pgx.QueryExecModeCacheStatement}, args...)
	if s.tx != nil {
		return s.tx.Tx.ExecContext(ctx, query, args...)
	}
	return s.db.DB.ExecContext(ctx, query, args...)
}

// insertEventsPG writes history rows in one INSERT … SELECT FROM unnest(arrays).
func (s *Store) insertEventsPG(ctx context.Context, evs []eventRow) error {
	n := len(evs)
	var (
		accounts, clients, orders, events, froms, tos, actors, reasons = make([]string, n), make([]string, n),
			make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		ats, etas = make([]pgtype.Timestamptz, n), make([]pgtype.Timestamptz, n)
	)
	for i := range evs {
		e := &evs[i]
		accounts[i], clients[i], orders[i], events[i] = e.AccountID, e.ClientID, e.OrderID, e.Event
		froms[i], tos[i], actors[i], reasons[i] = e.FromStatus, e.ToStatus, e.Actor, e.Reason
		ats[i], etas[i] = timestamptz(e.OccurredAt), timestamptz(e.ETA)
	}
	_, err := s.pgExec(ctx, `INSERT INTO order_events (account_id, client_id, order_id, event, from_status,
	to_status, occurred_at, actor, eta, reason)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
	$7::timestamptz[], $8::text[], $9::timestamptz[], $10::text[])`,
		accounts, clients, orders, events, froms, tos, ats, actors, etas, reasons)
	return err
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
	if s.pgx {
		// The orders are looked up by primary key first (a materialized CTE: the
		// planner cannot scan the account's index instead, checking every order
		// of the account against the list), then kept only in the scope.
		q := "WITH o AS MATERIALIZED (SELECT * FROM orders WHERE id = ANY($1::text[])) SELECT " + orderSelectList +
			" FROM o WHERE account_id = $2"
		args := []any{pgx.QueryExecModeCacheStatement, list, string(scope.Account)}
		if scope.Client != "" {
			q += " AND client_id = $3"
			args = append(args, string(scope.Client))
		}
		return s.scanOrders(ctx, &rows, q, args)
	}
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
	if s.pgx {
		return s.recordHostEventsPG(ctx, account, ids, now)
	}
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

// recordHostEventsPG inserts the ids as one array parameter.
func (s *Store) recordHostEventsPG(ctx context.Context, account connect.AccountID, ids []string, now time.Time) ([]string, error) {
	rows, err := s.pgQuery(ctx, `INSERT INTO host_events (account_id, event_id, recorded_at)
SELECT $1, e, $3 FROM unnest($2::text[]) AS e
ON CONFLICT DO NOTHING
RETURNING event_id`, string(account), ids, now)
	if err != nil {
		return nil, translate(ctx, err, "recording route events")
	}
	var fresh []string
	if err := s.db.ScanRows(ctx, rows, &fresh); err != nil {
		return nil, translate(ctx, err, "recording route events")
	}
	return fresh, nil
}

// ForgetHostEvents deletes the host event ids recorded before the time: one
// statement, which reads the whole table (no index on recorded_at, which every
// route event would pay for); RunOutbox calls it about once an hour.
func (s *Store) ForgetHostEvents(ctx context.Context, before time.Time) (int, error) {
	res, err := s.idb.NewRaw("DELETE FROM host_events WHERE recorded_at < ?", dbTime(before)).Exec(ctx)
	n, err := rowsAffected(ctx, res, err, "forgetting route event ids")
	return int(n), err
}
