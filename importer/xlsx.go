package importer

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/dispatchkit/connect"
)

// ReadXLSX reads the first size bytes of r as an XLSX workbook and returns the sheet
// Options.SheetName names (the first one when "") positioned after its header.
//
// Before it unzips anything it checks the file against the limits (size, number of
// zip entries, declared unzipped size) and decompresses every entry to nowhere to
// prove the sizes are true and the entries whole (see checkZip). Then it reads the
// workbook's structure, its number formats and shared strings, and streams the
// sheet's rows from the zip, holding one row at a time: memory is the shared
// strings, the file's zip directory, and a row.
//
// Cells are the values as the spreadsheet program shows them: numbers and dates
// formatted by the cell's number format (see numFormat; Row.Values has the
// numbers as stored), a formula's last computed value (a note when the file has
// none), booleans as TRUE and FALSE. Cells merged over several rows are read in
// each of the rows. Hidden rows are returned, marked Hidden.
//
// Errors (all Invalid): the file is over a limit, is not a valid workbook, has no
// sheet called SheetName (the message lists the sheets), the sheet has no non-blank
// row, a row breaks MaxRows or a cell the limit against hostile files (with the row
// and column), or the sheet's markup is damaged (with the row where it fails; a
// sheet is never cut short).
func ReadXLSX(r io.ReaderAt, size int64, opts Options) (Sheet, error) {
	f, err := openXLSX(r, size, opts.Limits.withDefaults())
	if err != nil {
		return nil, err
	}
	ref, err := f.sheetNamed(opts.SheetName)
	if err != nil {
		return nil, err
	}
	return f.openSheet(ref)
}

// openXLSX checks the file (see checkZip) and reads the workbook's structure.
func openXLSX(r io.ReaderAt, size int64, limits Limits) (*xlsxFile, error) {
	if size > limits.MaxFileBytes {
		return nil, limits.fileTooLarge()
	}
	merges, err := checkZip(r, size, limits)
	if err != nil {
		return nil, err
	}
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, invalidWorkbook(err)
	}
	return openXLSXFile(zr, limits, merges)
}

// sheetNamed returns the worksheet called want, ignoring case as Excel does, or
// the first worksheet when want is "".
func (f *xlsxFile) sheetNamed(want string) (xlsxSheetRef, error) {
	if want == "" {
		return f.sheets[0], nil
	}
	for _, s := range f.sheets {
		if strings.EqualFold(s.name, want) {
			return s, nil
		}
	}
	quoted := make([]string, len(f.sheets))
	for i, s := range f.sheets {
		quoted[i] = fmt.Sprintf("%q", s.name)
	}
	return xlsxSheetRef{}, connect.Errorf(connect.Invalid, "the workbook has no sheet named %q; its sheets are %s",
		want, strings.Join(quoted, ", "))
}

// openSheet opens a worksheet positioned after its header.
func (f *xlsxFile) openSheet(ref xlsxSheetRef) (*xlsxSheet, error) {
	ws, err := f.openWorksheet(ref.name, ref.part)
	if err != nil {
		return nil, err
	}
	s := &xlsxSheet{file: f, ref: ref, ws: ws, limits: f.limits, tables: f.sheetTables(ref.part)}
	for _, m := range f.merges[ref.part] {
		if m.r2 > m.r1 {
			s.merges = append(s.merges, m)
		}
	}
	slices.SortFunc(s.merges, func(a, b mergeRange) int { return a.r1 - b.r1 })
	s.header, err = s.read()
	if err == nil {
		err = s.limits.checkCells(s.header, nil, s.limits.MaxCellBytes)
	}
	if err == io.EOF {
		e := connect.Errorf(connect.Invalid, "the sheet %q is empty: it has no row with a value", ref.name)
		e.Err = errEmptySheet
		err = e
	}
	if err != nil {
		_ = s.Close()
		return nil, err
	}
	return s, nil
}

// errEmptySheet is the cause of the error for a sheet without a non-blank row.
var errEmptySheet = errors.New("importer: empty sheet")

// xlsxSheet is the Sheet of an XLSX worksheet.
type xlsxSheet struct {
	file   *xlsxFile
	ref    xlsxSheetRef
	ws     *worksheet
	limits Limits
	header Row
	count  int   // data rows returned
	err    error // returned by every Next after the first failure
	closed bool
	merges []mergeRange // merged over several rows, by first row
	active []mergeFill  // the merges that span the rows being read
	filled []string     // the merges whose value was read in rows below the first
	tables []table
}

// mergeFill is a merge being read: its value, from its first row.
type mergeFill struct {
	mergeRange
	value  string
	filled bool
}

func (s *xlsxSheet) Header() Row { return s.header }

func (s *xlsxSheet) Next() (Row, error) {
	if s.err != nil {
		return Row{}, s.err
	}
	row, err := s.read()
	switch {
	case err != nil:
		s.err = err
	case s.count+1 > s.limits.MaxRows:
		s.err = s.limits.tooManyRows(row.Number)
	default:
		if e := s.limits.checkCells(row, s.header.Cells, s.limits.hardCellBytes()); e != nil {
			s.err = e
		}
	}
	if s.err != nil {
		return Row{}, s.err
	}
	s.count++
	return row, nil
}

// read returns the next row with a non-empty cell, or a note.
func (s *xlsxSheet) read() (Row, error) {
	for {
		raw, err := s.ws.next()
		if err != nil {
			return Row{}, s.fail(err)
		}
		row := Row{Number: raw.number, Hidden: raw.hidden}
		if n := len(raw.cells); n > 0 {
			row.Cells = make([]string, raw.cells[n-1].col+1)
		}
		for i := range raw.cells {
			c := &raw.cells[i]
			v, err := s.file.value(c)
			if err != nil {
				return Row{}, s.fail(err)
			}
			row.Cells[c.col] = v.text
			if v.stored != "" {
				if row.Values == nil {
					row.Values = make([]string, len(row.Cells))
				}
				row.Values[c.col] = v.stored
			}
			if v.note != "" {
				row.Notes = append(row.Notes, CellNote{Column: c.col, Reason: v.note})
			}
		}
		s.fillMerged(&row)
		row.Cells = cleanCells(row.Cells)
		if row.Values != nil {
			row.Values = row.Values[:min(len(row.Values), len(row.Cells))]
		}
		if len(row.Cells) > 0 || len(row.Notes) > 0 {
			return row, nil
		}
	}
}

// fillMerged gives the cells of row that lie under a merge spanning several rows
// the merge's value, which the user sees there.
func (s *xlsxSheet) fillMerged(row *Row) {
	n := row.Number
	for len(s.merges) > 0 && s.merges[0].r1 <= n {
		m := s.merges[0]
		s.merges = s.merges[1:]
		if m.r2 >= n {
			s.active = append(s.active, mergeFill{mergeRange: m})
		}
	}
	keep := s.active[:0]
	for _, m := range s.active {
		if m.r2 < n {
			continue
		}
		col := m.c1 - 1
		switch {
		case m.r1 == n:
			if col < len(row.Cells) {
				m.value = row.Cells[col]
			}
		case strings.TrimSpace(m.value) != "":
			for len(row.Cells) <= col {
				row.Cells = append(row.Cells, "")
			}
			if row.Cells[col] == "" {
				row.Cells[col] = m.value
				if !m.filled {
					m.filled = true
					s.filled = append(s.filled, m.String())
				}
			}
		}
		keep = append(keep, m)
	}
	s.active = keep
}

// fail turns an error from reading the sheet into the *connect.Error Next returns
// from then on (io.EOF stays io.EOF).
func (s *xlsxSheet) fail(err error) error {
	var damage *sheetDamage
	var e *connect.Error
	switch {
	case err == io.EOF:
		return io.EOF
	case errors.As(err, &e):
		return e
	case errors.As(err, &damage):
		detail := damage.cause.Error()
		if errors.Is(damage.cause, io.ErrUnexpectedEOF) {
			detail = "it ends before its last row"
		}
		ce := connect.InvalidFields([]connect.FieldError{{Row: damage.row,
			Reason: "cannot be read: the sheet is damaged from here on (" + detail + ")"}})
		ce.Message = fmt.Sprintf("the sheet %q is damaged at row %d, so the file cannot be imported whole; "+
			"save it again from your spreadsheet program (%s)", s.ref.name, damage.row, detail)
		ce.Err = err
		return ce
	}
	return invalidWorkbook(err)
}

func (s *xlsxSheet) Info() SheetInfo {
	info := SheetInfo{Format: FormatXLSX, Name: s.ref.name, Hidden: s.ref.hidden, Merged: slices.Clone(s.filled)}
	for c, hidden := range s.ws.hiddenCols {
		if hidden {
			info.HiddenColumns = append(info.HiddenColumns, c)
		}
	}
	for _, t := range s.tables {
		ti := TableInfo{Name: t.name, LastRow: t.lastRow, FirstColumn: t.firstCol - 1, LastColumn: t.lastCol - 1,
			TotalsRows: t.totals}
		if t.headerRows > 0 {
			ti.HeaderRow = t.firstRow
		}
		info.Tables = append(info.Tables, ti)
	}
	return info
}

func (s *xlsxSheet) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	_ = s.ws.close()
	return nil
}
