package storage

import (
	"context"
	"time"

	"github.com/dispatchkit/connect"
	"github.com/jackc/pgx/v5/pgtype"
)

// The batches of route events on PostgreSQL: each a cached statement whose
// arguments are arrays (see postgres_prepared.go).

// setStatuses applies the batch as one UPDATE … FROM unnest(…) whose RETURNING
// list says which orders matched, and writes the events with one INSERT … SELECT
// FROM unnest(…) per insertBatch. Outside a transaction it runs in one of its
// own. Inside the caller's, where a savepoint would cost two more round trips per
// batch, a batch that lost a race dooms the caller's transaction instead, as a
// failed statement does: nothing of it can commit, as the Store contract allows
// (fn returns the error and the transaction rolls back).
func (d *postgresDialect) setStatuses(ctx context.Context, s *Store, scopes []connect.Scope, changes []connect.SetStatusParams, rows []*orderRow) error {
	run := s.inTx
	if s.tx != nil {
		run = s.dooming
	}
	return run(ctx, func(tx *Store) error {
		clients, err := tx.setStatusesBatch(ctx, scopes, changes, rows)
		if err != nil {
			return err
		}
		return eachEventBatch(scopes, changes, clients, func(evs []eventRow) error {
			return translate(ctx, tx.insertEventsBatch(ctx, evs), "writing order history")
		})
	})
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

// setStatusesBatch runs the batch's compare-and-sets as one UPDATE joined to the list
// of changes, and returns the orders' clients. An order matches only in its
// change's scope, at its change's status and version; when fewer orders match than
// there are changes, it says which change failed and how.
//
// The changes travel as array parameters of one cached statement whose text
// never changes: pgx prepares it once per connection, and PostgreSQL neither
// parses thousands of literals nor plans the join anew for each batch. The
// redundant o.id = ANY(ids) gives the planner the index condition on the orders'
// primary key, so the join never scans the table.
func (s *Store) setStatusesBatch(ctx context.Context, scopes []connect.Scope, changes []connect.SetStatusParams, rows []*orderRow) ([]string, error) {
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
		accounts, clients, ids = append(accounts, string(scopes[i].Account)), append(clients, string(scopes[i].Client)), append(ids, string(p.Order.ID))
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
WHERE o.id = ANY($4::text[]) AND o.id = v.id AND o.account_id = v.account_id
	AND (v.client_id = '' OR o.client_id = v.client_id) AND o.status = v.from_status AND o.version = v.version
RETURNING v.n, o.client_id`
	var got []struct {
		N        int    `bun:"n"`
		ClientID string `bun:"client_id"`
	}
	q := set + `unnest($1::int[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::text[],
	$8::text[], $9::text[], $10::int[], $11::timestamptz[], $12::text[], $13::text[], $14::timestamptz[],
	$15::timestamptz[], $16::timestamptz[])` + where
	err := s.statement(q, ns, accounts, clients, ids, froms, versions, statuses, depots, route,
		positions, etas, reasons, proofs, routeAts, submitted, updated).Scan(ctx, &got)
	if err != nil && !isNoRows(err) {
		return nil, translate(ctx, err, "changing the status of orders")
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
			return nil, s.casMissed(ctx, inScope(s.idb.NewSelect().Model((*orderRow)(nil)), scopes[i]).
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

// insertEventsBatch writes history rows in one INSERT … SELECT FROM unnest(arrays).
func (s *Store) insertEventsBatch(ctx context.Context, evs []eventRow) error {
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
	_, err := s.statement(`INSERT INTO order_events (account_id, client_id, order_id, event, from_status,
	to_status, occurred_at, actor, eta, reason)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
	$7::timestamptz[], $8::text[], $9::timestamptz[], $10::text[])`,
		accounts, clients, orders, events, froms, tos, ats, actors, etas, reasons).Exec(ctx)
	return err
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
