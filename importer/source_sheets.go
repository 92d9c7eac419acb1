package importer

import (
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/dispatchkit/connect"
)

// sourceSheet is a sheet of a Source's file, looked at when needed: its header
// found (examine), its rows counted (count).
type sourceSheet struct {
	index    int
	name     string
	hidden   bool
	sheet    Sheet // open, positioned after choice.buffered; nil when closed
	examined bool
	used     bool  // rows past the header window have been read: reopen to read it again
	openErr  error // why it cannot be read (empty, damaged)
	info     SheetInfo
	choice   headerChoice
	chosen   bool
	// rows counts its data rows (non-blank rows below the header), once counted
	// is set: read to the end by count, or by the Source.
	rows    int
	counted bool
	// countErr is why counting stopped before the end.
	countErr error
}

// close closes the sheet, if open.
func (sh *sourceSheet) close() error {
	if sh.sheet == nil {
		return nil
	}
	err := sh.sheet.Close()
	sh.sheet = nil
	return err
}

// sheetNamed returns the sheet called name, ignoring case as Excel does.
func (s *Source) sheetNamed(name string) (*sourceSheet, error) {
	for _, sh := range s.sheets {
		if equalFold(sh.name, name) {
			return sh, nil
		}
	}
	if s.file.xlsx == nil {
		return nil, connect.Errorf(connect.Invalid, "a CSV file has no sheets to choose from")
	}
	quoted := make([]string, len(s.sheets))
	for i, sh := range s.sheets {
		quoted[i] = fmt.Sprintf("%q", sh.name)
	}
	return nil, connect.Errorf(connect.Invalid, "the workbook has no sheet named %q; its sheets are %s",
		name, strings.Join(quoted, ", "))
}

func equalFold(a, b string) bool {
	return strings.EqualFold(strings.TrimSpace(a), strings.TrimSpace(b))
}

// examine opens the sheet, if it has not been, and finds its header.
func (s *Source) examine(sh *sourceSheet) {
	if sh.examined {
		return
	}
	sh.examined = true
	sheet, err := s.file.open(sh.index)
	if err != nil {
		sh.openErr = err
		return
	}
	sh.sheet, sh.info = sheet, sheet.Info()
	sh.choice = findHeader(sheet, sh.info, s.opts.Mapping)
	sh.choice.mapping = MapHeader(sh.choice.header.Cells, s.mappingOptions(sh))
}

// fresh makes sure the sheet is examined and can be read from its header on.
func (s *Source) fresh(sh *sourceSheet) error {
	if sh.used {
		if err := sh.close(); err != nil {
			return err
		}
		sh.examined, sh.used, sh.openErr = false, false, nil
	}
	s.examine(sh)
	return nil
}

// defaultSheet returns the sheet to read when none is named: the first whose
// header maps (headerMaps), visible sheets first; or else the one whose header
// maps the most columns, visible first, then the first. Errors: the first
// sheet's, when no sheet has a row.
func (s *Source) defaultSheet() (*sourceSheet, error) {
	var best *sourceSheet
	bestScore := -1
	for _, hidden := range []bool{false, true} {
		for _, sh := range s.sheets {
			if sh.hidden != hidden {
				continue
			}
			if err := s.fresh(sh); err != nil {
				return nil, err
			}
			if sh.openErr != nil {
				continue
			}
			if headerMaps(sh.choice.mapping) {
				return sh, nil
			}
			if score := headerScore(sh.choice.mapping); score > bestScore {
				best, bestScore = sh, score
			}
		}
	}
	if best != nil {
		return best, nil
	}
	return nil, s.sheets[0].openErr
}

// count reads a sheet that is not being imported to its end, to count its rows.
func (s *Source) count(sh *sourceSheet) {
	if sh.chosen || sh.counted {
		return
	}
	if err := s.fresh(sh); err != nil || sh.openErr != nil {
		return
	}
	sh.used = true
	sh.rows = len(sh.choice.buffered)
	if !headerMaps(sh.choice.mapping) {
		sh.rows += 1 + len(sh.choice.skipped) // no header: all its rows are what it holds
	}
	err := sh.choice.err
	for err == nil {
		if _, err = sh.sheet.Next(); err == nil {
			sh.rows++
		}
	}
	sh.counted = true
	if err != io.EOF {
		sh.countErr = err
	}
	_ = sh.close()
}

// sameHeader reports whether two headers name the same columns in the same
// order, as MapHeader compares names.
func sameHeader(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if normalizeHeader(a[i]) != normalizeHeader(b[i]) || (a[i] == "") != (b[i] == "") {
			return false
		}
	}
	return true
}

// sheetChain reads the chosen sheets' rows, one sheet after another: the rows
// findHeader read after each header, then the rest. It leaves out a table's
// totals rows, and hidden rows when told to, and notes what it left out and what
// hidden rows it read. The read-ahead goroutine reads it; what it notes is
// guarded by mu for the Source's goroutine.
type sheetChain struct {
	sheets     []*sourceSheet
	multi      bool // rows say their sheet
	skipHidden bool // set before the first Next
	i          int

	mu     sync.Mutex
	hidden []RowRef // the hidden rows met
	totals []RowRef // the totals rows left out
}

// RowRef names a row of a sheet.
type RowRef struct {
	Sheet  string // the sheet's name ("" for CSV)
	Number int
}

func (c *sheetChain) Header() Row { return c.sheets[0].choice.header }

func (c *sheetChain) Info() SheetInfo { return c.sheets[0].info }

func (c *sheetChain) Next() (Row, error) {
	for c.i < len(c.sheets) {
		sh := c.sheets[c.i]
		var (
			row Row
			err error
		)
		switch {
		case len(sh.choice.buffered) > 0:
			row = sh.choice.buffered[0]
			sh.choice.buffered[0] = Row{}
			sh.choice.buffered = sh.choice.buffered[1:]
		case sh.choice.err != nil:
			err = sh.choice.err
		default:
			sh.used = true
			row, err = sh.sheet.Next()
		}
		if err == io.EOF {
			c.mu.Lock()
			sh.counted = true
			c.mu.Unlock()
			c.i++
			continue
		}
		if err != nil {
			return Row{}, err
		}
		c.mu.Lock()
		sh.rows++
		skip := false
		if totalsRow(sh.info, row.Number) {
			c.totals = append(c.totals, RowRef{sh.name, row.Number})
			skip = true
		} else if row.Hidden {
			c.hidden = append(c.hidden, RowRef{sh.name, row.Number})
			skip = c.skipHidden
		}
		c.mu.Unlock()
		if skip {
			continue
		}
		if c.multi {
			row.Sheet = sh.name
		}
		return row, nil
	}
	return Row{}, io.EOF
}

// Close closes nothing: the Source closes its sheets.
func (c *sheetChain) Close() error { return nil }

// totalsRow reports whether row is a totals row of one of the sheet's tables.
func totalsRow(info SheetInfo, row int) bool {
	for _, t := range info.Tables {
		if t.TotalsRows > 0 && row > t.LastRow-t.TotalsRows && row <= t.LastRow {
			return true
		}
	}
	return false
}
