package importer_test

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/dispatchkit/connect"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
)

// The realism corpus (testdata/corpus): files made the way Excel (Windows and
// Mac), Numbers, Google Sheets, LibreOffice and other programs write them, each
// with the orders it holds beside it. The files are built here (go test -run
// TestCorpusFiles -update-corpus writes them) from the orders as the client typed
// them: the expected orders are that truth, never what the importer reads.

// typed is an order as the client typed it into their spreadsheet program.
type typed struct {
	ref, line1, city, zip, country, name, phone, notes, size, packages, products, lat, lng string
	pickup                                                                                 bool
}

// baseOrders are typed by every client; the last has letters no legacy code page
// holds.
var baseOrders = []typed{
	{ref: "ORD-1001", line1: "14 Baker Street", city: "London", zip: "NW1 6XE", country: "United Kingdom", name: "Ann Smith",
		phone: "020 7946 0018", notes: "Ring twice", size: "2.5", packages: "2", lat: "51.5237", lng: "-0.1585"},
	{ref: "ORD-1002", line1: "Müllerstraße 5", city: "Zürich", zip: "8001", name: "Zoë Café", notes: "Klingeln, bitte",
		products: "Veg box x2; Bread [SKU: BR-1]", lat: "47.3769", lng: "8.5417"},
	{ref: "ORD-1003", line1: "12 Rue de l'Église", city: "Besançon", zip: "25000", name: "Jérôme Dœuf", pickup: true,
		notes: "2ème étage\nporte gauche", size: "1.25"},
	{ref: "ORD-1004", line1: "1 Main St", city: "Springfield", zip: "02134", phone: "+1 555 0100", packages: "3"},
	{ref: "ORD-1005", line1: "東京都港区芝公園4-2-8", city: "東京", name: "山田太郎 🚚", notes: "置き配OK", lat: "35.6586", lng: "139.7454"},
}

// want is the order as it must be stored: each field's text as the order-field
// table writes it (connect.Field.Format), empty fields left out.
func (o typed) want() map[connect.Field]string {
	m := map[connect.Field]string{connect.FieldRef: o.ref, connect.FieldAddressLine1: o.line1, connect.FieldCity: o.city,
		connect.FieldZip: o.zip, connect.FieldCountry: o.country, connect.FieldRecipientName: o.name,
		connect.FieldRecipientPhone: o.phone, connect.FieldNotes: o.notes, connect.FieldSize: o.size,
		connect.FieldPackageCount: o.packages, connect.FieldProducts: o.products, connect.FieldLatitude: o.lat,
		connect.FieldLongitude: o.lng}
	if o.pickup {
		m[connect.FieldStopType] = string(connect.Pickup)
	}
	for f, v := range m {
		if v == "" {
			delete(m, f)
		}
	}
	return m
}

// cat joins lists of orders into a new one (appending to baseOrders' slices
// would write over the orders after them).
func cat(lists ...[]typed) []typed {
	var out []typed
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

func wants(orders ...typed) []map[connect.Field]string {
	out := make([]map[connect.Field]string, len(orders))
	for i, o := range orders {
		out[i] = o.want()
	}
	return out
}

// fullHeader is the help article's column list, as the template writes it.
var fullHeader = []string{"Id", "Address Line 1", "City", "Zip", "Country", "Recipient Name", "Type of stop",
	"Recipient Phone Number", "Notes", "Size", "Package Count", "Products", "Latitude", "Longitude"}

// cells writes an order in fullHeader's columns; decimalComma writes numbers as
// much of Europe does.
func (o typed) cells(decimalComma bool) []string {
	num := func(s string) string {
		if decimalComma {
			return strings.ReplaceAll(s, ".", ",")
		}
		return s
	}
	stop := "Delivery"
	if o.pickup {
		stop = "Pickup"
	}
	return []string{o.ref, o.line1, o.city, o.zip, o.country, o.name, stop, o.phone, o.notes, num(o.size),
		o.packages, o.products, num(o.lat), num(o.lng)}
}

// csvText writes rows as a spreadsheet program writes CSV: cells quoted when they
// hold the delimiter, a quote or a line break (lineBreak in a cell: how the
// program ends lines inside cells), every row with the same number of cells.
func csvText(rows [][]string, delim, eol, lineBreak string) string {
	var b strings.Builder
	for _, r := range rows {
		for i, c := range r {
			if i > 0 {
				b.WriteString(delim)
			}
			c = strings.ReplaceAll(c, "\n", lineBreak)
			if strings.ContainsAny(c, delim+"\"\r\n") {
				c = `"` + strings.ReplaceAll(c, `"`, `""`) + `"`
			}
			b.WriteString(c)
		}
		b.WriteString(eol)
	}
	return b.String()
}

func ordersTable(decimalComma bool, orders ...typed) [][]string {
	rows := [][]string{fullHeader}
	for _, o := range orders {
		rows = append(rows, o.cells(decimalComma))
	}
	return rows
}

func encode(t testing.TB, enc interface{ Bytes([]byte) ([]byte, error) }, s string) []byte {
	t.Helper()
	b, err := enc.Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// macRows are 2,000 orders, as a client's Mac exports them in one file.
func macRows() []typed {
	out := make([]typed, 2000)
	for i := range out {
		out[i] = typed{ref: fmt.Sprintf("MAC-%04d", i+1), line1: fmt.Sprintf("%d Rue Haute", i+1), city: "Besançon"}
	}
	return out
}

// serial is the date's serial number in a workbook's date system.
func serial(y int, m time.Month, d int, date1904 bool) float64 {
	t := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	if date1904 {
		return math.Round(t.Sub(time.Date(1904, 1, 1, 0, 0, 0, 0, time.UTC)).Hours() / 24)
	}
	return math.Round(t.Sub(time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)).Hours() / 24)
}

// corpusRun is one import of a corpus file and what it must do.
type corpusRun struct {
	Name           string          `json:"name"`
	Sheets         []string        `json:"sheets,omitempty"`
	SkipHiddenRows bool            `json:"skip_hidden_rows,omitempty"`
	Require        []connect.Field `json:"require,omitempty"` // the client's required fields
	// Orders are the orders stored, by Id.
	Orders []map[connect.Field]string `json:"orders"`
	// Refused are the refusals, each with its sheet, row, column and reason.
	Refused []string `json:"refused,omitempty"`
	// Warnings are the import's warnings, in order.
	Warnings []string `json:"warnings,omitempty"`
	// Error is what the import's error says when the file is refused whole.
	Error string `json:"error,omitempty"`
}

// corpusFile is a file of the corpus, how it is built, and its imports.
type corpusFile struct {
	name  string
	build func(t testing.TB) []byte
	runs  []corpusRun
}

const (
	notUTF8Windows = `The file is not UTF-8: it was read as Windows-1252, as Excel on Windows saves it; if letters look wrong, save it as "CSV UTF-8"`
	notUTF8Mac     = `The file is not UTF-8: it was read as Mac Roman, as Excel for Mac saves it; if letters look wrong, save it as "CSV UTF-8"`
	noResult       = "has a formula whose result is not saved in the file (the program that wrote it did not calculate it), " +
		"so it is imported empty; open the file in your spreadsheet program and save it again"
)

func corpusFiles() []corpusFile {
	b := baseOrders
	latin := b[:4] // what Windows-1252 and Mac Roman can hold
	zero := typed{ref: "ORD-1006", line1: "6 Main St", city: "Springfield", packages: "0"}
	return []corpusFile{
		{
			// Excel on Windows, "CSV (Comma delimited)": the computer's code page
			// (Windows-1252), CRLF, LF inside quoted cells, and a package count
			// of 0, which would otherwise read as no count.
			name: "excel-windows-1252.csv",
			build: func(t testing.TB) []byte {
				return encode(t, charmap.Windows1252.NewEncoder(), csvText(ordersTable(false, cat(latin, []typed{zero})...), ",", "\r\n", "\n"))
			},
			runs: []corpusRun{{Name: "default", Orders: wants(latin...),
				Refused:  []string{`row 6, column "Package Count": Package Count must be a whole number of 1 or more, not "0"`},
				Warnings: []string{notUTF8Windows}}},
		},
		{
			// Excel on Windows in Germany: semicolons, decimal commas. A size of
			// 1,25 is a decimal; 1,256 could be either, and is refused rather
			// than guessed.
			name: "excel-windows-de-semicolon.csv",
			build: func(t testing.TB) []byte {
				odd := b[2]
				odd.ref, odd.size = "ORD-1007", "1.256"
				return encode(t, charmap.Windows1252.NewEncoder(), csvText(ordersTable(true, cat(latin, []typed{odd})...), ";", "\r\n", "\n"))
			},
			runs: []corpusRun{{Name: "default", Orders: wants(latin...),
				Refused: []string{`row 6, column "Size": Size "1,256" is ambiguous: write 1256 for more than a thousand, ` +
					`or 1.256 with a decimal point`},
				Warnings: []string{notUTF8Windows}}},
		},
		{
			// Excel for Mac, "CSV" (the old "CSV (Macintosh)"): Mac Roman, lines
			// and line breaks in cells ending in CR alone; 2,004 rows.
			name: "excel-mac-macroman-cr.csv",
			build: func(t testing.TB) []byte {
				return encode(t, charmap.Macintosh.NewEncoder(), csvText(ordersTable(false, cat(latin, macRows())...), ",", "\r", "\r"))
			},
			runs: []corpusRun{{Name: "default", Orders: wants(cat(latin, macRows())...), Warnings: []string{notUTF8Mac}}},
		},
		{
			// Excel's "CSV UTF-8": a byte order mark, CRLF.
			name: "excel-csv-utf8-bom.csv",
			build: func(testing.TB) []byte {
				return []byte("\xEF\xBB\xBF" + csvText(ordersTable(false, b...), ",", "\r\n", "\n"))
			},
			runs: []corpusRun{{Name: "default", Orders: wants(b...)}},
		},
		{
			// Excel for Mac's "CSV UTF-8": a byte order mark, and CR alone.
			name: "excel-mac-csv-utf8-cr.csv",
			build: func(testing.TB) []byte {
				return []byte("\xEF\xBB\xBF" + csvText(ordersTable(false, b...), ",", "\r", "\r"))
			},
			runs: []corpusRun{{Name: "default", Orders: wants(b...)}},
		},
		{
			// Excel's "Unicode Text": UTF-16LE with a byte order mark, tabs.
			name: "excel-unicode-text.txt",
			build: func(t testing.TB) []byte {
				return encode(t, unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder(), csvText(ordersTable(false, b...), "\t", "\r\n", "\n"))
			},
			runs: []corpusRun{{Name: "default", Orders: wants(b...)}},
		},
		{
			// A web shop's export for Excel: a "sep=;" line, a title and a blank
			// line above the header, LF.
			name: "shop-export-sep-title.csv",
			build: func(testing.TB) []byte {
				return []byte("sep=;\nOrders for week 49;;;\n;;;\n" + csvText(ordersTable(false, b...), ";", "\n", "\n"))
			},
			runs: []corpusRun{{Name: "default", Orders: wants(b...), Warnings: []string{
				`1 row above the header (row 3) was skipped: "Orders for week 49"`,
				"The first line (sep=;) set the delimiter, as Excel reads it; it is not a row",
			}}},
		},
		{
			// LibreOffice Calc's CSV: UTF-8, LF, cells saved as shown (2.50 for a
			// size formatted 0.00), every text cell quoted.
			name: "libreoffice-as-shown.csv",
			build: func(testing.TB) []byte {
				rows := ordersTable(false, b...)
				var text strings.Builder
				for i, r := range rows {
					for j, c := range r {
						if j > 0 {
							text.WriteString(",")
						}
						if i > 0 && j == 9 && c != "" { // Size, shown with two decimals
							text.WriteString(fmt.Sprintf("%.2f", mustFloat(c)))
							continue
						}
						text.WriteString(`"` + strings.ReplaceAll(c, `"`, `""`) + `"`)
					}
					text.WriteString("\n")
				}
				return []byte(text.String())
			},
			runs: []corpusRun{{Name: "default", Orders: wants(b...)}},
		},
		{
			// Google Sheets' "Comma-separated values": UTF-8, CRLF, the client's
			// own column names.
			name: "google-sheets.csv",
			build: func(testing.TB) []byte {
				rows := [][]string{{"Order ID", "Street", "Town", "Postcode", "Customer name", "Mobile", "Delivery notes", "Qty", "Lat", "Lng"}}
				for _, o := range b {
					rows = append(rows, []string{o.ref, o.line1, o.city, o.zip, o.name, o.phone, o.notes, o.packages, o.lat, o.lng})
				}
				return []byte(csvText(rows, ",", "\r\n", "\n"))
			},
			runs: []corpusRun{{Name: "default", Orders: func() []map[connect.Field]string {
				var out []map[connect.Field]string
				for _, o := range b {
					o.country, o.size, o.products, o.pickup = "", "", "", false
					out = append(out, o.want())
				}
				return out
			}()}},
		},
		{
			// Two exports pasted into one file: CRLF, then LF, and a CR alone.
			name: "mixed-line-ends.csv",
			build: func(testing.TB) []byte {
				text := csvText(ordersTable(false, b[:2]...), ",", "\r\n", "\n") + csvText(ordersTable(false, b[2:4]...)[1:], ",", "\n", "\n")
				return []byte(text + csvText(ordersTable(false, b[4])[1:], ",", "\r", "\n"))
			},
			runs: []corpusRun{{Name: "default", Orders: wants(b...)}},
		},
	}
}

func mustFloat(s string) float64 {
	var f float64
	if _, err := fmt.Sscan(s, &f); err != nil {
		panic(err)
	}
	return f
}
