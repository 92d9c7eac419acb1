package portal_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/dispatchkit/connect"
)

// TestTheConsoleChangesManyClientsAtOnce walks the client list's change form:
// a search, "select all N matching" (more than a page), stop uploads (in the
// background, with its progress page and result); then rows ticked on the
// page are disabled once confirmed (the confirmation page without
// JavaScript), given a depot, enabled again. A client of another account
// posted by id is not changed, and only the matching clients are.
func TestTheConsoleChangesManyClientsAtOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	signed := e.signUp("Closed Shop Signed", uploads) // a team, signed in
	for i := range 60 {
		if _, err := e.svc.InviteClient(e.ctx, e.disp, connect.InviteClientParams{Name: fmt.Sprintf("Closed Shop %02d", i),
			Settings: connect.ClientSettings{AllowUpload: true, DefaultDepot: "north"}}); err != nil {
			t.Fatal(err)
		}
	}
	_, err := e.svc.InviteClient(e.ctx, e.disp, connect.InviteClientParams{Name: "Open Shop", Settings: connect.ClientSettings{AllowUpload: true}})
	if err != nil {
		t.Fatal(err)
	}
	foreign, err := e.svc.InviteClient(e.ctx, connect.AsDispatcher("acct-2", "bo@other.test"), connect.InviteClientParams{Name: "Closed Shop Foreign",
		Settings: connect.ClientSettings{AllowUpload: true}})
	if err != nil {
		t.Fatal(err)
	}
	member := e.signedIn(signed.email)
	member.get("/home").is(t, http.StatusOK)

	d := e.dispatcher()
	list := d.get("/dispatch/clients?q=closed+shop").is(t, http.StatusOK)
	list.has(t, `id="clients-form"`, "Select all 61 clients matching", `id="next-page"`, `form="clients-form"`,
		`formaction="/dispatch/clients/disable"`).lacks(t, "Open Shop", "Closed Shop Foreign")

	// All matching: uploads stopped in the background, followed to the result.
	r := d.post("/dispatch/clients/change", url.Values{"q": {"closed shop"}, "all": {"1"}, "action": {"stop_uploads"}}).is(t, http.StatusSeeOther)
	job := r.header.Get("Location")
	if !strings.HasPrefix(job, "/dispatch/jobs/") {
		t.Fatalf("all matching went to %q, want its progress page", job)
	}
	d.get(job+"/events").is(t, http.StatusOK).has(t, "event: done", `"result":"`+job+`"`)
	d.get(job+"/status").is(t, http.StatusOK).has(t, `"finished":true`, `"total":61`)
	d.get(job).is(t, http.StatusOK).has(t, "Clients whose uploads were stopped: 61.", `id="bulk-matched">61<`, `id="bulk-refused">0<`)
	all := e.clientsByName("")
	for name, cl := range all {
		if strings.HasPrefix(name, "Closed Shop") && cl.Settings.AllowUpload {
			t.Fatalf("%s may still upload", name)
		}
	}
	if !all["Open Shop"].Settings.AllowUpload {
		t.Fatal("a client not matching was changed")
	}
	d.get("/dispatch/clients?q=closed+shop").is(t, http.StatusOK).lacks(t, ">allowed<")

	// Rows ticked, with a foreign client's id slipped in: disabling asks first.
	ids := regexp.MustCompile(`name="id" value="([^"]+)"`).FindAllStringSubmatch(list.body, -1)
	if len(ids) != 50 {
		t.Fatalf("%d rows to tick, want 50", len(ids))
	}
	tick := url.Values{"q": {"closed shop"}, "id": {ids[0][1], string(signed.client.ID), string(foreign.Invite.Client)}}
	ask := d.postOnce("/dispatch/clients/disable", tick).is(t, http.StatusOK)
	ask.has(t, "Disable the clients you chose?", `id="confirm-yes"`, `value="`+string(signed.client.ID)+`"`)
	if got := e.clientsByName("")["Closed Shop Signed"]; got.Status != connect.ClientActive {
		t.Fatalf("disabled before the confirmation: %s", got.Status)
	}
	tick.Set("confirm", "yes")
	d.follow(d.postOnce("/dispatch/clients/disable", tick)).is(t, http.StatusOK).
		has(t, "Clients disabled: 2.", "Left as they were (not clients of yours): 1.")
	member.get("/home").is(t, http.StatusSeeOther) // signed out at once
	tick.Del("confirm")
	tick.Set("depot", "south")
	tick.Set("action", "set_depot")
	d.follow(d.post("/dispatch/clients/change", tick)).has(t, "Clients given the default depot: 2.")
	tick.Set("action", "enable")
	d.follow(d.post("/dispatch/clients/change", tick)).has(t, "Clients enabled: 2.")

	all = e.clientsByName("")
	if cl := all["Closed Shop Signed"]; cl.Status != connect.ClientActive || cl.Settings.DefaultDepot != "south" {
		t.Fatalf("the signed-up client after the changes: %s, %+v", cl.Status, cl.Settings)
	}
	if cl := all["Closed Shop 01"]; cl.Status != connect.ClientInvited || cl.Settings.DefaultDepot != "north" {
		t.Fatalf("a client not ticked: %s, %+v", cl.Status, cl.Settings)
	}
	theirs, err := e.svc.Client(e.ctx, connect.AsDispatcher("acct-2", "bo@other.test"), foreign.Invite.Client)
	if err != nil || theirs.Status != connect.ClientInvited || !theirs.Settings.AllowUpload || theirs.Version != 1 {
		t.Fatalf("another account's client was changed: %+v, %v", theirs, err)
	}

	// Nothing ticked, disable without its own route, a depot not the account's: refused.
	d.follow(d.post("/dispatch/clients/change", url.Values{"action": {"stop_uploads"}})).has(t, "Tick the clients to change")
	d.post("/dispatch/clients/change", url.Values{"action": {"disable"}, "id": {ids[0][1]}}).is(t, http.StatusUnprocessableEntity)
	d.follow(d.post("/dispatch/clients/change", url.Values{"action": {"set_depot"}, "depot": {"atlantis"}, "id": {ids[0][1]}})).
		has(t, "Choose one of your depots.")
	// The job is the dispatcher's: not another account's, nor a member's.
	other := e.browser()
	other.header.Set("X-Test-Dispatcher", "acct-2")
	for _, p := range []string{job, job + "/status", job + "/events"} {
		other.get(p).is(t, http.StatusNotFound)
	}
	id := strings.TrimPrefix(job, "/dispatch/jobs/")
	nosy := e.signedIn(e.signUp("Nosy Newsagent", uploads).email)
	for _, p := range []string{"/imports/" + id + "/progress", "/imports/" + id + "/result", "/imports/" + id + "/status"} {
		nosy.get(p).is(t, http.StatusNotFound)
	}
}

// clientsByName returns the account's clients by name.
func (e *env) clientsByName(search string) map[string]*connect.Client {
	e.t.Helper()
	out := map[string]*connect.Client{}
	for cursor := ""; ; {
		page, err := e.svc.ClientsPage(e.ctx, e.disp, connect.ClientsParams{Search: search, Cursor: cursor, Limit: 500})
		if err != nil {
			e.t.Fatal(err)
		}
		for _, cs := range page.Clients {
			out[cs.Client.Name] = cs.Client
		}
		if cursor = page.Next; cursor == "" {
			return out
		}
	}
}
