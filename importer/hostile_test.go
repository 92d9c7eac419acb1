package importer_test

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/importer"
	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"
)

// Hostile input (issue #9): spreadsheets made to hurt the reader. Each is read in
// a child process (see hostile_child_test.go) at the default limits and must be
// refused with an Invalid error that says what is wrong, and where when it is a
// row or a cell; or, when it is harmless, read to its proper outcome. Either way
// within a bound on the child's peak memory. That storing nothing follows is
// shown on the Service in TestHostileImportsChangeNothing.
//
// CONNECT_HOSTILE=full adds the slow variants (a 2 GiB zip bomb, a 49 MiB unclosed
// CSV quote) and, under the race detector, the full sizes (see hostileSize); the
// default run takes about 5 s, 20 s under the race detector.
//
// Where an input was already covered by a test, that test is named here rather
// than repeated:
//
//	input                                    → test
//	XLSX truncated zip                       → TestReadXLSXRefusesFilesThatAreNotWorkbooks ("a truncated workbook");
//	                                           memory: TestHostileSpreadsheets/xlsx_truncated
//	XLSX zip bomb (600 MiB, true or lying    → TestReadXLSXRefusesZipBombsQuicklyWithLittleMemory (allocations < 64 MiB);
//	  size), too many entries, large part      TestReadXLSXRefusesTooManyZipEntries, TestReadXLSXRefusesALargePartHeldInMemory;
//	                                           a 2 GiB bomb: TestHostileSpreadsheets/xlsx_zip_bomb_2GiB (full)
//	XLSX billion laughs, sheet / shared str. → TestHostileSpreadsheets/xlsx_billion_laughs_*
//	XLSX 1M empty rows                       → TestHostileSpreadsheets/xlsx_1M_empty_rows, xlsx_row_1000000
//	XLSX huge shared-strings table           → TestHostileSpreadsheets/xlsx_500k_shared_strings, xlsx_shared_strings_bomb
//	XLSX cell over the cell limit            → TestReadXLSXEnforcesLimits (small limit); TestHostileSpreadsheets/xlsx_cell_*;
//	                                           the row alone refused: TestSourceRefusesTheRowOfACellOverTheLimit
//	CSV unbalanced quotes                    → TestReadCSVReportsQuoteErrorsWithTheRow (row numbers);
//	                                           memory: TestHostileSpreadsheets/csv_unclosed_quote_*
//	CSV 10 MB single cell                    → TestHostileSpreadsheets/csv_10MB_cell
//	CSV NUL bytes                            → TestReadCSVRefusesBinaryFiles (in the first 64 KiB);
//	                                           TestHostileSpreadsheets/csv_NUL_* (later in the file)
//	CSV invalid UTF-8                        → TestReadCSVRefusesUTF8ThatTurnsIntoSomethingElse;
//	                                           TestHostileSpreadsheets/csv_invalid_UTF-8_late
//	CSV thousands of columns                 → TestHostileSpreadsheets/csv_*_columns
//	CSV extremely long header                → TestReadCSVEnforcesLimits ("a header cell too long");
//	                                           TestHostileSpreadsheets/csv_long_header
//	CSV / XLSX over the file size limit      → TestReadCSVEnforcesLimits, TestReadXLSXEnforcesLimits, TestOpenRefusesWhatItCannotRead
//	fuzzing every reader and parser          → FuzzReadCSV, FuzzReadXLSX, FuzzReadXLSXSheet, FuzzSource, FuzzMapHeader,
//	                                           FuzzParseDecimal, FuzzParseWholeNumber, FuzzParseStopType, FuzzParseProducts

// hostileFull reports whether the slow variants run.
func hostileFull() bool { return os.Getenv("CONNECT_HOSTILE") == "full" }

// hostileSize is n, or a fifth of it under the race detector, which makes excelize
// some 15 times slower (1M rows took 11 s), unless CONNECT_HOSTILE=full. Plain
// `go test` and the full run read the sizes the issue names.
func hostileSize(n int) int {
	if raceMemoryFactor > 1 && !hostileFull() {
		return n / 5
	}
	return n
}

// withSheet returns a workbook whose first worksheet is sheet (the whole part).
func withSheet(t testing.TB, sheet string) []byte {
	base := workbook(t, func(f *excelize.File) { must(t, f.SetCellValue("Sheet1", "A1", "x")) })
	return replacePart(t, base, "xl/worksheets/sheet1.xml", sheet)
}

// withSharedStrings returns a workbook whose shared strings part is sst and whose
// first worksheet has the rows.
func withSharedStrings(t testing.TB, sst, rows string) []byte {
	base := workbook(t, func(f *excelize.File) { must(t, f.SetCellValue("Sheet1", "A1", "Name")) })
	return rewriteZip(t, base, func(w *zip.Writer, f *zip.File) bool {
		content := ""
		switch f.Name {
		case "xl/sharedStrings.xml":
			content = sst
		case "xl/worksheets/sheet1.xml":
			content = sheetXML(rows)
		default:
			return false
		}
		part, err := w.Create(f.Name)
		must(t, err)
		_, err = io.WriteString(part, content)
		must(t, err)
		return true
	})
}

const sstHead = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` +
	`<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">`

// laughs is a document type declaration whose entity &lol9; expands to 10^9 "lol"s.
func laughs() string {
	var b strings.Builder
	b.WriteString(`<!DOCTYPE lolz [<!ENTITY lol0 "lol">`)
	for i := 1; i <= 9; i++ {
		fmt.Fprintf(&b, `<!ENTITY lol%d "%s">`, i, strings.Repeat(fmt.Sprintf("&lol%d;", i-1), 10))
	}
	b.WriteString(`]>`)
	return b.String()
}

// inline is a cell of inline text.
func inline(ref, text string) string {
	return fmt.Sprintf(`<c r="%s" t="inlineStr"><is><t>%s</t></is></c>`, ref, text)
}

// hostileCase is a file to read in a child and what must come of it.
type hostileCase struct {
	name string
	file string // the file's name: its extension is what Open goes by when the content does not decide
	full bool   // only with CONNECT_HOSTILE=full
	data func(t *testing.T) []byte
	// message is what the error's message must contain; "" when the file must
	// read without an error.
	message string
	// row and column the error must name (0 and "": no field).
	row    int
	column string
	rows   int // data rows read before the outcome
	// maxMiB bounds the growth of the child's peak resident memory while it
	// reads (times raceMemoryFactor under the race detector). The bounds are
	// about twice what was measured, and far below what the input would cost
	// unchecked: a bound of 16 MiB says the file was refused before anything
	// large was decoded. Only the CSV cells and the 500k shared strings, which
	// are read before a limit can refuse them, cost memory in proportion to the
	// file: encoding/csv grows a record's buffer by doubling and copies it into
	// a string (about 5 bytes per byte of cell), and excelize keeps 130 to 200
	// bytes per shared string.
	maxMiB float64
}

func hostileCases() []hostileCase {
	csvOf := func(parts ...string) func(*testing.T) []byte {
		return func(*testing.T) []byte { return []byte(strings.Join(parts, "")) }
	}
	manyRows := func(n int) string { return strings.Repeat("Ann,1 Main St\n", n) }
	return []hostileCase{
		{name: "xlsx truncated", file: "orders.xlsx", data: func(t *testing.T) []byte {
			data := workbook(t, func(f *excelize.File) {
				for r := 1; r <= 5_000; r++ {
					must(t, f.SetSheetRow("Sheet1", fmt.Sprintf("A%d", r), &[]any{fmt.Sprintf("Name %d", r), r, "1 Main St"}))
				}
			})
			return data[:len(data)*2/3]
		}, message: "not a valid .xlsx workbook", maxMiB: 16},
		{name: "xlsx zip bomb 2GiB", file: "orders.xlsx", full: true, data: func(t *testing.T) []byte {
			return bombWorkbook(t, 2048, func(uint64) uint64 { return 1 << 20 })
		}, message: "not a valid .xlsx workbook", maxMiB: 16},
		{name: "xlsx cell of 100MiB in a worksheet unzipped to disk", file: "orders.xlsx", data: func(t *testing.T) []byte {
			return bombWorkbook(t, 100, func(size uint64) uint64 { return size })
		}, message: "has a cell or tag longer than 1 MiB", maxMiB: 16},
		{name: "xlsx billion laughs in the sheet", file: "orders.xlsx", data: func(t *testing.T) []byte {
			return withSheet(t, `<?xml version="1.0" encoding="UTF-8"?>`+laughs()+
				`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`+
				`<row r="1">`+inline("A1", "Name")+`</row><row r="2">`+inline("A2", "&lol9;")+`</row>`+sheetTail)
		}, message: `part "xl/worksheets/sheet1.xml" has a document type declaration`, maxMiB: 16},
		{name: "xlsx billion laughs in the shared strings", file: "orders.xlsx", data: func(t *testing.T) []byte {
			return withSharedStrings(t, `<?xml version="1.0" encoding="UTF-8"?>`+laughs()+
				`<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>Name</t></si><si><t>&lol9;</t></si></sst>`,
				`<row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2"><c r="A2" t="s"><v>1</v></c></row>`)
		}, message: `part "xl/sharedStrings.xml" has a document type declaration`, maxMiB: 16},
		{name: "xlsx 1M empty rows", file: "orders.xlsx", data: func(t *testing.T) []byte {
			var b strings.Builder
			b.WriteString(`<row r="1">` + inline("A1", "Name") + `</row>`)
			for r := 2; r <= hostileSize(1_000_000); r++ {
				fmt.Fprintf(&b, `<row r="%d"/>`, r)
			}
			return withSheet(t, sheetXML(b.String()))
		}, maxMiB: 32},
		{name: "xlsx row 1000000", file: "orders.xlsx", data: func(t *testing.T) []byte {
			return withSheet(t, sheetXML(`<row r="1">`+inline("A1", "Name")+`</row><row r="1000000"/>`))
		}, maxMiB: 16},
		{name: "xlsx 500k shared strings", file: "orders.xlsx", data: func(t *testing.T) []byte {
			var b strings.Builder
			b.WriteString(sstHead)
			n := hostileSize(500_000)
			for i := range n {
				fmt.Fprintf(&b, "<si><t>%d Long Street, Flat %d</t></si>", i, i)
			}
			b.WriteString(`</sst>`)
			return withSharedStrings(t, b.String(), fmt.Sprintf(`<row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2"><c r="A2" t="s"><v>%d</v></c></row>`, n-1))
		}, rows: 1, maxMiB: 128},
		{name: "xlsx shared strings bomb", file: "orders.xlsx", data: func(t *testing.T) []byte {
			return withSharedStrings(t, sstHead+`<si><t>Name</t></si>`+strings.Repeat("<si/>", 3_000_000)+`</sst>`,
				`<row r="1"><c r="A1" t="s"><v>0</v></c></row>`)
		}, message: "the workbook has more than 1000000 different texts (shared strings)", maxMiB: 16},
		{name: "xlsx cell over the limit, read for its row to be refused", file: "orders.xlsx", data: func(t *testing.T) []byte {
			return withSheet(t, sheetXML(`<row r="1">`+inline("A1", "Name")+inline("B1", "Notes")+`</row><row r="7">`+
				inline("A7", "Ann")+inline("B7", strings.Repeat("x", 40_000))+`</row>`))
		}, rows: 1, maxMiB: 16},
		{name: "xlsx cell of 10MB", file: "orders.xlsx", data: func(t *testing.T) []byte {
			return withSheet(t, sheetXML(`<row r="1">`+inline("A1", "Name")+inline("B1", "Notes")+`</row><row r="3">`+
				inline("A3", "Ann")+inline("B3", strings.Repeat("x", 10<<20))+`</row>`))
		}, message: "has a cell or tag longer than 1 MiB", maxMiB: 16},

		{name: "csv unclosed quote 10MB", file: "orders.csv",
			data:    csvOf("Name,Address\nAnn,\"1 Main St\n", manyRows(10<<20/14)),
			message: "not closed", row: 2, maxMiB: 64},
		{name: "csv unclosed quote 49MB", file: "orders.csv", full: true,
			data:    csvOf("Name,Address\nAnn,\"1 Main St\n", manyRows(49<<20/14)),
			message: "not closed", row: 2, maxMiB: 320},
		{name: "csv 10MB cell", file: "orders.csv",
			data:    csvOf("Name,Notes\nAnn,hi\nBob,", strings.Repeat("x", 10<<20), "\n"),
			message: "longer than the limit", row: 3, column: "Notes", rows: 1, maxMiB: 64},
		{name: "csv NUL late", file: "orders.csv",
			data:    csvOf("Name,Address\n", manyRows(10_000), "Bob,1 Main\x00St\n"),
			message: "line 10002 of the file has a NUL byte", rows: 9946, maxMiB: 16},
		{name: "csv invalid UTF-8 late", file: "orders.csv",
			data:    csvOf("Name,Address\nZoë,1 Main St\n", manyRows(10_000), "Bob,Z\xfcrich\n"),
			message: "line 10003 of the file is not UTF-8 text", rows: 10001, maxMiB: 16},
		{name: "csv 20000 columns", file: "orders.csv",
			data:    csvOf("Name,Address\nAnn", strings.Repeat(",x", 20_000), "\n"),
			message: "line 2 of the file has more than 16384 cells", maxMiB: 16},
		{name: "csv 10M columns", file: "orders.csv",
			data:    csvOf("Name,Address\nAnn", strings.Repeat(",", 10_000_000), "\n"),
			message: "line 2 of the file has more than 16384 cells", maxMiB: 32},
		{name: "csv long header", file: "orders.csv",
			data:    csvOf(strings.Repeat("Name", 1<<20), ",Address\nAnn,1 Main St\n"),
			message: "longer than the limit", row: 1, column: "A", maxMiB: 48},
	}
}

func TestHostileSpreadsheets(t *testing.T) {
	t.Parallel()
	for _, c := range hostileCases() {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel() // each child's memory is its own
			if c.full && !hostileFull() {
				t.Skip("set CONNECT_HOSTILE=full to run it")
			}
			data := c.data(t)
			got := readInChild(t, c.file, data)
			t.Logf("a file of %d KiB: %d rows, %s %q in %v; peak RSS %d → %d KiB (+%.1f MiB, bound %.0f MiB)",
				len(data)>>10, got.Rows, got.Code, got.Message, got.Took, got.BeforeKiB, got.AfterKiB, got.GrowthMiB(), c.maxMiB*raceMemoryFactor)
			switch {
			case c.message == "" && got.Code != "":
				t.Errorf("refused with %s %q, want it read", got.Code, got.Message)
			case c.message != "" && (got.Code != connect.Invalid || !strings.Contains(got.Message, c.message)):
				t.Errorf("error %s %q, want invalid saying %q", got.Code, got.Message, c.message)
			}
			if got.Rows != c.rows {
				t.Errorf("%d rows read, want %d", got.Rows, c.rows)
			}
			if c.row != 0 || c.column != "" {
				if len(got.Fields) != 1 || got.Fields[0].Row != c.row || got.Fields[0].Column != c.column {
					t.Errorf("fields %+v, want one naming row %d, column %q", got.Fields, c.row, c.column)
				}
			}
			if got.AfterKiB > 0 && got.GrowthMiB() > c.maxMiB*raceMemoryFactor {
				t.Errorf("peak memory grew by %.1f MiB reading it, over the bound of %.0f MiB", got.GrowthMiB(), c.maxMiB*raceMemoryFactor)
			}
		})
	}
}

// TestHostileImportsChangeNothing imports files that go bad after several of the
// Service's batches (2500 rows each) are stored: the import fails with the
// reader's error, and the client's orders are what they were before, whatever the
// batches stored. Files refused when opened never reach the Service; they are
// opened here too, to show they are refused before anything is read.
func TestHostileImportsChangeNothing(t *testing.T) {
	t.Parallel()
	good := func(n int) string {
		var b strings.Builder
		b.WriteString("Id,Address,City\n")
		for i := range n {
			fmt.Fprintf(&b, "H-%d,%d Main St,Bern\n", i, i)
		}
		return b.String()
	}
	cases := []struct {
		name, file string
		data       func(t *testing.T) []byte
		message    string
	}{
		{"an unclosed quote after 6000 rows", "orders.csv",
			func(*testing.T) []byte { return []byte(good(6000) + "X-1,\"1 Main St,Bern\n" + good(10)[16:]) }, "not closed"},
		{"invalid UTF-8 after 6000 rows", "orders.csv",
			func(*testing.T) []byte {
				// After a UTF-8 letter: in a file of ASCII until then, the byte would
				// be read as Windows-1252 ("Zürich"), as it should.
				return []byte("Id,Address,City\nZ-0,1 Zoë St,Bern\n" + good(6000)[16:] + "X-1,1 Main St,Z\xfcrich\n")
			}, "not UTF-8"},
		{"a NUL byte after 6000 rows", "orders.csv",
			func(*testing.T) []byte { return []byte(good(6000) + "X-1,1 Main\x00St,Bern\n") }, "NUL byte"},
		{"a cell over the limit for hostile files after 6000 rows", "orders.csv",
			func(*testing.T) []byte { return []byte(good(6000) + "X-1," + strings.Repeat("x", 2<<20) + ",Bern\n") }, "longer than the limit"},
		{"too many cells after 6000 rows", "orders.csv",
			func(*testing.T) []byte { return []byte(good(6000) + "X-1" + strings.Repeat(",", 20_000) + "\n") }, "more than 16384 cells"},
		{"a workbook with a DTD", "orders.xlsx", func(t *testing.T) []byte {
			return withSheet(t, `<?xml version="1.0"?>`+laughs()+sheetXML(`<row r="1">` + inline("A1", "Address") + `</row>`)[len(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`):])
		}, "document type declaration"},
		{"a workbook whose worksheet goes bad after 6000 rows", "orders.xlsx", func(t *testing.T) []byte {
			var b strings.Builder
			b.WriteString(`<row r="1">` + inline("A1", "Id") + inline("B1", "Address") + `</row>`)
			for r := 2; r <= 6001; r++ {
				fmt.Fprintf(&b, `<row r="%d">%s%s</row>`, r, inline(fmt.Sprintf("A%d", r), fmt.Sprintf("W-%d", r)), inline(fmt.Sprintf("B%d", r), "1 Main St"))
			}
			// An entity XML does not know, in a cell's text: excelize, which read
			// sheets before, ended the sheet here without a word.
			fmt.Fprintf(&b, `<row r="6002">%s</row>`, inline("B6002", "1&nbsp;Main St"))
			for r := 6003; r <= 6100; r++ {
				fmt.Fprintf(&b, `<row r="%d">%s%s</row>`, r, inline(fmt.Sprintf("A%d", r), fmt.Sprintf("W-%d", r)), inline(fmt.Sprintf("B%d", r), "1 Main St"))
			}
			return withSheet(t, sheetXML(b.String()))
		}, "damaged at row 6002"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			p := newPortal(t, connect.ClientSettings{AllowUpload: true})
			p.importFile([]byte(good(3)), "before.csv", connect.ImportOptions{})
			before := p.drafts()
			data := c.data(t)
			src, err := importer.OpenSource(bytes.NewReader(data), int64(len(data)), c.file, importer.SourceOptions{})
			if err == nil {
				t.Cleanup(func() { _ = src.Close() })
				_, err = p.svc.Import(t.Context(), p.owner, src, connect.ImportOptions{})
			}
			if e := invalid(t, err); !strings.Contains(e.Error(), c.message) {
				t.Errorf("error %q, want it to say %q", e.Error(), c.message)
			}
			if d := cmp.Diff(before, p.drafts(), equalDecimals); d != "" {
				t.Errorf("drafts changed (-before +after):\n%s", d)
			}
		})
	}
}
