package storage

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/dispatchkit/connect"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
)

// postgresDialect is PostgreSQL through pgx's database/sql driver (stdlib), the
// only driver New accepts: COPY, the cached statements of the hot queries and
// LISTEN all need pgx.
type postgresDialect struct {
	// cfg is the DSN's settings when Open connected, for the LISTEN connection;
	// nil for New's, which takes them from a connection of the host's pool.
	cfg *pgx.ConnConfig
	// origin names this Store's connections in notifications (Open sets it on
	// every connection); "" for New's, whose own commits then wake it too.
	origin string
}

func newPostgres(cfg *pgx.ConnConfig, origin string) *postgresDialect {
	return &postgresDialect{cfg: cfg, origin: origin}
}

func openPostgres(ctx context.Context, dsn, schema string) (*Store, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, connect.Errorf(connect.Invalid, "storage: reading the PostgreSQL DSN: %v", err)
	}
	if schema != "" {
		if err := createSchema(ctx, *cfg, schema); err != nil {
			return nil, err
		}
		cfg.RuntimeParams["search_path"] = schema
	}
	// bun writes every value into the SQL text, so the default cache-statement
	// mode would prepare, and keep on the server, one statement per distinct
	// query text; the hot queries ask for a cached statement themselves.
	if !strings.Contains(dsn, "default_query_exec_mode") {
		cfg.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	}
	// Every connection names this Store, so that its listener can tell its own
	// commits from other processes' (see postgres_wake.go).
	origin := randomName()
	cfg.RuntimeParams["connect.origin"] = origin
	sqldb := stdlib.OpenDB(*cfg)
	// A bounded pool that keeps its connections: opening one costs PostgreSQL a
	// process, so a burst of requests should queue for a connection, not open more.
	sqldb.SetMaxOpenConns(poolSize())
	sqldb.SetMaxIdleConns(poolSize())
	sqldb.SetConnMaxIdleTime(5 * time.Minute)
	db := bun.NewDB(sqldb, pgdialect.New())
	s := newStore(db, newPostgres(cfg, origin))
	s.owned = true
	if err := sqldb.PingContext(ctx); err != nil {
		_ = s.closeDB()
		return nil, translate(ctx, err, "connecting to PostgreSQL")
	}
	return s, nil
}

// createSchema creates the schema WithSchema names, if missing, on a connection
// of its own (the pool's connections already name it in their search_path).
func createSchema(ctx context.Context, cfg pgx.ConnConfig, schema string) error {
	conn, err := pgx.ConnectConfig(ctx, &cfg)
	if err != nil {
		return translate(ctx, err, "connecting to PostgreSQL")
	}
	defer conn.Close(context.WithoutCancel(ctx))
	// schema is validSchema's: it needs no quoting.
	if _, err := conn.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+schema); err != nil {
		return translate(ctx, err, "creating schema "+schema)
	}
	return nil
}

// hostTx marks the notifications of a host's transaction as another origin's,
// so that this process's listener hands them on at its commit: the Service's
// own wake-up came before that commit, too early.
func (d *postgresDialect) hostTx(ctx context.Context, tx bun.Tx) error {
	_, err := tx.ExecContext(ctx, "SELECT set_config('connect.origin', 'host-tx', true)")
	return err
}

func (d *postgresDialect) close() {}

func (d *postgresDialect) migrations() string { return "migrations/postgres" }

// lockMigrations takes an advisory lock of the schema on a connection of its own:
// several processes starting at once migrate one after the other.
func (d *postgresDialect) lockMigrations(ctx context.Context, db *bun.DB) (func(), error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, translate(ctx, err, "migrating")
	}
	const key = "hashtextextended('connect.migrate.' || current_schema(), 0)"
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock("+key+")"); err != nil {
		_ = conn.Close()
		return nil, translate(ctx, err, "migrating: taking the migration lock")
	}
	return func() {
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock("+key+")")
		_ = conn.Close()
	}, nil
}

// begin starts a transaction on a connection taken from the pool for it.
func (d *postgresDialect) begin(ctx context.Context, db *bun.DB) (bun.Tx, *bun.Conn, func(), error) {
	c, err := db.Conn(ctx)
	if err != nil {
		return bun.Tx{}, nil, nil, translate(ctx, err, "starting a transaction")
	}
	tx, err := c.BeginTx(ctx, nil)
	if err != nil {
		_ = c.Close()
		return bun.Tx{}, nil, nil, translate(ctx, err, "starting a transaction")
	}
	return tx, &c, func() { _ = c.Close() }, nil
}

func (d *postgresDialect) commitError(ctx context.Context, err error) error {
	if errors.Is(err, pgx.ErrTxCommitRollback) {
		// fn went on after a statement failed (PostgreSQL then refuses the rest)
		return &connect.Error{Code: connect.Conflict, Err: err,
			Message: "a statement of the transaction failed, so none of it was kept"}
	}
	return translate(ctx, err, "committing")
}

// atomic: inside a transaction a failed statement already dooms all of it
// (nothing partial can be committed), so fn runs as is, sparing a savepoint's
// two round trips.
func (d *postgresDialect) atomic(ctx context.Context, s *Store, fn func(tx *Store) error) error {
	if s.tx != nil {
		return fn(s)
	}
	return s.inTx(ctx, fn)
}

// narrowScope: PostgreSQL's reads are steered by a fence in the FROM instead
// (ordersOf, historyOf), so the scope is written as it is.
func (d *postgresDialect) narrowScope(q *bun.SelectQuery, sc connect.Scope, _ bool) *bun.SelectQuery {
	return inScope(q, sc)
}

// ordersOf reads a client's orders from those found by the client alone, behind
// OFFSET 0, which the planner does not see through.
func (d *postgresDialect) ordersOf(q *bun.SelectQuery, sc connect.Scope) *bun.SelectQuery {
	if sc.Client == "" {
		return q.TableExpr("orders")
	}
	return q.TableExpr("(SELECT * FROM orders WHERE client_id = ? OFFSET 0) AS orders", string(sc.Client))
}

// historyOf reads the events found by the order's key alone, then checked
// against the scope.
func (d *postgresDialect) historyOf(q *bun.SelectQuery, id connect.OrderID) *bun.SelectQuery {
	return q.ModelTableExpr("(SELECT * FROM order_events WHERE order_id = ? OFFSET 0) AS e", string(id))
}

func (d *postgresDialect) activeOrders() string { return "" }

func (d *postgresDialect) importOrders() string { return "" }

// existingRefs probes orders_client_ref once per reference, 1 µs each.
// Without the LIMIT the planner flattens the subquery into a join that reads
// every order of the client, and during an import, whose rows it has no
// statistics for, it expects that to be one row: each batch then reads every row
// the import stored so far (1.3-1.7 s of a 100k-row import, against 0.1 s this
// way). "ref IN (…)" fares no better. A scope of the whole account reads the
// account's orders. Both sides are folded under the column's "C" collation
// (ASCII letters, as SQLite's lower()): the database's default collation may fold
// more, and would then miss an Ü stored as it is asked.
func (d *postgresDialect) existingRefs(ctx context.Context, s *Store, scope connect.Scope, refs []string) ([]string, error) {
	where, args := "account_id = ?", []any{pgdialect.Array(refs), string(scope.Account)}
	if scope.Client != "" {
		where, args = "account_id = ? AND client_id = ?", append(args, string(scope.Client))
	}
	var got []string
	err := s.idb.NewRaw(`SELECT r.ref FROM unnest(?::text[]) AS r(ref)
		CROSS JOIN LATERAL (SELECT 1 FROM orders
			WHERE `+where+` AND lower(ref) = lower(r.ref COLLATE "C") AND ref <> '' LIMIT 1) AS o`, args...).Scan(ctx, &got)
	if err != nil && !isNoRows(err) {
		return nil, translate(ctx, err, "looking up references")
	}
	return got, nil
}

// takenRef reads the reference from the violation's detail, which reads
// `Key (client_id, lower(ref))=(CLIENT, ref) already exists.` with the reference
// folded, and names the order's reference as written.
func (d *postgresDialect) takenRef(_ context.Context, _ *Store, err error, orders []*connect.Order) (string, bool) {
	var clients []string
	for _, o := range orders {
		if c := string(o.Client); !slices.Contains(clients, c) {
			clients = append(clients, c)
		}
	}
	folded, ok := pgRefDetail(err, clients)
	if !ok {
		return "", false
	}
	for _, o := range orders {
		if lowerASCII(o.Ref) == folded {
			return o.Ref, true
		}
	}
	return folded, true
}

// pgRefDetail returns the reference, folded, that a PostgreSQL unique violation
// of orders_client_ref names, given the clients the orders belong to.
func pgRefDetail(err error, clients []string) (string, bool) {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return "", false
	}
	rest, ok := strings.CutPrefix(pgErr.Detail, "Key (client_id, lower(ref))=(")
	if !ok {
		return "", false
	}
	rest, ok = strings.CutSuffix(rest, ") already exists.")
	if !ok {
		return "", false
	}
	for _, c := range clients {
		if ref, ok := strings.CutPrefix(rest, c+", "); ok {
			return ref, true
		}
	}
	return "", false
}

// createOrders uses COPY from tx.copyAt orders on (see postgres_copy.go), and
// multi-row INSERTs below, where they are as fast.
func (d *postgresDialect) createOrders(ctx context.Context, tx *Store, orders []*connect.Order, events []connect.OrderEvent) error {
	if len(orders) >= tx.copyAt && tx.conn != nil { // none in a host's transaction (WithTx)
		return tx.copyOrders(ctx, orders, events)
	}
	return tx.insertOrders(ctx, orders, events)
}

// skipLocked: concurrent claimers skip each other's rows instead of waiting for
// them, and a row another claimer leased and committed meanwhile is re-checked
// against the lease condition (READ COMMITTED) and left out.
func (d *postgresDialect) skipLocked() string { return " FOR UPDATE SKIP LOCKED" }

// lockRows: a concurrent change of the rows waits for the transaction.
func (d *postgresDialect) lockRows() string { return "UPDATE" }

// pgError translates PostgreSQL's own errors.
func pgError(err error, what string) (error, bool) {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return nil, false
	}
	switch {
	case pgErr.Code == "23503": // foreign_key_violation
		return &connect.Error{Code: connect.NotFound, Message: what + ": no such client in the account", Err: err}, true
	case pgErr.Code == "53100": // disk_full
		return &connect.Error{Code: connect.Unavailable, Message: what + ": " + diskFull, Err: err}, true
	case pgErr.Code == "40001" || pgErr.Code == "40P01": // serialization_failure, deadlock_detected
		return &connect.Error{Code: connect.Conflict, Message: what + ": a concurrent change got in the way; try again", Err: err}, true
	case strings.HasPrefix(pgErr.Code, "08"), strings.HasPrefix(pgErr.Code, "53"),
		strings.HasPrefix(pgErr.Code, "57P"): // connection, resources, shutdown
		return &connect.Error{Code: connect.Unavailable, Message: what + ": the database is unavailable", Err: err}, true
	}
	return &connect.Error{Code: connect.Internal, Message: what + ": " + pgErr.Message, Err: err}, true
}

// pgUniqueViolation reports a unique violation of PostgreSQL and the name of its
// constraint.
func pgUniqueViolation(err error) (name string, violation, isPG bool) {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return "", false, false
	}
	return pgErr.ConstraintName, pgErr.Code == "23505", true
}

// unreachablePG reports pgconn's error for a server it could not connect to.
func unreachablePG(err error) bool {
	var connErr *pgconn.ConnectError
	return errors.As(err, &connErr)
}
