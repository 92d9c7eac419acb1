package portal_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/connecttest"
)

// TestProofFilesAreServedToWhoMaySeeTheOrder: a delivery photo kept by connect
// is served at its link to the client's team and the dispatcher, through the
// tracking page to its link's holder, and to nobody else.
func TestProofFilesAreServedToWhoMaySeeTheOrder(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tm := e.signUp("Green Grocer", uploads)
	other := e.signUp("Other Shop", uploads)
	o := e.w.Orders(tm.owner, connect.StatusSubmitted, 1)[0]
	host := connect.AsRouteSync(e.acct)
	link, err := e.svc.StoreProofFile(e.ctx, host, o.ID, bytes.NewReader(connecttest.PNG))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(link, e.base+"/proof/"+string(o.ID)+"/") {
		t.Fatalf("the link %s is not the portal's", link)
	}
	for _, ev := range []connect.RouteEvent{
		{ID: "s", Event: connect.EventSchedule, Route: connect.RouteStop{RouteID: "r", Position: 1}},
		{ID: "c", Event: connect.EventComplete, Proof: &connect.ProofOfDelivery{PhotoURLs: []string{link}, RecipientName: "Rita"}},
	} {
		ev.Order, ev.At = o.ID, time.Now()
		if _, err := e.svc.ApplyRouteEvents(e.ctx, host, []connect.RouteEvent{ev}); err != nil {
			t.Fatal(err)
		}
	}
	path := strings.TrimPrefix(link, e.base)
	image := func(r response) {
		t.Helper()
		r.is(t, http.StatusOK)
		if ct := r.header.Get("Content-Type"); ct != "image/png" || r.body != string(connecttest.PNG) {
			t.Fatalf("%s: %d bytes of %s", path, len(r.body), ct)
		}
	}
	b := e.signedIn(tm.email)
	b.get("/orders/"+string(o.ID)).is(t, http.StatusOK).has(t, link)
	image(b.get(path))
	image(e.dispatcher().get(path))
	e.signedIn(other.email).get(path).is(t, http.StatusNotFound)
	if r := e.browser().get(path); r.status != http.StatusSeeOther || !strings.Contains(r.header.Get("Location"), "/signin") {
		t.Fatalf("without a session: %d %s", r.status, r.header.Get("Location"))
	}

	// The tracking page links the photo through its own link: its holder has no session.
	tl, err := e.svc.CreateTrackingLink(e.ctx, tm.owner, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	file := link[strings.LastIndexByte(link, '/')+1:]
	tracked := "/track/" + tl.Token + "/proof/" + file
	e.browser().get("/track/"+tl.Token).is(t, http.StatusOK).has(t, tracked).lacks(t, link)
	image(e.browser().get(tracked))
	e.browser().get("/track/made-up/proof/"+file).is(t, http.StatusNotFound)
}
