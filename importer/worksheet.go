package importer

import (
	"bufio"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// worksheet reads a worksheet part as a stream of rows, with encoding/xml, which
// refuses what is not well-formed XML: an error anywhere in the part, even after
// the last row, fails the read, so that a damaged sheet is refused rather than cut
// short. It reads rows and cells as every program writes them, and as some do:
// with or without their r attributes (a cell without one follows the cell before
// it, a row the row before it), with spans or without, with namespace prefixes
// (x:row), with booleans as 1 or true.
type worksheet struct {
	name  string // the sheet's name, for errors
	rc    io.ReadCloser
	d     *xml.Decoder
	stack []string // the open elements, as written (prefix:local)

	hiddenCols []bool // by 0-based column; shorter when the rest are visible
	inData     bool   // inside sheetData
	ended      bool   // the part has been read to its end
	row        int    // the number of the last row read
	inRow      bool   // inside that row
	cells      []rawCell
	value      []byte // the text of the cell being read
	err        error
}

// errOutOfOrder says a row or cell comes before one already read.
var errOutOfOrder = errors.New("rows or cells out of order")

// openWorksheet starts reading the worksheet in part.
func (f *xlsxFile) openWorksheet(name, part string) (*worksheet, error) {
	e := f.parts[part]
	if e == nil {
		return nil, invalidWorkbook(fmt.Errorf("no part %q", part))
	}
	rc, err := e.Open()
	if err != nil {
		return nil, invalidWorkbook(err)
	}
	d := xml.NewDecoder(bufio.NewReaderSize(rc, 64<<10))
	return &worksheet{name: name, rc: rc, d: d}, nil
}

// sheetRow is a row of a worksheet as it holds it.
type sheetRow struct {
	number int
	hidden bool
	cells  []rawCell // valid until the next call of next
}

// next returns the next row element of the sheet, io.EOF after the last (once the
// whole part is read and found well-formed). Any other error is why the sheet
// cannot be read on.
func (w *worksheet) next() (sheetRow, error) {
	if w.err != nil {
		return sheetRow{}, w.err
	}
	row, err := w.scan()
	if err != nil {
		w.err = err
		if err != io.EOF {
			w.err = w.damaged(err)
		}
		return sheetRow{}, w.err
	}
	return row, nil
}

// damaged is the error for a sheet whose markup fails after the row last read.
func (w *worksheet) damaged(cause error) error {
	row := w.row + 1
	if w.inRow {
		row = w.row
	}
	return &sheetDamage{sheet: w.name, row: row, cause: cause}
}

// sheetDamage is a worksheet that cannot be read from a row on.
type sheetDamage struct {
	sheet string
	row   int
	cause error
}

func (e *sheetDamage) Error() string {
	return fmt.Sprintf("importer: sheet %q damaged at row %d: %v", e.sheet, e.row, e.cause)
}

func (e *sheetDamage) Unwrap() error { return e.cause }

// scan reads tokens until the end of a row, or of the part.
func (w *worksheet) scan() (sheetRow, error) {
	var (
		row     sheetRow
		inRow   bool
		cell    *rawCell
		inValue bool // inside a cell's <v>
		inText  bool // inside an inline string's <t>, outside phonetic runs
		inline  int  // depth inside <is>
		rPh     int  // depth inside <rPh>
		col     int  // the 1-based column of the last cell of the row
	)
	for {
		if w.ended {
			return sheetRow{}, io.EOF
		}
		tok, err := w.d.RawToken()
		if err == io.EOF {
			if len(w.stack) > 0 {
				return sheetRow{}, io.ErrUnexpectedEOF
			}
			if err := w.drain(); err != nil {
				return sheetRow{}, err
			}
			w.ended = true
			return sheetRow{}, io.EOF
		}
		if err != nil {
			return sheetRow{}, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			w.stack = append(w.stack, qualified(t.Name))
			if len(w.stack) == 1 && t.Name.Local != "worksheet" {
				return sheetRow{}, fmt.Errorf("the part is a %q, not a worksheet", t.Name.Local)
			}
			switch local := t.Name.Local; {
			case local == "sheetData":
				w.inData = true
			case local == "col" && !w.inData:
				w.column(t.Attr)
			case local == "row" && w.inData && !inRow:
				inRow, col = true, 0
				w.cells = w.cells[:0]
				n, hidden, err := rowAttrs(t.Attr)
				if err != nil {
					return sheetRow{}, err
				}
				if n == 0 {
					n = w.row + 1
				}
				if n <= w.row || n > maxRows {
					return sheetRow{}, fmt.Errorf("row %d comes after row %d: %w", n, w.row, errOutOfOrder)
				}
				w.row, w.inRow = n, true
				row = sheetRow{number: n, hidden: hidden}
			case local == "c" && inRow && cell == nil:
				w.cells = append(w.cells, rawCell{})
				cell = &w.cells[len(w.cells)-1]
				c, err := cellAttrs(t.Attr, cell)
				if err != nil {
					return sheetRow{}, err
				}
				if c == 0 {
					c = col + 1
				}
				if c <= col || c > maxColumns {
					return sheetRow{}, fmt.Errorf("a cell of row %d is out of place: %w", w.row, errOutOfOrder)
				}
				col, cell.col = c, c-1
				w.value = w.value[:0]
			case local == "v" && cell != nil && inline == 0:
				inValue = true
				cell.hasValue = true
			case local == "f" && cell != nil:
				cell.formula = true
			case local == "is" && cell != nil:
				inline++
				cell.hasValue = true
			case local == "rPh" && inline > 0:
				rPh++
			case local == "t" && inline > 0 && rPh == 0:
				inText = true
			}
		case xml.EndElement:
			if n := len(w.stack); n == 0 || w.stack[n-1] != qualified(t.Name) {
				return sheetRow{}, fmt.Errorf("element <%s> closed by </%s>", w.top(), qualified(t.Name))
			}
			w.stack = w.stack[:len(w.stack)-1]
			switch t.Name.Local {
			case "sheetData":
				w.inData = false
			case "row":
				if inRow {
					w.inRow = false
					row.cells = w.cells
					return row, nil
				}
			case "c":
				if cell != nil {
					cell.value = string(w.value)
					cell = nil
				}
			case "v":
				inValue = false
			case "is":
				inline--
			case "rPh":
				rPh--
			case "t":
				inText = false
			}
		case xml.CharData:
			if inValue || inText {
				w.value = append(w.value, t...)
			}
		case xml.Directive:
			return sheetRow{}, errors.New("the part has a document type declaration")
		}
	}
}

// top returns the innermost open element.
func (w *worksheet) top() string {
	if len(w.stack) == 0 {
		return ""
	}
	return w.stack[len(w.stack)-1]
}

// drain reads what is left of the part, so that archive/zip checks its checksum.
func (w *worksheet) drain() error {
	_, err := io.Copy(io.Discard, w.rc)
	return err
}

// close releases the part.
func (w *worksheet) close() error { return w.rc.Close() }

// qualified writes an element's name as written: "x:row" or "row".
func qualified(n xml.Name) string {
	if n.Space == "" {
		return n.Local
	}
	return n.Space + ":" + n.Local
}

// column reads a <col> element: a range of columns and whether they are hidden
// (hidden="1", or a width of 0, which hides them as well).
func (w *worksheet) column(attrs []xml.Attr) {
	lo, hi, hidden, width := 0, 0, false, ""
	for _, a := range attrs {
		switch a.Name.Local {
		case "min":
			lo, _ = strconv.Atoi(a.Value)
		case "max":
			hi, _ = strconv.Atoi(a.Value)
		case "hidden":
			hidden = xmlBool(a.Value)
		case "width":
			width = a.Value
		}
	}
	if width != "" {
		if v, err := strconv.ParseFloat(width, 64); err == nil && v == 0 {
			hidden = true
		}
	}
	if !hidden || lo < 1 || hi < lo {
		return
	}
	// Programs write <col min="20" max="16384" hidden="1"/> to hide every column
	// to the right of a table: note the hidden columns up to a bound, and take
	// the rest as hidden too.
	hi = min(hi, maxColumns)
	for len(w.hiddenCols) < hi {
		w.hiddenCols = append(w.hiddenCols, false)
	}
	for c := lo; c <= hi; c++ {
		w.hiddenCols[c-1] = true
	}
}

// rowAttrs reads a <row>'s number (0 when it has none) and whether it is hidden:
// hidden="1", or a custom height of 0.
func rowAttrs(attrs []xml.Attr) (n int, hidden bool, err error) {
	zeroHeight, custom := false, false
	for _, a := range attrs {
		switch a.Name.Local {
		case "r":
			if n, err = strconv.Atoi(strings.TrimSpace(a.Value)); err != nil || n < 1 {
				return 0, false, fmt.Errorf("a row number %q", a.Value)
			}
		case "hidden":
			hidden = xmlBool(a.Value)
		case "ht":
			if v, err := strconv.ParseFloat(a.Value, 64); err == nil && v == 0 {
				zeroHeight = true
			}
		case "customHeight":
			custom = xmlBool(a.Value)
		}
	}
	return n, hidden || zeroHeight && custom, nil
}

// cellAttrs reads a <c>'s attributes into c and returns its 1-based column (0 when
// it has no r attribute).
func cellAttrs(attrs []xml.Attr, c *rawCell) (int, error) {
	col := 0
	for _, a := range attrs {
		switch a.Name.Local {
		case "r":
			var ok bool
			if col, ok = parseColumnRef(a.Value); !ok {
				return 0, fmt.Errorf("a cell reference %q", a.Value)
			}
		case "t":
			c.typ = a.Value
		case "s":
			c.style, _ = strconv.Atoi(a.Value)
		}
	}
	return col, nil
}
