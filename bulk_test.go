package connect_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/connecttest"
	"github.com/google/go-cmp/cmp"
)

// bulkDrafts imports n drafts of the world's client, refs <prefix>-<number>,
// each with a recipient phone but those numbered in noPhone.
func (w *world) bulkDrafts(prefix string, n int, noPhone ...int) {
	w.t.Helper()
	src := &rowsSource{}
	for i := range n {
		num := i + 2
		in := connect.OrderInput{Ref: fmt.Sprintf("%s-%05d", prefix, num), Address: connect.Address{Line1: strconv.Itoa(num) + " Main St"},
			Recipient: connect.Recipient{Phone: "+1 555 0100"}}
		for _, np := range noPhone {
			if np == num {
				in.Recipient.Phone = ""
			}
		}
		src.rows = append(src.rows, connect.ImportRow{Number: num, Cells: []string{"", in.Address.Line1, in.Ref}, Input: in})
	}
	res, err := w.svc.Import(w.ctx, w.owner, src, connect.ImportOptions{})
	if err != nil || res.Imported != n {
		w.t.Fatalf("importing %d drafts: %+v, %v", n, res, err)
	}
}

// bulkSize is the drafts of the 20k test; CONNECT_TEST_BULK overrides it (20k
// took 15 s on SQLite, 11 s on PostgreSQL, on a loaded 2-CPU machine). Under the
// race detector it is 2k: the same batches and races, in a tenth of the rows.
func bulkSize(t *testing.T) int {
	if s := os.Getenv("CONNECT_TEST_BULK"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if raceDetector {
		return 2_000
	}
	return 20_000
}

// TestSubmitMatchingSubmitsEveryDraftOfASearchOnceWithProgress: 20,000 drafts
// match a search, beside drafts that do not; one Service call submits them in
// batches with progress that never goes back and ends at the total. While it
// runs (from its progress callback, between batches), a draft not yet reached
// is edited and another deleted, an order it already submitted is withdrawn, an
// order submitted before it began is withdrawn, and a new matching draft is
// added: the first two are refused as changed, the withdrawn ones stay drafts
// (nothing is submitted twice), the new one is left alone. Drafts missing a
// field the policy now requires are refused with the reason.
func TestSubmitMatchingSubmitsEveryDraftOfASearchOnceWithProgress(t *testing.T) {
	w := newWorld(t)
	n := bulkSize(t)
	noPhone := []int{7, 8, n / 2}
	w.bulkDrafts("OTHER", 300)
	before := w.OrderFrom(w.owner, connect.StatusSubmitted, connect.OrderInput{Ref: "BULK-EARLY", Address: connect.Address{Line1: "1 Early St"},
		Recipient: connect.Recipient{Phone: "+1 555 0100"}})
	w.bulkDrafts("BULK", n, noPhone...)
	settings := w.client.Settings
	settings.RequiredFields = connect.RequireFields(connect.FieldRecipientPhone)
	if _, err := w.svc.UpdateClient(w.ctx, w.disp, w.client.ID, connect.ClientChanges{Settings: &settings}); err != nil {
		t.Fatal(err)
	}
	// The two the run reaches last: the end of the list it walks.
	var tail []*connect.Order
	for cursor := ""; ; {
		page, err := w.svc.Orders(w.ctx, w.owner, connect.ListOrdersParams{View: connect.ViewDrafts, Search: "BULK-", Limit: 500, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		tail = append(tail, page.Orders...)
		if cursor = page.Next; cursor == "" {
			break
		}
	}
	edited, deleted := tail[len(tail)-1], tail[len(tail)-2]
	var calls [][2]int
	var firstDone *connect.Order
	progress := func(done, total int) {
		calls = append(calls, [2]int{done, total})
		if len(calls) != 2 {
			return
		}
		// After the first batch.
		in := edited.OrderInput
		in.Notes = "changed during the run"
		if _, err := w.svc.UpdateDraft(w.ctx, w.owner, edited.ID, 0, in); err != nil {
			t.Fatal(err)
		}
		if err := w.svc.DeleteDraft(w.ctx, w.owner, deleted.ID, 0); err != nil {
			t.Fatal(err)
		}
		page, err := w.svc.Orders(w.ctx, w.owner, connect.ListOrdersParams{View: connect.ViewActive, Search: "BULK-", Limit: 1})
		if err != nil || len(page.Orders) != 1 {
			t.Fatalf("a submitted order: %v, %v", page, err)
		}
		if firstDone, err = w.svc.Withdraw(w.ctx, w.owner, page.Orders[0].ID); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.Withdraw(w.ctx, w.owner, before.ID); err != nil {
			t.Fatal(err)
		}
		w.OrderFrom(w.owner, connect.StatusDraft, connect.OrderInput{Ref: "BULK-LATE", Address: connect.Address{Line1: "1 Late St"}, Recipient: connect.Recipient{Phone: "+1 555 0100"}})
	}
	res, err := w.svc.SubmitMatching(w.ctx, w.owner, connect.ListOrdersParams{Search: "bulk-"}, connect.BulkOptions{Progress: progress})
	if err != nil {
		t.Fatal(err)
	}

	// Progress: from 0, never back, ends at the total, one call per batch.
	batches := (n + 499) / 500
	if len(calls) != batches+1 || calls[0] != [2]int{0, n} || calls[len(calls)-1] != [2]int{n, n} {
		t.Errorf("progress calls: %d, first %v, last %v; want %d, [0 %d], [%d %d]", len(calls), calls[0], calls[len(calls)-1], batches+1, n, n, n)
	}
	for i := 1; i < len(calls); i++ {
		if calls[i][0] < calls[i-1][0] || calls[i][1] != n {
			t.Fatalf("progress went from %v to %v", calls[i-1], calls[i])
		}
	}

	refused := map[string]connect.Code{}
	for _, r := range res.Refusals {
		refused[r.Ref] = r.Code
	}
	want := map[string]connect.Code{edited.Ref: connect.Conflict, deleted.Ref: connect.NotFound}
	for _, np := range noPhone {
		want[fmt.Sprintf("BULK-%05d", np)] = connect.Invalid
	}
	if d := cmp.Diff(want, refused); d != "" {
		t.Errorf("refusals (-want +got):\n%s\n%+v", d, res.Refusals)
	}
	if d := cmp.Diff(connect.BulkResult{Matched: n, Done: n - len(want), Refused: len(want)},
		connect.BulkResult{Matched: res.Matched, Done: res.Done, Refused: res.Refused, More: res.More}); d != "" {
		t.Errorf("result (-want +got):\n%s", d)
	}

	// What is stored: every matching draft but the refused, the withdrawn and the
	// late ones is submitted, once; the other drafts were not touched.
	st, err := w.svc.OrderStats(w.ctx, w.owner, connect.OrderStatsParams{})
	if err != nil {
		t.Fatal(err)
	}
	// Drafts: 300 others, the refused but the deleted, the withdrawn two, the late one.
	if got, want := st.Counts[connect.StatusDraft], 300+len(want)-1+2+1; got != want {
		t.Errorf("drafts = %d; want %d", got, want)
	}
	if got, want := st.Counts[connect.StatusSubmitted], n-len(want)-1; got != want {
		t.Errorf("submitted = %d; want %d", got, want)
	}
	again, err := w.svc.Order(w.ctx, w.owner, firstDone.ID)
	if err != nil {
		t.Fatal(err)
	}
	submits := 0
	for _, ev := range again.History {
		if ev.Event == connect.EventSubmit {
			submits++
		}
	}
	if again.Status != connect.StatusDraft || submits != 1 {
		t.Errorf("the order withdrawn during the run is %s, submitted %d times; want a draft submitted once", again.Status, submits)
	}
}

// TestWithdrawAndDeleteMatching: withdraw takes the submitted orders of a search
// back to drafts and leaves the scheduled one alone (not submitted: not
// matched); delete removes the drafts of a search and only those.
func TestWithdrawAndDeleteMatching(t *testing.T) {
	w := newWorld(t)
	w.bulkDrafts("KEEP", 20)
	w.bulkDrafts("GO", 1200)
	sub, err := w.svc.SubmitMatching(w.ctx, w.owner, connect.ListOrdersParams{Search: "GO-"}, connect.BulkOptions{})
	if err != nil || sub.Done != 1200 {
		t.Fatalf("submit: %+v, %v", sub, err)
	}
	scheduled := w.OrderFrom(w.owner, connect.StatusScheduled, connect.OrderInput{Ref: "GO-SCHEDULED", Address: connect.Address{Line1: "1 Route St"}})

	var last [2]int
	res, err := w.svc.WithdrawMatching(w.ctx, w.owner, connect.ListOrdersParams{View: connect.ViewActive, Search: "GO-"},
		connect.BulkOptions{Progress: func(done, total int) { last = [2]int{done, total} }})
	if err != nil {
		t.Fatal(err)
	}
	if res.Matched != 1200 || res.Done != 1200 || res.Refused != 0 || last != [2]int{1200, 1200} {
		t.Errorf("withdraw: %+v, last progress %v", res, last)
	}
	if o, err := w.svc.Order(w.ctx, w.owner, scheduled.ID); err != nil || o.Status != connect.StatusScheduled {
		t.Errorf("the scheduled order: %v, %v", o, err)
	}

	del, err := w.svc.DeleteMatching(w.ctx, w.owner, connect.ListOrdersParams{Search: "GO-"}, connect.BulkOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if del.Matched != 1200 || del.Done != 1200 || del.Refused != 0 {
		t.Errorf("delete: %+v", del)
	}
	st, err := w.svc.OrderStats(w.ctx, w.owner, connect.OrderStatsParams{})
	if err != nil {
		t.Fatal(err)
	}
	if st.Counts[connect.StatusDraft] != 20 || st.Counts[connect.StatusScheduled] != 1 {
		t.Errorf("counts after deleting: %v; want 20 drafts and the scheduled order", st.Counts)
	}
	// A filter that is not one is refused before anything is read.
	_, err = w.svc.DeleteMatching(w.ctx, w.owner, connect.ListOrdersParams{Source: "fax"}, connect.BulkOptions{})
	connecttest.WantCode(t, err, connect.Invalid)
}

// TestABulkActionCutShortKeepsItsBatches: a run whose context ends between
// batches stops there with an unavailable error and the result of the batches
// committed, which stay submitted; running it again submits the rest.
func TestABulkActionCutShortKeepsItsBatches(t *testing.T) {
	w := newWorld(t)
	w.bulkDrafts("CUT", 1100)
	ctx, cancel := context.WithCancel(w.ctx)
	defer cancel()
	res, err := w.svc.SubmitMatching(ctx, w.owner, connect.ListOrdersParams{}, connect.BulkOptions{Progress: func(done, _ int) {
		if done > 0 {
			cancel()
		}
	}})
	connecttest.WantCode(t, err, connect.Unavailable)
	if res == nil || res.Matched != 1100 || res.Done != 500 {
		t.Fatalf("result of the cut run: %+v", res)
	}
	if n := w.draftCount(w.owner); n != 600 {
		t.Errorf("drafts left: %d; want 600", n)
	}
	res, err = w.svc.SubmitMatching(w.ctx, w.owner, connect.ListOrdersParams{}, connect.BulkOptions{})
	if err != nil || res.Matched != 600 || res.Done != 600 {
		t.Fatalf("the run again: %+v, %v", res, err)
	}
}
