package connecttest_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/connecttest"
)

func TestClockMovesOnlyWhenTold(t *testing.T) {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	c := connecttest.NewClock(start)
	if got := c.Now(); !got.Equal(start) || !c.Now().Equal(start) {
		t.Fatalf("a still clock read %v, want %v twice", got, start)
	}
	if got := c.Advance(time.Hour); !got.Equal(start.Add(time.Hour)) || !c.Now().Equal(got) {
		t.Fatalf("after Advance: %v", got)
	}
	c.Set(start)
	c.AutoAdvance(time.Second)
	if a, b := c.Now(), c.Now(); !a.Equal(start) || !b.Equal(start.Add(time.Second)) {
		t.Fatalf("stepping by 1 s: %v then %v", a, b)
	}
}

// Run with -race: readers on many goroutines each get an instant of their own.
func TestClockIsSafeForConcurrentUse(t *testing.T) {
	c := connecttest.NewClock(connecttest.Start)
	c.AutoAdvance(time.Millisecond)
	var (
		mu   sync.Mutex
		seen = map[time.Time]bool{}
		wg   sync.WaitGroup
	)
	for range 8 {
		wg.Go(func() {
			for range 100 {
				now := c.Now()
				mu.Lock()
				seen[now] = true
				mu.Unlock()
			}
		})
	}
	wg.Go(func() { c.Advance(0) })
	wg.Wait()
	if len(seen) != 800 {
		t.Fatalf("800 readings gave %d distinct instants", len(seen))
	}
	if got, want := c.Now(), connecttest.Start.Add(800*time.Millisecond); !got.Equal(want) {
		t.Fatalf("after 800 readings the clock reads %v, want %v", got, want)
	}
}

func TestOrdersInEveryStatusGoThroughTheLifecycle(t *testing.T) {
	w := connecttest.New(t)
	tm := w.NewClient("Green Grocer", connect.ClientSettings{AllowUpload: true})
	for _, status := range connect.Statuses() {
		t.Run(string(status), func(t *testing.T) {
			o := w.Order(tm.Owner.Actor, status)
			if o.Status != status || o.Client != tm.Client.ID {
				t.Fatalf("order %s of client %s, want %s of %s", o.Status, o.Client, status, tm.Client.ID)
			}
			switch status {
			case connect.StatusScheduled:
				if o.Route.RouteID == "" || o.Route.Position != 1 {
					t.Errorf("scheduled on %+v", o.Route)
				}
			case connect.StatusEnRoute:
				if o.ETA.IsZero() {
					t.Error("en route without an ETA")
				}
			case connect.StatusDelivered:
				if o.Proof == nil || o.Proof.RecipientName == "" {
					t.Errorf("delivered with proof %+v", o.Proof)
				}
			case connect.StatusFailed:
				if o.FailureReason == "" {
					t.Error("failed without a reason")
				}
			}
			// The history is a path through the lifecycle that ends at the status.
			history := o.History
			at := connect.StatusDraft
			for _, ev := range history[1:] { // the first is the creation
				if ev.From != at {
					t.Fatalf("history %+v: %s from %s, the order was %s", history, ev.Event, ev.From, at)
				}
				at = ev.To
			}
			if at != status {
				t.Fatalf("the history ends at %s, the order is %s", at, status)
			}
		})
	}
}

func TestOrdersMovesManyTogether(t *testing.T) {
	w := connecttest.New(t)
	tm := w.NewClient("Green Grocer", connect.ClientSettings{AllowUpload: true})
	orders := w.Orders(tm.Owner.Actor, connect.StatusScheduled, 3)
	refs := map[string]bool{}
	for i, o := range orders {
		if o.Status != connect.StatusScheduled || o.Route.RouteID != orders[0].Route.RouteID || o.Route.Position != i+1 {
			t.Fatalf("order %d: %s on %+v", i, o.Status, o.Route)
		}
		refs[o.Ref] = true
	}
	if len(refs) != 3 {
		t.Fatalf("three orders with refs %v", refs)
	}
}

func TestTeamsSignUpThroughInvites(t *testing.T) {
	w := connecttest.New(t)
	tm := w.NewClient("Green Grocer", connect.ClientSettings{})
	admin := tm.Join(connect.RoleAdmin)
	member := w.Join(admin.Actor, "sam@grocer.example", connect.RoleMember)
	members, err := w.Service.Members(t.Context(), tm.Owner.Actor, "")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range members {
		got = append(got, fmt.Sprintf("%s %s", m.Role, m.Email))
	}
	want := []string{"owner " + tm.Owner.Email, "admin " + admin.Email, "member sam@grocer.example"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("team %v, want %v", got, want)
	}
	ms, err := w.Service.SignIn(t.Context(), member.Email, connecttest.Password)
	if err != nil || len(ms) != 1 || ms[0].Actor != member.Actor {
		t.Fatalf("signing in as the member: %+v, %v", ms, err)
	}
	if tm.Client.Status != connect.ClientActive {
		t.Fatalf("the client is %s", tm.Client.Status)
	}
}

func TestMailerFailsWhenTold(t *testing.T) {
	w := connecttest.New(t)
	tm := w.NewClient("Green Grocer", connect.ClientSettings{})
	invite := func(email string) error {
		_, err := w.Service.InviteMember(t.Context(), tm.Owner.Actor, connect.InviteMemberParams{Email: email, Role: connect.RoleMember, SendEmail: true})
		return err
	}
	w.Mailer.FailNext(1, connect.Errorf(connect.Unavailable, "smtp down"))
	connecttest.WantCode(t, invite("a@grocer.example"), connect.Unavailable, "smtp down")
	if err := invite("b@grocer.example"); err != nil {
		t.Fatal(err)
	}
	w.Mailer.FailWith(connect.Errorf(connect.Invalid, "no such mailbox"))
	connecttest.WantCode(t, invite("c@grocer.example"), connect.Invalid)
	connecttest.WantCode(t, invite("d@grocer.example"), connect.Invalid)
	w.Mailer.FailWith(nil)
	if err := invite("e@grocer.example"); err != nil {
		t.Fatal(err)
	}
	sent := w.Mailer.Sent()
	if len(sent) != 2 || sent[0].To != "b@grocer.example" || w.Mailer.Last().To != "e@grocer.example" || w.Mailer.Attempts() != 5 {
		t.Fatalf("sent %+v after %d attempts", sent, w.Mailer.Attempts())
	}
}

func TestRouteSyncFailsThenTakesTheRetry(t *testing.T) {
	w := connecttest.New(t)
	tm := w.NewClient("Green Grocer", connect.ClientSettings{AllowUpload: true})
	w.RouteSync.FailWith(connect.Errorf(connect.Unavailable, "host down"))
	o := w.Order(tm.Owner.Actor, connect.StatusSubmitted)
	if n := w.DeliverOutbox(connect.OutboxOptions{}); n != 1 || len(w.RouteSync.Changes()) != 0 {
		t.Fatalf("delivered %d, the host took %v", n, w.RouteSync.Changes())
	}
	w.RouteSync.FailWith(nil)
	if n := w.DeliverOutbox(connect.OutboxOptions{}); n != 0 {
		t.Fatalf("a retry went out %d times before its backoff", n)
	}
	w.Clock.Advance(time.Hour) // past the backoff
	w.DeliverOutbox(connect.OutboxOptions{})
	changes := w.RouteSync.Changes()
	if len(changes) != 1 || changes[0].Order.ID != o.ID || changes[0].Event != connect.EventSubmit || w.RouteSync.Attempts() != 2 {
		t.Fatalf("the host took %+v in %d attempts", changes, w.RouteSync.Attempts())
	}
}

func TestRouteSyncAwaitsAWorker(t *testing.T) {
	w := connecttest.New(t)
	tm := w.NewClient("Green Grocer", connect.ClientSettings{AllowUpload: true})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- w.Service.RunOutbox(ctx, connect.OutboxOptions{}) }()
	o := w.Order(tm.Owner.Actor, connect.StatusSubmitted)
	wait, stop := context.WithTimeout(ctx, 10*time.Second)
	defer stop()
	changes, err := w.RouteSync.Await(wait, 1)
	if err != nil || changes[0].Order.ID != o.ID {
		t.Fatalf("the worker delivered %+v, %v", changes, err)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("RunOutbox returned %v", err)
	}
	short, stop2 := context.WithCancel(t.Context())
	stop2()
	if got, err := w.RouteSync.Await(short, 2); !errors.Is(err, context.Canceled) || len(got) != 1 {
		t.Fatalf("awaiting a change that never comes: %+v, %v", got, err)
	}
}

func TestOptionsSayWhatStaysWired(t *testing.T) {
	w := connecttest.New(t, connecttest.WithNow(time.Now), connecttest.WithAccount("acct-9"),
		connecttest.WithConfig(func(c *connect.Config) { c.Mailer = nil }))
	if w.Clock != nil || w.Mailer != nil || w.RouteSync == nil || w.Dispatcher.Account != "acct-9" {
		t.Fatalf("clock %v, mailer %v, route sync %v, dispatcher %+v", w.Clock, w.Mailer, w.RouteSync, w.Dispatcher)
	}
	tm := w.NewClient("Green Grocer", connect.ClientSettings{AllowUpload: true})
	if o := w.Order(tm.Owner.Actor, connect.StatusDraft); time.Since(o.CreatedAt) > time.Minute {
		t.Fatalf("an order made on the real clock at %v", o.CreatedAt)
	}
	clock := connecttest.NewClock(connecttest.Start)
	w = connecttest.New(t, connecttest.WithClock(clock), connecttest.WithPassword(""))
	tm = w.NewClient("Green Grocer", connect.ClientSettings{})
	if w.Clock != clock || tm.Owner.Password != "" || !tm.Client.CreatedAt.Equal(connecttest.Start) {
		t.Fatalf("clock %p (want %p), password %q, created at %v", w.Clock, clock, tm.Owner.Password, tm.Client.CreatedAt)
	}
}

// reporter is a testing.TB that records a failure instead of ending the test.
type reporter struct {
	testing.TB
	failed string
}

func (r *reporter) Helper() {}
func (r *reporter) Fatalf(format string, args ...any) {
	if r.failed == "" {
		r.failed = fmt.Sprintf(format, args...)
	}
}

func TestWantCode(t *testing.T) {
	err := fmt.Errorf("wrapped: %w", connect.Errorf(connect.Conflict, "the order moved on"))
	for _, c := range []struct {
		name string
		err  error
		code connect.Code
		says []string
		fail bool
	}{
		{"the code", err, connect.Conflict, nil, false},
		{"the code and words of the message", err, connect.Conflict, []string{"order", "moved on"}, false},
		{"another code", err, connect.NotFound, nil, true},
		{"no error", nil, connect.Conflict, nil, true},
		{"an error of another type", errors.New("conflict"), connect.Conflict, nil, true},
		{"words the message lacks", err, connect.Conflict, []string{"order", "deleted"}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := &reporter{TB: t}
			connecttest.WantCode(r, c.err, c.code, c.says...)
			if (r.failed != "") != c.fail {
				t.Fatalf("WantCode(%v, %s, %q) failed with %q; want a failure: %v", c.err, c.code, c.says, r.failed, c.fail)
			}
		})
	}
}
