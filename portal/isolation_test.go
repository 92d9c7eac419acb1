package portal_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/connecttest"
	"github.com/dispatchkit/connect/portal"
)

// The tenant isolation matrix over HTTP (issue #9): clients A and B of one account,
// and a dispatcher of another account. A's session cookie and A's API key are sent
// to every route that takes an object id, naming B's objects (orders, drafts,
// tracking links, members, invites, API keys, uploads); the other account's
// dispatcher is sent to every console route naming the first account's clients,
// invites and stops. Every answer must be 403 or 404 and carry nothing of B, and
// B's orders, team, invites, keys and links must be exactly as before.
//
// The rows are keyed by the portal's own route table (portal.Routes): a route
// without a row, or a row for a route the portal no longer serves, fails the test,
// so a new route needs a conscious answer here. Routes that take no object id get a
// row too: a list page that must show nothing of B ("scoped"), or the reason no
// foreign object can be named through it.

// isoExpect is what an attempt must get.
type isoExpect int

const (
	// isoRefused: 403 or 404; the caller is who the route is for, the object is not theirs.
	isoRefused isoExpect = iota
	// isoUnauthenticated: the credential is not one this route takes (an API key on
	// a page, a member on the console): 401, 403, 404 or a redirect to sign in.
	isoUnauthenticated
	// isoScoped: the route names no foreign object (a list, the caller's own
	// settings); any answer but an internal error (503 is a feature the test
	// portal lacks, as Shopify), showing nothing of B.
	isoScoped
)

func (x isoExpect) String() string {
	return [...]string{"refused", "unauthenticated", "scoped"}[x]
}

// isoTry is one request of the matrix.
type isoTry struct {
	who    string // "cookie", "key" (A's), "dispatcher" (another account's)
	method string
	path   string
	form   url.Values // form body, or
	json   any        // JSON body
	stream bool       // an event stream: read it up to A's marker event
	want   isoExpect
}

// isoRow is a route's rows: the attempts, or why none can name a foreign object.
type isoRow struct {
	tries []isoTry
	why   string
}

func TestIsolationMatrixOverHTTP(t *testing.T) {
	t.Parallel()
	// A RouteSync, so that B's submission leaves an outbox entry for the
	// deliveries pages to name.
	// Webhooks, posted nowhere, so that B has an endpoint and its log.
	routes := connecttest.WithConfig(func(c *connect.Config) { c.RouteSync, c.Webhooks = &connecttest.RouteSync{}, nopWebhooks{} })
	e := newEnvOnWorld(t, "", []connecttest.Option{routes}, func(c *portal.Config) {
		// The optional mounts, so that their routes are in the table too: the
		// install handler says whose actor the portal gave it.
		c.ShopifyInstall = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			a, _ := portal.ActorFromContext(r.Context())
			fmt.Fprintf(w, "install for client %s", a.Client)
		})
		c.ShopifyWebhooks = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusUnauthorized) })
	})
	ctx := e.ctx
	start := isoHead(t, e)

	// Client A: the attacker, an owner (the widest role), with a key.
	aTeam := e.signUp("Alder Antiques", uploads)
	aKey := e.apiKey(aTeam)
	aDraft := e.draft(aTeam.owner, "AX-DRAFT-1")

	// Client B: the victim, with one of everything.
	bTeam := e.signUp("Bexley Bakehouse", uploads)
	bOwner := bTeam.owner
	mkOrder := func(ref string) *connect.Order {
		o, err := e.svc.CreateOrder(ctx, bOwner, connect.OrderInput{Ref: ref,
			Address: connect.Address{Line1: "9 Bexley Row", City: "Bexleyheath"}, Recipient: connect.Recipient{Name: "Bertrand Bexley"}})
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	bDraft := mkOrder("BX-DRAFT-1")
	bSub := mkOrder("BX-SUB-1")
	if _, err := e.svc.SubmitOrders(ctx, bOwner, []connect.OrderID{bSub.ID}); err != nil {
		t.Fatal(err)
	}
	bDeliveries, err := e.svc.Outbox(ctx, e.disp, connect.ListOutboxParams{View: connect.OutboxViewPending})
	if err != nil || len(bDeliveries.Entries) != 1 {
		t.Fatalf("B's submission's outbox entry: %v, %v", bDeliveries, err)
	}
	bEntry := bDeliveries.Entries[0].ID
	bLink, err := e.svc.CreateTrackingLink(ctx, bOwner, bSub.ID)
	if err != nil {
		t.Fatal(err)
	}
	// B's delivered order, its photo kept by connect.
	bDone := mkOrder("BX-DONE-1")
	if _, err := e.svc.SubmitOrders(ctx, bOwner, []connect.OrderID{bDone.ID}); err != nil {
		t.Fatal(err)
	}
	bPhoto, err := e.svc.StoreProofFile(ctx, connect.AsRouteSync(e.acct), bDone.ID, bytes.NewReader(connecttest.PNG))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.ApplyRouteEvents(ctx, connect.AsRouteSync(e.acct), []connect.RouteEvent{
		{ID: "bx-done-s", Order: bDone.ID, Event: connect.EventSchedule, At: time.Now(), Route: connect.RouteStop{RouteID: "r", Position: 1}},
		{ID: "bx-done-c", Order: bDone.ID, Event: connect.EventComplete, At: time.Now(), Proof: &connect.ProofOfDelivery{PhotoURLs: []string{bPhoto}}},
	}); err != nil {
		t.Fatal(err)
	}
	bFile := bPhoto[strings.LastIndexByte(bPhoto, '/')+1:]
	if r := e.signedIn(bTeam.email).get(strings.TrimPrefix(bPhoto, e.base)); r.status != http.StatusOK {
		t.Fatalf("B's own photo: %d", r.status) // the target is within B's reach
	}
	inv, err := e.svc.InviteMember(ctx, bOwner, connect.InviteMemberParams{Role: connect.RoleMember})
	if err != nil {
		t.Fatal(err)
	}
	acc, err := e.svc.AcceptInvite(ctx, inv.Token, connect.SignUp{Name: "Bartholomew Bexley", Email: "bartholomew@bexley.test", Password: testPassword})
	if err != nil {
		t.Fatal(err)
	}
	bMember := acc.Member
	bHook, err := e.svc.AddWebhook(ctx, bOwner, connect.WebhookInput{URL: "https://bexley.example/hooks", Events: connect.WebhookEventTypes()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.SendTestWebhook(ctx, bOwner, bHook.Webhook.ID); err != nil {
		t.Fatal(err)
	}
	bAddress, err := e.svc.AddAddressEntry(ctx, bOwner, connect.AddressEntryInput{Recipient: connect.Recipient{Name: "Bertrand Bexley"},
		Address: connect.Address{Line1: "11 Bexley Row", City: "Bexleyheath"}})
	if err != nil {
		t.Fatal(err)
	}
	bSchedule, err := e.svc.CreateSchedule(ctx, bOwner, connect.ScheduleInput{FromOrder: bDraft.ID, Weekdays: []time.Weekday{time.Monday}, At: 9 * 60})
	if err != nil {
		t.Fatal(err)
	}
	bSession, err := e.svc.StartSession(ctx, acc.Actor, connect.StartSessionParams{Device: "B's laptop"})
	if err != nil {
		t.Fatal(err)
	}
	bInvite, err := e.svc.InviteMember(ctx, bOwner, connect.InviteMemberParams{Role: connect.RoleAdmin, Email: "pending@bexley.test"})
	if err != nil {
		t.Fatal(err)
	}
	bKey, err := e.svc.CreateAPIKey(ctx, bOwner, "bexley-warehouse")
	if err != nil {
		t.Fatal(err)
	}
	// B's spreadsheet import, through B's own pages: an upload with a finished job.
	bb := e.signedIn(bTeam.email)
	body, ct := multipartFile(t, "bexley.csv", "Id,Address Line 1,City,Recipient Name\nBX-IMP-1,1 Bexley Row,Bexleyheath,Bertrand Bexley\nBX-IMP-2,,Bexleyheath,Bertrand Bexley\n", nil)
	r := bb.do(http.MethodPost, "/imports", body, ct, nil).is(t, http.StatusSeeOther)
	bUpload := strings.TrimPrefix(r.header.Get("Location"), "/imports/")
	bb.get("/imports/"+bUpload+"/preview").is(t, http.StatusOK)
	bb.post("/imports/"+bUpload+"/run", url.Values{}).is(t, http.StatusSeeOther)
	isoWaitImport(t, bb, bUpload)
	bImports, err := e.svc.Imports(ctx, bOwner, connect.ImportsParams{})
	if err != nil || len(bImports) != 1 {
		t.Fatalf("B's import's record: %v, %v", bImports, err)
	}
	bImport := string(bImports[0].ID)
	// The account's dispatcher's stops file, checked and waiting to be imported.
	body, ct = multipartFile(t, "stops.csv", "Client ID,Id,Address Line 1\n"+string(bTeam.client.Number)+",ST-CHK,1 Checked St\n",
		map[string]string{"step": "check"})
	r = e.dispatcher().do(http.MethodPost, "/dispatch/stops/import", body, ct, nil).is(t, http.StatusSeeOther)
	checkedStops := regexp.MustCompile(`^/dispatch/stop-imports/([^/]+)$`).FindStringSubmatch(r.header.Get("Location"))
	if checkedStops == nil {
		t.Fatalf("no checked stops file: %q", r.header.Get("Location"))
	}
	// B's proof export, made in the background: a job with a file.
	r = bb.post("/orders/proofs", url.Values{}).is(t, http.StatusSeeOther)
	bExport := strings.TrimSuffix(strings.TrimPrefix(r.header.Get("Location"), "/imports/"), "/progress")
	isoWaitImport(t, bb, bExport)

	// The account's dispatcher's change of all clients matching B's name, run
	// in the background: a job (B already uploads: nothing changes).
	r = e.dispatcher().post("/dispatch/clients/change", url.Values{"all": {"1"}, "q": {bTeam.client.Name}, "action": {"allow_uploads"}}).
		is(t, http.StatusSeeOther)
	clientsJob := r.header.Get("Location")
	e.dispatcher().get(clientsJob+"/events").is(t, http.StatusOK).has(t, "event: done")

	// The account's pending client invite, for the other account's dispatcher.
	gamma, err := e.svc.InviteClient(ctx, e.disp, connect.InviteClientParams{Name: "Gamma Grocers"})
	if err != nil {
		t.Fatal(err)
	}
	// A's marker: the last event of A's stream, after every event of B.
	aMark := e.draft(aTeam.owner, "AX-MARK-1")

	before := isoSnapshot(t, e, bTeam, aTeam.client.ID)

	// B's names, references and ids: none may appear in an answer to A (but what
	// A's own request named: see below).
	bMarkers := []string{"Bexley", "Bertrand", "Bartholomew", "BX-DRAFT", "BX-SUB", "BX-IMP", "BX-DONE", bFile, string(bTeam.client.Number),
		string(bTeam.client.ID), string(bDraft.ID), string(bSub.ID), string(bLink.Link.ID), string(bMember.ID),
		string(bInvite.Invite.ID), string(bKey.Key.ID), bUpload, bEntry, string(bHook.Webhook.ID), string(bAddress.ID), string(bSchedule.ID), bImport}
	foreignToDispatcher := append(slices.Clone(bMarkers), "Alder", "AX-DRAFT", string(aTeam.client.Number), string(aTeam.client.ID),
		"Gamma Grocers", string(gamma.Invite.ID))

	o, d, sub, link := string(aDraft.ID), string(bDraft.ID), string(bSub.ID), string(bLink.Link.ID)
	cl, mem, invID, keyID := string(bTeam.client.ID), string(bMember.ID), string(bInvite.Invite.ID), string(bKey.Key.ID)
	hook := string(bHook.Webhook.ID)
	addr, sched := string(bAddress.ID), string(bSchedule.ID)
	addrForm := url.Values{"recipient_name": {"Alder"}, "address_line_1": {"1 Stolen St"}}
	hookForm := url.Values{"url": {"https://alder.example/stolen"}, "events": {"order.submitted"}}
	none := url.Values{}
	page := func(method, path string, form url.Values) []isoTry { // a member page naming B's objects
		return []isoTry{{who: "cookie", method: method, path: path, form: form, want: isoRefused},
			{who: "key", method: method, path: path, form: form, want: isoUnauthenticated}}
	}
	api := func(method, path string, body any) []isoTry { // the API naming B's objects
		return []isoTry{{who: "key", method: method, path: path, json: body, want: isoRefused},
			{who: "cookie", method: method, path: path, json: body, want: isoRefused}}
	}
	console := func(method, path string, form url.Values) []isoTry { // the console naming the first account's objects
		return []isoTry{{who: "dispatcher", method: method, path: path, form: form, want: isoRefused},
			{who: "cookie", method: method, path: path, form: form, want: isoUnauthenticated}}
	}
	scoped := func(who, method, path string, form url.Values) isoTry {
		return isoTry{who: who, method: method, path: path, form: form, want: isoScoped}
	}
	join := func(lists ...[]isoTry) []isoTry { return slices.Concat(lists...) }
	noID := func(why string) isoRow { return isoRow{why: why} }

	rows := map[string]isoRow{
		// Public.
		"GET /{$}":                        noID("redirects to /home or /signin; reads no id"),
		"GET /static/":                    noID("embedded static files, the same for everyone"),
		"GET /brand/{file}":               noID("a colour's stylesheet, the same for everyone"),
		"GET /signin":                     noID("the sign-in form"),
		"POST /signin":                    noID("takes an email and password; a session only ever names the member who proved it"),
		"GET /signin/choose":              noID("lists the memberships in the signed choice cookie of the caller's own sign-in"),
		"POST /signin/choose":             noID("the form's option is an index into the signed choice cookie, not an id (tampered cookies: TestTamperedSessionIsRefused)"),
		"POST /signout":                   noID("ends the caller's own session"),
		"GET /signin/code":                noID("the code form of the caller's own sign-in, named by its signed step cookie"),
		"POST /signin/code":               noID("checks a code against the member named by the signed step cookie (tampered: TestASecondStepCookieCannotBeForged)"),
		"GET /signin/enroll":              noID("begins the enrollment of the member named by the signed step cookie"),
		"POST /signin/enroll":             noID("confirms the enrollment of the member named by the signed step cookie; the posted key is shown again, never stored"),
		"GET /signin/forgot":              noID("the empty form"),
		"POST /signin/forgot":             noID("takes an email; answers the same for every email, and mails only that email's memberships"),
		"GET /reset/{token}":              {tries: []isoTry{{who: "cookie", method: "GET", path: "/reset/" + invID, want: isoRefused}}}, // an id is not a token
		"POST /reset/{token}":             {tries: []isoTry{{who: "cookie", method: "POST", path: "/reset/" + invID, form: url.Values{"password": {"an intruder's long password"}}, want: isoRefused}}},
		"GET /help/glossary":              {tries: []isoTry{scoped("cookie", "GET", "/help/glossary", nil)}},
		"GET /invite/{token}":             {tries: []isoTry{scoped("cookie", "GET", "/invite/"+invID, nil)}}, // an id is not a token: the form only
		"POST /invite/{token}":            {tries: []isoTry{{who: "cookie", method: "POST", path: "/invite/" + invID, form: url.Values{"name": {"Mallory"}, "email": {"mallory@alder.test"}, "password": {testPassword}}, want: isoRefused}}},
		"GET /track/{token}":              {tries: []isoTry{{who: "cookie", method: "GET", path: "/track/" + link, want: isoRefused}}}, // the link's id is not its token
		"GET /track/{token}/live":         {tries: []isoTry{{who: "cookie", method: "GET", path: "/track/" + link + "/live", want: isoRefused}}},
		"GET /track/{token}/proof/{file}": {tries: []isoTry{{who: "cookie", method: "GET", path: "/track/" + link + "/proof/" + bFile, want: isoRefused}}},
		"GET /track/{token}/proof.pdf":    {tries: []isoTry{{who: "cookie", method: "GET", path: "/track/" + link + "/proof.pdf", want: isoRefused}}},
		"GET /proof/{order}/{file}": {tries: join(page("GET", "/proof/"+string(bDone.ID)+"/"+bFile, nil),
			[]isoTry{{who: "dispatcher", method: "GET", path: "/proof/" + string(bDone.ID) + "/" + bFile, want: isoRefused}})},
		"GET /api/v1/openapi.yaml": noID("the API's documentation"),
		"/api/":                    noID("the API's catch-all: 404 for every path"),

		// Client portal.
		"GET /home":           {tries: []isoTry{scoped("cookie", "GET", "/home?client="+cl, nil)}},
		"GET /orders":         {tries: []isoTry{scoped("cookie", "GET", "/orders?view=drafts&import="+bImport, nil), scoped("cookie", "GET", "/orders?view=drafts&client="+cl, nil), scoped("cookie", "GET", "/orders?view=active", nil), scoped("cookie", "GET", "/orders?view=completed", nil)}},
		"POST /orders/submit": {tries: join(page("POST", "/orders/submit", url.Values{"id": {d}}), page("POST", "/orders/submit", url.Values{"id": {o, d}}))},
		// The bulk actions name no object: a filter, run in the caller's own
		// client (a client field is not read); aimed at B's refs, they find none.
		"POST /orders/proofs":            {tries: []isoTry{scoped("cookie", "POST", "/orders/proofs", url.Values{"client": {cl}, "id": {d}})}},
		"POST /orders/submit-matching":   {tries: []isoTry{scoped("cookie", "POST", "/orders/submit-matching", url.Values{"q": {"BX-"}, "client": {cl}}), scoped("cookie", "POST", "/orders/submit-matching", url.Values{"import": {bImport}})}},
		"POST /orders/withdraw-matching": {tries: []isoTry{scoped("cookie", "POST", "/orders/withdraw-matching", url.Values{"q": {"BX-SUB"}, "client": {cl}})}},
		"POST /orders/delete-matching":   {tries: []isoTry{scoped("cookie", "POST", "/orders/delete-matching", url.Values{"q": {"BX-"}, "client": {cl}, "confirm": {"delete"}})}},
		"GET /orders/new":                noID("the empty form"),
		"POST /orders/new":               noID("creates a draft of the caller's own client; no client is read from the form"),
		"GET /orders/export.csv":         {tries: []isoTry{scoped("cookie", "GET", "/orders/export.csv", nil), scoped("cookie", "GET", "/orders/export.csv?view=drafts&client="+cl, nil)}},
		"GET /orders/export.xlsx":        {tries: []isoTry{scoped("cookie", "GET", "/orders/export.xlsx", nil), scoped("cookie", "GET", "/orders/export.xlsx?view=drafts&client="+cl, nil)}},
		"GET /orders/template.xlsx":      noID("the template, from the caller's own required fields"),
		"GET /orders/template.csv":       noID("the template, from the caller's own required fields"),
		"GET /orders/labels.pdf":         {tries: join(page("GET", "/orders/labels.pdf?id="+d, nil), page("GET", "/orders/labels.pdf?id="+o+"&id="+d, nil))},
		"GET /orders/{id}/labels.pdf":    {tries: join(page("GET", "/orders/"+d+"/labels.pdf", nil), page("GET", "/orders/"+sub+"/labels.pdf?sheet=a4", nil))},
		"GET /orders/{id}/proof.pdf":     {tries: page("GET", "/orders/"+string(bDone.ID)+"/proof.pdf", nil)},
		"GET /orders/proofs.zip":         {tries: join(page("GET", "/orders/proofs.zip?id="+string(bDone.ID), nil), []isoTry{scoped("cookie", "GET", "/orders/proofs.zip?client="+cl, nil)})},
		"GET /orders/shopify":            {tries: []isoTry{scoped("cookie", "GET", "/orders/shopify", nil)}},
		"POST /orders/shopify":           {tries: []isoTry{scoped("cookie", "POST", "/orders/shopify", url.Values{"ref": {d, "BX-SUB-1"}})}},
		"GET /orders/{id}":               {tries: join(page("GET", "/orders/"+d, nil), page("GET", "/orders/"+sub, nil))},
		"GET /orders/{id}/row":           {tries: page("GET", "/orders/"+sub+"/row", nil)},
		"GET /orders/{id}/live":          {tries: page("GET", "/orders/"+sub+"/live", nil)},
		"GET /orders/{id}/edit":          {tries: page("GET", "/orders/"+d+"/edit", nil)},
		"POST /orders/{id}/edit":         {tries: page("POST", "/orders/"+d+"/edit", url.Values{"version": {"1"}, "ref": {"AX-STOLEN"}, "address_line_1": {"1 Alder St"}})},
		"POST /orders/{id}/delete":       {tries: page("POST", "/orders/"+d+"/delete", url.Values{"version": {"1"}})},
		"POST /orders/{id}/submit":       {tries: page("POST", "/orders/"+d+"/submit", none)},
		"POST /orders/{id}/withdraw":     {tries: page("POST", "/orders/"+sub+"/withdraw", none)},
		"POST /orders/{id}/repeat":       {tries: page("POST", "/orders/"+sub+"/repeat", none)},
		"GET /addresses": {tries: []isoTry{scoped("cookie", "GET", "/addresses", nil), scoped("cookie", "GET", "/addresses?q=bexley", nil),
			{who: "cookie", method: "GET", path: "/addresses?after=" + addr, want: isoRefused}}},
		"POST /addresses":             noID("adds an entry to the caller's own client's address book; no client is read from the form"),
		"GET /addresses/suggest":      {tries: []isoTry{scoped("cookie", "GET", "/addresses/suggest?q=bexley", nil), scoped("cookie", "GET", "/addresses/suggest?q=row", nil)}},
		"POST /addresses/saving":      noID("the caller's own client's setting"),
		"GET /addresses/{id}":         {tries: page("GET", "/addresses/"+addr, nil)},
		"POST /addresses/{id}":        {tries: page("POST", "/addresses/"+addr, addrForm)},
		"POST /addresses/{id}/delete": {tries: page("POST", "/addresses/"+addr+"/delete", url.Values{"confirm": {"yes"}})},
		"GET /schedules":              {tries: []isoTry{scoped("cookie", "GET", "/schedules", nil)}},
		"GET /schedules/new":          {tries: join(page("GET", "/schedules/new?order="+d, nil), page("GET", "/schedules/new?address="+addr, nil))},
		"POST /schedules": {tries: join(page("POST", "/schedules", url.Values{"from_order": {d}, "weekdays": {"Monday"}, "at": {"09:00"}}),
			page("POST", "/schedules", url.Values{"from_address": {addr}, "weekdays": {"Monday"}, "at": {"09:00"}}))},
		"GET /schedules/{id}":              {tries: page("GET", "/schedules/"+sched, nil)},
		"POST /schedules/{id}/pause":       {tries: page("POST", "/schedules/"+sched+"/pause", none)},
		"POST /schedules/{id}/resume":      {tries: page("POST", "/schedules/"+sched+"/resume", none)},
		"POST /schedules/{id}/delete":      {tries: page("POST", "/schedules/"+sched+"/delete", url.Values{"confirm": {"yes"}})},
		"POST /orders/{id}/tracking-links": {tries: page("POST", "/orders/"+sub+"/tracking-links", none)},
		"POST /orders/{id}/tracking-links/{link}/revoke": {tries: join(page("POST", "/orders/"+sub+"/tracking-links/"+link+"/revoke", none),
			page("POST", "/orders/"+o+"/tracking-links/"+link+"/revoke", none))}, // A's order, B's link
		"GET /events": {tries: []isoTry{{who: "cookie", method: "GET", path: "/events?after=" + url.QueryEscape(start), stream: true, want: isoScoped},
			{who: "key", method: "GET", path: "/events", stream: true, want: isoUnauthenticated}}},

		"GET /imports/new":              noID("the upload form"),
		"POST /imports":                 noID("stores an upload of the caller's own; its id is checked on every later step below"),
		"GET /imports/{id}":             {tries: join(page("GET", "/imports/"+bUpload, nil), page("GET", "/imports/"+checkedStops[1], nil))}, // and the dispatcher's stops file
		"POST /imports/{id}/mapping":    {tries: page("POST", "/imports/"+bUpload+"/mapping", url.Values{"col_0": {"id"}})},
		"POST /imports/{id}/sheets":     {tries: page("POST", "/imports/"+bUpload+"/sheets", url.Values{"sheet": {"Sheet1"}})},
		"GET /imports/{id}/preview":     {tries: page("GET", "/imports/"+bUpload+"/preview", nil)},
		"POST /imports/{id}/run":        {tries: page("POST", "/imports/"+bUpload+"/run", none)},
		"GET /imports/{id}/progress":    {tries: page("GET", "/imports/"+bUpload+"/progress", nil)},
		"GET /imports/{id}/events":      {tries: page("GET", "/imports/"+bUpload+"/events", nil)},
		"GET /imports/{id}/status":      {tries: page("GET", "/imports/"+bUpload+"/status", nil)},
		"GET /imports/{id}/result":      {tries: page("GET", "/imports/"+bUpload+"/result", nil)},
		"GET /imports/{id}/refused.csv": {tries: page("GET", "/imports/"+bUpload+"/refused.csv", nil)},
		"GET /imports/{id}/labels.pdf":  {tries: page("GET", "/imports/"+bUpload+"/labels.pdf", nil)},
		"GET /imports/{id}/export.zip":  {tries: page("GET", "/imports/"+bExport+"/export.zip", nil)},
		"GET /statements":               {tries: []isoTry{scoped("cookie", "GET", "/statements?client="+cl, nil), scoped("cookie", "GET", "/statements?month=2000-01&client="+cl, nil)}},
		"GET /statements.pdf":           {tries: []isoTry{scoped("cookie", "GET", "/statements.pdf?client="+cl, nil)}},

		"GET /settings":                                         {tries: []isoTry{scoped("cookie", "GET", "/settings", nil)}},
		"GET /settings/team":                                    {tries: []isoTry{scoped("cookie", "GET", "/settings/team?client="+cl, nil)}},
		"POST /settings/team/invites":                           noID("invites into the caller's own team; no client is read from the form"),
		"POST /settings/team/invites/{id}/resend":               {tries: page("POST", "/settings/team/invites/"+invID+"/resend", none)},
		"POST /settings/team/invites/{id}/revoke":               {tries: page("POST", "/settings/team/invites/"+invID+"/revoke", none)},
		"POST /settings/team/members/{id}/role":                 {tries: page("POST", "/settings/team/members/"+mem+"/role", url.Values{"role": {"admin"}})},
		"POST /settings/team/members/{id}/remove":               {tries: page("POST", "/settings/team/members/"+mem+"/remove", none)},
		"POST /settings/team/transfer":                          {tries: page("POST", "/settings/team/transfer", url.Values{"member": {mem}})},
		"POST /settings/team/members/{member}/two-factor/reset": {tries: page("POST", "/settings/team/members/"+mem+"/two-factor/reset", none)},
		"GET /settings/account":                                 noID("the caller's own password form"),
		"POST /settings/account/password":                       noID("changes the caller's own password"),
		"POST /settings/account/language":                       noID("sets the caller's own language"),
		"POST /settings/account/two-factor":                     noID("begins the caller's own enrollment"),
		"POST /settings/account/two-factor/confirm":             noID("confirms the caller's own enrollment"),
		"POST /settings/account/two-factor/disable":             noID("turns the caller's own two-factor sign-in off"),
		"POST /settings/account/sessions/{id}/end":              {tries: page("POST", "/settings/account/sessions/"+string(bSession.Session.ID)+"/end", none)},
		"POST /settings/account/sessions/end-others":            noID("ends the caller's own other sessions"),
		"GET /settings/integrations":                            {tries: []isoTry{scoped("cookie", "GET", "/settings/integrations", nil)}},
		"GET /settings/notifications":                           {tries: []isoTry{scoped("cookie", "GET", "/settings/notifications?client="+cl, nil)}},
		"POST /settings/notifications":                          {tries: []isoTry{scoped("cookie", "POST", "/settings/notifications", url.Values{"client": {cl}, "events": {"delivered"}, "sms": {"1"}})}},
		"POST /settings/integrations/fulfilment":                {tries: []isoTry{scoped("cookie", "POST", "/settings/integrations/fulfilment", url.Values{"client": {cl}, "auto_fulfil": {"on"}})}},
		"POST /settings/integrations/shopify/disconnect":        {tries: []isoTry{scoped("cookie", "POST", "/settings/integrations/shopify/disconnect", url.Values{"client": {cl}})}},
		"POST /settings/integrations/api-keys":                  noID("creates a key of the caller's own client"),
		"POST /settings/integrations/api-keys/{id}/revoke":      {tries: page("POST", "/settings/integrations/api-keys/"+keyID+"/revoke", none)},
		"POST /settings/integrations/webhooks":                  noID("adds an endpoint of the caller's own client; no client is read from the form"),
		"GET /settings/integrations/webhooks/{id}":              {tries: page("GET", "/settings/integrations/webhooks/"+hook, nil)},
		"POST /settings/integrations/webhooks/{id}":             {tries: page("POST", "/settings/integrations/webhooks/"+hook, hookForm)},
		"POST /settings/integrations/webhooks/{id}/test":        {tries: page("POST", "/settings/integrations/webhooks/"+hook+"/test", none)},
		"POST /settings/integrations/webhooks/{id}/rotate":      {tries: page("POST", "/settings/integrations/webhooks/"+hook+"/rotate", none)},
		"POST /settings/integrations/webhooks/{id}/delete":      {tries: page("POST", "/settings/integrations/webhooks/"+hook+"/delete", none)},
		"/shopify/":              {tries: []isoTry{scoped("cookie", "GET", "/shopify/install?shop=bexley.myshopify.com&client="+cl, nil)}},
		"GET /shopify/app":       noID("no session: the App URL carries Shopify's signature and names only a shop, which the host's handler checks (shopify's TestAppURLRefusals) before the link page, under /shopify/, asks for a session"),
		"POST /shopify/webhooks": noID("no session: the host's handler checks Shopify's HMAC (the hostile-input tests forge them)"),

		// Dispatcher console, as another account's dispatcher.
		"GET /dispatch/{$}":                   noID("redirects to the client list"),
		"GET /dispatch/clients":               {tries: []isoTry{scoped("dispatcher", "GET", "/dispatch/clients", nil)}},
		"POST /dispatch/clients":              noID("invites a client into the dispatcher's own account"),
		"GET /dispatch/clients/{id}":          {tries: console("GET", "/dispatch/clients/"+cl, nil)},
		"POST /dispatch/clients/{id}":         {tries: console("POST", "/dispatch/clients/"+cl, url.Values{"name": {"Stolen"}, "allow_upload": {"on"}})},
		"POST /dispatch/clients/{id}/disable": {tries: console("POST", "/dispatch/clients/"+cl+"/disable", none)},
		// A change of clients names them by id (B's refused as no client of
		// the caller's) or by a search (finding none of B's): scoped.
		"POST /dispatch/clients/change": {tries: []isoTry{scoped("dispatcher", "POST", "/dispatch/clients/change", url.Values{"id": {cl}, "action": {"stop_uploads"}}),
			scoped("dispatcher", "POST", "/dispatch/clients/change", url.Values{"all": {"1"}, "q": {bTeam.client.Name}, "action": {"set_depot"}, "depot": {"south"}}),
			{who: "cookie", method: "POST", path: "/dispatch/clients/change", form: url.Values{"id": {cl}, "action": {"stop_uploads"}}, want: isoUnauthenticated}}},
		"POST /dispatch/clients/disable": {tries: []isoTry{scoped("dispatcher", "POST", "/dispatch/clients/disable", url.Values{"id": {cl}}),
			scoped("dispatcher", "POST", "/dispatch/clients/disable", url.Values{"all": {"1"}, "q": {bTeam.client.Name}}),
			{who: "cookie", method: "POST", path: "/dispatch/clients/disable", form: url.Values{"id": {cl}}, want: isoUnauthenticated}}},
		"GET /dispatch/jobs/{id}":                                       {tries: console("GET", clientsJob, nil)},
		"GET /dispatch/jobs/{id}/status":                                {tries: console("GET", clientsJob+"/status", nil)},
		"GET /dispatch/jobs/{id}/events":                                {tries: console("GET", clientsJob+"/events", nil)},
		"GET /dispatch/clients/{id}/statement":                          {tries: console("GET", "/dispatch/clients/"+cl+"/statement", nil)},
		"GET /dispatch/clients/{id}/statement.pdf":                      {tries: console("GET", "/dispatch/clients/"+cl+"/statement.pdf", nil)},
		"GET /dispatch/clients/{id}/proofs.zip":                         {tries: console("GET", "/dispatch/clients/"+cl+"/proofs.zip", nil)},
		"POST /dispatch/clients/{id}/enable":                            {tries: console("POST", "/dispatch/clients/"+cl+"/enable", none)},
		"POST /dispatch/clients/{id}/members/{member}/two-factor/reset": {tries: console("POST", "/dispatch/clients/"+cl+"/members/"+mem+"/two-factor/reset", none)},
		"POST /dispatch/invites/{id}/resend":                            {tries: join(console("POST", "/dispatch/invites/"+string(gamma.Invite.ID)+"/resend", none), console("POST", "/dispatch/invites/"+invID+"/resend", none))},
		"POST /dispatch/invites/{id}/revoke":                            {tries: join(console("POST", "/dispatch/invites/"+string(gamma.Invite.ID)+"/revoke", none), console("POST", "/dispatch/invites/"+invID+"/revoke", none))},
		"GET /dispatch/stops":                                           {tries: []isoTry{scoped("dispatcher", "GET", "/dispatch/stops", nil), scoped("dispatcher", "GET", "/dispatch/stops?depot=north", nil), scoped("dispatcher", "GET", "/dispatch/stops?import="+bImport, nil)}},
		"GET /dispatch/orders/{id}":                                     {tries: console("GET", "/dispatch/orders/"+sub, nil)},
		"GET /dispatch/orders/{id}/proof.pdf":                           {tries: console("GET", "/dispatch/orders/"+string(bDone.ID)+"/proof.pdf", nil)},
		"GET /dispatch/orders/{id}/labels.pdf":                          {tries: console("GET", "/dispatch/orders/"+sub+"/labels.pdf", nil)},
		"POST /dispatch/stops/cancel-matching":                          {tries: []isoTry{{who: "dispatcher", method: "POST", path: "/dispatch/stops/cancel-matching", form: url.Values{"q": {"BX-SUB"}, "confirm": {"cancel"}}, want: isoScoped}}},
		"POST /dispatch/stops/{id}/move":                                {tries: console("POST", "/dispatch/stops/"+sub+"/move", url.Values{"depot": {"south"}})},
		"POST /dispatch/stops/{id}/cancel":                              {tries: console("POST", "/dispatch/stops/"+sub+"/cancel", url.Values{"reason": {"stolen"}})},
		"GET /dispatch/stops/import":                                    noID("the upload form"),
		"GET /dispatch/clients.csv":                                     {tries: []isoTry{{who: "dispatcher", method: "GET", path: "/dispatch/clients.csv?q=Bexley", want: isoScoped}}},
		"GET /dispatch/clients.xlsx":                                    {tries: []isoTry{{who: "dispatcher", method: "GET", path: "/dispatch/clients.xlsx?q=Bexley", want: isoScoped}}},
		"GET /dispatch/stops/template.csv":                              noID("the stops template, the same for everyone"),
		"GET /dispatch/stops/template.xlsx":                             noID("the stops template, the same for everyone"),
		"POST /dispatch/stop-imports/{id}":                              {tries: console("POST", "/dispatch/stop-imports/"+checkedStops[1], none)},
		"GET /dispatch/stop-imports/{id}":                               {tries: console("GET", "/dispatch/stop-imports/"+checkedStops[1], nil)},
		"POST /dispatch/stop-imports/{id}/mapping":                      {tries: console("POST", "/dispatch/stop-imports/"+checkedStops[1]+"/mapping", url.Values{"col_0": {"client_number"}})},
		"GET /dispatch/stop-imports/{id}/check":                         {tries: console("GET", "/dispatch/stop-imports/"+checkedStops[1]+"/check", nil)},
		"POST /dispatch/stop-imports/{id}/sheets":                       {tries: console("POST", "/dispatch/stop-imports/"+checkedStops[1]+"/sheets", url.Values{"sheet": {"Sheet1"}})},
		"GET /dispatch/deliveries":                                      {tries: []isoTry{scoped("dispatcher", "GET", "/dispatch/deliveries?view=pending", nil), scoped("dispatcher", "GET", "/dispatch/deliveries?view=done", nil)}},
		"POST /dispatch/deliveries/{id}/retry":                          {tries: console("POST", "/dispatch/deliveries/"+bEntry+"/retry", none)},
		"POST /dispatch/deliveries/{id}/discard":                        {tries: console("POST", "/dispatch/deliveries/"+bEntry+"/discard", none)},
		"POST /dispatch/stops/import":                                   {tries: []isoTry{{who: "dispatcher", method: "POST", path: "/dispatch/stops/import", want: isoScoped}}}, // a file naming B's client number, below

		// JSON API.
		"GET /api/v1/client": {tries: []isoTry{scoped("key", "GET", "/api/v1/client?id="+cl, nil), scoped("cookie", "GET", "/api/v1/client", nil)}},
		"GET /api/v1/orders": {tries: []isoTry{scoped("key", "GET", "/api/v1/orders?limit=500&client="+cl, nil), scoped("cookie", "GET", "/api/v1/orders?status=draft,submitted", nil),
			scoped("key", "GET", "/api/v1/orders?import="+bImport, nil)}},
		"GET /api/v1/imports":                   {tries: []isoTry{scoped("key", "GET", "/api/v1/imports", nil), scoped("cookie", "GET", "/api/v1/imports?limit=100", nil)}},
		"POST /api/v1/orders":                   {tries: []isoTry{{who: "key", method: "POST", path: "/api/v1/orders", json: map[string]any{"client": cl, "ref": "AX-API", "address": map[string]any{"line1": "1 Alder St"}}, want: isoScoped}}},
		"POST /api/v1/orders/submit":            {tries: join(api("POST", "/api/v1/orders/submit", map[string]any{"ids": []string{d}}), api("POST", "/api/v1/orders/submit", map[string]any{"ids": []string{o, d}}))},
		"POST /api/v1/orders/submit-matching":   {tries: []isoTry{{who: "key", method: "POST", path: "/api/v1/orders/submit-matching", json: map[string]any{"q": "BX-"}, want: isoScoped}}},
		"POST /api/v1/orders/withdraw-matching": {tries: []isoTry{{who: "key", method: "POST", path: "/api/v1/orders/withdraw-matching", json: map[string]any{"q": "BX-SUB"}, want: isoScoped}}},
		"POST /api/v1/orders/delete-matching":   {tries: []isoTry{{who: "key", method: "POST", path: "/api/v1/orders/delete-matching", json: map[string]any{"q": "BX-"}, want: isoScoped}}},
		"GET /api/v1/orders/{id}":               {tries: join(api("GET", "/api/v1/orders/"+d, nil), api("GET", "/api/v1/orders/"+sub, nil))},
		"PUT /api/v1/orders/{id}":               {tries: api("PUT", "/api/v1/orders/"+d, map[string]any{"version": 1, "ref": "AX-STOLEN", "address": map[string]any{"line1": "1 Alder St"}})},
		"DELETE /api/v1/orders/{id}":            {tries: api("DELETE", "/api/v1/orders/"+d+"?version=1", nil)},
		"POST /api/v1/orders/{id}/withdraw":     {tries: api("POST", "/api/v1/orders/"+sub+"/withdraw", nil)},
		"POST /api/v1/orders/{id}/repeat":       {tries: api("POST", "/api/v1/orders/"+sub+"/repeat", nil)},
		"GET /api/v1/addresses": {tries: []isoTry{scoped("key", "GET", "/api/v1/addresses?q=bexley", nil),
			{who: "key", method: "GET", path: "/api/v1/addresses?after=" + addr, want: isoRefused}}},
		"POST /api/v1/addresses":        noID("adds an entry to the key's own client's address book; no client is read from the body"),
		"GET /api/v1/addresses/{id}":    {tries: api("GET", "/api/v1/addresses/"+addr, nil)},
		"PUT /api/v1/addresses/{id}":    {tries: api("PUT", "/api/v1/addresses/"+addr, map[string]any{"version": 1, "address": map[string]any{"line1": "1 Stolen St"}})},
		"DELETE /api/v1/addresses/{id}": {tries: api("DELETE", "/api/v1/addresses/"+addr, nil)},
		"GET /api/v1/schedules":         {tries: []isoTry{scoped("key", "GET", "/api/v1/schedules", nil), scoped("cookie", "GET", "/api/v1/schedules", nil)}},
		"POST /api/v1/schedules": {tries: join(api("POST", "/api/v1/schedules", map[string]any{"from_order": d, "weekdays": []string{"monday"}, "at": "09:00"}),
			api("POST", "/api/v1/schedules", map[string]any{"from_address": addr, "weekdays": []string{"monday"}, "at": "09:00"}))},
		"GET /api/v1/schedules/{id}":               {tries: api("GET", "/api/v1/schedules/"+sched, nil)},
		"PUT /api/v1/schedules/{id}":               {tries: api("PUT", "/api/v1/schedules/"+sched, map[string]any{"version": 1, "weekdays": []string{"friday"}, "template": map[string]any{"address": map[string]any{"line1": "1 Stolen St"}}})},
		"DELETE /api/v1/schedules/{id}":            {tries: api("DELETE", "/api/v1/schedules/"+sched, nil)},
		"POST /api/v1/schedules/{id}/pause":        {tries: api("POST", "/api/v1/schedules/"+sched+"/pause", nil)},
		"POST /api/v1/schedules/{id}/resume":       {tries: api("POST", "/api/v1/schedules/"+sched+"/resume", nil)},
		"GET /api/v1/orders/{id}/notices":          {tries: join(api("GET", "/api/v1/orders/"+sub+"/notices", nil), api("GET", "/api/v1/orders/"+d+"/notices", nil))},
		"GET /api/v1/notifications":                {tries: []isoTry{scoped("key", "GET", "/api/v1/notifications?client="+cl, nil), scoped("cookie", "GET", "/api/v1/notifications", nil)}},
		"PUT /api/v1/notifications":                {tries: []isoTry{{who: "cookie", method: "PUT", path: "/api/v1/notifications?client=" + cl, json: map[string]any{"events": []string{"delivered"}, "sms": true}, want: isoScoped}}},
		"GET /api/v1/webhooks":                     {tries: []isoTry{scoped("key", "GET", "/api/v1/webhooks?client="+cl, nil), scoped("cookie", "GET", "/api/v1/webhooks?client="+cl, nil)}},
		"POST /api/v1/webhooks":                    noID("adds an endpoint of the caller's own client; no client is read from the body"),
		"GET /api/v1/webhooks/{id}":                {tries: api("GET", "/api/v1/webhooks/"+hook, nil)},
		"PUT /api/v1/webhooks/{id}":                {tries: api("PUT", "/api/v1/webhooks/"+hook, map[string]any{"url": "https://alder.example/stolen", "events": []string{"order.submitted"}})},
		"DELETE /api/v1/webhooks/{id}":             {tries: api("DELETE", "/api/v1/webhooks/"+hook, nil)},
		"POST /api/v1/webhooks/{id}/rotate-secret": {tries: api("POST", "/api/v1/webhooks/"+hook+"/rotate-secret", nil)},
		"POST /api/v1/webhooks/{id}/test":          {tries: api("POST", "/api/v1/webhooks/"+hook+"/test", nil)},
		"GET /api/v1/webhooks/{id}/deliveries":     {tries: api("GET", "/api/v1/webhooks/"+hook+"/deliveries", nil)},
		"GET /api/v1/orders/{id}/proof.pdf":        {tries: api("GET", "/api/v1/orders/"+string(bDone.ID)+"/proof.pdf", nil)},
		"GET /api/v1/orders/{id}/labels.pdf":       {tries: api("GET", "/api/v1/orders/"+d+"/labels.pdf", nil)},
		"GET /api/v1/proofs.zip":                   {tries: join(api("GET", "/api/v1/proofs.zip?id="+string(bDone.ID), nil), []isoTry{scoped("key", "GET", "/api/v1/proofs.zip?client="+cl, nil)})},
		"GET /api/v1/statement":                    {tries: []isoTry{scoped("key", "GET", "/api/v1/statement?client="+cl, nil)}},
		"POST /api/v1/imports":                     noID("imports into the caller's own client; the upload is removed when the call ends"),
		"GET /api/v1/events": {tries: []isoTry{{who: "key", method: "GET", path: "/api/v1/events?after=" + url.QueryEscape(start), stream: true, want: isoScoped},
			{who: "cookie", method: "GET", path: "/api/v1/events?after=" + url.QueryEscape(start), stream: true, want: isoScoped}}},
	}

	// The table and the portal's routes are the same set.
	served := portal.Routes(e.h)
	for _, p := range served {
		if _, ok := rows[p]; !ok {
			t.Errorf("route %q has no row in the isolation matrix: say which foreign ids it could be given, or why none", p)
		}
	}
	for p := range rows {
		if !slices.Contains(served, p) {
			t.Errorf("the isolation matrix has a row for %q, which the portal does not serve", p)
		}
	}

	// The callers.
	cookie := e.signedIn(aTeam.email)
	key := e.browser()
	key.header.Set("Authorization", "Bearer "+aKey)
	other := e.browser()
	other.header.Set("X-Test-Dispatcher", "acct-other")
	callers := map[string]*browser{"cookie": cookie, "key": key, "dispatcher": other}

	tried, streamed := 0, 0
	for _, p := range slices.Sorted(func(yield func(string) bool) {
		for p := range rows {
			if !yield(p) {
				return
			}
		}
	}) {
		row := rows[p]
		if row.why == "" && len(row.tries) == 0 {
			t.Errorf("%s: a row needs tries or a reason", p)
		}
		for _, try := range row.tries {
			name := fmt.Sprintf("%s as %s: %s %s", p, try.who, try.method, try.path)
			// The request reaches the route of its row.
			req := httptest.NewRequest(try.method, strings.SplitN(try.path, "?", 2)[0], nil)
			if got := portal.Pattern(e.h, req); got != p {
				t.Errorf("%s is served by %q", name, got)
				continue
			}
			markers := bMarkers
			if try.who == "dispatcher" {
				markers = foreignToDispatcher
			}
			b := callers[try.who]
			var (
				res     response
				events  []sseEvent
				content string // the request's body
			)
			switch {
			case try.stream:
				res, events = isoStream(t, b, try.path, aMark.ID)
			case p == "POST /dispatch/stops/import":
				content = "Client ID,Id,Address Line 1\n" + string(bTeam.client.Number) + ",ST-1,1 Other St\n"
				body, ct := multipartFile(t, "stops.csv", content, nil)
				res = b.do(try.method, try.path, body, ct, nil)
			case try.json != nil:
				raw, _ := json.Marshal(try.json)
				content = string(raw)
				res = b.do(try.method, try.path, strings.NewReader(content), "application/json", nil)
			case try.form != nil && try.method == http.MethodPost:
				// Answering yes to an irreversible action's question, as an
				// attacker would: the question reveals nothing, the action must refuse.
				content = try.form.Encode()
				res = b.post(try.path, try.form)
			case try.form != nil:
				content = try.form.Encode()
				res = b.do(try.method, try.path, strings.NewReader(content), "application/x-www-form-urlencoded", nil)
			case try.method == http.MethodPost:
				res = b.post(try.path, url.Values{})
			default:
				res = b.do(try.method, try.path, nil, "", nil)
			}
			tried++
			// What the caller typed may come back (a form shown again): only
			// what it did not send counts as a leak.
			markers = slices.DeleteFunc(slices.Clone(markers), func(m string) bool {
				return strings.Contains(try.path, m) || strings.Contains(content, m) || strings.Contains(url.QueryEscape(content), m)
			})
			isoCheck(t, name, try.want, res, markers)
			streamed += len(events)
			for _, ev := range events {
				if id, _ := ev.data["order"].(string); id != "" && !isoOwnOrder(t, e, aTeam, id) {
					t.Errorf("%s: the stream carried an event of order %s, not A's: %v", name, id, ev.data)
				}
			}
		}
	}

	// Nothing of B (or of the account's other objects) changed.
	after := isoSnapshot(t, e, bTeam, aTeam.client.ID)
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("B's data changed (-before +after):\n%s", diff)
	}
	t.Logf("%d routes, %d attempts refused or scoped, %d streamed events all A's; B's orders, team, invites, keys and links unchanged",
		len(rows), tried, streamed)
}

// isoCheck checks one answer against what it must be.
func isoCheck(t *testing.T, name string, want isoExpect, r response, markers []string) {
	t.Helper()
	ok := false
	switch want {
	case isoRefused:
		ok = r.status == http.StatusNotFound || r.status == http.StatusForbidden
	case isoUnauthenticated:
		loc := r.header.Get("Location")
		ok = r.status == http.StatusUnauthorized || r.status == http.StatusForbidden || r.status == http.StatusNotFound ||
			(r.status == http.StatusSeeOther && strings.HasPrefix(loc, "/signin"))
	case isoScoped:
		ok = r.status != http.StatusInternalServerError
	}
	if !ok {
		t.Errorf("%s: status %d (Location %q), want %s; body:\n%.2000s", name, r.status, r.header.Get("Location"), want, r.body)
	}
	for _, m := range markers {
		if m != "" && strings.Contains(r.body, m) {
			t.Errorf("%s: the answer (%d) shows %q of another tenant:\n%.2000s", name, r.status, m, r.body)
		}
	}
}

// isoStream opens an event stream and reads it until the marker order's event, or
// for a few seconds; a refused stream answers at once.
func isoStream(t *testing.T, b *browser, path string, marker connect.OrderID) (response, []sseEvent) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ch, res := b.stream(ctx, path, nil)
	r := response{status: res.StatusCode, header: res.Header}
	if res.StatusCode != http.StatusOK {
		for range ch { // the error's body: not an event stream
		}
		return r, nil
	}
	var got []sseEvent
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				t.Errorf("%s: the stream ended before A's marker event", path)
				return r, got
			}
			got = append(got, ev)
			if ev.data["order"] == string(marker) {
				cancel()
				for range ch {
				}
				return r, got
			}
		case <-ctx.Done():
			t.Errorf("%s: no marker event within 10 s (got %d events)", path, len(got))
			return r, got
		}
	}
}

// isoOwnOrder reports whether the order is A's.
func isoOwnOrder(t *testing.T, e *env, a team, id string) bool {
	t.Helper()
	_, err := e.svc.Order(e.ctx, a.owner, connect.OrderID(id))
	return err == nil
}

// isoWaitImport waits for a background import to finish.
func isoWaitImport(t *testing.T, b *browser, id string) {
	t.Helper()
	b.waitImport("/imports/" + id)
	b.get("/imports/"+id+"/status").is(t, http.StatusOK).has(t, `"finished":true`)
}

// isoHead returns the event feed's current cursor.
func isoHead(t *testing.T, e *env) string {
	t.Helper()
	ctx, cancel := context.WithCancel(e.ctx)
	defer cancel()
	sub, err := e.svc.Subscribe(ctx, e.disp, connect.SubscribeParams{})
	if err != nil {
		t.Fatal(err)
	}
	return sub.Cursor()
}

// isoState is everything of B, and of the account's other clients, that the
// matrix must not change, as the Service shows it to their rightful owners.
type isoState struct {
	Client  *connect.Client
	Orders  []*connect.Order
	Links   map[connect.OrderID][]*connect.TrackingLink
	Members []*connect.Member
	Invites []*connect.Invite
	Keys    []*connect.APIKey
	Hooks   []*connect.WebhookEndpoint
	HookLog [][]connect.WebhookDelivery
	Book    []*connect.AddressEntry
	Plans   []*connect.Schedule
	Clients []connect.ClientSummary // the account's, but the attacker's own
	Account []*connect.Invite       // the account's client invites
}

func isoSnapshot(t *testing.T, e *env, b team, attacker connect.ClientID) string {
	t.Helper()
	ctx, a := e.ctx, b.owner
	var s isoState
	var err error
	if s.Client, err = e.svc.Client(ctx, a, a.Client); err != nil {
		t.Fatal(err)
	}
	page, err := e.svc.Orders(ctx, a, connect.ListOrdersParams{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	s.Links = map[connect.OrderID][]*connect.TrackingLink{}
	for _, o := range page.Orders {
		full, err := e.svc.Order(ctx, a, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		s.Orders = append(s.Orders, full)
		if s.Links[o.ID], err = e.svc.TrackingLinks(ctx, a, o.ID); err != nil {
			t.Fatal(err)
		}
	}
	if s.Members, err = e.svc.Members(ctx, a, ""); err != nil {
		t.Fatal(err)
	}
	if s.Invites, err = e.svc.Invites(ctx, a, ""); err != nil {
		t.Fatal(err)
	}
	if s.Keys, err = e.svc.APIKeys(ctx, a); err != nil {
		t.Fatal(err)
	}
	if s.Hooks, err = e.svc.Webhooks(ctx, a); err != nil {
		t.Fatal(err)
	}
	for _, h := range s.Hooks {
		log, err := e.svc.WebhookDeliveries(ctx, a, h.ID)
		if err != nil {
			t.Fatal(err)
		}
		s.HookLog = append(s.HookLog, log)
	}
	if s.Book, err = e.svc.AddressBook(ctx, a, connect.AddressBookParams{Limit: 200}); err != nil {
		t.Fatal(err)
	}
	if s.Plans, err = e.svc.Schedules(ctx, a); err != nil {
		t.Fatal(err)
	}
	all, err := e.svc.Clients(ctx, e.disp)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range all {
		if c.Client.ID != attacker {
			s.Clients = append(s.Clients, c)
		}
	}
	invites, err := e.svc.Invites(ctx, e.disp, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, inv := range invites {
		if inv.Client != attacker {
			s.Account = append(s.Account, inv)
		}
	}
	raw, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}
