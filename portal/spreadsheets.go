package portal

import (
	"io"
	"iter"

	"github.com/dispatchkit/connect"
)

// Spreadsheets reads the spreadsheets people upload and writes the files that go
// with an import. The portal does not read files itself: the host wires this port,
// usually from package importer (examples/portal shows how, in a few lines).
type Spreadsheets interface {
	// Open reads a spreadsheet (CSV or XLSX; name only helps to tell which) and maps
	// its header to order fields. Nothing past the header needs to be read yet.
	// Errors: ErrInvalid, with a message for people, when the file cannot be read
	// (not a spreadsheet, too large, no header).
	Open(r io.ReaderAt, size int64, name string, opts SheetOptions) (Sheet, error)
	// WriteRefused writes the rows an import refused as a file to fix and upload
	// again (CSV): the header, then each row with its reason.
	WriteRefused(w io.Writer, header []string, rows []connect.RefusedRow) error
	// WriteTemplate writes the template clients fill in, as "xlsx" (with a
	// glossary sheet) or "csv", marking the fields the policy requires.
	WriteTemplate(w io.Writer, format string, policy connect.RequiredFieldPolicy) error
	// WriteTable writes a table as a file of the format, "xlsx" (the portal writes
	// its CSV files itself): the header, then each row rows yields, every cell as
	// text (a zip keeps its leading zeros, a decimal its digits) and passed through
	// connect.EscapeFormula, so that Open reads the file back as the cells written.
	// The portal's export of orders is such a table.
	WriteTable(w io.Writer, format string, header []string, rows iter.Seq[[]string]) error
}

// SheetOptions says how to map a spreadsheet's columns.
type SheetOptions struct {
	// Override maps a column's header, as written, to the field it holds, winning
	// over recognition by name; "" ignores the column.
	Override map[string]connect.Field
	// Policy is the client's required fields: Sheet.Missing lists those no column
	// holds.
	Policy connect.RequiredFieldPolicy
	// ClientNumbers is set for a dispatcher's stop import, whose "Client ID"
	// column (connect.FieldClientNumber) names each row's client.
	ClientNumbers bool
}

// Sheet is an opened spreadsheet: its rows as an import source, and how its
// columns were mapped. Its rows are read once.
type Sheet interface {
	connect.ImportSource
	// Columns lists every column of the header, in order, with the field it holds.
	Columns() []SheetColumn
	// Missing lists the fields the policy requires that no column holds.
	Missing() []connect.Field
	Close() error
}

// SheetColumn is one column of a spreadsheet and what it holds.
type SheetColumn struct {
	Header string
	Field  connect.Field // "" when ignored
	// Ignored says, for people, why a column without a field is ignored ("not a
	// known column", "the same field as an earlier column").
	Ignored string
}
