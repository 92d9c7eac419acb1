package importer_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/importer"
	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"
)

// workbook builds an XLSX file with excelize: build fills it in.
func workbook(t testing.TB, build func(f *excelize.File)) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	build(f)
	buf, err := f.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// must fails the test on err.
func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// style adds a cell style with the number format code and returns its ID.
func style(t testing.TB, f *excelize.File, format string) int {
	t.Helper()
	id, err := f.NewStyle(&excelize.Style{CustomNumFmt: &format})
	must(t, err)
	return id
}

// ordersWorkbook is a workbook as clients send it: formatted numbers and dates, a
// gap, a row of spaces, empty rows at the end that still have styles or a height,
// and a second sheet.
func ordersWorkbook(t testing.TB) []byte {
	return workbook(t, func(f *excelize.File) {
		must(t, f.SetSheetRow("Sheet1", "A1", &[]any{" Name ", "Delivered", "Amount", "Count", "Share", "Plain"}))
		must(t, f.SetSheetRow("Sheet1", "A2", &[]any{"Ann", time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC), 1234.5, 3, 0.25, 0.1 + 0.2}))
		// Rows 3 and 4 are missing from the file.
		must(t, f.SetSheetRow("Sheet1", "A5", &[]any{"Bob", time.Date(2027, 1, 2, 0, 0, 0, 0, time.UTC), -7, 12, 1, "-5"}))
		must(t, f.SetCellValue("Sheet1", "C6", "   "))
		must(t, f.SetSheetRow("Sheet1", "A7", &[]any{nil, nil, 1e6, nil, nil, "  padded  "}))
		must(t, f.SetCellStyle("Sheet1", "B2", "B7", style(t, f, "yyyy-mm-dd")))
		must(t, f.SetCellStyle("Sheet1", "C2", "C7", style(t, f, "#,##0.00")))
		must(t, f.SetCellStyle("Sheet1", "E2", "E7", style(t, f, "0%")))
		// Empty rows at the end: an empty string, styles only, a height only.
		must(t, f.SetCellValue("Sheet1", "A9", ""))
		must(t, f.SetCellStyle("Sheet1", "A10", "F10", style(t, f, "0.00")))
		must(t, f.SetRowHeight("Sheet1", 14, 30))

		_, err := f.NewSheet("Stops")
		must(t, err)
		must(t, f.SetSheetRow("Stops", "B3", &[]any{"Stop", "Zip"}))
		must(t, f.SetSheetRow("Stops", "B4", &[]any{"Depot", "02134"}))
	})
}

func TestReadXLSXReadsCellsAsTheUserSeesThem(t *testing.T) {
	t.Parallel()
	got := readXLSX(t, ordersWorkbook(t), importer.Options{})
	want := sheetRows{
		Header: row(1, "Name", "Delivered", "Amount", "Count", "Share", "Plain"),
		// Values: each number shown otherwise than as stored, as stored (a date's
		// serial number, a percentage's fraction).
		Rows: []importer.Row{
			{Number: 2, Cells: []string{"Ann", "2026-11-25", "1,234.50", "3", "25%", "0.3"},
				Values: []string{"", "46351", "1234.5", "", "0.25", ""}},
			{Number: 5, Cells: []string{"Bob", "2027-01-02", "-7.00", "12", "100%", "-5"},
				Values: []string{"", "46389", "-7", "", "1", ""}},
			{Number: 7, Cells: []string{"", "", "1,000,000.00", "", "", "padded"},
				Values: []string{"", "", "1000000", "", "", ""}},
		},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("rows (-want +got):\n%s", d)
	}
}

func TestReadXLSXReadsTheNamedSheet(t *testing.T) {
	t.Parallel()
	want := sheetRows{Header: row(3, "", "Stop", "Zip"), Rows: []importer.Row{row(4, "", "Depot", "02134")}}
	for _, name := range []string{"Stops", "STOPS"} {
		got := readXLSX(t, ordersWorkbook(t), importer.Options{SheetName: name})
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("sheet %q: rows (-want +got):\n%s", name, d)
		}
	}
}

func TestReadXLSXListsTheSheetsWhenTheNamedOneIsMissing(t *testing.T) {
	t.Parallel()
	data := ordersWorkbook(t)
	_, err := importer.ReadXLSX(bytes.NewReader(data), int64(len(data)), importer.Options{SheetName: "Orders"})
	e := invalid(t, err)
	if want := `the workbook has no sheet named "Orders"; its sheets are "Sheet1", "Stops"`; e.Message != want {
		t.Errorf("message %q, want %q", e.Message, want)
	}
}

func TestReadXLSXRefusesAnEmptySheet(t *testing.T) {
	t.Parallel()
	data := workbook(t, func(f *excelize.File) {
		must(t, f.SetCellValue("Sheet1", "B3", " "))
		must(t, f.SetRowHeight("Sheet1", 5, 20))
	})
	_, err := importer.ReadXLSX(bytes.NewReader(data), int64(len(data)), importer.Options{})
	if e := invalid(t, err); e.Message != `the sheet "Sheet1" is empty: it has no row with a value` {
		t.Errorf("message %q", e.Message)
	}
}

// The start and end of a worksheet part, around its rows.
const (
	sheetHead = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` +
		`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`
	sheetTail = `</sheetData></worksheet>`
)

// sheetXML is a worksheet part with the given rows.
func sheetXML(rows string) string { return sheetHead + rows + sheetTail }

func TestReadXLSXNumbersRowsByTheirPlaceInTheSheet(t *testing.T) {
	t.Parallel()
	base := workbook(t, func(f *excelize.File) { must(t, f.SetCellValue("Sheet1", "A1", "x")) })
	cell := func(ref, v string) string {
		return fmt.Sprintf(`<c r="%s" t="inlineStr"><is><t>%s</t></is></c>`, ref, v)
	}
	cases := []struct {
		name, rows string
		want       sheetRows
	}{
		{"rows with gaps between them",
			`<row r="2">` + cell("A2", "Name") + `</row><row r="3"/><row r="9">` + cell("B9", "Ann") + `</row><row r="1000">` + cell("A1000", "Bob") + `</row>`,
			sheetRows{row(2, "Name"), []importer.Row{row(9, "", "Ann"), row(1000, "Bob")}}},
		{"rows without numbers count from 1",
			`<row><c t="inlineStr"><is><t>Name</t></is></c></row><row/><row><c t="inlineStr"><is><t>Ann</t></is></c></row>`,
			sheetRows{row(1, "Name"), []importer.Row{row(3, "Ann")}}},
		{"a row without a number follows the one before it",
			`<row r="4">` + cell("A4", "Name") + `</row><row><c t="inlineStr"><is><t>Ann</t></is></c></row>`,
			sheetRows{row(4, "Name"), []importer.Row{row(5, "Ann")}}},
		{"the last row of a sheet",
			`<row r="1">` + cell("A1", "Name") + `</row><row r="1048576">` + cell("A1048576", "Ann") + `</row>`,
			sheetRows{row(1, "Name"), []importer.Row{row(1048576, "Ann")}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			data := replacePart(t, base, "xl/worksheets/sheet1.xml", sheetXML(c.rows))
			got := readXLSX(t, data, importer.Options{})
			if d := cmp.Diff(c.want, got); d != "" {
				t.Errorf("rows (-want +got):\n%s", d)
			}
		})
	}
}

func TestReadXLSXEnforcesLimits(t *testing.T) {
	t.Parallel()
	data := workbook(t, func(f *excelize.File) {
		must(t, f.SetSheetRow("Sheet1", "A1", &[]any{"Name", "Notes"}))
		for r := 2; r <= 6; r++ {
			must(t, f.SetSheetRow("Sheet1", fmt.Sprintf("A%d", 2*r), &[]any{"Ann", strings.Repeat("x", 10*r)}))
		}
	})
	t.Run("too many rows", func(t *testing.T) {
		t.Parallel()
		s, err := importer.ReadXLSX(bytes.NewReader(data), int64(len(data)), importer.Options{Limits: importer.Limits{MaxRows: 3}})
		must(t, err)
		defer s.Close()
		e := invalid(t, readUntilError(t, s))
		if e.Message != "the file has more than 3 rows; split it into smaller files" {
			t.Errorf("message %q", e.Message)
		}
		if d := cmp.Diff([]connect.FieldError{{Row: 10, Reason: "is past the limit of 3 rows"}}, e.Fields); d != "" {
			t.Errorf("fields (-want +got):\n%s", d)
		}
	})
	t.Run("a cell over the limit is read, for its row to be refused", func(t *testing.T) {
		t.Parallel()
		got := readXLSX(t, data, importer.Options{Limits: importer.Limits{MaxCellBytes: 45}})
		if n := len(got.Rows); n != 5 || got.Rows[4].Cells[1] != strings.Repeat("x", 60) {
			t.Errorf("read %d rows %+v, want all 5 with their cells whole", n, got.Rows)
		}
	})
	t.Run("a cell over eight times the limit names its row and column", func(t *testing.T) {
		t.Parallel()
		// Runs of rich text, each shorter than the longest text the file check
		// lets through (1 MiB), together longer.
		run := `<r><t>` + strings.Repeat("x", 900<<10) + `</t></r>`
		data := withSheet(t, sheetXML(`<row r="1">`+inline("A1", "Name")+inline("B1", "Notes")+`</row>`+
			`<row r="10">`+inline("A10", "Ann")+`<c r="B10" t="inlineStr"><is>`+run+run+`</is></c></row>`))
		s, err := importer.ReadXLSX(bytes.NewReader(data), int64(len(data)), importer.Options{})
		if err == nil {
			defer s.Close()
			err = readUntilError(t, s)
		}
		e := invalid(t, err)
		want := []connect.FieldError{{Row: 10, Column: "Notes", Reason: "is longer than the limit of 1 MiB (1843200 bytes)"}}
		if d := cmp.Diff(want, e.Fields); d != "" {
			t.Errorf("fields (-want +got):\n%s", d)
		}
	})
	t.Run("a file too large", func(t *testing.T) {
		t.Parallel()
		_, err := importer.ReadXLSX(bytes.NewReader(data), int64(len(data)), importer.Options{Limits: importer.Limits{MaxFileBytes: 1 << 10}})
		if e := invalid(t, err); e.Message != "the file is larger than 1 KiB; split it into smaller files" {
			t.Errorf("message %q", e.Message)
		}
	})
}

func TestReadXLSXRefusesFilesThatAreNotWorkbooks(t *testing.T) {
	t.Parallel()
	good := ordersWorkbook(t)
	corrupt := bytes.Clone(good)
	i := bytes.Index(corrupt, []byte("xl/worksheets/sheet1.xml")) // the local header's name
	corrupt[i+len("xl/worksheets/sheet1.xml")+20] ^= 0xFF         // a byte of its data
	cases := map[string][]byte{
		"not a zip":                 []byte("Name,City\nAnn,Bern\n"),
		"a truncated workbook":      good[:len(good)/2],
		"a damaged worksheet":       corrupt,
		"a zip that is no workbook": zipOf(t, map[string]string{"hello.txt": "hi"}),
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := importer.ReadXLSX(bytes.NewReader(data), int64(len(data)), importer.Options{})
			if e := invalid(t, err); !strings.Contains(e.Message, "not a valid .xlsx workbook") {
				t.Errorf("message %q", e.Message)
			}
		})
	}
}
