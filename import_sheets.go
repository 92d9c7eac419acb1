package connect

// What an ImportSource may offer beyond its rows, found by type assertion: a
// workbook's choice of sheets and of hidden rows, and what the user should know
// about the file as a whole. Package importer's Source offers both.

// SheetSelector is an ImportSource that can read other sheets of its file than the
// ones it chose, or leave out the rows its sheets hide. Service.Import and
// PreviewImport call SelectSheets with ImportOptions.Sheets and SkipHiddenRows
// before they read a row, when either is set.
type SheetSelector interface {
	// SelectSheets chooses the sheets to read, in order (none: the source's
	// default), and whether to skip hidden rows. Errors: ErrInvalid, with a
	// message for people, for sheets the file does not have or cannot read
	// together.
	SelectSheets(sheets []string, skipHiddenRows bool) error
}

// ImportWarner is an ImportSource with warnings about the file as a whole: other
// sheets that were not read, rows above the header that were skipped, hidden
// columns and rows. Service.Import and PreviewImport call ImportWarnings once they
// have read every row, and put the warnings first in ImportResult.Warnings.
type ImportWarner interface {
	// ImportWarnings returns the warnings, each a sentence in Reason (and, where
	// one is meant, the sheet, row and column).
	ImportWarnings() []FieldError
}

// selectSheets applies the sheet choice of opts to src.
func selectSheets(src ImportSource, opts ImportOptions) error {
	if len(opts.Sheets) == 0 && !opts.SkipHiddenRows {
		return nil
	}
	sel, ok := src.(SheetSelector)
	if !ok {
		if len(opts.Sheets) > 0 {
			return Errorf(Invalid, "this import has no sheets to choose from")
		}
		return nil // nothing to skip: the source hides no rows
	}
	return sel.SelectSheets(opts.Sheets, opts.SkipHiddenRows)
}
