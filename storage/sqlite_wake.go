package storage

import (
	"context"
	"log/slog"
	"runtime/debug"
	"time"

	"github.com/uptrace/bun"
)

// Waking on SQLite: SQLite has no notifications, so Wake polls PRAGMA
// data_version, which changes for a connection when another connection commits
// (of this process or another) and never for the connection's own commits.
//
// It is read on the connection this Store's transactions run on (sqliteWriter),
// taking the turn for it, so this Store's transactions never change it: what
// changes it is another process's commit, another Store's, a host's own
// connection's, or a single statement of this Store outside a transaction (which
// runs on a connection of the pool). The first three must wake the listener; the
// last need not (this process woke its own subscribers), but does: telling it
// apart is an optimisation this poll does not attempt. So a wake-up may be
// spurious (readers re-read the feed and find nothing new), and no other
// process's commit goes unnoticed: nothing guesses which commits were whose.
//
// The poll waits for the turn behind this Store's transactions. Once one has
// SQLite's write lock nobody else commits until it ends; before (BEGIN IMMEDIATE
// waiting for another process's lock) others may, and their wake-up then waits
// for the transaction to end: delayed, never lost, since the version keeps the
// change.

// sqlitePoll is how often a SQLite Store's Wake looks for commits of other
// connections: a 12 ms wait on average, for a statement that reads no table.
const sqlitePoll = 25 * time.Millisecond

// wake returns a channel that receives soon after another connection commits
// (see above). An in-memory database (one process) has nothing to watch: its
// channel never receives, and is closed when ctx ends.
func (d *sqliteDialect) wake(ctx context.Context, s *Store) (<-chan struct{}, error) {
	ch := make(chan struct{}, 1)
	if d.keep != nil {
		go func() {
			<-ctx.Done()
			close(ch)
		}()
		return ch, nil
	}
	// Read before returning, so that any commit after Wake returns changes it.
	version, gen, err := d.dataVersion(ctx, s.db)
	if err != nil {
		return nil, translate(ctx, err, "watching for commits")
	}
	go d.poll(ctx, s.db, s.log, version, gen, ch)
	return ch, nil
}

// dataVersion reads data_version on the writer's connection, and says which
// connection it read it on (values of two connections do not compare).
func (d *sqliteDialect) dataVersion(ctx context.Context, db *bun.DB) (version int64, gen uint64, err error) {
	release, err := d.writer.take(ctx, 0)
	if err != nil {
		return 0, 0, err
	}
	defer release()
	for try := 0; ; try++ {
		c, err := d.writer.connection(ctx, db)
		if err != nil {
			return 0, 0, err
		}
		err = c.QueryRowContext(ctx, "PRAGMA data_version").Scan(&version)
		if err == nil || try > 0 || !broken(err) {
			return version, d.writer.gen, err
		}
		d.writer.drop()
	}
}

// poll wakes ch whenever the writer connection's data_version moves on from
// last, until ctx ends. When the connection was replaced (it broke), the versions
// do not compare: it wakes, since a commit may have gone unseen.
//
// When ctx ends it closes the connection too, unless a transaction has it then:
// a host that closes the Service (which ends Wake's ctx) finds no connection of
// the Store's in use for the wake-ups; the next transaction opens another.
func (d *sqliteDialect) poll(ctx context.Context, db *bun.DB, log *slog.Logger, last int64, gen uint64, ch chan struct{}) {
	defer close(ch) // the relay listens again
	defer func() {
		if p := recover(); p != nil {
			log.Error("storage: watching SQLite for commits panicked", "panic", p, "stack", string(debug.Stack()))
		}
	}()
	defer func() {
		if release, ok := d.writer.tryTake(); ok {
			d.writer.drop()
			release()
		}
	}()
	t := time.NewTicker(sqlitePoll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		v, g, err := d.dataVersion(ctx, db)
		if err != nil {
			if ctx.Err() == nil {
				log.WarnContext(ctx, "storage: reading SQLite's data_version failed", "err", err)
			}
			continue
		}
		if v == last && g == gen {
			continue
		}
		last, gen = v, g
		wakeUp(ch)
	}
}
