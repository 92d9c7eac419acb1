package connect_test

import (
	"strings"
	"testing"

	"github.com/dispatchkit/connect"
	"github.com/google/go-cmp/cmp"
	"github.com/shopspring/decimal"
)

// completeInput has every field filled with a valid value.
func completeInput() connect.OrderInput {
	return connect.OrderInput{
		Ref:      "A-1",
		StopType: connect.Delivery,
		Address: connect.Address{Unit: "Flat 2", Line1: "1 High St", Line2: "Back door", City: "Leeds",
			State: "West Yorkshire", Zip: "LS1 1AA", Country: "GB",
			Latitude: decimal.NewNullDecimal(decimal.RequireFromString("53.7997")), Longitude: decimal.NewNullDecimal(decimal.RequireFromString("-1.5492"))},
		Recipient:    connect.Recipient{Name: "Ada", Email: "ada@example.com", Phone: "+44 113 496 0000"},
		Notes:        "ring twice",
		Size:         decimal.NewNullDecimal(decimal.RequireFromString("2.5")),
		PackageCount: 2,
		Products:     []connect.Product{{Name: "Veg box", Quantity: 2, SKU: "VB"}},
	}
}

func TestPolicyAlwaysRequiresAddressLine1(t *testing.T) {
	var p connect.RequiredFieldPolicy
	if !p.Requires(connect.FieldAddressLine1) {
		t.Fatal("the empty policy does not require the address")
	}
	got := p.Check(connect.OrderInput{})
	want := []connect.FieldError{{Field: connect.FieldAddressLine1, Reason: "is required"}}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("Check (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]connect.Field{connect.FieldAddressLine1}, p.Required()); d != "" {
		t.Fatalf("Required (-want +got):\n%s", d)
	}
}

func TestPolicyRequiresEachFieldItNames(t *testing.T) {
	for _, f := range connect.OrderFields() {
		t.Run(string(f), func(t *testing.T) {
			p := connect.RequireFields(f)
			if errs := p.Check(completeInput()); len(errs) != 0 {
				t.Fatalf("complete input refused: %v", errs)
			}
			in := completeInput()
			clearField(&in, f)
			got := p.Check(in)
			want := []connect.FieldError{{Field: f, Reason: "is required"}}
			if d := cmp.Diff(want, got); d != "" {
				t.Fatalf("Check without %s (-want +got):\n%s", f, d)
			}
			// Not required: the same input passes, except for the address, which is always
			// required, and half a coordinate pair, which is malformed.
			optional := f != connect.FieldAddressLine1 && f != connect.FieldLatitude && f != connect.FieldLongitude
			if errs := (connect.RequiredFieldPolicy{}).Check(in); len(errs) != 0 && optional {
				t.Fatalf("input without optional %s refused: %v", f, errs)
			}
		})
	}
}

func clearField(in *connect.OrderInput, f connect.Field) {
	switch f {
	case connect.FieldUnit:
		in.Address.Unit = ""
	case connect.FieldAddressLine1:
		in.Address.Line1 = "  "
	case connect.FieldAddressLine2:
		in.Address.Line2 = ""
	case connect.FieldCity:
		in.Address.City = ""
	case connect.FieldState:
		in.Address.State = ""
	case connect.FieldZip:
		in.Address.Zip = ""
	case connect.FieldCountry:
		in.Address.Country = ""
	case connect.FieldNotes:
		in.Notes = ""
	case connect.FieldSize:
		in.Size = decimal.NullDecimal{}
	case connect.FieldRecipientName:
		in.Recipient.Name = ""
	case connect.FieldStopType:
		in.StopType = ""
	case connect.FieldRecipientEmail:
		in.Recipient.Email = ""
	case connect.FieldRecipientPhone:
		in.Recipient.Phone = ""
	case connect.FieldRef:
		in.Ref = ""
	case connect.FieldPackageCount:
		in.PackageCount = 0
	case connect.FieldProducts:
		in.Products = nil
	case connect.FieldLatitude:
		in.Address.Latitude = decimal.NullDecimal{}
	case connect.FieldLongitude:
		in.Address.Longitude = decimal.NullDecimal{}
	}
}

func TestPolicyReportsMalformedFields(t *testing.T) {
	cases := []struct {
		name   string
		change func(*connect.OrderInput)
		field  connect.Field
		reason string
	}{
		{"latitude above 90", func(in *connect.OrderInput) {
			in.Address.Latitude = decimal.NewNullDecimal(decimal.RequireFromString("90.0001"))
		}, connect.FieldLatitude, "must be between -90 and 90"},
		{"longitude below -180", func(in *connect.OrderInput) {
			in.Address.Longitude = decimal.NewNullDecimal(decimal.RequireFromString("-180.5"))
		}, connect.FieldLongitude, "must be between -180 and 180"},
		{"negative size", func(in *connect.OrderInput) {
			in.Size = decimal.NewNullDecimal(decimal.RequireFromString("-1"))
		}, connect.FieldSize, "must be a number of 0 or more"},
		{"bad stop type", func(in *connect.OrderInput) { in.StopType = "dropoff" }, connect.FieldStopType, `must be "delivery" or "pickup"`},
		{"bad email", func(in *connect.OrderInput) { in.Recipient.Email = "ada at example" }, connect.FieldRecipientEmail, `"ada at example" is not an email address`},
		{"bad phone", func(in *connect.OrderInput) { in.Recipient.Phone = "call me" }, connect.FieldRecipientPhone, `"call me" is not a phone number`},
		{"negative packages", func(in *connect.OrderInput) { in.PackageCount = -1 }, connect.FieldPackageCount, "must be a whole number from 1 to 100000"},
		{"product without quantity", func(in *connect.OrderInput) { in.Products = []connect.Product{{Name: "Bread"}} }, connect.FieldProducts, `product "Bread" must have a quantity from 1 to 1000000`},
		{"product without name", func(in *connect.OrderInput) { in.Products = []connect.Product{{Quantity: 1}} }, connect.FieldProducts, "product 1 has no name"},
		{"notes too long", func(in *connect.OrderInput) { in.Notes = strings.Repeat("n", 10001) }, connect.FieldNotes, "is longer than 10000 characters"},
		{"NUL in a name", func(in *connect.OrderInput) { in.Recipient.Name = "A\x00da" }, connect.FieldRecipientName, "contains characters that are not text"},
		{"half a coordinate pair", func(in *connect.OrderInput) { in.Address.Longitude = decimal.NullDecimal{} }, connect.FieldLongitude, "is required when the other coordinate is given"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := completeInput()
			c.change(&in)
			got := connect.RequiredFieldPolicy{}.Check(in)
			want := []connect.FieldError{{Field: c.field, Reason: c.reason}}
			if d := cmp.Diff(want, got); d != "" {
				t.Fatalf("Check (-want +got):\n%s", d)
			}
		})
	}
}

func TestPolicyReportsEveryProblemAtOnce(t *testing.T) {
	p := connect.RequireFields(connect.FieldZip, connect.FieldRecipientPhone)
	in := connect.OrderInput{Recipient: connect.Recipient{Email: "nope"}}
	got := p.Check(in)
	want := []connect.FieldError{
		{Field: connect.FieldAddressLine1, Reason: "is required"},
		{Field: connect.FieldZip, Reason: "is required"},
		{Field: connect.FieldRecipientEmail, Reason: `"nope" is not an email address`},
		{Field: connect.FieldRecipientPhone, Reason: "is required"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("Check (-want +got):\n%s", d)
	}
}

func TestPolicyValidateRefusesUnknownFields(t *testing.T) {
	if err := connect.RequireFields(connect.FieldZip).Validate(); err != nil {
		t.Fatal(err)
	}
	if err := connect.RequireFields("shoe_size").Validate(); connect.ErrorCode(err) != connect.Invalid {
		t.Fatalf("Validate = %v, want invalid", err)
	}
}
