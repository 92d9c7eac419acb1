// Package importer reads the spreadsheets clients upload (CSV and XLSX) one row at a
// time, and writes CSV files that are safe to open in a spreadsheet program.
//
// This layer knows nothing about orders: it yields trimmed string cells with the row
// number the user sees in their spreadsheet program, and refuses files that break the
// [Limits] before it spends memory on them. Mapping headers to fields and parsing
// values belong to the layer above.
//
//	sheet, err := importer.Open(file, size, "orders.csv", importer.Options{})
//	if err != nil {
//		return err // a *connect.Error with Code connect.Invalid
//	}
//	defer sheet.Close()
//	header := sheet.Header()
//	for {
//		row, err := sheet.Next()
//		if err == io.EOF {
//			break
//		}
//		if err != nil {
//			return err
//		}
//		// row.Number, row.Cells
//	}
//
// Every error except io.EOF is a *connect.Error. Errors about the content have Code
// connect.Invalid, a message a person can act on, and, where a row or a column is
// known, a connect.FieldError that names them.
package importer
