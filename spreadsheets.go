package connect

import (
	"io"
	"iter"
)

// Spreadsheets reads the spreadsheets people upload and writes the files that go
// with an import: the port the portal reads uploads through. Package importer
// implements it (importer.Spreadsheets); a host wires that into portal.Config.
type Spreadsheets interface {
	// Open reads a spreadsheet (CSV or XLSX; name only helps to tell which), finds
	// its orders (the sheets, the header row) and maps its header to order fields.
	// Nothing past the first rows needs to be read yet. Errors: ErrInvalid, with a
	// message for people, when the file cannot be read (not a spreadsheet, too
	// large, no header) or the sheets chosen cannot be read together.
	Open(r io.ReaderAt, size int64, name string, opts SheetOptions) (Sheet, error)
	// WriteRefused writes the rows an import refused as a file to fix and upload
	// again (CSV, with the delimiter of the file uploaded; 0 for a comma): the
	// header, then each row with its number in the file and its reason. rows may
	// be read more than once (the portal reads them from a file each time).
	WriteRefused(w io.Writer, header []string, rows iter.Seq[RefusedRow], delimiter rune) error
	// WriteTemplate writes the template clients fill in, as "xlsx" (with a
	// glossary sheet) or "csv", marking the fields the policy requires.
	WriteTemplate(w io.Writer, format string, policy RequiredFieldPolicy) error
	// WriteTable writes a table as a file of the format, "xlsx" (the portal writes
	// its CSV files itself): the header, then each row rows yields, every cell as
	// text (a zip keeps its leading zeros, a decimal its digits) and passed through
	// EscapeFormula, so that Open reads the file back as the cells written.
	// The portal's export of orders is such a table.
	WriteTable(w io.Writer, format string, header []string, rows iter.Seq[[]string]) error
}

// SheetOptions says how to map a spreadsheet's columns.
type SheetOptions struct {
	// Override maps a column's header, as written, to the field it holds, winning
	// over recognition by name; "" ignores the column.
	Override map[string]Field
	// Policy is the client's required fields: Sheet.Missing lists those no column
	// holds.
	Policy RequiredFieldPolicy
	// ClientNumbers is set for a dispatcher's stop import, whose "Client ID"
	// column (FieldClientNumber) names each row's client.
	ClientNumbers bool
	// Sheets names the workbook's sheets to read, in order: several with the same
	// header are read together. Empty: the sheet the Spreadsheets port finds the
	// orders in (the first whose header maps).
	Sheets []string
	// SkipHiddenRows leaves out the rows the sheets hide.
	SkipHiddenRows bool
}

// Sheet is an opened spreadsheet: its rows as an import source, and how its
// columns were mapped. Its rows are read once.
type Sheet interface {
	ImportSource
	// Columns lists every column of the header, in order, with the field it holds.
	Columns() []SheetColumn
	// Missing lists the fields the policy requires that no column holds.
	Missing() []Field
	// Layout says where the orders were found, for the user to check and choose:
	// the workbook's sheets, the header row and the rows skipped above it, the
	// hidden rows. Counts of rows are complete once the rows have been read.
	Layout() SheetLayout
	Close() error
}

// SheetColumn is one column of a spreadsheet and what it holds.
type SheetColumn struct {
	Header string
	Field  Field // "" when ignored
	// Ignored says, for people, why a column without a field is ignored ("not a
	// known column", "the same field as an earlier column", "its name says
	// “old”").
	Ignored string
	// Could is the field an ignored column could hold: one another column holds,
	// or one its name names though it says not to use it.
	Could Field
	// Hidden is set for a column the sheet hides.
	Hidden bool
}

// SheetLayout says where a spreadsheet's orders were found.
type SheetLayout struct {
	// Sheets are a workbook's sheets, in order (nil for CSV).
	Sheets []SheetSummary
	// HeaderRow is the header's row number; Skipped are the non-blank rows above
	// it, which are not read.
	HeaderRow int
	Skipped   []SkippedRow
	// HiddenRows counts the hidden rows met so far; SkipHiddenRows says whether
	// they are left out.
	HiddenRows     int
	SkipHiddenRows bool
	// Delimiter is a CSV file's (0 for a workbook), for the file of refused rows.
	Delimiter rune
}

// SheetSummary is one sheet of a workbook.
type SheetSummary struct {
	Name string
	// Rows is the number of rows of orders it has; -1 while not known (a sheet
	// being read, before its end).
	Rows int
	// Maps reports whether its header maps the address (and another field).
	Maps bool
	// SameHeader reports whether it has the same columns as the first sheet
	// read, so that it can be read with it.
	SameHeader bool
	Chosen     bool // it is read
	Hidden     bool // the workbook hides it
	// Problem says why it cannot be read ("" when it can).
	Problem string
}

// SkippedRow is a row above the header, which is not read.
type SkippedRow struct {
	Row  int
	Text string // its cells, joined
}
