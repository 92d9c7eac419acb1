package importer

import (
	"bytes"
	"io"
	"path/filepath"
	"strings"

	"github.com/dispatchkit/connect"
)

// Row is one row of a spreadsheet.
type Row struct {
	// Number is the 1-based row number the user's spreadsheet program shows for the
	// row. Blank rows are never returned but still count, and so, in an XLSX file,
	// do rows missing from the file. A CSV record whose quoted cell spans several
	// lines is one row, as spreadsheet programs show it.
	Number int
	// Cells are the row's values with surrounding white space trimmed, as the user
	// sees them (an XLSX number or date formatted by its cell's number format; a
	// whole number that a spreadsheet program shows in scientific notation in all
	// its digits, with a note). Trailing empty cells are dropped, so rows may be
	// shorter (or longer) than the header.
	Cells []string
	// Values holds, for each XLSX cell that is a number shown otherwise than as
	// stored (rounded by its format, as a percentage, as a date), its stored value
	// at full precision: 15 significant digits, Excel's own ("51.507351" where the
	// cell shows "51.51"). It is "" for the other cells, and nil when the row has
	// no such cell (always, for CSV).
	Values []string
	// Notes say what the user should know about some cells: a formula whose result
	// is not in the file, a long number that shows in scientific notation.
	Notes []CellNote
	// Hidden reports an XLSX row hidden in its sheet: hidden by the user, or by a
	// filter.
	Hidden bool
	// Sheet is the name of the sheet the row is from, when a Source reads several.
	Sheet string
}

// CellNote is what the user should know about a cell.
type CellNote struct {
	Column int    // 0-based
	Reason string // for people: "has a formula whose result is not saved in the file…"
}

// Sheet reads one spreadsheet a row at a time. A Sheet is not safe for concurrent use.
type Sheet interface {
	// Header returns the first non-blank row, which names the columns.
	Header() Row
	// Next returns the next non-blank row after the header, and io.EOF after the
	// last one. Any other error is a *connect.Error; after one, Next returns it again.
	Next() (Row, error)
	// Info says how the file was read: its format and the sheet's name, the CSV
	// file's encoding, delimiter and line ends, the XLSX sheet's hidden columns,
	// merged cells and tables.
	Info() SheetInfo
	// Close releases what the sheet holds. It does not close the reader the sheet
	// was opened from.
	Close() error
}

// The formats of SheetInfo.
const (
	FormatCSV  = "csv"
	FormatXLSX = "xlsx"
)

// SheetInfo says how a sheet was read, for people to check.
type SheetInfo struct {
	Format string // FormatCSV or FormatXLSX
	// Name is an XLSX sheet's name ("" for CSV), and Hidden whether the workbook
	// hides it.
	Name   string
	Hidden bool
	// HiddenColumns are an XLSX sheet's hidden columns (0-based), in order.
	HiddenColumns []int
	// Merged are the XLSX cells merged over several rows whose value is read in
	// each of the rows, as the user sees it there ("B3:B6"), so far.
	Merged []string
	// Tables are the XLSX sheet's tables (Excel's Insert > Table).
	Tables []TableInfo
	// Delimiter, Encoding and LineEnds are a CSV file's, as read ("UTF-8",
	// "Windows-1252", "Mac Roman", "UTF-16LE"…; "CRLF", "LF", "CR" or "mixed");
	// SepLine is set when a first line "sep=;" named the delimiter.
	Delimiter rune
	Encoding  string
	LineEnds  string
	SepLine   bool
}

// TableInfo is a table of an XLSX sheet: the rows it spans, its header row (0 when
// it has none) and its totals rows (at its end).
type TableInfo struct {
	Name                    string
	HeaderRow, LastRow      int
	FirstColumn, LastColumn int // 0-based
	TotalsRows              int
}

// Options says how to read a spreadsheet. The zero value reads the first sheet
// within the default limits.
type Options struct {
	// SheetName is the XLSX worksheet to read, matched ignoring case; "" reads the
	// first one. CSV files ignore it.
	SheetName string
	// Limits bound the size of what is read; zero fields take their defaults.
	Limits Limits
}

// zipMagic starts every zip file, and so every XLSX file.
var zipMagic = []byte("PK\x03\x04")

// oleMagic starts a Compound File: a legacy .xls workbook or a password-protected
// .xlsx one.
var oleMagic = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}

// Open reads the first size bytes of r as a spreadsheet and returns it positioned
// after the header. It reads XLSX when the content starts like a zip file or, failing
// that, when name ends in .xlsx or .xlsm, and anything else as CSV (a .txt, .tsv, or
// a .xls file that is really text). name is only used to choose the format and may
// be "".
//
// Errors: Invalid when the file is over Limits.MaxFileBytes, is not a spreadsheet it
// can read (a legacy .xls file, a password-protected workbook), or has no non-blank
// row; see ReadCSV and ReadXLSX for the rest.
func Open(r io.ReaderAt, size int64, name string, opts Options) (Sheet, error) {
	f, err := openFile(r, size, name, opts)
	if err != nil {
		return nil, err
	}
	if f.xlsx == nil {
		return f.open(0)
	}
	ref, err := f.xlsx.sheetNamed(opts.SheetName)
	if err != nil {
		return nil, err
	}
	return f.xlsx.openSheet(ref)
}

// file is a spreadsheet file: an XLSX workbook, or a CSV file (a workbook of one
// sheet, which can be read again from r).
type file struct {
	xlsx *xlsxFile // nil for CSV
	r    io.ReaderAt
	size int64
	opts Options
}

// openFile opens a spreadsheet file, as Open says.
func openFile(r io.ReaderAt, size int64, name string, opts Options) (*file, error) {
	limits := opts.Limits.withDefaults()
	if size > limits.MaxFileBytes {
		return nil, limits.fileTooLarge()
	}
	magic := make([]byte, len(oleMagic))
	n, _ := r.ReadAt(magic, 0)
	magic = magic[:n]
	ext := strings.ToLower(filepath.Ext(name))
	xlsx := false
	switch {
	case bytes.HasPrefix(magic, zipMagic):
		xlsx = true
	case bytes.HasPrefix(magic, oleMagic):
		return nil, connect.Errorf(connect.Invalid,
			"the file is a legacy .xls or a password-protected workbook, which cannot be read; "+
				"save it from your spreadsheet program as .xlsx (without a password) or as CSV")
	case ext == ".xlsx", ext == ".xlsm":
		xlsx = true // to say it is not a valid workbook
	}
	f := &file{r: r, size: size, opts: opts}
	if xlsx {
		x, err := openXLSX(r, size, limits)
		if err != nil {
			return nil, err
		}
		f.xlsx = x
	}
	// Anything else is read as text, including a .xls file that is not a legacy
	// workbook: many systems export tab-separated text under that name.
	return f, nil
}

// fileSheet is a sheet of a file, by its place.
type fileSheet struct {
	name   string // "" for CSV
	hidden bool
}

// sheets lists the file's sheets, in order.
func (f *file) sheets() []fileSheet {
	if f.xlsx == nil {
		return []fileSheet{{}}
	}
	out := make([]fileSheet, len(f.xlsx.sheets))
	for i, s := range f.xlsx.sheets {
		out[i] = fileSheet{name: s.name, hidden: s.hidden}
	}
	return out
}

// open opens the i-th sheet, positioned after its first non-blank row.
func (f *file) open(i int) (Sheet, error) {
	if f.xlsx == nil {
		return ReadCSV(io.NewSectionReader(f.r, 0, f.size), f.opts)
	}
	return f.xlsx.openSheet(f.xlsx.sheets[i])
}

// cleanCells trims every cell in place and drops the trailing empty ones.
func cleanCells(cells []string) []string {
	for i, c := range cells {
		cells[i] = strings.TrimSpace(c)
	}
	for len(cells) > 0 && cells[len(cells)-1] == "" {
		cells = cells[:len(cells)-1]
	}
	return cells
}

// columnLabel names column i (0-based) as the user knows it: its header when it has
// one, else its letter ("A", "AB").
func columnLabel(header []string, i int) string {
	if i < len(header) && header[i] != "" {
		return header[i]
	}
	return columnLetters(i + 1)
}

// columnLetters writes a 1-based column number as a spreadsheet does: 1 is "A",
// 27 is "AA".
func columnLetters(n int) string {
	var b []byte
	for n > 0 {
		n--
		b = append([]byte{byte('A' + n%26)}, b...)
		n /= 26
	}
	return string(b)
}
