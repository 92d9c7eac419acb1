package importer

import (
	"io"
	"iter"
	"slices"
	"strconv"
	"strings"

	"github.com/dispatchkit/connect"
)

// The columns WriteRefused adds, which MapHeader does not know, so that they are
// ignored when the file comes back.
const (
	// RefusedColumn holds why the row was refused.
	RefusedColumn = "Error"
	// OriginalRowColumn holds the row's number in the file the user uploaded.
	OriginalRowColumn = "Original row"
	// SheetColumn holds the row's sheet, when rows of several sheets were imported
	// together.
	SheetColumn = "Sheet"
)

// RefusedOptions says how WriteRefused writes the file.
type RefusedOptions struct {
	// Delimiter separates the cells: the uploaded file's (Layout().Delimiter), so
	// that the file opens as that one did in the user's spreadsheet program (a
	// semicolon where the decimal separator is a comma). 0 is a comma.
	Delimiter rune
}

// WriteRefused writes the rows an import refused as a CSV file the user can fix and
// upload again: the original header plus an "Original row" and an "Error" column
// (and a "Sheet" column before them when the rows come from several sheets), then
// one line per refused row with its cells as read (numbers of numeric fields as
// stored, not as their format showed them), its number in the uploaded file, and
// RefusedRow.Reason. It writes with CSVWriter: UTF-8 with a byte order mark (so
// Excel opens it as UTF-8), the delimiter of the options, formulas escaped but not
// plain numbers (a negative longitude is a number, and so is -7,5 in a
// semicolon-separated file, where the comma is the decimal separator). Short rows
// are padded so that every reason is in the Error column; when a row has more
// cells than the header, the header is padded with empty names. The added columns
// are ignored when the file is imported again, which imports the fixed rows
// exactly as a first import of them would; when a file that already has them (a
// refused-rows file refused again) is written, its old ones are left out.
func WriteRefused(w io.Writer, header []string, rows []connect.RefusedRow, opts RefusedOptions) error {
	return WriteRefusedSeq(w, header, slices.Values(rows), opts)
}

// WriteRefusedSeq is WriteRefused of rows held elsewhere than in memory (a file
// the rows were spilled to): rows is read twice, first for the widest row.
func WriteRefusedSeq(w io.Writer, header []string, rows iter.Seq[connect.RefusedRow], opts RefusedOptions) error {
	drop := refusedColumns(header)
	keep := func(cells []string) []string {
		if len(drop) == 0 {
			return cells
		}
		out := make([]string, 0, len(cells))
		for i, c := range cells {
			if !drop[i] {
				out = append(out, c)
			}
		}
		return out
	}
	header = keep(header)
	width := len(header)
	sheets := false
	for r := range rows {
		width = max(width, len(keep(r.Cells)))
		sheets = sheets || r.Sheet != ""
	}
	extra := []string{OriginalRowColumn, RefusedColumn}
	if sheets {
		extra = append([]string{SheetColumn}, extra...)
	}
	cw := NewCSVWriter(w)
	cw.SetDelimiter(opts.Delimiter)
	line := make([]string, width+len(extra))
	copy(line, header)
	copy(line[width:], extra)
	if err := cw.Write(line); err != nil {
		return err
	}
	for r := range rows {
		clear(line)
		copy(line, keep(r.Cells))
		added := []string{strconv.Itoa(r.Number), r.Reason()}
		if sheets {
			added = append([]string{r.Sheet}, added...)
		}
		copy(line[width:], added)
		if err := cw.Write(line); err != nil {
			return err
		}
	}
	return cw.Flush()
}

// refusedColumns returns the columns of header that an earlier WriteRefused added
// (nil when none): its Error column, and its Original row and Sheet columns.
func refusedColumns(header []string) map[int]bool {
	is := func(h, name string) bool { return strings.EqualFold(strings.TrimSpace(h), name) }
	ours := false
	for _, h := range header {
		ours = ours || is(h, OriginalRowColumn)
	}
	var drop map[int]bool
	for i, h := range header {
		if is(h, RefusedColumn) || ours && (is(h, OriginalRowColumn) || is(h, SheetColumn)) {
			if drop == nil {
				drop = map[int]bool{}
			}
			drop[i] = true
		}
	}
	return drop
}
