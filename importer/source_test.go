package importer_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/importer"
	"github.com/google/go-cmp/cmp"
	"github.com/shopspring/decimal"
	"github.com/xuri/excelize/v2"
)

// equalDecimals compares decimals by value ("2.50" is "2.5").
var equalDecimals = cmp.Comparer(func(a, b decimal.Decimal) bool { return a.Equal(b) })

// openSource opens data as a Source, failing the test on an error.
func openSource(t *testing.T, data []byte, name string, opts importer.SourceOptions) *importer.Source {
	t.Helper()
	src, err := importer.OpenSource(bytes.NewReader(data), int64(len(data)), name, opts)
	if err != nil {
		t.Fatalf("OpenSource: %v", err)
	}
	t.Cleanup(func() {
		if err := src.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return src
}

// sourceRows reads every row of src.
func sourceRows(t *testing.T, src connect.ImportSource) []connect.ImportRow {
	t.Helper()
	var rows []connect.ImportRow
	for {
		r, err := src.Next(t.Context())
		if err == io.EOF {
			return rows
		}
		if err != nil {
			t.Fatalf("Next after %d rows: %v", len(rows), err)
		}
		rows = append(rows, r)
	}
}

// csvFile joins lines into a CSV file.
func csvFile(lines ...string) []byte { return []byte(strings.Join(lines, "\r\n") + "\r\n") }

func TestSourceReadsRowsAsOrders(t *testing.T) {
	t.Parallel()
	data := csvFile(
		strings.Join(helpArticleHeader, ","),
		`Flat 2,14 Baker Street,,London,Greater London,NW1 6XE,United Kingdom,Ring twice,"2,5",Ann Smith,Pickup,ann@example.com,020 7946 0018,ORD-1,3.0,"Veg box x2; Bread [SKU: BR-1]",51.5237,-0.1585`,
		``,
		`,1 High St`,
	)
	src := openSource(t, data, "orders.csv", importer.SourceOptions{})
	if d := cmp.Diff(helpArticleHeader, src.Header()); d != "" {
		t.Fatalf("Header (-want +got):\n%s", d)
	}
	if got := src.Column(connect.FieldZip); got != "Zip" {
		t.Fatalf("Column(zip) = %q", got)
	}
	if got := src.Mapping().Column(connect.FieldUnit); got != "Unit/Flat/Unit Name" {
		t.Fatalf("Mapping().Column(unit) = %q", got)
	}
	want := []connect.ImportRow{
		{
			Number: 2,
			Cells: []string{"Flat 2", "14 Baker Street", "", "London", "Greater London", "NW1 6XE", "United Kingdom",
				"Ring twice", "2,5", "Ann Smith", "Pickup", "ann@example.com", "020 7946 0018", "ORD-1", "3.0",
				"Veg box x2; Bread [SKU: BR-1]", "51.5237", "-0.1585"},
			Input: connect.OrderInput{
				Ref: "ORD-1", StopType: connect.Pickup,
				Address: connect.Address{Unit: "Flat 2", Line1: "14 Baker Street", City: "London", State: "Greater London",
					Zip: "NW1 6XE", Country: "United Kingdom", Latitude: dec("51.5237"), Longitude: dec("-0.1585")},
				Recipient:    connect.Recipient{Name: "Ann Smith", Email: "ann@example.com", Phone: "020 7946 0018"},
				Notes:        "Ring twice",
				Size:         dec("2.5"),
				PackageCount: 3,
				Products:     products(item("Veg box", 2, ""), item("Bread", 1, "BR-1")),
			},
		},
		{
			Number: 4,
			Cells:  []string{"", "1 High St"},
			Input:  connect.OrderInput{Address: connect.Address{Line1: "1 High St"}},
		},
	}
	if d := cmp.Diff(want, sourceRows(t, src), equalDecimals); d != "" {
		t.Fatalf("rows (-want +got):\n%s", d)
	}
}

func TestSourceReportsValuesItCannotRead(t *testing.T) {
	t.Parallel()
	data := csvFile(
		"Address,Size,Type,Qty,Products,Lat,Lng,Email",
		"1 High St,big,return,2.5,Veg x0,north,1.234.5,not-an-email",
	)
	rows := sourceRows(t, openSource(t, data, "", importer.SourceOptions{}))
	if len(rows) != 1 {
		t.Fatalf("%d rows, want 1", len(rows))
	}
	var got []connect.Field
	for _, pr := range rows[0].Problems {
		got = append(got, pr.Field)
		if pr.Row != 0 || pr.Column != "" || pr.Reason == "" {
			t.Errorf("problem %+v: want a reason, and no row or column (the core adds them)", pr)
		}
	}
	// In column order; the email is the policy's to check.
	want := []connect.Field{connect.FieldSize, connect.FieldStopType, connect.FieldPackageCount,
		connect.FieldProducts, connect.FieldLatitude, connect.FieldLongitude}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("problems (-want +got):\n%s", d)
	}
	if rows[0].Input.Recipient.Email != "not-an-email" || rows[0].Input.Address.Line1 != "1 High St" {
		t.Fatalf("input %+v: the text fields should be kept as read", rows[0].Input)
	}
}

func TestSourceReturnsARowOfIgnoredCellsAsAnEmptyOrder(t *testing.T) {
	t.Parallel()
	data := csvFile("Address,Colour,Zip", ",blue", "2 High St,,Z1")
	rows := sourceRows(t, openSource(t, data, "", importer.SourceOptions{}))
	want := []connect.ImportRow{
		{Number: 2, Cells: []string{"", "blue"}},
		{Number: 3, Cells: []string{"2 High St", "", "Z1"}, Input: connect.OrderInput{Address: connect.Address{Line1: "2 High St", Zip: "Z1"}}},
	}
	if d := cmp.Diff(want, rows, equalDecimals); d != "" {
		t.Fatalf("rows (-want +got):\n%s", d)
	}
}

func TestSourceReadsTheClientNumberOfADispatchersImport(t *testing.T) {
	t.Parallel()
	data := csvFile("Client ID,Address", "1234 5678,1 High St")
	for _, c := range []struct {
		name          string
		clientNumbers bool
		want          string
	}{
		{"a dispatcher's import", true, "1234 5678"},
		{"a client's import", false, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			opts := importer.SourceOptions{Mapping: importer.MappingOptions{ClientNumbers: c.clientNumbers}}
			rows := sourceRows(t, openSource(t, data, "", opts))
			if len(rows) != 1 || rows[0].ClientNumber != c.want || len(rows[0].Problems) > 0 {
				t.Fatalf("rows %+v, want one with client number %q", rows, c.want)
			}
		})
	}
}

func TestOpenSourceReadsWorkbooksWithTheMappingOptions(t *testing.T) {
	t.Parallel()
	data := workbook(t, func(f *excelize.File) {
		_, err := f.NewSheet("Stops")
		must(t, err)
		must(t, f.SetSheetRow("Stops", "A1", &[]any{"Where", "Parcels", "Lat", "Lng"}))
		must(t, f.SetSheetRow("Stops", "A2", &[]any{"1 High St", 2, 51.5, -0.25}))
	})
	src := openSource(t, data, "orders.xlsx", importer.SourceOptions{
		Options: importer.Options{SheetName: "stops"},
		Mapping: importer.MappingOptions{Override: map[string]connect.Field{"Where": connect.FieldAddressLine1}},
	})
	want := []connect.ImportRow{{
		Number: 2,
		Cells:  []string{"1 High St", "2", "51.5", "-0.25"},
		Input: connect.OrderInput{PackageCount: 2,
			Address: connect.Address{Line1: "1 High St", Latitude: dec("51.5"), Longitude: dec("-0.25")}},
	}}
	if d := cmp.Diff(want, sourceRows(t, src), equalDecimals); d != "" {
		t.Fatalf("rows (-want +got):\n%s", d)
	}
}

func TestOpenSourceReportsFilesItCannotOpen(t *testing.T) {
	t.Parallel()
	_, err := importer.OpenSource(bytes.NewReader(nil), 0, "orders.csv", importer.SourceOptions{})
	invalid(t, err)
}

func TestSourceStopsWhenTheContextIsDone(t *testing.T) {
	t.Parallel()
	src := openSource(t, csvFile("Address", "1 High St"), "", importer.SourceOptions{})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := src.Next(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Next: %v, want %v", err, context.Canceled)
	}
}

func TestSourcePassesOnTheSheetsErrors(t *testing.T) {
	t.Parallel()
	opts := importer.SourceOptions{Options: importer.Options{Limits: importer.Limits{MaxRows: 1}}}
	src := openSource(t, csvFile("Address", "1 High St", "2 High St"), "", opts)
	if _, err := src.Next(t.Context()); err != nil {
		t.Fatal(err)
	}
	_, err := src.Next(t.Context())
	if e := invalid(t, err); !strings.Contains(e.Message, "more than 1 rows") {
		t.Fatalf("error %v, want the row limit", err)
	}
}
