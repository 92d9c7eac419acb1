package importer_test

import (
	"bytes"
	"strconv"
	"strings"
	"testing"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/importer"
	"github.com/google/go-cmp/cmp"
)

// toolsBook is the same small sheet of orders, as each program writes it.
func toolsBook(flavor string) *xbook {
	return &xbook{flavor: flavor, formats: []string{"0.00", "00000", "0", "m/d/yyyy"}, sheets: []*xsheet{{
		name: "Orders",
		rows: []xrow{
			textRow(1, "Id", "Address", "Zip", "Latitude", "Phone", "Qty", "Delivered"),
			{n: 2, cells: []xcell{num(1, 1001, 0), txt(2, "1 Main St"), num(3, 2134, 2), num(4, 51.507351, 1),
				num(5, 447911123456, 0), num(6, 2, 3), num(7, 46351, 4)}},
			{n: 4, cells: []xcell{txt(1, "A-2"), txt(2, "Line one\r\nLine two"), txt(3, "NW1 6XE"), num(4, -0.1276, 1),
				txt(5, "020 7946 0018"), fnum(6, "1+1", 2, 3), {col: 7, boolean: "1"}}},
		},
	}}}
}

func TestReadXLSXReadsWhatEachProgramWrites(t *testing.T) {
	t.Parallel()
	want := sheetRows{
		Header: row(1, "Id", "Address", "Zip", "Latitude", "Phone", "Qty", "Delivered"),
		Rows: []importer.Row{
			{Number: 2, Cells: []string{"1001", "1 Main St", "02134", "51.51", "447911123456", "2", "11/25/2026"},
				Values: []string{"", "", "2134", "51.507351", "", "", "46351"},
				Notes: []importer.CellNote{{Column: 4, Reason: "shows as 4.47911E+11 in a spreadsheet program " +
					"(scientific notation); all its digits are imported: 447911123456"}}},
			{Number: 4, Cells: []string{"A-2", "Line one\r\nLine two", "NW1 6XE", "-0.13", "020 7946 0018", "2", "TRUE"},
				Values: []string{"", "", "", "-0.1276", "", "", ""}},
		},
	}
	for _, flavor := range []string{"excel", "excel-mac", "libreoffice", "google", "numbers", "generator"} {
		t.Run(flavor, func(t *testing.T) {
			t.Parallel()
			got := readXLSX(t, toolsBook(flavor).bytes(t), importer.Options{})
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("rows (-want +got):\n%s", d)
			}
		})
	}
}

func TestReadXLSXReadsTheSheetsLayout(t *testing.T) {
	t.Parallel()
	book := &xbook{flavor: "excel", date1904: true, formats: []string{"yyyy-mm-dd"}, sheets: []*xsheet{{
		name: "Orders",
		rows: []xrow{
			textRow(1, "Orders for week 49"),
			textRow(2, "Id", "City", "Phone (old)", "Phone", "Notes"),
			{n: 3, cells: []xcell{txt(1, "A-1"), txt(2, "Bern"), txt(3, "1"), txt(4, "2"), num(5, 0, 1)}},
			{n: 4, hidden: true, cells: []xcell{txt(1, "A-2"), txt(3, "1"), fnone(5, `TEXT(A4,"x")`)}},
			{n: 5, cells: []xcell{txt(1, "A-3"), txt(4, "3")}},
			{n: 6, cells: []xcell{txt(1, "Total"), fnum(4, "SUBTOTAL(109,D3:D5)", 5, 0)}},
		},
		hiddenCols: []int{3},
		merges:     []string{"A1:E1", "B3:B5"},
		table:      &xtable{name: "Orders", ref: "A2:E6", columns: []string{"Id", "City", "Phone (old)", "Phone", "Notes"}, totals: true},
	}}}
	data := book.bytes(t)
	s, err := importer.ReadXLSX(bytes.NewReader(data), int64(len(data)), importer.Options{})
	must(t, err)
	defer s.Close()
	got := readAll(t, s)
	want := sheetRows{
		Header: row(1, "Orders for week 49"),
		Rows: []importer.Row{
			row(2, "Id", "City", "Phone (old)", "Phone", "Notes"),
			{Number: 3, Cells: []string{"A-1", "Bern", "1", "2", "1904-01-01"}, Values: []string{"", "", "", "", "0"}},
			// Bern is merged over rows 3 to 5: each shows it.
			{Number: 4, Hidden: true, Cells: []string{"A-2", "Bern", "1"}, Notes: []importer.CellNote{{Column: 4,
				Reason: "has a formula whose result is not saved in the file (the program that wrote it did not " +
					"calculate it), so it is imported empty; open the file in your spreadsheet program and save it again"}}},
			row(5, "A-3", "Bern", "", "3"),
			row(6, "Total", "", "", "5"),
		},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("rows (-want +got):\n%s", d)
	}
	wantInfo := importer.SheetInfo{Format: importer.FormatXLSX, Name: "Orders", HiddenColumns: []int{2}, Merged: []string{"B3:B5"},
		Tables: []importer.TableInfo{{Name: "Orders", HeaderRow: 2, LastRow: 6, LastColumn: 4, TotalsRows: 1}}}
	if d := cmp.Diff(wantInfo, s.Info()); d != "" {
		t.Errorf("info (-want +got):\n%s", d)
	}
}

func TestReadXLSXRefusesADamagedSheetRatherThanCutItShort(t *testing.T) {
	t.Parallel()
	rows := func(from, to int) string {
		var b strings.Builder
		for r := from; r <= to; r++ {
			b.WriteString(`<row r="` + itoa(r) + `">` + inline("A"+itoa(r), "W-"+itoa(r)) + inline("B"+itoa(r), "1 Main St") + `</row>`)
		}
		return b.String()
	}
	head := `<row r="1">` + inline("A1", "Id") + inline("B1", "Address") + `</row>`
	cases := []struct {
		name, sheet string
		row         int
	}{
		{"an entity XML does not know, in a cell", sheetXML(head + rows(2, 40) + `<row r="41">` + inline("B41", "a&nbsp;b") + `</row>` + rows(42, 60)), 41},
		{"an entity in the last row", sheetXML(head + rows(2, 40) + `<row r="41">` + inline("B41", "a&nbsp;b") + `</row>`), 41},
		{"a sheet cut short", (sheetHead + head + rows(2, 60))[:len(sheetHead+head+rows(2, 30))+40], 31},
		{"a tag closed by another", sheetXML(head + rows(2, 10) + `<row r="11"><c r="A11"><v>1</c></row>` + rows(12, 20)), 11},
		{"rows out of order: from the row after the last in order", sheetXML(head + rows(2, 10) + rows(5, 6)), 11},
		{"a cell out of place", sheetXML(head + `<row r="2">` + inline("B2", "x") + inline("A2", "y") + `</row>`), 2},
		{"an error after the last row", sheetXML(head + rows(2, 10))[:len(sheetXML(head+rows(2, 10)))-len("</worksheet>")] + "</sheetData>", 11},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			data := withSheet(t, c.sheet)
			s, err := importer.ReadXLSX(bytes.NewReader(data), int64(len(data)), importer.Options{})
			if err == nil {
				defer s.Close()
				err = readUntilError(t, s)
			}
			e := invalid(t, err)
			want := []connect.FieldError{{Row: c.row, Reason: e.Fields[0].Reason}}
			if d := cmp.Diff(want, e.Fields); d != "" || !strings.Contains(e.Message, "damaged at row "+itoa(c.row)) {
				t.Errorf("error %q, fields (-want +got):\n%s", e.Message, d)
			}
		})
	}
}

func TestReadXLSXReadsRowsAndCellsWithoutReferences(t *testing.T) {
	t.Parallel()
	data := withSheet(t, `<?xml version="1.0" encoding="UTF-8"?><x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:sheetData>`+
		`<x:row><x:c t="inlineStr"><x:is><x:t>Id</x:t></x:is></x:c><x:c t="inlineStr"><x:is><x:t>Notes</x:t></x:is></x:c></x:row>`+
		`<x:row/><x:row><x:c><x:v>7</x:v></x:c><x:c/><x:c t="inlineStr"><x:is><x:r><x:t>rich </x:t></x:r><x:r><x:t>text</x:t></x:r><x:rPh><x:t>ignored</x:t></x:rPh></x:is></x:c></x:row>`+
		`</x:sheetData></x:worksheet>`)
	want := sheetRows{Header: row(1, "Id", "Notes"), Rows: []importer.Row{row(3, "7", "", "rich text")}}
	if d := cmp.Diff(want, readXLSX(t, data, importer.Options{})); d != "" {
		t.Errorf("rows (-want +got):\n%s", d)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
