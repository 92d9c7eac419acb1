package connect_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/connecttest"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// refRows returns rows with Ids prefix-1…prefix-n, each with an address but
// those numbered (from 1) in noAddress.
func refRows(prefix string, n int, noAddress ...int) *rowsSource {
	src := &rowsSource{}
	for i := 1; i <= n; i++ {
		in := connect.OrderInput{Ref: fmt.Sprintf("%s-%d", prefix, i), Address: connect.Address{Line1: fmt.Sprintf("%d Main St", i)}}
		for _, x := range noAddress {
			if x == i {
				in.Address.Line1 = ""
			}
		}
		src.rows = append(src.rows, connect.ImportRow{Number: i + 1, Cells: []string{"", in.Address.Line1, in.Ref}, Input: in})
	}
	return src
}

// refsOf lists the orders' references, in the list's order.
func refsOf(orders []*connect.Order) []string {
	out := make([]string, len(orders))
	for i, o := range orders {
		out[i] = o.Ref
	}
	return out
}

// TestAnImportIsRecordedAndItsOrdersCarryIt: an import that stores orders is
// recorded with its name, counts and author, in the same transaction, and
// each of its orders names it, so the list narrows to it; a preview, and an
// import that stores nothing, record nothing; the team's imports are listed
// newest first.
func TestAnImportIsRecordedAndItsOrdersCarryIt(t *testing.T) {
	w := newWorld(t)
	if _, err := w.svc.PreviewImport(w.ctx, w.owner, refRows("P", 3), connect.ImportOptions{Name: "preview.csv"}); err != nil {
		t.Fatal(err)
	}
	first, err := w.svc.Import(w.ctx, w.owner, refRows("A", 5, 4), connect.ImportOptions{Name: "  orders\n.xlsx "})
	if err != nil {
		t.Fatal(err)
	}
	if first.Import == "" || first.Imported != 4 || first.Refused != 1 {
		t.Fatalf("the first import's result: %+v", first)
	}
	w.advance(time.Minute)
	w.draft(w.owner, "BY-HAND")
	second, err := w.svc.Import(w.ctx, w.owner, refRows("B", 2), connect.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// Nothing stored, nothing recorded: every row refused, or one refused in an
	// all-or-nothing file.
	for _, opts := range []connect.ImportOptions{{Name: "empty.csv"}, {Name: "strict.csv", AllOrNothing: true}} {
		src := refRows("C", 2, 1, 2)
		if opts.AllOrNothing {
			src = refRows("D", 2, 2)
		}
		res, _ := w.svc.Import(w.ctx, w.owner, src, opts)
		if res == nil || res.Import != "" || res.Imported != 0 {
			t.Fatalf("%s: %+v", opts.Name, res)
		}
	}

	member := w.join(w.owner, "mo@example.com", connect.RoleMember)
	list, err := w.svc.Imports(w.ctx, member, connect.ImportsParams{})
	if err != nil {
		t.Fatal(err)
	}
	want := []*connect.ImportRecord{
		{ID: second.Import, Account: w.acct, Client: w.client.ID, Source: connect.SourceSpreadsheet, Orders: 2},
		{ID: first.Import, Account: w.acct, Client: w.client.ID, Name: "orders .xlsx", Source: connect.SourceSpreadsheet, Orders: 4, Refused: 1},
	}
	for _, r := range list {
		if !strings.HasPrefix(r.By, "member "+string(w.owner.Member)) {
			t.Errorf("import %s by %q; want the owner", r.ID, r.By)
		}
		r.By = ""
	}
	if len(list) == 2 && list[0].CreatedAt.Sub(list[1].CreatedAt) < time.Minute {
		t.Errorf("the imports were recorded at %v and %v; want them a minute apart", list[1].CreatedAt, list[0].CreatedAt)
	}
	if d := cmp.Diff(want, list, cmpopts.IgnoreFields(connect.ImportRecord{}, "CreatedAt")); d != "" {
		t.Fatalf("the team's imports (-want +got):\n%s", d)
	}

	page, err := w.svc.Orders(w.ctx, w.owner, connect.ListOrdersParams{Import: first.Import})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"A-5", "A-3", "A-2", "A-1"}, refsOf(page.Orders)); d != "" {
		t.Fatalf("the first import's orders (-want +got):\n%s", d)
	}
	for _, o := range page.Orders {
		if o.Import != first.Import {
			t.Fatalf("order %s has Import %q; want %q", o.Ref, o.Import, first.Import)
		}
	}
	if o := must(w.svc.Orders(w.ctx, w.owner, connect.ListOrdersParams{Search: "BY-HAND"}))(t).Orders[0]; o.Import != "" {
		t.Fatalf("an order made by hand has Import %q", o.Import)
	}
	_, err = w.svc.Orders(w.ctx, w.owner, connect.ListOrdersParams{Import: connect.ImportID(strings.Repeat("x", 101))})
	connecttest.WantCode(t, err, connect.Invalid)
}

// TestSubmittingAnImportsDraftsSubmitsThoseAlone: "select all matching" with
// the import filter submits that import's drafts, and no other draft.
func TestSubmittingAnImportsDraftsSubmitsThoseAlone(t *testing.T) {
	w := newWorld(t)
	one := must(w.svc.Import(w.ctx, w.owner, refRows("A", 3), connect.ImportOptions{Name: "a.csv"}))(t)
	must(w.svc.Import(w.ctx, w.owner, refRows("B", 2), connect.ImportOptions{Name: "b.csv"}))(t)
	w.draft(w.owner, "BY-HAND")
	res, err := w.svc.SubmitMatching(w.ctx, w.owner, connect.ListOrdersParams{Import: one.Import}, connect.BulkOptions{})
	if err != nil || res.Matched != 3 || res.Done != 3 {
		t.Fatalf("submit matching: %+v, %v", res, err)
	}
	drafts := must(w.svc.Orders(w.ctx, w.owner, connect.ListOrdersParams{View: connect.ViewDrafts}))(t).Orders
	if d := cmp.Diff([]string{"BY-HAND", "B-2", "B-1"}, refsOf(drafts)); d != "" {
		t.Fatalf("the drafts left (-want +got):\n%s", d)
	}
	res, err = w.svc.DeleteMatching(w.ctx, w.owner, connect.ListOrdersParams{Import: one.Import}, connect.BulkOptions{})
	if err != nil || res.Matched != 0 {
		t.Fatalf("delete matching the submitted import's drafts: %+v, %v", res, err)
	}
}

// TestAStopsFileIsTheAccountsImport: a dispatcher's stops file is recorded
// for the account (no client) while each stop keeps its client; the stops
// list and CancelMatching narrow to it; a team lists its own imports only,
// and a dispatcher may not name another account's client.
func TestAStopsFileIsTheAccountsImport(t *testing.T) {
	w := newWorld(t)
	bakery, bakeryOwner := w.signUpClient(w.disp, "Bakery", connect.ClientSettings{AllowUpload: true, DefaultDepot: "south"})
	mine := must(w.svc.Import(w.ctx, bakeryOwner, refRows("BK", 1), connect.ImportOptions{Name: "bakery.csv"}))(t)
	must(w.svc.SubmitMatching(w.ctx, bakeryOwner, connect.ListOrdersParams{}, connect.BulkOptions{}))(t)
	w.advance(time.Minute)
	if _, err := w.svc.PreviewStops(w.ctx, w.disp, &rowsSource{rows: []connect.ImportRow{stopRow(2, string(w.client.Number), "1 High St", "S-0")}},
		connect.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	stops := must(w.svc.ImportStops(w.ctx, w.disp, &rowsSource{rows: []connect.ImportRow{
		stopRow(2, string(w.client.Number), "1 High St", "S-1"),
		stopRow(3, string(bakery.Number), "2 Mill Lane", "S-2"),
	}}, connect.ImportOptions{Name: "monday.xlsx"}))(t)
	if stops.Import == "" || stops.Imported != 2 {
		t.Fatalf("the stops file: %+v", stops)
	}

	all := must(w.svc.Imports(w.ctx, w.disp, connect.ImportsParams{}))(t)
	if len(all) != 2 || all[0].ID != stops.Import || all[0].Client != "" || all[0].Source != connect.SourceDispatcher ||
		all[0].By != "dispatcher "+w.disp.User || all[1].ID != mine.Import {
		t.Fatalf("the account's imports: %+v", all)
	}
	ofBakery := must(w.svc.Imports(w.ctx, w.disp, connect.ImportsParams{Client: bakery.ID}))(t)
	if len(ofBakery) != 1 || ofBakery[0].ID != mine.Import {
		t.Fatalf("the bakery's imports, as the dispatcher sees them: %+v", ofBakery)
	}
	if got := must(w.svc.Imports(w.ctx, w.owner, connect.ImportsParams{Client: bakery.ID}))(t); len(got) != 0 {
		t.Fatalf("another team's imports leak: %+v", got)
	}

	listed, _, err := w.svc.StopsPage(w.ctx, w.disp, connect.ListOrdersParams{Import: stops.Import})
	if err != nil || len(listed) != 2 || listed[0].Order.Ref != "S-2" || listed[0].Order.Import != stops.Import {
		t.Fatalf("the stops of the file: %+v, %v", listed, err)
	}
	// The bakery sees its own stop of the file, not the grocer's.
	page := must(w.svc.Orders(w.ctx, bakeryOwner, connect.ListOrdersParams{Import: stops.Import}))(t)
	if d := cmp.Diff([]string{"S-2"}, refsOf(page.Orders)); d != "" {
		t.Fatalf("the bakery's orders of the stops file (-want +got):\n%s", d)
	}
	res, err := w.svc.CancelMatching(w.ctx, w.disp, connect.ListOrdersParams{Import: stops.Import}, "wrong file", connect.BulkOptions{})
	if err != nil || res.Matched != 2 || res.Done != 2 {
		t.Fatalf("cancel matching the file: %+v, %v", res, err)
	}
	if left, _, _ := w.svc.StopsPage(w.ctx, w.disp, connect.ListOrdersParams{}); len(left) != 1 || left[0].Order.Ref != "BK-1" {
		t.Fatalf("the stops left: %+v", left)
	}

	_, err = w.svc.Imports(w.ctx, connect.AsDispatcher("another-account", "eve@example.com"), connect.ImportsParams{Client: bakery.ID})
	connecttest.WantCode(t, err, connect.NotFound)
	_, err = w.svc.Imports(w.ctx, w.disp, connect.ImportsParams{Client: "no-such-client"})
	connecttest.WantCode(t, err, connect.NotFound)
}
