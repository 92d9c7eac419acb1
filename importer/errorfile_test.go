package importer_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/importer"
	"github.com/google/go-cmp/cmp"
)

func TestWriteRefusedWritesAFileToFixAndUploadAgain(t *testing.T) {
	t.Parallel()
	header := []string{"Id", "Address", "Zip", "Notes"}
	rows := []connect.RefusedRow{
		{Number: 3, Cells: []string{"A-1", "1 High St"}, Errors: []connect.FieldError{
			{Row: 3, Column: "Zip", Field: connect.FieldZip, Reason: "is required"},
		}},
		{Number: 7, Cells: []string{"A-2", "", "Z1", `=HYPERLINK("http://evil.example","click")`}, Errors: []connect.FieldError{
			{Row: 7, Column: "Address", Field: connect.FieldAddressLine1, Reason: "is required"},
			{Row: 7, Column: "Id", Field: connect.FieldRef, Reason: `"A-2" was already imported`},
		}},
	}
	var buf bytes.Buffer
	must(t, importer.WriteRefused(&buf, header, rows, importer.RefusedOptions{}))
	if !bytes.HasPrefix(buf.Bytes(), []byte("\xEF\xBB\xBF")) {
		t.Fatalf("the file should start with a UTF-8 byte order mark: %q", buf.Bytes()[:8])
	}
	got := readCSV(t, buf.Bytes(), importer.Options{})
	want := sheetRows{
		Header: row(1, "Id", "Address", "Zip", "Notes", "Original row", "Error"),
		Rows: []importer.Row{
			row(2, "A-1", "1 High St", "", "", "3", `column "Zip": Zip is required`),
			row(3, "A-2", "", "Z1", `'=HYPERLINK("http://evil.example","click")`, "7",
				`column "Address": Address Line 1 is required; column "Id": Id "A-2" was already imported`),
		},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("file read back (-want +got):\n%s", d)
	}
	// The file maps as the original did; the Error column is ignored.
	original := importer.MapHeader(header, importer.MappingOptions{})
	again := importer.MapHeader(got.Header.Cells, importer.MappingOptions{})
	if d := cmp.Diff(original.Mapped, again.Mapped); d != "" {
		t.Fatalf("mapped (-original +again):\n%s", d)
	}
	wantIgnored := []importer.IgnoredColumn{
		{Index: 4, Header: importer.OriginalRowColumn, Reason: importer.IgnoredUnknown},
		{Index: 5, Header: importer.RefusedColumn, Reason: importer.IgnoredUnknown},
	}
	if d := cmp.Diff(wantIgnored, again.Ignored); d != "" {
		t.Fatalf("ignored (-want +got):\n%s", d)
	}
}

func TestWriteRefusedPadsTheHeaderForLongRows(t *testing.T) {
	t.Parallel()
	rows := []connect.RefusedRow{{Number: 2, Cells: []string{"1 High St", "x", "extra"},
		Errors: []connect.FieldError{{Field: connect.FieldSize, Reason: "must be a number"}}}}
	var buf bytes.Buffer
	must(t, importer.WriteRefused(&buf, []string{"Address", "Size"}, rows, importer.RefusedOptions{}))
	want := sheetRows{
		Header: row(1, "Address", "Size", "", "Original row", "Error"),
		Rows:   []importer.Row{row(2, "1 High St", "x", "extra", "2", "Size must be a number")},
	}
	if d := cmp.Diff(want, readCSV(t, buf.Bytes(), importer.Options{})); d != "" {
		t.Fatalf("file read back (-want +got):\n%s", d)
	}
}

func TestWriteRefusedReportsWriteErrors(t *testing.T) {
	t.Parallel()
	if err := importer.WriteRefused(failingWriter{}, []string{"Address"}, nil, importer.RefusedOptions{}); err == nil {
		t.Fatal("no error from a failing writer")
	}
}

func TestWriteRefusedReplacesTheColumnsOfAFileRefusedAgain(t *testing.T) {
	t.Parallel()
	header := []string{"Id", "Sheet", "Original row", "Error", "Zip"}
	rows := []connect.RefusedRow{{Number: 2, Cells: []string{"A-1", "Week 1", "7", `column "Zip": Zip is required`, "not a zip"},
		Errors: []connect.FieldError{{Column: "Zip", Field: connect.FieldZip, Reason: "is not a zip"}}}}
	var buf bytes.Buffer
	must(t, importer.WriteRefused(&buf, header, rows, importer.RefusedOptions{}))
	want := sheetRows{
		Header: row(1, "Id", "Zip", "Original row", "Error"),
		Rows:   []importer.Row{row(2, "A-1", "not a zip", "2", `column "Zip": Zip is not a zip`)},
	}
	if d := cmp.Diff(want, readCSV(t, buf.Bytes(), importer.Options{})); d != "" {
		t.Fatalf("file read back (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"Id", "Sheet", "Original row", "Error", "Zip"}, header); d != "" {
		t.Fatalf("the caller's header changed (-want +got):\n%s", d)
	}
}

func TestWriteRefusedKeepsTheSourcesDelimiterAndItsNumbers(t *testing.T) {
	t.Parallel()
	header := []string{"Id", "Address", "Longitude", "Notes"}
	rows := []connect.RefusedRow{
		{Number: 4, Sheet: "Week 1", Cells: []string{"A-1", "1 Rue Haute", "-0,1276", "-2 floors; =1+1"},
			Errors: []connect.FieldError{{Field: connect.FieldZip, Reason: "is required"}}},
		{Number: 9, Sheet: "Week 2", Cells: []string{"A-2", "", "-7,5"},
			Errors: []connect.FieldError{{Field: connect.FieldAddressLine1, Reason: "is required"}}},
	}
	var buf bytes.Buffer
	must(t, importer.WriteRefused(&buf, header, rows, importer.RefusedOptions{Delimiter: ';'}))
	text := strings.TrimPrefix(buf.String(), "\xEF\xBB\xBF")
	want := "Id;Address;Longitude;Notes;Sheet;Original row;Error\r\n" +
		"A-1;1 Rue Haute;-0,1276;\"'-2 floors; =1+1\";Week 1;4;Zip is required\r\n" +
		"A-2;;-7,5;;Week 2;9;Address Line 1 is required\r\n"
	if d := cmp.Diff(want, text); d != "" {
		t.Fatalf("file (-want +got):\n%s", d)
	}
}
