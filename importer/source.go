package importer

import (
	"context"
	"io"

	"github.com/dispatchkit/connect"
)

// Source is a spreadsheet read as orders: a connect.ImportSource for
// connect.Service.Import and PreviewImport. Each row's cells are parsed by the
// column's field (ParseDecimal, ParseWholeNumber, ParseStopType, ParseProducts; text
// is kept as read), and what cannot be parsed is reported in the row's Problems
// rather than failing the import. A cell EscapeFormula escaped (in a file of refused
// rows, fixed and uploaded again) is read without its quote (see UnescapeFormula);
// the row's Cells keep it. A Source is not safe for concurrent use.
type Source struct {
	sheet   Sheet
	mapping *Mapping
	cols    []sourceColumn // the mapped columns
}

// sourceColumn is a mapped column: where it is and what it holds.
type sourceColumn struct {
	index int
	field connect.Field
}

var _ connect.ImportSource = (*Source)(nil)

// NewSource returns the orders of sheet, whose columns m maps (m is usually
// MapHeader of the sheet's header). The Source reads sheet from where it is (after
// the header), and closing it closes sheet.
func NewSource(sheet Sheet, m *Mapping) *Source {
	s := &Source{sheet: sheet, mapping: m}
	for _, c := range m.Mapped {
		s.cols = append(s.cols, sourceColumn{index: c.Index, field: c.Field})
	}
	return s
}

// SourceOptions says how OpenSource reads a file and maps its columns.
type SourceOptions struct {
	Options                // the sheet to read and the limits
	Mapping MappingOptions // how to map the header
}

// OpenSource opens a spreadsheet (see Open) and maps its header (see MapHeader), so
// that the caller can show the mapping and import the orders. Close the Source when
// done. Errors: those of Open.
func OpenSource(r io.ReaderAt, size int64, name string, opts SourceOptions) (*Source, error) {
	sheet, err := Open(r, size, name, opts.Options)
	if err != nil {
		return nil, err
	}
	return NewSource(sheet, MapHeader(sheet.Header().Cells, opts.Mapping)), nil
}

// Mapping returns the mapping the Source reads by.
func (s *Source) Mapping() *Mapping { return s.mapping }

// Header returns the file's column names as written.
func (s *Source) Header() []string { return s.sheet.Header().Cells }

// Column returns the name of the column that holds field f, "" when none does.
func (s *Source) Column(f connect.Field) string { return s.mapping.Column(f) }

// Next returns the next row as an order, io.EOF after the last. A row whose values
// cannot all be read is returned with Problems, one per column. Any other error is
// the sheet's (a limit, a damaged file) or the context's: the file cannot be read on.
func (s *Source) Next(ctx context.Context) (connect.ImportRow, error) {
	if err := ctx.Err(); err != nil {
		return connect.ImportRow{}, err
	}
	row, err := s.sheet.Next()
	if err != nil {
		return connect.ImportRow{}, err
	}
	out := connect.ImportRow{Number: row.Number, Cells: row.Cells}
	in := &out.Input
	for _, c := range s.cols {
		if c.index >= len(row.Cells) {
			continue
		}
		v := UnescapeFormula(row.Cells[c.index])
		if v == "" {
			continue
		}
		var problem *connect.FieldError
		switch c.field {
		case connect.FieldUnit:
			in.Address.Unit = v
		case connect.FieldAddressLine1:
			in.Address.Line1 = v
		case connect.FieldAddressLine2:
			in.Address.Line2 = v
		case connect.FieldCity:
			in.Address.City = v
		case connect.FieldState:
			in.Address.State = v
		case connect.FieldZip:
			in.Address.Zip = v
		case connect.FieldCountry:
			in.Address.Country = v
		case connect.FieldNotes:
			in.Notes = v
		case connect.FieldRecipientName:
			in.Recipient.Name = v
		case connect.FieldRecipientEmail:
			in.Recipient.Email = v
		case connect.FieldRecipientPhone:
			in.Recipient.Phone = v
		case connect.FieldRef:
			in.Ref = v
		case FieldClientNumber:
			out.ClientNumber = v
		case connect.FieldSize:
			in.Size, problem = ParseDecimal(c.field, v)
		case connect.FieldLatitude:
			in.Address.Latitude, problem = ParseDecimal(c.field, v)
		case connect.FieldLongitude:
			in.Address.Longitude, problem = ParseDecimal(c.field, v)
		case connect.FieldPackageCount:
			in.PackageCount, problem = ParseWholeNumber(c.field, v)
		case connect.FieldStopType:
			in.StopType, problem = ParseStopType(v)
		case connect.FieldProducts:
			in.Products, problem = ParseProducts(v)
		}
		if problem != nil {
			out.Problems = append(out.Problems, *problem)
		}
	}
	return out, nil
}

// Close closes the sheet.
func (s *Source) Close() error { return s.sheet.Close() }
