package storage

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/dispatchkit/connect"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	"github.com/uptrace/bun/driver/sqliteshim"
)

// sqliteDialect is SQLite (modernc.org/sqlite through bun's sqliteshim, no cgo):
// one writer at a time, so this Store's transactions take turns on a connection
// kept for them (sqliteWriter), and an event's id is its commit order.
type sqliteDialect struct {
	writer *sqliteWriter
	stmts  *sqliteStatements // prepared statements (sqlite_prepared.go)

	// keep holds a connection to an in-memory database, which exists only while
	// a connection to it is open; nil for a file.
	keep *sql.Conn
}

func newSQLite(keep *sql.Conn) *sqliteDialect {
	return &sqliteDialect{keep: keep, writer: &sqliteWriter{turn: make(chan struct{}, 1)}, stmts: &sqliteStatements{}}
}

// The SQLite settings every connection gets: wait for a lock rather than fail at
// once, WAL (readers never block the writer), foreign keys on, and BEGIN IMMEDIATE,
// so that a transaction that reads and then writes never fails to upgrade its lock.
var sqlitePragmas = []string{
	"_pragma=busy_timeout(5000)",
	"_pragma=journal_mode(WAL)",
	"_pragma=foreign_keys(1)",
	"_txlock=immediate",
}

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
	if !memory {
		if err := createPrivate(path); err != nil {
			return nil, translate(ctx, err, "creating the SQLite file")
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
	var keep *sql.Conn
	if memory {
		if keep, err = sqldb.Conn(ctx); err != nil {
			_ = sqldb.Close()
			return nil, translate(ctx, err, "opening SQLite")
		}
	}
	db := bun.NewDB(sqldb, sqlitedialect.New())
	s := newStore(db, newSQLite(keep))
	s.owned = true
	if err := sqldb.PingContext(ctx); err != nil {
		_ = s.closeDB()
		return nil, translate(ctx, err, "opening SQLite")
	}
	return s, nil
}

// createPrivate creates a new database file readable by its owner only (0600),
// before SQLite would create it by the umask (0644): it holds password hashes
// and every client's orders. SQLite gives its -wal and -shm files the database
// file's mode. An existing file is left as it is.
func createPrivate(path string) error {
	p, _, _ := strings.Cut(path, "?")
	if p == "" || strings.HasPrefix(p, ":") {
		return nil
	}
	f, err := os.OpenFile(p, os.O_RDONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) || errors.Is(err, fs.ErrNotExist) {
		return nil // there already, or no directory: SQLite says what is wrong
	}
	if err != nil {
		return err
	}
	return f.Close()
}

func (d *sqliteDialect) close() {
	d.stmts.close()
	if d.keep != nil {
		_ = d.keep.Close()
	}
	d.writer.close()
}

func (d *sqliteDialect) migrations() string { return "migrations/sqlite" }

// hostTx has nothing to do: subscribers hear of a host's transaction at their
// next poll.
func (d *sqliteDialect) hostTx(context.Context, bun.Tx) error { return nil }

// lockMigrations needs no lock: each migration is a transaction, which SQLite
// runs one at a time, and bun/migrate records it in the same one.
func (d *sqliteDialect) lockMigrations(context.Context, *bun.DB) (func(), error) {
	return func() {}, nil
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
//
// The connection also tells this Store's commits from other connections' (see
// sqlite_wake.go): its data_version changes only when another connection commits.
type sqliteWriter struct {
	turn chan struct{}

	// The turn guards these.
	conn   *bun.Conn // opened by the first transaction or Wake
	gen    uint64    // counts the connections opened, so Wake sees one replaced
	closed bool      // by Close: no connection is opened again
}

// take waits until this Store's SQLite transactions leave room for one more (or
// until ctx ends, or after patience when it is not 0), and returns the function
// that gives the turn back.
func (w *sqliteWriter) take(ctx context.Context, patience time.Duration) (func(), error) {
	var timeout <-chan time.Time
	if patience > 0 {
		timer := time.NewTimer(patience)
		defer timer.Stop()
		timeout = timer.C
	}
	select {
	case w.turn <- struct{}{}:
		return func() { <-w.turn }, nil
	case <-ctx.Done():
		return nil, translate(ctx, ctx.Err(), "starting a transaction")
	case <-timeout:
		return nil, connect.Errorf(connect.Unavailable, "starting a transaction: the database is busy; try again")
	}
}

// tryTake takes the turn if it is free, and returns the function that gives it
// back.
func (w *sqliteWriter) tryTake() (func(), bool) {
	select {
	case w.turn <- struct{}{}:
		return func() { <-w.turn }, true
	default:
		return nil, false
	}
}

// connection returns the writer's connection, opening one first when it has none
// yet or the one it had broke. The caller has the turn.
func (w *sqliteWriter) connection(ctx context.Context, db *bun.DB) (*bun.Conn, error) {
	if w.conn != nil {
		return w.conn, nil
	}
	if w.closed {
		return nil, sql.ErrConnDone
	}
	c, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	w.conn = &c
	w.gen++
	return w.conn, nil
}

// drop lets a broken connection go; the next user opens another. The caller has
// the turn.
func (w *sqliteWriter) drop() {
	if w.conn != nil {
		_ = w.conn.Close()
		w.conn = nil
	}
}

func broken(err error) bool {
	return errors.Is(err, sql.ErrConnDone) || errors.Is(err, driver.ErrBadConn)
}

// close closes the connection for good. No transaction runs, since the Store is
// not used after Close; a poll of Wake that still runs holds the turn for a
// moment at most, and then finds no connection.
func (w *sqliteWriter) close() {
	release, err := w.take(context.Background(), sqliteBusyTimeout)
	w.drop()
	w.closed = true
	if err == nil {
		release()
	}
}

// begin takes the turn and starts a transaction on the writer's connection; the
// function it returns gives the turn back.
func (d *sqliteDialect) begin(ctx context.Context, db *bun.DB) (bun.Tx, *bun.Conn, func(), error) {
	release, err := d.writer.take(ctx, sqliteBusyTimeout)
	if err != nil {
		return bun.Tx{}, nil, nil, err
	}
	tx, conn, err := d.writer.begin(ctx, db)
	if err != nil {
		release()
		return bun.Tx{}, nil, nil, translate(ctx, err, "starting a transaction")
	}
	return tx, conn, release, nil
}

// begin starts a transaction on the writer's connection, replacing it once when
// it broke. The caller has the turn.
func (w *sqliteWriter) begin(ctx context.Context, db *bun.DB) (bun.Tx, *bun.Conn, error) {
	for try := 0; ; try++ {
		c, err := w.connection(ctx, db)
		if err != nil {
			return bun.Tx{}, nil, err
		}
		tx, err := c.BeginTx(ctx, nil)
		if err == nil || try > 0 || !broken(err) {
			return tx, c, err
		}
		w.drop()
	}
}

func (d *sqliteDialect) commitError(ctx context.Context, err error) error {
	return translate(ctx, err, "committing")
}

// atomic: SQLite keeps a transaction going after a failed statement, so inside
// one fn runs under a savepoint, rolled back if fn fails.
func (d *sqliteDialect) atomic(ctx context.Context, s *Store, fn func(tx *Store) error) error {
	return s.inTx(ctx, fn)
}

// narrowScope writes the terms that must not lead as +account_id: SQLite's
// planner never answers a term with a unary + from an index (its documented way
// to disqualify a term).
func (d *sqliteDialect) narrowScope(q *bun.SelectQuery, sc connect.Scope, byOrder bool) *bun.SelectQuery {
	account, client := "account_id", "client_id"
	if sc.Client != "" || byOrder {
		account = "+account_id"
	}
	if byOrder {
		client = "+client_id"
	}
	return inScopeAs(q, sc, account, client)
}

func (d *sqliteDialect) ordersOf(q *bun.SelectQuery, _ connect.Scope) *bun.SelectQuery {
	return q.TableExpr("orders")
}

func (d *sqliteDialect) historyOf(q *bun.SelectQuery, id connect.OrderID) *bun.SelectQuery {
	return q.Where("order_id = ?", string(id))
}

// activeOrders names the partial index of active orders: without statistics
// SQLite rates it (its WHERE lists them as sortStatuses does) like the client's
// whole index, and walks every order the client ever had to find the few still
// active.
func (d *sqliteDialect) activeOrders() string {
	return `"orders" AS "o" INDEXED BY orders_client_active`
}

// importOrders names the index of one import's orders: without statistics
// SQLite rates the client's index as selective, and walks every order the
// client ever had to find one import's.
func (d *sqliteDialect) importOrders() string {
	return `"orders" AS "o" INDEXED BY orders_import`
}

func (d *sqliteDialect) orders(ctx context.Context, s *Store, scope connect.Scope, q connect.OrderQuery) ([]*connect.Order, error) {
	return s.selectOrders(ctx, scope, q)
}

func (d *sqliteDialect) ordersByID(ctx context.Context, s *Store, scope connect.Scope, ids []string) ([]*connect.Order, error) {
	var rows []orderRow
	err := inScope(s.idb.NewSelect().Model(&rows), scope).
		Where("id IN (?)", bun.List(ids)).
		Scan(ctx)
	if err != nil {
		return nil, translate(ctx, err, "reading orders")
	}
	return ordersOf(rows)
}

// existingRefs probes orders_client_ref once per reference, which json_each
// hands over as one parameter (a scope of the whole account reads the account's
// orders).
func (d *sqliteDialect) existingRefs(ctx context.Context, s *Store, scope connect.Scope, refs []string) ([]string, error) {
	list, err := json.Marshal(refs)
	if err != nil {
		return nil, connect.Errorf(connect.Internal, "encoding references: %w", err)
	}
	from, where, args := "orders", "account_id = ?", []any{string(list), string(scope.Account)}
	if scope.Client != "" {
		from, where = "orders INDEXED BY orders_client_ref", "client_id = ? AND +account_id = ?"
		args = []any{string(list), string(scope.Client), string(scope.Account)}
	}
	var got []string
	err = s.idb.NewRaw(`SELECT r.value FROM json_each(?) AS r WHERE EXISTS (SELECT 1 FROM `+from+`
		WHERE `+where+` AND ref <> '' AND lower(ref) = lower(r.value))`, args...).Scan(ctx, &got)
	if err != nil && !isNoRows(err) {
		return nil, translate(ctx, err, "looking up references")
	}
	return got, nil
}

// takenRef looks the references up without case, as the unique index compares
// them: SQLite's unique violation does not name the values (the failed statement
// is rolled back by then).
func (d *sqliteDialect) takenRef(ctx context.Context, s *Store, _ error, orders []*connect.Order) (string, bool) {
	byClient := map[connect.Scope][]string{}
	var scopes []connect.Scope
	for _, o := range orders {
		if o.Ref == "" {
			continue
		}
		sc := connect.Scope{Account: o.Account, Client: o.Client}
		if _, ok := byClient[sc]; !ok {
			scopes = append(scopes, sc)
		}
		byClient[sc] = append(byClient[sc], o.Ref)
	}
	for _, sc := range scopes {
		taken, err := s.ExistingRefs(ctx, sc, byClient[sc])
		if err == nil && len(taken) > 0 {
			return taken[0], true
		}
	}
	return "", false
}

// createOrders inserts: SQLite has no COPY, and a multi-row INSERT of 100k rows
// takes about 0.8 s.
func (d *sqliteDialect) createOrders(ctx context.Context, tx *Store, orders []*connect.Order, events []connect.OrderEvent) error {
	return tx.insertOrders(ctx, orders, events)
}

// setStatuses runs the batch's compare-and-sets as one UPDATE … FROM a list of
// VALUES, insertBatch changes a statement, then inserts the events, in a
// transaction, or under a savepoint of the caller's that is rolled back if a
// change lost its race. An UPDATE per change cost more than the change itself:
// modernc's SQLite allocates and frees a statement's memory with a system call
// each (a batch of 500 took 0.4 s, 0.8 ms an UPDATE).
func (d *sqliteDialect) setStatuses(ctx context.Context, s *Store, scopes []connect.Scope, changes []connect.SetStatusParams, rows []*orderRow) error {
	return s.inTx(ctx, func(tx *Store) error {
		clients := make([]string, len(changes))
		values := make([]statusChangeRow, 0, min(len(changes), insertBatch))
		for start := 0; start < len(changes); start += insertBatch {
			end := min(start+insertBatch, len(changes))
			values = values[:0]
			for i := start; i < end; i++ {
				values = append(values, newStatusChangeRow(scopes[i], changes[i], rows[i]))
			}
			var matched []struct {
				ID       string `bun:"id"`
				ClientID string `bun:"client_id"`
			}
			// SQLite's RETURNING names only the updated table's columns: the
			// changes are matched back by order id, which a batch holds once.
			err := tx.idb.NewUpdate().With("v", tx.idb.NewValues(&values)).Table("orders").TableExpr("v").
				Set("status = v.status, depot = v.depot, route_id = v.route_id, route_position = v.route_position").
				Set("eta = v.eta, failure_reason = v.failure_reason, proof = v.proof, route_event_at = v.route_event_at").
				Set("submitted_at = v.submitted_at, updated_at = v.updated_at, version = v.version + 1").
				Where("orders.id = v.id AND orders.account_id = v.account_id").
				Where("(v.client_id = '' OR orders.client_id = v.client_id)").
				Where("orders.status = v.from_status AND orders.version = v.version").
				Returning("orders.id, orders.client_id").Scan(ctx, &matched)
			if err != nil && !isNoRows(err) {
				return translate(ctx, err, "changing the status of orders")
			}
			byID := make(map[string]string, len(matched))
			for _, m := range matched {
				byID[m.ID] = m.ClientID
			}
			for i := start; i < end; i++ {
				client, ok := byID[string(changes[i].Order.ID)]
				if !ok {
					o := changes[i].Order
					return tx.casMissed(ctx, inScope(tx.idb.NewSelect().Model((*orderRow)(nil)), scopes[i]).
						Where("id = ?", string(o.ID)), "order "+orderName(o.Ref, o.ID), "was changed by someone else; reload it")
				}
				clients[i] = client
			}
		}
		return eachEventBatch(scopes, changes, clients, func(evs []eventRow) error {
			_, err := tx.idb.NewInsert().Model(&evs).Returning("NULL").Exec(ctx)
			return translate(ctx, err, "writing order history")
		})
	})
}

// statusChangeRow is one compare-and-set of sqliteDialect.setStatuses: where
// the order must be (scope, status, version) and what it becomes.
type statusChangeRow struct {
	AccountID     string    `bun:"account_id"`
	ClientID      string    `bun:"client_id"` // "" for an account's change
	ID            string    `bun:"id"`
	FromStatus    string    `bun:"from_status"`
	Version       int       `bun:"version"`
	Status        string    `bun:"status"`
	Depot         string    `bun:"depot"`
	RouteID       string    `bun:"route_id"`
	RoutePosition int       `bun:"route_position"`
	ETA           time.Time `bun:"eta,nullzero"`
	FailureReason string    `bun:"failure_reason"`
	Proof         string    `bun:"proof,nullzero"`
	RouteEventAt  time.Time `bun:"route_event_at,nullzero"`
	SubmittedAt   time.Time `bun:"submitted_at,nullzero"`
	UpdatedAt     time.Time `bun:"updated_at"`
}

func newStatusChangeRow(sc connect.Scope, p connect.SetStatusParams, r *orderRow) statusChangeRow {
	return statusChangeRow{AccountID: string(sc.Account), ClientID: string(sc.Client), ID: string(p.Order.ID),
		FromStatus: string(p.From), Version: p.Version, Status: r.Status, Depot: r.Depot, RouteID: r.RouteID,
		RoutePosition: r.RoutePosition, ETA: r.ETA, FailureReason: r.FailureReason, Proof: r.Proof,
		RouteEventAt: r.RouteEventAt, SubmittedAt: r.SubmittedAt, UpdatedAt: r.UpdatedAt}
}

func (d *sqliteDialect) claimHostEvents(ctx context.Context, s *Store, scope connect.Scope, list, ids, orders []string, now time.Time) ([]*connect.Order, []string, error) {
	return claimFromOrders(ctx, d, s, scope, list, ids, orders, now)
}

func (d *sqliteDialect) recordHostEvents(ctx context.Context, s *Store, account connect.AccountID, ids []string, now time.Time) ([]string, error) {
	rows := make([]hostEventRow, 0, min(len(ids), insertBatch))
	var fresh []string
	for start := 0; start < len(ids); start += insertBatch {
		rows = rows[:0]
		for _, id := range ids[start:min(start+insertBatch, len(ids))] {
			rows = append(rows, hostEventRow{AccountID: string(account), EventID: id, RecordedAt: now})
		}
		var got []string
		err := s.idb.NewInsert().Model(&rows).On("CONFLICT DO NOTHING").Returning("event_id").Scan(ctx, &got)
		if err != nil && !isNoRows(err) {
			return nil, translate(ctx, err, "recording route events")
		}
		fresh = append(fresh, got...)
	}
	return fresh, nil
}

// skipLocked: SQLite runs one writer at a time, so the statement alone is enough.
func (d *sqliteDialect) skipLocked() string { return "" }

// lockRows: SQLite's transaction holds the database's one writer lock.
func (d *sqliteDialect) lockRows() string { return "" }

// sqliteError translates SQLite's own errors (modernc.org/sqlite and
// mattn/go-sqlite3 both have a Code method giving the extended result code).
func sqliteError(err error, what string) (error, bool) {
	code, ok := sqliteCode(err)
	if !ok {
		return nil, false
	}
	switch code & 0xff {
	case 5, 6: // SQLITE_BUSY, SQLITE_LOCKED
		return &connect.Error{Code: connect.Unavailable, Message: what + ": the database is busy; try again", Err: err}, true
	case 13: // SQLITE_FULL: the disk (or max_page_count); the transaction rolled back
		return &connect.Error{Code: connect.Unavailable, Message: what + ": " + diskFull, Err: err}, true
	case 19: // SQLITE_CONSTRAINT
		if code == 787 || strings.Contains(err.Error(), "FOREIGN KEY constraint failed") {
			return &connect.Error{Code: connect.NotFound, Message: what + ": no such client in the account", Err: err}, true
		}
	}
	return nil, false
}

// sqliteCode returns the extended result code of a SQLite error.
func sqliteCode(err error) (int, bool) {
	var coder interface{ Code() int }
	if errors.As(err, &coder) {
		return coder.Code(), true
	}
	return 0, false
}

// sqliteUniqueViolation reports a unique violation of SQLite and the name of its
// index as the migrations name it.
func sqliteUniqueViolation(err error) (string, bool) {
	if _, ok := sqliteCode(err); !ok && !strings.Contains(err.Error(), "constraint failed") {
		return "", false
	}
	m := sqliteUnique.FindStringSubmatch(err.Error())
	if m == nil {
		return "", false
	}
	if m[1] != "" {
		return m[1], true // an expression index names itself
	}
	cols := m[2]
	if name, ok := sqliteIndexes[cols]; ok {
		return name, true
	}
	if table, ok := strings.CutSuffix(cols, ".id"); ok && !strings.Contains(table, ",") {
		return table + "_pkey", true
	}
	return cols, true
}

var sqliteUnique = regexp.MustCompile(`(?:UNIQUE|PRIMARY KEY) constraint failed: (?:index '([^']+)'|([^()]+?))(?: \(|$)`)

// sqliteIndexes names SQLite's unique indexes by the columns its message lists.
var sqliteIndexes = map[string]string{
	"clients.number":                 "clients_number",
	"clients.account_id, clients.id": "clients_account_id",
	"invites.token_hash":             "invites_token_hash",
	"outbox.key":                     "outbox_key",
	"api_keys.hash":                  "api_keys_hash",
	"tracking_links.hash":            "tracking_links_hash",
	"used_once.key":                  "used_once_pkey",
	"address_entries.account_id, address_entries.client_id, address_entries.key": "address_entries_key",
}

// events reads by id, which is commit order on SQLite (see feed.go); the cursor
// is the last id read.
func (d *sqliteDialect) events(ctx context.Context, s *Store, scope connect.Scope, after string, limit int) ([]connect.OrderEvent, string, error) {
	var from int64
	if after != "" {
		n, ok := parseUint(after)
		if !ok || n > 1<<63-1 {
			return nil, "", badCursor(after)
		}
		from = int64(n)
	}
	var rows []feedRow
	table := "order_events"
	if scope.Client != "" {
		// Led by the client's index whatever statistics say (see narrowScope):
		// with them SQLite walks every client's events after the cursor instead.
		table += " INDEXED BY order_events_client"
	}
	// A prepared statement: each commit has every live stream of its scope
	// read the feed.
	q := "SELECT " + feedColumns + " FROM " + table + " WHERE id > $1 AND account_id = $2"
	args := []any{from, string(scope.Account)}
	if scope.Client != "" {
		q += " AND client_id = $4"
		args = append(args, limit, string(scope.Client))
	} else {
		args = append(args, limit)
	}
	q += " ORDER BY id LIMIT $3"
	if err := s.statement(q, args...).Scan(ctx, &rows); err != nil && !isNoRows(err) {
		return nil, "", translate(ctx, err, "reading the event feed")
	}
	out := make([]connect.OrderEvent, len(rows))
	next := after
	if next == "" {
		next = "0"
	}
	for i := range rows {
		out[i] = rows[i].event()
		next = strconv.FormatInt(rows[i].ID, 10)
		out[i].Cursor = next
	}
	return out, next, nil
}

// eventsHead is the highest id.
func (d *sqliteDialect) eventsHead(ctx context.Context, s *Store) (string, error) {
	var id int64
	if err := s.idb.NewRaw("SELECT COALESCE(MAX(id), 0) FROM order_events").Scan(ctx, &id); err != nil {
		return "", translate(ctx, err, "reading the event feed's head")
	}
	return strconv.FormatInt(id, 10), nil
}
