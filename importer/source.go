package importer

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/dispatchkit/connect"
)

// Source is a spreadsheet read as orders: a connect.ImportSource for
// connect.Service.Import and PreviewImport. Each row's cells are parsed by the
// column's field, as connect's order-field table says (connect.FieldSpec.Parse), and
// what cannot be parsed is reported in the row's Problems rather than failing the
// import. A cell connect.EscapeFormula escaped (in a file of refused rows or an
// export, fixed and uploaded again) is read without its quote (see
// connect.UnescapeFormula); the row's Cells keep it.
//
// A Source from OpenSource finds where the orders are, and says so (Layout,
// ImportWarnings) rather than deciding silently:
//
//   - the sheet: the first sheet of a workbook whose header maps the address,
//     visible sheets first; another, or several with the same header, chosen by
//     SourceOptions.Sheets or SelectSheets. Every other sheet with rows is named
//     in a warning.
//   - the header: of the first 20 rows, the one that maps best (findHeader); the
//     rows above it are skipped and named.
//   - hidden rows are read unless SkipHiddenRows says not to, and named either
//     way; hidden columns are named, and a visible column wins over a hidden one
//     for the same field (MapHeader). A table's totals row is not an order.
//   - numbers of numeric fields (size, coordinates, package count) are read from
//     the value stored in the file (Row.Values), not from how its format shows
//     it; text fields are read as the user sees them (a zip formatted 00000 keeps
//     its zeros), and what the user should know about a cell (a formula without a
//     result, a long number shown in scientific notation) is a warning of its row.
//   - a cell longer than Limits.MaxCellBytes in a mapped column refuses its row,
//     not the file.
//
// A Source from OpenSource reads ahead: a goroutine of its own reads the next rows of
// the sheet while the caller stores the previous ones, so that reading a slow file
// (XLSX) and storing overlap. Close stops it. A Source is read once (open another to
// import what was previewed) and is not safe for concurrent use.
type Source struct {
	file    *file          // nil for NewSource
	sheets  []*sourceSheet // the file's sheets, in order
	chosen  []*sourceSheet // the sheets read, in order
	chain   *sheetChain    // their rows, one sheet after another
	opts    SourceOptions
	header  []string
	mapping *Mapping
	cols    []sourceColumn // the mapped columns
	ahead   int            // rows to read ahead; 0: none
	pipe    *readAhead     // set by the first Next when ahead > 0
	started bool
	closed  bool
	// input is what convert parses a row into, then copies out: the table's
	// parsers take a pointer, which would move every row to the heap.
	input connect.OrderInput
}

// sourceColumn is a mapped column: where it is, what it holds, and the field's row
// of the order-field table (its parser).
type sourceColumn struct {
	index   int
	field   connect.Field
	spec    connect.FieldSpec
	numeric bool // read from the stored value (Row.Values)
	label   string
}

var (
	_ connect.ImportSource  = (*Source)(nil)
	_ connect.SheetSelector = (*Source)(nil)
	_ connect.ImportWarner  = (*Source)(nil)
)

// NewSource returns the orders of sheet, whose columns m maps (m is usually
// MapHeader of the sheet's header). The Source reads sheet from where it is (after
// the header), on the caller's goroutine; closing it closes sheet. It takes the
// sheet's Header for the header, and has no other sheet to choose.
func NewSource(sheet Sheet, m *Mapping) *Source {
	s := &sourceSheet{sheet: sheet, examined: true, info: sheet.Info(),
		choice: headerChoice{header: sheet.Header(), mapping: m}}
	src := &Source{sheets: []*sourceSheet{s}}
	src.choose([]*sourceSheet{s}, m)
	return src
}

// DefaultReadAhead is how many rows a Source from OpenSource reads ahead unless told
// otherwise: about what the core stores while a slow file yields as many rows.
const DefaultReadAhead = 4096

// SourceOptions says how OpenSource reads a file and maps its columns.
type SourceOptions struct {
	Options                // the sheet to read (SheetName, or Sheets) and the limits
	Mapping MappingOptions // how to map the header
	// Sheets names the sheets of a workbook to read, ignoring case, in order; they
	// must have the same header. Empty: Options.SheetName, or else the first sheet
	// whose header maps the address (visible sheets first), or else the first
	// sheet with a row.
	Sheets []string
	// SkipHiddenRows leaves out the rows a sheet hides (by hand or by a filter);
	// by default they are read, and named in a warning.
	SkipHiddenRows bool
	// ReadAhead is how many rows the Source reads ahead of the caller, on a
	// goroutine of its own. 0 means DefaultReadAhead; a negative number reads on
	// the caller's goroutine, one row per Next.
	ReadAhead int
}

// OpenSource opens a spreadsheet (see Open), chooses its sheets and finds their
// header (see Source), and maps the header (see MapHeader), so that the caller can
// show the mapping and import the orders. It reads up to the first 20 rows of a
// sheet it looks at. Close the Source when done. Errors: those of Open; Invalid
// when Sheets names a sheet the workbook does not have, an empty one, or sheets
// with different headers.
func OpenSource(r io.ReaderAt, size int64, name string, opts SourceOptions) (*Source, error) {
	f, err := openFile(r, size, name, opts.Options)
	if err != nil {
		return nil, err
	}
	src := &Source{file: f, opts: opts}
	for i, fs := range f.sheets() {
		src.sheets = append(src.sheets, &sourceSheet{index: i, name: fs.name, hidden: fs.hidden})
	}
	switch {
	case opts.ReadAhead == 0:
		src.ahead = DefaultReadAhead
	case opts.ReadAhead > 0:
		src.ahead = opts.ReadAhead
	}
	names := opts.Sheets
	if len(names) == 0 && opts.SheetName != "" && f.xlsx != nil { // CSV files ignore SheetName
		names = []string{opts.SheetName}
	}
	if err := src.selectSheets(names, opts.SkipHiddenRows); err != nil {
		_ = src.Close()
		return nil, err
	}
	return src, nil
}

// SelectSheets chooses the sheets to read (see SourceOptions.Sheets; none: the
// default) and whether to skip hidden rows, before the first row is read: it is
// how connect.Service.Import applies ImportOptions.Sheets and SkipHiddenRows.
// Errors: Invalid for sheets it cannot read together (see OpenSource), or once
// rows have been read.
func (s *Source) SelectSheets(sheets []string, skipHiddenRows bool) error {
	if s.started {
		return connect.Errorf(connect.Invalid, "the sheets to import are chosen before the rows are read")
	}
	if s.file == nil {
		if len(sheets) > 0 {
			return connect.Errorf(connect.Invalid, "this file has no sheets to choose from")
		}
		s.chain.skipHidden = skipHiddenRows
		return nil
	}
	same := len(sheets) == 0 && s.chain != nil
	for i, name := range sheets {
		same = i < len(s.chosen) && len(sheets) == len(s.chosen) && equalFold(s.chosen[i].name, name)
		if !same {
			break
		}
	}
	if same {
		s.chain.skipHidden = skipHiddenRows
		return nil
	}
	return s.selectSheets(sheets, skipHiddenRows)
}

// selectSheets chooses the sheets named (the default when none) and maps their
// header.
func (s *Source) selectSheets(names []string, skipHidden bool) error {
	var chosen []*sourceSheet
	if len(names) == 0 {
		c, err := s.defaultSheet()
		if err != nil {
			return err
		}
		chosen = []*sourceSheet{c}
	}
	for _, name := range names {
		sh, err := s.sheetNamed(name)
		if err != nil {
			return err
		}
		if err := s.fresh(sh); err != nil {
			return err
		}
		if sh.openErr != nil {
			return sh.openErr
		}
		for _, c := range chosen {
			if c == sh {
				return connect.Errorf(connect.Invalid, "the sheet %q is chosen twice", sh.name)
			}
		}
		if len(chosen) > 0 && !sameHeader(chosen[0].choice.header.Cells, sh.choice.header.Cells) {
			return connect.Errorf(connect.Invalid, "the sheet %q has other columns than %q, so the two cannot be "+
				"imported together; import them one at a time", sh.name, chosen[0].name)
		}
		chosen = append(chosen, sh)
	}
	m := MapHeader(chosen[0].choice.header.Cells, s.mappingOptions(chosen[0]))
	s.choose(chosen, m)
	s.chain.skipHidden = skipHidden
	return nil
}

// mappingOptions are the options a sheet's header is mapped with.
func (s *Source) mappingOptions(sh *sourceSheet) MappingOptions {
	opts := s.opts.Mapping
	opts.Hidden = hiddenColumns(sh.info)
	return opts
}

// choose makes the Source read the sheets, mapped by m.
func (s *Source) choose(sheets []*sourceSheet, m *Mapping) {
	for _, sh := range s.chosen {
		sh.chosen = false
	}
	for _, sh := range sheets {
		sh.chosen = true
	}
	s.chosen = sheets
	s.header = sheets[0].choice.header.Cells
	s.mapping = m
	s.cols = s.cols[:0]
	for _, c := range m.Mapped {
		spec, _ := c.Field.Spec()
		s.cols = append(s.cols, sourceColumn{index: c.Index, field: c.Field, spec: spec, numeric: spec.Numeric,
			label: columnLabel(s.header, c.Index)})
	}
	s.chain = &sheetChain{sheets: sheets, multi: len(sheets) > 1}
}

// Mapping returns the mapping the Source reads by.
func (s *Source) Mapping() *Mapping { return s.mapping }

// Header returns the file's column names as written.
func (s *Source) Header() []string { return s.header }

// Column returns the name of the column that holds field f, "" when none does.
func (s *Source) Column(f connect.Field) string { return s.mapping.Column(f) }

// Next returns the next row as an order, io.EOF after the last. A row whose values
// cannot all be read is returned with Problems, one per column. Any other error is
// the sheet's (a limit, a damaged file) or the context's: the file cannot be read on.
func (s *Source) Next(ctx context.Context) (connect.ImportRow, error) {
	if err := ctx.Err(); err != nil {
		return connect.ImportRow{}, err
	}
	if s.closed {
		return connect.ImportRow{}, connect.Errorf(connect.Internal, "importer: Next on a closed Source")
	}
	s.started = true
	if s.ahead <= 0 {
		row, err := s.chain.Next()
		if err != nil {
			return connect.ImportRow{}, err
		}
		return s.convert(row), nil
	}
	if s.pipe == nil {
		s.pipe = startReadAhead(s.chain, s.ahead)
	}
	row, err := s.pipe.next(ctx)
	if err != nil {
		return connect.ImportRow{}, err
	}
	return s.convert(row), nil
}

// convert parses a row of the sheet as an order.
func (s *Source) convert(row Row) connect.ImportRow {
	out := connect.ImportRow{Number: row.Number, Cells: row.Cells, Sheet: row.Sheet}
	in := &s.input
	*in = connect.OrderInput{}
	limit := s.limits().MaxCellBytes
	copied := false // out.Cells is a copy of row.Cells
	for i := range s.cols {
		c := &s.cols[i]
		if c.index >= len(row.Cells) {
			continue
		}
		v := row.Cells[c.index]
		if len(v) > limit {
			out.Problems = append(out.Problems, connect.FieldError{Field: c.field, Reason: fmt.Sprintf(
				"is longer than the limit of %s (%d bytes)", formatBytes(int64(limit)), len(v))})
			continue
		}
		if c.numeric && c.index < len(row.Values) && row.Values[c.index] != "" {
			// The number as stored, not as its format shows it; and so in the
			// file of refused rows, which must import back as the same number.
			v = row.Values[c.index]
			if !copied {
				out.Cells, copied = append([]string(nil), row.Cells...), true
			}
			out.Cells[c.index] = v
		}
		v = connect.UnescapeFormula(v)
		switch {
		case v == "":
		case c.field == connect.FieldClientNumber:
			out.ClientNumber = v
		default:
			if err := c.spec.Parse(in, v); err != nil {
				out.Problems = append(out.Problems, problems(c.field, err)...)
			}
		}
	}
	for _, n := range row.Notes {
		for i := range s.cols {
			if c := &s.cols[i]; c.index == n.Column {
				out.Warnings = append(out.Warnings, connect.FieldError{Field: c.field, Reason: n.Reason})
			}
		}
	}
	out.Input = *in
	return out
}

// limits returns the limits the Source reads by.
func (s *Source) limits() Limits { return s.opts.Limits.withDefaults() }

// problems returns the field errors of err, a FieldSpec.Parse error about f.
func problems(f connect.Field, err error) []connect.FieldError {
	var e *connect.Error
	if errors.As(err, &e) && len(e.Fields) > 0 {
		return e.Fields
	}
	return []connect.FieldError{{Field: f, Reason: err.Error()}}
}

// Close stops reading ahead and closes the sheets. Next fails after it.
func (s *Source) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	if s.pipe != nil {
		s.pipe.stop()
	}
	var first error
	for _, sh := range s.sheets {
		if err := sh.close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}
