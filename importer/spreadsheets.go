package importer

import (
	"io"
	"iter"
	"strings"

	"github.com/dispatchkit/connect"
)

// Spreadsheets is package importer as connect.Spreadsheets, the port the portal
// reads uploads through: connect.Config{Spreadsheets: Spreadsheets{}}.
// The zero value is ready.
type Spreadsheets struct{}

var _ connect.Spreadsheets = Spreadsheets{}

// Open opens the spreadsheet with OpenSource and maps its columns.
func (Spreadsheets) Open(r io.ReaderAt, size int64, name string, opts connect.SheetOptions) (connect.Sheet, error) {
	src, err := OpenSource(r, size, name, SourceOptions{
		Mapping: MappingOptions{Override: opts.Override, Policy: opts.Policy, ClientNumbers: opts.ClientNumbers},
		Sheets:  opts.Sheets, SkipHiddenRows: opts.SkipHiddenRows,
	})
	if err != nil {
		return nil, err
	}
	return sheet{src}, nil
}

// WriteRefused writes the refused rows with WriteRefusedSeq.
func (Spreadsheets) WriteRefused(w io.Writer, header []string, rows iter.Seq[connect.RefusedRow], delimiter rune) error {
	return WriteRefusedSeq(w, header, rows, RefusedOptions{Delimiter: delimiter})
}

// WriteTemplate writes the template as CSV or XLSX.
func (Spreadsheets) WriteTemplate(w io.Writer, format string, policy connect.RequiredFieldPolicy) error {
	if format == "csv" {
		return WriteTemplateCSV(w, policy)
	}
	return WriteTemplateXLSX(w, policy)
}

// WriteTable writes the portal's XLSX exports (the portal writes CSV itself).
func (Spreadsheets) WriteTable(w io.Writer, format string, header []string, rows iter.Seq[[]string]) error {
	if format != "xlsx" {
		return connect.Errorf(connect.Internal, "importer: no %q tables", format)
	}
	return WriteXLSX(w, "Orders", header, rows)
}

// sheet is an Source with its mapping and layout as the portal shows them.
type sheet struct{ *Source }

func (s sheet) Columns() []connect.SheetColumn {
	m := s.Mapping()
	cols := make([]connect.SheetColumn, len(m.Header))
	for i, h := range m.Header {
		cols[i].Header = h
	}
	for _, c := range m.Mapped {
		cols[c.Index].Field, cols[c.Index].Hidden = c.Field, c.Hidden
	}
	for _, c := range m.Ignored {
		col := &cols[c.Index]
		col.Ignored, col.Hidden = ignoredReasons[c.Reason], c.Hidden
		switch c.Reason {
		case IgnoredQualified:
			col.Ignored = "its name says “" + strings.ToLower(c.Qualifier) + "”"
			col.Could = c.Field
		case IgnoredDuplicate, IgnoredHidden:
			col.Could = c.Field
		}
	}
	return cols
}

func (s sheet) Missing() []connect.Field { return s.Mapping().Missing }

func (s sheet) Layout() connect.SheetLayout {
	l := s.Source.Layout()
	out := connect.SheetLayout{HeaderRow: l.HeaderRow, HiddenRows: len(l.HiddenRows), SkipHiddenRows: l.SkipHiddenRows,
		Delimiter: l.Delimiter}
	if l.Format == FormatXLSX {
		out.Delimiter = 0
	}
	for _, sh := range l.Sheets {
		out.Sheets = append(out.Sheets, connect.SheetSummary{Name: sh.Name, Rows: sh.Rows, Maps: sh.Maps,
			SameHeader: sh.SameHeader, Chosen: sh.Chosen, Hidden: sh.Hidden, Problem: sh.Problem})
	}
	for _, r := range l.Skipped {
		var cells []string
		for _, c := range r.Cells {
			if c != "" {
				cells = append(cells, c)
			}
		}
		out.Skipped = append(out.Skipped, connect.SkippedRow{Row: r.Number, Text: strings.Join(cells, " · ")})
	}
	return out
}

var ignoredReasons = map[IgnoreReason]string{
	IgnoredUnknown:      "not a column we know",
	IgnoredByOverride:   "you chose to ignore it",
	IgnoredDuplicate:    "another column holds the same field",
	IgnoredHidden:       "hidden, and a visible column holds the same field",
	IgnoredClientNumber: "a Client ID is for dispatchers' files",
	IgnoredBadOverride:  "not an order field",
}
