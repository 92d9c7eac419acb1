package storage

import (
	"context"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/internal/pgtest"
	"github.com/jackc/pgx/v5/pgconn"
)

// TestListenerRecoversFromAPanic: a panic while the listener handles a
// notification is recovered, and the listener starts again on a new connection
// and goes on waking (once at once: commits may have gone unheard).
func TestListenerRecoversFromAPanic(t *testing.T) {
	pgtest.URL(t)
	t.Parallel()
	ctx := t.Context()
	s, err := Open(ctx, pgtest.Schema(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	d := s.d.(*postgresDialect)
	cfg, err := d.listenConfig(ctx, s.db)
	if err != nil {
		t.Fatal(err)
	}
	conn, schema, err := listen(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	l := &pgListener{cfg: cfg, log: slog.New(slog.DiscardHandler), ch: make(chan struct{}, 1)} // no origin: every commit wakes
	var panics atomic.Int32
	l.handle = func(n *pgconn.Notification, schema string) {
		if !strings.HasPrefix(n.Payload, schema+"/") {
			return // a commit of another test's schema: they share the channel
		}
		if panics.Add(1) == 1 {
			panic("a bug")
		}
		l.forward(n, schema)
	}
	go l.run(wctx, conn, schema)

	commit := func(id string) {
		t.Helper()
		c := &connect.Client{ID: connect.ClientID("c" + id), Account: "a", Name: id, Status: connect.ClientActive,
			CreatedAt: time.Now(), UpdatedAt: time.Now()}
		if err := s.CreateClient(ctx, connect.Scope{Account: c.Account}, c); err != nil {
			t.Fatal(err)
		}
		o := &connect.Order{ID: connect.OrderID("o" + id), Account: "a", Client: c.ID, Status: connect.StatusSubmitted,
			Version: 1, CreatedAt: time.Now(), UpdatedAt: time.Now()}
		if err := s.CreateOrders(ctx, connect.Scope{Account: o.Account}, []*connect.Order{o}, []connect.OrderEvent{{Order: o.ID, Event: "create", To: o.Status, At: o.CreatedAt}}); err != nil {
			t.Fatal(err)
		}
	}
	wait := func(what string) {
		t.Helper()
		select {
		case <-l.ch:
		case <-time.After(10 * time.Second):
			t.Fatalf("no wake-up 10 s after %s", what)
		}
	}
	commit("1") // its notification panics
	wait("the restart")
	if panics.Load() != 1 {
		t.Fatalf("%d notifications handled, want the one that panicked", panics.Load())
	}
	commit("2")
	wait("a commit after the restart")
	cancel()
	for range l.ch {
	}
}
