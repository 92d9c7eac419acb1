package main

import (
	"io"
	"iter"
	"strings"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/importer"
	"github.com/dispatchkit/connect/portal"
)

// sheets wires package importer into the portal's Spreadsheets port: the portal
// imports the core only, the host joins the adapters.
type sheets struct{}

var _ portal.Spreadsheets = sheets{}

func (sheets) Open(r io.ReaderAt, size int64, name string, opts portal.SheetOptions) (portal.Sheet, error) {
	src, err := importer.OpenSource(r, size, name, importer.SourceOptions{
		Mapping: importer.MappingOptions{Override: opts.Override, Policy: opts.Policy, ClientNumbers: opts.ClientNumbers},
		Sheets:  opts.Sheets, SkipHiddenRows: opts.SkipHiddenRows,
	})
	if err != nil {
		return nil, err
	}
	return sheet{src}, nil
}

func (sheets) WriteRefused(w io.Writer, header []string, rows iter.Seq[connect.RefusedRow], delimiter rune) error {
	return importer.WriteRefusedSeq(w, header, rows, importer.RefusedOptions{Delimiter: delimiter})
}

func (sheets) WriteTemplate(w io.Writer, format string, policy connect.RequiredFieldPolicy) error {
	if format == "csv" {
		return importer.WriteTemplateCSV(w, policy)
	}
	return importer.WriteTemplateXLSX(w, policy)
}

// WriteTable writes the portal's XLSX exports (the portal writes CSV itself).
func (sheets) WriteTable(w io.Writer, format string, header []string, rows iter.Seq[[]string]) error {
	if format != "xlsx" {
		return connect.Errorf(connect.Internal, "sheets: no %q tables", format)
	}
	return importer.WriteXLSX(w, "Orders", header, rows)
}

// sheet is an importer.Source with its mapping and layout as the portal shows them.
type sheet struct{ *importer.Source }

func (s sheet) Columns() []portal.SheetColumn {
	m := s.Mapping()
	cols := make([]portal.SheetColumn, len(m.Header))
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
		case importer.IgnoredQualified:
			col.Ignored = "its name says “" + strings.ToLower(c.Qualifier) + "”"
			col.Could = c.Field
		case importer.IgnoredDuplicate, importer.IgnoredHidden:
			col.Could = c.Field
		}
	}
	return cols
}

func (s sheet) Missing() []connect.Field { return s.Mapping().Missing }

func (s sheet) Layout() portal.SheetLayout {
	l := s.Source.Layout()
	out := portal.SheetLayout{HeaderRow: l.HeaderRow, HiddenRows: len(l.HiddenRows), SkipHiddenRows: l.SkipHiddenRows,
		Delimiter: l.Delimiter}
	if l.Format == importer.FormatXLSX {
		out.Delimiter = 0
	}
	for _, sh := range l.Sheets {
		out.Sheets = append(out.Sheets, portal.SheetSummary{Name: sh.Name, Rows: sh.Rows, Maps: sh.Maps,
			SameHeader: sh.SameHeader, Chosen: sh.Chosen, Hidden: sh.Hidden, Problem: sh.Problem})
	}
	for _, r := range l.Skipped {
		var cells []string
		for _, c := range r.Cells {
			if c != "" {
				cells = append(cells, c)
			}
		}
		out.Skipped = append(out.Skipped, portal.SkippedRow{Row: r.Number, Text: strings.Join(cells, " · ")})
	}
	return out
}

var ignoredReasons = map[importer.IgnoreReason]string{
	importer.IgnoredUnknown:      "not a column we know",
	importer.IgnoredByOverride:   "you chose to ignore it",
	importer.IgnoredDuplicate:    "another column holds the same field",
	importer.IgnoredHidden:       "hidden, and a visible column holds the same field",
	importer.IgnoredClientNumber: "a Client ID is for dispatchers' files",
	importer.IgnoredBadOverride:  "not an order field",
}
