package importer_test

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/importer"
	"github.com/google/go-cmp/cmp"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
)

func utf16Bytes(t *testing.T, order unicode.Endianness, bom unicode.BOMPolicy, s string) []byte {
	t.Helper()
	b, err := unicode.UTF16(order, bom).NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func windows1252(t *testing.T, s string) []byte {
	t.Helper()
	b, err := charmap.Windows1252.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestReadCSVDecodesEveryEncodingPeopleSend(t *testing.T) {
	t.Parallel()
	want := sheetRows{
		Header: row(1, "Name", "City"),
		Rows:   []importer.Row{row(2, "Café Müller", "Zürich"), row(3, "Łódź €5", "東京")},
	}
	comma := "Name,City\r\nCafé Müller,Zürich\r\nŁódź €5,東京\r\n"
	tab := strings.ReplaceAll(comma, ",", "\t")
	asciiHead := strings.Repeat("x,y\r\n", 20_000) // 100 KB of ASCII: past the 64 KiB sniff
	cases := []struct {
		name string
		data []byte
		want sheetRows
	}{
		{"UTF-8", []byte(comma), want},
		{"UTF-8 with a byte order mark", append([]byte("\xEF\xBB\xBF"), comma...), want},
		{"UTF-16LE with a byte order mark, tab-separated as Excel's Unicode text",
			utf16Bytes(t, unicode.LittleEndian, unicode.UseBOM, tab), want},
		{"UTF-16BE with a byte order mark",
			utf16Bytes(t, unicode.BigEndian, unicode.UseBOM, tab), want},
		{"UTF-16LE without a byte order mark",
			utf16Bytes(t, unicode.LittleEndian, unicode.IgnoreBOM, "Name\tCity\r\nCafé\tBern\r\n"),
			sheetRows{Header: row(1, "Name", "City"), Rows: []importer.Row{row(2, "Café", "Bern")}}},
		{"UTF-16BE without a byte order mark",
			utf16Bytes(t, unicode.BigEndian, unicode.IgnoreBOM, "Name\tCity\r\nCafé\tBern\r\n"),
			sheetRows{Header: row(1, "Name", "City"), Rows: []importer.Row{row(2, "Café", "Bern")}}},
		{"Windows-1252 with é and €",
			windows1252(t, "Name;Price\r\nCafé;€5\r\nCrème brûlée;€7,50\r\n"),
			sheetRows{Header: row(1, "Name", "Price"), Rows: []importer.Row{row(2, "Café", "€5"), row(3, "Crème brûlée", "€7,50")}}},
		{"Windows-1252 whose first non-ASCII byte is past the sniffed 64 KiB",
			windows1252(t, "Name,Price\r\n"+asciiHead+"Café,€5\r\n"),
			sheetRows{Header: row(1, "Name", "Price"), Rows: func() []importer.Row {
				var rows []importer.Row
				for i := range 20_000 {
					rows = append(rows, row(2+i, "x", "y"))
				}
				return append(rows, row(20_002, "Café", "€5"))
			}()}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got := readCSV(t, c.data, importer.Options{})
			if d := cmp.Diff(c.want, got); d != "" {
				t.Errorf("rows (-want +got):\n%s", d)
			}
		})
	}
}

func TestReadCSVRefusesUTF8ThatTurnsIntoSomethingElse(t *testing.T) {
	t.Parallel()
	data := append([]byte("Name\nCafé\nZ"), 0xFC, 'r', 'i', 'c', 'h', '\n') // "Zürich" in Windows-1252
	s, err := importer.ReadCSV(bytes.NewReader(data), importer.Options{})
	if err == nil {
		err = readUntilError(t, s)
	}
	e := invalid(t, err)
	if !strings.Contains(e.Message, "line 3") || !strings.Contains(e.Message, "CSV UTF-8") {
		t.Errorf("message %q should name line 3 and say how to save the file", e.Message)
	}
}

func TestReadCSVRefusesBinaryFiles(t *testing.T) {
	t.Parallel()
	_, err := importer.ReadCSV(strings.NewReader("%PDF-1.7\n\x00\x00\x01\x00binary\x00"), importer.Options{})
	invalid(t, err)
}

func TestReadCSVDetectsTheDelimiterFromTheHeader(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, data string
		want       sheetRows
	}{
		{"comma", "a,b,c\n1,2;3,4\n", sheetRows{row(1, "a", "b", "c"), []importer.Row{row(2, "1", "2;3", "4")}}},
		{"semicolon", "a;b;c\n1,5;2;3\n", sheetRows{row(1, "a", "b", "c"), []importer.Row{row(2, "1,5", "2", "3")}}},
		{"tab", "a\tb\tc\n1,5\t2;3\t\n", sheetRows{row(1, "a", "b", "c"), []importer.Row{row(2, "1,5", "2;3")}}},
		{"semicolons outnumber commas inside quotes",
			"\"Address, line 1\";\"City, State\";Zip\n\"1 Main St, Apt 2\";Springfield;12345\n",
			sheetRows{row(1, "Address, line 1", "City, State", "Zip"), []importer.Row{row(2, "1 Main St, Apt 2", "Springfield", "12345")}}},
		{"the header after blank lines decides", "\n\n  \na;b\n1;2\n",
			sheetRows{row(4, "a", "b"), []importer.Row{row(5, "1", "2")}}},
		{"a header of one column reads as comma-separated", "Address\n\"1 Main St, Apt 2\"\n",
			sheetRows{row(1, "Address"), []importer.Row{row(2, "1 Main St, Apt 2")}}},
		{"a header with a quoted line break", "\"Address\nline 1\";City\nMain St;Bern\n",
			sheetRows{row(1, "Address\nline 1", "City"), []importer.Row{row(2, "Main St", "Bern")}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got := readCSV(t, []byte(c.data), importer.Options{})
			if d := cmp.Diff(c.want, got); d != "" {
				t.Errorf("rows (-want +got):\n%s", d)
			}
		})
	}
}

func TestReadCSVNumbersRowsAsASpreadsheetProgramShowsThem(t *testing.T) {
	t.Parallel()
	data := "Name,Notes\r\n" + // row 1
		"Ann,\"ring twice,\r\nthen wait\"\r\n" + // row 2, on lines 2-3
		"\r\n" + // row 3: blank
		"Bob,\"one\ntwo\nthree\"\n" + // row 4, on lines 5-7
		",,,\n" + // row 5: all cells empty
		"   ,  \n" + // row 6: only spaces
		"Cy,\"\"\n" + // row 7
		"\n\n" + // rows 8, 9
		"Di,last" // row 10, no final line break
	got := readCSV(t, []byte(data), importer.Options{})
	want := sheetRows{
		Header: row(1, "Name", "Notes"),
		Rows: []importer.Row{
			row(2, "Ann", "ring twice,\nthen wait"),
			row(4, "Bob", "one\ntwo\nthree"),
			row(7, "Cy"),
			row(10, "Di", "last"),
		},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("rows (-want +got):\n%s", d)
	}
}

func TestReadCSVTrimsCellsAndKeepsRaggedRows(t *testing.T) {
	t.Parallel()
	data := "  Name , City\u00a0,\tZip \n" +
		" Ann ,  \"  Bern  \", 3000 , extra \n" +
		"Bob\n" +
		"Cy,,,\n"
	got := readCSV(t, []byte(data), importer.Options{})
	want := sheetRows{
		Header: row(1, "Name", "City", "Zip"),
		Rows: []importer.Row{
			row(2, "Ann", "Bern", "3000", "extra"),
			row(3, "Bob"),
			row(4, "Cy"),
		},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("rows (-want +got):\n%s", d)
	}
}

func TestReadCSVReportsQuoteErrorsWithTheRow(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, data string
		row        int
		reason     string
	}{
		{"a quoted cell never closed", "Name,Notes\nAnn,ok\n\nBob,\"never closed\nCy,x\nDi,y\n", 4, "not closed"},
		{"text after the closing quote", "Name,Notes\nAnn,\"a\"b\n", 2, "not closed properly"},
		{"a quote inside an unquoted cell", "Name,Notes\nAnn,\"multi\nline\"\nBob,5\" disk\n", 3, `does not start with one`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s, err := importer.ReadCSV(strings.NewReader(c.data), importer.Options{})
			if err != nil {
				t.Fatalf("ReadCSV: %v", err)
			}
			e := invalid(t, readUntilError(t, s))
			if len(e.Fields) != 1 || e.Fields[0].Row != c.row || !strings.Contains(e.Fields[0].Reason, c.reason) {
				t.Fatalf("fields %+v, want one on row %d saying %q", e.Fields, c.row, c.reason)
			}
			if !strings.HasPrefix(e.Message, fmt.Sprintf("row %d: ", c.row)) {
				t.Errorf("message %q should start with the row", e.Message)
			}
			if _, again := s.Next(); again != e {
				t.Errorf("Next after the error returned %v, want the same error", again)
			}
		})
	}
}

func TestReadCSVEnforcesLimits(t *testing.T) {
	t.Parallel()
	t.Run("too many rows", func(t *testing.T) {
		t.Parallel()
		data := "Name\na\n\nb\nc\nd\n"
		s, err := importer.ReadCSV(strings.NewReader(data), importer.Options{Limits: importer.Limits{MaxRows: 2}})
		if err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if _, err := s.Next(); err != nil {
				t.Fatal(err)
			}
		}
		e := invalid(t, readUntilError(t, s))
		if e.Message != "the file has more than 2 rows; split it into smaller files" {
			t.Errorf("message %q", e.Message)
		}
		if d := cmp.Diff([]connect.FieldError{{Row: 5, Reason: "is past the limit of 2 rows"}}, e.Fields); d != "" {
			t.Errorf("fields (-want +got):\n%s", d)
		}
	})
	t.Run("the default is 200000 rows", func(t *testing.T) {
		t.Parallel()
		var b strings.Builder
		b.WriteString("n\n")
		for i := range 200_001 {
			fmt.Fprintf(&b, "%d\n", i)
		}
		s, err := importer.ReadCSV(strings.NewReader(b.String()), importer.Options{})
		if err != nil {
			t.Fatal(err)
		}
		e := invalid(t, readUntilError(t, s))
		if e.Message != "the file has more than 200000 rows; split it into smaller files" || e.Fields[0].Row != 200_002 {
			t.Errorf("error %q, fields %+v", e.Message, e.Fields)
		}
	})
	t.Run("a cell over the limit is read, for its row to be refused", func(t *testing.T) {
		t.Parallel()
		data := "Name,Notes\nAnn,short\nBob," + strings.Repeat("x", 101) + "\n"
		got := readCSV(t, []byte(data), importer.Options{Limits: importer.Limits{MaxCellBytes: 100}})
		if len(got.Rows) != 2 || len(got.Rows[1].Cells[1]) != 101 {
			t.Errorf("rows %+v, want both, the cell whole", got.Rows)
		}
	})
	t.Run("a cell over eight times the limit (at least 1 MiB) names its row and column", func(t *testing.T) {
		t.Parallel()
		data := "Name,Notes\nAnn,short\nBob," + strings.Repeat("x", 1<<20+1) + "\n"
		s, err := importer.ReadCSV(strings.NewReader(data), importer.Options{Limits: importer.Limits{MaxCellBytes: 100}})
		if err != nil {
			t.Fatal(err)
		}
		e := invalid(t, readUntilError(t, s))
		want := []connect.FieldError{{Row: 3, Column: "Notes", Reason: "is longer than the limit of 1 MiB (1048577 bytes)"}}
		if d := cmp.Diff(want, e.Fields); d != "" {
			t.Errorf("fields (-want +got):\n%s", d)
		}
	})
	t.Run("a cell too long in a column without a header is named by its letter", func(t *testing.T) {
		t.Parallel()
		data := "Name\nAnn,,," + strings.Repeat("é", 1<<19+1) + "\n"
		s, err := importer.ReadCSV(strings.NewReader(data), importer.Options{Limits: importer.Limits{MaxCellBytes: 100}})
		if err != nil {
			t.Fatal(err)
		}
		e := invalid(t, readUntilError(t, s))
		if len(e.Fields) != 1 || e.Fields[0].Row != 2 || e.Fields[0].Column != "D" {
			t.Errorf("fields %+v, want row 2, column D", e.Fields)
		}
	})
	t.Run("a header cell too long", func(t *testing.T) {
		t.Parallel()
		_, err := importer.ReadCSV(strings.NewReader("Name,"+strings.Repeat("x", 200)), importer.Options{Limits: importer.Limits{MaxCellBytes: 100}})
		e := invalid(t, err)
		if len(e.Fields) != 1 || e.Fields[0].Row != 1 || e.Fields[0].Column != "B" {
			t.Errorf("fields %+v, want row 1, column B", e.Fields)
		}
	})
	t.Run("a file too large, found while streaming", func(t *testing.T) {
		t.Parallel()
		data := "Name\n" + strings.Repeat("Ann\n", 1000)
		s, err := importer.ReadCSV(strings.NewReader(data), importer.Options{Limits: importer.Limits{MaxFileBytes: 3000}})
		if err == nil {
			err = readUntilError(t, s)
		}
		if e := invalid(t, err); e.Message != "the file is larger than 3000 bytes; split it into smaller files" {
			t.Errorf("message %q", e.Message)
		}
	})
	t.Run("a file of exactly the limit", func(t *testing.T) {
		t.Parallel()
		data := "Name\n" + strings.Repeat("Ann\n", 1000)
		got := readCSV(t, []byte(data), importer.Options{Limits: importer.Limits{MaxFileBytes: int64(len(data))}})
		if len(got.Rows) != 1000 {
			t.Errorf("read %d rows, want 1000", len(got.Rows))
		}
	})
}

func TestReadCSVRefusesAnEmptyFile(t *testing.T) {
	t.Parallel()
	for _, data := range []string{"", "\xEF\xBB\xBF", "\n\n", " , ,\n,,\n"} {
		_, err := importer.ReadCSV(strings.NewReader(data), importer.Options{})
		if e := invalid(t, err); !strings.Contains(e.Message, "empty") {
			t.Errorf("ReadCSV(%q): message %q should say the file is empty", data, e.Message)
		}
	}
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// endless yields "Name\n" and then rows forever.
type endless struct{ sent int }

func (e *endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = "Name\nAnn\n"[e.sent%9]
		e.sent++
	}
	return len(p), nil
}

func TestReadCSVStreams(t *testing.T) {
	t.Parallel()
	r := &countingReader{r: &endless{}}
	s, err := importer.ReadCSV(r, importer.Options{Limits: importer.Limits{MaxRows: 1 << 30, MaxFileBytes: 1 << 40}})
	if err != nil {
		t.Fatal(err)
	}
	for range 1000 {
		if _, err := s.Next(); err != nil {
			t.Fatal(err)
		}
	}
	if r.n > 512<<10 {
		t.Errorf("read %d bytes for 1000 rows; the reader should not run ahead of the rows", r.n)
	}
}

// failingReader fails after its data.
type failingReader struct{ data io.Reader }

func (f failingReader) Read(p []byte) (int, error) {
	n, err := f.data.Read(p)
	if err == io.EOF {
		return n, io.ErrUnexpectedEOF
	}
	return n, err
}

func TestReadCSVReportsAFailingReaderAsInternal(t *testing.T) {
	t.Parallel()
	s, err := importer.ReadCSV(failingReader{strings.NewReader("Name\nAnn\n" + strings.Repeat("Bob\n", 20_000))}, importer.Options{})
	if err == nil {
		err = readUntilError(t, s)
	}
	if code := connect.ErrorCode(err); code != connect.Internal {
		t.Errorf("error %v has code %q, want internal", err, code)
	}
}

func macRoman(t *testing.T, s string) []byte {
	t.Helper()
	b, err := charmap.Macintosh.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestReadCSVReadsEveryKindOfLineEnd(t *testing.T) {
	t.Parallel()
	want := sheetRows{
		Header: row(1, "Name", "Notes"),
		Rows: []importer.Row{
			row(2, "Zoë", "ring\ntwice"),
			row(4, "Bob", "x"),
		},
	}
	cases := []struct {
		name, data string
		ends       string
	}{
		{"LF", "Name,Notes\nZoë,\"ring\ntwice\"\n\nBob,x\n", "LF"},
		{"CRLF", "Name,Notes\r\nZoë,\"ring\r\ntwice\"\r\n\r\nBob,x\r\n", "CRLF"},
		{"CR alone, as Excel for Mac writes", "Name,Notes\rZoë,\"ring\rtwice\"\r\rBob,x\r", "CR"},
		{"mixed", "Name,Notes\r\nZoë,\"ring\ntwice\"\r\rBob,x", "mixed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s, err := importer.ReadCSV(strings.NewReader(c.data), importer.Options{})
			must(t, err)
			if d := cmp.Diff(want, readAll(t, s)); d != "" {
				t.Errorf("rows (-want +got):\n%s", d)
			}
			if got := s.Info().LineEnds; got != c.ends {
				t.Errorf("line ends %q, want %q", got, c.ends)
			}
		})
	}
}

// TestReadCSVReadsExcelForMacsCSV: Excel for Mac's "CSV" ends lines in CR alone and
// writes Mac Roman. Read as one line, 2,000 rows were 16,384 cells too many.
func TestReadCSVReadsExcelForMacsCSV(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("Id,Address Line 1,City\r")
	for i := range 2000 {
		fmt.Fprintf(&b, "M-%d,%d Rue de l'Église,Besançon\r", i, i)
	}
	s, err := importer.ReadCSV(bytes.NewReader(macRoman(t, b.String())), importer.Options{})
	must(t, err)
	got := readAll(t, s)
	if len(got.Rows) != 2000 || got.Rows[1999].Number != 2001 {
		t.Fatalf("read %d rows, the last numbered %d; want 2000, to row 2001", len(got.Rows), got.Rows[len(got.Rows)-1].Number)
	}
	if d := cmp.Diff(row(2001, "M-1999", "1999 Rue de l'Église", "Besançon"), got.Rows[1999]); d != "" {
		t.Errorf("last row (-want +got):\n%s", d)
	}
	info := s.Info()
	if info.Encoding != "Mac Roman" || info.LineEnds != "CR" || info.Delimiter != ',' {
		t.Errorf("info %+v, want Mac Roman, CR, comma", info)
	}
}

func TestReadCSVTakesTheDelimiterOfASepLine(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, data string
		want       sheetRows
	}{
		{"sep=; and no title", "sep=;\r\nName;Notes\r\nAnn;1,5\r\n",
			sheetRows{row(1, "Name", "Notes"), []importer.Row{row(2, "Ann", "1,5")}}},
		{"after a byte order mark, padded, in capitals", "\xEF\xBB\xBFSEP=,,,\nName,Notes;x\nAnn,b\n",
			sheetRows{row(1, "Name", "Notes;x"), []importer.Row{row(2, "Ann", "b")}}},
		{"sep=| with a tab-looking header", "sep=|\nName|Notes\tx\nAnn|b\n",
			sheetRows{row(1, "Name", "Notes\tx"), []importer.Row{row(2, "Ann", "b")}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s, err := importer.ReadCSV(strings.NewReader(c.data), importer.Options{})
			must(t, err)
			if d := cmp.Diff(c.want, readAll(t, s)); d != "" {
				t.Errorf("rows (-want +got):\n%s", d)
			}
			if !s.Info().SepLine {
				t.Errorf("Info().SepLine not set")
			}
		})
	}
	// A line that only looks like one is a row.
	got := readCSV(t, []byte("sep=ab\nName\n"), importer.Options{})
	if d := cmp.Diff(sheetRows{row(1, "sep=ab"), []importer.Row{row(2, "Name")}}, got); d != "" {
		t.Errorf("rows (-want +got):\n%s", d)
	}
}

func TestReadCSVFindsTheDelimiterPastATitleAndDecimalCommas(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, data string
		want       rune
	}{
		{"a title line without delimiters", "Orders for week 49\r\n\r\nId;Address;City;Zip\r\n1;a;b;c\r\n2;a;b;c\r\n", ';'},
		{"a title line with a semicolon above commas", "Orders; week 49\nId,Address,City,Zip\n1,a,b,c\n2,a,b,c\n", ','},
		{"decimal commas in a semicolon file", "Id;Size;Lat;Lng\n1;1,5;51,5;-0,12\n2;2;51,25;-0,5\n3;1,25;51;0\n", ';'},
		{"pipes", "Id|Address|City\n1|a|b\n", '|'},
		{"one line", "Id;Address,City;Zip", ';'},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s, err := importer.ReadCSV(strings.NewReader(c.data), importer.Options{})
			must(t, err)
			if got := s.Info().Delimiter; got != c.want {
				t.Errorf("delimiter %q, want %q", got, c.want)
			}
		})
	}
}
