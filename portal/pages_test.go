package portal_test

import (
	"bytes"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/connecttest"
)

func TestSignUpFromAnInviteShowsTheClientNumber(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	inv, err := e.svc.InviteClient(e.ctx, e.disp, connect.InviteClientParams{Name: "Green Grocer", Settings: uploads})
	if err != nil {
		t.Fatal(err)
	}
	path := strings.TrimPrefix(inv.Link, e.base)
	b := e.browser()
	b.get(path).is(t, http.StatusOK).has(t, `name="password"`)

	r := b.post(path, url.Values{"name": {""}, "email": {"not an email"}, "password": {"long enough password"}})
	r.is(t, http.StatusUnprocessableEntity)
	r.has(t, `class="field-error" role="alert">Name is required`, "Email is not an email address")

	r = b.post(path, url.Values{"name": {"Gina"}, "email": {"gina@greengrocer.test"}, "password": {"long enough password"}})
	home := b.follow(r).is(t, http.StatusOK)
	c, err := e.svc.Client(e.ctx, e.disp, inv.Invite.Client)
	if err != nil {
		t.Fatal(err)
	}
	home.has(t, "Your client number is "+string(c.Number), `id="client-number">`+string(c.Number))

	// The link works once.
	e.browser().post(path, url.Values{"name": {"Eve"}, "email": {"eve@x.test"}, "password": {"long enough password"}}).
		is(t, http.StatusForbidden).has(t, "already used")
	e.browser().get("/invite/unknown").is(t, http.StatusNotFound).has(t, "not valid").lacks(t, `id="signup"`)
	e.browser().post("/invite/unknown", url.Values{"name": {"Eve"}, "email": {"eve@x.test"}, "password": {"long enough password"}}).
		is(t, http.StatusNotFound)
}

func TestSignInPicksAmongTeams(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.signUp("Alpha", uploads)
	bTeam := e.signUp("Beta", uploads)
	inv, err := e.svc.InviteMember(e.ctx, bTeam.owner, connect.InviteMemberParams{Role: connect.RoleMember})
	if err != nil {
		t.Fatal(err)
	}
	// Alpha's owner also joins Beta, with the same email and password.
	if _, err := e.svc.AcceptInvite(e.ctx, inv.Token, connect.SignUp{Name: "Owner", Email: a.email, Password: testPassword}); err != nil {
		t.Fatal(err)
	}
	br := e.browser()
	r := br.post("/signin", url.Values{"email": {a.email}, "password": {testPassword}})
	choose := br.follow(r).is(t, http.StatusOK)
	choose.has(t, "Alpha", "Beta")
	idx := "1" // the options are listed in order
	if strings.Index(choose.body, "Beta") < strings.Index(choose.body, "Alpha") {
		idx = "0"
	}
	home := br.follow(br.post("/signin/choose", url.Values{"option": {idx}}))
	home.is(t, http.StatusOK).has(t, `<span class="client-name">Beta</span>`)
}

func TestWrongPasswordIsRefusedWithOneMessage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tm := e.signUp("Green Grocer", uploads)
	r1 := e.browser().post("/signin", url.Values{"email": {tm.email}, "password": {"wrong one"}}).is(t, http.StatusUnauthorized)
	r2 := e.browser().post("/signin", url.Values{"email": {"nobody@x.test"}, "password": {"wrong one"}}).is(t, http.StatusUnauthorized)
	r1.has(t, "The email or password is not right")
	r2.has(t, "The email or password is not right")
}

func TestEveryClientPageRenders(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tm := e.signUp("Green Grocer", uploads)
	d := e.draft(tm.owner, "D-1")
	s := e.draft(tm.owner, "S-1")
	if _, err := e.svc.SubmitOrders(e.ctx, tm.owner, []connect.OrderID{s.ID}); err != nil {
		t.Fatal(err)
	}
	b := e.signedIn(tm.email)
	for path, want := range map[string]string{
		"/home":                             "On time, last 30 days",
		"/orders":                           "S-1",
		"/orders?view=drafts":               "D-1",
		"/orders?view=active":               "S-1",
		"/orders?view=completed":            "No completed orders",
		"/orders/new":                       "Add draft order",
		"/orders/" + string(d.ID):           "Order D-1",
		"/orders/" + string(d.ID) + "/edit": "Save draft",
		"/orders/" + string(s.ID) + "/row":  `id="order-` + string(s.ID),
		"/orders/" + string(s.ID) + "/live": "Timeline",
		"/imports/new":                      "Download the template",
		"/orders/shopify":                   "not connected to Shopify",
		"/settings/team":                    "Add members",
		"/settings/integrations":            "Create API key",
		"/settings/account":                 "Change password",
		"/help/glossary":                    "Address Line 1",
	} {
		b.get(path).is(t, http.StatusOK).has(t, want)
	}
	b.get("/").is(t, http.StatusSeeOther)
	b.get("/settings").is(t, http.StatusSeeOther)
	r := b.get("/orders/template.xlsx").is(t, http.StatusOK)
	r.has(t, "xlsx template: Unit,Address Line 1")
	if cd := r.header.Get("Content-Disposition"); !strings.Contains(cd, "attachment") {
		t.Errorf("template Content-Disposition = %q", cd)
	}
	b.get("/orders/template.csv").is(t, http.StatusOK).has(t, "csv template")
	b.get("/orders/nope").is(t, http.StatusNotFound)
}

func TestHomeCountsOrdersAndOnTimeRate(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tm := e.signUp("Green Grocer", uploads)
	e.draft(tm.owner, "D-1")
	e.draft(tm.owner, "D-2")
	s := e.draft(tm.owner, "S-1")
	if _, err := e.svc.SubmitOrders(e.ctx, tm.owner, []connect.OrderID{s.ID}); err != nil {
		t.Fatal(err)
	}
	home := e.signedIn(tm.email).get("/home").is(t, http.StatusOK)
	home.has(t, `id="count-drafts">2<`, `id="count-active">1<`, `id="count-completed">0<`, `id="on-time">–<`)

	// Two delivered with an ETA in the last 30 days, one of them late: 50 %.
	late := e.draft(tm.owner, "S-2")
	if _, err := e.svc.SubmitOrders(e.ctx, tm.owner, []connect.OrderID{late.ID}); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Add(-24 * time.Hour)
	var events []connect.RouteEvent
	for i, o := range []*connect.Order{s, late} {
		at := func(min int) time.Time { return now.Add(time.Duration(min) * time.Minute) }
		events = append(events,
			connect.RouteEvent{ID: fmt.Sprint("sch", i), Order: o.ID, Event: connect.EventSchedule, At: at(0), Route: connect.RouteStop{RouteID: "r1", Position: i + 1}},
			connect.RouteEvent{ID: fmt.Sprint("go", i), Order: o.ID, Event: connect.EventStart, At: at(1), ETA: at(30)},
			connect.RouteEvent{ID: fmt.Sprint("done", i), Order: o.ID, Event: connect.EventComplete, At: at(20 + 20*i)})
	}
	if _, err := e.svc.ApplyRouteEvents(e.ctx, connect.AsRouteSync(e.acct), events); err != nil {
		t.Fatal(err)
	}
	home = e.signedIn(tm.email).get("/home").is(t, http.StatusOK)
	home.has(t, `id="count-drafts">2<`, `id="count-active">0<`, `id="count-completed">2<`, `id="on-time">50`)
}

func TestAddAnOrderByHandShowsFieldErrorsBesideInputs(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tm := e.signUp("Green Grocer", connect.ClientSettings{AllowUpload: true, RequiredFields: connect.RequireFields(connect.FieldZip)})
	b := e.signedIn(tm.email)
	r := b.post("/orders/new", url.Values{"id": {"M-1"}, "size": {"big"}, "recipient_email": {"nope"}})
	r.is(t, http.StatusUnprocessableEntity)
	r.has(t, `value="M-1"`, "Size must be a number")
	r = b.post("/orders/new", url.Values{"id": {"M-1"}, "recipient_email": {"nope"}, "products": {"2 x Apples [SKU: A-1]\nPears"}})
	r.is(t, http.StatusUnprocessableEntity)
	r.has(t, "Address Line 1 is required", "Zip is required", "is not an email address", "2 x Apples [SKU: A-1]")

	r = b.post("/orders/new", url.Values{"id": {"M-1"}, "address_line_1": {"1 Main St"}, "zip": {"12345"}, "size": {"1.5"},
		"package_count": {"2"}, "products": {"2 x Apples [SKU: A-1]\nPears"}, "stop_type": {"pickup"}})
	page := b.follow(r).is(t, http.StatusOK)
	page.has(t, "Order M-1", "Draft order added", "2 × Apples (A-1)", "1 × Pears", "Pickup")

	// A second order with the same Id is a conflict, shown on the form.
	b.post("/orders/new", url.Values{"id": {"M-1"}, "address_line_1": {"2 Main St"}, "zip": {"1"}}).is(t, http.StatusConflict)
}

func TestEditAndDeleteDrafts(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tm := e.signUp("Green Grocer", uploads)
	o := e.draft(tm.owner, "E-1")
	b := e.signedIn(tm.email)
	id := string(o.ID)
	r := b.post("/orders/"+id+"/edit", url.Values{"version": {"1"}, "id": {"E-1"}, "address_line_1": {"9 New St"}})
	b.follow(r).is(t, http.StatusOK).has(t, "9 New St", "Draft order saved")
	// A stale version is a conflict.
	b.post("/orders/"+id+"/edit", url.Values{"version": {"1"}, "id": {"E-1"}, "address_line_1": {"10 New St"}}).is(t, http.StatusConflict)
	b.post("/orders/"+id+"/delete", url.Values{"version": {"2"}}).is(t, http.StatusSeeOther)
	b.get("/orders/"+id).is(t, http.StatusNotFound)
}

func TestSubmitSelectedDraftsAndWithdraw(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tm := e.signUp("Green Grocer", connect.ClientSettings{AllowUpload: true})
	a, b1 := e.draft(tm.owner, "A-1"), e.draft(tm.owner, "A-2")
	br := e.signedIn(tm.email)
	br.get("/orders?view=drafts").is(t, http.StatusOK).has(t, `form="submit-form"`, "Submit for delivery")
	r := br.post("/orders/submit", url.Values{"id": {string(a.ID), string(b1.ID)}})
	active := br.follow(r).is(t, http.StatusOK)
	active.has(t, "2 orders submitted for delivery", "A-1", "A-2", "Withdraw")

	// Nothing selected: a clear error on the drafts tab.
	br.post("/orders/submit", url.Values{}).is(t, http.StatusUnprocessableEntity).has(t, "Select the draft orders to submit")

	r = br.post("/orders/"+string(a.ID)+"/withdraw", url.Values{"next": {"/orders?view=active"}})
	if loc := r.header.Get("Location"); loc != "/orders?view=active" {
		t.Fatalf("withdraw redirected to %q", loc)
	}
	o, err := e.svc.Order(e.ctx, tm.owner, a.ID)
	if err != nil || o.Status != connect.StatusDraft {
		t.Fatalf("withdrawn order: %v %v", o, err)
	}
	// Twice: it is a draft now.
	br.post("/orders/"+string(a.ID)+"/withdraw", url.Values{}).is(t, http.StatusConflict)
	// Once on a route, it cannot be withdrawn.
	if _, err := e.svc.ApplyRouteEvents(e.ctx, connect.AsRouteSync(e.acct), []connect.RouteEvent{{ID: "s1", Order: b1.ID,
		Event: connect.EventSchedule, At: o.UpdatedAt, Route: connect.RouteStop{RouteID: "R1", Position: 1}}}); err != nil {
		t.Fatal(err)
	}
	br.post("/orders/"+string(b1.ID)+"/withdraw", url.Values{}).is(t, http.StatusConflict).has(t, "scheduled")
}

func TestUploadsOffMeansTrackingOnly(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tm := e.signUp("Tracker Inc", connect.ClientSettings{})
	b := e.signedIn(tm.email)
	b.get("/home").is(t, http.StatusOK).has(t, "Your dispatcher adds your stops").lacks(t, "Import orders from spreadsheet")
	b.get("/orders/new").is(t, http.StatusForbidden)
	b.post("/orders/new", url.Values{"address_line_1": {"1 Main St"}}).is(t, http.StatusForbidden)
	b.get("/imports/new").is(t, http.StatusForbidden)
}

func TestOrderPageShowsETAAndProof(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tm := e.signUp("Green Grocer", uploads)
	o := e.draft(tm.owner, "P-1")
	if _, err := e.svc.SubmitOrders(e.ctx, tm.owner, []connect.OrderID{o.ID}); err != nil {
		t.Fatal(err)
	}
	now := o.CreatedAt
	eta := now.Add(2 * 3600e9)
	host := connect.AsRouteSync(e.acct)
	if _, err := e.svc.ApplyRouteEvents(e.ctx, host, []connect.RouteEvent{
		{ID: "1", Order: o.ID, Event: connect.EventSchedule, At: now.Add(1e9), Route: connect.RouteStop{RouteID: "R-9", Position: 3}},
		{ID: "2", Order: o.ID, Event: connect.EventStart, At: now.Add(2e9), ETA: eta},
		{ID: "3", Order: o.ID, Event: connect.EventComplete, At: now.Add(3e9), Proof: &connect.ProofOfDelivery{
			PhotoURLs: []string{"https://files.example/p1.jpg"}, SignatureURL: "https://files.example/s.png",
			RecipientName: "Rita at the door", Notes: "left with neighbour", At: now.Add(3e9)}},
	}); err != nil {
		t.Fatal(err)
	}
	b := e.signedIn(tm.email)
	page := b.get("/orders/"+string(o.ID)).is(t, http.StatusOK)
	page.has(t, "status-delivered", "Route R-9, stop 3", "Rita at the door", "left with neighbour",
		`src="https://files.example/p1.jpg"`, `src="https://files.example/s.png"`, "Route started", "Delivered",
		`datetime="`+eta.UTC().Format("2006-01-02T15:04:05Z07:00")+`"`)
	// The completed tab lists it, and the CSV export has it with its proof.
	b.get("/orders?view=completed").is(t, http.StatusOK).has(t, "P-1")
	csv := b.get("/orders/export.csv?view=completed").is(t, http.StatusOK)
	csv.has(t, "Id,Status,Type of stop", "P-1,delivered,delivery", "Rita at the door")
}

func TestTrackingLinksShowTheOrderWithoutSignIn(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tm := e.signUp("Green Grocer", uploads)
	o := e.draft(tm.owner, "T-1")
	b := e.signedIn(tm.email)
	r := b.post("/orders/"+string(o.ID)+"/tracking-links", url.Values{})
	page := b.follow(r).is(t, http.StatusOK)
	link := secret(t, page)
	if !strings.HasPrefix(link, e.base+"/track/") {
		t.Fatalf("tracking link %q", link)
	}
	track := e.browser().get(strings.TrimPrefix(link, e.base)).is(t, http.StatusOK)
	// The sender is named, in the recipient's words; nothing else of the client
	// shows, nor a way to sign in.
	track.has(t, "Your delivery from Green Grocer", "Order T-1", "Order received", "Not planned yet").
		lacks(t, "1 Main St", "Rita", "Sign in", "Draft")
	e.browser().get(strings.TrimPrefix(link, e.base)+"/live").is(t, http.StatusOK).has(t, `id="track-status" data-status="draft"`).
		lacks(t, "<html", "<nav")

	links, err := e.svc.TrackingLinks(e.ctx, tm.owner, o.ID)
	if err != nil || len(links) != 1 {
		t.Fatal(links, err)
	}
	// The order's page lists the link with the name of who made it.
	m, err := e.svc.Members(e.ctx, tm.owner, tm.client.ID)
	if err != nil {
		t.Fatal(err)
	}
	b.get("/orders/"+string(o.ID)).is(t, http.StatusOK).has(t, `<td data-label="By">`+html.EscapeString(m[0].Name)).
		lacks(t, string(tm.owner.Member))
	b.post("/orders/"+string(o.ID)+"/tracking-links/"+string(links[0].ID)+"/revoke", url.Values{}).is(t, http.StatusSeeOther)
	e.browser().get(strings.TrimPrefix(link, e.base)).is(t, http.StatusNotFound)
}

func TestMembersOfOneClientCannotReachAnothersOrders(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.signUp("Alpha", uploads)
	bTeam := e.signUp("Beta", uploads)
	theirs := e.draft(bTeam.owner, "B-SECRET")
	submitted := e.draft(bTeam.owner, "B-SUB")
	if _, err := e.svc.SubmitOrders(e.ctx, bTeam.owner, []connect.OrderID{submitted.ID}); err != nil {
		t.Fatal(err)
	}
	br := e.signedIn(a.email)
	id, sub := string(theirs.ID), string(submitted.ID)
	for _, path := range []string{"/orders/" + id, "/orders/" + id + "/edit", "/orders/" + id + "/row", "/orders/" + id + "/live"} {
		br.get(path).is(t, http.StatusNotFound).lacks(t, "B-SECRET")
	}
	br.post("/orders/"+id+"/edit", url.Values{"address_line_1": {"x"}}).is(t, http.StatusNotFound)
	br.post("/orders/"+id+"/delete", url.Values{}).is(t, http.StatusNotFound)
	br.post("/orders/"+id+"/submit", url.Values{}).is(t, http.StatusNotFound)
	br.post("/orders/"+sub+"/withdraw", url.Values{}).is(t, http.StatusNotFound)
	br.post("/orders/"+id+"/tracking-links", url.Values{}).is(t, http.StatusNotFound)
	br.post("/orders/submit", url.Values{"id": {id}}).is(t, http.StatusNotFound)
	for _, v := range []string{"drafts", "active", "completed"} {
		br.get("/orders?view="+v).is(t, http.StatusOK).lacks(t, "B-SECRET", "B-SUB")
	}
	br.get("/orders/export.csv").is(t, http.StatusOK).lacks(t, "B-SECRET", "B-SUB")
	// Through the API, with the same session.
	br.get("/api/v1/orders/"+id).is(t, http.StatusNotFound).lacks(t, "B-SECRET")
	// Nothing of theirs changed.
	o, err := e.svc.Order(e.ctx, bTeam.owner, submitted.ID)
	if err != nil || o.Status != connect.StatusSubmitted {
		t.Fatalf("their order: %v %v", o, err)
	}
}

func TestRolesDecideWhatTheTeamPagesAllow(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tm := e.signUp("Green Grocer", uploads)
	member, memberEmail := e.addMember(tm, connect.RoleMember)
	admin, adminEmail := e.addMember(tm, connect.RoleAdmin)
	mb := e.signedIn(memberEmail)

	// Members see the team and integrations read-only.
	mb.get("/settings/team").is(t, http.StatusOK).has(t, tm.email, "its owner and admins manage it").lacks(t, "Add members", "Transfer ownership")
	mb.get("/settings/integrations").is(t, http.StatusOK).has(t, `id="read-only"`).lacks(t, "Create API key")
	mb.post("/settings/team/invites", url.Values{"role": {"member"}}).is(t, http.StatusForbidden)
	mb.post("/settings/team/members/"+string(admin.Member)+"/role", url.Values{"role": {"member"}}).is(t, http.StatusForbidden)
	mb.post("/settings/team/members/"+string(admin.Member)+"/remove", url.Values{}).is(t, http.StatusForbidden)
	mb.post("/settings/team/transfer", url.Values{"member": {string(member.Member)}}).is(t, http.StatusForbidden)
	mb.post("/settings/integrations/api-keys", url.Values{"name": {"k"}}).is(t, http.StatusForbidden)
	mb.post("/settings/integrations/fulfilment", url.Values{"auto_fulfil": {"1"}}).is(t, http.StatusForbidden)
	// …but work with orders.
	mb.post("/orders/new", url.Values{"address_line_1": {"1 Main St"}}).is(t, http.StatusSeeOther)
	// The dispatcher console is not theirs.
	mb.get("/dispatch/clients").is(t, http.StatusUnauthorized)

	// Admins manage members and integrations, not ownership.
	ab := e.signedIn(adminEmail)
	r := ab.post("/settings/team/invites", url.Values{"role": {"member"}, "email": {"new@x.test"}})
	ab.follow(r).is(t, http.StatusOK).has(t, "Invitation ready for new@x.test", "/invite/")
	ab.post("/settings/team/members/"+string(member.Member)+"/role", url.Values{"role": {"admin"}}).is(t, http.StatusSeeOther)
	ab.post("/settings/team/transfer", url.Values{"member": {string(member.Member)}}).is(t, http.StatusForbidden)
	r = ab.post("/settings/integrations/api-keys", url.Values{"name": {"warehouse"}})
	if tok := secret(t, ab.follow(r)); !strings.HasPrefix(tok, "ck_") {
		t.Fatalf("API key %q", tok)
	}

	// The owner transfers ownership and becomes an admin.
	ob := e.signedIn(tm.email)
	ob.follow(ob.post("/settings/team/transfer", url.Values{"member": {string(admin.Member)}})).is(t, http.StatusOK).
		has(t, "is the team owner now")
	ob.get("/home").is(t, http.StatusOK).has(t, "(admin)")
}

func TestARemovedMemberIsOutAtOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tm := e.signUp("Green Grocer", uploads)
	member, email := e.addMember(tm, connect.RoleMember)
	mb := e.signedIn(email)
	mb.get("/home").is(t, http.StatusOK)

	ob := e.signedIn(tm.email)
	ob.post("/settings/team/members/"+string(member.Member)+"/remove", url.Values{}).is(t, http.StatusSeeOther)

	r := mb.get("/orders")
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/signin") {
		t.Fatalf("a removed member's next page: %d %q", r.status, r.header.Get("Location"))
	}
	mb.follow(r).has(t, "access to this portal has ended")
	mb.get("/api/v1/orders").is(t, http.StatusUnauthorized)
	mb.post("/orders/new", url.Values{"address_line_1": {"1 Main St"}}).is(t, http.StatusSeeOther)
	mb.get("/home").is(t, http.StatusSeeOther)
}

func TestADisabledClientsTeamIsOut(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tm := e.signUp("Green Grocer", uploads)
	b := e.signedIn(tm.email)
	if _, err := e.svc.DisableClient(e.ctx, e.disp, tm.client.ID); err != nil {
		t.Fatal(err)
	}
	b.follow(b.get("/home")).has(t, "disabled")
	e.browser().post("/signin", url.Values{"email": {tm.email}, "password": {tm.password}}).is(t, http.StatusUnauthorized)
}

func TestMembersLeaveAndChangePasswords(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tm := e.signUp("Green Grocer", uploads)
	member, email := e.addMember(tm, connect.RoleMember)
	mb := e.signedIn(email)
	mb.post("/settings/account/password", url.Values{"current": {"wrong"}, "password": {"a brand new password"}}).is(t, http.StatusForbidden)
	mb.post("/settings/account/password", url.Values{"current": {testPassword}, "password": {"short"}}).is(t, http.StatusUnprocessableEntity).
		has(t, "must have 10 to 200 characters")
	mb.post("/settings/account/password", url.Values{"current": {testPassword}, "password": {"a brand new password"}}).is(t, http.StatusSeeOther)
	e.browser().signIn(email, "a brand new password")

	r := mb.post("/settings/team/members/"+string(member.Member)+"/remove", url.Values{})
	mb.follow(r).has(t, "You left the team")
	mb.get("/home").is(t, http.StatusSeeOther)
}

func TestSignOutEndsTheSession(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tm := e.signUp("Green Grocer", uploads)
	b := e.signedIn(tm.email)
	b.follow(b.post("/signout", url.Values{})).has(t, "You are signed out")
	b.get("/home").is(t, http.StatusSeeOther)
}

func TestIntegrationsSettings(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tm := e.signUp("Green Grocer", uploads)
	b := e.signedIn(tm.email)
	b.follow(b.post("/settings/integrations/fulfilment", url.Values{"auto_fulfil": {"1"}, "mode": {"on_start"}})).
		is(t, http.StatusOK).has(t, "Shopify settings saved", `name="auto_fulfil" value="1" checked`, `value="on_start" selected`)
	b.post("/settings/integrations/fulfilment", url.Values{"mode": {"whenever"}}).is(t, http.StatusUnprocessableEntity)
	tok := secret(t, b.follow(b.post("/settings/integrations/api-keys", url.Values{"name": {"erp"}})))
	keys, _ := e.svc.APIKeys(e.ctx, tm.owner)
	b.follow(b.post("/settings/integrations/api-keys/"+string(keys[0].ID)+"/revoke", url.Values{})).has(t, "revoked")
	if status, _ := e.api(tok, http.MethodGet, "/api/v1/orders", nil); status != http.StatusUnauthorized {
		t.Fatalf("a revoked key: %d", status)
	}
}

// TestADeliveredOrderShowsWhenItWasDelivered: once delivered, the order's
// second card tells the time of delivery, with the ETA it had beside it.
func TestADeliveredOrderShowsWhenItWasDelivered(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tm := e.signUp("Green Grocer", uploads)
	o := e.draft(tm.owner, "R-1")
	if _, err := e.svc.SubmitOrders(e.ctx, tm.owner, []connect.OrderID{o.ID}); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 4, 15, 4, 0, 0, time.UTC)
	eta := at.Add(-20 * time.Minute)
	if _, err := e.svc.ApplyRouteEvents(e.ctx, connect.AsRouteSync(e.acct), []connect.RouteEvent{
		{ID: "1", Order: o.ID, Event: connect.EventSchedule, At: at.Add(-2 * time.Hour)},
		{ID: "2", Order: o.ID, Event: connect.EventStart, At: at.Add(-time.Hour), ETA: eta},
	}); err != nil {
		t.Fatal(err)
	}
	b := e.signedIn(tm.email)
	b.get("/orders/"+string(o.ID)).is(t, http.StatusOK).has(t, "<h3>ETA</h3>", eta.Format(time.RFC3339)).lacks(t, "ETA was")
	if _, err := e.svc.ApplyRouteEvents(e.ctx, connect.AsRouteSync(e.acct), []connect.RouteEvent{
		{ID: "3", Order: o.ID, Event: connect.EventComplete, At: at, Proof: &connect.ProofOfDelivery{RecipientName: "Rita", At: at}},
	}); err != nil {
		t.Fatal(err)
	}
	b.get("/orders/"+string(o.ID)).is(t, http.StatusOK).has(t, "<h3>Delivered</h3>", at.Format(time.RFC3339), "ETA was")
}

// With a TrackingKey the order's page keeps each active link to copy again
// (a field and a Copy button), and stops showing it once revoked.
func TestTrackingLinksCanBeCopiedAgainFromTheOrderPage(t *testing.T) {
	t.Parallel()
	e := newEnvOnWorld(t, "", []connecttest.Option{connecttest.WithConfig(func(c *connect.Config) {
		c.TrackingKey = bytes.Repeat([]byte{3}, 32)
	})})
	tm := e.signUp("Green Grocer", uploads)
	o := e.draft(tm.owner, "T-1")
	b := e.signedIn(tm.email)
	page := b.follow(b.post("/orders/"+string(o.ID)+"/tracking-links", url.Values{})).is(t, http.StatusOK)
	link := secret(t, page)
	page.has(t, "you can copy it again below")
	links, err := e.svc.TrackingLinks(e.ctx, tm.owner, o.ID)
	if err != nil || len(links) != 1 {
		t.Fatal(links, err)
	}
	field := `id="link-` + string(links[0].ID) + `" readonly value="` + link + `"`
	b.get("/orders/"+string(o.ID)).is(t, http.StatusOK).has(t, field, `data-copy="link-`+string(links[0].ID)+`"`)
	b.post("/orders/"+string(o.ID)+"/tracking-links/"+string(links[0].ID)+"/revoke", url.Values{}).is(t, http.StatusSeeOther)
	b.get("/orders/"+string(o.ID)).is(t, http.StatusOK).lacks(t, link)
}
