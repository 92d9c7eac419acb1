package connect_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/dispatchkit/connect"
	"github.com/google/go-cmp/cmp"
)

// addClients stores n clients of the account named "<prefix> NNNN", uploads
// allowed, depot north: the rows a dispatcher of many clients has, written in
// one transaction (inviting each would mail n invites).
func (w *world) addClients(account connect.AccountID, prefix string, n int) []connect.ClientID {
	w.t.Helper()
	ids := make([]connect.ClientID, n)
	err := w.store.Tx(w.ctx, func(tx connect.Store) error {
		for i := range n {
			cl := &connect.Client{ID: connect.ClientID(fmt.Sprintf("%s-%s-%04d", account, prefix, i)), Account: account,
				Name: fmt.Sprintf("%s %04d", prefix, i), Status: connect.ClientActive,
				Settings:  connect.ClientSettings{AllowUpload: true, DefaultDepot: "north"},
				CreatedAt: time.Now(), UpdatedAt: time.Now()}
			if err := tx.CreateClient(w.ctx, connect.Scope{Account: account}, cl); err != nil {
				return err
			}
			ids[i] = cl.ID
		}
		return nil
	})
	if err != nil {
		w.t.Fatal(err)
	}
	return ids
}

// clientsBy returns the account's clients by id.
func (w *world) clientsBy(account connect.AccountID) map[connect.ClientID]*connect.Client {
	w.t.Helper()
	list, err := w.store.Clients(w.ctx, connect.Scope{Account: account})
	if err != nil {
		w.t.Fatal(err)
	}
	out := map[connect.ClientID]*connect.Client{}
	for _, cl := range list {
		out[cl.ID] = cl
	}
	return out
}

// TestChangeClientsChangesEveryClientOfASearchWithProgress: 2,000 clients of
// the account match a search, beside clients that do not and another
// account's client whose name matches too; one call stops their uploads in
// batches, with progress that never goes back and ends at the total. Only
// they change. Run again, it counts them done without writing them; then
// they are disabled and enabled again, and given another depot.
func TestChangeClientsChangesEveryClientOfASearchWithProgress(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	const n = 2_000
	closed := w.addClients(w.acct, "Closed Shop", n)
	open := w.addClients(w.acct, "Open Shop", 30)
	foreign := w.addClients("acct-2", "Closed Shop", 3)
	sel := connect.ClientSelection{Matching: &connect.ClientsParams{Search: "closed shop"}}

	var calls [][2]int
	res, err := w.svc.ChangeClients(w.ctx, w.disp, sel, connect.ClientsChange{Action: connect.ClientsStopUploads},
		connect.BulkOptions{Progress: func(done, total int) { calls = append(calls, [2]int{done, total}) }})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(&connect.BulkResult{Matched: n, Done: n}, res); d != "" {
		t.Fatalf("result (-want +got):\n%s", d)
	}
	if d := cmp.Diff([][2]int{{0, n}, {500, n}, {1000, n}, {1500, n}, {2000, n}}, calls); d != "" {
		t.Fatalf("progress (-want +got):\n%s", d)
	}
	mine := w.clientsBy(w.acct)
	for _, id := range closed {
		if cl := mine[id]; cl.Settings.AllowUpload || cl.Version != 2 {
			t.Fatalf("%s after stopping uploads: %+v (version %d)", cl.Name, cl.Settings, cl.Version)
		}
	}
	for _, id := range open {
		if cl := mine[id]; !cl.Settings.AllowUpload || cl.Version != 1 {
			t.Fatalf("%s, not matching, was changed: %+v", cl.Name, cl.Settings)
		}
	}
	for _, cl := range w.clientsBy("acct-2") {
		if !cl.Settings.AllowUpload || cl.Version != 1 {
			t.Fatalf("another account's %s was changed", cl.Name)
		}
	}

	// Again: all done already, nothing written.
	if res, err = w.svc.ChangeClients(w.ctx, w.disp, sel, connect.ClientsChange{Action: connect.ClientsStopUploads}, connect.BulkOptions{}); err != nil || res.Done != n {
		t.Fatalf("again: %+v, %v", res, err)
	}
	if cl := w.clientsBy(w.acct)[closed[7]]; cl.Version != 2 {
		t.Fatalf("a client already without uploads was written again (version %d)", cl.Version)
	}

	// Disable, enable, set the depot: each to every matching client.
	for _, step := range []struct {
		ch    connect.ClientsChange
		check func(*connect.Client) bool
	}{
		{connect.ClientsChange{Action: connect.ClientsDisable}, func(cl *connect.Client) bool { return cl.Status == connect.ClientDisabled }},
		// Never signed up (no number): back to invited, as EnableClient does.
		{connect.ClientsChange{Action: connect.ClientsEnable}, func(cl *connect.Client) bool { return cl.Status == connect.ClientInvited }},
		{connect.ClientsChange{Action: connect.ClientsSetDepot, Depot: "south"}, func(cl *connect.Client) bool { return cl.Settings.DefaultDepot == "south" }},
		{connect.ClientsChange{Action: connect.ClientsAllowUploads}, func(cl *connect.Client) bool { return cl.Settings.AllowUpload }},
	} {
		res, err := w.svc.ChangeClients(w.ctx, w.disp, sel, step.ch, connect.BulkOptions{})
		if err != nil || res.Matched != n || res.Done != n {
			t.Fatalf("%s: %+v, %v", step.ch.Action, res, err)
		}
		mine := w.clientsBy(w.acct)
		for _, id := range closed {
			if !step.check(mine[id]) {
				t.Fatalf("%s: %+v", step.ch.Action, mine[id])
			}
		}
		if cl := mine[open[0]]; cl.Status != connect.ClientActive || cl.Settings.DefaultDepot != "north" {
			t.Fatalf("%s changed a client not matching: %+v", step.ch.Action, cl)
		}
	}
	for _, id := range foreign {
		if cl := w.clientsBy("acct-2")[id]; cl.Version != 1 {
			t.Fatalf("another account's client was changed: %+v", cl)
		}
	}
}

// TestChangeClientsByIDTouchesOnlyTheAccountsClients: clients chosen by id
// (one twice), among them another account's and a made-up id: the account's
// client changes, the others are refused as not found, and another account's
// client is left as it was.
func TestChangeClientsByIDTouchesOnlyTheAccountsClients(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	mine := w.addClients(w.acct, "Mine", 2)
	theirs := w.addClients("acct-2", "Theirs", 1)
	res, err := w.svc.ChangeClients(w.ctx, w.disp, connect.ClientSelection{IDs: []connect.ClientID{mine[0], theirs[0], mine[0], "made-up"}},
		connect.ClientsChange{Action: connect.ClientsSetDepot, Depot: "south"}, connect.BulkOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := &connect.BulkResult{Matched: 1, Done: 1, Refused: 2, Refusals: []connect.BulkRefusal{
		{Client: theirs[0], Code: connect.NotFound, Reason: "no client of yours has the id " + string(theirs[0])},
		{Client: "made-up", Code: connect.NotFound, Reason: "no client of yours has the id made-up"}}}
	if d := cmp.Diff(want, res); d != "" {
		t.Fatalf("result (-want +got):\n%s", d)
	}
	got := w.clientsBy(w.acct)
	if got[mine[0]].Settings.DefaultDepot != "south" || got[mine[1]].Settings.DefaultDepot != "north" {
		t.Fatalf("depots: %q, %q", got[mine[0]].Settings.DefaultDepot, got[mine[1]].Settings.DefaultDepot)
	}
	if cl := w.clientsBy("acct-2")[theirs[0]]; cl.Settings.DefaultDepot != "north" || cl.Version != 1 {
		t.Fatalf("another account's client was changed: %+v", cl)
	}
	// Nothing chosen, or no such change: refused before anything.
	for _, c := range []struct {
		sel connect.ClientSelection
		ch  connect.ClientsChange
	}{
		{connect.ClientSelection{}, connect.ClientsChange{Action: connect.ClientsDisable}},
		{connect.ClientSelection{IDs: mine}, connect.ClientsChange{Action: "delete"}},
	} {
		if _, err := w.svc.ChangeClients(w.ctx, w.disp, c.sel, c.ch, connect.BulkOptions{}); connect.ErrorCode(err) != connect.Invalid {
			t.Fatalf("%+v: err = %v, want invalid", c, err)
		}
	}
	// A member of a client may not.
	if _, err := w.svc.ChangeClients(w.ctx, w.owner, connect.ClientSelection{IDs: mine}, connect.ClientsChange{Action: connect.ClientsDisable},
		connect.BulkOptions{}); connect.ErrorCode(err) != connect.Forbidden {
		t.Fatalf("a member: err = %v, want forbidden", err)
	}
}

// TestChangeClientsStopsWhenItsContextEnds: a run cut short between batches
// says how far it got; what it committed stays, and a second run finishes.
func TestChangeClientsStopsWhenItsContextEnds(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ids := w.addClients(w.acct, "Cut", 700)
	ctx, cancel := context.WithCancel(w.ctx)
	defer cancel()
	sel := connect.ClientSelection{IDs: ids}
	res, err := w.svc.ChangeClients(ctx, w.disp, sel, connect.ClientsChange{Action: connect.ClientsDisable},
		connect.BulkOptions{Progress: func(done, _ int) {
			if done > 0 {
				cancel() // after the first batch
			}
		}})
	if connect.ErrorCode(err) != connect.Unavailable || res == nil || res.Done != 500 {
		t.Fatalf("cut short: %+v, %v", res, err)
	}
	if res, err = w.svc.ChangeClients(w.ctx, w.disp, sel, connect.ClientsChange{Action: connect.ClientsDisable}, connect.BulkOptions{}); err != nil || res.Done != 700 {
		t.Fatalf("again: %+v, %v", res, err)
	}
	after := w.clientsBy(w.acct)
	for _, id := range ids {
		if cl := after[id]; cl.Status != connect.ClientDisabled {
			t.Fatalf("%s is %s", cl.Name, cl.Status)
		}
	}
}
