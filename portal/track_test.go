package portal_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dispatchkit/connect"
)

// TestTheTrackingPageSpeaksTheRecipientsLanguage follows an order through the
// page a recipient opens: out for delivery with a window around the ETA, then
// delivered with its time, the page then no longer polling.
func TestTheTrackingPageSpeaksTheRecipientsLanguage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tm := e.signUp("Green Grocer", uploads)
	o := e.draft(tm.owner, "T-2")
	if _, err := e.svc.SubmitOrders(e.ctx, tm.owner, []connect.OrderID{o.ID}); err != nil {
		t.Fatal(err)
	}
	l, err := e.svc.CreateTrackingLink(e.ctx, tm.owner, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	path := "/track/" + l.Token
	route := func(evs ...connect.RouteEvent) {
		t.Helper()
		if _, err := e.svc.ApplyRouteEvents(e.ctx, connect.AsRouteSync(e.acct), evs); err != nil {
			t.Fatal(err)
		}
	}
	at := time.Date(2026, 5, 6, 13, 0, 0, 0, time.UTC)
	eta := at.Add(90 * time.Minute)
	e.browser().get(path).is(t, http.StatusOK).has(t, "Order received", `data-track-live="/track/`)
	route(connect.RouteEvent{ID: "s", Order: o.ID, Event: connect.EventSchedule, At: at},
		connect.RouteEvent{ID: "g", Order: o.ID, Event: connect.EventStart, At: at.Add(time.Minute), ETA: eta})
	live := e.browser().get(path).is(t, http.StatusOK)
	live.has(t, "Out for delivery", eta.Add(-30*time.Minute).Format(time.RFC3339), eta.Add(30*time.Minute).Format(time.RFC3339),
		"this page updates by itself").lacks(t, "data-settled")
	route(connect.RouteEvent{ID: "c", Order: o.ID, Event: connect.EventComplete, At: eta,
		Proof: &connect.ProofOfDelivery{RecipientName: "Rita", At: eta}})
	done := e.browser().get(path).is(t, http.StatusOK)
	done.has(t, "Delivered", "data-settled", "Received by", "Rita").lacks(t, "Out for delivery</p>", "updates by itself")
	if !strings.Contains(done.body, `<h3>Delivered</h3><p class="big" id="track-done"><time datetime="`+eta.Format(time.RFC3339)) {
		t.Errorf("the delivery time is not the card's:\n%s", done.body)
	}
	// The timeline tells the recipient each step once: the draft made and
	// submitted is one "Order received".
	timeline := done.body[strings.Index(done.body, `<ol class="timeline">`):]
	timeline = timeline[:strings.Index(timeline, "</ol>")]
	var steps []string
	for _, li := range strings.Split(timeline, "<li>")[1:] {
		steps = append(steps, li[strings.LastIndex(li, "</span> ")+len("</span> "):strings.Index(li, "</li>")])
	}
	if want := []string{"Order received", "Delivery planned", "Out for delivery", "Delivered"}; !slices.Equal(steps, want) {
		t.Errorf("the timeline reads %q, want %q", steps, want)
	}
}
