package importer_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/dispatchkit/connect/importer"
	"github.com/google/go-cmp/cmp"
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
