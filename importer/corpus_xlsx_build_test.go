package importer_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/dispatchkit/connect"
)

// The workbooks of the realism corpus (see corpus_build_test.go and xbook).

// numberCell is a number cell of text typed as a number ("" for none).
func numberCell(col int, text string, style int) []xcell {
	if text == "" {
		return nil
	}
	return []xcell{num(col, mustFloat(text), style)}
}

// textCell is a text cell ("" for none).
func textCell(col int, text string) []xcell {
	if text == "" {
		return nil
	}
	return []xcell{txt(col, text)}
}

func xr(n int, parts ...[]xcell) xrow {
	r := xrow{n: n}
	for _, p := range parts {
		r.cells = append(r.cells, p...)
	}
	return r
}

func xlsxCorpus() []corpusFile {
	b := baseOrders
	return []corpusFile{
		excelWindowsWorkbook(),
		excelMac1904Workbook(),
		libreofficeWeeksWorkbook(),
		googleSheetsWorkbook(),
		numbersWorkbook(),
		{
			// A generator of the OpenXML SDK's kind: the x: prefix, no r
			// attributes (cells and rows placed by their order), inline strings,
			// no shared strings part, an absolute relationship target.
			name: "generator-no-references.xlsx",
			build: func(t testing.TB) []byte {
				sh := &xsheet{name: "Export", rows: []xrow{textRow(1, fullHeader...)}}
				for i, o := range b {
					cells := o.cells(false)
					r := xrow{n: i + 3} // a blank row after the header
					for c, v := range cells {
						if v == "" {
							continue
						}
						if c >= 9 && c != 11 { // numbers stay numbers
							r.cells = append(r.cells, num(c+1, mustFloat(v), 0))
						} else {
							r.cells = append(r.cells, txt(c+1, v))
						}
					}
					sh.rows = append(sh.rows, r)
				}
				return (&xbook{flavor: "generator", sheets: []*xsheet{sh}}).bytes(t)
			},
			runs: []corpusRun{{Name: "default", Orders: wants(b...)}},
		},
		{
			// A sheet whose markup goes wrong mid-way (an HTML entity XML does not
			// know, as a careless generator writes): refused whole, with the row.
			name: "damaged-entity.xlsx",
			build: func(t testing.TB) []byte {
				sh := &xsheet{name: "Orders", rows: []xrow{textRow(1, "Id", "Address Line 1", "City")}}
				for i := 2; i <= 40; i++ {
					sh.rows = append(sh.rows, textRow(i, "D-"+strconv.Itoa(i), strconv.Itoa(i)+" Main St", "Bern"))
				}
				sh.rows[20].cells[1] = xcell{col: 2, raw: "21&nbsp;Main St"}
				return (&xbook{flavor: "generator", sheets: []*xsheet{sh}}).bytes(t)
			},
			runs: []corpusRun{{Name: "default", Error: `the sheet "Orders" is damaged at row 21, so the file cannot be imported whole`}},
		},
		{
			// openpyxl writes formulas without their results: nothing calculates
			// them until a spreadsheet program opens and saves the file.
			name: "formulas-without-results.xlsx",
			build: func(t testing.TB) []byte {
				sh := &xsheet{name: "Sheet", rows: []xrow{textRow(1, "Id", "Address Line 1", "City", "Zip", "Notes")}}
				for i, o := range b[:3] {
					sh.rows = append(sh.rows, xr(i+2, textCell(1, o.ref), textCell(2, o.line1), textCell(3, o.city),
						[]xcell{fnone(4, `"0"&"`+o.zip+`"`)}, []xcell{ftxt(5, `"x"`, "x")}))
				}
				return (&xbook{flavor: "generator", sheets: []*xsheet{sh}}).bytes(t)
			},
			runs: []corpusRun{
				{Name: "default", Orders: func() []map[connect.Field]string {
					var out []map[connect.Field]string
					for _, o := range b[:3] {
						out = append(out, typed{ref: o.ref, line1: o.line1, city: o.city, notes: "x"}.want())
					}
					return out
				}(), Warnings: []string{
					`row 2, column "Zip": Zip ` + noResult, `row 3, column "Zip": Zip ` + noResult, `row 4, column "Zip": Zip ` + noResult,
				}},
				{Name: "zip required", Require: []connect.Field{connect.FieldZip}, Refused: []string{
					`row 2, column "Zip": Zip is required`, `row 3, column "Zip": Zip is required`, `row 4, column "Zip": Zip is required`,
				}, Warnings: []string{
					`row 2, column "Zip": Zip ` + noResult, `row 3, column "Zip": Zip ` + noResult, `row 4, column "Zip": Zip ` + noResult,
				}},
			},
		},
	}
}

// excelWindowsWorkbook is Excel on Windows: numbers at 17 digits, formatted (a
// latitude shown 51.52, a zip 00000, a phone in General), a hidden old phone
// column before the visible one, a row a filter hides, a table with a totals row,
// a formula with a result and one without, a line break saved as _x000D_.
func excelWindowsWorkbook() corpusFile {
	const (
		sGeneral = iota
		s2dp     // 0.00
		sZip     // 00000
		sInt     // 0
	)
	header := []string{"Id", "Address Line 1", "City", "Zip", "Phone (old)", "Recipient Phone Number", "Latitude",
		"Longitude", "Size", "Package Count", "Notes"}
	orders := []typed{
		{ref: "1001", line1: "14 Baker Street", city: "London", zip: "NW1 6XE", phone: "447911123456", size: "2.5",
			packages: "2", lat: "51.507351", lng: "-0.127758", notes: "Ring twice"},
		{ref: "1002", line1: "Müllerstraße 5", city: "Zürich", zip: "8001", phone: "+41 44 668 18 00", lat: "47.376887",
			lng: "8.541694", packages: "1"},
		{ref: "1003", line1: "12 Rue de l'Église", city: "Besançon", zip: "25000", size: "1.256",
			notes: "2ème étage\r\nporte gauche"},
		{ref: "1004", line1: "1 Main St", city: "Springfield", zip: "02134", packages: "3"},
		{ref: "1006", line1: "6 Main St", city: "Springfield", zip: "02136"},
	}
	build := func(t testing.TB) []byte {
		sh := &xsheet{name: "Orders", hiddenCols: []int{5}, autoFilter: "A1:K6",
			table: &xtable{name: "Orders", ref: "A1:K7", columns: header, totals: true}}
		sh.rows = append(sh.rows, textRow(1, header...))
		for i, o := range orders {
			n := i + 2
			if i == 4 {
				n = 6
			}
			r := xr(n, numberCell(1, o.ref, sGeneral), textCell(2, o.line1), textCell(3, o.city))
			switch o.zip {
			case "02134", "02136":
				r.cells = append(r.cells, num(4, mustFloat(o.zip), sZip))
			default:
				r.cells = append(r.cells, txt(4, o.zip))
			}
			r.cells = append(r.cells, txt(5, "020 0000 000"+strconv.Itoa(i))) // the old phone
			if o.phone == "447911123456" {
				r.cells = append(r.cells, num(6, 447911123456, sGeneral))
			} else if o.phone != "" {
				r.cells = append(r.cells, txt(6, o.phone))
			}
			r.cells = append(r.cells, numberCell(7, o.lat, s2dp)...)
			r.cells = append(r.cells, numberCell(8, o.lng, s2dp)...)
			r.cells = append(r.cells, numberCell(9, o.size, s2dp)...)
			if i == 0 {
				r.cells = append(r.cells, fnum(10, "1+1", 2, sInt))
			} else {
				r.cells = append(r.cells, numberCell(10, o.packages, sInt)...)
			}
			switch {
			case i == 1:
				r.cells = append(r.cells, fnone(11, `IF(J3>1,"Call first","")`))
			case o.notes != "":
				r.cells = append(r.cells, txt(11, o.notes))
			}
			r.hidden = i == 4
			sh.rows = append(sh.rows, r)
		}
		sh.rows = append(sh.rows, xr(7, []xcell{txt(1, "Total")}, []xcell{fnum(10, "SUBTOTAL(109,[Package Count])", 8, sInt)}))
		return (&xbook{flavor: "excel", formats: []string{"0.00", "00000", "0"}, sheets: []*xsheet{sh}}).bytes(t)
	}
	common := []string{
		`Column "Phone (old)" is hidden in the sheet and is not imported`,
	}
	rowWarnings := []string{
		`row 2, column "Recipient Phone Number": Recipient Phone Number shows as 4.47911E+11 in a spreadsheet program ` +
			`(scientific notation); all its digits are imported: 447911123456`,
		`row 3, column "Notes": Notes ` + noResult,
	}
	qualified := `Column "Phone (old)" looks like Recipient Phone Number, but its name says "old", so it is not imported; ` +
		`choose it in the mapping if it holds the Recipient Phone Number`
	return corpusFile{name: "excel-windows.xlsx", build: build, runs: []corpusRun{
		{Name: "default", Orders: wants(orders...), Warnings: append(append(common,
			"1 row hidden in the sheet was imported (row 6); choose to skip hidden rows to leave them out",
			"Row 7 is a table's totals row and was not imported", qualified), rowWarnings...)},
		{Name: "hidden rows skipped", SkipHiddenRows: true, Orders: wants(orders[:4]...), Warnings: append(append(common,
			"1 row hidden in the sheet was not imported (row 6)",
			"Row 7 is a table's totals row and was not imported", qualified), rowWarnings...)},
	}}
}

// excelMac1904Workbook is an old Excel for Mac file in the 1904 date system: the
// notes are dates the client typed, which Excel stored as day numbers.
func excelMac1904Workbook() corpusFile {
	build := func(t testing.TB) []byte {
		sh := &xsheet{name: "Sheet1", rows: []xrow{
			textRow(1, "Id", "Address Line 1", "City", "Notes", "Delivery date"),
			xr(2, textCell(1, "M-1"), textCell(2, "1 Infinite Loop"), textCell(3, "Cupertino"),
				[]xcell{num(4, serial(2026, time.December, 24, true), 1)}, []xcell{num(5, serial(2026, time.December, 24, true), 2)}),
			xr(3, textCell(1, "M-2"), textCell(2, "2 Infinite Loop"), textCell(3, "Cupertino"),
				[]xcell{num(4, serial(2027, time.January, 2, true), 2)}),
		}}
		return (&xbook{flavor: "excel-mac", date1904: true, formats: []string{"d-mmm", "m/d/yyyy"}, sheets: []*xsheet{sh}}).bytes(t)
	}
	return corpusFile{name: "excel-mac-1904.xlsx", build: build, runs: []corpusRun{{Name: "default", Orders: wants(
		typed{ref: "M-1", line1: "1 Infinite Loop", city: "Cupertino", notes: "24-Dec"},
		typed{ref: "M-2", line1: "2 Infinite Loop", city: "Cupertino", notes: "1/2/2027"},
	)}}}
}

// libreofficeWeeksWorkbook is LibreOffice Calc: an instructions sheet first, then
// a sheet a week, each with a merged title above the header; Ids repeat across
// weeks, in other capitals.
func libreofficeWeeksWorkbook() corpusFile {
	week1 := []typed{
		{ref: "W1-1", line1: "1 Quai du Port", city: "Marseille", zip: "13002", packages: "2"},
		{ref: "W1-2", line1: "2 Quai du Port", city: "Marseille", zip: "13002"},
	}
	week2 := []typed{
		{ref: "W2-1", line1: "3 Quai du Port", city: "Marseille", zip: "13002", packages: "1"},
		{ref: "W2-2", city: "Marseille", zip: "13002"},
		{ref: "w1-2", line1: "2 Quai du Port", city: "Marseille", zip: "13002"},
	}
	sheet := func(name string, orders []typed) *xsheet {
		sh := &xsheet{name: name, merges: []string{"A1:E1"}, rows: []xrow{
			textRow(1, "Orders for "+name), textRow(3, "Id", "Address Line 1", "City", "Zip", "Package Count")}}
		for i, o := range orders {
			sh.rows = append(sh.rows, xr(i+4, textCell(1, o.ref), textCell(2, o.line1), textCell(3, o.city), textCell(4, o.zip),
				numberCell(5, o.packages, 0)))
		}
		return sh
	}
	build := func(t testing.TB) []byte {
		return (&xbook{flavor: "libreoffice", sheets: []*xsheet{
			{name: "Instructions", rows: []xrow{
				textRow(1, "One sheet a week. Columns:"),
				textRow(2, "Address Line 1", "street and number"),
				textRow(3, "Zip", "postcode"),
			}},
			sheet("Week 1", week1), sheet("Week 2", week2),
		}}).bytes(t)
	}
	instructions := `Sheet "Instructions" has 3 rows and was not imported; choose it to import it instead`
	return corpusFile{name: "libreoffice-weeks.xlsx", build: build, runs: []corpusRun{
		{Name: "default", Orders: wants(week1...), Warnings: []string{
			instructions,
			`Sheet "Week 2" has 3 rows with the same columns and was not imported; choose it to import it too`,
			`1 row above the header (row 3) was skipped: "Orders for Week 1"`,
		}},
		{Name: "both weeks", Sheets: []string{"Week 1", "Week 2"}, Orders: wants(week1[0], week1[1], week2[0]),
			Refused: []string{
				`sheet "Week 2", row 5, column "Address Line 1": Address Line 1 is required`,
				`sheet "Week 2", row 6, column "Id": Id "w1-2" is a duplicate of row 5 of sheet "Week 1"`,
			}, Warnings: []string{
				instructions,
				`1 row above the header (row 3) was skipped: "Orders for Week 1"`,
			}},
		{Name: "week 2", Sheets: []string{"week 2"}, Orders: wants(week2[0], week2[2]),
			Refused: []string{`row 5, column "Address Line 1": Address Line 1 is required`},
			Warnings: []string{
				instructions,
				`Sheet "Week 1" has 2 rows with the same columns and was not imported; choose it to import it too`,
				`1 row above the header (row 3) was skipped: "Orders for Week 2"`,
			}},
	}}
}

// googleSheetsWorkbook is Google Sheets: no dimension, no spans, a header of two
// rows with merged cells, numbers as typed, a hidden row.
func googleSheetsWorkbook() corpusFile {
	orders := []typed{
		{ref: "G-1", name: "Ann Smith", phone: "020 7946 0018", line1: "14 Baker Street", city: "London", zip: "NW1 6XE",
			lat: "51.5237", lng: "-0.1585"},
		{ref: "G-2", name: "Zoë Café", line1: "Müllerstraße 5", city: "Zürich", zip: "8001", lat: "47.3769", lng: "8.5417"},
		{ref: "G-3", name: "Bob", line1: "3 High St", city: "Leeds", zip: "LS1 1AA"},
	}
	build := func(t testing.TB) []byte {
		sh := &xsheet{name: "Orders", merges: []string{"A1:A2", "B1:C1", "D1:F1", "G1:H1"}, rows: []xrow{
			textRow(1, "Id", "Recipient", "", "Address", "", "", "Coordinates"),
			xr(2, textCell(2, "Name"), textCell(3, "Phone"), textCell(4, "Street"), textCell(5, "City"), textCell(6, "Zip"),
				textCell(7, "Lat"), textCell(8, "Lng")),
		}}
		for i, o := range orders {
			r := xr(i+3, textCell(1, o.ref), textCell(2, o.name), textCell(3, o.phone), textCell(4, o.line1), textCell(5, o.city),
				textCell(6, o.zip), numberCell(7, o.lat, 0), numberCell(8, o.lng, 0))
			r.hidden = i == 2
			sh.rows = append(sh.rows, r)
		}
		return (&xbook{flavor: "google", sheets: []*xsheet{sh}}).bytes(t)
	}
	return corpusFile{name: "google-sheets.xlsx", build: build, runs: []corpusRun{{Name: "default", Orders: wants(orders...),
		Warnings: []string{
			`1 row above the header (row 2) was skipped: "Id Recipient Address Coordinates"`,
			"1 row hidden in the sheet was imported (row 5); choose to skip hidden rows to leave them out",
			"Cells merged over several rows (A1:A2) are read in each of their rows, as the sheet shows them",
		}}}}
}

// numbersWorkbook is Numbers, exported with its summary sheet first: format 0
// redefined, headers in the text format, numbers as typed.
func numbersWorkbook() corpusFile {
	b := baseOrders
	build := func(t testing.TB) []byte {
		summary := &xsheet{name: "Export Summary", rows: []xrow{
			textRow(1, "This document was exported from Numbers. Each table was converted to an Excel worksheet."),
			textRow(3, "Numbers Sheet Name", "Numbers Table Name", "Excel Worksheet Name"),
			textRow(4, "Orders", "Table 1", "Orders - Table 1"),
		}}
		sh := &xsheet{name: "Orders - Table 1"}
		r := xrow{n: 1}
		for i, h := range fullHeader {
			r.cells = append(r.cells, xcell{col: i + 1, text: h, style: 1})
		}
		sh.rows = append(sh.rows, r)
		for i, o := range b {
			cells := o.cells(false)
			r := xrow{n: i + 2}
			for c, v := range cells {
				switch {
				case v == "":
				case c >= 9 && c != 11: // size, count, coordinates: numbers
					r.cells = append(r.cells, num(c+1, mustFloat(v), 0))
				default:
					r.cells = append(r.cells, txt(c+1, v))
				}
			}
			sh.rows = append(sh.rows, r)
		}
		return (&xbook{flavor: "numbers", formats: []string{"@"}, sheets: []*xsheet{summary, sh}}).bytes(t)
	}
	return corpusFile{name: "numbers-export.xlsx", build: build, runs: []corpusRun{{Name: "default", Orders: wants(b...),
		Warnings: []string{`Sheet "Export Summary" has 3 rows and was not imported; choose it to import it instead`}}}}
}
