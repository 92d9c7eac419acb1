package importer

import (
	"io"
	"strings"

	"github.com/dispatchkit/connect"
)

// RefusedColumn is the name of the column WriteRefused adds, and that MapHeader
// ignores when the file comes back.
const RefusedColumn = "Error"

// WriteRefused writes the rows an import refused as a CSV file the user can fix and
// upload again: the original header plus an "Error" column, then one line per
// refused row with its cells as read and RefusedRow.Reason in the Error column. It
// writes with CSVWriter (UTF-8 with a byte order mark, formulas escaped). Short rows
// are padded so that every reason is in the Error column; when a row has more cells
// than the header, the header is padded with empty names. The Error column is
// ignored when the file is imported again, and when a file that already has one (a
// refused-rows file refused again) is written, its old Error column is left out.
func WriteRefused(w io.Writer, header []string, rows []connect.RefusedRow) error {
	old := -1 // the column of an earlier reason
	for i, h := range header {
		if strings.EqualFold(strings.TrimSpace(h), RefusedColumn) {
			old = i
		}
	}
	drop := func(cells []string) []string {
		if old < 0 || old >= len(cells) {
			return cells
		}
		return append(cells[:old:old], cells[old+1:]...)
	}
	header = drop(header)
	width := len(header)
	for _, r := range rows {
		width = max(width, len(drop(r.Cells)))
	}
	cw := NewCSVWriter(w)
	line := make([]string, width+1)
	copy(line, header)
	line[width] = RefusedColumn
	if err := cw.Write(line); err != nil {
		return err
	}
	for _, r := range rows {
		clear(line)
		copy(line, drop(r.Cells))
		line[width] = r.Reason()
		if err := cw.Write(line); err != nil {
			return err
		}
	}
	return cw.Flush()
}
