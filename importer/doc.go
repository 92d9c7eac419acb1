// Package importer reads the spreadsheets clients upload (CSV and XLSX) as orders for
// connect.Service.Import, and writes the files that go with an import: the refused
// rows to fix and upload again, the template to fill in, and tables such as an
// export of orders ([WriteXLSX]) that import back.
//
// It has two layers. The reading layer ([Open], [ReadCSV], [ReadXLSX]) knows nothing
// about orders: it yields trimmed string cells with the row number the user sees in
// their spreadsheet program, and refuses files that break the [Limits] before it
// spends memory on them. The domain layer maps the header to order fields
// ([MapHeader]), parses cells into values and reads a sheet as a
// connect.ImportSource ([Source]); what a field is called and how its value is
// written come from connect's order-field table (connect.FieldSpecs):
//
//	src, err := importer.OpenSource(file, size, "orders.xlsx", importer.SourceOptions{
//		Mapping: importer.MappingOptions{Policy: client.Settings.RequiredFields},
//	})
//	if err != nil {
//		return err
//	}
//	defer src.Close()
//	show(src.Mapping()) // columns mapped, ignored, and required fields missing
//	res, err := svc.Import(ctx, actor, src, connect.ImportOptions{})
//	// res.RefusedRows → importer.WriteRefused(w, src.Header(), res.RefusedRows,
//	//	importer.RefusedOptions{Delimiter: src.Layout().Delimiter})
//
// Reading a sheet alone:
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
