package main

import (
	"io"
	"iter"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/importer"
	"github.com/dispatchkit/connect/portal"
)

// sheets wires package importer into the portal's Spreadsheets port: the portal
// imports the core only, the host joins the adapters.
type sheets struct{}

var _ portal.Spreadsheets = sheets{}

func (sheets) Open(r io.ReaderAt, size int64, name string, opts portal.SheetOptions) (portal.Sheet, error) {
	src, err := importer.OpenSource(r, size, name, importer.SourceOptions{Mapping: importer.MappingOptions{
		Override: opts.Override, Policy: opts.Policy, ClientNumbers: opts.ClientNumbers,
	}})
	if err != nil {
		return nil, err
	}
	return sheet{src}, nil
}

func (sheets) WriteRefused(w io.Writer, header []string, rows []connect.RefusedRow) error {
	return importer.WriteRefused(w, header, rows, importer.RefusedOptions{})
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

// sheet is an importer.Source with its mapping as the portal shows it.
type sheet struct{ *importer.Source }

func (s sheet) Columns() []portal.SheetColumn {
	m := s.Mapping()
	cols := make([]portal.SheetColumn, len(m.Header))
	for i, h := range m.Header {
		cols[i].Header = h
	}
	for _, c := range m.Mapped {
		cols[c.Index].Field = c.Field
	}
	for _, c := range m.Ignored {
		cols[c.Index].Ignored = ignoredReasons[c.Reason]
	}
	return cols
}

func (s sheet) Missing() []connect.Field { return s.Mapping().Missing }

var ignoredReasons = map[importer.IgnoreReason]string{
	importer.IgnoredUnknown:      "not a column we know",
	importer.IgnoredByOverride:   "you chose to ignore it",
	importer.IgnoredDuplicate:    "an earlier column holds the same field",
	importer.IgnoredClientNumber: "a Client ID is for dispatchers' files",
	importer.IgnoredBadOverride:  "not an order field",
}
