package storage

import "context"

// Wake returns a channel that receives a value soon after another process
// commits order events (connect.Waker), and is closed when ctx ends. A wake-up
// carries nothing and may be spurious: readers re-read the feed (Events), so one
// too many costs a read that finds nothing new, and no commit of another process
// goes unnoticed. Writers in the same process wake their readers themselves (the
// core does).
//
//   - PostgreSQL (postgres_wake.go): a connection of its own, outside the pool,
//     LISTENs on connect_events, which a trigger on order_events NOTIFYs on every
//     commit that wrote events, naming the schema and the Store that committed.
//     The connection is made again, with backoff, if it breaks, and a wake-up is
//     sent then, since commits may have gone unheard meanwhile.
//   - A SQLite file (sqlite_wake.go): the connection this Store's transactions
//     run on reads PRAGMA data_version every sqlitePoll, which changes when
//     another connection commits: a wake-up for any commit, not only of events,
//     at the cost of one cheap statement per poll. An in-memory SQLite database
//     (one process) has nothing to watch: its channel never receives.
//
// Errors: ErrUnavailable when the first connection or read fails.
func (s *Store) Wake(ctx context.Context) (<-chan struct{}, error) {
	return s.d.wake(ctx, s)
}

// wakeUp sends a wake-up on ch unless one is pending already: one is enough,
// since it carries nothing.
func wakeUp(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}
