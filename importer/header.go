package importer

import (
	"io"

	"github.com/dispatchkit/connect"
)

// headerWindow is how many non-blank rows at the top of a sheet may be its header.
const headerWindow = 20

// headerChoice is where findHeader found a sheet's header.
type headerChoice struct {
	header   Row
	skipped  []Row // the non-blank rows above the header
	buffered []Row // the rows after it that findHeader read
	err      error // an error met reading them, to return after them
	mapping  *Mapping
}

// findHeader reads the first headerWindow non-blank rows of sheet (Header and
// Next) and takes for the header the one that maps best: the most columns mapped
// to a field (by name, or by opts.Override), the first on a tie, and the first row
// when none maps a column. A title row ("Orders for week 49"), a date line, or
// instructions above the header are so skipped. The header row of a table object
// (Excel's Insert > Table) wins when it maps a column. A row after the header that
// findHeader read is returned to be read as data; an error reading them is kept
// for after them.
func findHeader(sheet Sheet, info SheetInfo, opts MappingOptions) headerChoice {
	rows := []Row{sheet.Header()}
	var err error
	for len(rows) < headerWindow {
		var row Row
		if row, err = sheet.Next(); err != nil {
			break
		}
		rows = append(rows, row)
	}
	if err == io.EOF {
		err = nil
	}
	opts.Hidden = hiddenColumns(info)
	tableHeader := 0
	for _, t := range info.Tables {
		if t.HeaderRow > 0 {
			tableHeader = t.HeaderRow
			break
		}
	}
	best, bestScore := 0, 0
	var bestMapping *Mapping
	for i, r := range rows {
		m := MapHeader(r.Cells, opts)
		score := headerScore(m)
		if score > 0 && r.Number == tableHeader {
			score += 1 << 20
		}
		if i == 0 || score > bestScore {
			best, bestScore, bestMapping = i, score, m
		}
	}
	return headerChoice{header: rows[best], skipped: rows[:best], buffered: rows[best+1:], err: err, mapping: bestMapping}
}

// headerScore is how well a mapping of a row as the header maps: its columns
// that hold a field, and the candidates whose name says they are old (which a
// header has, and data does not).
func headerScore(m *Mapping) int {
	n := len(m.Mapped)
	for _, c := range m.Ignored {
		if c.Reason == IgnoredQualified || c.Reason == IgnoredDuplicate || c.Reason == IgnoredHidden ||
			c.Reason == IgnoredClientNumber {
			n++
		}
	}
	return n
}

// headerMaps reports whether a mapping maps a sheet's orders: it has the address,
// which every order needs, and another field. (A sheet of instructions that
// lists the columns, one a row, has a row that maps the address alone.)
func headerMaps(m *Mapping) bool {
	_, ok := m.column(connect.FieldAddressLine1)
	return ok && len(m.Mapped) >= 2
}

// hiddenColumns returns the columns a sheet hides, by index.
func hiddenColumns(info SheetInfo) []bool {
	if len(info.HiddenColumns) == 0 {
		return nil
	}
	out := make([]bool, info.HiddenColumns[len(info.HiddenColumns)-1]+1)
	for _, c := range info.HiddenColumns {
		out[c] = true
	}
	return out
}
