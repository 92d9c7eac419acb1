// Package importer reads the spreadsheets clients upload (CSV and XLSX) as orders for
// connect.Service.Import, and writes the files that go with an import: the refused
// rows to fix and upload again, the template to fill in, and tables such as an
// export of orders ([WriteXLSX]) that import back.
//
// It reads files as the programs clients use write them: Excel on Windows and Mac,
// Numbers, Google Sheets, LibreOffice, and the generators behind web shops
// (testdata/corpus has one of each, with the orders they hold). Nothing a client
// gives is lost or changed without a word: what the importer skipped, guessed at or
// could not read is in the import's warnings, or refuses the row or the file with
// its reason.
//
// It has two layers. The reading layer ([Open], [ReadCSV], [ReadXLSX]) knows nothing
// about orders: it yields trimmed string cells as the user sees them, with the row
// number their spreadsheet program shows (and, for XLSX, numbers as stored, hidden
// rows, notes on cells), and refuses files that break the [Limits] before it
// spends memory on them. CSV: the encoding (UTF-8, UTF-16, Windows-1252, Mac
// Roman), the line ends (CRLF, LF, CR alone, mixed) and the delimiter (or a "sep="
// line) are found from the file. XLSX: its own streaming reader over the zip,
// which formats numbers by their number formats and refuses a damaged sheet rather
// than cut it short.
//
// The domain layer reads a file as a connect.ImportSource ([Source], from
// [OpenSource]): it chooses the sheet (the first whose header maps, or those the
// caller names), finds the header among the first 20 rows, maps it to order fields
// ([MapHeader]: by name, a visible column over a hidden one, never a column whose
// name says "old" silently), parses cells into values (numeric fields from the
// stored numbers), and says where it found the orders ([Source.Layout],
// [Source.ImportWarnings]); what a field is called and how its value is written
// come from connect's order-field table (connect.FieldSpecs):
//
//	src, err := importer.OpenSource(file, size, "orders.xlsx", importer.SourceOptions{
//		Mapping: importer.MappingOptions{Policy: client.Settings.RequiredFields},
//	})
//	if err != nil {
//		return err
//	}
//	defer src.Close()
//	show(src.Mapping(), src.Layout()) // columns mapped and ignored, the sheets, rows skipped
//	res, err := svc.Import(ctx, actor, src, connect.ImportOptions{})
//	// res.Warnings: what to check; res.RefusedRows → importer.WriteRefused(w,
//	//	src.Header(), res.RefusedRows, importer.RefusedOptions{Delimiter: src.Layout().Delimiter})
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
//		// row.Number, row.Cells, row.Values, row.Hidden
//	}
//
// Every error except io.EOF is a *connect.Error. Errors about the content have Code
// connect.Invalid, a message a person can act on, and, where a row or a column is
// known, a connect.FieldError that names them.
package importer
