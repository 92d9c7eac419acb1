package importer_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/connecttest"
	"github.com/dispatchkit/connect/importer"
	"github.com/dispatchkit/connect/internal/pgtest"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/unicode"
)

// portal is the core (connecttest's World) with one client whose owner imports.
type portal struct {
	t      *testing.T
	svc    *connect.Service
	disp   connect.Actor // the dispatcher who invited the client
	client *connect.Client
	owner  connect.Actor
}

// newPortal invites and signs up a client with the settings. The core stores on
// SQLite, or on a PostgreSQL schema of the test's own when
// CONNECT_TEST_STORE=postgres.
func newPortal(t *testing.T, settings connect.ClientSettings) *portal {
	t.Helper()
	var opts []connecttest.Option
	if os.Getenv("CONNECT_TEST_STORE") == "postgres" {
		opts = append(opts, connecttest.WithDSN(pgtest.Schema(t)))
	}
	w := connecttest.New(t, opts...)
	tm := w.NewClient("Green Grocer", settings)
	return &portal{t: t, svc: w.Service, disp: w.Dispatcher, client: tm.Client, owner: tm.Owner.Actor}
}

// source opens a file as the core's importer would.
func (p *portal) source(data []byte, name string) *importer.Source {
	p.t.Helper()
	return openSource(p.t, data, name, importer.SourceOptions{})
}

// importFile imports a file, failing the test on an error.
func (p *portal) importFile(data []byte, name string, opts connect.ImportOptions) *connect.ImportResult {
	p.t.Helper()
	res, err := p.svc.Import(p.t.Context(), p.owner, p.source(data, name), opts)
	if err != nil {
		p.t.Fatalf("Import: %v", err)
	}
	return res
}

// drafts returns the client's drafts as their inputs, oldest first.
func (p *portal) drafts() []connect.OrderInput {
	p.t.Helper()
	var out []connect.OrderInput
	cursor := ""
	for {
		page, err := p.svc.Orders(p.t.Context(), p.owner, connect.ListOrdersParams{View: connect.ViewDrafts, Limit: 500, Cursor: cursor})
		if err != nil {
			p.t.Fatal(err)
		}
		for _, o := range page.Orders {
			out = append(out, o.OrderInput)
		}
		if cursor = page.Next; cursor == "" {
			break
		}
	}
	// Newest first: turn around.
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// counts are an ImportResult's numbers.
type counts struct{ Read, Imported, Refused, Duplicates int }

func countsOf(r *connect.ImportResult) counts {
	return counts{r.Read, r.Imported, r.Refused, r.Duplicates}
}

// sortByRef orders inputs by Ref, for comparing sets of orders.
var sortByRef = cmpopts.SortSlices(func(a, b connect.OrderInput) bool { return a.Ref < b.Ref })

// encodingTestRows is a small file with letters beyond ASCII, as clients in Europe send.
var encodingTestRows = [][]string{
	{"Id", "Address Line 1", "City", "Recipient Name", "Notes"},
	{"E-1", "Müllerstraße 5", "Zürich", "Zoë Café", "Klingeln, bitte"},
	{"E-2", "12 Rue de l'Église", "Besançon", "Jérôme Dœuf", "2ème étage"},
}

var encodingTestOrders = []connect.OrderInput{
	{Ref: "E-1", StopType: connect.Delivery, Address: connect.Address{Line1: "Müllerstraße 5", City: "Zürich"},
		Recipient: connect.Recipient{Name: "Zoë Café"}, Notes: "Klingeln, bitte"},
	{Ref: "E-2", StopType: connect.Delivery, Address: connect.Address{Line1: "12 Rue de l'Église", City: "Besançon"},
		Recipient: connect.Recipient{Name: "Jérôme Dœuf"}, Notes: "2ème étage"},
}

// joinCSV writes rows with a delimiter, quoting cells that hold it.
func joinCSV(rows [][]string, delim, eol string) string {
	var b strings.Builder
	for _, r := range rows {
		cells := make([]string, len(r))
		for i, c := range r {
			if strings.Contains(c, delim) {
				c = `"` + c + `"`
			}
			cells[i] = c
		}
		b.WriteString(strings.Join(cells, delim) + eol)
	}
	return b.String()
}

func TestImportReadsCSVInTheEncodingsPeopleSend(t *testing.T) {
	t.Parallel()
	comma := joinCSV(encodingTestRows, ",", "\r\n")
	cases := []struct {
		name string
		data []byte
	}{
		{"UTF-8 with a byte order mark (Excel's CSV UTF-8)", append([]byte("\xEF\xBB\xBF"), comma...)},
		{"UTF-8 without a byte order mark", []byte(comma)},
		{"Windows-1252 with semicolons (Excel's CSV in Europe)", windows1252(t, joinCSV(encodingTestRows, ";", "\r\n"))},
		{"UTF-16 with tabs (Excel's Unicode text)", utf16Bytes(t, unicode.LittleEndian, unicode.UseBOM, joinCSV(encodingTestRows, "\t", "\r\n"))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			p := newPortal(t, connect.ClientSettings{AllowUpload: true})
			res := p.importFile(c.data, "orders.csv", connect.ImportOptions{})
			if d := cmp.Diff(counts{Read: 2, Imported: 2}, countsOf(res)); d != "" {
				t.Fatalf("counts (-want +got):\n%s\nerrors: %v", d, res.Errors)
			}
			if d := cmp.Diff(encodingTestOrders, p.drafts(), equalDecimals, sortByRef); d != "" {
				t.Fatalf("drafts (-want +got):\n%s", d)
			}
		})
	}
}

func TestImportReportsEveryErrorWithItsRowAndColumn(t *testing.T) {
	t.Parallel()
	p := newPortal(t, connect.ClientSettings{AllowUpload: true, RequiredFields: connect.RequireFields(connect.FieldZip, connect.FieldRef)})
	data := csvFile(
		"Order ID,Street,Postcode,Size,Type,E-mail,Items",
		"A-1,1 High St,Z1,1.5,Delivery,ann@example.com,Veg box x2",
		"A-2,2 High St,,,,,",
		"A-3,3 High St,Z3,big,,,",
		"A-4,4 High St,Z4,,return,,",
		"A-5,5 High St,Z5,,,not-an-email,",
		"A-1,6 High St,Z6,,,,",
		"A-7,7 High St,Z7,,,,Veg x0",
		",8 High St,Z8,,,,",
		"A-9,,Z9,-1,,,",
		"A-10,10 High St,Z10,,P,,",
	)
	res := p.importFile(data, "orders.csv", connect.ImportOptions{})
	if d := cmp.Diff(counts{Read: 10, Imported: 2, Refused: 8, Duplicates: 1}, countsOf(res)); d != "" {
		t.Fatalf("counts (-want +got):\n%s", d)
	}
	want := []connect.FieldError{
		{Row: 3, Column: "Postcode", Field: connect.FieldZip, Reason: "is required"},
		{Row: 4, Column: "Size", Field: connect.FieldSize, Reason: `must be a number like 12.5, not "big"`},
		{Row: 5, Column: "Type", Field: connect.FieldStopType, Reason: `must be "Delivery" or "Pickup" (or D, P), not "return"`},
		{Row: 6, Column: "E-mail", Field: connect.FieldRecipientEmail, Reason: `"not-an-email" is not an email address`},
		{Row: 7, Column: "Order ID", Field: connect.FieldRef, Reason: `"A-1" is a duplicate of row 2`},
		{Row: 8, Column: "Items", Field: connect.FieldProducts, Reason: `has a product 1 ("Veg x0") that has a quantity of 0: give at least 1, or leave the product out`},
		{Row: 9, Column: "Order ID", Field: connect.FieldRef, Reason: "is required"},
		{Row: 10, Column: "Street", Field: connect.FieldAddressLine1, Reason: "is required"},
		{Row: 10, Column: "Size", Field: connect.FieldSize, Reason: "must be a number of 0 or more"},
	}
	if d := cmp.Diff(want, res.Errors); d != "" {
		t.Fatalf("errors (-want +got):\n%s", d)
	}
	wantStored := []connect.OrderInput{
		{Ref: "A-1", StopType: connect.Delivery, Address: connect.Address{Line1: "1 High St", Zip: "Z1"},
			Recipient: connect.Recipient{Email: "ann@example.com"}, Size: dec("1.5"),
			Products: products(item("Veg box", 2, ""))},
		{Ref: "A-10", StopType: connect.Pickup, Address: connect.Address{Line1: "10 High St", Zip: "Z10"}},
	}
	if d := cmp.Diff(wantStored, p.drafts(), equalDecimals, sortByRef); d != "" {
		t.Fatalf("drafts (-want +got):\n%s", d)
	}
	var rows []int
	for _, r := range res.RefusedRows {
		rows = append(rows, r.Number)
	}
	if d := cmp.Diff([]int{3, 4, 5, 6, 7, 8, 9, 10}, rows); d != "" {
		t.Fatalf("refused rows (-want +got):\n%s", d)
	}
}

func TestImportingTheSameFileTwiceRefusesTheDuplicates(t *testing.T) {
	t.Parallel()
	p := newPortal(t, connect.ClientSettings{AllowUpload: true})
	data := csvFile("Id,Address", "A-1,1 High St", "A-2,2 High St", ",3 High St")
	first := p.importFile(data, "orders.csv", connect.ImportOptions{})
	if d := cmp.Diff(counts{Read: 3, Imported: 3}, countsOf(first)); d != "" {
		t.Fatalf("first import (-want +got):\n%s", d)
	}
	second := p.importFile(data, "orders.csv", connect.ImportOptions{})
	// The row without an Id is known by its content.
	if d := cmp.Diff(counts{Read: 3, Refused: 3, Duplicates: 3}, countsOf(second)); d != "" {
		t.Fatalf("second import (-want +got):\n%s", d)
	}
	want := []connect.FieldError{
		{Row: 2, Column: "Id", Field: connect.FieldRef, Reason: `"A-1" was already imported`},
		{Row: 3, Column: "Id", Field: connect.FieldRef, Reason: `"A-2" was already imported`},
		{Row: 4, Column: "Id", Field: connect.FieldRef, Reason: "the same order (every field alike, without an Id) was already imported; give the row an Id to import it again"},
	}
	if d := cmp.Diff(want, second.Errors); d != "" {
		t.Fatalf("errors (-want +got):\n%s", d)
	}
	refs := map[string]int{}
	for _, in := range p.drafts() {
		refs[in.Ref]++
	}
	if d := cmp.Diff(map[string]int{"A-1": 1, "A-2": 1, "": 1}, refs); d != "" {
		t.Fatalf("drafts by Id (-want +got):\n%s", d)
	}
}

// TestRowsWithoutIdsAreKnownAgainWhenSavedByAnotherTool: a CSV's rows without an
// Id, saved again as a workbook whose numbers are typed cells with a format, in
// other case and spacing, are the same orders; a changed row is new.
func TestRowsWithoutIdsAreKnownAgainWhenSavedByAnotherTool(t *testing.T) {
	t.Parallel()
	p := newPortal(t, connect.ClientSettings{AllowUpload: true})
	first := p.importFile(csvFile("Address,City,Packages,Size", "3 High St,Leeds,2,1.50", "4 High St,York,1,2"), "orders.csv", connect.ImportOptions{})
	if d := cmp.Diff(counts{Read: 2, Imported: 2}, countsOf(first)); d != "" {
		t.Fatalf("first import (-want +got):\n%s", d)
	}
	data := workbook(t, func(f *excelize.File) {
		rows := [][]any{
			{"ADDRESS", "City", "Packages", "Size"},
			{"3  high st", "LEEDS", 2, 1.5},
			{"4 High St", "York", 1, 2.25},
		}
		for i, r := range rows {
			must(t, f.SetSheetRow("Sheet1", fmt.Sprintf("A%d", i+1), &r))
		}
		style, err := f.NewStyle(&excelize.Style{NumFmt: 2}) // 0.00
		must(t, err)
		must(t, f.SetCellStyle("Sheet1", "D2", "D3", style))
	})
	second := p.importFile(data, "orders.xlsx", connect.ImportOptions{})
	if d := cmp.Diff(counts{Read: 2, Imported: 1, Refused: 1, Duplicates: 1}, countsOf(second)); d != "" {
		t.Fatalf("second import (-want +got):\n%s", d)
	}
	if len(second.Errors) != 1 || second.Errors[0].Row != 2 {
		t.Fatalf("errors %+v, want row 2's only (row 3's size changed)", second.Errors)
	}
}

func TestImportAllOrNothingStoresNothingWhenARowIsRefused(t *testing.T) {
	t.Parallel()
	p := newPortal(t, connect.ClientSettings{AllowUpload: true})
	data := csvFile("Id,Address,Qty", "A-1,1 High St,1", "A-2,2 High St,2.5", "A-3,3 High St,3")
	res, err := p.svc.Import(t.Context(), p.owner, p.source(data, ""), connect.ImportOptions{AllOrNothing: true})
	if !errors.Is(err, connect.ErrInvalid) {
		t.Fatalf("Import: %v, want %v", err, connect.ErrInvalid)
	}
	if d := cmp.Diff(counts{Read: 3, Refused: 1}, countsOf(res)); d != "" {
		t.Fatalf("counts (-want +got):\n%s", d)
	}
	want := []connect.FieldError{{Row: 3, Column: "Qty", Field: connect.FieldPackageCount, Reason: `must be a whole number like 3, not "2.5"`}}
	if d := cmp.Diff(want, res.Errors); d != "" {
		t.Fatalf("errors (-want +got):\n%s", d)
	}
	if got := p.drafts(); len(got) != 0 {
		t.Fatalf("%d drafts stored, want none", len(got))
	}
}

func TestImportIsForbiddenWhenUploadsAreOff(t *testing.T) {
	t.Parallel()
	p := newPortal(t, connect.ClientSettings{AllowUpload: false})
	data := csvFile("Address", "1 High St")
	if _, err := p.svc.PreviewImport(t.Context(), p.owner, p.source(data, ""), connect.ImportOptions{}); !errors.Is(err, connect.ErrForbidden) {
		t.Fatalf("PreviewImport: %v, want %v", err, connect.ErrForbidden)
	}
	if _, err := p.svc.Import(t.Context(), p.owner, p.source(data, ""), connect.ImportOptions{}); !errors.Is(err, connect.ErrForbidden) {
		t.Fatalf("Import: %v, want %v", err, connect.ErrForbidden)
	}
}

func TestImportReportsProgressUpToTheRowCount(t *testing.T) {
	t.Parallel()
	const n = 6000 // more than one of the core's batches
	p := newPortal(t, connect.ClientSettings{AllowUpload: true})
	var b strings.Builder
	b.WriteString("Id,Address\n")
	for i := range n {
		fmt.Fprintf(&b, "P-%d,%d High St\n", i, i)
	}
	var seen []connect.ImportProgress
	res := p.importFile([]byte(b.String()), "", connect.ImportOptions{Progress: func(pr connect.ImportProgress) {
		seen = append(seen, pr)
	}})
	if res.Imported != n {
		t.Fatalf("imported %d, want %d", res.Imported, n)
	}
	if len(seen) < 2 {
		t.Fatalf("progress reported %d times: %v", len(seen), seen)
	}
	for i := 1; i < len(seen); i++ {
		if seen[i].Read < seen[i-1].Read || seen[i].Stored < seen[i-1].Stored {
			t.Fatalf("progress went back: %v then %v", seen[i-1], seen[i])
		}
	}
	if last := seen[len(seen)-1]; last != (connect.ImportProgress{Read: n, Stored: n}) {
		t.Fatalf("last progress %+v, want %d read and stored", last, n)
	}
}

func TestPreviewAndImportAWorkbook(t *testing.T) {
	t.Parallel()
	p := newPortal(t, connect.ClientSettings{AllowUpload: true, RequiredFields: connect.RequireFields(connect.FieldPackageCount)})
	data := workbook(t, func(f *excelize.File) {
		must(t, f.SetSheetRow("Sheet1", "A1", &[]any{"Reference", "Address", "Parcels", "Size", "Latitude", "Longitude", "Products"}))
		must(t, f.SetSheetRow("Sheet1", "A2", &[]any{"W-1", "1 High St", 2, 0.75, 51.5072, -0.1276, "Veg box x2"}))
		must(t, f.SetSheetRow("Sheet1", "A3", &[]any{"W-2", "2 High St", nil, 1}))
		must(t, f.SetSheetRow("Sheet1", "A5", &[]any{"W-3", "3 High St", 1, 1, 52.2053}))
		must(t, f.SetSheetRow("Sheet1", "A6", &[]any{4711, "4 High St", 3}))
		must(t, f.SetCellStyle("Sheet1", "D2", "D6", style(t, f, "0.00")))
	})
	preview, err := p.svc.PreviewImport(t.Context(), p.owner, p.source(data, "orders.xlsx"), connect.ImportOptions{PreviewRows: 1})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(counts{Read: 4, Refused: 2}, countsOf(preview)); d != "" {
		t.Fatalf("preview counts (-want +got):\n%s", d)
	}
	wantErrors := []connect.FieldError{
		{Row: 3, Column: "Parcels", Field: connect.FieldPackageCount, Reason: "is required"},
		{Row: 5, Column: "Longitude", Field: connect.FieldLongitude, Reason: "is required when the other coordinate is given"},
	}
	if d := cmp.Diff(wantErrors, preview.Errors); d != "" {
		t.Fatalf("preview errors (-want +got):\n%s", d)
	}
	first := connect.OrderInput{Ref: "W-1", StopType: connect.Delivery, PackageCount: 2, Size: dec("0.75"),
		Address:  connect.Address{Line1: "1 High St", Latitude: dec("51.5072"), Longitude: dec("-0.1276")},
		Products: products(item("Veg box", 2, ""))}
	if len(preview.Preview) != 1 {
		t.Fatalf("preview has %d orders, want 1", len(preview.Preview))
	}
	if d := cmp.Diff(first, preview.Preview[0].OrderInput, equalDecimals); d != "" {
		t.Fatalf("preview (-want +got):\n%s", d)
	}
	if got := p.drafts(); len(got) != 0 {
		t.Fatalf("the preview stored %d drafts", len(got))
	}

	res := p.importFile(data, "orders.xlsx", connect.ImportOptions{})
	if d := cmp.Diff(counts{Read: 4, Imported: 2, Refused: 2}, countsOf(res)); d != "" {
		t.Fatalf("import counts (-want +got):\n%s", d)
	}
	want := []connect.OrderInput{first, {Ref: "4711", StopType: connect.Delivery, PackageCount: 3,
		Address: connect.Address{Line1: "4 High St"}}}
	if d := cmp.Diff(want, p.drafts(), equalDecimals, sortByRef); d != "" {
		t.Fatalf("drafts (-want +got):\n%s", d)
	}
}

func TestRefusedRowsFixedAndUploadedAgainAreImported(t *testing.T) {
	t.Parallel()
	p := newPortal(t, connect.ClientSettings{AllowUpload: true, RequiredFields: connect.RequireFields(connect.FieldZip)})
	data := csvFile(
		"Id,Address,Zip,Notes,Phone",
		"R-1,1 High St,Z1,",
		`R-2,2 High St,,"=HYPERLINK(""http://evil.example"")"`,
		"R-3,3 High St,,",
		"R-4,4 High St,,,+44 20 7946 0018",
	)
	res := p.importFile(data, "orders.csv", connect.ImportOptions{})
	var file bytes.Buffer
	src := p.source(data, "orders.csv")
	must(t, importer.WriteRefused(&file, src.Header(), res.RefusedRows, importer.RefusedOptions{}))

	refused := readCSV(t, file.Bytes(), importer.Options{})
	want := sheetRows{
		Header: row(1, "Id", "Address", "Zip", "Notes", "Phone", "Original row", "Error"),
		Rows: []importer.Row{
			row(2, "R-2", "2 High St", "", `'=HYPERLINK("http://evil.example")`, "", "3", `column "Zip": Zip is required`),
			row(3, "R-3", "3 High St", "", "", "", "4", `column "Zip": Zip is required`),
			row(4, "R-4", "4 High St", "", "", "'+44 20 7946 0018", "5", `column "Zip": Zip is required`),
		},
	}
	if d := cmp.Diff(want, refused); d != "" {
		t.Fatalf("refused rows file (-want +got):\n%s", d)
	}

	// The user fills in the zips and uploads the file again. The escaped cells read
	// as they were first written.
	fixed := strings.ReplaceAll(file.String(), "2 High St,,", "2 High St,Z2,")
	fixed = strings.ReplaceAll(fixed, "3 High St,,", "3 High St,Z3,")
	fixed = strings.ReplaceAll(fixed, "4 High St,,", "4 High St,Z4,")
	again := p.importFile([]byte(fixed), "orders-errors.csv", connect.ImportOptions{})
	if d := cmp.Diff(counts{Read: 3, Imported: 3}, countsOf(again)); d != "" {
		t.Fatalf("second import (-want +got):\n%s\nerrors: %v", d, again.Errors)
	}
	wantStored := []connect.OrderInput{
		{Ref: "R-1", StopType: connect.Delivery, Address: connect.Address{Line1: "1 High St", Zip: "Z1"}},
		{Ref: "R-2", StopType: connect.Delivery, Address: connect.Address{Line1: "2 High St", Zip: "Z2"},
			Notes: `=HYPERLINK("http://evil.example")`},
		{Ref: "R-3", StopType: connect.Delivery, Address: connect.Address{Line1: "3 High St", Zip: "Z3"}},
		{Ref: "R-4", StopType: connect.Delivery, Address: connect.Address{Line1: "4 High St", Zip: "Z4"},
			Recipient: connect.Recipient{Phone: "+44 20 7946 0018"}},
	}
	if d := cmp.Diff(wantStored, p.drafts(), equalDecimals, sortByRef); d != "" {
		t.Fatalf("drafts (-want +got):\n%s", d)
	}
}

func TestTheTemplateImportsIntoThePortal(t *testing.T) {
	t.Parallel()
	policy := carriedByEveryExample()
	p := newPortal(t, connect.ClientSettings{AllowUpload: true, RequiredFields: policy})
	var buf bytes.Buffer
	must(t, importer.WriteTemplateXLSX(&buf, policy))
	res := p.importFile(buf.Bytes(), "template.xlsx", connect.ImportOptions{})
	if d := cmp.Diff(counts{Read: 3, Imported: 3}, countsOf(res)); d != "" {
		t.Fatalf("counts (-want +got):\n%s\nerrors: %v", d, res.Errors)
	}
	if d := cmp.Diff(importer.TemplateExamples, p.drafts(), equalDecimals, sortByRef); d != "" {
		t.Fatalf("drafts (-want +got):\n%s", d)
	}
}

func TestDispatcherImportsStopsByClientID(t *testing.T) {
	t.Parallel()
	p := newPortal(t, connect.ClientSettings{AllowUpload: false}) // tracking only: the dispatcher adds its stops
	number := string(p.client.Number)
	spaced := number[:4] + " " + number[4:]
	mistyped := number[:7] + string('0'+(number[7]-'0'+1)%10)
	data := csvFile(
		"Client ID,Order ID,Address,Postcode",
		spaced+",S-1,1 High St,Z1",
		mistyped+",S-2,2 High St,Z2",
		",S-3,3 High St,Z3",
		number+",S-4,,Z4",
	)
	src := openSource(t, data, "stops.csv", importer.SourceOptions{Mapping: importer.MappingOptions{ClientNumbers: true}})
	if got := src.Column(connect.FieldClientNumber); got != "Client ID" {
		t.Fatalf("Column(client number) = %q", got)
	}
	res, err := p.svc.ImportStops(t.Context(), p.disp, src, connect.ImportOptions{})
	if err != nil {
		t.Fatalf("ImportStops: %v", err)
	}
	if d := cmp.Diff(counts{Read: 4, Imported: 1, Refused: 3}, countsOf(res)); d != "" {
		t.Fatalf("counts (-want +got):\n%s", d)
	}
	want := []connect.FieldError{
		{Row: 3, Column: "Client ID", Field: connect.FieldClientNumber,
			Reason: fmt.Sprintf("%q is not a client number: 8 digits, check for a mistyped or swapped digit", mistyped)},
		{Row: 4, Column: "Client ID", Field: connect.FieldClientNumber, Reason: "is required"},
		{Row: 5, Column: "Address", Field: connect.FieldAddressLine1, Reason: "is required"},
	}
	if d := cmp.Diff(want, res.Errors); d != "" {
		t.Fatalf("errors (-want +got):\n%s", d)
	}
	page, err := p.svc.Orders(t.Context(), p.disp, connect.ListOrdersParams{Client: p.client.ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Orders) != 1 || page.Orders[0].Ref != "S-1" || page.Orders[0].Source != connect.SourceDispatcher {
		t.Fatalf("the client's orders: %+v, want stop S-1 from the dispatcher", page.Orders)
	}
}
