package main

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/dispatchkit/connect"
)

// stopTable is the host's own stop list, a table in its own database, fed by
// connect's RouteSync. It meets the contract in one statement: a change is
// applied only when its order's Version is newer than the row's, and a
// withdrawn or cancelled order keeps its row (a tombstone with its version), so
// a late or replayed change never brings a stop back.
type stopTable struct {
	pool *pgxpool.Pool
	// synced, when set (tests, before serving), hears of each change applied.
	synced func(connect.StopChange)
}

var _ connect.RouteSync = (*stopTable)(nil)

func newStopTable(ctx context.Context, pool *pgxpool.Pool) (*stopTable, error) {
	_, err := pool.Exec(ctx, `CREATE TABLE IF NOT EXISTS host_stops (
		order_id text PRIMARY KEY,
		version  integer NOT NULL,
		status   text NOT NULL,
		is_stop  boolean NOT NULL,
		depot    text NOT NULL,
		address  text NOT NULL
	)`)
	return &stopTable{pool: pool}, err
}

// SyncStop upserts the order's row when its version is newer.
func (t *stopTable) SyncStop(ctx context.Context, c connect.StopChange) error {
	o := c.Order
	_, err := t.pool.Exec(ctx, `INSERT INTO host_stops (order_id, version, status, is_stop, depot, address)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (order_id) DO UPDATE SET version = excluded.version, status = excluded.status,
			is_stop = excluded.is_stop, depot = excluded.depot, address = excluded.address
		WHERE host_stops.version < excluded.version`,
		string(o.ID), o.Version, string(o.Status), o.Status.InStopList(), string(o.Depot), o.Address.Line1)
	if err != nil {
		return connect.Errorf(connect.Unavailable, "host stops: %w", err) // retried by the outbox
	}
	if t.synced != nil {
		t.synced(c)
	}
	return nil
}

// Routable reports whether the host holds the order as a stop
// (connecttest.RouteSyncHost).
func (t *stopTable) Routable(ctx context.Context, id connect.OrderID) (bool, error) {
	var stop bool
	err := t.pool.QueryRow(ctx, `SELECT is_stop FROM host_stops WHERE order_id = $1`, string(id)).Scan(&stop)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	return stop, err
}

// hostStop is one row of the stop list.
type hostStop struct{ order, status, address string }

func (t *stopTable) list(ctx context.Context) ([]hostStop, error) {
	rows, err := t.pool.Query(ctx, `SELECT order_id, status, address FROM host_stops WHERE is_stop ORDER BY order_id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []hostStop
	for rows.Next() {
		var s hostStop
		if err := rows.Scan(&s.order, &s.status, &s.address); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}
