package importer

import (
	"context"
	"errors"
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
// A Source from OpenSource reads ahead: a goroutine of its own reads the next rows of
// the sheet while the caller stores the previous ones, so that reading a slow file
// (XLSX) and storing overlap. Close stops it. A Source is read once (open another to
// import what was previewed) and is not safe for concurrent use.
type Source struct {
	sheet   Sheet
	header  []string
	mapping *Mapping
	cols    []sourceColumn // the mapped columns
	ahead   int            // rows to read ahead; 0: none
	pipe    *readAhead     // set by the first Next when ahead > 0
	closed  bool
	// input is what convert parses a row into, then copies out: the table's
	// parsers take a pointer, which would move every row to the heap.
	input connect.OrderInput
}

// sourceColumn is a mapped column: where it is, what it holds, and the field's row
// of the order-field table (its parser).
type sourceColumn struct {
	index int
	field connect.Field
	spec  connect.FieldSpec
}

var _ connect.ImportSource = (*Source)(nil)

// NewSource returns the orders of sheet, whose columns m maps (m is usually
// MapHeader of the sheet's header). The Source reads sheet from where it is (after
// the header), on the caller's goroutine; closing it closes sheet.
func NewSource(sheet Sheet, m *Mapping) *Source {
	s := &Source{sheet: sheet, header: sheet.Header().Cells, mapping: m}
	for _, c := range m.Mapped {
		spec, _ := c.Field.Spec()
		s.cols = append(s.cols, sourceColumn{index: c.Index, field: c.Field, spec: spec})
	}
	return s
}

// DefaultReadAhead is how many rows a Source from OpenSource reads ahead unless told
// otherwise: about what the core stores while a slow file yields as many rows.
const DefaultReadAhead = 4096

// SourceOptions says how OpenSource reads a file and maps its columns.
type SourceOptions struct {
	Options                // the sheet to read and the limits
	Mapping MappingOptions // how to map the header
	// ReadAhead is how many rows the Source reads ahead of the caller, on a
	// goroutine of its own. 0 means DefaultReadAhead; a negative number reads on
	// the caller's goroutine, one row per Next.
	ReadAhead int
}

// OpenSource opens a spreadsheet (see Open) and maps its header (see MapHeader), so
// that the caller can show the mapping and import the orders. Nothing is read past
// the header until the first Next. Close the Source when done. Errors: those of Open.
func OpenSource(r io.ReaderAt, size int64, name string, opts SourceOptions) (*Source, error) {
	sheet, err := Open(r, size, name, opts.Options)
	if err != nil {
		return nil, err
	}
	s := NewSource(sheet, MapHeader(sheet.Header().Cells, opts.Mapping))
	switch {
	case opts.ReadAhead == 0:
		s.ahead = DefaultReadAhead
	case opts.ReadAhead > 0:
		s.ahead = opts.ReadAhead
	}
	return s, nil
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
	if s.ahead <= 0 {
		return s.read()
	}
	if s.pipe == nil {
		s.pipe = startReadAhead(s.sheet, s.ahead)
	}
	row, err := s.pipe.next(ctx)
	if err != nil {
		return connect.ImportRow{}, err
	}
	return s.convert(row), nil
}

// read reads the next row of the sheet as an order.
func (s *Source) read() (connect.ImportRow, error) {
	row, err := s.sheet.Next()
	if err != nil {
		return connect.ImportRow{}, err
	}
	return s.convert(row), nil
}

// convert parses a row of the sheet as an order.
func (s *Source) convert(row Row) connect.ImportRow {
	out := connect.ImportRow{Number: row.Number, Cells: row.Cells}
	in := &s.input
	*in = connect.OrderInput{}
	for i := range s.cols {
		c := &s.cols[i]
		if c.index >= len(row.Cells) {
			continue
		}
		v := connect.UnescapeFormula(row.Cells[c.index])
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
	out.Input = *in
	return out
}

// problems returns the field errors of err, a FieldSpec.Parse error about f.
func problems(f connect.Field, err error) []connect.FieldError {
	var e *connect.Error
	if errors.As(err, &e) && len(e.Fields) > 0 {
		return e.Fields
	}
	return []connect.FieldError{{Field: f, Reason: err.Error()}}
}

// Close stops reading ahead and closes the sheet. Next fails after it.
func (s *Source) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	if s.pipe != nil {
		s.pipe.stop()
	}
	return s.sheet.Close()
}
