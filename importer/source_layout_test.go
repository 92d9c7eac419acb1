package importer_test

import (
	"strings"
	"testing"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/importer"
	"github.com/google/go-cmp/cmp"
)

// warnings returns the Source's warnings as text.
func warnings(src *importer.Source) []string {
	var out []string
	for _, w := range src.ImportWarnings() {
		out = append(out, w.String())
	}
	return out
}

func TestSourceFindsTheHeaderBelowATitle(t *testing.T) {
	t.Parallel()
	data := csvFile("Orders for week 49;;;", "Printed 2 December;;;", "", "Id;Address Line 1;City;Zip", "W-1;1 Main St;Bern;3000")
	src := openSource(t, data, "week49.csv", importer.SourceOptions{})
	if d := cmp.Diff([]string{"Id", "Address Line 1", "City", "Zip"}, src.Header()); d != "" {
		t.Fatalf("header (-want +got):\n%s", d)
	}
	rows := sourceRows(t, src)
	if len(rows) != 1 || rows[0].Number != 5 || rows[0].Input.Address.Line1 != "1 Main St" || rows[0].Input.Ref != "W-1" {
		t.Fatalf("rows %+v", rows)
	}
	l := src.Layout()
	if l.HeaderRow != 4 || len(l.Skipped) != 2 || l.Delimiter != ';' {
		t.Fatalf("layout %+v", l)
	}
	want := []string{`2 rows above the header (row 4) were skipped: "Orders for week 49", "Printed 2 December"`}
	if d := cmp.Diff(want, warnings(src)); d != "" {
		t.Fatalf("warnings (-want +got):\n%s", d)
	}
}

// instructionsWorkbook has an Instructions sheet, then two weeks of orders with a
// title above the header, then an empty sheet.
func instructionsWorkbook(t *testing.T) []byte {
	week := func(name, title string, refs ...string) *xsheet {
		sh := &xsheet{name: name, merges: []string{"A1:D1"}, rows: []xrow{
			textRow(1, title), textRow(3, "Id", "Address Line 1", "City", "Zip")}}
		for i, ref := range refs {
			sh.rows = append(sh.rows, textRow(4+i, ref, "1 Main St", "Bern", "3000"))
		}
		return sh
	}
	return (&xbook{flavor: "libreoffice", sheets: []*xsheet{
		{name: "Instructions", rows: []xrow{
			textRow(1, "How to fill in this workbook"),
			textRow(2, "Address Line 1", "The street and number"),
			textRow(3, "Zip", "The postcode")}},
		week("Week 1", "Orders for week 1", "W1-1", "W1-2"),
		week("Week 2", "Orders for week 2", "W2-1", "W2-2", "W2-3"),
		{name: "Notes"},
	}}).bytes(t)
}

func TestSourceChoosesTheFirstSheetWhoseHeaderMaps(t *testing.T) {
	t.Parallel()
	src := openSource(t, instructionsWorkbook(t), "orders.xlsx", importer.SourceOptions{})
	rows := sourceRows(t, src)
	if len(rows) != 2 || rows[0].Input.Ref != "W1-1" || rows[0].Sheet != "" {
		t.Fatalf("rows %+v, want Week 1's two", rows)
	}
	want := []importer.SheetSummary{
		{Name: "Instructions", Rows: 3, HeaderRow: 2},
		{Name: "Week 1", Rows: 2, HeaderRow: 3, Maps: true, SameHeader: true, Chosen: true},
		{Name: "Week 2", Rows: 3, HeaderRow: 3, Maps: true, SameHeader: true},
		{Name: "Notes", Problem: `the sheet "Notes" is empty: it has no row with a value`, Empty: true},
	}
	if d := cmp.Diff(want, src.Layout().Sheets); d != "" {
		t.Fatalf("sheets (-want +got):\n%s", d)
	}
	wantWarnings := []string{
		`Sheet "Instructions" has 3 rows and was not imported; choose it to import it instead`,
		`Sheet "Week 2" has 3 rows with the same columns and was not imported; choose it to import it too`,
		`1 row above the header (row 3) was skipped: "Orders for week 1"`,
	}
	if d := cmp.Diff(wantWarnings, warnings(src)); d != "" {
		t.Fatalf("warnings (-want +got):\n%s", d)
	}
}

func TestSourceImportsSheetsWithTheSameHeaderTogether(t *testing.T) {
	t.Parallel()
	data := instructionsWorkbook(t)
	src := openSource(t, data, "orders.xlsx", importer.SourceOptions{})
	must(t, src.SelectSheets([]string{"week 2", "WEEK 1"}, false))
	var got []string
	for _, r := range sourceRows(t, src) {
		got = append(got, r.Sheet+" "+itoa(r.Number)+" "+r.Input.Ref)
	}
	want := []string{"Week 2 4 W2-1", "Week 2 5 W2-2", "Week 2 6 W2-3", "Week 1 4 W1-1", "Week 1 5 W1-2"}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("rows (-want +got):\n%s", d)
	}
	for _, bad := range [][]string{{"Week 1", "Instructions"}, {"Week 3"}, {"Notes"}, {"Week 1", "week 1"}} {
		other := openSource(t, data, "orders.xlsx", importer.SourceOptions{})
		if err := other.SelectSheets(bad, false); connect.ErrorCode(err) != connect.Invalid {
			t.Errorf("SelectSheets(%q): %v, want invalid", bad, err)
		}
	}
	if _, err := src.Next(t.Context()); err == nil || src.SelectSheets([]string{"Week 1"}, false) == nil {
		t.Fatalf("choosing sheets after reading should fail")
	}
}

func TestSourceSkipsHiddenRowsOnlyWhenTold(t *testing.T) {
	t.Parallel()
	book := &xbook{flavor: "google", sheets: []*xsheet{{name: "Sheet1", rows: []xrow{
		textRow(1, "Id", "Address"),
		textRow(2, "A-1", "1 Main St"),
		{n: 3, hidden: true, cells: []xcell{txt(1, "A-2"), txt(2, "2 Main St")}},
		{n: 4, hidden: true, cells: []xcell{txt(1, "A-3"), txt(2, "3 Main St")}},
		textRow(5, "A-4", "4 Main St"),
	}}}}
	data := book.bytes(t)
	for _, skip := range []bool{false, true} {
		src := openSource(t, data, "", importer.SourceOptions{SkipHiddenRows: skip})
		var refs []string
		for _, r := range sourceRows(t, src) {
			refs = append(refs, r.Input.Ref)
		}
		want, warning := []string{"A-1", "A-2", "A-3", "A-4"}, "2 rows hidden in the sheet were imported (rows 3, 4); choose to skip hidden rows to leave them out"
		if skip {
			want, warning = []string{"A-1", "A-4"}, "2 rows hidden in the sheet were not imported (rows 3, 4)"
		}
		if d := cmp.Diff(want, refs); d != "" {
			t.Errorf("skip %v: rows (-want +got):\n%s", skip, d)
		}
		if d := cmp.Diff([]string{warning}, warnings(src)); d != "" {
			t.Errorf("skip %v: warnings (-want +got):\n%s", skip, d)
		}
	}
}

func TestSourceReadsNumbersAsStoredAndTextAsShown(t *testing.T) {
	t.Parallel()
	book := &xbook{flavor: "excel", formats: []string{"0.00", "00000"}, sheets: []*xsheet{{name: "Sheet1", rows: []xrow{
		textRow(1, "Id", "Address", "Zip", "Latitude", "Longitude", "Size", "Phone", "Package count"),
		{n: 2, cells: []xcell{num(1, 1001, 0), txt(2, "1 Main St"), num(3, 2134, 2), num(4, 51.507351, 1),
			num(5, -0.127758, 1), num(6, 1.256, 1), num(7, 447911123456, 0), num(8, 2, 1)}},
	}}}}
	src := openSource(t, book.bytes(t), "", importer.SourceOptions{})
	rows := sourceRows(t, src)
	want := []connect.ImportRow{{
		Number: 2,
		Cells:  []string{"1001", "1 Main St", "02134", "51.507351", "-0.127758", "1.256", "447911123456", "2"},
		Input: connect.OrderInput{Ref: "1001", PackageCount: 2, Size: dec("1.256"),
			Address:   connect.Address{Line1: "1 Main St", Zip: "02134", Latitude: dec("51.507351"), Longitude: dec("-0.127758")},
			Recipient: connect.Recipient{Phone: "447911123456"}},
		Warnings: []connect.FieldError{{Field: connect.FieldRecipientPhone, Reason: "shows as 4.47911E+11 in a spreadsheet " +
			"program (scientific notation); all its digits are imported: 447911123456"}},
	}}
	if d := cmp.Diff(want, rows, equalDecimals); d != "" {
		t.Fatalf("rows (-want +got):\n%s", d)
	}
}

func TestSourceRefusesTheRowOfACellOverTheLimit(t *testing.T) {
	t.Parallel()
	data := csvFile("Id,Address,Notes,Colour", "A-1,1 Main St,"+strings.Repeat("x", 40_000)+",blue", "A-2,2 Main St,ok,"+strings.Repeat("y", 40_000))
	rows := sourceRows(t, openSource(t, data, "", importer.SourceOptions{}))
	if len(rows) != 2 {
		t.Fatalf("%d rows", len(rows))
	}
	want := []connect.FieldError{{Field: connect.FieldNotes, Reason: "is longer than the limit of 32 KiB (40000 bytes)"}}
	if d := cmp.Diff(want, rows[0].Problems); d != "" {
		t.Errorf("problems of the row with a long note (-want +got):\n%s", d)
	}
	if len(rows[1].Problems) > 0 {
		t.Errorf("a long cell in a column that is not imported refuses nothing: %+v", rows[1].Problems)
	}
}

func TestSourcePrefersAVisibleColumnAndShowsWhatItDidNotTake(t *testing.T) {
	t.Parallel()
	book := &xbook{flavor: "excel", sheets: []*xsheet{{name: "Sheet1", hiddenCols: []int{2}, rows: []xrow{
		textRow(1, "Address", "Phone (old)", "Recipient Phone Number", "Email - do not use", "Mobile"),
		textRow(2, "1 Main St", "020 0000 0000", "020 7946 0018", "old@example.com", "07700 900123"),
	}}}}
	src := openSource(t, book.bytes(t), "", importer.SourceOptions{})
	rows := sourceRows(t, src)
	if got := rows[0].Input.Recipient; got != (connect.Recipient{Phone: "020 7946 0018"}) {
		t.Fatalf("recipient %+v, want the visible phone and no email", got)
	}
	want := []string{
		`Column "Phone (old)" is hidden in the sheet and is not imported`,
		`Columns "Phone (old)", "Recipient Phone Number" and "Mobile" could each be Recipient Phone Number; "Recipient Phone Number" is imported: choose another in the mapping if it is not the right one`,
		`Column "Phone (old)" looks like Recipient Phone Number, but its name says "old", so it is not imported; choose it in the mapping if it holds the Recipient Phone Number`,
		`Column "Email - do not use" looks like Recipient Email Address, but its name says "do not use", so it is not imported; choose it in the mapping if it holds the Recipient Email Address`,
	}
	if d := cmp.Diff(want, warnings(src)); d != "" {
		t.Fatalf("warnings (-want +got):\n%s", d)
	}
}

func TestOpenSourceOfACSVFileIgnoresTheSheetName(t *testing.T) {
	t.Parallel()
	src := openSource(t, csvFile("Address", "1 Main St"), "orders.csv", importer.SourceOptions{Options: importer.Options{SheetName: "Orders"}})
	if rows := sourceRows(t, src); len(rows) != 1 {
		t.Fatalf("rows %+v", rows)
	}
	if _, err := importer.OpenSource(strings.NewReader("Address\n1 Main St\n"), 19, "orders.csv", importer.SourceOptions{Sheets: []string{"Orders"}}); connect.ErrorCode(err) != connect.Invalid {
		t.Fatalf("choosing a sheet of a CSV file: %v, want invalid", err)
	}
}
