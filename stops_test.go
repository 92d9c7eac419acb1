package connect_test

import (
	"strings"
	"testing"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/connecttest"
	"github.com/google/go-cmp/cmp"
)

func stopRow(n int, number, line1, ref string) connect.ImportRow {
	return connect.ImportRow{Number: n, Cells: []string{number, line1, ref}, ClientNumber: number,
		Input: connect.OrderInput{Ref: ref, Address: connect.Address{Line1: line1}}}
}

// typo returns the number with its last two digits swapped (or one changed).
func typo(n connect.ClientNumber) string {
	b := []byte(n)
	if b[6] != b[7] {
		b[6], b[7] = b[7], b[6]
	} else {
		b[7] = '0' + (b[7]-'0'+1)%10
	}
	return string(b)
}

func TestImportStopsLinksRowsToClientsByNumber(t *testing.T) {
	w := newWorld(t)
	// A client that may not upload still gets the dispatcher's stops.
	bakery, bakeryOwner := w.signUpClient(w.disp, "Bakery", connect.ClientSettings{DefaultDepot: "south"})
	rows := func() *rowsSource {
		return &rowsSource{rows: []connect.ImportRow{
			stopRow(2, string(w.client.Number), "1 High St", "S-1"),
			stopRow(3, string(bakery.Number[:4])+" "+string(bakery.Number[4:]), "2 Mill Lane", "S-2"),
			stopRow(4, typo(bakery.Number), "3 Typo Road", "S-3"),
			stopRow(5, "", "4 Nobody Way", "S-4"),
			stopRow(6, string(w.client.Number), "", "S-5"),
			stopRow(7, string(w.client.Number), "5 Again St", "S-1"),
		}}
	}
	// The preview says the same and stores nothing.
	preview, err := w.svc.PreviewStops(w.ctx, w.disp, rows(), connect.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if preview.Read != 6 || preview.Imported != 0 || preview.Refused != 4 || len(preview.Preview) != 2 ||
		preview.Preview[0].Client != w.client.ID || preview.Preview[1].Client != bakery.ID || preview.Preview[1].Ref != "S-2" {
		t.Fatalf("preview %+v", preview)
	}
	if page, _ := w.svc.Orders(w.ctx, bakeryOwner, connect.ListOrdersParams{}); len(page.Orders) != 0 {
		t.Fatalf("the preview stored %d orders", len(page.Orders))
	}
	src := rows()
	res, err := w.svc.ImportStops(w.ctx, w.disp, src, connect.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Read != 6 || res.Imported != 2 || res.Refused != 4 || res.Duplicates != 1 {
		t.Fatalf("result %+v", res)
	}
	var where []string
	for _, e := range res.Errors {
		where = append(where, e.String())
	}
	want := []string{
		`row 4, column "Client ID": Client ID "` + typo(bakery.Number) + `" is not a client number: 8 digits, check for a mistyped or swapped digit`,
		`row 5, column "Client ID": Client ID is required`,
		`row 6, column "Address Line 1": Address Line 1 is required`,
		`row 7, column "Id": Id "S-1" is a duplicate of row 2`,
	}
	if d := cmp.Diff(want, where); d != "" {
		t.Fatalf("errors (-want +got):\n%s", d)
	}
	if d := cmp.Diff(res.Errors, preview.Errors); d != "" {
		t.Fatalf("the preview's errors differ from the import's (-import +preview):\n%s", d)
	}
	page, err := w.svc.Orders(w.ctx, bakeryOwner, connect.ListOrdersParams{View: connect.ViewActive})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Orders) != 1 {
		t.Fatalf("bakery sees %d orders", len(page.Orders))
	}
	o := page.Orders[0]
	if o.Ref != "S-2" || o.Status != connect.StatusSubmitted || o.Source != connect.SourceDispatcher || o.Depot != "south" {
		t.Fatalf("bakery's stop %+v", o)
	}
}

func TestCreateStopsIsAllOrNothing(t *testing.T) {
	w := newWorld(t)
	_, err := w.svc.CreateStops(w.ctx, w.disp, []connect.StopInput{
		{ClientNumber: string(w.client.Number), Input: connect.OrderInput{Address: connect.Address{Line1: "1 High St"}}},
		{ClientNumber: "12345671", Input: connect.OrderInput{Address: connect.Address{Line1: "2 High St"}}},
	})
	connecttest.WantCode(t, err, connect.Invalid)
	if !strings.Contains(err.Error(), "row 2") || !strings.Contains(err.Error(), "no client of yours has client number 12345671") {
		t.Fatalf("error %q", err)
	}
	page, _ := w.svc.Orders(w.ctx, w.owner, connect.ListOrdersParams{})
	if len(page.Orders) != 0 {
		t.Fatalf("%d orders stored by a refused call", len(page.Orders))
	}
	out, err := w.svc.CreateStops(w.ctx, w.disp, []connect.StopInput{
		{ClientNumber: string(w.client.Number), Depot: "east", Input: connect.OrderInput{Address: connect.Address{Line1: "1 High St"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if out[0].Depot != "east" || out[0].Status != connect.StatusSubmitted {
		t.Fatalf("stop %+v", out[0])
	}
}

func TestStopsOfAnotherAccountsClientAreRefused(t *testing.T) {
	w := newWorld(t)
	other := connect.AsDispatcher("acct-2", "eve")
	_, err := w.svc.CreateStops(w.ctx, other, []connect.StopInput{
		{ClientNumber: string(w.client.Number), Input: connect.OrderInput{Address: connect.Address{Line1: "1 High St"}}},
	})
	connecttest.WantCode(t, err, connect.Invalid)
	_, err = w.svc.CreateStops(w.ctx, w.owner, nil)
	connecttest.WantCode(t, err, connect.Forbidden)
}

func TestClientsCannotWithdrawTheDispatchersStops(t *testing.T) {
	w := newWorld(t)
	out, err := w.svc.CreateStops(w.ctx, w.disp, []connect.StopInput{
		{ClientNumber: string(w.client.Number), Input: connect.OrderInput{Address: connect.Address{Line1: "1 High St"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = w.svc.Withdraw(w.ctx, w.owner, out[0].ID)
	connecttest.WantCode(t, err, connect.Forbidden)
	// Nor may a tracking-only client withdraw its own.
	o := w.submitted(1)[0]
	settings := connect.ClientSettings{AllowUpload: false}
	w.svc.UpdateClient(w.ctx, w.disp, w.client.ID, connect.ClientChanges{Settings: &settings})
	_, err = w.svc.Withdraw(w.ctx, w.owner, o.ID)
	connecttest.WantCode(t, err, connect.Forbidden)
}

// The console's stops list searches and filters as the orders list does,
// each stop with its client; "cancel all matching" cancels exactly the stops
// the filter selects, with the reason, and says what it did.
func TestStopsPageAndCancelMatchingTakeTheFilter(t *testing.T) {
	w := newWorld(t)
	bakery, bakeryOwner := w.signUpClient(w.disp, "Bakery", connect.ClientSettings{AllowUpload: true, DefaultDepot: "south"})
	for i, in := range []struct {
		by  connect.Actor
		ref string
	}{{w.owner, "GG-1"}, {w.owner, "GG-2"}, {bakeryOwner, "BK-1"}, {bakeryOwner, "BK-2"}} {
		o := w.draft(in.by, in.ref)
		if _, err := w.svc.SubmitOrders(w.ctx, in.by, []connect.OrderID{o.ID}); err != nil {
			t.Fatalf("order %d: %v", i, err)
		}
	}
	refs := func(p connect.ListOrdersParams) []string {
		t.Helper()
		stops, _, err := w.svc.StopsPage(w.ctx, w.disp, p)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, s := range stops {
			out = append(out, s.Order.Ref+"/"+s.ClientName)
		}
		return out
	}
	if got := refs(connect.ListOrdersParams{Search: "bk-"}); !cmp.Equal(got, []string{"BK-2/Bakery", "BK-1/Bakery"}) {
		t.Fatalf("search: %q", got)
	}
	if got := refs(connect.ListOrdersParams{Depot: "north"}); !cmp.Equal(got, []string{"GG-2/Green Grocer", "GG-1/Green Grocer"}) {
		t.Fatalf("a depot: %q", got)
	}
	if got := refs(connect.ListOrdersParams{Client: bakery.ID, Search: "BK-1"}); !cmp.Equal(got, []string{"BK-1/Bakery"}) {
		t.Fatalf("a client and a search: %q", got)
	}

	res, err := w.svc.CancelMatching(w.ctx, w.disp, connect.ListOrdersParams{Depot: "south"}, "the van broke down", connect.BulkOptions{})
	if err != nil || res.Matched != 2 || res.Done != 2 || res.Refused != 0 {
		t.Fatalf("cancel matching: %+v, %v", res, err)
	}
	if got := refs(connect.ListOrdersParams{}); !cmp.Equal(got, []string{"GG-2/Green Grocer", "GG-1/Green Grocer"}) {
		t.Fatalf("left after cancelling the south depot's: %q", got)
	}
	page, err := w.svc.Orders(w.ctx, bakeryOwner, connect.ListOrdersParams{View: connect.ViewCompleted})
	if err != nil || len(page.Orders) != 2 || page.Orders[0].Status != connect.StatusCancelled {
		t.Fatalf("the bakery's cancelled orders: %+v, %v", page, err)
	}
	o, err := w.svc.Order(w.ctx, bakeryOwner, page.Orders[0].ID)
	if err != nil || o.History[len(o.History)-1].Reason != "the van broke down" {
		t.Fatalf("the cancellation's reason: %+v, %v", o.History, err)
	}
	_, err = w.svc.CancelMatching(w.ctx, w.owner, connect.ListOrdersParams{}, "", connect.BulkOptions{})
	connecttest.WantCode(t, err, connect.Forbidden)
}

// The help article's first way to invite: a stop of the dispatcher's own with
// no client ("No client" → "Add new client") is linked to the client it
// invites, in the same step, and the client tracks it from its first sign-in.
func TestAStopWithNoClientIsLinkedToTheClientItInvites(t *testing.T) {
	w := newWorld(t)
	stop := connect.StopInput{Depot: "east", Input: connect.OrderInput{Ref: "HOST-77",
		Recipient: connect.Recipient{Name: "Ada"}, Address: connect.Address{Line1: "7 Quay St", City: "Leeds"}}}
	before, err := w.svc.Clients(w.ctx, w.disp)
	if err != nil {
		t.Fatal(err)
	}
	// A stop that names a client, or lacks its address, refuses the whole invite.
	for name, bad := range map[string]connect.StopInput{
		"names a client": {ClientNumber: string(w.client.Number), Input: stop.Input},
		"no address":     {Input: connect.OrderInput{Ref: "HOST-78"}},
	} {
		_, err := w.svc.InviteClient(w.ctx, w.disp, connect.InviteClientParams{Name: "Quay Florist",
			Stops: []connect.StopInput{stop, bad}})
		connecttest.WantCode(t, err, connect.Invalid)
		if !strings.Contains(err.Error(), "row 2") {
			t.Errorf("%s: %q does not name the stop", name, err)
		}
	}
	if after, _ := w.svc.Clients(w.ctx, w.disp); len(after) != len(before) {
		t.Fatalf("a refused invite added a client: %d clients, %d before", len(after), len(before))
	}
	// Only the dispatcher may.
	_, err = w.svc.InviteClient(w.ctx, w.owner, connect.InviteClientParams{Name: "Quay Florist", Stops: []connect.StopInput{stop}})
	connecttest.WantCode(t, err, connect.Forbidden)

	issued, err := w.svc.InviteClient(w.ctx, w.disp, connect.InviteClientParams{Name: "Quay Florist",
		Stops: []connect.StopInput{stop}})
	if err != nil {
		t.Fatal(err)
	}
	if len(issued.Stops) != 1 {
		t.Fatalf("%d stops linked", len(issued.Stops))
	}
	linked := issued.Stops[0]
	if linked.Client != issued.Invite.Client || linked.Status != connect.StatusSubmitted || linked.Depot != "east" ||
		linked.Source != connect.SourceDispatcher || linked.Ref != "HOST-77" {
		t.Fatalf("linked stop %+v", linked)
	}
	// It waits in the dispatcher's unassigned stops with its client's name.
	stops, _, err := w.svc.UnassignedStops(w.ctx, w.disp, "east", "", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(stops) != 1 || stops[0].Order.ID != linked.ID || stops[0].ClientName != "Quay Florist" {
		t.Fatalf("unassigned stops %+v", stops)
	}
	// The client signs up and finds it.
	acc, err := w.svc.AcceptInvite(w.ctx, issued.Token, connect.SignUp{Name: "Quay Owner", Email: "owner@quay.example", Password: "correct horse battery staple"})
	if err != nil {
		t.Fatal(err)
	}
	page, err := w.svc.Orders(w.ctx, acc.Actor, connect.ListOrdersParams{})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Orders) != 1 || page.Orders[0].ID != linked.ID {
		t.Fatalf("the new client's orders: %+v", page.Orders)
	}
}

// A stop names a client still invited (no number yet) by its id; another
// account's client, or both a number and an id, are refused.
func TestCreateStopsNamesAnInvitedClientByID(t *testing.T) {
	w := newWorld(t)
	invited, err := w.svc.InviteClient(w.ctx, w.disp, connect.InviteClientParams{Name: "Not Yet Ltd"})
	if err != nil {
		t.Fatal(err)
	}
	in := connect.OrderInput{Address: connect.Address{Line1: "1 High St"}}
	out, err := w.svc.CreateStops(w.ctx, w.disp, []connect.StopInput{{Client: invited.Invite.Client, Input: in}})
	if err != nil {
		t.Fatal(err)
	}
	if out[0].Client != invited.Invite.Client {
		t.Fatalf("stop linked to %s", out[0].Client)
	}
	other := connect.AsDispatcher("acct-2", "eve")
	_, err = w.svc.CreateStops(w.ctx, other, []connect.StopInput{{Client: invited.Invite.Client, Input: in}})
	connecttest.WantCode(t, err, connect.Invalid)
	if !strings.Contains(err.Error(), "no client of yours") {
		t.Fatalf("foreign client: %q", err)
	}
	_, err = w.svc.CreateStops(w.ctx, w.disp, []connect.StopInput{{Client: w.client.ID, ClientNumber: string(w.client.Number), Input: in}})
	connecttest.WantCode(t, err, connect.Invalid)
}
