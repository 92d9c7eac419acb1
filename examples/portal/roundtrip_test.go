package main

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/shopspring/decimal"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/importer"
)

// TestOrdersExportedImportBackAsTheSameOrders exports a client's orders through the
// portal, as CSV and as XLSX, imports each file through the importer into another
// client, and compares every field of every order: an export is a file the client
// can fix and import again, whatever the values. The orders carry what a spreadsheet
// program or a naive writer mangles: negative coordinates and numbers, text starting
// with -, =, + or @, decimals with many places, Arabic, Japanese and emoji, notes
// with line breaks and quotes, zip codes and phone numbers with leading zeros.
func TestOrdersExportedImportBackAsTheSameOrders(t *testing.T) {
	th := startHost(t, t.TempDir())
	ctx := context.Background()
	owner, err := th.svc.AcceptInvite(ctx, strings.TrimPrefix(th.inviteLink(), th.base+"/invite/"),
		connect.SignUp{Name: "Gina", Email: "gina@greengrocer.test", Password: "long enough password"})
	if err != nil {
		t.Fatal(err)
	}
	num := func(s string) decimal.NullDecimal { return decimal.NewNullDecimal(decimal.RequireFromString(s)) }
	orders := []connect.OrderInput{
		{Ref: "-R1", StopType: connect.Pickup,
			Address: connect.Address{Unit: "Flat 2", Line1: "14 Baker Street", Line2: "@home", City: "東京",
				State: "🚚 zone", Zip: "01234", Country: "日本", Latitude: num("-33.86882"), Longitude: num("-97.6")},
			Recipient: connect.Recipient{Name: "سارة أحمد", Email: "sara@example.com", Phone: "0117 496 0123"},
			Notes:     "Ring twice,\nthen \"wait\"; don't knock", Size: num("1.256"), PackageCount: 3,
			Products: []connect.Product{{Name: "Veg box", Quantity: 2, SKU: "-1"}, {Name: "Bread", Quantity: 1, SKU: "=SUM(A1)"},
				{Name: "Eggs, free range", Quantity: 12, SKU: "+44"}}},
		{Ref: "=ORD-2",
			Address: connect.Address{Line1: "=HYPERLINK(\"http://x\",\"y\")", City: "London", Zip: "00501",
				Latitude: num("51.507351"), Longitude: num("-0.127758")},
			Recipient: connect.Recipient{Name: "+Zoë", Phone: "+44 20 7946 0018"},
			Notes:     "-1+2", Size: num("12345.678901"),
			Products: []connect.Product{{Name: "=Eggs", Quantity: 1, SKU: "@E"}, {Name: "-3 pack", Quantity: 4}}},
		{Ref: "@3", Address: connect.Address{Unit: "-3", Line1: "1 Main St", City: "Springfield",
			Latitude: num("0"), Longitude: num("179.9999999")},
			Recipient: connect.Recipient{Name: "Rita"}, Notes: "tabbed\tinside", Size: num("0.000001")},
		{Ref: "+4", Address: connect.Address{Line1: "2 Main St", City: "Springfield"}, Recipient: connect.Recipient{Name: "Bob"}},
	}
	var made []*connect.Order
	for _, in := range orders {
		o, err := th.svc.CreateOrder(ctx, owner.Actor, in)
		if err != nil {
			t.Fatalf("order %s: %v", in.Ref, err)
		}
		made = append(made, o)
	}
	// Two are on their way, one delivered: the export's status columns have
	// values, which the import leaves out.
	if _, err := th.svc.SubmitOrders(ctx, owner.Actor, []connect.OrderID{made[2].ID, made[3].ID}); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if _, err := th.svc.ApplyRouteEvents(ctx, connect.AsRouteSync(demoAccount), []connect.RouteEvent{
		{ID: "rt-s", Order: made[3].ID, Event: connect.EventSchedule, At: now, Route: connect.RouteStop{RouteID: "R-1", Position: 1}},
		{ID: "rt-r", Order: made[3].ID, Event: connect.EventStart, At: now.Add(time.Second), ETA: now.Add(time.Hour)},
		{ID: "rt-c", Order: made[3].ID, Event: connect.EventComplete, At: now.Add(2 * time.Second),
			Proof: &connect.ProofOfDelivery{RecipientName: "Rita at the door", At: now.Add(2 * time.Second)}},
	}); err != nil {
		t.Fatal(err)
	}
	want := ordersOf(t, th, owner.Actor, "")

	c := th.client()
	if r := th.form(t, c, "/signin", url.Values{"email": {"gina@greengrocer.test"}, "password": {"long enough password"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in: %d", r.StatusCode)
	}
	for _, format := range []string{"csv", "xlsx"} {
		t.Run(format, func(t *testing.T) {
			status, file := th.get(t, c, "/orders/export."+format)
			if status != http.StatusOK {
				t.Fatalf("export: %d %s", status, file)
			}
			// Another client of the account imports the file.
			inv, err := th.svc.InviteClient(ctx, dispatcherActor(), connect.InviteClientParams{Name: "Importer " + format,
				Settings: connect.ClientSettings{AllowUpload: true}})
			if err != nil {
				t.Fatal(err)
			}
			other, err := th.svc.AcceptInvite(ctx, inv.Token, connect.SignUp{Name: "Ivo", Email: "ivo@" + format + ".test",
				Password: "long enough password"})
			if err != nil {
				t.Fatal(err)
			}
			// The importer, through the port the portal reads uploads with, maps
			// each field's column to its field, and no field to the status columns.
			src, err := importer.Spreadsheets{}.Open(bytes.NewReader([]byte(file)), int64(len(file)), "orders."+format, connect.SheetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			mapped := map[string]connect.Field{}
			for _, col := range src.Columns() {
				mapped[col.Header] = col.Field
			}
			wantMapped := map[string]connect.Field{"Status": "", "Created": "", "Submitted": "", "ETA": "", "Completed": "",
				"Failure reason": "", "Received by": "", "Source": "", "Connect order ID": ""}
			for _, spec := range connect.FieldSpecs() {
				wantMapped[spec.Label] = spec.Field
			}
			if d := cmp.Diff(wantMapped, mapped); d != "" {
				t.Fatalf("the export's columns as the importer maps them (-want +got):\n%s", d)
			}
			if format == "csv" && (!strings.Contains(file, "Rita at the door") || !strings.Contains(file, "submitted")) {
				t.Fatalf("the export lacks the status columns' values:\n%s", file)
			}
			res, err := th.svc.Import(ctx, other.Actor, src, connect.ImportOptions{AllOrNothing: true})
			if err != nil || res.Imported != len(orders) {
				t.Fatalf("import: %+v, %v", res, err)
			}
			if d := cmp.Diff(want, ordersOf(t, th, other.Actor, connect.ViewDrafts),
				cmp.Comparer(func(a, b decimal.Decimal) bool { return a.Equal(b) })); d != "" {
				t.Fatalf("orders imported from the export (-exported +imported):\n%s", d)
			}
		})
	}
}

// ordersOf returns the client's orders in view ("": all) as inputs, by Ref.
func ordersOf(t *testing.T, th *testHost, a connect.Actor, view connect.View) []connect.OrderInput {
	t.Helper()
	p, err := th.svc.Orders(context.Background(), a, connect.ListOrdersParams{View: view})
	if err != nil {
		t.Fatal(err)
	}
	var out []connect.OrderInput
	for _, o := range p.Orders {
		out = append(out, o.OrderInput)
	}
	slices.SortFunc(out, func(a, b connect.OrderInput) int { return strings.Compare(a.Ref, b.Ref) })
	return out
}
