package importer

import (
	"errors"
	"fmt"
	"io"

	"github.com/dispatchkit/connect"
)

// Limits bounds what a file may cost to read. A zero or negative field takes its
// default. Every limit is checked before the memory it protects is spent: the file
// size and an XLSX file's zip directory before anything is decompressed, rows and
// cells as they are read.
type Limits struct {
	// MaxFileBytes is the largest file accepted, as uploaded. Default 50 MiB.
	MaxFileBytes int64
	// MaxRows is the most data rows (not counting the header and blank rows) a file
	// may have. Default 200,000.
	MaxRows int
	// MaxCellBytes is the longest cell accepted, in bytes of UTF-8 after trimming.
	// Default 32 KiB (Excel's own limit is 32,767 characters). A header cell over
	// it refuses the file; any other cell over it refuses its row (see Source),
	// up to a limit eight times as large (at least 1 MiB) that refuses the file,
	// as what no spreadsheet program writes.
	MaxCellBytes int
	// MaxUnzippedBytes is the most an XLSX file may expand to when unzipped, summed
	// over all its parts. Default 500 MiB. Worksheets are read as a stream, a row at
	// a time; every other part the reader needs (the shared strings above all) is
	// held in memory, so no single one of them may exceed 64 MiB (or
	// MaxUnzippedBytes, if smaller).
	MaxUnzippedBytes int64
	// MaxZipEntries is the most parts (zip entries) an XLSX file may have.
	// Default 10,000.
	MaxZipEntries int
	// MaxSharedStrings is the most entries an XLSX file's shared strings table
	// may have. Each costs memory however short it is (a string header, and the
	// decoder's work), so a table of millions of empty strings (a few KiB zipped)
	// would otherwise take far more than its size says. Default 1,000,000.
	MaxSharedStrings int
}

// The default limits.
const (
	DefaultMaxFileBytes     = 50 << 20
	DefaultMaxRows          = 200_000
	DefaultMaxCellBytes     = 32 << 10
	DefaultMaxUnzippedBytes = 500 << 20
	DefaultMaxZipEntries    = 10_000
	DefaultMaxSharedStrings = 1_000_000
)

const (
	// maxInMemoryPart caps each XLSX part the reader holds in memory whole.
	maxInMemoryPart = 64 << 20
	// minMarkupGap is the least maxMarkupGap may be, whatever MaxCellBytes says.
	minMarkupGap = 1 << 20
)

// withDefaults returns l with every unset field at its default.
func (l Limits) withDefaults() Limits {
	if l.MaxFileBytes <= 0 {
		l.MaxFileBytes = DefaultMaxFileBytes
	}
	if l.MaxRows <= 0 {
		l.MaxRows = DefaultMaxRows
	}
	if l.MaxCellBytes <= 0 {
		l.MaxCellBytes = DefaultMaxCellBytes
	}
	if l.MaxUnzippedBytes <= 0 {
		l.MaxUnzippedBytes = DefaultMaxUnzippedBytes
	}
	if l.MaxZipEntries <= 0 {
		l.MaxZipEntries = DefaultMaxZipEntries
	}
	if l.MaxSharedStrings <= 0 {
		l.MaxSharedStrings = DefaultMaxSharedStrings
	}
	return l
}

// fileTooLarge is the error for a file over MaxFileBytes.
func (l Limits) fileTooLarge() *connect.Error {
	return connect.Errorf(connect.Invalid,
		"the file is larger than %s; split it into smaller files", formatBytes(l.MaxFileBytes))
}

// tooManyRows is the error for the data row after the MaxRows-th.
func (l Limits) tooManyRows(row int) *connect.Error {
	e := connect.Errorf(connect.Invalid,
		"the file has more than %d rows; split it into smaller files", l.MaxRows)
	e.Fields = []connect.FieldError{{Row: row, Reason: fmt.Sprintf("is past the limit of %d rows", l.MaxRows)}}
	return e
}

// checkCells returns an error naming the first cell of row longer than max bytes,
// or nil. header names the columns; a column without a name is called by its
// letter.
func (l Limits) checkCells(row Row, header []string, max int) error {
	for i, c := range row.Cells {
		if len(c) > max {
			return connect.InvalidFields([]connect.FieldError{{
				Row:    row.Number,
				Column: columnLabel(header, i),
				Reason: fmt.Sprintf("is longer than the limit of %s (%d bytes)", formatBytes(int64(max)), len(c)),
			}})
		}
	}
	return nil
}

// hardCellBytes is the longest cell a sheet returns: past it, a cell refuses the
// file, as a hostile one. Cells over MaxCellBytes but within it refuse their row
// only (a Source says so), as a long note is a mistake in one order; the file's
// other rows are fine. It is the longest run of text maxMarkupGap lets an XLSX
// worksheet have.
func (l Limits) hardCellBytes() int { return maxMarkupGap(l) }

// errFileTooLarge is what a sizeLimitReader returns past its limit.
var errFileTooLarge = errors.New("importer: file too large")

// sizeLimitReader reads from r and fails with errFileTooLarge once more than n bytes
// have been read, so a stream is refused without being read to its end.
type sizeLimitReader struct {
	r io.Reader
	n int64 // bytes still allowed
}

func (s *sizeLimitReader) Read(p []byte) (int, error) {
	if s.n < 0 {
		return 0, errFileTooLarge
	}
	if int64(len(p)) > s.n+1 {
		p = p[:s.n+1] // one byte more than allowed tells a full file from a larger one
	}
	n, err := s.r.Read(p)
	s.n -= int64(n)
	if s.n < 0 {
		return 0, errFileTooLarge
	}
	return n, err
}

// formatBytes writes n as people read it: "50 MiB", "32 KiB", or "1000 bytes".
func formatBytes(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
