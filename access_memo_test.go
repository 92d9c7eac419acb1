package connect_test

import (
	"testing"
	"time"

	"github.com/dispatchkit/connect"
)

// withMemo returns the actor of one request that changes nothing.
func withMemo(a connect.Actor) connect.Actor {
	a.AccessMemo = new(connect.AccessMemo)
	return a
}

// removedInTheCourseOfARequest makes a member, Sam, with a draft, checks Sam in
// a request (page: Sam's actor with the request's memo), and removes Sam.
func removedInTheCourseOfARequest(t *testing.T) (w *world, sam, page connect.Actor, draft *connect.Order) {
	t.Helper()
	w = newWorld(t)
	sam = w.join(w.owner, "sam@example.com", connect.RoleMember)
	draft = w.draft(sam, "SAM-1")
	page = withMemo(sam)
	if _, _, err := w.svc.Membership(w.ctx, page); err != nil {
		t.Fatal(err)
	}
	if err := w.svc.RemoveMember(w.ctx, w.owner, sam.Member); err != nil {
		t.Fatal(err)
	}
	return w, sam, page, draft
}

// TestAnAccessMemoChecksOncePerRequest: the reads made with one AccessMemo on
// their actor check the member at the first of them only, so a removal in the
// course of the request goes unseen by every later read (as its doc says);
// without a memo, and with a new one, every call checks again.
func TestAnAccessMemoChecksOncePerRequest(t *testing.T) {
	w, sam, page, o := removedInTheCourseOfARequest(t)
	for name, read := range map[string]func(connect.Actor) error{
		"Membership": func(a connect.Actor) error { _, _, err := w.svc.Membership(w.ctx, a); return err },
		"Orders":     func(a connect.Actor) error { _, err := w.svc.Orders(w.ctx, a, connect.ListOrdersParams{}); return err },
		"Order":      func(a connect.Actor) error { _, err := w.svc.Order(w.ctx, a, o.ID); return err },
		"OrderStats": func(a connect.Actor) error {
			_, err := w.svc.OrderStats(w.ctx, a, connect.OrderStatsParams{})
			return err
		},
		"Members": func(a connect.Actor) error { _, err := w.svc.Members(w.ctx, a, ""); return err },
		"Client":  func(a connect.Actor) error { _, err := w.svc.Client(w.ctx, a, w.client.ID); return err },
		"APIKeys": func(a connect.Actor) error { _, err := w.svc.APIKeys(w.ctx, a); return err },
		"TrackingLinks": func(a connect.Actor) error {
			_, err := w.svc.TrackingLinks(w.ctx, a, o.ID)
			return err
		},
	} {
		if err := read(page); err != nil {
			t.Errorf("%s later in the same request: %v", name, err)
		}
		if err := read(sam); connect.ErrorCode(err) != connect.Forbidden {
			t.Errorf("%s without a memo: %v, want forbidden", name, err)
		}
		if err := read(withMemo(sam)); connect.ErrorCode(err) != connect.Forbidden {
			t.Errorf("%s in a new request: %v, want forbidden", name, err)
		}
	}
}

// TestChangesIgnoreTheAccessMemo: a method that changes something checks its
// actor anew, whatever AccessMemo it carries: a member removed after the memo
// checked it can no longer add, submit or share orders.
func TestChangesIgnoreTheAccessMemo(t *testing.T) {
	w, _, page, o := removedInTheCourseOfARequest(t)
	_, err := w.svc.CreateOrder(w.ctx, page, connect.OrderInput{Ref: "SAM-2", Address: connect.Address{Line1: "2 High St"}})
	wantCode(t, err, connect.Forbidden)
	_, err = w.svc.SubmitOrders(w.ctx, page, []connect.OrderID{o.ID})
	wantCode(t, err, connect.Forbidden)
	_, err = w.svc.CreateTrackingLink(w.ctx, page, o.ID)
	wantCode(t, err, connect.Forbidden)
}

// TestAStreamOpenedWithAnAccessMemoStillEndsForARemovedMember: Subscribe does not
// take the memo of the request that opened it.
func TestAStreamOpenedWithAnAccessMemoStillEndsForARemovedMember(t *testing.T) {
	w := newWorld(t)
	sam := w.join(w.owner, "sam@example.com", connect.RoleMember)
	page := withMemo(sam)
	if _, _, err := w.svc.Membership(w.ctx, page); err != nil {
		t.Fatal(err)
	}
	sub, err := w.svc.Subscribe(w.ctx, page, connect.SubscribeParams{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.svc.RemoveMember(w.ctx, w.owner, sam.Member); err != nil {
		t.Fatal(err)
	}
	w.draft(w.owner, "after")
	deadline := time.After(10 * time.Second)
	for {
		select {
		case ev, ok := <-sub.Events():
			if !ok {
				wantCode(t, sub.Err(), connect.Forbidden)
				return
			}
			t.Fatalf("a removed member got %+v", ev)
		case <-deadline:
			t.Fatal("a removed member's stream goes on")
		}
	}
}
