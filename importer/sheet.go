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
	// sees them (an XLSX number or date formatted by its cell's number format).
	// Trailing empty cells are dropped, so rows may be shorter (or longer) than the
	// header.
	Cells []string
}

// Sheet reads one spreadsheet a row at a time. A Sheet is not safe for concurrent use.
type Sheet interface {
	// Header returns the first non-blank row, which names the columns.
	Header() Row
	// Next returns the next non-blank row after the header, and io.EOF after the
	// last one. Any other error is a *connect.Error; after one, Next returns it again.
	Next() (Row, error)
	// Close releases what the sheet holds (an XLSX file's temporary files). It does
	// not close the reader the sheet was opened from.
	Close() error
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
	limits := opts.Limits.withDefaults()
	if size > limits.MaxFileBytes {
		return nil, limits.fileTooLarge()
	}
	magic := make([]byte, len(oleMagic))
	n, _ := r.ReadAt(magic, 0)
	magic = magic[:n]
	ext := strings.ToLower(filepath.Ext(name))
	switch {
	case bytes.HasPrefix(magic, zipMagic):
		return ReadXLSX(r, size, opts)
	case bytes.HasPrefix(magic, oleMagic):
		return nil, connect.Errorf(connect.Invalid,
			"the file is a legacy .xls or a password-protected workbook, which cannot be read; "+
				"save it from your spreadsheet program as .xlsx (without a password) or as CSV")
	case ext == ".xlsx", ext == ".xlsm":
		return ReadXLSX(r, size, opts) // to say it is not a valid workbook
	}
	// Anything else is read as text, including a .xls file that is not a legacy
	// workbook: many systems export tab-separated text under that name.
	return ReadCSV(io.NewSectionReader(r, 0, size), opts)
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
