package main

import (
	"context"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/dispatchkit/connect"
)

// The help article's first way to invite, on the host's stop page: the
// stop's Client field says "No client"; "Add new client" invites the client
// and links the stop to it, so that it waits in the unassigned stops under
// the client's name and the client finds it at its first sign-in. Picking a
// client the account has (an invited one too) links the stop to it.
func TestAStopWithNoClientInvitesItsClient(t *testing.T) {
	th := startHost(t, t.TempDir())
	ctx := context.Background()
	c := th.client()
	th.form(t, c, "/demo/login", url.Values{"email": {dispatcherEmail}, "password": {th.state.DispatcherPassword}})

	// The seeded walk-in stop waits with no client.
	status, page := th.get(t, c, "/demo/routes")
	if status != http.StatusOK || !strings.Contains(page, `data-ref="WALK-IN-1"`) || !strings.Contains(page, ">No client<") {
		t.Fatalf("routes page %d lists no stop with no client:\n%s", status, page)
	}
	// The dispatcher adds one of its own.
	res := th.form(t, c, "/demo/stops", url.Values{"ref": {"HOST-9"}, "recipient": {"Ada Quay"}, "line1": {"9 Quay St"},
		"city": {"Springfield"}, "postcode": {"SP1 9QS"}, "depot": {"south"}})
	stopPath := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(stopPath, "/demo/stops/hs-") {
		t.Fatalf("adding a stop: %d to %q", res.StatusCode, stopPath)
	}
	status, page = th.get(t, c, stopPath)
	if status != http.StatusOK || !regexp.MustCompile(`id="client-field">No client<`).MatchString(page) ||
		!strings.Contains(page, `href="`+stopPath+`/new-client"`) {
		t.Fatalf("stop page %d:\n%s", status, page)
	}

	// Without a name the form comes back with the reason, the stop still waiting.
	res = th.form(t, c, stopPath+"/new-client", url.Values{"email": {"ops@quay.example"}, "allow_upload": {"on"}})
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("a client with no name: %d", res.StatusCode)
	}
	if status, _ := th.get(t, c, stopPath); status != http.StatusOK {
		t.Fatalf("the refused invite took the stop: %d", status)
	}

	resp, err := c.PostForm(th.base+stopPath+"/new-client", url.Values{"name": {"Quay Florist"}, "email": {"ops@quay.example"}, "allow_upload": {"on"}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	body := string(b)
	link := regexp.MustCompile(`id="invite-link" value="([^"]+)"`).FindStringSubmatch(body)
	if resp.StatusCode != http.StatusOK || link == nil || !strings.Contains(body, "Quay Florist is invited") {
		t.Fatalf("inviting the stop's client: %d\n%s", resp.StatusCode, body)
	}
	// The stop is the new client's: no longer waiting for one, in the
	// unassigned stops under its name, and the link cannot be used twice.
	_, page = th.get(t, c, "/demo/routes")
	if strings.Contains(page, `data-ref="HOST-9"><td><a href="/demo/stops/`) {
		t.Fatal("the linked stop still waits for a client")
	}
	stops, _, err := th.svc.UnassignedStops(ctx, dispatcherActor(), "south", "", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(stops) != 1 || stops[0].Order.Ref != "HOST-9" || stops[0].ClientName != "Quay Florist" {
		t.Fatalf("unassigned stops in the south depot: %+v", stops)
	}
	if res := th.form(t, c, stopPath+"/new-client", url.Values{"name": {"Quay Florist 2"}}); res.StatusCode != http.StatusNotFound {
		t.Fatalf("the stop linked again: %d", res.StatusCode)
	}
	// The client signs up from the link and tracks its stop.
	token := strings.TrimPrefix(html.UnescapeString(link[1]), th.base+"/invite/")
	acc, err := th.svc.AcceptInvite(ctx, token, connect.SignUp{Name: "Quay Owner", Email: "ops@quay.example", Password: "long enough password"})
	if err != nil {
		t.Fatal(err)
	}
	orders, err := th.svc.Orders(ctx, acc.Actor, connect.ListOrdersParams{})
	if err != nil {
		t.Fatal(err)
	}
	if len(orders.Orders) != 1 || orders.Orders[0].Ref != "HOST-9" || orders.Orders[0].Address.Zip != "SP1 9QS" ||
		orders.Orders[0].Recipient.Name != "Ada Quay" || orders.Orders[0].Status != connect.StatusSubmitted {
		t.Fatalf("the new client's orders: %+v", orders.Orders)
	}

	// The walk-in stop goes to the seeded client, still invited (no number).
	clients, err := th.svc.Clients(ctx, dispatcherActor())
	if err != nil {
		t.Fatal(err)
	}
	var grocer connect.ClientID
	for _, cl := range clients {
		if cl.Client.Name == demoClientName {
			grocer = cl.Client.ID
		}
	}
	walkIn := th.hostStops.list()
	if len(walkIn) != 1 || walkIn[0].Ref != "WALK-IN-1" {
		t.Fatalf("host stops left: %+v", walkIn)
	}
	if _, page := th.get(t, c, "/demo/stops/"+walkIn[0].ID); !strings.Contains(page, `<option value="`+string(grocer)+`">`+demoClientName+` (invited)`) {
		t.Fatalf("the stop page does not offer the invited client:\n%s", page)
	}
	if res := th.form(t, c, "/demo/stops/"+walkIn[0].ID+"/client", url.Values{"client": {string(grocer)}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("linking to the seeded client: %d", res.StatusCode)
	}
	stops, _, _ = th.svc.UnassignedStops(ctx, dispatcherActor(), "north", "", 10)
	if len(stops) != 1 || stops[0].Order.Ref != "WALK-IN-1" || stops[0].Order.Client != grocer {
		t.Fatalf("unassigned stops in the north depot: %+v", stops)
	}
	if len(th.hostStops.list()) != 0 {
		t.Fatal("a linked stop still waits for a client")
	}
}
