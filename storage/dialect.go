package storage

import (
	"context"
	"time"

	"github.com/dispatchkit/connect"
	"github.com/uptrace/bun"
)

// dialect is everything that differs between PostgreSQL and SQLite: one
// implementation per file, postgres.go and sqlite.go, beside their migrations.
// The shared code calls it and never asks which database it is on. A Store and
// the Stores bound to its transactions share one dialect value, which holds what
// belongs to the database rather than to one transaction (SQLite's writer
// connection, PostgreSQL's connection settings for LISTEN).
type dialect interface {
	// migrations names the dialect's directory in migrationFiles.
	migrations() string
	// lockMigrations makes concurrent Migrate calls on the database take turns,
	// and returns the function that lets the next one go.
	lockMigrations(ctx context.Context, db *bun.DB) (unlock func(), err error)

	// begin starts a transaction of db on a connection of its own (COPY reaches
	// the driver connection through it), and returns the function that lets the
	// connection go after the transaction ended.
	begin(ctx context.Context, db *bun.DB) (tx bun.Tx, conn *bun.Conn, release func(), err error)
	// statementConn is the connection of a bun query that runs as a prepared
	// statement with args (Store.statement).
	statementConn(s *Store, args []any) bun.IConn
	// commitError translates an error of COMMIT.
	commitError(ctx context.Context, err error) error
	// atomic runs fn, several statements, so that all of them take effect or
	// none (see Store.atomic).
	atomic(ctx context.Context, s *Store, fn func(tx *Store) error) error

	// The index hints of the frequent reads (see narrowScope in scope.go).

	// narrowScope limits q, a query of orders or order events, to the scope so
	// that the client's key (or, with byOrder, the order's key) leads.
	narrowScope(q *bun.SelectQuery, sc connect.Scope, byOrder bool) *bun.SelectQuery
	// ordersOf sets q's FROM to the scope's orders, to be read by the client's
	// index when the scope names a client.
	ordersOf(q *bun.SelectQuery, sc connect.Scope) *bun.SelectQuery
	// historyOf sets q's FROM and condition to one order's events, to be read by
	// the order's index.
	historyOf(q *bun.SelectQuery, id connect.OrderID) *bun.SelectQuery
	// activeOrders is the table expression that lists a client's active orders
	// (bun's default when "").
	activeOrders() string
	// importOrders is the table expression that lists one import's orders
	// (bun's default when "").
	importOrders() string

	// Reads and writes whose statements differ.

	orders(ctx context.Context, s *Store, scope connect.Scope, q connect.OrderQuery) ([]*connect.Order, error)
	ordersByID(ctx context.Context, s *Store, scope connect.Scope, ids []string) ([]*connect.Order, error)
	// existingRefs returns which of refs (none empty) the scope's orders use,
	// compared without case by the database's lower(), each as given in refs.
	existingRefs(ctx context.Context, s *Store, scope connect.Scope, refs []string) ([]string, error)
	// hostTx prepares a host's transaction for the Store's work (WithTx).
	hostTx(ctx context.Context, tx bun.Tx) error
	// takenRef names the reference that a unique violation of a client's
	// references (err) is about, among the orders'.
	takenRef(ctx context.Context, s *Store, err error, orders []*connect.Order) (string, bool)
	// createOrders writes new orders and their events in tx, a Store in a
	// transaction (or under a savepoint).
	createOrders(ctx context.Context, tx *Store, orders []*connect.Order, events []connect.OrderEvent) error
	// setStatuses applies the compare-and-sets of the batch and writes its
	// events, all or nothing (see Store.SetStatuses); scopes[i] is the tenant of
	// change i's order.
	setStatuses(ctx context.Context, s *Store, scopes []connect.Scope, changes []connect.SetStatusParams, rows []*orderRow) error
	recordHostEvents(ctx context.Context, s *Store, account connect.AccountID, ids []string, now time.Time) ([]string, error)
	// claimHostEvents reads the scope's orders among list and records the
	// event ids whose order (orders[i] for ids[i]) it found (Store.ClaimHostEvents).
	claimHostEvents(ctx context.Context, s *Store, scope connect.Scope, list, ids, orders []string, now time.Time) ([]*connect.Order, []string, error)
	// skipLocked is the locking clause of ClaimOutboxAnyAccount's subquery.
	skipLocked() string
	// lockRows is the FOR clause ("UPDATE", or "" for none) of a read whose
	// rows the transaction changes next (RedactOrders: no proof lands between
	// its read and its write).
	lockRows() string

	// The event feed (feed.go).

	events(ctx context.Context, s *Store, scope connect.Scope, after string, limit int) ([]connect.OrderEvent, string, error)
	eventsHead(ctx context.Context, s *Store) (string, error)

	// wake is Store.Wake.
	wake(ctx context.Context, s *Store) (<-chan struct{}, error)

	// close lets go of what the dialect holds beside the pool; the Store is not
	// used after.
	close()
}
