package importer

import (
	"encoding/csv"
	"io"
	"iter"
	"strings"

	"github.com/dispatchkit/connect"
	"github.com/xuri/excelize/v2"
)

// CSVWriter writes a CSV file that spreadsheet programs open correctly and safely:
// UTF-8 with a byte order mark (without one, Excel reads the file in the computer's
// legacy encoding), comma-separated (or by the delimiter SetDelimiter sets), CRLF
// line ends as RFC 4180 has them (line breaks inside cells too), cells quoted where
// needed, and every cell passed through connect.EscapeFormula (but, with a
// semicolon, a number with a decimal comma such as -7,5). A CSVWriter is not safe
// for concurrent use.
type CSVWriter struct {
	out          io.Writer
	csv          *csv.Writer
	started      bool // the byte order mark is written
	decimalComma bool // numbers may have a decimal comma: the delimiter is not a comma
	err          error
}

// NewCSVWriter returns a CSVWriter writing to w. Call Flush when done.
func NewCSVWriter(w io.Writer) *CSVWriter {
	c := csv.NewWriter(w)
	c.UseCRLF = true
	return &CSVWriter{out: w, csv: c}
}

// SetDelimiter sets the delimiter (0: comma) before the first Write: a
// semicolon, as Excel writes where the decimal separator is a comma, or a tab.
func (w *CSVWriter) SetDelimiter(d rune) {
	if d == 0 {
		d = ','
	}
	w.csv.Comma = d
	w.decimalComma = d != ','
}

// Write writes one row (the header is the first). It buffers; errors may surface
// only at a later Write or at Flush.
func (w *CSVWriter) Write(cells []string) error {
	if !w.start() {
		return w.err
	}
	escaped := make([]string, len(cells))
	for i, c := range cells {
		if w.decimalComma && isDecimalCommaNumber(strings.TrimSpace(c)) {
			escaped[i] = c // a number where the comma is the decimal separator, not a formula
			continue
		}
		escaped[i] = connect.EscapeFormula(c)
	}
	if err := w.csv.Write(escaped); err != nil {
		w.err = err
	}
	return w.err
}

// Flush writes what is buffered to the underlying writer and returns the first
// error any Write or Flush met. A file with no rows is just the byte order mark.
func (w *CSVWriter) Flush() error {
	if !w.start() {
		return w.err
	}
	w.csv.Flush()
	if err := w.csv.Error(); err != nil && w.err == nil {
		w.err = err
	}
	return w.err
}

// isDecimalCommaNumber reports whether s is a number written with a decimal comma
// and nothing else: an optional sign, digits, and a comma with digits after it
// ("-7,5").
func isDecimalCommaNumber(s string) bool {
	if s != "" && (s[0] == '-' || s[0] == '+') {
		s = s[1:]
	}
	whole, frac, ok := strings.Cut(s, ",")
	return ok && whole != "" && frac != "" && allDigits(whole) && allDigits(frac)
}

// start writes the byte order mark once, and reports whether the writer can go on.
func (w *CSVWriter) start() bool {
	if w.err != nil {
		return false
	}
	if !w.started {
		w.started = true
		_, w.err = w.out.Write(bomUTF8)
	}
	return w.err == nil
}

// WriteXLSX writes a workbook of one sheet, named sheet: header in bold as its first
// row (kept in view as the sheet scrolls), then each row rows yields. Every cell is
// text, so that a zip code or a phone number keeps its leading zeros and a decimal
// every digit, and passes through connect.EscapeFormula, as CSVWriter's cells do: the
// file reads back (Open) as the cells written. Rows are streamed to the sheet (the
// workbook is put together in w at the end); rows stops early by returning.
func WriteXLSX(w io.Writer, sheet string, header []string, rows iter.Seq[[]string]) error {
	f := excelize.NewFile()
	defer f.Close()
	if err := writeXLSXSheet(f, sheet, header, rows); err != nil {
		return connect.Errorf(connect.Internal, "writing the workbook: %w", err)
	}
	if _, err := f.WriteTo(w); err != nil {
		return connect.Errorf(connect.Internal, "writing the workbook: %w", err)
	}
	return nil
}

func writeXLSXSheet(f *excelize.File, sheet string, header []string, rows iter.Seq[[]string]) error {
	if err := f.SetSheetName(f.GetSheetName(0), sheet); err != nil {
		return err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	cells := make([]any, len(header))
	for i, h := range header {
		cells[i] = excelize.Cell{StyleID: bold, Value: connect.EscapeFormula(h)}
	}
	if err := sw.SetRow("A1", cells); err != nil {
		return err
	}
	n := 1
	for row := range rows {
		n++
		cells = cells[:0]
		for _, c := range row {
			if c == "" {
				cells = append(cells, nil) // no cell rather than an empty one
			} else {
				cells = append(cells, connect.EscapeFormula(c))
			}
		}
		cell, _ := excelize.CoordinatesToCellName(1, n)
		if err := sw.SetRow(cell, cells); err != nil {
			return err
		}
	}
	return sw.Flush()
}
