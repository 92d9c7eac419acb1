package storage

import (
	"context"
	"strconv"
	"strings"

	"github.com/dispatchkit/connect"
)

// The event feed on PostgreSQL: read in the order of the writing transactions'
// ids, up to the reading statement's snapshot xmin (see feed.go for why).

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

// maxHeadRunning bounds the running transactions a head cursor lists (21 bytes
// each at most).
const maxHeadRunning = 256

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

func (d *postgresDialect) events(ctx context.Context, s *Store, scope connect.Scope, after string, limit int) ([]connect.OrderEvent, string, error) {
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

// eventsHead is the current snapshot.
func (d *postgresDialect) eventsHead(ctx context.Context, s *Store) (string, error) {
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
