package importer

import (
	"encoding/csv"
	"io"
)

// CSVWriter writes a CSV file that spreadsheet programs open correctly and safely:
// UTF-8 with a byte order mark (without one, Excel reads the file in the computer's
// legacy encoding), comma-separated, CRLF line ends as RFC 4180 has them (line breaks
// inside cells too), cells quoted where needed, and every cell passed through
// EscapeFormula. A CSVWriter is not safe for concurrent use.
type CSVWriter struct {
	out     io.Writer
	csv     *csv.Writer
	started bool // the byte order mark is written
	err     error
}

// NewCSVWriter returns a CSVWriter writing to w. Call Flush when done.
func NewCSVWriter(w io.Writer) *CSVWriter {
	c := csv.NewWriter(w)
	c.UseCRLF = true
	return &CSVWriter{out: w, csv: c}
}

// Write writes one row (the header is the first). It buffers; errors may surface
// only at a later Write or at Flush.
func (w *CSVWriter) Write(cells []string) error {
	if !w.start() {
		return w.err
	}
	escaped := make([]string, len(cells))
	for i, c := range cells {
		escaped[i] = EscapeFormula(c)
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
