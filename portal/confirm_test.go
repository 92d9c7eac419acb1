package portal_test

import (
	"html"
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"github.com/dispatchkit/connect"
)

// TestIrreversibleActionsAskFirst: an irreversible action posted as its form
// posts it is answered by a page that asks, carrying the form's fields, and
// nothing happens until the page's own form says yes (no JavaScript needed).
func TestIrreversibleActionsAskFirst(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tm := e.signUp("Green Grocer", uploads)
	b := e.signedIn(tm.email)

	// A member deletes a draft: with JavaScript the form's question is asked
	// by the browser (the same words), which then posts confirm=yes.
	o := e.draft(tm.owner, "R-1")
	b.get("/orders/"+string(o.ID)).is(t, http.StatusOK).has(t, `data-confirm="Delete this draft? The draft and what it holds are deleted for good."`)
	form := url.Values{"version": {strconv.Itoa(o.Version)}}
	ask := b.postOnce("/orders/"+string(o.ID)+"/delete", form).is(t, http.StatusOK)
	ask.has(t, "Delete this draft?", `id="confirm-yes"`, `name="version" value="1"`, `name="confirm" value="yes"`,
		`action="/orders/`+string(o.ID)+`/delete"`)
	if _, err := e.svc.Order(e.ctx, tm.owner, o.ID); err != nil {
		t.Fatalf("the draft is gone before the answer: %v", err)
	}
	form.Set("confirm", "yes")
	b.postOnce("/orders/"+string(o.ID)+"/delete", form).is(t, http.StatusSeeOther)
	if _, err := e.svc.Order(e.ctx, tm.owner, o.ID); connect.ErrorCode(err) != connect.NotFound {
		t.Fatalf("the draft after yes: %v", err)
	}

	// A dispatcher cancels a stop.
	s := e.draft(tm.owner, "R-2")
	if _, err := e.svc.SubmitOrders(e.ctx, tm.owner, []connect.OrderID{s.ID}); err != nil {
		t.Fatal(err)
	}
	d := e.dispatcher()
	d.postOnce("/dispatch/stops/"+string(s.ID)+"/cancel", url.Values{"reason": {"closed road"}}).is(t, http.StatusOK).
		has(t, "Cancel this stop?", `name="reason" value="closed road"`)
	if got, _ := e.svc.Order(e.ctx, tm.owner, s.ID); got.Status != connect.StatusSubmitted {
		t.Fatalf("the stop is %s before the answer", got.Status)
	}
	d.postOnce("/dispatch/stops/"+string(s.ID)+"/cancel", url.Values{"reason": {"closed road"}, "confirm": {"yes"}}).is(t, http.StatusSeeOther)
	got, _ := e.svc.Order(e.ctx, tm.owner, s.ID)
	if got.Status != connect.StatusCancelled || got.History[len(got.History)-1].Reason != "closed road" {
		t.Fatalf("the stop after yes: %s %+v", got.Status, got.History)
	}

	// Every other irreversible form asks too.
	for _, p := range []struct {
		who            *browser
		path, question string
	}{
		{b, "/settings/team/transfer", "Hand the team's ownership over?"},
		{b, "/settings/integrations/shopify/disconnect", "Disconnect the Shopify store?"},
		{b, "/settings/integrations/api-keys/k/revoke", "Revoke this API key?"},
		{b, "/settings/team/invites/i/revoke", "Revoke this invitation?"},
		{b, "/settings/team/members/m/remove", "Remove this member from the team?"},
		{b, "/settings/team/members/m/two-factor/reset", "Reset this member's two-factor sign-in?"},
		{b, "/orders/" + string(s.ID) + "/tracking-links/l/revoke", "Revoke this tracking link?"},
		{d, "/dispatch/clients/" + string(tm.client.ID) + "/disable", "Disable this client?"},
		{d, "/dispatch/invites/i/revoke", "Revoke this invitation?"},
		{d, "/dispatch/deliveries/x/discard", "Discard this delivery?"},
	} {
		p.who.postOnce(p.path, url.Values{}).is(t, http.StatusOK).has(t, html.EscapeString(p.question), `id="confirm-yes"`)
	}
	if c, _ := e.svc.Client(e.ctx, e.disp, tm.client.ID); c.Status != connect.ClientActive {
		t.Fatalf("the client is %s after a question only", c.Status)
	}
}
