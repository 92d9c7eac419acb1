package importer

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/dispatchkit/connect"
	"github.com/xuri/excelize/v2"
)

// ReadXLSX reads the first size bytes of r as an XLSX workbook and returns the sheet
// Options.SheetName names (the first one when "") positioned after its header.
//
// Before it unzips anything it checks the file against the limits (size, number of
// zip entries, declared unzipped size) and decompresses every entry to nowhere to
// prove the sizes are true and the entries whole; then excelize opens it, unzipping
// worksheets over 16 MiB to the system's temporary directory and the rest into
// memory, and the sheet is read as a stream of rows. Cells are the values as the
// spreadsheet program shows them: numbers and dates formatted by the cell's number
// format, a formula's last computed value. Memory: excelize holds the whole file,
// and every part but large worksheets unzipped, while the sheet is open.
//
// Errors (all Invalid): the file is over a limit, is not a valid workbook, has no
// sheet called SheetName (the message lists the sheets), the sheet has no non-blank
// row, or a row breaks MaxRows or MaxCellBytes (with the row and column).
func ReadXLSX(r io.ReaderAt, size int64, opts Options) (Sheet, error) {
	limits := opts.Limits.withDefaults()
	if size > limits.MaxFileBytes {
		return nil, limits.fileTooLarge()
	}
	if err := checkZip(r, size, limits); err != nil {
		return nil, err
	}
	// excelize reads the whole file into memory first; MaxFileBytes bounds it.
	f, err := excelize.OpenReader(io.NewSectionReader(r, 0, size), excelize.Options{
		UnzipSizeLimit:    limits.MaxUnzippedBytes,
		UnzipXMLSizeLimit: min(maxInMemorySheet, limits.MaxUnzippedBytes),
	})
	if err != nil {
		if f != nil {
			_ = f.Close() // removes the temporary files it made
		}
		return nil, invalidWorkbook(err)
	}
	name, err := sheetNamed(f, opts.SheetName)
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	rows, err := f.Rows(name)
	if err != nil {
		_ = f.Close()
		return nil, invalidWorkbook(err)
	}
	s := &xlsxSheet{file: f, rows: rows, limits: limits}
	s.header, err = s.read()
	if err == nil {
		err = limits.checkCells(s.header, nil)
	}
	if err == io.EOF {
		err = connect.Errorf(connect.Invalid, "the sheet %q is empty: it has no row with a value", name)
	}
	if err != nil {
		_ = s.Close()
		return nil, err
	}
	return s, nil
}

// sheetNamed returns the name of the worksheet called want, ignoring case as Excel
// does, or of the first worksheet when want is "".
func sheetNamed(f *excelize.File, want string) (string, error) {
	list := f.GetSheetList()
	if len(list) == 0 {
		return "", invalidWorkbook(errors.New("no worksheets"))
	}
	if want == "" {
		return list[0], nil
	}
	for _, name := range list {
		if strings.EqualFold(name, want) {
			return name, nil
		}
	}
	quoted := make([]string, len(list))
	for i, name := range list {
		quoted[i] = fmt.Sprintf("%q", name)
	}
	return "", connect.Errorf(connect.Invalid, "the workbook has no sheet named %q; its sheets are %s",
		want, strings.Join(quoted, ", "))
}

// xlsxSheet is the Sheet of an XLSX worksheet.
type xlsxSheet struct {
	file   *excelize.File
	rows   *excelize.Rows
	limits Limits
	header Row
	number int   // the number of the row last read
	count  int   // data rows returned
	err    error // returned by every Next after the first failure
	closed bool
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
		if e := s.limits.checkCells(row, s.header.Cells); e != nil {
			s.err = e
		}
	}
	if s.err != nil {
		return Row{}, s.err
	}
	s.count++
	return row, nil
}

// read returns the next row with a non-empty cell. excelize's iterator stops at
// every row number, including those missing from the file (whose Columns are
// empty), so the count of calls to Next is the row's number.
func (s *xlsxSheet) read() (Row, error) {
	for s.rows.Next() {
		s.number++
		cols, err := s.rows.Columns()
		if err != nil {
			e := connect.InvalidFields([]connect.FieldError{{Row: s.number, Reason: "cannot be read: the workbook is damaged"}})
			e.Err = err
			return Row{}, e
		}
		if cells := cleanCells(cols); len(cells) > 0 {
			return Row{Number: s.number, Cells: cells}, nil
		}
	}
	if err := s.rows.Error(); err != nil {
		return Row{}, invalidWorkbook(err)
	}
	return Row{}, io.EOF
}

func (s *xlsxSheet) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	_ = s.rows.Close() // it returns the iterator's error, which Next has reported
	if err := s.file.Close(); err != nil {
		return connect.Errorf(connect.Internal, "closing the workbook: %w", err)
	}
	return nil
}
