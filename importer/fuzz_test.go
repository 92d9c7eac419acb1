package importer_test

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/importer"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/unicode"
)

// fuzzLimits keep each fuzzed input cheap.
var fuzzLimits = importer.Limits{MaxFileBytes: 1 << 20, MaxRows: 1000, MaxCellBytes: 1 << 10, MaxUnzippedBytes: 8 << 20, MaxZipEntries: 100}

// checkSheet reads the sheet opened by open, checking what every sheet must do
// whatever its input: errors are Invalid *connect.Errors, row numbers start at 1 and
// increase, and cells are trimmed with no empty cell at the end.
func checkSheet(t *testing.T, open func() (importer.Sheet, error)) {
	s, err := open()
	if err != nil {
		checkInvalid(t, err)
		return
	}
	defer func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	}()
	last := 0
	for r, err := s.Header(), error(nil); ; r, err = s.Next() {
		if err == io.EOF {
			return
		}
		if err != nil {
			checkInvalid(t, err)
			if _, again := s.Next(); again != err {
				t.Fatalf("Next after %v returned %v", err, again)
			}
			return
		}
		if r.Number <= last {
			t.Fatalf("row %d follows row %d", r.Number, last)
		}
		last = r.Number
		// A row has a last cell with a value, or a note about a cell (a formula
		// without a result, which shows nothing).
		if (len(r.Cells) == 0 || r.Cells[len(r.Cells)-1] == "") && len(r.Notes) == 0 {
			t.Fatalf("row %d has cells %q: want a last cell with a value", r.Number, r.Cells)
		}
		if len(r.Values) > len(r.Cells) {
			t.Fatalf("row %d has %d values for %d cells", r.Number, len(r.Values), len(r.Cells))
		}
		for _, c := range r.Cells {
			if c != strings.TrimSpace(c) {
				t.Fatalf("row %d has an untrimmed cell %q", r.Number, c)
			}
			if len(c) > 1<<20 {
				t.Fatalf("row %d has a cell of %d bytes, over the limit against hostile files", r.Number, len(c))
			}
		}
	}
}

func checkInvalid(t *testing.T, err error) {
	t.Helper()
	var e *connect.Error
	if !errors.As(err, &e) || e.Code != connect.Invalid {
		t.Fatalf("error %v (%T) is not an Invalid *connect.Error", err, err)
	}
	if e.Message == "" {
		t.Fatalf("error %#v has no message", e)
	}
}

func FuzzReadCSV(f *testing.F) {
	utf16 := func(s string) []byte {
		b, _ := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().Bytes([]byte(s))
		return b
	}
	for _, seed := range [][]byte{
		[]byte("Name,City\nAnn,Bern\n"),
		[]byte("\xEF\xBB\xBFName;City\r\n\r\nAnn;\"Bern\nOst\"\r\n,,\r\n"),
		[]byte("Name\tCity\nAnn\t\tBern\n"),
		utf16("Name\tCity\r\nCafé\tZürich\r\n"),
		[]byte("Name,Price\nCaf\xE9,\x805\n"),
		[]byte("Name,Notes\nAnn,\"never closed\n"),
		[]byte("Name,Notes\nAnn,5\" disk\n"),
		[]byte(" a , \"b\" ,c\n"),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkSheet(t, func() (importer.Sheet, error) {
			return importer.ReadCSV(bytes.NewReader(data), importer.Options{Limits: fuzzLimits})
		})
	})
}

func FuzzReadXLSX(f *testing.F) {
	f.Add(ordersWorkbook(f))
	f.Add(workbook(f, func(x *excelize.File) {
		must(f, x.SetCellValue("Sheet1", "B2", "Name"))
		must(f, x.SetCellValue("Sheet1", "B4", 42))
		must(f, x.SetCellValue("Sheet1", "C4", time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)))
	}))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkSheet(t, func() (importer.Sheet, error) {
			return importer.Open(bytes.NewReader(data), int64(len(data)), "fuzz.xlsx", importer.Options{Limits: fuzzLimits})
		})
	})
}

// FuzzReadXLSXSheet fuzzes the worksheet XML of a valid workbook: random bytes in a
// zip rarely get past its checksums, so FuzzReadXLSX seldom reaches excelize's XML.
func FuzzReadXLSXSheet(f *testing.F) {
	base := workbook(f, func(x *excelize.File) {
		must(f, x.SetCellValue("Sheet1", "A1", "x"))
		_, err := x.NewStyle(&excelize.Style{NumFmt: 14}) // style 1, a date, for the seeds' s="1"
		must(f, err)
	})
	for _, seed := range []string{
		`<row r="1"><c r="A1" t="inlineStr"><is><t>Name</t></is></c></row><row r="3"><c r="B3"><v>1.5</v></c></row>`,
		`<row><c t="inlineStr"><is><t>Name</t></is></c></row><row/><row><c><v>42</v></c><c t="b"><v>1</v></c></row>`,
		`<row r="2"><c r="A2" t="s"><v>0</v></c><c r="C2" s="1"><v>45000</v></c></row><row r="1048576"><c r="A1048576"><v>1</v></c></row>`,
		`<row r="5"><c r="A5" t="str"><f>1+1</f><v>2</v></c><c r="B5" t="e"><v>#DIV/0!</v></c></row><row r="4"><c r="A4"><v>x</v></c></row>`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, rows string) {
		data := replacePart(t, base, "xl/worksheets/sheet1.xml", sheetXML(rows))
		checkSheet(t, func() (importer.Sheet, error) {
			return importer.ReadXLSX(bytes.NewReader(data), int64(len(data)), importer.Options{Limits: fuzzLimits})
		})
	})
}

// FuzzReadXLSXParts fuzzes the parts a sheet's cells depend on, in a valid
// workbook: its styles (number formats), its shared strings and its workbook part.
func FuzzReadXLSXParts(f *testing.F) {
	base := toolsBook("excel").bytes(f)
	f.Add(`<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><numFmts count="1"><numFmt numFmtId="164" formatCode="0.0%"/></numFmts><cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="164"/></cellXfs></styleSheet>`,
		`<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>Id</t></si><si><r><t>Add</t></r><r><t>ress</t></r><rPh><t>x</t></rPh></si></sst>`,
		`<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><workbookPr date1904="true"/><sheets><sheet name="A" sheetId="1" r:id="rId3"/></sheets></workbook>`)
	f.Fuzz(func(t *testing.T, styles, sst, book string) {
		data := rewriteZip(t, base, func(w *zip.Writer, zf *zip.File) bool {
			content, ok := map[string]string{"xl/styles.xml": styles, "xl/sharedStrings.xml": sst, "xl/workbook.xml": book}[zf.Name]
			if !ok {
				return false
			}
			part, err := w.Create(zf.Name)
			must(t, err)
			_, err = io.WriteString(part, content)
			must(t, err)
			return true
		})
		checkSheet(t, func() (importer.Sheet, error) {
			return importer.ReadXLSX(bytes.NewReader(data), int64(len(data)), importer.Options{Limits: fuzzLimits})
		})
	})
}
