package storage

import (
	"context"
	"strconv"

	"github.com/dispatchkit/connect"
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
// cursor past it, then T1 commit id 10 behind the cursor, never to be read. So
// each event carries the id of the transaction that wrote it (the tx column,
// pg_current_xact_id() by default: the top-level transaction's, savepoints
// included), and a cursor is the snapshot of the read that made it: the next
// read returns the events of the transactions that its own snapshot sees as
// ended and the cursor's did not (pg_visible_in_snapshot). A transaction that
// commits after a read was still running in that read's snapshot, so the next
// read returns its events: none is missed, none repeated, and a transaction
// that runs long (a large import, or any other client of the server) holds
// back nobody's events but its own. A read of many pages keeps its first
// page's snapshot as the upper bound in its cursors, so its pages make one
// fixed set. Within a read, events come in id order, which follows cause: an
// event that depends on another (a status change on a created order) is
// inserted after the other committed, so it has the higher id (a transaction id
// would not do: a transaction takes it at its first write, possibly before the
// other began). From read to read, events come in the order their
// transactions ended.
//
// EventsHead is the snapshot of the moment: everything that snapshot sees as
// committed is behind the head, and what it does not (transactions running then,
// listed in the snapshot, and any that start after) is ahead.
//
// Cursor text: a snapshot "XMIN:XMAX:XIP,…", or "SEEN/UPTO/ID" within a
// read of many pages (PostgreSQL: postgres_feed.go); "ID" on SQLite (sqlite.go).

// Events returns the scope's events after the cursor; see the comment above.
func (s *Store) Events(ctx context.Context, scope connect.Scope, after string, limit int) ([]connect.OrderEvent, string, error) {
	if limit <= 0 {
		limit = defaultFeedPage
	}
	return s.d.events(ctx, s, scope, after, limit)
}

// EventsHead returns a cursor after every event committed so far: on PostgreSQL
// the current snapshot, on SQLite the highest id.
func (s *Store) EventsHead(ctx context.Context) (string, error) {
	return s.d.eventsHead(ctx, s)
}

// feedRow is an event read from the feed, with the horizon of the read.
type feedRow struct {
	Horizon string `bun:"horizon"` // PostgreSQL: the read's snapshot
	Tx      string `bun:"tx"`      // PostgreSQL: the writing transaction; "" when no event
	ID      int64  `bun:"id"`
	eventRow
}

const feedColumns = "id, account_id, client_id, order_id, event, from_status, to_status, occurred_at, actor, eta, reason"

// defaultFeedPage is the page size of Events when the limit is not positive.
const defaultFeedPage = 500

// maxCursorLen bounds the cursor text a caller may hand in.
const maxCursorLen = 8192

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
