package importer

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/dispatchkit/connect"
)

// Layout says where a Source finds its orders in the file, so that the user sees
// what was read and what was not, and can choose otherwise.
type Layout struct {
	Format string // FormatCSV or FormatXLSX
	// Sheets are a workbook's sheets, in order (nil for CSV).
	Sheets []SheetSummary
	// Chosen are the names of the sheets read, in order.
	Chosen []string
	// HeaderRow is the row number of the header (of the first sheet read), and
	// Skipped the non-blank rows above it, which are not read.
	HeaderRow int
	Skipped   []Row
	// HiddenColumns are the header's columns the sheet hides (0-based).
	HiddenColumns []int
	// HiddenRows are the hidden rows met so far (all of them once the Source has
	// been read to its end), and SkipHiddenRows whether they are left out.
	HiddenRows     []RowRef
	SkipHiddenRows bool
	// TotalsRows are the tables' totals rows met so far, which are left out.
	TotalsRows []RowRef
	// Merged are ranges of cells merged over several rows read in each of them.
	Merged []string
	// A CSV file's delimiter, encoding and line ends (see SheetInfo).
	Delimiter rune
	Encoding  string
	LineEnds  string
	SepLine   bool
}

// SheetSummary is a sheet of a workbook, as the user chooses among them.
type SheetSummary struct {
	Name   string
	Hidden bool // the workbook hides it
	// Rows is the number of rows of orders it has: its non-blank rows below its
	// header, or all its non-blank rows when its header does not map; -1 for a
	// sheet being read that has not been read to its end.
	Rows int
	// HeaderRow is its header's row number, 0 when it has no row.
	HeaderRow int
	// Maps reports whether its header maps the address, which every order needs.
	Maps bool
	// SameHeader reports whether its header is the first chosen sheet's, so that
	// it can be imported together with it.
	SameHeader bool
	Chosen     bool
	// Problem says why it cannot be read ("" when it can): empty, damaged.
	Problem string
	// Empty reports a sheet without a non-blank row.
	Empty bool
}

// Layout says where the Source finds its orders. For a workbook it reads every
// sheet not chosen to its end, once, to count its rows.
func (s *Source) Layout() Layout {
	first := s.chosen[0]
	l := Layout{Format: first.info.Format, HeaderRow: first.choice.header.Number,
		Skipped:   append([]Row(nil), first.choice.skipped...),
		Delimiter: first.info.Delimiter, Encoding: first.info.Encoding, LineEnds: first.info.LineEnds,
		SepLine: first.info.SepLine}
	for _, sh := range s.chosen {
		l.Chosen = append(l.Chosen, sh.name)
	}
	for _, c := range first.info.HiddenColumns {
		if c < len(s.header) {
			l.HiddenColumns = append(l.HiddenColumns, c)
		}
	}
	s.chain.mu.Lock()
	l.HiddenRows = append([]RowRef(nil), s.chain.hidden...)
	l.TotalsRows = append([]RowRef(nil), s.chain.totals...)
	l.SkipHiddenRows = s.chain.skipHidden
	counts := make([]int, len(s.chosen))
	for i, sh := range s.chosen {
		counts[i] = -1
		if sh.counted {
			counts[i] = sh.rows
		}
	}
	s.chain.mu.Unlock()
	if s.file == nil || s.file.xlsx == nil {
		return l
	}
	if s.pipe == nil || s.pipe.finished() {
		// Merged cells are noted by the sheet as it is read: ask it once done.
		for _, sh := range s.chosen {
			if sh.sheet != nil {
				l.Merged = append(l.Merged, sh.sheet.Info().Merged...)
			}
		}
	}
	for _, sh := range s.sheets {
		sum := SheetSummary{Name: sh.name, Hidden: sh.hidden, Chosen: sh.chosen, Rows: -1}
		if sh.chosen {
			for i, c := range s.chosen {
				if c == sh {
					sum.Rows = counts[i]
				}
			}
		} else {
			s.count(sh)
			sum.Rows = sh.rows
		}
		switch {
		case sh.openErr != nil:
			sum.Problem, sum.Rows, sum.Empty = messageOf(sh.openErr), 0, errors.Is(sh.openErr, errEmptySheet)
		case sh.countErr != nil:
			sum.Problem = messageOf(sh.countErr)
		default:
			sum.HeaderRow = sh.choice.header.Number
			sum.Maps = headerMaps(sh.choice.mapping)
			sum.SameHeader = sameHeader(first.choice.header.Cells, sh.choice.header.Cells)
		}
		l.Sheets = append(l.Sheets, sum)
	}
	return l
}

// ImportWarnings says, for people, what the user should know about how the file
// was read: the other sheets with rows, which were not imported; the rows above the
// header; hidden rows and columns; merged cells; a table's totals rows; columns
// that could hold the same field, or whose name says not to use them; a CSV file
// that is not UTF-8. connect.Service.Import and PreviewImport add them to their
// result once the rows are read.
func (s *Source) ImportWarnings() []connect.FieldError {
	l := s.Layout()
	var out []connect.FieldError
	add := func(format string, args ...any) {
		out = append(out, connect.FieldError{Reason: fmt.Sprintf(format, args...)})
	}
	for _, sh := range l.Sheets {
		if sh.Chosen || sh.Empty || sh.Rows <= 0 && sh.Problem == "" {
			continue
		}
		switch {
		case sh.Problem != "":
			add("Sheet %q was not imported: %s", sh.Name, sh.Problem)
		case sh.SameHeader:
			add("Sheet %q has %s with the same columns and was not imported; choose it to import it too",
				sh.Name, plural(sh.Rows, "row"))
		default:
			add("Sheet %q has %s and was not imported; choose it to import it instead", sh.Name, plural(sh.Rows, "row"))
		}
	}
	if n := len(l.Skipped); n > 0 {
		quoted := make([]string, 0, 3)
		for _, r := range l.Skipped[:min(n, 3)] {
			quoted = append(quoted, strconv.Quote(shorten(strings.Join(nonEmpty(r.Cells), " "), 40)))
		}
		more := ""
		if n > 3 {
			more = " …"
		}
		add("%s above the header (row %d) %s skipped: %s%s", plural(n, "row"), l.HeaderRow, were(n),
			strings.Join(quoted, ", "), more)
	}
	if l.SepLine {
		add("The first line (sep=%c) set the delimiter, as Excel reads it; it is not a row", l.Delimiter)
	}
	if l.Encoding == "Windows-1252" || l.Encoding == "Mac Roman" {
		add("The file is not UTF-8: it was read as %s, as %s saves it; if letters look wrong, save it as \"CSV UTF-8\"",
			l.Encoding, map[string]string{"Windows-1252": "Excel on Windows", "Mac Roman": "Excel for Mac"}[l.Encoding])
	}
	for _, c := range l.HiddenColumns {
		name := strconv.Quote(columnLabel(s.header, c))
		if field := s.mapping.fieldOf(c); field != "" {
			add("Column %s is hidden in the sheet; its values are imported as %s", name, field.Label())
		} else {
			add("Column %s is hidden in the sheet and is not imported", name)
		}
	}
	if n := len(l.HiddenRows); n > 0 {
		if l.SkipHiddenRows {
			add("%s hidden in the sheet %s not imported (%s)", plural(n, "row"), were(n), rowList(l.HiddenRows, len(l.Chosen) > 1))
		} else {
			add("%s hidden in the sheet %s imported (%s); choose to skip hidden rows to leave them out",
				plural(n, "row"), were(n), rowList(l.HiddenRows, len(l.Chosen) > 1))
		}
	}
	for _, r := range l.TotalsRows {
		add("Row %d is a table's totals row and was not imported", r.Number)
	}
	if len(l.Merged) > 0 {
		add("Cells merged over several rows (%s) are read in each of their rows, as the sheet shows them",
			strings.Join(l.Merged[:min(len(l.Merged), 5)], ", "))
	}
	for _, a := range s.mapping.Ambiguous {
		names := make([]string, len(a.Columns))
		for i, c := range a.Columns {
			names[i] = strconv.Quote(columnLabel(s.header, c))
		}
		if a.Chosen >= 0 {
			add("Columns %s could each be %s; %q is imported: choose another in the mapping if it is not the right one",
				joinAnd(names), a.Field.Label(), columnLabel(s.header, a.Chosen))
		}
	}
	for _, c := range s.mapping.Ignored {
		if c.Reason == IgnoredQualified {
			add("Column %q looks like %s, but its name says %q, so it is not imported; choose it in the mapping "+
				"if it holds the %s", columnLabel(s.header, c.Index), c.Field.Label(), c.Qualifier, c.Field.Label())
		}
	}
	return out
}

// fieldOf returns the field column i holds, "" when none.
func (m *Mapping) fieldOf(i int) connect.Field {
	for _, c := range m.Mapped {
		if c.Index == i {
			return c.Field
		}
	}
	return ""
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

func were(n int) string {
	if n == 1 {
		return "was"
	}
	return "were"
}

func nonEmpty(cells []string) []string {
	var out []string
	for _, c := range cells {
		if c != "" {
			out = append(out, c)
		}
	}
	return out
}

// shorten cuts s to n characters, with an ellipsis.
func shorten(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// rowList names up to ten rows: "rows 5, 9, 12" or, across sheets, "Week 1 row 5, …".
func rowList(rows []RowRef, sheets bool) string {
	parts := make([]string, 0, 10)
	for _, r := range rows[:min(len(rows), 10)] {
		if sheets {
			parts = append(parts, fmt.Sprintf("%s row %d", r.Sheet, r.Number))
		} else {
			parts = append(parts, strconv.Itoa(r.Number))
		}
	}
	text := strings.Join(parts, ", ")
	if len(rows) > 10 {
		text += " …"
	}
	if sheets {
		return text
	}
	if len(rows) == 1 {
		return "row " + text
	}
	return "rows " + text
}

// joinAnd joins names as a sentence does: "a, b and c".
func joinAnd(names []string) string {
	if len(names) <= 1 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// messageOf is an error's message for people.
func messageOf(err error) string {
	var e *connect.Error
	if errors.As(err, &e) && e.Message != "" {
		return e.Message
	}
	return err.Error()
}
