package portal_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/portal"
)

func TestTheConsoleIsForDispatchersOnly(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, path := range []string{"/dispatch/", "/dispatch/clients", "/dispatch/stops", "/dispatch/stops/import"} {
		e.browser().get(path).is(t, http.StatusUnauthorized)
	}
	e.browser().post("/dispatch/clients", url.Values{"name": {"X"}}).is(t, http.StatusUnauthorized)
	clients, _ := e.svc.Clients(e.ctx, e.disp)
	if len(clients) != 0 {
		t.Fatal("an unauthenticated request invited a client")
	}
}

func TestDispatchersInviteAndManageClients(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	d := e.dispatcher()
	d.get("/dispatch/").is(t, http.StatusSeeOther)
	d.get("/dispatch/clients").is(t, http.StatusOK).has(t, "No clients yet", "Add new client", `<option value="north">North</option>`)

	// Field errors beside the inputs; sending email without a mailer is refused.
	d.post("/dispatch/clients", url.Values{"name": {""}}).is(t, http.StatusUnprocessableEntity).has(t, "Name is required")
	d.post("/dispatch/clients", url.Values{"name": {"Green Grocer"}, "email": {"g@x.test"}, "send_email": {"1"}}).
		is(t, http.StatusUnprocessableEntity).has(t, "cannot send email")

	r := d.post("/dispatch/clients", url.Values{"name": {"Green Grocer"}, "email": {"g@x.test"}, "allow_upload": {"1"},
		"depot": {"south"}, "required": {"zip", "recipient_phone"}})
	list := d.follow(r).is(t, http.StatusOK)
	link := secret(t, list)
	list.has(t, "Green Grocer", "invited", "expires")
	if !strings.HasPrefix(link, e.base+"/invite/") {
		t.Fatalf("invite link %q", link)
	}
	clients, err := e.svc.Clients(e.ctx, e.disp)
	if err != nil || len(clients) != 1 {
		t.Fatal(clients, err)
	}
	c := clients[0].Client
	if !c.Settings.AllowUpload || c.Settings.DefaultDepot != "south" || !c.Settings.RequiredFields.Requires(connect.FieldZip) {
		t.Fatalf("settings %+v", c.Settings)
	}
	inv := clients[0].PendingInvite

	// Resend replaces the link; revoke ends it.
	r = d.post("/dispatch/invites/"+string(inv.ID)+"/resend", url.Values{})
	newLink := secret(t, d.follow(r))
	if newLink == link {
		t.Fatal("resend kept the old link")
	}
	e.browser().post(strings.TrimPrefix(link, e.base), url.Values{"name": {"G"}, "email": {"g@x.test"}, "password": {"long enough password"}}).
		is(t, http.StatusForbidden)

	// The client signs up; its number and counts show.
	b := e.browser()
	b.follow(b.post(strings.TrimPrefix(newLink, e.base), url.Values{"name": {"Gina"}, "email": {"g@x.test"}, "password": {"long enough password"}})).
		is(t, http.StatusOK)
	c, _ = e.svc.Client(e.ctx, e.disp, c.ID)
	page := d.get("/dispatch/clients/"+string(c.ID)).is(t, http.StatusOK)
	page.has(t, string(c.Number), "active", "Gina", `name="required" value="zip" checked`)

	// Settings, then disable and enable.
	d.follow(d.post("/dispatch/clients/"+string(c.ID), url.Values{"name": {"Green Grocer Ltd"}, "email": {"g@x.test"}, "depot": {"north"}})).
		is(t, http.StatusOK).has(t, "Client settings saved", "Green Grocer Ltd")
	c, _ = e.svc.Client(e.ctx, e.disp, c.ID)
	if c.Settings.AllowUpload || c.Settings.DefaultDepot != "north" || c.Settings.RequiredFields.Requires(connect.FieldZip) {
		t.Fatalf("settings after save %+v", c.Settings)
	}
	d.follow(d.post("/dispatch/clients/"+string(c.ID)+"/disable", url.Values{})).has(t, "is disabled")
	b.get("/home").is(t, http.StatusSeeOther)
	d.follow(d.post("/dispatch/clients/"+string(c.ID)+"/enable", url.Values{})).has(t, "is enabled again")

	// Another account's dispatcher sees none of it.
	other := e.browser()
	other.header.Set("X-Test-Dispatcher", "acct-2")
	other.get("/dispatch/clients").is(t, http.StatusOK).lacks(t, "Green Grocer")
	other.get("/dispatch/clients/"+string(c.ID)).is(t, http.StatusNotFound)
	other.post("/dispatch/clients/"+string(c.ID)+"/disable", url.Values{}).is(t, http.StatusNotFound)
}

func TestDispatchersWorkTheUnassignedStops(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tm := e.signUp("Green Grocer", uploads)
	a, b := e.draft(tm.owner, "U-1"), e.draft(tm.owner, "U-2")
	if _, err := e.svc.SubmitOrders(e.ctx, tm.owner, []connect.OrderID{a.ID, b.ID}); err != nil {
		t.Fatal(err)
	}
	d := e.dispatcher()
	d.get("/dispatch/stops").is(t, http.StatusOK).has(t, "U-1", "U-2", "Green Grocer", string(tm.client.Number))
	d.follow(d.post("/dispatch/stops/"+string(a.ID)+"/move", url.Values{"depot": {"south"}})).has(t, "moved to depot south")
	d.get("/dispatch/stops?depot=south").is(t, http.StatusOK).has(t, "U-1").lacks(t, "U-2")
	d.get("/dispatch/stops?depot=north").is(t, http.StatusOK).has(t, "U-2").lacks(t, "U-1")
	d.follow(d.post("/dispatch/stops/"+string(b.ID)+"/cancel", url.Values{"reason": {"no such street"}})).has(t, "Stop cancelled")
	o, _ := e.svc.Order(e.ctx, tm.owner, b.ID)
	if o.Status != connect.StatusCancelled {
		t.Fatalf("cancelled stop is %s", o.Status)
	}
	// The client sees the cancellation with its reason.
	e.signedIn(tm.email).get("/orders/"+string(b.ID)).is(t, http.StatusOK).has(t, "Cancelled", "no such street")
}

func TestDispatchersImportStopsByClientID(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tm := e.signUp("Tracker Inc", connect.ClientSettings{DefaultDepot: "north"})
	d := e.dispatcher()
	d.get("/dispatch/stops/import").is(t, http.StatusOK)
	csv := "Client ID,Id,Address Line 1\n" + string(tm.client.Number) + ",ST-1,1 Main St\n12345678,ST-2,2 Main St\n"
	body, ct := multipartFile(t, "stops.csv", csv, nil)
	r := d.do(http.MethodPost, "/dispatch/stops/import", body, ct, nil).is(t, http.StatusOK)
	r.has(t, "1 stops imported; 1 refused", "Client ID", "View the 1 stop of this import")
	// The result links the stops list narrowed to the file's stops, which
	// keeps the filter across its pages and into "cancel every stop".
	link := regexp.MustCompile(`href="(/dispatch/stops\?import=[^"]+)" id="import-stops-link"`).FindStringSubmatch(r.body)
	if link == nil {
		t.Fatalf("no link to the file's stops:\n%s", r.body)
	}
	if _, err := e.svc.CreateStops(e.ctx, e.disp, []connect.StopInput{{ClientNumber: string(tm.client.Number),
		Input: connect.OrderInput{Ref: "BY-HAND-1", Address: connect.Address{Line1: "4 Main St"}}}}); err != nil {
		t.Fatal(err)
	}
	im := strings.TrimPrefix(html.UnescapeString(link[1]), "/dispatch/stops?import=")
	d.get("/dispatch/stops").is(t, http.StatusOK).has(t, "ST-1", "BY-HAND-1")
	d.get(html.UnescapeString(link[1])).is(t, http.StatusOK).has(t, "ST-1", `id="stops-import-filter"`, `name="import" value="`+im+`"`).lacks(t, "BY-HAND-1")
	body, ct = multipartFile(t, "stops.csv", "Id,Address Line 1\nST-3,3 Main St\n", nil)
	d.do(http.MethodPost, "/dispatch/stops/import", body, ct, nil).is(t, http.StatusUnprocessableEntity).has(t, "no Client ID column")
	// The client tracks the stop it did not upload, and is not offered to take it back.
	e.signedIn(tm.email).get("/orders?view=active").is(t, http.StatusOK).has(t, "ST-1").lacks(t, "ST-2", "Withdraw")
}

// The console checks a stops file before importing it: what it would import
// and refuse, the first stops with their clients, nothing stored; then
// imports it from that page, once. Its templates carry the Client ID column.
func TestDispatchersCheckAStopsFileBeforeImportingIt(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tm := e.signUp("Tracker Inc", connect.ClientSettings{DefaultDepot: "north"})
	d := e.dispatcher()
	d.get("/dispatch/stops/import").is(t, http.StatusOK).has(t, `id="check-stops"`, `href="/dispatch/stops/template.xlsx"`)
	tpl := d.get("/dispatch/stops/template.csv").is(t, http.StatusOK)
	if !strings.HasPrefix(tpl.body, "Client ID,Id,") || !strings.Contains(tpl.body, "Address Line 1") {
		t.Fatalf("stops template: %q", tpl.body)
	}
	d.get("/dispatch/stops/template.xlsx").is(t, http.StatusOK)

	csv := "Client ID,Id,Address Line 1,Recipient Name\n" + string(tm.client.Number) + ",ST-1,1 Main St,Rita\n12345678,ST-2,2 Main St,Bob\n"
	body, ct := multipartFile(t, "stops.csv", csv, map[string]string{"step": "check"})
	// The columns first, matched by their headers; then what it would do.
	loc := d.do(http.MethodPost, "/dispatch/stops/import", body, ct, nil).is(t, http.StatusSeeOther).header.Get("Location")
	d.get(loc).is(t, http.StatusOK).has(t, "Check the columns", `<option value="client_number" selected>`).lacks(t, `id="missing"`)
	page := d.get(loc+"/check").is(t, http.StatusOK)
	page.has(t, "checked, nothing imported yet", `id="stops-read">2<`, `id="stops-valid">1<`, `id="stops-refused">1<`,
		"12345678", `id="stops-preview"`, "Tracker Inc", "Rita", "Import 1 stop")
	if stops, _, err := e.svc.UnassignedStops(e.ctx, e.disp, "", "", 10); err != nil || len(stops) != 0 {
		t.Fatalf("the check stored %d stops (%v)", len(stops), err)
	}
	checked := regexp.MustCompile(`action="(/dispatch/stop-imports/[^"]+)"`).FindStringSubmatch(page.body)
	if checked == nil {
		t.Fatal("no import form on the checked page")
	}
	d.post(checked[1], url.Values{}).is(t, http.StatusOK).has(t, "1 stops imported; 1 refused")
	if stops, _, err := e.svc.UnassignedStops(e.ctx, e.disp, "", "", 10); err != nil || len(stops) != 1 || stops[0].Order.Ref != "ST-1" {
		t.Fatalf("after the import: %+v, %v", stops, err)
	}
	// The file is forgotten: a second post imports nothing more.
	d.post(checked[1], url.Values{}).is(t, http.StatusNotFound)
	// A file without its Client ID column is refused at the check.
	body, ct = multipartFile(t, "stops.csv", "Id,Address Line 1\nST-3,3 Main St\n", map[string]string{"step": "check"})
	loc = d.do(http.MethodPost, "/dispatch/stops/import", body, ct, nil).is(t, http.StatusSeeOther).header.Get("Location")
	d.get(loc).is(t, http.StatusOK).has(t, `id="missing"`)
	d.get(loc+"/check").is(t, http.StatusUnprocessableEntity).has(t, "no Client ID column")
}

// TestTheClientListPagesAndSearches shows a dispatcher's clients fifty at a
// time with a link to the next page, and finds one by name.
func TestTheClientListPagesAndSearches(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for i := range 52 {
		if _, err := e.svc.InviteClient(e.ctx, e.disp, connect.InviteClientParams{Name: fmt.Sprintf("Client %02d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	d := e.dispatcher()
	first := d.get("/dispatch/clients").is(t, http.StatusOK).has(t, "Client 00", "Client 49", `id="next-page"`)
	first.lacks(t, "Client 50")
	next := regexp.MustCompile(`href="([^"]*)" id="next-page"`).FindStringSubmatch(first.body)
	if next == nil {
		t.Fatal("no next page link")
	}
	second := d.get(strings.TrimPrefix(html.UnescapeString(next[1]), e.base)).is(t, http.StatusOK).has(t, "Client 50", "Client 51")
	second.lacks(t, "Client 49", `id="next-page"`)

	d.get("/dispatch/clients?q=client+07").is(t, http.StatusOK).has(t, "Client 07", "Show all").lacks(t, "Client 08")
	d.get("/dispatch/clients?q=nobody").is(t, http.StatusOK).has(t, "No client matches")
	d.get("/dispatch/clients?cursor=%21%21").is(t, http.StatusUnprocessableEntity).has(t, "start from the first page")
}

// TestTheConsoleHeaderSignsOutAndShowsWhereYouAre: with the host's sign-out
// URL the console's header has a Sign out posting to it, and each console
// page marks its own tab.
func TestTheConsoleHeaderSignsOutAndShowsWhereYouAre(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *portal.Config) { c.DispatcherSignOutURL = "/host/logout" })
	d := e.dispatcher()
	d.get("/dispatch/clients").is(t, http.StatusOK).has(t, `<form method="post" action="/host/logout"`, `id="dispatcher-signout"`)
	for path, tab := range map[string]string{
		"/dispatch/clients":      `>Clients</a>`,
		"/dispatch/stops":        `>Unassigned stops</a>`,
		"/dispatch/stops/import": `>Import stops</a>`,
		"/dispatch/deliveries":   `>Deliveries</a>`,
	} {
		page := d.get(path).is(t, http.StatusOK)
		_, nav, _ := strings.Cut(page.body, `<nav aria-label="Console">`)
		nav, _, _ = strings.Cut(nav, "</nav>")
		if n := strings.Count(nav, `aria-current="page"`); n != 1 || !strings.Contains(nav, `aria-current="page"`+tab) {
			t.Errorf("%s marks %d tabs in:\n%s", path, n, nav)
		}
	}
	plain := newEnv(t)
	plain.dispatcher().get("/dispatch/clients").is(t, http.StatusOK).lacks(t, `id="dispatcher-signout"`)
}

// TestTheInvitePageNamesTheInvitingCompany: a client's invite says who
// invites it, by the account's brand (the portal's name without one), and a
// tracking page who delivers.
func TestTheInvitePageNamesTheInvitingCompany(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *portal.Config) {
		c.Brand = func(_ context.Context, account connect.AccountID) (portal.Brand, error) {
			return portal.Brand{Name: "Speedy Couriers of " + string(account)}, nil
		}
	})
	inv, err := e.svc.InviteClient(e.ctx, e.disp, connect.InviteClientParams{Name: "Green Grocer"})
	if err != nil {
		t.Fatal(err)
	}
	e.browser().get("/invite/"+inv.Token).is(t, http.StatusOK).
		has(t, `<p id="invite-company"><strong>Speedy Couriers of `+string(e.acct)+`</strong> invites <strong>Green Grocer</strong>`)

	// The tracking page names the carrier the same way.
	tm := e.signUp("Blue Bakery", uploads)
	o := e.draft(tm.owner, "B-1")
	l, err := e.svc.CreateTrackingLink(e.ctx, tm.owner, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	e.browser().get("/track/"+l.Token).is(t, http.StatusOK).has(t, "Your delivery from Blue Bakery",
		"Order B-1 · delivered by Speedy Couriers of "+string(e.acct))
}

// A stop row links to the order as the console shows it: its client, state,
// proof and timeline, with its proof and labels as PDF; no team actions,
// tracking links or live section.
func TestTheConsoleShowsAnOrderWithItsProofAndLabels(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tm := e.signUp("Green Grocer", uploads)
	sub := e.w.OrderFrom(tm.owner, connect.StatusSubmitted, connect.OrderInput{Ref: "C-1", Address: connect.Address{Line1: "1 Main St"}, PackageCount: 2})
	done := e.w.OrderFrom(tm.owner, connect.StatusDelivered, connect.OrderInput{Ref: "C-2", Address: connect.Address{Line1: "2 Main St"}})
	d := e.dispatcher()
	d.get("/dispatch/stops").is(t, http.StatusOK).has(t, `<a href="/dispatch/orders/`+string(sub.ID)+`">C-1</a>`)

	page := d.get("/dispatch/orders/"+string(sub.ID)).is(t, http.StatusOK)
	page.has(t, "Order C-1", `href="/dispatch/clients/`+string(tm.client.ID)+`">Green Grocer</a>`, string(tm.client.Number),
		`href="/dispatch/orders/`+string(sub.ID)+`/labels.pdf?sheet=4x6"`, "1 Main St")
	page.lacks(t, "data-live-order", "Tracking links", `id="withdraw-order"`, `href="/orders/`)
	labels := d.get("/dispatch/orders/"+string(sub.ID)+"/labels.pdf?sheet=a4").is(t, http.StatusOK)
	if !strings.Contains(labels.body, "C-1") || !strings.Contains(labels.body, "2 of 2") {
		t.Fatalf("labels: %s", labels.body)
	}

	proof := d.get("/dispatch/orders/"+string(done.ID)).is(t, http.StatusOK)
	proof.has(t, `id="proof"`, `href="/dispatch/orders/`+string(done.ID)+`/proof.pdf"`, `id="timeline"`)
	if pdf := d.get("/dispatch/orders/"+string(done.ID)+"/proof.pdf").is(t, http.StatusOK).body; !strings.HasPrefix(pdf, "proof of C-2") {
		t.Fatalf("proof: %q", pdf)
	}
	// The order's team sees its own page, with its own links, unchanged.
	e.signedIn(tm.email).get("/orders/"+string(done.ID)).is(t, http.StatusOK).has(t, `href="/orders/`+string(done.ID)+`/proof.pdf"`, "data-live-order")
	// Nobody else reaches the console's page.
	e.signedIn(tm.email).get("/dispatch/orders/"+string(sub.ID)).is(t, http.StatusUnauthorized)
	other := e.browser()
	other.header.Set("X-Test-Dispatcher", "another-account")
	other.get("/dispatch/orders/"+string(sub.ID)).is(t, http.StatusNotFound)
}

// The console's stops list searches (the search kept on its pages), and
// cancels every stop a filter selects once asked twice: the box ticked, then
// what it did said.
func TestTheConsoleSearchesStopsAndCancelsAllMatching(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tm := e.signUp("Green Grocer", uploads)
	for _, ref := range []string{"RAIN-1", "RAIN-2", "SUN-1"} {
		e.w.OrderFrom(tm.owner, connect.StatusSubmitted, connect.OrderInput{Ref: ref, Address: connect.Address{Line1: "1 Main St"}})
	}
	d := e.dispatcher()
	page := d.get("/dispatch/stops?q=rain").is(t, http.StatusOK)
	page.has(t, ">RAIN-1<", ">RAIN-2<", `value="rain"`, `id="cancel-matching"`).lacks(t, ">SUN-1<")
	// Not ticked: nothing happens, and the page says why.
	d.post("/dispatch/stops/cancel-matching", url.Values{"q": {"rain"}, "reason": {"flooded"}}).is(t, http.StatusSeeOther)
	d.get("/dispatch/stops?q=rain").is(t, http.StatusOK).has(t, "Tick “Yes, cancel them”", ">RAIN-1<")
	r := d.post("/dispatch/stops/cancel-matching", url.Values{"q": {"rain"}, "reason": {"flooded"}, "confirm": {"cancel"}}).is(t, http.StatusSeeOther)
	if loc := r.header.Get("Location"); loc != "/dispatch/stops?q=rain" {
		t.Fatalf("back to %q", loc)
	}
	d.get("/dispatch/stops?q=rain").is(t, http.StatusOK).has(t, "2 stops cancelled.").lacks(t, ">RAIN-1<")
	d.get("/dispatch/stops").is(t, http.StatusOK).has(t, ">SUN-1<")
	// A team member cannot.
	e.signedIn(tm.email).post("/dispatch/stops/cancel-matching", url.Values{"confirm": {"cancel"}}).is(t, http.StatusUnauthorized)
}

// The console exports the clients its search finds, every page of them, with
// their numbers and orders by status.
func TestTheConsoleExportsItsClients(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tm := e.signUp("Green Grocer", uploads)
	e.signUp("Blue Bakery", uploads)
	e.w.OrderFrom(tm.owner, connect.StatusDelivered, connect.OrderInput{Ref: "X-1", Address: connect.Address{Line1: "1 Main St"}})
	d := e.dispatcher()
	d.get("/dispatch/clients?q=green").is(t, http.StatusOK).has(t, `href="/dispatch/clients.csv?q=green"`)
	all := d.get("/dispatch/clients.csv").is(t, http.StatusOK)
	rows, err := csv.NewReader(strings.NewReader(all.body)).ReadAll()
	if err != nil || len(rows) != 3 || rows[0][0] != "Name" || rows[1][0] != "Blue Bakery" || rows[2][0] != "Green Grocer" {
		t.Fatalf("every client: %q (%v)", rows, err)
	}
	col := slices.Index(rows[0], "Delivered")
	if col < 0 || rows[2][col] != "1" || rows[2][1] != string(tm.client.Number) {
		t.Fatalf("Green Grocer's row: %q (Delivered at %d)", rows[2], col)
	}
	found := d.get("/dispatch/clients.csv?q=green").is(t, http.StatusOK)
	if rows, _ := csv.NewReader(strings.NewReader(found.body)).ReadAll(); len(rows) != 2 {
		t.Fatalf("the clients found: %q", rows)
	}
	d.get("/dispatch/clients.xlsx").is(t, http.StatusOK)
	e.signedIn(tm.email).get("/dispatch/clients.csv").is(t, http.StatusUnauthorized)
}
