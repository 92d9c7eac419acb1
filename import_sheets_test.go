package connect_test

import (
	"testing"

	"github.com/dispatchkit/connect"
	"github.com/google/go-cmp/cmp"
)

// sheetsSource is a rowsSource of a workbook: it takes a sheet choice and has
// warnings about the file.
type sheetsSource struct {
	rowsSource
	selected [][]string // each SelectSheets call's sheets
	skip     bool
	warnings []connect.FieldError
	refuse   error
}

func (s *sheetsSource) SelectSheets(sheets []string, skipHiddenRows bool) error {
	s.selected = append(s.selected, sheets)
	s.skip = skipHiddenRows
	return s.refuse
}

func (s *sheetsSource) ImportWarnings() []connect.FieldError { return s.warnings }

func TestImportAppliesTheSheetChoiceBeforeReading(t *testing.T) {
	w := newWorld(t)
	src := &sheetsSource{rowsSource: *manyRows(2)}
	res, err := w.svc.PreviewImport(w.ctx, w.owner, src, connect.ImportOptions{Sheets: []string{"Week 1", "Week 2"}, SkipHiddenRows: true})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([][]string{{"Week 1", "Week 2"}}, src.selected); d != "" || !src.skip {
		t.Fatalf("SelectSheets calls (-want +got):\n%s; skip hidden rows %v", d, src.skip)
	}
	if res.Read != 2 {
		t.Fatalf("read %d rows", res.Read)
	}

	// A source that cannot read the sheets together refuses the import before
	// anything is read or stored.
	bad := &sheetsSource{rowsSource: *manyRows(2), refuse: connect.Errorf(connect.Invalid, "the sheets differ")}
	if _, err := w.svc.Import(w.ctx, w.owner, bad, connect.ImportOptions{Sheets: []string{"A", "B"}}); connect.ErrorCode(err) != connect.Invalid {
		t.Fatalf("Import: %v, want invalid", err)
	}
	if bad.next != 0 || w.draftCount(w.owner) != 0 {
		t.Fatalf("read %d rows, stored %d drafts", bad.next, w.draftCount(w.owner))
	}
	// A source without sheets refuses a sheet choice, and takes no choice of
	// hidden rows as nothing to skip.
	if _, err := w.svc.PreviewImport(w.ctx, w.owner, manyRows(1), connect.ImportOptions{Sheets: []string{"A"}}); connect.ErrorCode(err) != connect.Invalid {
		t.Fatalf("PreviewImport with sheets of a source without: %v, want invalid", err)
	}
	if _, err := w.svc.PreviewImport(w.ctx, w.owner, manyRows(1), connect.ImportOptions{SkipHiddenRows: true}); err != nil {
		t.Fatalf("PreviewImport skipping hidden rows of a source without: %v", err)
	}
}

func TestImportReportsTheFilesWarningsThenTheRows(t *testing.T) {
	w := newWorld(t)
	src := &sheetsSource{rowsSource: *manyRows(3), warnings: []connect.FieldError{
		{Reason: `Sheet "Week 2" has 340 rows and was not imported`}}}
	src.rows[1].Warnings = []connect.FieldError{{Field: connect.FieldRef, Reason: "has a formula whose result is not saved"}}
	src.rows[2].Sheet = "Week 1"
	src.rows[2].Warnings = []connect.FieldError{{Field: connect.FieldAddressLine1, Reason: "shows as 4.47911E+11"}}
	res, err := w.svc.Import(w.ctx, w.owner, src, connect.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := []connect.FieldError{
		{Reason: `Sheet "Week 2" has 340 rows and was not imported`},
		{Row: 3, Column: "Id", Field: connect.FieldRef, Reason: "has a formula whose result is not saved"},
		{Sheet: "Week 1", Row: 4, Column: "Address Line 1", Field: connect.FieldAddressLine1, Reason: "shows as 4.47911E+11"},
	}
	if d := cmp.Diff(want, res.Warnings); d != "" {
		t.Fatalf("warnings (-want +got):\n%s", d)
	}
	if res.Imported != 3 || res.Refused != 0 {
		t.Fatalf("imported %d, refused %d: warnings refuse nothing", res.Imported, res.Refused)
	}
	if got := want[2].String(); got != `sheet "Week 1", row 4, column "Address Line 1": Address Line 1 shows as 4.47911E+11` {
		t.Fatalf("String() = %q", got)
	}
}

func TestImportComparesIdsWithinAFileWithoutCase(t *testing.T) {
	w := newWorld(t)
	src := manyRows(3)
	src.rows[0].Input.Ref = "ORD-1"
	src.rows[1].Input.Ref = " ord-1 "
	src.rows[1].Sheet = "Week 2"
	src.rows[2].Input.Ref = "Ord-2"
	res, err := w.svc.Import(w.ctx, w.owner, src, connect.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := []connect.RefusedRow{{Number: 3, Sheet: "Week 2", Cells: src.rows[1].Cells, Errors: []connect.FieldError{
		{Sheet: "Week 2", Row: 3, Column: "Id", Field: connect.FieldRef, Reason: `"ord-1" is a duplicate of row 2`}}}}
	if d := cmp.Diff(want, res.RefusedRows); d != "" {
		t.Fatalf("refused (-want +got):\n%s", d)
	}
	if res.Duplicates != 1 || res.Imported != 2 {
		t.Fatalf("duplicates %d, imported %d", res.Duplicates, res.Imported)
	}
}
