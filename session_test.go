package connect_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/connecttest"
)

// touchCount counts the Store's TouchSession calls.
type touchCount struct {
	connect.Store
	n atomic.Int64
}

func (s *touchCount) TouchSession(ctx context.Context, sc connect.Scope, sess *connect.Session) error {
	s.n.Add(1)
	return s.Store.TouchSession(ctx, sc, sess)
}

// TestASessionIsNotedAtMostEveryTwoMinutesAndEndsIdleOrExpired: using a session
// writes its last use only when that is SessionTouchEvery old; the session ends
// after its idle time unused, and after its lifetime however used.
func TestASessionIsNotedAtMostEveryTwoMinutesAndEndsIdleOrExpired(t *testing.T) {
	touches := &touchCount{}
	w := connecttest.New(t, connecttest.WithConfig(func(c *connect.Config) {
		touches.Store = c.Store
		c.Store = touches
	}))
	tm := w.NewClient("Green Grocer", connect.ClientSettings{AllowUpload: true})
	ctx := t.Context()
	issued, err := w.Service.StartSession(ctx, tm.Owner.Actor, connect.StartSessionParams{Device: "Firefox on Linux",
		TTL: 150 * time.Minute, Idle: 30 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	open := func() error { _, err := w.Service.OpenSession(ctx, issued.Token, nil); return err }
	for range 10 {
		w.Clock.Advance(10 * time.Second)
		if err := open(); err != nil {
			t.Fatal(err)
		}
	}
	if n := touches.n.Load(); n != 0 {
		t.Fatalf("10 uses within 2 minutes wrote the session %d times, want 0", n)
	}
	w.Clock.Advance(connect.SessionTouchEvery)
	for range 3 {
		if err := open(); err != nil {
			t.Fatal(err)
		}
	}
	if n := touches.n.Load(); n != 1 {
		t.Fatalf("uses after 2 minutes wrote the session %d times, want 1", n)
	}
	// Used every 25 minutes it lasts, until its lifetime.
	for range 5 {
		w.Clock.Advance(25 * time.Minute)
		if err := open(); err != nil {
			t.Fatalf("a session used every 25 minutes (idle 30): %v", err)
		}
	}
	w.Clock.Advance(25 * time.Minute) // 2 h 34 min after sign-in, past its 2 h 30
	if err := open(); connect.ErrorCode(err) != connect.Forbidden {
		t.Fatalf("a session past its lifetime: %v", err)
	}
	// Unused for longer than its idle time, another ends.
	issued, err = w.Service.StartSession(ctx, tm.Owner.Actor, connect.StartSessionParams{Idle: 30 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	w.Clock.Advance(31 * time.Minute)
	if err := open(); connect.ErrorCode(err) != connect.Forbidden {
		t.Fatalf("a session idle for 31 minutes: %v", err)
	}
	// Its member's list shows open sessions only.
	list, err := w.Service.Sessions(ctx, tm.Owner.Actor)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 0 {
		t.Fatalf("Sessions lists %d ended sessions", len(list))
	}
}
