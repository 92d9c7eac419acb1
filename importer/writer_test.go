package importer_test

import (
	"bytes"
	"errors"
	"slices"
	"testing"

	"github.com/dispatchkit/connect/importer"
	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"
)

func TestCSVWriterWritesUTF8WithABOMAndEscapesFormulas(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	w := importer.NewCSVWriter(&buf)
	must(t, w.Write([]string{"Name", "Notes", "Longitude"}))
	must(t, w.Write([]string{"Ann, Jr.", `=HYPERLINK("http://x","y")`, "-73.9857"}))
	must(t, w.Write([]string{"Zoë", "two\nlines", "@SUM(A1)"}))
	must(t, w.Flush())
	want := "\xEF\xBB\xBFName,Notes,Longitude\r\n" +
		`"Ann, Jr.","'=HYPERLINK(""http://x"",""y"")",-73.9857` + "\r\n" +
		"Zoë,\"two\r\nlines\",'@SUM(A1)\r\n"
	if d := cmp.Diff(want, buf.String()); d != "" {
		t.Errorf("output (-want +got):\n%s", d)
	}
}

func TestCSVWriterOfNoRowsWritesTheBOM(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	must(t, importer.NewCSVWriter(&buf).Flush())
	if buf.String() != "\xEF\xBB\xBF" {
		t.Errorf("output %q, want only the byte order mark", buf.String())
	}
}

func TestCSVWriterOutputReadsBack(t *testing.T) {
	t.Parallel()
	rows := [][]string{
		{"Name", "Address", "Notes", "Longitude", "Phone"},
		{"Ann", "1 Main St, Apt 2", `she said "hi"`, "-73.9857", "+1 555 0100"},
		{"Bob", "Bahnhofstr. 1", "ring twice,\nthen wait", "8.5417", "=1+1"},
		{"Łódź", "東京", "  spaced  ", "-0.1", "@x"},
	}
	var buf bytes.Buffer
	w := importer.NewCSVWriter(&buf)
	for _, r := range rows {
		must(t, w.Write(r))
	}
	must(t, w.Flush())
	got := readCSV(t, buf.Bytes(), importer.Options{})
	want := sheetRows{
		Header: row(1, rows[0]...),
		Rows: []importer.Row{
			row(2, "Ann", "1 Main St, Apt 2", `she said "hi"`, "-73.9857", "'+1 555 0100"),
			row(3, "Bob", "Bahnhofstr. 1", "ring twice,\nthen wait", "8.5417", "'=1+1"),
			row(4, "Łódź", "東京", "spaced", "-0.1", "'@x"),
		},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("rows read back (-want +got):\n%s", d)
	}
}

// failingWriter fails every write.
type failingWriter struct{}

var errDiskFull = errors.New("disk full")

func (failingWriter) Write([]byte) (int, error) { return 0, errDiskFull }

func TestCSVWriterReportsWriteErrors(t *testing.T) {
	t.Parallel()
	w := importer.NewCSVWriter(failingWriter{})
	if err := w.Write([]string{"a"}); !errors.Is(err, errDiskFull) {
		t.Errorf("Write: %v, want %v", err, errDiskFull)
	}
	if err := w.Flush(); !errors.Is(err, errDiskFull) {
		t.Errorf("Flush: %v, want %v", err, errDiskFull)
	}
}

func TestWriteXLSXOutputReadsBackAsText(t *testing.T) {
	t.Parallel()
	rows := [][]string{
		{"Ann", "1 Main St, Apt 2", `she said "hi"`, "-73.9857", "+1 555 0100", "01234"},
		{"Bob", "", "ring twice,\r\nthen wait", "51.507351", "=1+1", "1.2560"},
		{"Łódź", "東京", "مرحبا 🚚", "-0.1", "@x", "_x000D_"},
	}
	var buf bytes.Buffer
	must(t, importer.WriteXLSX(&buf, "Orders", []string{"Name", "Address", "Notes", "Longitude", "Phone", "Zip"},
		slices.Values(rows)))
	got := readXLSX(t, buf.Bytes(), importer.Options{SheetName: "Orders"})
	want := sheetRows{
		Header: row(1, "Name", "Address", "Notes", "Longitude", "Phone", "Zip"),
		Rows: []importer.Row{
			row(2, "Ann", "1 Main St, Apt 2", `she said "hi"`, "-73.9857", "'+1 555 0100", "01234"),
			row(3, "Bob", "", "ring twice,\r\nthen wait", "51.507351", "'=1+1", "1.2560"),
			row(4, "Łódź", "東京", "مرحبا 🚚", "-0.1", "'@x", "_x000D_"),
		},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("rows read back (-want +got):\n%s", d)
	}
	// Every cell is text: a spreadsheet program keeps the zip's leading zero.
	f, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
	must(t, err)
	defer f.Close()
	for _, cell := range []string{"D2", "F2", "F3"} {
		typ, err := f.GetCellType("Orders", cell)
		must(t, err)
		if typ != excelize.CellTypeInlineString {
			t.Errorf("cell %s has type %v, want text", cell, typ)
		}
	}
}
