package storage

import (
	"context"
	"strconv"
	"strings"

	"github.com/dispatchkit/connect"
)

// The event feed on PostgreSQL: a cursor is the snapshot of a read, and the
// next read returns the events that its own snapshot sees and the cursor's does
// not (see feed.go for why).

// pgSnapshot is a PostgreSQL snapshot (pg_snapshot): transactions below xmin
// have ended, those at or above xmax had not started, and of those between,
// the ones in xip were running.
type pgSnapshot struct {
	xmin, xmax uint64
	xip        []uint64
}

// String is PostgreSQL's text form of a snapshot, "xmin:xmax:xip,xip,…".
func (s pgSnapshot) String() string {
	var b strings.Builder
	b.WriteString(strconv.FormatUint(s.xmin, 10) + ":" + strconv.FormatUint(s.xmax, 10) + ":")
	for i, x := range s.xip {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatUint(x, 10))
	}
	return b.String()
}

// parsePGSnapshot reads a snapshot's text, as PostgreSQL writes it: xip
// ascending, each in [xmin, xmax).
func parsePGSnapshot(text string) (pgSnapshot, bool) {
	parts := strings.Split(text, ":")
	if len(parts) != 3 {
		return pgSnapshot{}, false
	}
	xmin, ok1 := parseUint(parts[0])
	xmax, ok2 := parseUint(parts[1])
	if !ok1 || !ok2 || xmax < xmin {
		return pgSnapshot{}, false
	}
	s := pgSnapshot{xmin: xmin, xmax: xmax}
	if parts[2] == "" {
		return s, true
	}
	last := xmin
	for i, p := range strings.Split(parts[2], ",") {
		x, ok := parseUint(p)
		if !ok || x < xmin || x >= xmax || (i > 0 && x <= last) {
			return pgSnapshot{}, false
		}
		s.xip, last = append(s.xip, x), x
	}
	return s, true
}

// maxSnapshotRunning bounds the running transactions a cursor's snapshot lists
// (21 bytes each at most, two snapshots to a cursor: under maxCursorLen). A
// snapshot with more is replaced by one that sees less (boundedSnapshotSQL):
// the feed then shows the events of those transactions a read later, never
// misses them.
const maxSnapshotRunning = 128

// boundedSnapshotSQL is the current snapshot, or, when it lists more than
// maxSnapshotRunning running transactions, the snapshot "xmin:xmin:" that sees
// only the transactions below its xmin.
var boundedSnapshotSQL = `(SELECT CASE WHEN (SELECT count(*) FROM pg_snapshot_xip(c.s)) > ` +
	strconv.Itoa(maxSnapshotRunning) + `
	THEN (pg_snapshot_xmin(c.s)::text || ':' || pg_snapshot_xmin(c.s)::text || ':')::pg_snapshot
	ELSE c.s END FROM (SELECT pg_current_snapshot() AS s) c)`

// feedCursor is a position in PostgreSQL's event feed: after every event of the
// transactions that seen sees (none when seen is nil, at the start), and, while
// a read goes on page by page, after the events up to id of those that upTo
// sees and seen does not.
type feedCursor struct {
	seen *pgSnapshot
	upTo *pgSnapshot
	id   int64
}

// String is the cursor's text: "SEEN", or "SEEN/UPTO/ID" within a read (SEEN
// empty at the start).
func (c feedCursor) String() string {
	s := ""
	if c.seen != nil {
		s = c.seen.String()
	}
	if c.upTo == nil {
		return s
	}
	return s + "/" + c.upTo.String() + "/" + strconv.FormatInt(c.id, 10)
}

func parseFeedCursor(after string) (feedCursor, error) {
	if after == "" {
		return feedCursor{}, nil
	}
	if len(after) > maxCursorLen {
		return feedCursor{}, badCursor(after)
	}
	parts := strings.Split(after, "/")
	if len(parts) != 1 && len(parts) != 3 {
		return feedCursor{}, badCursor(after)
	}
	var c feedCursor
	if parts[0] != "" {
		seen, ok := parsePGSnapshot(parts[0])
		if !ok {
			return feedCursor{}, badCursor(after)
		}
		c.seen = &seen
	} else if len(parts) == 1 {
		return feedCursor{}, badCursor(after)
	}
	if len(parts) == 1 {
		return c, nil
	}
	upTo, ok1 := parsePGSnapshot(parts[1])
	id, ok2 := parseUint(parts[2])
	if !ok1 || !ok2 || id > 1<<63-1 {
		return feedCursor{}, badCursor(after)
	}
	c.upTo, c.id = &upTo, int64(id)
	return c, nil
}

func (d *postgresDialect) events(ctx context.Context, s *Store, scope connect.Scope, after string, limit int) ([]connect.OrderEvent, string, error) {
	c, err := parseFeedCursor(after)
	if err != nil {
		return nil, "", err
	}
	// A prepared statement (one text per shape of cursor and scope): each
	// commit has every live stream of its scope read the feed.
	var b strings.Builder
	args := make([]any, 0, 7)
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	// The read's upper snapshot: the cursor's while a read goes on page by page
	// (so that its pages make one fixed set), else the statement's own.
	if c.upTo != nil {
		b.WriteString("WITH h AS (SELECT " + arg(c.upTo.String()) + "::pg_snapshot AS hi)")
	} else {
		b.WriteString("WITH h AS (SELECT " + boundedSnapshotSQL + " AS hi)")
	}
	b.WriteString(`
SELECT h.hi::text AS horizon, e.tx::text AS tx, e.id, e.account_id, e.client_id, e.order_id, e.event,
	e.from_status, e.to_status, e.occurred_at, e.actor, e.eta, e.reason
FROM h LEFT JOIN LATERAL (
	SELECT tx, ` + feedColumns + ` FROM order_events
	WHERE account_id = ` + arg(string(scope.Account)))
	if scope.Client != "" {
		b.WriteString(" AND client_id = " + arg(string(scope.Client)))
	}
	b.WriteString(" AND tx < pg_snapshot_xmax(h.hi) AND pg_visible_in_snapshot(tx, h.hi)")
	if c.seen != nil {
		// Everything below seen's xmin is seen: the index range starts there.
		b.WriteString(" AND tx >= " + arg(strconv.FormatUint(c.seen.xmin, 10)) + "::xid8 AND NOT pg_visible_in_snapshot(tx, " +
			arg(c.seen.String()) + "::pg_snapshot)")
	}
	if c.upTo != nil {
		b.WriteString(" AND id > " + arg(c.id))
	}
	b.WriteString(`
	ORDER BY id LIMIT ` + arg(limit) + `
) e ON true
ORDER BY e.id`)
	var rows []feedRow
	if err := s.statement(b.String(), args...).Scan(ctx, &rows); err != nil {
		return nil, "", translate(ctx, err, "reading the event feed")
	}
	if len(rows) == 0 {
		return nil, "", connect.Errorf(connect.Internal, "reading the event feed: no snapshot")
	}
	hi, ok := parsePGSnapshot(rows[0].Horizon)
	if !ok {
		return nil, "", connect.Errorf(connect.Internal, "reading the event feed: bad snapshot %q", rows[0].Horizon)
	}
	if rows[0].Tx == "" {
		rows = rows[:0] // the LEFT JOIN's empty row: no event
	}
	out := make([]connect.OrderEvent, len(rows))
	for i := range rows {
		out[i] = rows[i].event()
		out[i].Cursor = feedCursor{seen: c.seen, upTo: &hi, id: rows[i].ID}.String()
	}
	if len(rows) == limit {
		return out, out[len(out)-1].Cursor, nil
	}
	// A short page read everything the snapshot sees: the next read starts there.
	return out, feedCursor{seen: &hi}.String(), nil
}

// eventsHead is the current snapshot (bounded as a read's is).
func (d *postgresDialect) eventsHead(ctx context.Context, s *Store) (string, error) {
	var text string
	if err := s.idb.NewRaw("SELECT "+boundedSnapshotSQL+"::text").Scan(ctx, &text); err != nil {
		return "", translate(ctx, err, "reading the event feed's head")
	}
	snap, ok := parsePGSnapshot(text)
	if !ok {
		return "", connect.Errorf(connect.Internal, "reading the event feed's head: snapshot %q", text)
	}
	return feedCursor{seen: &snap}.String(), nil
}
