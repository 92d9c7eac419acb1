package storage

import (
	"context"
	"strings"
	"time"

	"github.com/dispatchkit/connect"
	"github.com/jackc/pgx/v5/pgtype"
)

// The batches of route events on PostgreSQL: each a cached statement whose
// arguments are arrays (see postgres_prepared.go).

// setStatuses applies the batch and writes its history in one statement: an
// UPDATE … FROM unnest(…) whose RETURNING list says which orders matched, and
// an INSERT of the history rows of those orders in the same statement (a
// data-modifying WITH), so that a batch costs the round trips of its
// transaction and of this one statement. Outside a transaction it runs in one
// of its own. Inside the caller's, where a savepoint would cost two more round
// trips per batch, a batch that lost a race dooms the caller's transaction
// instead, as a failed statement does: nothing of it can commit, as the Store
// contract allows (fn returns the error and the transaction rolls back).
func (d *postgresDialect) setStatuses(ctx context.Context, s *Store, scopes []connect.Scope, changes []connect.SetStatusParams, rows []*orderRow) error {
	run := s.inTx
	if s.tx != nil {
		run = s.dooming
	}
	return run(ctx, func(tx *Store) error { return tx.setStatusesBatch(ctx, scopes, changes, rows) })
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

// setStatusesBatch runs the batch's compare-and-sets as one UPDATE joined to the
// list of changes, and appends the history rows of the orders it matched, each
// with the client the order is stored under, in the same statement. An order
// matches only in its change's scope, at its change's status and version; when
// fewer orders match than there are changes, it says which change failed and
// how (the caller's transaction must then not commit: see setStatuses).
//
// The changes travel as array parameters of one cached statement whose text
// never changes: pgx prepares it once per connection, and PostgreSQL neither
// parses thousands of literals nor plans the join anew for each batch. The
// redundant o.id = ANY(ids) gives the planner the index condition on the orders'
// primary key, so the join never scans the table. The history rows keep the
// order of the changes and their events (WITH ORDINALITY, ORDER BY): an
// order's steps at the same instant read back in the order they happened.
func (s *Store) setStatusesBatch(ctx context.Context, scopes []connect.Scope, changes []connect.SetStatusParams, rows []*orderRow) error {
	// Each array made at its size: grown by append, the 26 arrays of a batch of
	// 500 were a tenth of the batch's CPU time.
	n, m := len(changes), 0
	for _, p := range changes {
		m += len(p.Events)
	}
	ints := func() []int32 { return make([]int32, 0, n) }
	strs := func() []string { return make([]string, 0, n) }
	times := func() []pgtype.Timestamptz { return make([]pgtype.Timestamptz, 0, n) }
	var (
		ns, versions, positions                                = ints(), ints(), ints()
		accounts, clients, ids, froms, statuses, depots, route = strs(), strs(), strs(), strs(), strs(), strs(), strs()
		reasons                                                = strs()
		proofs                                                 = make([]pgtype.Text, 0, n)
		etas, routeAts, submitted, updated                     = times(), times(), times(), times()
		ev                                                     = newHistoryArrays(m)
	)
	for i, p := range changes {
		r := rows[i]
		ns, versions, positions = append(ns, int32(i)), append(versions, int32(p.Version)), append(positions, int32(r.RoutePosition))
		accounts, clients, ids = append(accounts, string(scopes[i].Account)), append(clients, string(scopes[i].Client)), append(ids, string(p.Order.ID))
		froms, statuses, depots = append(froms, string(p.From)), append(statuses, r.Status), append(depots, r.Depot)
		route, reasons = append(route, r.RouteID), append(reasons, r.FailureReason)
		proofs = append(proofs, pgtype.Text{String: r.Proof, Valid: r.Proof != ""})
		etas, routeAts = append(etas, timestamptz(r.ETA)), append(routeAts, timestamptz(r.RouteEventAt))
		submitted, updated = append(submitted, timestamptz(r.SubmittedAt)), append(updated, timestamptz(r.UpdatedAt))
		for j := range p.Events {
			e := eventToRow(p.Order, &p.Events[j])
			e.AccountID = string(scopes[i].Account)
			ev.add(int32(i), e)
		}
	}
	const q = `WITH u AS (
UPDATE orders AS o SET status = v.status, depot = v.depot, route_id = v.route_id,
	route_position = v.route_position, eta = v.eta, failure_reason = v.failure_reason, proof = v.proof,
	route_event_at = v.route_event_at, submitted_at = v.submitted_at, updated_at = v.updated_at,
	version = v.version + 1
FROM unnest($1::int[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::text[],
	$8::text[], $9::text[], $10::int[], $11::timestamptz[], $12::text[], $13::text[], $14::timestamptz[],
	$15::timestamptz[], $16::timestamptz[]) AS v(n, account_id, client_id, id, from_status, version, status, depot, route_id,
	route_position, eta, failure_reason, proof, route_event_at, submitted_at, updated_at)
WHERE o.id = ANY($4::text[]) AND o.id = v.id AND o.account_id = v.account_id
	AND (v.client_id = '' OR o.client_id = v.client_id) AND o.status = v.from_status AND o.version = v.version
RETURNING v.n, o.client_id
), history AS (
INSERT INTO order_events (account_id, client_id, order_id, event, from_status, to_status, occurred_at, actor, eta, reason)
SELECT e.account_id, u.client_id, e.order_id, e.event, e.from_status, e.to_status, e.occurred_at, e.actor, e.eta, e.reason
FROM unnest($17::int[], $18::text[], $19::text[], $20::text[], $21::text[], $22::text[], $23::timestamptz[],
	$24::text[], $25::timestamptz[], $26::text[]) WITH ORDINALITY
	AS e(n, account_id, order_id, event, from_status, to_status, occurred_at, actor, eta, reason, ord)
JOIN u ON u.n = e.n
ORDER BY e.ord
)
SELECT n FROM u`
	var got []int32
	err := s.statement(q, ns, accounts, clients, ids, froms, versions, statuses, depots, route,
		positions, etas, reasons, proofs, routeAts, submitted, updated,
		ev.changes, ev.accounts, ev.orders, ev.events, ev.froms, ev.tos, ev.ats, ev.actors, ev.etas, ev.reasons).Scan(ctx, &got)
	if err != nil && !isNoRows(err) {
		return translate(ctx, err, "changing the status of orders")
	}
	matched := make([]bool, len(changes))
	for _, n := range got {
		if n >= 0 && int(n) < len(changes) {
			matched[n] = true
		}
	}
	for i, ok := range matched {
		if !ok {
			p := changes[i]
			return s.casMissed(ctx, inScope(s.idb.NewSelect().Model((*orderRow)(nil)), scopes[i]).
				Where("id = ?", string(p.Order.ID)), "order "+orderName(p.Order.Ref, p.Order.ID),
				"was changed by someone else; reload it")
		}
	}
	return nil
}

// historyArrays are history rows as the columns of setStatusesBatch's
// INSERT, each row with the index of its change.
type historyArrays struct {
	changes                                               []int32
	accounts, orders, events, froms, tos, actors, reasons []string
	ats, etas                                             []pgtype.Timestamptz
}

// newHistoryArrays makes the arrays of n history rows.
func newHistoryArrays(n int) historyArrays {
	strs := func() []string { return make([]string, 0, n) }
	return historyArrays{changes: make([]int32, 0, n),
		accounts: strs(), orders: strs(), events: strs(), froms: strs(), tos: strs(), actors: strs(), reasons: strs(),
		ats: make([]pgtype.Timestamptz, 0, n), etas: make([]pgtype.Timestamptz, 0, n)}
}

func (h *historyArrays) add(change int32, e *eventRow) {
	h.changes, h.accounts, h.orders = append(h.changes, change), append(h.accounts, e.AccountID), append(h.orders, e.OrderID)
	h.events, h.froms, h.tos = append(h.events, e.Event), append(h.froms, e.FromStatus), append(h.tos, e.ToStatus)
	h.actors, h.reasons = append(h.actors, e.Actor), append(h.reasons, e.Reason)
	h.ats, h.etas = append(h.ats, timestamptz(e.OccurredAt)), append(h.etas, timestamptz(e.ETA))
}

// timestamptz returns t for pgx, NULL when zero.
func timestamptz(t time.Time) pgtype.Timestamptz {
	return pgtype.Timestamptz{Time: t, Valid: !t.IsZero()}
}

// ordersByID looks the orders up by primary key first (a materialized CTE: the
// planner cannot scan the account's index instead, checking every order of the
// account against the list), then keeps only those in the scope.
func (d *postgresDialect) ordersByID(ctx context.Context, s *Store, scope connect.Scope, ids []string) ([]*connect.Order, error) {
	q := "WITH o AS MATERIALIZED (SELECT * FROM orders WHERE id = ANY($1::text[])) SELECT " + orderSelectList +
		" FROM o WHERE account_id = $2"
	args := []any{ids, string(scope.Account)}
	if scope.Client != "" {
		q += " AND client_id = $3"
		args = append(args, string(scope.Client))
	}
	var m orderScan
	if err := s.statement(q, args...).Scan(ctx, &m); err != nil {
		return nil, translate(ctx, err, "reading orders")
	}
	return ordersOf(m.rows)
}

// claimHostEvents reads the orders' route state and records the event ids of
// those it found in one statement: the orders by primary key (materialized, as
// ordersByID), the ids inserted for the events of the orders read, and the
// fresh ids as a JSON list beside the first order (beside each, they would
// travel once per order; joined to their orders, the planner loops).
func (d *postgresDialect) claimHostEvents(ctx context.Context, s *Store, scope connect.Scope, list, ids, orders []string, now time.Time) ([]*connect.Order, []string, error) {
	inScope := "account_id = $2"
	args := []any{list, string(scope.Account), ids, orders, now}
	if scope.Client != "" {
		inScope += " AND client_id = $6"
		args = append(args, string(scope.Client))
	}
	q := `WITH o AS MATERIALIZED (SELECT ` + strings.Join(routeStateColumns, ", ") + ` FROM orders WHERE id = ANY($1::text[])),
found AS (SELECT * FROM o WHERE ` + inScope + `),
e AS (SELECT * FROM unnest($3::text[], $4::text[]) AS e(id, order_id)),
fresh AS (
INSERT INTO host_events (account_id, event_id, recorded_at)
SELECT $2, e.id, $5 FROM e WHERE e.order_id IN (SELECT id FROM found)
ON CONFLICT DO NOTHING
RETURNING event_id
)
SELECT ` + qualified("found", routeStateColumns) + `,
	CASE WHEN row_number() OVER () = 1 THEN (SELECT json_agg(event_id) FROM fresh)::text END
FROM found`
	m := claimScan{}
	if err := s.statement(q, args...).Scan(ctx, &m); err != nil {
		return nil, nil, translate(ctx, err, "recording route events")
	}
	found, err := ordersOf(m.rows)
	return found, m.fresh, err
}

// qualified is columns, each prefixed by table.
func qualified(table string, columns []string) string {
	out := make([]string, len(columns))
	for i, c := range columns {
		out[i] = table + "." + c
	}
	return strings.Join(out, ", ")
}

// recordHostEvents inserts the ids as one array parameter of a cached statement.
func (d *postgresDialect) recordHostEvents(ctx context.Context, s *Store, account connect.AccountID, ids []string, now time.Time) ([]string, error) {
	var fresh []string
	err := s.statement(`INSERT INTO host_events (account_id, event_id, recorded_at)
SELECT $1, e, $3 FROM unnest($2::text[]) AS e
ON CONFLICT DO NOTHING
RETURNING event_id`, string(account), ids, now).Scan(ctx, &fresh)
	if err != nil && !isNoRows(err) {
		return nil, translate(ctx, err, "recording route events")
	}
	return fresh, nil
}
