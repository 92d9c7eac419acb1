package storage

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"
	"time"

	"github.com/dispatchkit/connect"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/uptrace/bun"
)

// Waking on PostgreSQL: a pgx connection of its own LISTENs on wakeChannel. It
// is the package's one connection outside bun besides COPY's use of the
// transaction's: a bun.DB cannot wait for notifications.

// wakeChannel is the channel of order event notifications.
const wakeChannel = "connect_events"

// The listener's wait before connecting again after its connection broke (or its
// goroutine panicked), doubling up to the longest.
const minListenBackoff, maxListenBackoff = 100 * time.Millisecond, 5 * time.Second

func (d *postgresDialect) wake(ctx context.Context, s *Store) (<-chan struct{}, error) {
	cfg, err := d.listenConfig(ctx, s.db)
	if err != nil {
		return nil, err
	}
	conn, schema, err := listen(ctx, cfg)
	if err != nil {
		return nil, err
	}
	l := &pgListener{cfg: cfg, origin: d.origin, log: s.log, ch: make(chan struct{}, 1)}
	l.handle = l.forward
	go l.run(ctx, conn, schema)
	return l.ch, nil
}

// listenConfig returns connection settings of the listener's own: the DSN's when
// Open opened the database, else those of a connection of the host's pool, less
// the pool connection's callbacks (see listenConfigOf).
func (d *postgresDialect) listenConfig(ctx context.Context, db *bun.DB) (*pgx.ConnConfig, error) {
	if d.cfg != nil {
		return listenConfigOf(d.cfg), nil
	}
	c, err := db.Conn(ctx)
	if err != nil {
		return nil, translate(ctx, err, "listening for events")
	}
	defer func() { _ = c.Close() }()
	var cfg *pgx.ConnConfig
	err = c.Raw(func(dc any) error {
		if pc, ok := dc.(pgxConn); ok {
			cfg = listenConfigOf(pc.Conn().Config())
		}
		return nil
	})
	if err != nil || cfg == nil {
		return nil, connect.Errorf(connect.Unavailable, "listening for events: no pgx connection")
	}
	return cfg, nil
}

// listenConfigOf copies cfg without the callbacks that report what happens on a
// connection: they belong to the connection cfg came from. pgx sets
// OnNotification to the connection's own buffer when it connects with none, so
// the config of a pool connection (sql.Open("pgx", …), stdlib.OpenDBFromPool)
// carries that connection's buffer: a listener connected with it handed every
// notification to the pool connection, and WaitForNotification returned none.
// What it takes to connect (dialing, TLS, authentication) stays.
func listenConfigOf(cfg *pgx.ConnConfig) *pgx.ConnConfig {
	c := cfg.Copy()
	c.OnNotification = nil
	c.OnNotice = nil
	c.OnPgError = nil
	c.Tracer = nil
	return c
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

// pgListener forwards the notifications of its connection to ch as wake-ups.
type pgListener struct {
	cfg    *pgx.ConnConfig
	origin string // the Store's (see foreign)
	log    *slog.Logger
	ch     chan struct{}

	// handle takes each notification: forward, or a test's stand-in.
	handle func(n *pgconn.Notification, schema string)
}

// run serves until ctx ends, then closes ch. A panic in serve is logged, and
// serving starts again after a backoff, on a new connection: the library's
// goroutine must not take the host's process down, and the host's subscribers
// still hear of other processes' commits.
func (l *pgListener) run(ctx context.Context, conn *pgx.Conn, schema string) {
	defer close(l.ch)
	backoff := minListenBackoff
	for {
		start := time.Now()
		if err := l.serve(ctx, conn, schema); err == nil {
			return // ctx ended
		} else if ctx.Err() == nil {
			l.log.ErrorContext(ctx, "storage: the event listener failed; restarting it", "err", err, "in", backoff)
		}
		if time.Since(start) > maxListenBackoff {
			backoff = minListenBackoff // it served a while: a new failure, not a loop
		}
		if !sleep(ctx, backoff) {
			return
		}
		backoff = min(2*backoff, maxListenBackoff)
		conn, schema = nil, ""
	}
}

// serve forwards notifications until ctx ends (nil), connecting again, with
// backoff, when the connection breaks; a panic is returned as an error, the
// connection closed.
func (l *pgListener) serve(ctx context.Context, conn *pgx.Conn, schema string) (err error) {
	defer func() {
		if p := recover(); p != nil {
			if conn != nil {
				closeConn(conn)
			}
			err = fmt.Errorf("panic: %v\n%s", p, debug.Stack())
		}
	}()
	backoff := minListenBackoff
	for {
		if conn == nil {
			var err error
			if conn, schema, err = listen(ctx, l.cfg); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				l.log.WarnContext(ctx, "storage: listening for events failed; retrying", "err", err, "in", backoff)
				if !sleep(ctx, backoff) {
					return nil
				}
				backoff = min(2*backoff, maxListenBackoff)
				continue
			}
			backoff = minListenBackoff
			wakeUp(l.ch) // commits may have gone unheard while disconnected
		}
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			closeConn(conn)
			conn = nil
			if ctx.Err() != nil {
				return nil
			}
			l.log.WarnContext(ctx, "storage: the event listener's connection broke; reconnecting", "err", err)
			if !sleep(ctx, backoff) {
				return nil
			}
			continue
		}
		l.handle(n, schema)
	}
}

// forward wakes the listener for a notification of another Store's commit in its
// schema. A notification it cannot read wakes it too.
func (l *pgListener) forward(n *pgconn.Notification, schema string) {
	if n == nil || foreign(n.Payload, schema, l.origin) {
		wakeUp(l.ch)
	}
}

// foreign reports whether a notification is of a commit in the listener's schema
// by another Store than origin's: its payload is "schema/origin" ("schema" or ""
// from triggers of other versions, which say less and so always wake).
func foreign(payload, schema, origin string) bool {
	if payload == "" || payload == schema {
		return true
	}
	i := strings.LastIndexByte(payload, '/')
	if i < 0 || payload[:i] != schema {
		return false
	}
	return payload[i+1:] == "" || payload[i+1:] != origin
}

// sleep waits for d, or until ctx ends (false).
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
