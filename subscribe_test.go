package connect_test

import (
	"context"
	"testing"
	"time"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/internal/live"
	"github.com/dispatchkit/connect/storage"
	"github.com/uptrace/bun/dialect"
)

// next waits for the subscription's next event.
func next(t *testing.T, sub *connect.Subscription) connect.OrderEvent {
	t.Helper()
	select {
	case e, ok := <-sub.Events():
		if !ok {
			t.Fatalf("subscription ended: %v", sub.Err())
		}
		return e
	case <-time.After(20 * time.Second):
		t.Fatal("no event within 20 s")
	}
	return connect.OrderEvent{}
}

func TestSubscribersSeeOnlyWhatTheyMay(t *testing.T) {
	w := newWorld(t)
	_, otherOwner := w.signUpClient(w.disp, "Other", connect.ClientSettings{AllowUpload: true})
	ctx, cancel := context.WithCancel(w.ctx)
	defer cancel()
	mine, err := w.svc.Subscribe(ctx, w.owner, connect.SubscribeParams{})
	if err != nil {
		t.Fatal(err)
	}
	theirs, _ := w.svc.Subscribe(ctx, otherOwner, connect.SubscribeParams{})
	dispatcher, _ := w.svc.Subscribe(ctx, w.disp, connect.SubscribeParams{})
	foreign, _ := w.svc.Subscribe(ctx, connect.AsDispatcher("acct-2", "eve"), connect.SubscribeParams{})

	o := w.submitted(1)[0]
	w.route(ev("e1", o.ID, connect.EventSchedule, 0))
	for _, want := range []connect.Event{connect.EventCreate, connect.EventSubmit, connect.EventSchedule} {
		if got := next(t, mine); got.Event != want || got.Order != o.ID || got.Client != w.client.ID {
			t.Fatalf("member got %+v, want %s", got, want)
		}
		if got := next(t, dispatcher); got.Event != want {
			t.Fatalf("dispatcher got %+v, want %s", got, want)
		}
	}
	theirOrder := w.draft(otherOwner, "T")
	if got := next(t, theirs); got.Order != theirOrder.ID {
		t.Fatalf("other client got %+v", got)
	}
	select {
	case e := <-mine.Events():
		t.Fatalf("member saw another client's event %+v", e)
	case e := <-foreign.Events():
		t.Fatalf("another account saw %+v", e)
	case <-time.After(300 * time.Millisecond):
	}
}

func TestASlowSubscriberHoldsBackNoOne(t *testing.T) {
	w := newWorld(t)
	ctx, cancel := context.WithCancel(w.ctx)
	defer cancel()
	slow, _ := w.svc.Subscribe(ctx, w.owner, connect.SubscribeParams{Buffer: 1}) // never read until the end
	fast, _ := w.svc.Subscribe(ctx, w.owner, connect.SubscribeParams{Buffer: 1})
	orders := w.submitted(5) // 10 events: 5 creates, 5 submits
	for range 10 {
		next(t, fast)
	}
	// The slow one catches up from the Store, losing nothing.
	for i := range 10 {
		e := next(t, slow)
		if i >= 5 && e.Event != connect.EventSubmit {
			t.Fatalf("event %d: %+v", i, e)
		}
	}
	_ = orders
}

func TestSubscriptionResumesFromItsCursor(t *testing.T) {
	w := newWorld(t)
	ctx, cancel := context.WithCancel(w.ctx)
	sub, _ := w.svc.Subscribe(ctx, w.owner, connect.SubscribeParams{})
	a := w.draft(w.owner, "A")
	first := next(t, sub)
	cancel()
	for range sub.Events() {
	}
	b := w.draft(w.owner, "B") // committed while nobody listens
	ctx2, cancel2 := context.WithCancel(w.ctx)
	defer cancel2()
	again, err := w.svc.Subscribe(ctx2, w.owner, connect.SubscribeParams{After: first.Cursor})
	if err != nil {
		t.Fatal(err)
	}
	if got := next(t, again); got.Order != b.ID {
		t.Fatalf("resumed at %+v, want B (after A %s)", got, a.ID)
	}
	_, err = w.svc.Subscribe(ctx2, w.owner, connect.SubscribeParams{After: "not-a-cursor"})
	wantCode(t, err, connect.Invalid)
}

func TestRemovedMembersStreamEnds(t *testing.T) {
	w := newWorld(t)
	sam := w.join(w.owner, "sam@example.com", connect.RoleMember)
	sub, err := w.svc.Subscribe(w.ctx, sam, connect.SubscribeParams{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.svc.RemoveMember(w.ctx, w.owner, sam.Member); err != nil {
		t.Fatal(err)
	}
	w.draft(w.owner, "after") // wakes the stream, which re-checks the member
	deadline := time.After(10 * time.Second)
	for {
		select {
		case _, ok := <-sub.Events():
			if !ok {
				wantCode(t, sub.Err(), connect.Forbidden)
				return
			}
		case <-deadline:
			t.Fatal("a removed member's stream goes on")
		}
	}
}

func TestASubscriberOfAnotherProcessSeesTheCommit(t *testing.T) {
	w := newWorld(t)
	svc2 := w.otherProcess()
	ctx, cancel := context.WithCancel(w.ctx)
	defer cancel()
	sub, err := svc2.Subscribe(ctx, w.disp, connect.SubscribeParams{})
	if err != nil {
		t.Fatal(err)
	}
	o := w.draft(w.owner, "CROSS")
	if got := next(t, sub); got.Order != o.ID {
		t.Fatalf("the other process saw %+v", got)
	}
}

// A host closes the Store right after the Service: by then the Store's wake-up
// listener must have let go of its connection, or SQLite still has the file open
// (and may write its journal again) while the host removes it.
func TestClosingTheServiceLetsGoOfTheStore(t *testing.T) {
	w := newWorld(t)
	st, err := storage.Open(w.ctx, w.dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	svc, err := connect.New(connect.Config{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	// OrderStats starts the listener, and is done with the Store when it returns.
	if _, err := svc.OrderStats(w.ctx, w.disp, connect.OrderStatsParams{}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-connect.ListeningToTheStore(svc):
	case <-time.After(10 * time.Second):
		t.Fatal("the Service never listened to the Store's wake-ups")
	}
	// The listener of a SQLite file holds a connection of the pool.
	if n := st.DB().Stats().InUse; st.DB().Dialect().Name() == dialect.SQLite && n == 0 {
		t.Fatal("the wake-up listener holds no connection")
	}
	if err := svc.Close(); err != nil {
		t.Fatal(err)
	}
	if n := st.DB().Stats().InUse; n != 0 {
		t.Fatalf("%d connections still in use after Close", n)
	}
}

// noWaker is a Store that cannot wake across processes (as a host's own Store
// may be): only the subscribers' poll hears of other processes' commits.
type noWaker struct{ connect.Store }

// TestAStreamReadsOnItsOwnWhenNoWakeUpComes: a commit that wakes nobody (another
// process's, unheard) reaches a subscriber at its next poll, on the Service's
// clock: a wake-up lost delays an event, never loses it.
func TestAStreamReadsOnItsOwnWhenNoWakeUpComes(t *testing.T) {
	w := newWorld(t)
	st, err := storage.Open(w.ctx, w.dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	svc, err := connect.New(connect.Config{Store: noWaker{st}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = svc.Close() })
	clock := live.NewFakeClock(time.Now())
	connect.SetLiveClock(svc, clock)
	ctx, cancel := context.WithCancel(w.ctx)
	defer cancel()
	sub, err := svc.Subscribe(ctx, w.disp, connect.SubscribeParams{})
	if err != nil {
		t.Fatal(err)
	}
	waiting, stop := context.WithTimeout(ctx, 20*time.Second)
	defer stop()
	if err := clock.WaitForTimers(waiting, 1); err != nil {
		t.Fatalf("the stream never waited on the Service's clock: %v", err)
	}
	o := w.draft(w.owner, "UNHEARD") // committed by the other Service
	clock.Advance(connect.SubscriberPoll - time.Nanosecond)
	select {
	case e := <-sub.Events():
		t.Fatalf("an event before the poll: %+v", e)
	default:
	}
	clock.Advance(time.Nanosecond)
	// The poll reads the commit, whatever other transaction of the database
	// (another test's, on another schema) is open.
	if err := clock.WaitForTimers(waiting, 1); err != nil { // it has read, and waits again
		t.Fatalf("no event: %v", err)
	}
	select {
	case got := <-sub.Events():
		if got.Order != o.ID || got.Event != connect.EventCreate {
			t.Fatalf("the poll read %+v, want the draft's creation", got)
		}
	case <-waiting.Done():
		t.Fatal("the poll after the commit read nothing")
	}
}
