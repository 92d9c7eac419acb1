package storage

import (
	"context"
	"database/sql"
	"sync"

	"github.com/dispatchkit/connect"
	"github.com/uptrace/bun"
)

// SQLite parses a statement for each query bun sends (bun writes the values
// into the text), and in modernc's SQLite the parse costs more than most
// queries: a session with its member and client took 0.26 ms, two thirds of it
// preparing the statement. The hot statements run instead as database/sql
// prepared statements with their values bound, prepared once per connection.

// sqliteStatements are the Store's prepared statements, by text.
type sqliteStatements struct {
	mu     sync.Mutex
	byText map[string]*sql.Stmt
	closed bool
}

// prepared returns the statement of text, prepared on db's connections as
// they run it. It prepares outside the lock (preparing waits for a
// connection): of two that raced, one statement is kept.
func (c *sqliteStatements) prepared(ctx context.Context, db *sql.DB, text string) (*sql.Stmt, error) {
	c.mu.Lock()
	st, ok := c.byText[text]
	closed := c.closed
	c.mu.Unlock()
	if closed {
		return nil, errStoreClosed
	}
	if ok {
		return st, nil
	}
	st, err := db.PrepareContext(ctx, text)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		_ = st.Close()
		return nil, errStoreClosed
	}
	if kept, ok := c.byText[text]; ok {
		_ = st.Close()
		return kept, nil
	}
	if c.byText == nil {
		c.byText = map[string]*sql.Stmt{}
	}
	c.byText[text] = st
	return st, nil
}

// errStoreClosed is what a prepared statement of a closed Store gives, as a
// query of a closed database pool does (unavailable).
var errStoreClosed = &connect.Error{Code: connect.Unavailable, Message: "storage: the store is closed", Err: sql.ErrConnDone}

// close closes the statements, before the database.
func (c *sqliteStatements) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.byText {
		_ = st.Close()
	}
	c.byText, c.closed = nil, true
}

// sqliteStatement is the connection (bun.IConn) of a bun query that runs as a
// prepared statement with args, on the Store's database or in its
// transaction (where database/sql reuses the statement prepared on the
// transaction's connection).
type sqliteStatement struct {
	stmts *sqliteStatements
	db    *sql.DB
	tx    *sql.Tx // nil outside a transaction
	args  []any
}

func (d *sqliteDialect) statementConn(s *Store, args []any) bun.IConn {
	c := sqliteStatement{stmts: d.stmts, db: s.db.DB, args: args}
	if s.tx != nil {
		c.tx = s.tx.Tx
	}
	return c
}

// stmt returns the prepared statement of query, bound to the transaction if
// there is one.
func (c sqliteStatement) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	st, err := c.stmts.prepared(ctx, c.db, query)
	if err != nil || c.tx == nil {
		return st, err
	}
	return c.tx.StmtContext(ctx, st), nil
}

func (c sqliteStatement) QueryContext(ctx context.Context, query string, _ ...any) (*sql.Rows, error) {
	st, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, c.args...)
}

func (c sqliteStatement) ExecContext(ctx context.Context, query string, _ ...any) (sql.Result, error) {
	st, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, c.args...)
}

func (c sqliteStatement) QueryRowContext(ctx context.Context, query string, _ ...any) *sql.Row {
	st, err := c.stmt(ctx, query)
	if err != nil {
		// *sql.Row carries its error only from database/sql itself: let it
		// prepare the statement and fail as it does.
		if c.tx != nil {
			return c.tx.QueryRowContext(ctx, query, c.args...)
		}
		return c.db.QueryRowContext(ctx, query, c.args...)
	}
	return st.QueryRowContext(ctx, c.args...)
}
