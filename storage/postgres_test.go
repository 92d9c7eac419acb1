package storage_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/internal/pgtest"
	"github.com/dispatchkit/connect/storage"
	"github.com/dispatchkit/connect/storage/storagetest"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
)

// openPostgres opens a Store on a schema of the test's own.
func openPostgres(t *testing.T) *storage.Store {
	t.Helper()
	s, err := storage.Open(t.Context(), pgtest.Schema(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// The two ways a host opens PostgreSQL for New: pgx's database/sql driver by
// name, or over a pgx pool of its own.
var hostPools = []struct {
	name string
	open func(t *testing.T, dsn string) *sql.DB
}{
	{"sql.Open", func(t *testing.T, dsn string) *sql.DB {
		db, err := sql.Open("pgx", dsn)
		if err != nil {
			t.Fatal(err)
		}
		return db
	}},
	{"OpenDBFromPool", func(t *testing.T, dsn string) *sql.DB {
		pool, err := pgxpool.New(t.Context(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(pool.Close)
		return stdlib.OpenDBFromPool(pool)
	}},
}

// newOnHostDB makes a Store with New on a database the test opened as a host
// does (open is one of hostPools), on the schema dsn names, and migrates it.
func newOnHostDB(t *testing.T, dsn string, open func(t *testing.T, dsn string) *sql.DB, hooks ...bun.QueryHook) *storage.Store {
	t.Helper()
	db := bun.NewDB(open(t, dsn), pgdialect.New())
	t.Cleanup(func() { _ = db.Close() }) // after the pool's Close: registered before it
	for _, h := range hooks {
		db = db.WithQueryHook(h)
	}
	s, err := storage.New(db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestPostgres(t *testing.T) {
	pgtest.URL(t)
	t.Parallel()
	storagetest.Run(t, func(t *testing.T) connect.Store { return openPostgres(t) })
}

// TestPostgresOnAHostsPool runs the suite on Stores made with New over a pgx
// pool the host owns (stdlib.OpenDBFromPool), in pgx's default statement mode.
func TestPostgresOnAHostsPool(t *testing.T) {
	pgtest.URL(t)
	t.Parallel()
	storagetest.Run(t, func(t *testing.T) connect.Store {
		return newOnHostDB(t, pgtest.Schema(t), hostPools[1].open)
	})
}

// TestNewWantsPgx: New refuses PostgreSQL on another driver than pgx's, and says
// how to open it.
func TestNewWantsPgx(t *testing.T) {
	t.Parallel()
	db := bun.NewDB(sql.OpenDB(otherDriver{}), pgdialect.New())
	t.Cleanup(func() { _ = db.Close() })
	_, err := storage.New(db)
	wantCode(t, "New on another driver", err, connect.Invalid)
	for _, want := range []string{`sql.Open("pgx"`, "stdlib.OpenDBFromPool"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error %q does not say %s", err, want)
		}
	}
}

// otherDriver is a PostgreSQL driver that is not pgx's; New never connects.
type otherDriver struct{}

func (otherDriver) Connect(context.Context) (driver.Conn, error) {
	return nil, errors.New("not connected")
}
func (d otherDriver) Driver() driver.Driver          { return d }
func (otherDriver) Open(string) (driver.Conn, error) { return nil, errors.New("not connected") }

// TestWakeOnAHostsPool: a Store made with New over a host's pgx database, opened
// either way, wakes for committed order events of another Store. Its listener
// once copied a pool connection's settings, notification callback included, so
// that pgx handed every notification to the pool connection, and the listener's
// goroutine dereferenced the nil notification it got instead (a panic in the
// host's process).
func TestWakeOnAHostsPool(t *testing.T) {
	pgtest.URL(t)
	t.Parallel()
	for _, pool := range hostPools {
		t.Run(pool.name, func(t *testing.T) {
			t.Parallel()
			dsn := pgtest.Schema(t)
			s := newOnHostDB(t, dsn, pool.open)
			other, err := storage.Open(t.Context(), dsn)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = other.Close() })
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			wake, err := s.Wake(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for i := range 3 {
				drain(wake)
				commitOrder(t, other, fmt.Sprintf("pool-%d", i))
				select {
				case <-wake:
				case <-time.After(10 * time.Second):
					t.Fatalf("no wake-up 10 s after commit %d", i)
				}
			}
		})
	}
}

// TestHooksSeeEveryQuery: bun's query hooks on the host's database see the hot
// statements too, which run as statements pgx prepares and caches.
func TestHooksSeeEveryQuery(t *testing.T) {
	pgtest.URL(t)
	t.Parallel()
	log := &storage.QueryLog{}
	s := newOnHostDB(t, pgtest.Schema(t), hostPools[0].open, log)
	ctx := t.Context()
	c := newClient(t, s, "a", "c-hooks")
	o := newOrder(c, "o-hooks", "r-hooks", connect.StatusSubmitted, t0)
	scope := connect.Scope{Account: "a", Client: c.ID}
	if err := s.CreateOrders(ctx, scope, []*connect.Order{o}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Orders(ctx, scope, connect.OrderQuery{Statuses: connect.ViewActive.Statuses(), Limit: 50}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.OrdersByID(ctx, scope, []connect.OrderID{o.ID}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RecordHostEvents(ctx, scope, []string{"e1"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.ClaimHostEvents(ctx, scope, []connect.HostEvent{{ID: "e2", Order: o.ID}}); err != nil {
		t.Fatal(err)
	}
	next := *o
	next.Status = connect.StatusScheduled
	if err := s.SetStatuses(ctx, scope, []connect.SetStatusParams{{From: o.Status, Version: 1, Order: &next,
		Events: []connect.OrderEvent{{Order: o.ID, Event: connect.EventSchedule, From: o.Status, To: next.Status, At: t0}}}}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"FROM orders WHERE account_id = $1 AND client_id = $2 AND status IN", // Orders
		"WITH o AS MATERIALIZED", // OrdersByID
		"INSERT INTO host_events (account_id, event_id, recorded_at)\nSELECT $1", // RecordHostEvents
		"found AS (SELECT * FROM o WHERE",                                        // ClaimHostEvents
		"UPDATE orders AS o SET status",                                          // SetStatuses
		"INSERT INTO order_events (account_id",                                   // its events, in the same statement
	} {
		if !log.Saw(want) {
			t.Errorf("no query with %q reached the hook", want)
		}
	}
}
