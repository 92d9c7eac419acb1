// Package storage implements connect.Store with github.com/uptrace/bun, on
// PostgreSQL (production) and SQLite (the embedded default, pure Go).
//
// Open a store from a DSN:
//
//	s, err := storage.Open(ctx, "sqlite:portal.db")                      // a file
//	s, err := storage.Open(ctx, "sqlite::memory:")                       // in memory, for tests and demos
//	s, err := storage.Open(ctx, "postgres://user@host/db?sslmode=disable")
//
// Open applies the schema migrations unless told not to (SkipMigrate); New wraps a
// *bun.DB a host already has. Both dialects share one set of row models and
// queries; PostgreSQL gets COPY for bulk inserts of orders.
//
// Besides the Store, a *Store is a connect.ShopifyTokens (sealed Shopify tokens)
// and a connect.Waker: on PostgreSQL, Wake listens for the notification a
// trigger on order_events sends on every commit that wrote events; on SQLite it
// never wakes (writers in the process wake their readers). The event feed
// (Events, EventsHead) is read in commit order with a cursor that misses nothing
// under concurrent transactions: see events.go.
//
// Driver choice. PostgreSQL is reached through pgx/v5's database/sql driver
// (stdlib) rather than bun's own pgdriver: pgx is the better-maintained driver (bun's
// pgdriver lags bun's releases), its CopyFrom encodes numeric and timestamptz in
// binary, which the bulk insert of orders uses through the transaction's own
// connection, and LISTEN/NOTIFY needs a dedicated pgx.Conn anyway. Queries run in
// the simple protocol unless the DSN says otherwise (default_query_exec_mode): bun
// writes every value into the SQL text, so the default cache-statement mode would
// prepare, and keep on the server, one statement per distinct query text. SQLite is
// modernc.org/sqlite through bun's sqliteshim (no cgo).
package storage

import (
	"context"
	"crypto/rand"
	"database/sql"
	"database/sql/driver"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/url"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/dispatchkit/connect"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	"github.com/uptrace/bun/driver/sqliteshim"
)

// Store is a connect.Store on a bun database. A Store from Open, New or Tx is safe
// for concurrent use, except the Store a Tx function receives: it is bound to one
// transaction on one connection and serves one goroutine, the function's.
type Store struct {
	db  *bun.DB
	idb bun.IDB // db, or the transaction this Store is bound to
	pg  bool    // PostgreSQL; else SQLite
	pgx bool    // PostgreSQL through pgx's stdlib driver (prepared statements, COPY)

	pgcfg  *pgx.ConnConfig // the DSN's settings, when Open connected (for Wake)
	origin string          // names this Store's connections in notifications; "" for New's

	// Set when the Store is bound to a transaction (see Tx).
	tx   *bun.Tx
	conn *bun.Conn // the connection the transaction runs on (for COPY)

	owned  bool // Close closes db
	log    *slog.Logger
	copyAt int // CreateOrders uses COPY from this many orders on (PostgreSQL)

	// keep holds a connection to an in-memory SQLite database, which exists only
	// while a connection to it is open.
	keep *sql.Conn

	// writer serializes this Store's SQLite transactions in Go, on a connection
	// of their own; nil on PostgreSQL.
	writer *sqliteWriter

	// writes counts this Store's writing statements on SQLite, so that Wake can
	// tell its own commits from other processes'; nil on PostgreSQL.
	writes *writeCounter

	// onceCalls counts UseOnce calls, for its occasional sweep of expired keys;
	// shared with the Store's transactions.
	onceCalls *atomic.Uint64
}

var _ connect.Store = (*Store)(nil)

// Option configures Open.
type Option func(*options)

type options struct {
	skipMigrate bool
	logger      *slog.Logger
	maxConns    int
}

// SkipMigrate leaves the schema alone on Open; call Migrate when it suits the host
// (for example, from a deploy step).
func SkipMigrate() Option { return func(o *options) { o.skipMigrate = true } }

// WithMaxConns bounds the connection pool (default max(10, 4×GOMAXPROCS), all
// kept open while idle).
func WithMaxConns(n int) Option { return func(o *options) { o.maxConns = n } }

// WithLogger logs the migrations applied. nil (the default) is silent.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// The SQLite settings every connection gets: wait for a lock rather than fail at
// once, WAL (readers never block the writer), foreign keys on, and BEGIN IMMEDIATE,
// so that a transaction that reads and then writes never fails to upgrade its lock.
var sqlitePragmas = []string{
	"_pragma=busy_timeout(5000)",
	"_pragma=journal_mode(WAL)",
	"_pragma=foreign_keys(1)",
	"_txlock=immediate",
}

// Open connects to the database the DSN names and, unless SkipMigrate is given,
// brings its schema up to date:
//
//   - "sqlite:PATH" is a SQLite database in the file PATH (created if missing);
//     "sqlite::memory:" (or "sqlite:") is a private in-memory database that lives
//     until Close.
//   - "postgres://…" or "postgresql://…" is PostgreSQL (any pgx connection string;
//     add search_path=… to use a schema).
//
// Errors: ErrInvalid for a DSN of another kind; ErrUnavailable when the database
// cannot be reached; ErrInternal when a migration fails.
func Open(ctx context.Context, dsn string, opts ...Option) (*Store, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	var (
		s   *Store
		err error
	)
	switch {
	case strings.HasPrefix(dsn, "sqlite:"):
		s, err = openSQLite(ctx, strings.TrimPrefix(dsn, "sqlite:"))
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		s, err = openPostgres(ctx, dsn)
	default:
		return nil, connect.Errorf(connect.Invalid, "storage: the DSN must start with sqlite: or postgres:// (got %q)", redact(dsn))
	}
	if err != nil {
		return nil, err
	}
	s.owned = true
	if o.logger != nil {
		s.log = o.logger
	}
	if o.maxConns > 0 {
		s.db.SetMaxOpenConns(o.maxConns)
		s.db.SetMaxIdleConns(o.maxConns)
	}
	if !o.skipMigrate {
		if err := s.Migrate(ctx); err != nil {
			_ = s.Close()
			return nil, err
		}
	}
	return s, nil
}

// poolSize is how many connections a Store opens at most, and keeps.
func poolSize() int { return max(10, 4*runtime.GOMAXPROCS(0)) }

func openSQLite(ctx context.Context, path string) (*Store, error) {
	memory := path == "" || path == ":memory:"
	var dsn string
	if memory {
		// A named database in the memdb VFS: every connection of the pool sees it,
		// with SQLite's ordinary locking (unlike shared cache), and it is freed when
		// the last connection closes.
		dsn = "file:/connect-" + randomName() + "?vfs=memdb"
	} else {
		dsn = "file:" + path
	}
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	for _, p := range sqlitePragmas {
		if memory && strings.HasPrefix(p, "_pragma=journal_mode") {
			continue // memdb has no WAL; its own locking suffices
		}
		// a setting the DSN makes itself wins: "_pragma=busy_timeout(" or "_txlock="
		key := p[:strings.IndexByte(p, '=')+1]
		if i := strings.IndexByte(p, '('); i >= 0 {
			key = p[:i+1]
		}
		if !strings.Contains(path, key) {
			dsn += sep + p
			sep = "&"
		}
	}
	sqldb, err := sql.Open(sqliteshim.ShimName, dsn)
	if err != nil {
		return nil, translate(ctx, err, "opening SQLite")
	}
	// Keep every connection opened: opening a SQLite connection costs more than
	// most queries (a load test of 200 sessions spent a fifth of its CPU reopening
	// them with 2 idle ones kept). And bound them: SQLite's reads run on the host's
	// own CPUs, so connections beyond a few per CPU only queue there, and each
	// keeps a page cache of its own (500 sessions held 2.4 GB through a few
	// hundred connections).
	sqldb.SetMaxOpenConns(poolSize())
	sqldb.SetMaxIdleConns(poolSize())
	sqldb.SetConnMaxIdleTime(0)
	sqldb.SetConnMaxLifetime(0)
	s := newStore(bun.NewDB(sqldb, sqlitedialect.New()))
	if memory {
		if s.keep, err = sqldb.Conn(ctx); err != nil {
			_ = sqldb.Close()
			return nil, translate(ctx, err, "opening SQLite")
		}
	}
	if err := sqldb.PingContext(ctx); err != nil {
		_ = s.closeDB()
		return nil, translate(ctx, err, "opening SQLite")
	}
	return s, nil
}

func openPostgres(ctx context.Context, dsn string) (*Store, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, connect.Errorf(connect.Invalid, "storage: reading the PostgreSQL DSN: %v", err)
	}
	if !strings.Contains(dsn, "default_query_exec_mode") {
		cfg.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	}
	// Every connection names this Store, so that its listener can tell its own
	// commits from other processes' (see Wake).
	origin := randomName()
	cfg.RuntimeParams["connect.origin"] = origin
	sqldb := stdlib.OpenDB(*cfg)
	// A bounded pool that keeps its connections: opening one costs PostgreSQL a
	// process, so a burst of requests should queue for a connection, not open more.
	sqldb.SetMaxOpenConns(poolSize())
	sqldb.SetMaxIdleConns(poolSize())
	sqldb.SetConnMaxIdleTime(5 * time.Minute)
	s := newStore(bun.NewDB(sqldb, pgdialect.New()))
	s.pgcfg, s.origin = cfg, origin
	if err := sqldb.PingContext(ctx); err != nil {
		_ = s.closeDB()
		return nil, translate(ctx, err, "connecting to PostgreSQL")
	}
	return s, nil
}

// New returns a Store on a database the host opened itself, PostgreSQL or SQLite.
// It does not migrate (call Migrate) and Close leaves db open. On PostgreSQL, bulk
// inserts use COPY when db runs on pgx's stdlib driver, and multi-row INSERTs
// otherwise. For SQLite, open db with the settings Open uses:
// "file:PATH?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_txlock=immediate"
// (foreign keys guard tenant integrity; _txlock=immediate keeps a transaction that
// reads and then writes from failing under concurrency).
// Errors: ErrInvalid for another dialect.
func New(db *bun.DB) (*Store, error) {
	switch db.Dialect().Name() {
	case dialect.PG, dialect.SQLite:
		return newStore(db), nil
	}
	return nil, connect.Errorf(connect.Invalid, "storage: unsupported dialect %s", db.Dialect().Name())
}

func newStore(db *bun.DB) *Store {
	s := &Store{
		db:     db,
		idb:    db,
		pg:     db.Dialect().Name() == dialect.PG,
		log:    slog.New(slog.DiscardHandler),
		copyAt: defaultCopyAt,

		onceCalls: new(atomic.Uint64),
	}
	if !s.pg {
		s.writer = &sqliteWriter{turn: make(chan struct{}, 1)}
		s.writes = new(writeCounter)
		// The Store's own handle counts; a host's *bun.DB (New) is left as it was.
		s.db = db.WithQueryHook(s.writes)
		s.idb = s.db
	}
	_, s.pgx = db.DB.Driver().(*stdlib.Driver)
	return s
}

// sqliteBusyTimeout is how long a transaction waits for its turn on SQLite, as
// the busy_timeout pragma does for other processes.
const sqliteBusyTimeout = 5 * time.Second

// sqliteWriter is where a Store's SQLite transactions take turns. SQLite allows
// one writer at a time and every transaction here is BEGIN IMMEDIATE, so they
// take turns anyway; queueing on a channel wakes the next one at once, where
// SQLite's busy handler would poll with growing sleeps. And the turn comes with
// a connection kept for transactions: one that took a pool connection after its
// turn waited among every reader of a busy portal for one (database/sql hands a
// freed connection to a random waiter), while every other writer waited for it,
// until they gave up (503 "the database is busy").
type sqliteWriter struct {
	turn chan struct{}
	conn *bun.Conn // opened by the first transaction; the turn guards it
}

// takeTurn waits until this Store's SQLite transactions leave room for one more,
// and returns the function that gives the turn back.
func (s *Store) takeTurn(ctx context.Context) (func(), error) {
	if s.writer == nil {
		return func() {}, nil
	}
	timer := time.NewTimer(sqliteBusyTimeout)
	defer timer.Stop()
	select {
	case s.writer.turn <- struct{}{}:
		return func() { <-s.writer.turn }, nil
	case <-ctx.Done():
		return nil, translate(ctx, ctx.Err(), "starting a transaction")
	case <-timer.C:
		return nil, connect.Errorf(connect.Unavailable, "starting a transaction: the database is busy; try again")
	}
}

// beginTx starts a transaction on a connection of its own (on PostgreSQL COPY
// reaches the driver connection through it), and returns the function that lets
// the connection go after the transaction ended. The caller has its turn.
func (s *Store) beginTx(ctx context.Context) (bun.Tx, *bun.Conn, func(), error) {
	if s.writer == nil {
		c, err := s.db.Conn(ctx)
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
	tx, err := s.writer.begin(ctx, s.db)
	if err != nil {
		return bun.Tx{}, nil, nil, translate(ctx, err, "starting a transaction")
	}
	return tx, s.writer.conn, func() {}, nil
}

// begin starts a transaction on the writer's connection, opening one first when
// it has none yet or the one it had broke. The caller has the turn.
func (w *sqliteWriter) begin(ctx context.Context, db *bun.DB) (bun.Tx, error) {
	if w.conn != nil {
		tx, err := w.conn.BeginTx(ctx, nil)
		if !errors.Is(err, sql.ErrConnDone) && !errors.Is(err, driver.ErrBadConn) {
			return tx, err
		}
		_ = w.conn.Close()
		w.conn = nil
	}
	c, err := db.Conn(ctx)
	if err != nil {
		return bun.Tx{}, err
	}
	w.conn = &c
	return c.BeginTx(ctx, nil)
}

// DB returns the bun database, for a host that keeps its own tables beside
// connect's.
func (s *Store) DB() *bun.DB { return s.db }

// Close closes the database if Open opened it. The Store must not be used after.
func (s *Store) Close() error {
	if !s.owned || s.tx != nil {
		return nil
	}
	return s.closeDB()
}

func (s *Store) closeDB() error {
	if s.keep != nil {
		_ = s.keep.Close()
	}
	if s.writer != nil && s.writer.conn != nil {
		_ = s.writer.conn.Close() // no transaction runs: the Store is not used after Close
	}
	return s.db.Close()
}

// randomName returns 16 random hex digits.
func randomName() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// redact hides a password in a DSN for messages.
func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		return dsn
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// Tx runs fn in one transaction; see connect.Store. On a Store already bound to a
// transaction, fn runs inside it under a savepoint: if fn fails, what it did is
// undone and the outer transaction goes on. A panic in fn rolls back and is
// re-raised. fn must work through the Store it is given: the transaction holds a
// connection of the pool, and a call on the outer Store from fn needs another (on
// SQLite, it would wait for the transaction's lock).
func (s *Store) Tx(ctx context.Context, fn func(tx connect.Store) error) error {
	return s.inTx(ctx, func(tx *Store) error { return fn(tx) })
}

// inTx runs fn in a transaction, or under a savepoint of the current one.
func (s *Store) inTx(ctx context.Context, fn func(tx *Store) error) (err error) {
	var (
		tx   bun.Tx
		conn *bun.Conn
	)
	if s.tx != nil {
		if tx, err = s.tx.BeginTx(ctx, nil); err != nil {
			return translate(ctx, err, "starting a savepoint")
		}
		conn = s.conn
	} else {
		// The transaction gets a connection of its own, so that COPY can reach the
		// driver connection the transaction runs on.
		release, err := s.takeTurn(ctx)
		if err != nil {
			return err
		}
		defer release()
		var letGo func()
		if tx, conn, letGo, err = s.beginTx(ctx); err != nil {
			return err
		}
		defer letGo()
	}
	bound := *s
	bound.idb, bound.tx, bound.conn, bound.owned, bound.keep = tx, &tx, conn, false, nil

	committed := false
	defer func() {
		if !committed {
			_ = tx.Rollback() // on error and on panic; a panic goes on up
		}
	}()
	if err := fn(&bound); err != nil {
		return err // fn's own error, as it returned it
	}
	if err := tx.Commit(); err != nil {
		if errors.Is(err, pgx.ErrTxCommitRollback) {
			// fn went on after a statement failed (PostgreSQL then refuses the rest)
			return &connect.Error{Code: connect.Conflict, Err: err,
				Message: "a statement of the transaction failed, so none of it was kept"}
		}
		return translate(ctx, err, "committing")
	}
	committed = true
	return nil
}

// atomic runs fn, which makes several statements, so that either all of them take
// effect or none. Outside a transaction it starts one. Inside one, on PostgreSQL a
// failed statement already dooms the whole transaction (nothing partial can be
// committed), so fn runs as is; SQLite keeps a transaction going after a failed
// statement, so fn runs under a savepoint that is rolled back on failure.
func (s *Store) atomic(ctx context.Context, fn func(tx *Store) error) error {
	if s.tx != nil && s.pg {
		return fn(s)
	}
	return s.inTx(ctx, fn)
}

// writeCounter counts the statements that are not SELECTs twice: as they start
// and as they end. A statement outside a transaction commits as it runs, and a
// transaction as its COMMIT runs, so other connections see a commit of this
// Store between the two counts of its statement (see pollDataVersion).
type writeCounter struct{ started, ended atomic.Uint64 }

// BeforeQuery counts a writing statement as started.
func (w *writeCounter) BeforeQuery(ctx context.Context, e *bun.QueryEvent) context.Context {
	if e.Operation() != "SELECT" {
		w.started.Add(1)
	}
	return ctx
}

// AfterQuery counts a writing statement as ended, failed or not.
func (w *writeCounter) AfterQuery(_ context.Context, e *bun.QueryEvent) {
	if e.Operation() != "SELECT" {
		w.ended.Add(1)
	}
}
