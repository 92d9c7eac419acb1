package importer_test

import (
	"encoding/json"
	"testing"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/importer"
	"github.com/google/go-cmp/cmp"
)

// helpArticleHeader is the column list of the help article, as its template writes it.
var helpArticleHeader = []string{
	"Unit/Flat/Unit Name", "Address Line 1", "Address Line 2", "City", "State", "Zip", "Country",
	"Notes", "Size", "Recipient Name", "Type of stop", "Recipient Email Address",
	"Recipient Phone Number", "Id", "Package Count", "Products", "Latitude", "Longitude",
}

func TestMapHeaderRecognisesTheHelpArticlesColumns(t *testing.T) {
	t.Parallel()
	m := importer.MapHeader(helpArticleHeader, importer.MappingOptions{})
	var want []importer.MappedColumn
	for i, f := range connect.OrderFields() {
		want = append(want, importer.MappedColumn{Index: i, Header: helpArticleHeader[i], Field: f})
	}
	if d := cmp.Diff(&importer.Mapping{Header: helpArticleHeader, Mapped: want}, m); d != "" {
		t.Fatalf("mapping (-want +got):\n%s", d)
	}
	for _, f := range connect.OrderFields() {
		if got := m.Column(f); got != helpArticleHeader[m.Mapped[indexOf(f)].Index] {
			t.Errorf("Column(%s) = %q", f, got)
		}
	}
}

func indexOf(f connect.Field) int {
	for i, g := range connect.OrderFields() {
		if g == f {
			return i
		}
	}
	return -1
}

func TestMapHeaderRecognisesVariants(t *testing.T) {
	t.Parallel()
	cases := map[connect.Field][]string{
		connect.FieldUnit:           {"Unit", "Flat", "unit_name", "Apt", "Apartment/Suite"},
		connect.FieldAddressLine1:   {"address_line_1", "Address 1", "ADDRESS-LINE-1", "Street", "Street address", "Address", "Shipping Address 1", "Address line 1 (required)", "Address Line 1 *"},
		connect.FieldAddressLine2:   {"address_line_2", "Address 2", "Addr2", "Shipping Address Line 2"},
		connect.FieldCity:           {"City", "Town", "town/city", "Delivery City"},
		connect.FieldState:          {"State", "Province", "County", "Region", "State/Province"},
		connect.FieldZip:            {"Zip", "Postcode", "Post code", "Postal code", "ZIP code", "zip_code", "Shipping Zip"},
		connect.FieldCountry:        {"Country", "Country code"},
		connect.FieldNotes:          {"Notes", "Instructions", "Delivery notes", "Delivery instructions", "Comments"},
		connect.FieldSize:           {"Size", "Size (m³)", "size [kg]"},
		connect.FieldRecipientName:  {"Name", "Customer name", "Recipient", "Recipient Name", "Full name", "Customer"},
		connect.FieldStopType:       {"Type", "Stop type", "Type of stop", "stop_type"},
		connect.FieldRecipientEmail: {"Email", "E-mail", "e_mail address", "Recipient Email Address", "Customer Email"},
		connect.FieldRecipientPhone: {"Phone", "Mobile", "Phone number", "Recipient Phone Number", "Tel.", "Customer Phone"},
		connect.FieldRef:            {"Id", "ID", "Order ID", "Order #", "Order no.", "Reference", "Ref", "ref."},
		connect.FieldPackageCount:   {"Qty", "Packages", "Parcels", "Package Count", "No. of packages"},
		connect.FieldProducts:       {"Items", "Products", "Product", "Line items"},
		connect.FieldLatitude:       {"Lat", "Latitude", "LAT", "latitude (WGS84)"},
		connect.FieldLongitude:      {"Lng", "Lon", "Long", "Longitude"},
		connect.FieldClientNumber:   {"Client ID", "Client number", "client_no", "Spoke Connect ID"},
	}
	for want, headers := range cases {
		for _, h := range headers {
			t.Run(h, func(t *testing.T) {
				t.Parallel()
				m := importer.MapHeader([]string{h}, importer.MappingOptions{ClientNumbers: true})
				if len(m.Mapped) != 1 || m.Mapped[0].Field != want {
					t.Fatalf("%q mapped as %+v, ignored as %+v; want %s", h, m.Mapped, m.Ignored, want)
				}
			})
		}
	}
}

// TestMapHeaderKnowsEveryNameItEverKnew maps each column name the importer knew when
// its names moved into connect's order-field table (as MapHeader compares them: lower
// case letters and digits), so that no synonym is lost.
func TestMapHeaderKnowsEveryNameItEverKnew(t *testing.T) {
	t.Parallel()
	names := map[connect.Field][]string{
		connect.FieldUnit: {"unit", "flat", "unitflatunitname", "unitflat", "unitname", "unitnumber",
			"flatnumber", "apt", "apartment", "suite", "aptsuite", "apartmentsuite", "unitsuite"},
		connect.FieldAddressLine1: {"addressline1", "address1", "addr1", "addressline", "address",
			"street", "streetaddress", "street1", "streetline1", "line1"},
		connect.FieldAddressLine2: {"addressline2", "address2", "addr2", "street2", "streetline2", "line2"},
		connect.FieldCity:         {"city", "town", "towncity", "citytown", "locality", "suburb"},
		connect.FieldState: {"state", "province", "county", "region", "stateprovince", "provincestate",
			"statecounty", "countystate", "stateregion"},
		connect.FieldZip: {"zip", "zipcode", "postcode", "postalcode", "postal", "zippostcode",
			"zippostalcode", "postcodezip", "postalzipcode"},
		connect.FieldCountry: {"country", "countrycode", "countryname"},
		connect.FieldNotes: {"notes", "note", "instructions", "deliveryinstructions", "deliverynotes",
			"comments", "comment", "stopnotes", "ordernotes"},
		connect.FieldSize:          {"size", "stopsize", "ordersize"},
		connect.FieldRecipientName: {"recipientname", "name", "customername", "recipient", "fullname", "contactname", "customer"},
		connect.FieldStopType:      {"typeofstop", "type", "stoptype", "deliverytype", "ordertype"},
		connect.FieldRecipientEmail: {"recipientemailaddress", "email", "emailaddress", "recipientemail",
			"customeremail", "mail"},
		connect.FieldRecipientPhone: {"recipientphonenumber", "phone", "phonenumber", "mobile", "mobilenumber",
			"mobilephone", "cell", "cellphone", "telephone", "tel", "telephonenumber", "contactnumber",
			"recipientphone", "customerphone"},
		connect.FieldRef: {"id", "orderid", "order", "orderno", "ordernumber", "orderref", "orderreference",
			"reference", "ref", "referencenumber", "refno", "externalid"},
		connect.FieldPackageCount: {"packagecount", "qty", "quantity", "packages", "parcels", "parcelcount",
			"numberofpackages", "noofpackages", "numberofparcels", "noofparcels", "packagesqty"},
		connect.FieldProducts:  {"products", "product", "items", "item", "lineitems", "productlist"},
		connect.FieldLatitude:  {"latitude", "lat"},
		connect.FieldLongitude: {"longitude", "lng", "lon", "long"},
		connect.FieldClientNumber: {"clientid", "clientnumber", "clientno", "clientnum", "spokeconnectid",
			"connectid", "connectclientid"},
	}
	for want, keys := range names {
		for _, k := range keys {
			m := importer.MapHeader([]string{k}, importer.MappingOptions{ClientNumbers: true})
			if len(m.Mapped) != 1 || m.Mapped[0].Field != want {
				t.Errorf("%q mapped as %+v, ignored as %+v; want %s", k, m.Mapped, m.Ignored, want)
			}
		}
	}
}

func TestMapHeaderIgnoresWhatItDoesNotKnow(t *testing.T) {
	t.Parallel()
	for _, h := range []string{"Customer ID", "Delivery date", "First name", "Company name", "", "Error", "Weight", "()"} {
		t.Run(h, func(t *testing.T) {
			t.Parallel()
			m := importer.MapHeader([]string{h}, importer.MappingOptions{})
			want := []importer.IgnoredColumn{{Index: 0, Header: h, Reason: importer.IgnoredUnknown}}
			if d := cmp.Diff(want, m.Ignored); d != "" || len(m.Mapped) > 0 {
				t.Fatalf("mapped %+v; ignored (-want +got):\n%s", m.Mapped, d)
			}
		})
	}
}

func TestMapHeader(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		header []string
		opts   importer.MappingOptions
		want   *importer.Mapping
	}{
		{
			name:   "the first of two columns for one field wins, the second is reported",
			header: []string{"Name", "Address", "Customer name", "Street"},
			want: &importer.Mapping{
				Mapped: []importer.MappedColumn{
					{Index: 0, Header: "Name", Field: connect.FieldRecipientName},
					{Index: 1, Header: "Address", Field: connect.FieldAddressLine1},
				},
				Ignored: []importer.IgnoredColumn{
					{Index: 2, Header: "Customer name", Reason: importer.IgnoredDuplicate, Field: connect.FieldRecipientName},
					{Index: 3, Header: "Street", Reason: importer.IgnoredDuplicate, Field: connect.FieldAddressLine1},
				},
				Ambiguous: []importer.Ambiguity{
					{Field: connect.FieldRecipientName, Columns: []int{0, 2}, Chosen: 0},
					{Field: connect.FieldAddressLine1, Columns: []int{1, 3}, Chosen: 1},
				},
			},
		},
		{
			name:   "Client ID is not the order's Id, and a client's import ignores it",
			header: []string{"Client ID", "Id", "Address"},
			want: &importer.Mapping{
				Mapped: []importer.MappedColumn{
					{Index: 1, Header: "Id", Field: connect.FieldRef},
					{Index: 2, Header: "Address", Field: connect.FieldAddressLine1},
				},
				Ignored: []importer.IgnoredColumn{{Index: 0, Header: "Client ID", Reason: importer.IgnoredClientNumber}},
			},
		},
		{
			name:   "a dispatcher's import maps Client ID",
			header: []string{"Client ID", "Id", "Address"},
			opts:   importer.MappingOptions{ClientNumbers: true},
			want: &importer.Mapping{
				Mapped: []importer.MappedColumn{
					{Index: 0, Header: "Client ID", Field: connect.FieldClientNumber},
					{Index: 1, Header: "Id", Field: connect.FieldRef},
					{Index: 2, Header: "Address", Field: connect.FieldAddressLine1},
				},
			},
		},
		{
			name:   "a dispatcher's import without a Client ID column reports it missing",
			header: []string{"Address"},
			opts:   importer.MappingOptions{ClientNumbers: true},
			want: &importer.Mapping{
				Mapped:  []importer.MappedColumn{{Index: 0, Header: "Address", Field: connect.FieldAddressLine1}},
				Missing: []connect.Field{connect.FieldClientNumber},
			},
		},
		{
			name:   "required fields without a column are missing, in spreadsheet order",
			header: []string{"Name", "Zip"},
			opts:   importer.MappingOptions{Policy: connect.RequireFields(connect.FieldRef, connect.FieldZip, connect.FieldCity)},
			want: &importer.Mapping{
				Mapped: []importer.MappedColumn{
					{Index: 0, Header: "Name", Field: connect.FieldRecipientName},
					{Index: 1, Header: "Zip", Field: connect.FieldZip},
				},
				Missing: []connect.Field{connect.FieldAddressLine1, connect.FieldCity, connect.FieldRef},
			},
		},
		{
			name:   "overrides map, ignore, and win over recognition by name",
			header: []string{"Drop point", "Address", "Street", "Memo", "Zip", "Extra"},
			opts: importer.MappingOptions{Override: map[string]connect.Field{
				"Drop point": connect.FieldAddressLine1, // wins over "Address", which comes first
				"Memo":       connect.FieldNotes,
				"Zip":        "-",
				"Extra":      "",
			}},
			want: &importer.Mapping{
				Mapped: []importer.MappedColumn{
					{Index: 0, Header: "Drop point", Field: connect.FieldAddressLine1, Override: true},
					{Index: 3, Header: "Memo", Field: connect.FieldNotes, Override: true},
				},
				Ignored: []importer.IgnoredColumn{
					{Index: 1, Header: "Address", Reason: importer.IgnoredDuplicate, Field: connect.FieldAddressLine1},
					{Index: 2, Header: "Street", Reason: importer.IgnoredDuplicate, Field: connect.FieldAddressLine1},
					{Index: 4, Header: "Zip", Reason: importer.IgnoredByOverride},
					{Index: 5, Header: "Extra", Reason: importer.IgnoredByOverride},
				},
			},
		},
		{
			name:   "two overrides to one field: the first wins",
			header: []string{"A", "B"},
			opts:   importer.MappingOptions{Override: map[string]connect.Field{"A": connect.FieldNotes, "B": connect.FieldNotes}},
			want: &importer.Mapping{
				Mapped:  []importer.MappedColumn{{Index: 0, Header: "A", Field: connect.FieldNotes, Override: true}},
				Ignored: []importer.IgnoredColumn{{Index: 1, Header: "B", Reason: importer.IgnoredDuplicate, Field: connect.FieldNotes}},
				Missing: []connect.Field{connect.FieldAddressLine1},
			},
		},
		{
			name:   "an override to something that is not a field ignores the column",
			header: []string{"Address", "Weight"},
			opts:   importer.MappingOptions{Override: map[string]connect.Field{"Weight": "weight"}},
			want: &importer.Mapping{
				Mapped:  []importer.MappedColumn{{Index: 0, Header: "Address", Field: connect.FieldAddressLine1}},
				Ignored: []importer.IgnoredColumn{{Index: 1, Header: "Weight", Reason: importer.IgnoredBadOverride, Field: "weight"}},
			},
		},
		{
			name:   "an override to Client ID in a client's import ignores the column",
			header: []string{"Address", "Account"},
			opts:   importer.MappingOptions{Override: map[string]connect.Field{"Account": connect.FieldClientNumber}},
			want: &importer.Mapping{
				Mapped:  []importer.MappedColumn{{Index: 0, Header: "Address", Field: connect.FieldAddressLine1}},
				Ignored: []importer.IgnoredColumn{{Index: 1, Header: "Account", Reason: importer.IgnoredClientNumber}},
			},
		},
		{
			name:   "a header written twice maps once",
			header: []string{"Notes", "Address", "Notes"},
			want: &importer.Mapping{
				Mapped: []importer.MappedColumn{
					{Index: 0, Header: "Notes", Field: connect.FieldNotes},
					{Index: 1, Header: "Address", Field: connect.FieldAddressLine1},
				},
				Ignored:   []importer.IgnoredColumn{{Index: 2, Header: "Notes", Reason: importer.IgnoredDuplicate, Field: connect.FieldNotes}},
				Ambiguous: []importer.Ambiguity{{Field: connect.FieldNotes, Columns: []int{0, 2}, Chosen: 0}},
			},
		},
		{
			name:   "an empty header maps nothing and misses the address",
			header: nil,
			want:   &importer.Mapping{Missing: []connect.Field{connect.FieldAddressLine1}},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.want.Header = c.header
			got := importer.MapHeader(c.header, c.opts)
			if d := cmp.Diff(c.want, got); d != "" {
				t.Fatalf("mapping (-want +got):\n%s", d)
			}
			// Overrides gives back a map that makes the same mapping.
			again := importer.MapHeader(c.header, importer.MappingOptions{
				Override: got.Overrides(), Policy: c.opts.Policy, ClientNumbers: c.opts.ClientNumbers})
			if d := cmp.Diff(fieldsByColumn(got), fieldsByColumn(again)); d != "" {
				t.Fatalf("mapped with its Overrides %v (-first +again):\n%s", got.Overrides(), d)
			}
			if d := cmp.Diff(got.Missing, again.Missing); d != "" {
				t.Fatalf("missing with its Overrides (-first +again):\n%s", d)
			}
		})
	}
}

// fieldsByColumn returns the field of each column, "" for an ignored one.
func fieldsByColumn(m *importer.Mapping) []connect.Field {
	out := make([]connect.Field, len(m.Header))
	for _, c := range m.Mapped {
		out[c.Index] = c.Field
	}
	return out
}

func TestMappingOverridesApplyToTheSameColumnsInAnotherOrder(t *testing.T) {
	t.Parallel()
	first := importer.MapHeader([]string{"Drop point", "Memo", "Address", "Name"}, importer.MappingOptions{
		Override: map[string]connect.Field{"Drop point": connect.FieldAddressLine1, "Memo": connect.FieldNotes, "Name": "-"}})
	want := map[string]connect.Field{
		"Drop point": connect.FieldAddressLine1, "Memo": connect.FieldNotes, "Address": "", "Name": "",
	}
	if d := cmp.Diff(want, first.Overrides()); d != "" {
		t.Fatalf("Overrides (-want +got):\n%s", d)
	}
	next := importer.MapHeader([]string{"Name", "Unknown", "Address", "Memo", "Drop point"},
		importer.MappingOptions{Override: first.Overrides()})
	if d := cmp.Diff([]connect.Field{"", "", "", connect.FieldNotes, connect.FieldAddressLine1}, fieldsByColumn(next)); d != "" {
		t.Fatalf("next file mapped (-want +got):\n%s", d)
	}
}

func TestMappingIsJSONFriendly(t *testing.T) {
	t.Parallel()
	m := importer.MapHeader([]string{"Id", "Address", "Customer name", "Name", "Colour"},
		importer.MappingOptions{Policy: connect.RequireFields(connect.FieldZip)})
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"header":["Id","Address","Customer name","Name","Colour"],` +
		`"mapped":[{"index":0,"header":"Id","field":"id"},{"index":1,"header":"Address","field":"address_line_1"},` +
		`{"index":2,"header":"Customer name","field":"recipient_name"}],` +
		`"ignored":[{"index":3,"header":"Name","reason":"duplicate","field":"recipient_name"},` +
		`{"index":4,"header":"Colour","reason":"unknown"}],"missing":["zip"],` +
		`"ambiguous":[{"field":"recipient_name","columns":[2,3],"chosen":2}]}`
	if d := cmp.Diff(want, string(b)); d != "" {
		t.Fatalf("JSON (-want +got):\n%s", d)
	}
	var back importer.Mapping
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(m, &back); d != "" {
		t.Fatalf("read back (-want +got):\n%s", d)
	}
}
