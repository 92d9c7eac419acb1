package importer

import (
	"io"

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
// than the header, the header is padded with empty names. The Error column itself is
// ignored when the file is imported again.
func WriteRefused(w io.Writer, header []string, rows []connect.RefusedRow) error {
	width := len(header)
	for _, r := range rows {
		width = max(width, len(r.Cells))
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
		copy(line, r.Cells)
		line[width] = r.Reason()
		if err := cw.Write(line); err != nil {
			return err
		}
	}
	return cw.Flush()
}
