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
// snapshot (PostgreSQL: postgres_feed.go); "ID" on SQLite (sqlite.go).

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
	Horizon string `bun:"horizon"` // PostgreSQL: the read's snapshot xmin
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
