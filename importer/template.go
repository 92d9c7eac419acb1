package importer

import (
	"io"
	"strconv"

	"github.com/dispatchkit/connect"
	"github.com/shopspring/decimal"
	"github.com/xuri/excelize/v2"
)

// The sheets of the XLSX template.
const (
	TemplateSheet = "Orders"
	GlossarySheet = "Glossary"
)

// WriteTemplateXLSX writes the spreadsheet clients download to fill in: an "Orders"
// sheet with the columns in the help article's order and three example rows (a
// delivery with products, a pickup, and a delivery placed by coordinates), and a
// "Glossary" sheet that says, for each column, what it holds, how to write it, and
// whether policy requires it. Numbers are written as numbers; text cells pass through
// EscapeFormula. The file imports as it is (Open, MapHeader and a Source read every
// column and every example back).
func WriteTemplateXLSX(w io.Writer, policy connect.RequiredFieldPolicy) error {
	f := excelize.NewFile()
	defer f.Close()
	if err := writeTemplateSheets(f, policy); err != nil {
		return connect.Errorf(connect.Internal, "writing the template: %w", err)
	}
	if _, err := f.WriteTo(w); err != nil {
		return connect.Errorf(connect.Internal, "writing the template: %w", err)
	}
	return nil
}

func writeTemplateSheets(f *excelize.File, policy connect.RequiredFieldPolicy) error {
	if err := f.SetSheetName(f.GetSheetName(0), TemplateSheet); err != nil {
		return err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	fields := connect.OrderFields()

	header := make([]any, len(fields))
	for i, fl := range fields {
		header[i] = fl.Label()
	}
	if err := f.SetSheetRow(TemplateSheet, "A1", &header); err != nil {
		return err
	}
	for r, in := range templateExamples {
		cells := templateCells(in, true)
		if err := f.SetSheetRow(TemplateSheet, "A"+strconv.Itoa(r+2), &cells); err != nil {
			return err
		}
	}
	last, _ := excelize.ColumnNumberToName(len(fields))
	if err := f.SetCellStyle(TemplateSheet, "A1", last+"1", bold); err != nil {
		return err
	}
	if err := f.SetColWidth(TemplateSheet, "A", last, 20); err != nil {
		return err
	}
	if err := freezeHeader(f, TemplateSheet); err != nil {
		return err
	}

	if _, err := f.NewSheet(GlossarySheet); err != nil {
		return err
	}
	if err := f.SetSheetRow(GlossarySheet, "A1", &[]any{"Column", "What it is", "Format and example", "Required"}); err != nil {
		return err
	}
	for i, fl := range fields {
		g := glossary[fl]
		required := "Optional"
		if policy.Requires(fl) {
			required = "Required"
		}
		row := []any{EscapeFormula(fl.Label()), EscapeFormula(g.what), EscapeFormula(g.format), required}
		if err := f.SetSheetRow(GlossarySheet, "A"+strconv.Itoa(i+2), &row); err != nil {
			return err
		}
	}
	if err := f.SetCellStyle(GlossarySheet, "A1", "D1", bold); err != nil {
		return err
	}
	for col, width := range map[string]float64{"A": 24, "B": 60, "C": 60, "D": 12} {
		if err := f.SetColWidth(GlossarySheet, col, col, width); err != nil {
			return err
		}
	}
	wrap, err := f.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	if err != nil {
		return err
	}
	if err := f.SetCellStyle(GlossarySheet, "A2", "D"+strconv.Itoa(len(fields)+1), wrap); err != nil {
		return err
	}
	return freezeHeader(f, GlossarySheet)
}

// freezeHeader keeps a sheet's first row in view as it scrolls.
func freezeHeader(f *excelize.File, sheet string) error {
	return f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"})
}

// WriteTemplateCSV writes the template as CSV (with CSVWriter): the header in the
// help article's order and the same example rows as WriteTemplateXLSX. A CSV file
// has no room for the glossary; policy is taken for symmetry and the future.
func WriteTemplateCSV(w io.Writer, policy connect.RequiredFieldPolicy) error {
	cw := NewCSVWriter(w)
	fields := connect.OrderFields()
	header := make([]string, len(fields))
	for i, fl := range fields {
		header[i] = fl.Label()
	}
	if err := cw.Write(header); err != nil {
		return err
	}
	for _, in := range templateExamples {
		cells := templateCells(in, false)
		row := make([]string, len(cells))
		for i, c := range cells {
			row[i] = c.(string)
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	return cw.Flush()
}

// templateCells returns an example's cells in OrderFields order: numbers as float64
// or int when numbers is set (for XLSX), else everything as text; text escaped.
func templateCells(in connect.OrderInput, numbers bool) []any {
	num := func(d decimal.NullDecimal) any {
		if !d.Valid {
			return ""
		}
		if numbers {
			v, _ := d.Decimal.Float64()
			return v
		}
		return FormatDecimal(d)
	}
	count := func(n int) any {
		switch {
		case n == 0:
			return ""
		case numbers:
			return n
		}
		return strconv.Itoa(n)
	}
	stopType := map[connect.StopType]string{connect.Delivery: "Delivery", connect.Pickup: "Pickup"}[in.StopType]
	a := in.Address
	text := []string{a.Unit, a.Line1, a.Line2, a.City, a.State, a.Zip, a.Country, in.Notes}
	cells := make([]any, 0, len(connect.OrderFields()))
	for _, s := range text {
		cells = append(cells, EscapeFormula(s))
	}
	cells = append(cells, num(in.Size))
	for _, s := range []string{in.Recipient.Name, stopType, in.Recipient.Email, in.Recipient.Phone, in.Ref} {
		cells = append(cells, EscapeFormula(s))
	}
	cells = append(cells, count(in.PackageCount), EscapeFormula(FormatProducts(in.Products)),
		num(a.Latitude), num(a.Longitude))
	if numbers {
		for i, c := range cells {
			if c == "" {
				cells[i] = nil // no cell rather than an empty one
			}
		}
	}
	return cells
}

// templateExamples are the template's example rows: a delivery with products, a
// pickup, and a delivery placed by coordinates. Names, phone numbers and addresses
// are of the kind reserved for examples.
var templateExamples = []connect.OrderInput{
	{
		Ref: "ORD-1001", StopType: connect.Delivery,
		Address: connect.Address{Unit: "Flat 2", Line1: "14 Baker Street", City: "London",
			State: "Greater London", Zip: "NW1 6XE", Country: "United Kingdom"},
		Recipient:    connect.Recipient{Name: "Ann Smith", Email: "ann.smith@example.com", Phone: "020 7946 0018"},
		Notes:        "Leave with the concierge",
		Size:         decimal.NewNullDecimal(decimal.RequireFromString("2.5")),
		PackageCount: 2,
		Products: []connect.Product{
			{Name: "Veg box", Quantity: 2},
			{Name: "Sourdough loaf", Quantity: 1, SKU: "BREAD-SD"},
		},
	},
	{
		Ref: "ORD-1002", StopType: connect.Pickup,
		Address: connect.Address{Unit: "Unit 5", Line1: "Riverside Industrial Estate", Line2: "Mill Lane",
			City: "Bristol", Zip: "BS1 6XN", Country: "United Kingdom"},
		Recipient:    connect.Recipient{Name: "Bob Jones", Email: "bob@riverside-foods.example", Phone: "0117 496 0123"},
		Notes:        "Collect the empty crates from the loading bay",
		Size:         decimal.NewNullDecimal(decimal.NewFromInt(4)),
		PackageCount: 3,
		Products:     []connect.Product{{Name: "Empty crate", Quantity: 3}},
	},
	{
		Ref: "ORD-1003", StopType: connect.Delivery,
		Address: connect.Address{Line1: "Manor Farm", Line2: "Hill Road", City: "Oxford",
			State: "Oxfordshire", Zip: "OX3 9DU", Country: "United Kingdom",
			Latitude:  decimal.NewNullDecimal(decimal.RequireFromString("51.7561")),
			Longitude: decimal.NewNullDecimal(decimal.RequireFromString("-1.2163"))},
		Recipient:    connect.Recipient{Name: "Carol White", Phone: "07700 900123"},
		Notes:        "Farm shop entrance; gate code 4821",
		Size:         decimal.NewNullDecimal(decimal.NewFromInt(1)),
		PackageCount: 1,
		Products:     []connect.Product{{Name: "Free-range eggs (dozen)", Quantity: 2}},
	},
}

// glossaryEntry explains one column.
type glossaryEntry struct {
	what   string // what the column holds
	format string // how to write it, with an example
}

// glossary explains every column of the template.
var glossary = map[connect.Field]glossaryEntry{
	connect.FieldUnit: {"The unit, flat or unit name at the address.",
		"Text, e.g. Flat 2"},
	connect.FieldAddressLine1: {"The street address: number and street, or the building's name. Always required.",
		"Text, e.g. 14 Baker Street"},
	connect.FieldAddressLine2: {"More of the address, when one line is not enough.",
		"Text, e.g. Mill Lane"},
	connect.FieldCity: {"The town or city.",
		"Text, e.g. London"},
	connect.FieldState: {"The state, county, province or region.",
		"Text, e.g. Greater London"},
	connect.FieldZip: {"The postcode or ZIP code.",
		"Text, e.g. NW1 6XE"},
	connect.FieldCountry: {"The country.",
		"Text, e.g. United Kingdom"},
	connect.FieldNotes: {"Instructions for the driver.",
		"Text, e.g. Leave with the concierge"},
	connect.FieldSize: {"How much room the stop takes, in the unit your delivery company uses (volume, weight or count).",
		"A number of 0 or more, with a decimal point, e.g. 2.5"},
	connect.FieldRecipientName: {"Who receives the goods (or hands them over, for a pickup).",
		"Text, e.g. Ann Smith"},
	connect.FieldStopType: {"Whether the driver delivers to the address or picks up from it. Empty means Delivery.",
		"Delivery or Pickup (D or P also work), e.g. Delivery"},
	connect.FieldRecipientEmail: {"The recipient's email address.",
		"An email address, e.g. ann.smith@example.com"},
	connect.FieldRecipientPhone: {"The recipient's phone number.",
		"6 to 20 digits, with spaces, dashes, brackets or a leading +, e.g. 020 7946 0018"},
	connect.FieldRef: {"Your own reference for the order. An order whose Id was imported before is refused, " +
		"so the same order is never imported twice.",
		"Text, different for every order, e.g. ORD-1001"},
	connect.FieldPackageCount: {"How many packages the stop has.",
		"A whole number of 1 or more, e.g. 2"},
	connect.FieldProducts: {"What the stop carries.",
		"Products separated by semicolons, each with an optional quantity (x2) and SKU ([SKU: ABC]), " +
			"e.g. Veg box x2; Sourdough loaf [SKU: BREAD-SD]"},
	connect.FieldLatitude: {"The stop's latitude. Given with the longitude, it places the stop instead of the address.",
		"A number from -90 to 90 with a decimal point, e.g. 51.7561"},
	connect.FieldLongitude: {"The stop's longitude. Given with the latitude, it places the stop instead of the address.",
		"A number from -180 to 180 with a decimal point, e.g. -1.2163"},
}
