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
// *bun.DB a host already has (PostgreSQL opened with pgx's driver, or SQLite).
//
// Besides the Store, a *Store is a connect.ShopifyTokens (sealed Shopify tokens),
// the Shopify adapter's Once and OnceForgetter (UseOnce, ForgetOnce: install
// states and webhook ids), a connect.Waker (Wake, wake.go): a channel that wakes
// soon after another process commits order events, and a storagetest.OutboxReader
// (Outbox, for tests: the core never lists the outbox). The event feed (Events, EventsHead) is read in
// commit order with a cursor that misses nothing under concurrent transactions:
// see feed.go.
//
// # One dialect per file
//
// Both databases share the row models and most queries. What differs is a
// method of the dialect interface (dialect.go), implemented once per database,
// each beside its migrations (migrations/postgres, migrations/sqlite, each one
// initial migration):
//
//   - postgres.go: PostgreSQL through pgx's database/sql driver (stdlib), the only
//     driver New accepts; pool, transactions, index fences, the migrations'
//     advisory lock, its errors. postgres_copy.go: COPY for bulk inserts of
//     orders. postgres_prepared.go and postgres_batch.go: the hot statements (a
//     page of orders, the batches of route events) as statements pgx prepares and
//     caches. postgres_feed.go: the feed by snapshot. postgres_wake.go:
//     LISTEN/NOTIFY.
//   - sqlite.go: modernc.org/sqlite through bun's sqliteshim (no cgo); the writer
//     connection on which a Store's transactions take turns, index hints, the
//     feed by id, its errors. sqlite_wake.go: polling data_version.
//
// # Queries go through bun
//
// Every query goes through bun, so that bun's query hooks (and the tracing a host
// adds there with WithQueryHook) see it, including the hot statements whose
// arguments go to pgx rather than into the SQL text. The exceptions: COPY
// (bun has no way to run it; it runs on the transaction's own pgx connection) and
// the LISTEN connection, a pgx connection of its own outside the pool, which waits
// for notifications.
//
// # Driver choice
//
// PostgreSQL is reached through pgx/v5's database/sql driver (stdlib) rather
// than bun's own pgdriver: pgx is the better-maintained driver (bun's pgdriver lags
// bun's releases), its CopyFrom encodes numeric and timestamptz in binary, which
// the bulk insert of orders uses through the transaction's own connection, and
// LISTEN/NOTIFY needs a dedicated pgx.Conn anyway. Open runs queries in the simple
// protocol unless the DSN says otherwise (default_query_exec_mode): bun writes
// every value into the SQL text, so the default cache-statement mode would
// prepare, and keep on the server, one statement per distinct query text; the hot
// statements ask pgx to cache them. A host's pool works in either mode.
package storage

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/dispatchkit/connect"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"
	bundialect "github.com/uptrace/bun/dialect"
	"go.opentelemetry.io/otel/trace"
)

// Store is a connect.Store on a bun database. A Store from Open, New or Tx is safe
// for concurrent use, except the Store a Tx function receives: it is bound to one
// transaction on one connection and serves one goroutine, the function's.
type Store struct {
	db  *bun.DB
	idb bun.IDB // db, or the transaction this Store is bound to
	d   dialect // what differs between PostgreSQL and SQLite; shared with the Store's transactions

	// Set when the Store is bound to a transaction (see Tx).
	tx   *bun.Tx
	conn *bun.Conn // the connection the transaction runs on (for COPY)

	owned  bool // Close closes db
	log    *slog.Logger
	copyAt int // CreateOrders uses COPY from this many orders on (PostgreSQL)

	// onceCalls counts UseOnce calls, for its occasional sweep of expired keys;
	// shared with the Store's transactions.
	onceCalls *atomic.Uint64
	// limitCalls counts the rate limits' calls, for their occasional sweep of
	// expired rows.
	limitCalls *atomic.Uint64
	// texts holds the SQL of statements built by bun once (Store.text); shared
	// with the Store's transactions.
	texts *sync.Map
}

var _ connect.Store = (*Store)(nil)

// Option configures Open.
type Option func(*options)

type options struct {
	skipMigrate bool
	logger      *slog.Logger
	maxConns    int
	schema      string
	tracer      trace.TracerProvider
}

// SkipMigrate leaves the schema alone on Open; call Migrate when it suits the host
// (for example, from a deploy step).
func SkipMigrate() Option { return func(o *options) { o.skipMigrate = true } }

// WithMaxConns bounds the connection pool (default max(10, 4×GOMAXPROCS), all
// kept open while idle).
func WithMaxConns(n int) Option { return func(o *options) { o.maxConns = n } }

// WithSchema keeps connect's tables in the PostgreSQL schema name (created if
// missing) instead of the DSN's search_path (public by default), apart from the
// host's own tables: every connection of the Store uses search_path=name. A host
// on New sets the same on its pool (pgx: RuntimeParams["search_path"]). Names are
// lower-case letters, digits and underscores, starting with a letter. Errors
// from Open: ErrInvalid for another name, or with SQLite (which has no schemas).
func WithSchema(name string) Option { return func(o *options) { o.schema = name } }

// WithLogger logs the migrations applied. nil (the default) is silent.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

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
		if o.schema != "" {
			return nil, connect.Errorf(connect.Invalid, "storage: WithSchema is for PostgreSQL; SQLite has no schemas")
		}
		s, err = openSQLite(ctx, strings.TrimPrefix(dsn, "sqlite:"))
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		if o.schema != "" && !validSchema(o.schema) {
			return nil, connect.Errorf(connect.Invalid, "storage: schema %q: use lower-case letters, digits and underscores, starting with a letter", o.schema)
		}
		s, err = openPostgres(ctx, dsn, o.schema)
	default:
		return nil, connect.Errorf(connect.Invalid, "storage: the DSN must start with sqlite: or postgres:// (got %q)", redact(dsn))
	}
	if err != nil {
		return nil, err
	}
	s.owned = true
	if o.tracer != nil {
		s.db = s.db.WithQueryHook(QueryHook(o.tracer))
		s.idb = s.db
	}
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

// validSchema reports whether name is a schema name WithSchema accepts: one that
// needs no quoting, and no reserved pg_ prefix.
func validSchema(name string) bool {
	if name == "" || len(name) > 63 || strings.HasPrefix(name, "pg_") || name[0] < 'a' || name[0] > 'z' {
		return false
	}
	for _, c := range []byte(name) {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// poolSize is how many connections a Store opens at most, and keeps.
func poolSize() int { return max(10, 4*runtime.GOMAXPROCS(0)) }

// New returns a Store on a database the host opened itself, PostgreSQL or SQLite.
// It does not migrate (call Migrate) and Close leaves db open.
//
// PostgreSQL must be reached through pgx's database/sql driver: open db with
// sql.Open("pgx", dsn) or stdlib.OpenDBFromPool(pool) (github.com/jackc/pgx/v5/stdlib),
// and, unless the host wants every distinct statement prepared on the server,
// default_query_exec_mode=simple_protocol in the DSN (bun writes values into the
// SQL text).
//
// For SQLite, open db with the settings Open uses:
// "file:PATH?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_txlock=immediate"
// (foreign keys guard tenant integrity; _txlock=immediate keeps a transaction that
// reads and then writes from failing under concurrency).
// Errors: ErrInvalid for another dialect, or PostgreSQL on another driver.
func New(db *bun.DB) (*Store, error) {
	switch db.Dialect().Name() {
	case bundialect.PG:
		if _, ok := db.Driver().(*stdlib.Driver); !ok {
			return nil, connect.Errorf(connect.Invalid, "storage: PostgreSQL must be opened with pgx's driver "+
				"(sql.Open(\"pgx\", dsn) or stdlib.OpenDBFromPool(pool) of github.com/jackc/pgx/v5/stdlib), not %T", db.Driver())
		}
		return newStore(db, newPostgres(nil, "")), nil
	case bundialect.SQLite:
		return newStore(db, newSQLite(nil)), nil
	}
	return nil, connect.Errorf(connect.Invalid, "storage: unsupported dialect %s", db.Dialect().Name())
}

func newStore(db *bun.DB, d dialect) *Store {
	return &Store{
		db:     db,
		idb:    db,
		d:      d,
		log:    slog.New(slog.DiscardHandler),
		copyAt: defaultCopyAt,

		onceCalls: new(atomic.Uint64), limitCalls: new(atomic.Uint64), texts: new(sync.Map),
	}
}

// DB returns the bun database, for a host that keeps its own tables beside
// connect's.
func (s *Store) DB() *bun.DB { return s.db }

// Close closes the database if Open opened it, and lets go of the connections
// the Store keeps beside the pool in any case. The Store must not be used after.
func (s *Store) Close() error {
	if s.tx != nil {
		return nil
	}
	return s.closeDB()
}

func (s *Store) closeDB() error {
	s.d.close()
	if !s.owned {
		return nil
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

// WithTx returns the Store bound to a transaction the host began on the same
// database (bun's BeginTx or RunInTx on the *bun.DB given to New, or on the
// Store's DB()): what is done through it commits or rolls back with the host's
// own writes, and its Tx runs under savepoints. Give it to
// connect.Service.WithStore. On PostgreSQL the transaction's commit wakes this
// process's subscribers too (its notifications are marked as coming from
// elsewhere). Errors: ErrUnavailable when the database cannot be reached.
func (s *Store) WithTx(ctx context.Context, tx bun.Tx) (*Store, error) {
	bound := *s
	bound.idb, bound.tx, bound.conn, bound.owned = tx, &tx, nil, false
	if err := s.d.hostTx(ctx, tx); err != nil {
		return nil, translate(ctx, err, "joining the host's transaction")
	}
	return &bound, nil
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
		var release func()
		if tx, conn, release, err = s.d.begin(ctx, s.db); err != nil {
			return err
		}
		defer release()
	}
	bound := *s
	bound.idb, bound.tx, bound.conn, bound.owned = tx, &tx, conn, false

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
		return s.d.commitError(ctx, err)
	}
	committed = true
	return nil
}

// atomic runs fn, which makes several statements, so that either all of them take
// effect or none. Outside a transaction it starts one. Inside one it depends on
// the database: on PostgreSQL a failed statement already dooms the whole
// transaction (nothing partial can be committed), so fn runs as is; SQLite keeps a
// transaction going after a failed statement, so fn runs under a savepoint that is
// rolled back on failure.
func (s *Store) atomic(ctx context.Context, fn func(tx *Store) error) error {
	return s.d.atomic(ctx, s, fn)
}
