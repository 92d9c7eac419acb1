package connect_test

import (
	"testing"
	"time"

	"github.com/dispatchkit/connect"
)

// TestAnAccessMemoChecksOncePerContext: within a context of WithAccessMemo a
// member's standing is read once (so a removal in its course goes unseen, as its
// doc says); outside it, and in a new one, every call checks again.
func TestAnAccessMemoChecksOncePerContext(t *testing.T) {
	w := newWorld(t)
	sam := w.join(w.owner, "sam@example.com", connect.RoleMember)
	page := connect.WithAccessMemo(w.ctx)
	if _, _, err := w.svc.Membership(page, sam); err != nil {
		t.Fatal(err)
	}
	if err := w.svc.RemoveMember(w.ctx, w.owner, sam.Member); err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.Orders(page, sam, connect.ListOrdersParams{}); err != nil {
		t.Fatalf("a later read of the same page: %v", err)
	}
	_, err := w.svc.Orders(w.ctx, sam, connect.ListOrdersParams{})
	wantCode(t, err, connect.Forbidden)
	_, _, err = w.svc.Membership(connect.WithAccessMemo(w.ctx), sam)
	wantCode(t, err, connect.Forbidden)
}

// TestAStreamOpenedWithAnAccessMemoStillEndsForARemovedMember: Subscribe does not
// take the memo of the request that opened it.
func TestAStreamOpenedWithAnAccessMemoStillEndsForARemovedMember(t *testing.T) {
	w := newWorld(t)
	sam := w.join(w.owner, "sam@example.com", connect.RoleMember)
	page := connect.WithAccessMemo(w.ctx)
	if _, _, err := w.svc.Membership(page, sam); err != nil {
		t.Fatal(err)
	}
	sub, err := w.svc.Subscribe(page, sam, connect.SubscribeParams{})
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
