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
// whether policy requires it, as connect's order-field table says. Numbers are
// written as numbers; text cells pass through connect.EscapeFormula. The file imports
// as it is (Open, MapHeader and a Source read every column and every example back).
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
	specs := connect.FieldSpecs()

	header := make([]any, len(specs))
	for i := range specs {
		header[i] = specs[i].Label
	}
	if err := f.SetSheetRow(TemplateSheet, "A1", &header); err != nil {
		return err
	}
	for r := range templateExamples {
		cells := templateCells(&templateExamples[r], true)
		if err := f.SetSheetRow(TemplateSheet, "A"+strconv.Itoa(r+2), &cells); err != nil {
			return err
		}
	}
	last, _ := excelize.ColumnNumberToName(len(specs))
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
	for i := range specs {
		fs := &specs[i]
		required := "Optional"
		if policy.Requires(fs.Field) {
			required = "Required"
		}
		row := []any{connect.EscapeFormula(fs.Label), connect.EscapeFormula(fs.Glossary),
			connect.EscapeFormula(fs.HowToWrite()), required}
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
	if err := f.SetCellStyle(GlossarySheet, "A2", "D"+strconv.Itoa(len(specs)+1), wrap); err != nil {
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
	specs := connect.FieldSpecs()
	header := make([]string, len(specs))
	for i := range specs {
		header[i] = specs[i].Label
	}
	if err := cw.Write(header); err != nil {
		return err
	}
	for r := range templateExamples {
		cells := templateCells(&templateExamples[r], false)
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

// templateCells returns an example's cells in OrderFields order, each field as the
// order-field table formats it: for XLSX (numbers set), numbers as float64, text
// escaped (connect.EscapeFormula) and no cell for no value; for CSV, the text as it
// is (CSVWriter escapes it).
func templateCells(in *connect.OrderInput, numbers bool) []any {
	specs := connect.FieldSpecs()
	cells := make([]any, len(specs))
	for i := range specs {
		text := specs[i].Format(in)
		switch {
		case !numbers:
			cells[i] = text
		case text == "":
			cells[i] = nil // no cell rather than an empty one
		case specs[i].Numeric:
			v, err := strconv.ParseFloat(text, 64)
			if err != nil {
				cells[i] = connect.EscapeFormula(text)
				continue
			}
			cells[i] = v
		default:
			cells[i] = connect.EscapeFormula(text)
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
