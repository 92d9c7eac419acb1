package connecttest_test

import (
	"context"
	"testing"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/connecttest"
)

func TestStopListMeetsTheRouteSyncContract(t *testing.T) {
	connecttest.RunRouteSync(t, func(*testing.T) connecttest.RouteSyncHost { return &connecttest.StopList{} })
}

// TestTheOutboxFeedsAStopList: a StopList as a World's host sees exactly the
// orders that are submitted, after the outbox delivered their changes.
func TestTheOutboxFeedsAStopList(t *testing.T) {
	stops := &connecttest.StopList{}
	w := connecttest.New(t, connecttest.WithConfig(func(c *connect.Config) { c.RouteSync = stops }))
	tm := w.NewClient("Green Grocer", connect.ClientSettings{AllowUpload: true})
	kept := w.Order(tm.Owner.Actor, connect.StatusSubmitted)
	withdrawn := w.Order(tm.Owner.Actor, connect.StatusSubmitted)
	if _, err := w.Service.Withdraw(t.Context(), tm.Owner.Actor, withdrawn.ID); err != nil {
		t.Fatal(err)
	}
	w.DeliverOutbox(connect.OutboxOptions{})
	for o, want := range map[connect.OrderID]bool{kept.ID: true, withdrawn.ID: false} {
		if got, _ := stops.Routable(context.Background(), o); got != want {
			t.Errorf("order %s a stop: %v, want %v", o, got, want)
		}
	}
	if got := stops.Stops(); len(got) != 1 || got[0].ID != kept.ID {
		t.Errorf("stops %v, want only %s", got, kept.ID)
	}
}
