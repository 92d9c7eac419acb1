package storage

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"time"

	"github.com/dispatchkit/connect"
	"github.com/jackc/pgx/v5"
)

// The event feed (Events, EventsHead) reads order_events in an order that a
// reader can follow with a cursor and never miss a row.
//
// SQLite runs one writing transaction at a time, and an event's id (AUTOINCREMENT:
// never given twice) is assigned while its transaction holds the write lock, so id
// order is commit order: the cursor is the last id read.
//
// PostgreSQL assigns identity values at insert time, not at commit: transaction T1
// may insert id 10, T2 insert id 11 and commit, a reader read 11 and move its
// cursor past it, then T1 commit id 10 behind the cursor, never to be read. So the
// feed orders events by the id of the transaction that wrote them (the tx column,
// pg_current_xact_id() by default: the top-level transaction's, savepoints
// included), then by id, and reads only events of transactions below the reading
// statement's snapshot xmin (pg_snapshot_xmin(pg_current_snapshot())): xmin is the
// oldest transaction still running, so every transaction below it has ended, and
// no event with a tx below it can appear later. The feed up to xmin is final; a
// cursor (tx, id) inside it stays valid, and reading on from it misses nothing
// whatever commits later, because whatever commits later has a tx at or above
// the xmin of the read. The price: a transaction that runs long (a large import)
// holds back the events of transactions that started after it until it ends.
// Events stay in tx order, not strictly commit order: of two overlapping
// transactions, the one with the smaller id comes first, once both have ended.
//
// EventsHead is the snapshot of the moment: everything that snapshot sees as
// committed is behind the head, and what it does not (transactions running then,
// listed in the snapshot, and any that start after) is ahead. A head cursor
// carries the snapshot's xmax and running list until the feed is past them.
//
// Cursor text: "TX.ID", or "TX.ID.XMAX.XIP,XIP,…" while it carries a head's
// snapshot (PostgreSQL); "ID" on SQLite.

// feedCursor is a position in PostgreSQL's event feed.
type feedCursor struct {
	tx uint64
	id int64
	// Set while the cursor carries a head snapshot: of the events with tx < xmax
	// only those of xip are ahead of it.
	xmax uint64
	xip  []uint64
}

func (c feedCursor) String() string {
	s := strconv.FormatUint(c.tx, 10) + "." + strconv.FormatInt(c.id, 10)
	if c.xmax == 0 {
		return s
	}
	var b strings.Builder
	b.WriteString(s + "." + strconv.FormatUint(c.xmax, 10) + ".")
	for i, x := range c.xip {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatUint(x, 10))
	}
	return b.String()
}

// after returns the cursor just past (tx, id): the snapshot's running list keeps
// only the transactions not yet passed, and goes once the feed is past xmax.
func (c feedCursor) after(tx uint64, id int64) feedCursor {
	n := feedCursor{tx: tx, id: id}
	if c.xmax == 0 || tx >= c.xmax {
		return n
	}
	n.xmax = c.xmax
	for _, x := range c.xip {
		if x >= tx {
			n.xip = append(n.xip, x)
		}
	}
	return n
}

func (c feedCursor) less(tx uint64, id int64) bool {
	return c.tx < tx || (c.tx == tx && c.id < id)
}

// maxCursorLen bounds the cursor text a caller may hand in; maxHeadRunning bounds
// the running transactions a head cursor lists (21 bytes each at most).
const (
	maxCursorLen   = 8192
	maxHeadRunning = 256
)

func badCursor(after string) error {
	if len(after) > 40 {
		after = after[:40] + "…"
	}
	return connect.Errorf(connect.Invalid, "the event cursor %q is not one this store made", after)
}

func parseUint(s string) (uint64, bool) {
	if s == "" || len(s) > 20 || (len(s) > 1 && s[0] == '0') {
		return 0, false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseUint(s, 10, 64)
	return n, err == nil
}

func parseFeedCursor(after string) (feedCursor, error) {
	if after == "" {
		return feedCursor{}, nil
	}
	if len(after) > maxCursorLen {
		return feedCursor{}, badCursor(after)
	}
	parts := strings.Split(after, ".")
	if len(parts) != 2 && len(parts) != 4 {
		return feedCursor{}, badCursor(after)
	}
	tx, ok1 := parseUint(parts[0])
	id, ok2 := parseUint(parts[1])
	if !ok1 || !ok2 || id > 1<<63-1 {
		return feedCursor{}, badCursor(after)
	}
	c := feedCursor{tx: tx, id: int64(id)}
	if len(parts) == 4 {
		xmax, ok := parseUint(parts[2])
		if !ok || xmax <= tx {
			return feedCursor{}, badCursor(after)
		}
		c.xmax = xmax
		if parts[3] != "" {
			for _, p := range strings.Split(parts[3], ",") {
				x, ok := parseUint(p)
				if !ok || x >= xmax {
					return feedCursor{}, badCursor(after)
				}
				c.xip = append(c.xip, x)
			}
		}
	}
	return c, nil
}

// feedRow is an event read from the feed, with the horizon of the read.
type feedRow struct {
	Horizon    string    `bun:"horizon"` // PostgreSQL: the read's snapshot xmin
	Tx         string    `bun:"tx"`      // PostgreSQL: the writing transaction; "" when no event
	ID         int64     `bun:"id"`
	AccountID  string    `bun:"account_id"`
	ClientID   string    `bun:"client_id"`
	OrderID    string    `bun:"order_id"`
	Event      string    `bun:"event"`
	FromStatus string    `bun:"from_status"`
	ToStatus   string    `bun:"to_status"`
	OccurredAt time.Time `bun:"occurred_at"`
	Actor      string    `bun:"actor"`
	ETA        time.Time `bun:"eta"`
	Reason     string    `bun:"reason"`
}

func (r *feedRow) event() connect.OrderEvent {
	e := eventRow{AccountID: r.AccountID, ClientID: r.ClientID, OrderID: r.OrderID, Event: r.Event,
		FromStatus: r.FromStatus, ToStatus: r.ToStatus, OccurredAt: r.OccurredAt, Actor: r.Actor, ETA: r.ETA, Reason: r.Reason}
	return e.event()
}

const feedColumns = "id, account_id, client_id, order_id, event, from_status, to_status, occurred_at, actor, eta, reason"

// defaultFeedPage is the page size of Events when the limit is not positive.
const defaultFeedPage = 500

// Events returns the scope's events after the cursor; see the comment above.
func (s *Store) Events(ctx context.Context, scope connect.Scope, after string, limit int) ([]connect.OrderEvent, string, error) {
	if limit <= 0 {
		limit = defaultFeedPage
	}
	if s.pg {
		return s.eventsPG(ctx, scope, after, limit)
	}
	return s.eventsSQLite(ctx, scope, after, limit)
}

func (s *Store) eventsSQLite(ctx context.Context, scope connect.Scope, after string, limit int) ([]connect.OrderEvent, string, error) {
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
	q := "SELECT " + feedColumns + " FROM " + table + " WHERE account_id = ?"
	args := []any{string(scope.Account)}
	if scope.Client != "" {
		q += " AND client_id = ?"
		args = append(args, string(scope.Client))
	}
	q += " AND id > ? ORDER BY id LIMIT ?"
	args = append(args, from, limit)
	if err := s.idb.NewRaw(q, args...).Scan(ctx, &rows); err != nil && !isNoRows(err) {
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

func (s *Store) eventsPG(ctx context.Context, scope connect.Scope, after string, limit int) ([]connect.OrderEvent, string, error) {
	c, err := parseFeedCursor(after)
	if err != nil {
		return nil, "", err
	}
	var b strings.Builder
	args := make([]any, 0, 8)
	b.WriteString(`WITH h AS (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS xmin)
SELECT h.xmin::text AS horizon, e.tx::text AS tx, e.id, e.account_id, e.client_id, e.order_id, e.event,
	e.from_status, e.to_status, e.occurred_at, e.actor, e.eta, e.reason
FROM h LEFT JOIN LATERAL (
	SELECT tx, ` + feedColumns + ` FROM order_events
	WHERE account_id = ?`)
	args = append(args, string(scope.Account))
	if scope.Client != "" {
		b.WriteString(" AND client_id = ?")
		args = append(args, string(scope.Client))
	}
	b.WriteString(" AND (tx, id) > (?::xid8, ?::bigint) AND tx < h.xmin")
	args = append(args, strconv.FormatUint(c.tx, 10), c.id)
	if c.xmax != 0 {
		xip := make([]string, len(c.xip))
		for i, x := range c.xip {
			xip[i] = strconv.FormatUint(x, 10)
		}
		b.WriteString(" AND (tx >= ?::xid8 OR tx = ANY(?::xid8[]))")
		args = append(args, strconv.FormatUint(c.xmax, 10), "{"+strings.Join(xip, ",")+"}")
	}
	b.WriteString(`
	ORDER BY tx, id LIMIT ?
) e ON true
ORDER BY e.tx, e.id`)
	args = append(args, limit)
	var rows []feedRow
	if err := s.idb.NewRaw(b.String(), args...).Scan(ctx, &rows); err != nil {
		return nil, "", translate(ctx, err, "reading the event feed")
	}
	if len(rows) == 0 {
		return nil, "", connect.Errorf(connect.Internal, "reading the event feed: no horizon")
	}
	horizon, ok := parseUint(rows[0].Horizon)
	if !ok {
		return nil, "", connect.Errorf(connect.Internal, "reading the event feed: bad horizon %q", rows[0].Horizon)
	}
	if rows[0].Tx == "" {
		rows = rows[:0] // the LEFT JOIN's empty row: no event
	}
	out := make([]connect.OrderEvent, len(rows))
	next := c
	for i := range rows {
		tx, ok := parseUint(rows[i].Tx)
		if !ok {
			return nil, "", connect.Errorf(connect.Internal, "reading the event feed: bad tx %q", rows[i].Tx)
		}
		next = c.after(tx, rows[i].ID)
		out[i] = rows[i].event()
		out[i].Cursor = next.String()
	}
	// A short page read everything below the horizon: the feed is final up to it,
	// so the next read may start there (and drop what of a head snapshot it passed).
	if len(rows) < limit && next.less(horizon, 0) {
		next = c.after(horizon, 0)
	}
	return out, next.String(), nil
}

// EventsHead returns a cursor after every event committed so far: on PostgreSQL
// the current snapshot, on SQLite the highest id.
func (s *Store) EventsHead(ctx context.Context) (string, error) {
	if !s.pg {
		var id int64
		if err := s.idb.NewRaw("SELECT COALESCE(MAX(id), 0) FROM order_events").Scan(ctx, &id); err != nil {
			return "", translate(ctx, err, "reading the event feed's head")
		}
		return strconv.FormatInt(id, 10), nil
	}
	var snap string
	if err := s.idb.NewRaw("SELECT pg_current_snapshot()::text").Scan(ctx, &snap); err != nil {
		return "", translate(ctx, err, "reading the event feed's head")
	}
	// "xmin:xmax:xip,xip,…"
	parts := strings.Split(snap, ":")
	if len(parts) != 3 {
		return "", connect.Errorf(connect.Internal, "reading the event feed's head: snapshot %q", snap)
	}
	xmin, ok1 := parseUint(parts[0])
	xmax, ok2 := parseUint(parts[1])
	if !ok1 || !ok2 {
		return "", connect.Errorf(connect.Internal, "reading the event feed's head: snapshot %q", snap)
	}
	c := feedCursor{tx: xmin}
	// A head carries the snapshot's running transactions so that it is exact;
	// past maxHeadRunning of them it falls back to xmin alone, which may repeat
	// events committed just before the head (never miss any), and keeps cursors
	// short.
	if xmax > xmin && strings.Count(parts[2], ",") < maxHeadRunning {
		c.xmax = xmax
		if parts[2] != "" {
			for _, p := range strings.Split(parts[2], ",") {
				x, ok := parseUint(p)
				if !ok {
					return "", connect.Errorf(connect.Internal, "reading the event feed's head: snapshot %q", snap)
				}
				c.xip = append(c.xip, x)
			}
		}
	}
	return c.String(), nil
}

// Wake returns a channel that receives a value soon after any process commits
// order events (connect.Waker), and is closed when ctx ends. On PostgreSQL a
// connection of its own, outside the pool, LISTENs on connect_events, which a
// trigger on order_events NOTIFYs on every commit that wrote events; the
// connection is made again, with backoff, if it breaks, and a wake-up is sent
// then, since commits may have gone unheard meanwhile. Errors: ErrUnavailable when
// the first connection fails.
//
// On a SQLite file, a connection of the pool, held while ctx lasts, reads PRAGMA
// data_version every sqlitePoll, which changes when another connection (of this
// process or another) commits: a wake-up for any commit, not only of events, at
// the cost of one cheap statement per poll. An in-memory SQLite database (one
// process), or a host's PostgreSQL database that is not on pgx, has nothing to
// watch: the channel never receives, and is closed when ctx ends. Writers in the
// same process wake their readers themselves (the core does).
func (s *Store) Wake(ctx context.Context) (<-chan struct{}, error) {
	ch := make(chan struct{}, 1)
	if !s.pg && s.keep == nil {
		conn, err := s.db.DB.Conn(ctx)
		if err != nil {
			return nil, translate(ctx, err, "watching for commits")
		}
		// Read before returning, so that any commit after Wake returns changes it;
		// this Store's ended writes counted first (see pollDataVersion).
		ended := s.writes.ended.Load()
		var version int64
		if err := conn.QueryRowContext(ctx, "PRAGMA data_version").Scan(&version); err != nil {
			_ = conn.Close()
			return nil, translate(ctx, err, "watching for commits")
		}
		go s.pollDataVersion(ctx, conn, version, ended, ch)
		return ch, nil
	}
	if !s.pg || !s.pgx {
		go func() {
			<-ctx.Done()
			close(ch)
		}()
		return ch, nil
	}
	cfg, err := s.listenConfig(ctx)
	if err != nil {
		return nil, err
	}
	conn, schema, err := listen(ctx, cfg)
	if err != nil {
		return nil, err
	}
	go s.waitForNotifications(ctx, cfg, conn, schema, ch)
	return ch, nil
}

// wakeChannel is the channel of order event notifications.
const wakeChannel = "connect_events"

// listenConfig returns the connection settings of the Store's database: the DSN's
// when Open opened it, else those of a connection of the host's pool.
func (s *Store) listenConfig(ctx context.Context) (*pgx.ConnConfig, error) {
	if s.pgcfg != nil {
		return s.pgcfg.Copy(), nil
	}
	c, err := s.db.Conn(ctx)
	if err != nil {
		return nil, translate(ctx, err, "listening for events")
	}
	defer func() { _ = c.Close() }()
	var cfg *pgx.ConnConfig
	err = c.Raw(func(dc any) error {
		if pc, ok := dc.(pgxConn); ok {
			cfg = pc.Conn().Config()
		}
		return nil
	})
	if err != nil || cfg == nil {
		return nil, connect.Errorf(connect.Unavailable, "listening for events: no pgx connection")
	}
	return cfg, nil
}

// listen connects and LISTENs. It returns the schema whose commits concern this
// Store: the trigger names it in each notification.
func listen(ctx context.Context, cfg *pgx.ConnConfig) (*pgx.Conn, string, error) {
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, "", translate(ctx, err, "listening for events")
	}
	var schema string
	if err := conn.QueryRow(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
		closeConn(conn)
		return nil, "", translate(ctx, err, "listening for events")
	}
	if _, err := conn.Exec(ctx, "LISTEN "+wakeChannel); err != nil {
		closeConn(conn)
		return nil, "", translate(ctx, err, "listening for events")
	}
	return conn, schema, nil
}

func closeConn(conn *pgx.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = conn.Close(ctx)
}

// waitForNotifications forwards notifications to ch until ctx ends, connecting
// again when the connection breaks.
func (s *Store) waitForNotifications(ctx context.Context, cfg *pgx.ConnConfig, conn *pgx.Conn, schema string, ch chan struct{}) {
	defer close(ch)
	wake := func() {
		select {
		case ch <- struct{}{}:
		default: // one pending wake-up is enough
		}
	}
	const minBackoff, maxBackoff = 100 * time.Millisecond, 5 * time.Second
	backoff := minBackoff
	for {
		if conn == nil {
			t := time.NewTimer(backoff)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
			backoff = min(2*backoff, maxBackoff)
			var err error
			if conn, schema, err = listen(ctx, cfg); err != nil {
				if ctx.Err() == nil {
					s.log.WarnContext(ctx, "storage: listening for events failed; retrying", "err", err, "in", backoff)
				}
				continue
			}
			backoff = minBackoff
			wake() // commits may have gone unheard while disconnected
		}
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			closeConn(conn)
			conn = nil
			if ctx.Err() != nil {
				return
			}
			s.log.WarnContext(ctx, "storage: the event listener's connection broke; reconnecting", "err", err)
			continue
		}
		if s.foreign(n.Payload, schema) {
			wake()
		}
	}
}

// sqlitePoll is how often a SQLite Store's Wake looks for commits of other
// connections: a 12 ms wait on average, for a statement that reads no table.
const sqlitePoll = 25 * time.Millisecond

// pollDataVersion wakes ch whenever conn's data_version moves on from last by
// another process's commit, until ctx ends.
//
// A change is taken for this Store's own commit, whose subscribers its process
// has woken already, if any writing statement of this Store may have committed
// since the previous read of the version: one started by now that had not ended
// before that read (ended counts it then). A commit is seen between the two
// counts of its statement, so none of its own passes for another's. Another
// process committing in the same poll as this Store is then heard of at the
// subscribers' next poll, seconds later, not lost.
func (s *Store) pollDataVersion(ctx context.Context, conn *sql.Conn, last int64, ended uint64, ch chan struct{}) {
	defer close(ch)
	defer func() { _ = conn.Close() }()
	version := func() (int64, bool) {
		var v int64
		if err := conn.QueryRowContext(ctx, "PRAGMA data_version").Scan(&v); err != nil {
			if ctx.Err() == nil {
				s.log.WarnContext(ctx, "storage: reading SQLite's data_version failed", "err", err)
			}
			return 0, false
		}
		return v, true
	}
	t := time.NewTicker(sqlitePoll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		endedBefore := s.writes.ended.Load()
		v, ok := version()
		if !ok {
			continue
		}
		own := s.writes.started.Load() != ended
		ended = endedBefore
		if v == last {
			continue
		}
		last = v
		if own {
			continue
		}
		select {
		case ch <- struct{}{}:
		default: // one pending wake-up is enough
		}
	}
}

// foreign reports whether a notification is of a commit in the listener's schema by
// another Store: its payload is "schema/origin" ("schema" or "" from the triggers of
// earlier migrations, which say less and so always wake).
func (s *Store) foreign(payload, schema string) bool {
	if payload == "" || payload == schema {
		return true
	}
	i := strings.LastIndexByte(payload, '/')
	if i < 0 || payload[:i] != schema {
		return false
	}
	return payload[i+1:] == "" || payload[i+1:] != s.origin
}
