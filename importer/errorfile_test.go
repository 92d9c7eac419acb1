package importer_test

import (
	"bytes"
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
	must(t, importer.WriteRefused(&buf, header, rows))
	if !bytes.HasPrefix(buf.Bytes(), []byte("\xEF\xBB\xBF")) {
		t.Fatalf("the file should start with a UTF-8 byte order mark: %q", buf.Bytes()[:8])
	}
	got := readCSV(t, buf.Bytes(), importer.Options{})
	want := sheetRows{
		Header: row(1, "Id", "Address", "Zip", "Notes", "Error"),
		Rows: []importer.Row{
			row(2, "A-1", "1 High St", "", "", `column "Zip": Zip is required`),
			row(3, "A-2", "", "Z1", `'=HYPERLINK("http://evil.example","click")`,
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
	wantIgnored := []importer.IgnoredColumn{{Index: 4, Header: importer.RefusedColumn, Reason: importer.IgnoredUnknown}}
	if d := cmp.Diff(wantIgnored, again.Ignored); d != "" {
		t.Fatalf("ignored (-want +got):\n%s", d)
	}
}

func TestWriteRefusedPadsTheHeaderForLongRows(t *testing.T) {
	t.Parallel()
	rows := []connect.RefusedRow{{Number: 2, Cells: []string{"1 High St", "x", "extra"},
		Errors: []connect.FieldError{{Field: connect.FieldSize, Reason: "must be a number"}}}}
	var buf bytes.Buffer
	must(t, importer.WriteRefused(&buf, []string{"Address", "Size"}, rows))
	want := sheetRows{
		Header: row(1, "Address", "Size", "", "Error"),
		Rows:   []importer.Row{row(2, "1 High St", "x", "extra", "Size must be a number")},
	}
	if d := cmp.Diff(want, readCSV(t, buf.Bytes(), importer.Options{})); d != "" {
		t.Fatalf("file read back (-want +got):\n%s", d)
	}
}

func TestWriteRefusedReportsWriteErrors(t *testing.T) {
	t.Parallel()
	if err := importer.WriteRefused(failingWriter{}, []string{"Address"}, nil); err == nil {
		t.Fatal("no error from a failing writer")
	}
}

func TestWriteRefusedReplacesTheErrorColumnOfAFileRefusedAgain(t *testing.T) {
	t.Parallel()
	header := []string{"Id", "Error", "Zip"}
	rows := []connect.RefusedRow{{Number: 2, Cells: []string{"A-1", `column "Zip": Zip is required`, "not a zip"},
		Errors: []connect.FieldError{{Column: "Zip", Field: connect.FieldZip, Reason: "is not a zip"}}}}
	var buf bytes.Buffer
	must(t, importer.WriteRefused(&buf, header, rows))
	want := sheetRows{
		Header: row(1, "Id", "Zip", "Error"),
		Rows:   []importer.Row{row(2, "A-1", "not a zip", `column "Zip": Zip is not a zip`)},
	}
	if d := cmp.Diff(want, readCSV(t, buf.Bytes(), importer.Options{})); d != "" {
		t.Fatalf("file read back (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"Id", "Error", "Zip"}, header); d != "" {
		t.Fatalf("the caller's header changed (-want +got):\n%s", d)
	}
}
