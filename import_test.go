package connect_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/dispatchkit/connect"
	"github.com/google/go-cmp/cmp"
)

// rowsSource is an ImportSource over rows made in the test; fail, when set, is
// returned instead of the row of that number.
type rowsSource struct {
	rows []connect.ImportRow
	next int
	fail map[int]error
}

func (s *rowsSource) Header() []string { return []string{"Client ID", "Address Line 1", "Id"} }

func (s *rowsSource) Column(f connect.Field) string {
	return map[connect.Field]string{connect.FieldClientNumber: "Client ID", connect.FieldAddressLine1: "Address Line 1", connect.FieldRef: "Id"}[f]
}

func (s *rowsSource) Next(context.Context) (connect.ImportRow, error) {
	if s.next == len(s.rows) {
		return connect.ImportRow{}, io.EOF
	}
	r := s.rows[s.next]
	s.next++
	if err := s.fail[r.Number]; err != nil {
		return connect.ImportRow{}, err
	}
	return r, nil
}

// manyRows returns n rows numbered from 2 (under a header), Id R-<number>; the
// rows numbered in noAddress have no address.
func manyRows(n int, noAddress ...int) *rowsSource {
	src := &rowsSource{}
	for i := range n {
		num := i + 2
		in := connect.OrderInput{Ref: fmt.Sprintf("R-%05d", num), Address: connect.Address{Line1: fmt.Sprintf("%d Main St", num)}}
		if slices.Contains(noAddress, num) {
			in.Address.Line1 = ""
		}
		src.rows = append(src.rows, connect.ImportRow{Number: num, Cells: []string{"", in.Address.Line1, in.Ref}, Input: in})
	}
	return src
}

func (w *world) draftCount(a connect.Actor) int {
	w.t.Helper()
	n := 0
	cursor := ""
	for {
		page, err := w.svc.Orders(w.ctx, a, connect.ListOrdersParams{View: connect.ViewDrafts, Limit: 500, Cursor: cursor})
		if err != nil {
			w.t.Fatal(err)
		}
		n += len(page.Orders)
		if page.Next == "" {
			return n
		}
		cursor = page.Next
	}
}

// TestImportOverManyBatchesReportsEveryRowInOrder: a file of several batches, with
// Ids already stored (found while an earlier batch is being stored and later rows
// are read), a repeated Id and rows missing their address, is reported row by row
// in file order, and every other row is stored.
func TestImportOverManyBatchesReportsEveryRowInOrder(t *testing.T) {
	w := newWorld(t)
	for _, ref := range []string{"R-00100", "R-03000", "R-06001"} {
		w.draft(w.owner, ref)
	}
	const n = 6000
	src := manyRows(n, 50, 2999, 5000)
	src.rows[4000].Input.Ref = "R-00010" // row 4002 repeats row 10's Id
	var progress []connect.ImportProgress
	res, err := w.svc.Import(w.ctx, w.owner, src, connect.ImportOptions{Progress: func(p connect.ImportProgress) {
		progress = append(progress, p)
	}})
	if err != nil {
		t.Fatal(err)
	}
	type refusal struct {
		Row    int
		Reason string
	}
	var got []refusal
	for _, r := range res.RefusedRows {
		got = append(got, refusal{r.Number, string(r.Errors[0].Field) + ": " + r.Errors[0].Reason})
	}
	want := []refusal{
		{50, "address_line_1: is required"},
		{100, `id: "R-00100" was already imported`},
		{2999, "address_line_1: is required"},
		{3000, `id: "R-03000" was already imported`},
		{4002, `id: "R-00010" is a duplicate of row 10`},
		{5000, "address_line_1: is required"},
		{6001, `id: "R-06001" was already imported`},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("refused rows (-want +got):\n%s", d)
	}
	if res.Read != n || res.Imported != n-len(want) || res.Refused != len(want) || res.Duplicates != 4 {
		t.Fatalf("read %d, imported %d, refused %d, duplicates %d", res.Read, res.Imported, res.Refused, res.Duplicates)
	}
	if got := w.draftCount(w.owner); got != res.Imported+3 {
		t.Fatalf("%d drafts stored, want %d", got, res.Imported+3)
	}
	last := progress[len(progress)-1]
	if last.Read != n || last.Stored != res.Imported {
		t.Fatalf("last progress %+v, want %d read and %d stored", last, n, res.Imported)
	}
	for i := 1; i < len(progress); i++ {
		if progress[i].Read < progress[i-1].Read || progress[i].Stored < progress[i-1].Stored {
			t.Fatalf("progress went back: %+v after %+v", progress[i], progress[i-1])
		}
	}
}

// TestAnImportThatFailsHalfwayStoresNothing: a file that cannot be read on after
// some batches were stored, or an import whose context ends, leaves no draft.
func TestAnImportThatFailsHalfwayStoresNothing(t *testing.T) {
	w := newWorld(t)
	broken := errors.New("the file is cut short")
	src := manyRows(5200)
	src.fail = map[int]error{5150: broken} // after two batches went to be stored
	if _, err := w.svc.Import(w.ctx, w.owner, src, connect.ImportOptions{}); !errors.Is(err, broken) {
		t.Fatalf("import of a broken file: %v, want %v", err, broken)
	}
	ctx, cancel := context.WithCancel(w.ctx)
	_, err := w.svc.Import(ctx, w.owner, manyRows(5200), connect.ImportOptions{Progress: func(p connect.ImportProgress) {
		if p.Stored > 0 {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("import cancelled midway: %v", err)
	}
	if n := w.draftCount(w.owner); n != 0 {
		t.Fatalf("%d drafts stored by failed imports", n)
	}
}

// TestReimportingRowsWithoutIdsFindsThem: rows without an Id are known again by
// their content when the same file is imported again, as many times as they were
// imported (the same row twice in a file is two orders), across batches, written
// with other case and spacing, and after their drafts were edited; a changed row
// and an extra copy are new.
func TestReimportingRowsWithoutIdsFindsThem(t *testing.T) {
	w := newWorld(t)
	const n = 5200 // three batches
	rows := func() *rowsSource {
		src := manyRows(n)
		for i := range src.rows {
			in := &src.rows[i].Input
			in.Ref = ""
			in.Address.Line1 = fmt.Sprintf("%d Main St", i%3000) // rows i and i+3000 are alike
			in.Recipient.Name = "Ada Lovelace"
		}
		return src
	}
	first, err := w.svc.Import(w.ctx, w.owner, rows(), connect.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if first.Imported != n || first.Refused != 0 {
		t.Fatalf("first import: imported %d, refused %d; want all %d", first.Imported, first.Refused, n)
	}

	// Edit one draft: it was still imported from that row.
	page, err := w.svc.Orders(w.ctx, w.owner, connect.ListOrdersParams{View: connect.ViewDrafts, Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	edited := page.Orders[0]
	in := edited.OrderInput
	in.Notes = "changed by hand"
	if _, err := w.svc.UpdateDraft(w.ctx, w.owner, edited.ID, edited.Version, in); err != nil {
		t.Fatal(err)
	}

	again := rows()
	again.rows[7].Input.Address.Line1 = "  7   MAIN st " // the same, written otherwise
	again.rows[8].Input.Recipient.Name = "Grace Hopper"  // changed: a new order
	extra := again.rows[9]                               // a third copy of row 9's order
	extra.Number = n + 2
	again.rows = append(again.rows, extra)
	res, err := w.svc.Import(w.ctx, w.owner, again, connect.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Imported != 2 || res.Duplicates != n-1 || res.Refused != n-1 {
		t.Fatalf("re-import: imported %d, duplicates %d, refused %d; want 2, %d, %d", res.Imported, res.Duplicates, res.Refused, n-1, n-1)
	}
	for _, r := range res.RefusedRows {
		if len(r.Errors) != 1 || r.Errors[0].Field != connect.FieldRef || !strings.Contains(r.Errors[0].Reason, "already imported") {
			t.Fatalf("row %d refused with %+v, want already imported", r.Number, r.Errors)
		}
	}
	refused := map[int]bool{}
	for _, r := range res.RefusedRows {
		refused[r.Number] = true
	}
	if refused[10] || !refused[11] || refused[n+2] {
		t.Fatalf("row 10 (changed) refused: %v; row 11 refused: %v; the extra copy refused: %v", refused[10], refused[11], refused[n+2])
	}
	if got := w.draftCount(w.owner); got != n+2 {
		t.Fatalf("%d drafts stored, want %d", got, n+2)
	}
}
