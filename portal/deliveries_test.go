package portal_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/connecttest"
)

// TestDispatchersRetryAndDiscardFailedDeliveries: the deliveries page shows
// the stop changes the host refused, with the host's error; "Retry now" sends
// one again once the host is back, "Discard" drops the other; members and other
// accounts' dispatchers reach none of it.
func TestDispatchersRetryAndDiscardFailedDeliveries(t *testing.T) {
	t.Parallel()
	host := &connecttest.RouteSync{}
	host.FailWith(connect.Errorf(connect.Unavailable, "stop list offline for maintenance"))
	e := newEnvOnWorld(t, "", []connecttest.Option{connecttest.WithConfig(func(c *connect.Config) { c.RouteSync = host })})
	tm := e.signUp("Green Grocer", uploads)
	a, b := e.draft(tm.owner, "D-1"), e.draft(tm.owner, "D-2")
	if _, err := e.svc.SubmitOrders(e.ctx, tm.owner, []connect.OrderID{a.ID, b.ID}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.DeliverOutbox(e.ctx, connect.OutboxOptions{MaxAttempts: 1}); err != nil {
		t.Fatal(err)
	}
	dead, err := e.svc.Outbox(e.ctx, e.disp, connect.ListOutboxParams{View: connect.OutboxViewDead})
	if err != nil || len(dead.Entries) != 2 {
		t.Fatalf("dead deliveries %v, %v; want 2", dead, err)
	}
	retried, discarded := dead.Entries[0], dead.Entries[1]

	d := e.dispatcher()
	d.get("/dispatch/deliveries").is(t, http.StatusOK).has(t, "stop list offline for maintenance", retried.ID, discarded.ID, "Retry now", "Discard")

	// Neither a member nor another account's dispatcher gets in.
	member := e.signedIn(tm.email)
	if r := member.get("/dispatch/deliveries"); r.status == http.StatusOK {
		t.Fatalf("a member opens the deliveries page")
	}
	member.post("/dispatch/deliveries/"+retried.ID+"/retry", url.Values{}).lacks(t, "Delivery retried")
	stranger := e.browser()
	stranger.header.Set("X-Test-Dispatcher", "another-account")
	stranger.get("/dispatch/deliveries").is(t, http.StatusOK).lacks(t, retried.ID, discarded.ID)
	stranger.post("/dispatch/deliveries/"+retried.ID+"/retry", url.Values{}).is(t, http.StatusNotFound)
	stranger.post("/dispatch/deliveries/"+discarded.ID+"/discard", url.Values{}).is(t, http.StatusNotFound)
	if n := host.Attempts(); n != 2 {
		t.Fatalf("the host was tried %d times, want 2 (no retry from the stranger or the member)", n)
	}

	host.FailWith(nil)
	d.follow(d.post("/dispatch/deliveries/"+retried.ID+"/retry", url.Values{})).has(t, "Delivery retried")
	d.follow(d.post("/dispatch/deliveries/"+discarded.ID+"/discard", url.Values{})).has(t, "Delivery discarded")
	if _, err := e.svc.DeliverOutbox(e.ctx, connect.OutboxOptions{MaxAttempts: 1}); err != nil {
		t.Fatal(err)
	}
	if got := host.Changes(); len(got) != 1 || got[0].Key != retried.Key {
		t.Fatalf("the host got %v, want only the retried change", got)
	}
	d.get("/dispatch/deliveries").is(t, http.StatusOK).has(t, "Every delivery went through")
	d.get("/dispatch/deliveries?view=discarded").is(t, http.StatusOK).has(t, discarded.ID).lacks(t, retried.ID)
	d.get("/dispatch/deliveries?view=done").is(t, http.StatusOK).has(t, retried.ID)
	d.post("/dispatch/deliveries/"+retried.ID+"/retry", url.Values{}).is(t, http.StatusConflict)
}
