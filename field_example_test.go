package connect_test

import (
	"fmt"

	"github.com/dispatchkit/connect"
)

// A spreadsheet row (or a form) read through the order-field table, one cell per
// field, and written back as the text that reads as the same order.
func ExampleFieldSpec_Parse() {
	row := map[connect.Field]string{
		connect.FieldAddressLine1: "14 Baker Street",
		connect.FieldZip:          "01234",
		connect.FieldStopType:     "Pickup",
		connect.FieldSize:         "2,5",
		connect.FieldLongitude:    "-97.6",
		connect.FieldProducts:     "2 x Veg box; Sourdough loaf [SKU: =BREAD]",
		connect.FieldPackageCount: "three",
	}
	var in connect.OrderInput
	for _, spec := range connect.FieldSpecs() {
		if err := spec.Parse(&in, row[spec.Field]); err != nil {
			fmt.Println(err)
		}
	}
	for _, spec := range connect.FieldSpecs() {
		if text := spec.Format(&in); text != "" {
			fmt.Printf("%s: %s\n", spec.Label, text)
		}
	}
	// Output:
	// invalid: Package Count must be a whole number like 3, not "three"
	// Address Line 1: 14 Baker Street
	// Zip: 01234
	// Size: 2.5
	// Type of stop: pickup
	// Products: Veg box x2; Sourdough loaf [SKU: =BREAD]
	// Longitude: -97.6
}

// The glossary a template or a help page shows, from the table.
func ExampleFieldSpecs() {
	for _, spec := range connect.FieldSpecs()[8:10] {
		fmt.Printf("%s: %s %s\n", spec.Label, spec.Glossary, spec.HowToWrite())
	}
	// Output:
	// Size: How much room the stop takes, in the unit your delivery company uses (volume, weight or count). A number of 0 or more, with a decimal point, e.g. 2.5
	// Recipient Name: Who receives the goods (or hands them over, for a pickup). Text, e.g. Ann Smith
}
