package connect_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dispatchkit/connect"
)

// panickingStore panics where the test says, as a Store with a bug would.
type panickingStore struct {
	connect.Store
	*panics
}

type panics struct{ createOrders, events atomic.Bool }

// Tx hands fn the transaction's Store wrapped too.
func (s *panickingStore) Tx(ctx context.Context, fn func(connect.Store) error) error {
	return s.Store.Tx(ctx, func(tx connect.Store) error { return fn(&panickingStore{Store: tx, panics: s.panics}) })
}

func (s *panickingStore) CreateOrders(ctx context.Context, scope connect.Scope, orders []*connect.Order, events []connect.OrderEvent) error {
	if s.createOrders.Load() {
		panic("a bug in CreateOrders")
	}
	return s.Store.CreateOrders(ctx, scope, orders, events)
}

func (s *panickingStore) Events(ctx context.Context, scope connect.Scope, after string, limit int) ([]connect.OrderEvent, string, error) {
	if s.events.Load() {
		panic("a bug in Events")
	}
	return s.Store.Events(ctx, scope, after, limit)
}

// TestAPanicInTheServicesGoroutinesIsAnErrorNotACrash: the goroutines the
// Service starts (an import's storing goroutine, a live subscription) recover
// a panic of the Store: the import fails with an Internal error and stores
// nothing, the subscription ends with one, and the process goes on (a panic
// left alone there would end this test binary).
func TestAPanicInTheServicesGoroutinesIsAnErrorNotACrash(t *testing.T) {
	ps := &panickingStore{panics: &panics{}}
	w := newWorldWith(t, func(c *connect.Config) { ps.Store = c.Store; c.Store = ps })
	ps.createOrders.Store(true)
	_, err := w.svc.Import(w.ctx, w.owner, manyRows(3000), connect.ImportOptions{})
	if connect.ErrorCode(err) != connect.Internal {
		t.Fatalf("an import whose Store panics: %v, want internal", err)
	}
	ps.createOrders.Store(false)
	if n := w.draftCount(w.owner); n != 0 {
		t.Fatalf("%d drafts stored by the import that failed", n)
	}

	sub, err := w.svc.Subscribe(w.ctx, w.owner, connect.SubscribeParams{})
	if err != nil {
		t.Fatal(err)
	}
	ps.events.Store(true)
	w.draft(w.owner, "P-1") // wakes the subscription, which reads Events
	select {
	case _, open := <-sub.Events():
		for open {
			_, open = <-sub.Events()
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the subscription whose Store panics did not end")
	}
	if err := sub.Err(); connect.ErrorCode(err) != connect.Internal || errors.Is(err, context.Canceled) {
		t.Fatalf("the subscription ended with %v, want internal", err)
	}
}
