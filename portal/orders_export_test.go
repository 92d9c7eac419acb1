package portal_test

import (
	"encoding/csv"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/shopspring/decimal"

	"github.com/dispatchkit/connect"
)

// The export writes each order field as the order-field table does, under the
// table's labels, and escapes only what a spreadsheet program would run: a negative
// coordinate stays a number, a note starting with = does not.
func TestExportsWriteFieldsAsTheFieldTableDoes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tm := e.signUp("Green Grocer", uploads)
	in := connect.OrderInput{Ref: "-X1", Address: connect.Address{Line1: "1 Main St", Zip: "01234",
		Latitude:  decimal.NewNullDecimal(decimal.RequireFromString("30.2672")),
		Longitude: decimal.NewNullDecimal(decimal.RequireFromString("-97.6"))},
		Notes: "=1+1", Size: decimal.NewNullDecimal(decimal.RequireFromString("1.256")),
		Products: []connect.Product{{Name: "Veg box", Quantity: 2, SKU: "-1"}, {Name: "Bread", Quantity: 1}}}
	if _, err := e.svc.CreateOrder(e.ctx, tm.owner, in); err != nil {
		t.Fatal(err)
	}
	b := e.signedIn(tm.email)
	want := map[string]string{"Id": "'-X1", "Type of stop": "delivery", "Address Line 1": "1 Main St", "Zip": "01234",
		"Notes": "'=1+1", "Size": "1.256", "Products": "Veg box x2 [SKU: -1]; Bread", "Latitude": "30.2672",
		"Longitude": "-97.6", "Status": "draft"}
	for _, c := range []struct{ path, skip string }{{"/orders/export.csv", ""}, {"/orders/export.xlsx", "xlsx table\n"}} {
		t.Run(c.path, func(t *testing.T) {
			r := b.get(c.path).is(t, http.StatusOK)
			body, ok := strings.CutPrefix(r.body, c.skip)
			if !ok {
				t.Fatalf("the export is not the port's table:\n%s", r.body)
			}
			rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
			if err != nil || len(rows) != 2 {
				t.Fatalf("rows %q: %v", rows, err)
			}
			got := map[string]string{}
			for i, h := range rows[0] {
				if _, ok := want[h]; ok {
					got[h] = connect.EscapeFormula(rows[1][i]) // the port escapes the XLSX cells
				}
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Fatalf("cells (-want +got):\n%s", d)
			}
		})
	}
}

// The export's header is the order-field table: every field under its label, in
// the table's order (the Id and the type of stop first, beside the status),
// then the status columns, whose names are no field's label or synonym, so
// that an import leaves them out.
func TestExportHeaderIsTheFieldTable(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tm := e.signUp("Green Grocer", uploads)
	e.draft(tm.owner, "H-1")
	r := e.signedIn(tm.email).get("/orders/export.csv").is(t, http.StatusOK)
	header, err := csv.NewReader(strings.NewReader(r.body)).Read()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{connect.FieldRef.Label(), "Status", connect.FieldStopType.Label()}
	for _, f := range connect.OrderFields() {
		if f != connect.FieldRef && f != connect.FieldStopType {
			want = append(want, f.Label())
		}
	}
	extra := []string{"Created", "Submitted", "ETA", "Completed", "Failure reason", "Received by", "Source", "Connect order ID"}
	want = append(want, extra...)
	if d := cmp.Diff(want, header); d != "" {
		t.Fatalf("header (-want +got):\n%s", d)
	}
	norm := func(s string) string {
		return strings.Map(func(r rune) rune {
			if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, strings.ToLower(s))
	}
	for _, spec := range connect.FieldSpecs() {
		for _, name := range append([]string{spec.Label}, spec.Synonyms...) {
			for _, x := range extra {
				if norm(x) == norm(name) {
					t.Errorf("the export's %q column reads as %s (%q) to an importer", x, spec.Field, name)
				}
			}
		}
	}
}
