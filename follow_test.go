package connect_test

import (
	"context"
	"testing"
	"time"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/internal/live"
	"github.com/dispatchkit/connect/storage"
)

// followed is a Follower's deliveries as a channel, for tests.
type followed struct {
	f      *connect.Follower
	events chan connect.OrderEvent
	ended  chan error
}

func follow(t *testing.T, svc *connect.Service, a connect.Actor, after string) (*followed, error) {
	t.Helper()
	fd := &followed{events: make(chan connect.OrderEvent, 1000), ended: make(chan error, 1)}
	f, err := svc.Follow(context.Background(), a, connect.FollowParams{After: after,
		Deliver: func(events []connect.OrderEvent) bool {
			for _, e := range events {
				fd.events <- e // the buffer holds every test's events: never blocks
			}
			return true
		},
		Ended: func(err error) { fd.ended <- err },
	})
	if err != nil {
		return nil, err
	}
	fd.f = f
	t.Cleanup(f.Stop)
	return fd, nil
}

func (fd *followed) next(t *testing.T) connect.OrderEvent {
	t.Helper()
	select {
	case e := <-fd.events:
		return e
	case err := <-fd.ended:
		t.Fatalf("the follower ended: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("no event within 20 s")
	}
	return connect.OrderEvent{}
}

// TestFollowersSeeWhatSubscribersSee: a follower gets the events a
// subscription would, in commit order, and nothing of another client.
func TestFollowersSeeWhatSubscribersSee(t *testing.T) {
	w := newWorld(t)
	_, otherOwner := w.signUpClient(w.disp, "Other", connect.ClientSettings{AllowUpload: true})
	mine, err := follow(t, w.svc, w.owner, "")
	if err != nil {
		t.Fatal(err)
	}
	dispatcher, _ := follow(t, w.svc, w.disp, "")
	theirs, _ := follow(t, w.svc, otherOwner, "")
	o := w.submitted(1)[0]
	w.route(ev("e1", o.ID, connect.EventSchedule, 0))
	for _, want := range []connect.Event{connect.EventCreate, connect.EventSubmit, connect.EventSchedule} {
		if got := mine.next(t); got.Event != want || got.Order != o.ID {
			t.Fatalf("member got %+v, want %s", got, want)
		}
		if got := dispatcher.next(t); got.Event != want {
			t.Fatalf("dispatcher got %+v, want %s", got, want)
		}
	}
	theirOrder := w.draft(otherOwner, "T")
	if got := theirs.next(t); got.Order != theirOrder.ID {
		t.Fatalf("other client got %+v", got)
	}
	if got := dispatcher.next(t); got.Order != theirOrder.ID {
		t.Fatalf("dispatcher got %+v", got)
	}
	select {
	case e := <-mine.events:
		t.Fatalf("member saw another client's event %+v", e)
	default: // the other client's event reached its follower and the dispatcher's: read for at once
	}
	_, err = w.svc.Follow(w.ctx, w.owner, connect.FollowParams{})
	wantCode(t, err, connect.Invalid)
	_, err = follow(t, w.svc, w.owner, "not-a-cursor")
	wantCode(t, err, connect.Invalid)
}

// TestAFollowerResumesAtOnceAndStops: a follower resuming from a cursor gets
// what was committed since without waiting for a commit or its poll (the
// Service's clock never moves here), and nothing after Stop.
func TestAFollowerResumesAtOnceAndStops(t *testing.T) {
	w := newWorld(t)
	connect.SetLiveClock(w.svc, live.NewFakeClock(time.Now()))
	first, _ := follow(t, w.svc, w.owner, "")
	a := w.draft(w.owner, "A")
	if got := first.next(t); got.Order != a.ID {
		t.Fatalf("got %+v, want A", got)
	}
	cursor := first.f.Cursor()
	first.f.Stop()
	first.f.Stop()             // twice is fine
	b := w.draft(w.owner, "B") // committed while nobody follows from there
	again, err := follow(t, w.svc, w.owner, cursor)
	if err != nil {
		t.Fatal(err)
	}
	if got := again.next(t); got.Order != b.ID {
		t.Fatalf("resumed at %+v, want B", got)
	}
	again.f.Stop()
	control, _ := follow(t, w.svc, w.owner, again.f.Cursor())
	c := w.draft(w.owner, "C")
	if got := control.next(t); got.Order != c.ID {
		t.Fatalf("got %+v, want C", got)
	}
	select {
	case e := <-first.events:
		t.Fatalf("a stopped follower got %+v", e)
	case e := <-again.events:
		t.Fatalf("a stopped follower got %+v", e)
	default:
	}
}

// TestARemovedMembersFollowerEnds: the commit after a member's removal ends
// their follower (Ended, forbidden) and gives them nothing.
func TestARemovedMembersFollowerEnds(t *testing.T) {
	w := newWorld(t)
	sam := w.join(w.owner, "sam@example.com", connect.RoleMember)
	fd, err := follow(t, w.svc, sam, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := w.svc.RemoveMember(w.ctx, w.owner, sam.Member); err != nil {
		t.Fatal(err)
	}
	w.draft(w.owner, "after") // wakes the follower, which checks the member
	select {
	case err := <-fd.ended:
		wantCode(t, err, connect.Forbidden)
	case e := <-fd.events:
		t.Fatalf("a removed member got %+v", e)
	case <-time.After(10 * time.Second):
		t.Fatal("a removed member's follower goes on")
	}
}

// TestAFollowerReadsOnItsOwnWhenNoWakeUpComes: another process's commit
// that wakes nobody reaches a follower at the Service's next poll.
func TestAFollowerReadsOnItsOwnWhenNoWakeUpComes(t *testing.T) {
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
	fd, err := follow(t, svc, w.disp, "")
	if err != nil {
		t.Fatal(err)
	}
	waiting, stop := context.WithTimeout(w.ctx, 20*time.Second)
	defer stop()
	if err := clock.WaitForTimers(waiting, 1); err != nil {
		t.Fatalf("the poll never waited on the Service's clock: %v", err)
	}
	o := w.draft(w.owner, "UNHEARD") // committed by the other Service
	clock.Advance(connect.SubscriberPoll - time.Nanosecond)
	select {
	case e := <-fd.events:
		t.Fatalf("an event before the poll: %+v", e)
	default:
	}
	clock.Advance(time.Nanosecond)
	if got := fd.next(t); got.Order != o.ID || got.Event != connect.EventCreate {
		t.Fatalf("the poll read %+v, want the draft's creation", got)
	}
}
