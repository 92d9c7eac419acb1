package importer_test

import (
	"bytes"
	"io"
	"testing"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/importer"
	"github.com/google/go-cmp/cmp"
)

// TestSpreadsheetsAsThePortalSeesThem: importer.Spreadsheets opens a file for
// the portal with its columns (mapped, ignored and why, hidden), the required
// fields no column holds, its layout, and its rows; the template it writes
// opens again with every column mapped.
func TestSpreadsheetsAsThePortalSeesThem(t *testing.T) {
	data := csvFile("Orders for week 49", "Id;Address;Phone (old);Recipient Phone;Colour", "A-1;1 High St;0111;0222;red")
	sheet, err := importer.Spreadsheets{}.Open(bytes.NewReader(data), int64(len(data)), "orders.csv",
		connect.SheetOptions{Policy: connect.RequireFields(connect.FieldZip)})
	if err != nil {
		t.Fatal(err)
	}
	defer sheet.Close()
	want := []connect.SheetColumn{
		{Header: "Id", Field: connect.FieldRef},
		{Header: "Address", Field: connect.FieldAddressLine1},
		{Header: "Phone (old)", Ignored: "its name says “old”", Could: connect.FieldRecipientPhone},
		{Header: "Recipient Phone", Field: connect.FieldRecipientPhone},
		{Header: "Colour", Ignored: "not a column we know"},
	}
	if d := cmp.Diff(want, sheet.Columns()); d != "" {
		t.Fatalf("columns (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]connect.Field{connect.FieldZip}, sheet.Missing()); d != "" {
		t.Fatalf("missing (-want +got):\n%s", d)
	}
	l := sheet.Layout()
	if l.HeaderRow != 2 || l.Delimiter != ';' || len(l.Skipped) != 1 || l.Skipped[0].Text != "Orders for week 49" {
		t.Fatalf("layout %+v", l)
	}
	row, err := sheet.Next(t.Context())
	if err != nil || row.Input.Ref != "A-1" || row.Input.Recipient.Phone != "0222" {
		t.Fatalf("first row %+v, %v", row.Input, err)
	}
	if _, err := sheet.Next(t.Context()); err != io.EOF {
		t.Fatalf("after the last row: %v", err)
	}

	var tmpl bytes.Buffer
	if err := (importer.Spreadsheets{}).WriteTemplate(&tmpl, "xlsx", connect.RequiredFieldPolicy{}); err != nil {
		t.Fatal(err)
	}
	back, err := importer.Spreadsheets{}.Open(bytes.NewReader(tmpl.Bytes()), int64(tmpl.Len()), "template.xlsx", connect.SheetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer back.Close()
	for _, c := range back.Columns() {
		if c.Field == "" {
			t.Errorf("the template's column %q maps to no field", c.Header)
		}
	}
}
