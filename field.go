package connect

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Field names one field of an order as a client sees it: a spreadsheet column, a form
// input, a required-field checkbox. The values are stable identifiers (stored in
// settings and used in the JSON API); Label is what people read.
type Field string

// The order fields, in the order of the help article's spreadsheet list.
const (
	FieldUnit           Field = "unit"
	FieldAddressLine1   Field = "address_line_1"
	FieldAddressLine2   Field = "address_line_2"
	FieldCity           Field = "city"
	FieldState          Field = "state"
	FieldZip            Field = "zip"
	FieldCountry        Field = "country"
	FieldNotes          Field = "notes"
	FieldSize           Field = "size"
	FieldRecipientName  Field = "recipient_name"
	FieldStopType       Field = "stop_type"
	FieldRecipientEmail Field = "recipient_email"
	FieldRecipientPhone Field = "recipient_phone"
	FieldRef            Field = "id"
	FieldPackageCount   Field = "package_count"
	FieldProducts       Field = "products"
	FieldLatitude       Field = "latitude"
	FieldLongitude      Field = "longitude"
)

// FieldSpec is one row of the order-field table: everything the importer, the
// spreadsheet template and its glossary, the portal's order form, the exports and the
// JSON API's documentation know about one field. FieldSpecs lists the table; nothing
// else says what a field is called, what it means or how its value is written.
type FieldSpec struct {
	Field Field // the field's identifier
	// Label is the field's column name in the template and the exports, and its
	// name in forms and messages ("Address Line 1").
	Label string
	// Synonyms are other column names a spreadsheet may use for the field. The
	// importer compares names without case, spaces or punctuation ("Postcode" also
	// matches "POST-CODE"), and knows the Label too.
	Synonyms []string
	// Glossary says what the field holds, for people.
	Glossary string
	// Syntax says how its value is written ("A whole number of 1 or more"), and
	// Example is such a value ("2"), which Parse reads.
	Syntax, Example string
	// AlwaysRequired is set for the address (line 1), which every order needs
	// whatever the client's RequiredFieldPolicy says. A dispatcher may require any
	// other field.
	AlwaysRequired bool
	// Numeric is set for the fields whose value is a number, written as one in a
	// spreadsheet the client fills in (the template's examples).
	Numeric bool

	// text points at the field's value in an OrderInput, for the fields that are
	// plain text; nil for the others, which have parse and format.
	text   func(in *OrderInput) *string
	parse  func(in *OrderInput, s string) (reason string)
	format func(in *OrderInput) string
}

// HowToWrite returns the Syntax with the Example, as the glossary shows them ("A
// whole number of 1 or more, e.g. 2").
func (s *FieldSpec) HowToWrite() string {
	return s.Syntax + ", e.g. " + s.Example
}

// Parse reads text (a spreadsheet cell, a form input) as the field's value and sets
// it in in; surrounding white space is ignored and empty text is no value. Text it
// cannot read (a size of "big") leaves the field with no value and returns an
// Invalid *Error whose Fields name the field and say what is wrong, without a row or
// a column. It checks only that the text reads as a value: whether the value is
// allowed (a range, a length, an email address) is RequiredFieldPolicy.Check's to say.
func (s *FieldSpec) Parse(in *OrderInput, text string) error {
	if n := len(text); n > 0 && (maySpace(text[0]) || maySpace(text[n-1])) {
		text = strings.TrimSpace(text) // rarely: an importer's cells come trimmed
	}
	if s.text != nil {
		*s.text(in) = text
		return nil
	}
	if s.parse == nil {
		return Errorf(Invalid, "%s is not an order field", s.Field)
	}
	if reason := s.parse(in, text); reason != "" {
		return InvalidFields([]FieldError{{Field: s.Field, Reason: reason}})
	}
	return nil
}

// maySpace reports whether c may be (the first or last byte of) white space.
func maySpace(c byte) bool { return c <= ' ' || c >= utf8.RuneSelf }

// Format returns the field's value in in as text that Parse reads back as the same
// value: "" for no value, "-0.1276" for a longitude, "Veg box x2; Bread" for
// products.
func (s *FieldSpec) Format(in *OrderInput) string {
	switch {
	case s.text != nil:
		return *s.text(in)
	case s.format != nil:
		return s.format(in)
	}
	return ""
}

// FieldSpecs returns the order-field table: one FieldSpec per order field, in the
// order of the help article's spreadsheet list (OrderFields). The rows are copies.
func FieldSpecs() []FieldSpec {
	out := make([]FieldSpec, len(fieldTable))
	for i := range fieldTable {
		out[i] = fieldTable[i].clone()
	}
	return out
}

// clone returns a copy of s that shares nothing a caller could change in the table.
func (s *FieldSpec) clone() FieldSpec {
	c := *s
	c.Synonyms = slices.Clone(s.Synonyms)
	return c
}

// OrderFields lists every order field a client can give, in spreadsheet order.
func OrderFields() []Field {
	out := make([]Field, len(fieldTable))
	for i := range fieldTable {
		out[i] = fieldTable[i].Field
	}
	return out
}

// Spec returns the field's row of the table. FieldClientNumber has one too (a
// label, synonyms and a glossary, no value in an OrderInput), though it is not an
// order field; ok is false for anything else.
func (f Field) Spec() (spec FieldSpec, ok bool) {
	if p := f.spec(); p != nil {
		return p.clone(), true
	}
	return FieldSpec{Field: f}, false
}

// spec returns the field's row, nil when it has none.
func (f Field) spec() *FieldSpec {
	if i, ok := fieldIndex[f]; ok {
		return &fieldTable[i]
	}
	if f == FieldClientNumber {
		return &clientNumberSpec
	}
	return nil
}

// Label returns the field's name as the template and the forms write it ("Address
// Line 1"); an unknown field returns its identifier.
func (f Field) Label() string {
	if p := f.spec(); p != nil {
		return p.Label
	}
	return string(f)
}

// Valid reports whether f is one of the order fields.
func (f Field) Valid() bool {
	_, ok := fieldIndex[f]
	return ok
}

// Parse reads text as field f's value into in: FieldSpec.Parse of f's row. For a
// field without a value in an OrderInput it returns an Invalid error.
func (f Field) Parse(in *OrderInput, text string) error {
	spec := f.spec()
	if spec == nil {
		spec = &FieldSpec{Field: f}
	}
	return spec.Parse(in, text)
}

// Format returns field f's value in in as text: FieldSpec.Format of f's row ("" for
// a field without a value in an OrderInput).
func (f Field) Format(in *OrderInput) string {
	if spec := f.spec(); spec != nil {
		return spec.Format(in)
	}
	return ""
}

// fieldIndex finds a field's row in fieldTable.
var fieldIndex = func() map[Field]int {
	m := make(map[Field]int, len(fieldTable))
	for i, s := range fieldTable {
		m[s.Field] = i
	}
	return m
}()

// clientNumberSpec is the row of FieldClientNumber, the "Client ID" column of a
// dispatcher's stop import: a label and the names the importer knows, no value.
var clientNumberSpec = FieldSpec{
	Field:    FieldClientNumber,
	Label:    "Client ID",
	Synonyms: []string{"Client number", "Client no", "Client num", "Spoke Connect ID", "Connect ID", "Connect client ID"},
	Glossary: "The client's Client ID, in a dispatcher's import of stops: which client the stop is for.",
	Syntax:   "The Client ID the client's portal shows",
	Example:  "40817",
}

// fieldTable is the order-field table, in the help article's order.
var fieldTable = [...]FieldSpec{
	{
		Field: FieldUnit, Label: "Unit",
		Synonyms: []string{"Unit/Flat/Unit Name", "Flat", "Unit/Flat", "Unit name", "Unit number", "Flat number",
			"Apt", "Apartment", "Suite", "Apt/Suite", "Apartment/Suite", "Unit/Suite"},
		Glossary: "The unit, flat or unit name at the address.",
		Syntax:   "Text", Example: "Flat 2",
		text: func(in *OrderInput) *string { return &in.Address.Unit },
	},
	{
		Field: FieldAddressLine1, Label: "Address Line 1",
		Synonyms: []string{"Address 1", "Addr 1", "Address line", "Address", "Street", "Street address", "Street 1",
			"Street line 1", "Line 1"},
		Glossary: "The street address: number and street, or the building's name. Always required.",
		Syntax:   "Text", Example: "14 Baker Street",
		AlwaysRequired: true,
		text:           func(in *OrderInput) *string { return &in.Address.Line1 },
	},
	{
		Field: FieldAddressLine2, Label: "Address Line 2",
		Synonyms: []string{"Address 2", "Addr 2", "Street 2", "Street line 2", "Line 2"},
		Glossary: "More of the address, when one line is not enough (a building, a floor).",
		Syntax:   "Text", Example: "Mill Lane",
		text: func(in *OrderInput) *string { return &in.Address.Line2 },
	},
	{
		Field: FieldCity, Label: "City",
		Synonyms: []string{"Town", "Town/City", "City/Town", "Locality", "Suburb"},
		Glossary: "The town or city.",
		Syntax:   "Text", Example: "London",
		text: func(in *OrderInput) *string { return &in.Address.City },
	},
	{
		Field: FieldState, Label: "State",
		Synonyms: []string{"Province", "County", "Region", "State/Province", "Province/State", "State/County",
			"County/State", "State/Region"},
		Glossary: "The state, county, province or region.",
		Syntax:   "Text", Example: "Greater London",
		text: func(in *OrderInput) *string { return &in.Address.State },
	},
	{
		Field: FieldZip, Label: "Zip",
		Synonyms: []string{"ZIP code", "Postcode", "Postal code", "Postal", "Zip/Postcode", "Zip/Postal code",
			"Postcode/Zip", "Postal/Zip code"},
		Glossary: "The postcode or ZIP code.",
		Syntax:   "Text", Example: "NW1 6XE",
		text: func(in *OrderInput) *string { return &in.Address.Zip },
	},
	{
		Field: FieldCountry, Label: "Country",
		Synonyms: []string{"Country code", "Country name"},
		Glossary: "The country: its name or its code.",
		Syntax:   "Text", Example: "United Kingdom",
		text: func(in *OrderInput) *string { return &in.Address.Country },
	},
	{
		Field: FieldNotes, Label: "Notes",
		Synonyms: []string{"Note", "Instructions", "Delivery instructions", "Delivery notes", "Comments", "Comment",
			"Stop notes", "Order notes"},
		Glossary: "Instructions for the driver.",
		Syntax:   "Text", Example: "Leave with the concierge",
		text: func(in *OrderInput) *string { return &in.Notes },
	},
	{
		Field: FieldSize, Label: "Size",
		Synonyms: []string{"Stop size", "Order size"},
		Glossary: "How much room the stop takes, in the unit your delivery company uses (volume, weight or count).",
		Syntax:   "A number of 0 or more, with a decimal point", Example: "2.5",
		Numeric: true,
		parse: func(in *OrderInput, s string) (reason string) {
			in.Size, reason = parseDecimal(FieldSize, s)
			return reason
		},
		format: func(in *OrderInput) string { return formatDecimal(in.Size) },
	},
	{
		Field: FieldRecipientName, Label: "Recipient Name",
		Synonyms: []string{"Name", "Customer name", "Recipient", "Full name", "Contact name", "Customer"},
		Glossary: "Who receives the goods (or hands them over, for a pickup).",
		Syntax:   "Text", Example: "Ann Smith",
		text: func(in *OrderInput) *string { return &in.Recipient.Name },
	},
	{
		Field: FieldStopType, Label: "Type of stop",
		Synonyms: []string{"Type", "Stop type", "Delivery type", "Order type"},
		Glossary: "Whether the driver delivers to the address or picks up from it. Empty means Delivery.",
		Syntax:   "Delivery or Pickup (D or P also work)", Example: "Delivery",
		parse: func(in *OrderInput, s string) (reason string) {
			in.StopType, reason = parseStopType(s)
			return reason
		},
		format: func(in *OrderInput) string { return string(in.StopType) },
	},
	{
		Field: FieldRecipientEmail, Label: "Recipient Email Address",
		Synonyms: []string{"Email", "Email address", "Recipient email", "Customer email", "Mail"},
		Glossary: "The recipient's email address.",
		Syntax:   "An email address", Example: "ann.smith@example.com",
		text: func(in *OrderInput) *string { return &in.Recipient.Email },
	},
	{
		Field: FieldRecipientPhone, Label: "Recipient Phone Number",
		Synonyms: []string{"Phone", "Phone number", "Mobile", "Mobile number", "Mobile phone", "Cell", "Cell phone",
			"Telephone", "Tel", "Telephone number", "Contact number", "Recipient phone", "Customer phone"},
		Glossary: "The recipient's phone number, with the country code if abroad.",
		Syntax:   "6 to 20 digits, with spaces, dashes, brackets or a leading +", Example: "020 7946 0018",
		text: func(in *OrderInput) *string { return &in.Recipient.Phone },
	},
	{
		Field: FieldRef, Label: "Id",
		Synonyms: []string{"Order ID", "Order", "Order no", "Order number", "Order ref", "Order reference",
			"Reference", "Ref", "Reference number", "Ref no", "External ID"},
		Glossary: "Your own reference for the order. An order whose Id was imported before is refused, " +
			"so the same order is never imported twice; in one file, Ids that differ only in capitals are the same Id.",
		Syntax: "Text, different for every order", Example: "ORD-1001",
		text: func(in *OrderInput) *string { return &in.Ref },
	},
	{
		Field: FieldPackageCount, Label: "Package Count",
		Synonyms: []string{"Qty", "Quantity", "Packages", "Parcels", "Parcel count", "Number of packages",
			"No. of packages", "Number of parcels", "No. of parcels", "Packages qty"},
		Glossary: "How many packages the stop has.",
		Syntax:   "A whole number of 1 or more", Example: "2",
		Numeric: true,
		parse: func(in *OrderInput, s string) (reason string) {
			if in.PackageCount, reason = parseWholeNumber(FieldPackageCount, s); reason == "" && in.PackageCount == 0 && s != "" {
				// 0 would read as no count given: say so, rather than drop it.
				return fmt.Sprintf("must be a whole number of 1 or more, not %s", quoteCell(s))
			}
			return reason
		},
		format: func(in *OrderInput) string {
			if in.PackageCount == 0 {
				return ""
			}
			return strconv.Itoa(in.PackageCount)
		},
	},
	{
		Field: FieldProducts, Label: "Products",
		Synonyms: []string{"Product", "Items", "Item", "Line items", "Product list"},
		Glossary: "What the stop carries.",
		Syntax:   "Products separated by semicolons, each with an optional quantity (x2) and SKU ([SKU: ABC])",
		Example:  "Veg box x2; Sourdough loaf [SKU: BREAD-SD]",
		parse: func(in *OrderInput, s string) (reason string) {
			in.Products, reason = parseProducts(s)
			return reason
		},
		format: func(in *OrderInput) string { return FormatProducts(in.Products) },
	},
	{
		Field: FieldLatitude, Label: "Latitude",
		Synonyms: []string{"Lat"},
		Glossary: "The stop's latitude. Given with the longitude, it places the stop instead of the address.",
		Syntax:   "A number from -90 to 90 with a decimal point", Example: "51.7561",
		Numeric: true,
		parse: func(in *OrderInput, s string) (reason string) {
			in.Address.Latitude, reason = parseDecimal(FieldLatitude, s)
			return reason
		},
		format: func(in *OrderInput) string { return formatDecimal(in.Address.Latitude) },
	},
	{
		Field: FieldLongitude, Label: "Longitude",
		Synonyms: []string{"Lng", "Lon", "Long"},
		Glossary: "The stop's longitude. Given with the latitude, it places the stop instead of the address.",
		Syntax:   "A number from -180 to 180 with a decimal point", Example: "-1.2163",
		Numeric: true,
		parse: func(in *OrderInput, s string) (reason string) {
			in.Address.Longitude, reason = parseDecimal(FieldLongitude, s)
			return reason
		},
		format: func(in *OrderInput) string { return formatDecimal(in.Address.Longitude) },
	},
}
