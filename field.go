package connect

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

// OrderFields lists every order field a client can give, in spreadsheet order.
func OrderFields() []Field {
	return []Field{
		FieldUnit, FieldAddressLine1, FieldAddressLine2, FieldCity, FieldState, FieldZip,
		FieldCountry, FieldNotes, FieldSize, FieldRecipientName, FieldStopType,
		FieldRecipientEmail, FieldRecipientPhone, FieldRef, FieldPackageCount, FieldProducts,
		FieldLatitude, FieldLongitude,
	}
}

var fieldLabels = map[Field]string{
	FieldUnit:           "Unit",
	FieldAddressLine1:   "Address Line 1",
	FieldAddressLine2:   "Address Line 2",
	FieldCity:           "City",
	FieldState:          "State",
	FieldZip:            "Zip",
	FieldCountry:        "Country",
	FieldNotes:          "Notes",
	FieldSize:           "Size",
	FieldRecipientName:  "Recipient Name",
	FieldStopType:       "Type of stop",
	FieldRecipientEmail: "Recipient Email Address",
	FieldRecipientPhone: "Recipient Phone Number",
	FieldRef:            "Id",
	FieldPackageCount:   "Package Count",
	FieldProducts:       "Products",
	FieldLatitude:       "Latitude",
	FieldLongitude:      "Longitude",
	FieldClientNumber:   "Client ID",
}

// Label returns the field's name as the help article and the spreadsheet template
// write it ("Address Line 1"); an unknown field returns its identifier.
func (f Field) Label() string {
	if l, ok := fieldLabels[f]; ok {
		return l
	}
	return string(f)
}

// Valid reports whether f is one of the order fields.
func (f Field) Valid() bool {
	_, ok := fieldLabels[f]
	return ok && f != FieldClientNumber
}
