package importer

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// rawCell is a cell as a worksheet holds it.
type rawCell struct {
	col      int    // 0-based
	typ      string // the t attribute: "" or "n" (a number), "s", "str", "inlineStr", "b", "e", "d"
	style    int    // the s attribute: an index into the cell styles
	value    string // the text of <v>, or an inline string's text
	hasValue bool   // it has a <v> (or an inline string)
	formula  bool   // it has an <f>
}

// cellValue is what a cell shows and holds.
type cellValue struct {
	text   string // as the user sees it (numbers formatted by their number format)
	stored string // a number shown otherwise than as stored: its value at 15 digits; "" else
	note   string // what the user should know about it, for people; "" when nothing
}

// Notes on cells.
const (
	noteNoResult = "has a formula whose result is not saved in the file (the program that wrote it did not " +
		"calculate it), so it is imported empty; open the file in your spreadsheet program and save it again"
)

// value returns what cell c shows and holds. Errors are for a shared string that
// does not exist.
func (f *xlsxFile) value(c *rawCell) (cellValue, error) {
	if c.formula && !c.hasValue {
		return cellValue{note: noteNoResult}, nil
	}
	switch c.typ {
	case "s":
		i, err := strconv.Atoi(strings.TrimSpace(c.value))
		text, ok := f.sharedString(i)
		if err != nil || !ok {
			return cellValue{}, fmt.Errorf("a cell refers to text %q that the workbook does not have", c.value)
		}
		return cellValue{text: text}, nil
	case "inlineStr", "str":
		return cellValue{text: unescapeXString(c.value)}, nil
	case "b":
		if c.value == "1" || c.value == "true" {
			return cellValue{text: "TRUE"}, nil
		}
		return cellValue{text: "FALSE"}, nil
	case "e":
		return cellValue{text: c.value}, nil
	case "d":
		t, err := parseISODate(c.value)
		if err != nil {
			return cellValue{text: c.value}, nil
		}
		return f.number(dateSerial(t, f.date1904), c.style), nil
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(c.value), 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		return cellValue{text: c.value}, nil // not a number: show it as written
	}
	return f.number(v, c.style), nil
}

// number returns what a number cell of style s shows and holds.
func (f *xlsxFile) number(v float64, s int) cellValue {
	nf := f.format(s)
	out := cellValue{text: nf.formatNumber(v, f.date1904)}
	stored := canonicalNumber(v)
	if out.text != stored {
		out.stored = stored
	}
	if a := math.Abs(v); a == math.Trunc(a) && isGeneral(nf, v) {
		switch {
		case a >= 1e15:
			out.note = fmt.Sprintf("is a number of more than 15 digits, which spreadsheet programs do not keep: "+
				"%s may have lost its last digits; format the column as text and type the numbers again", out.text)
		case a >= 1e11:
			out.note = fmt.Sprintf("shows as %s in a spreadsheet program (scientific notation); all its digits "+
				"are imported: %s", formatGeneralScientific(v), out.text)
		}
	}
	return out
}

// isGeneral reports whether the format shows v by General.
func isGeneral(nf *numFormat, v float64) bool {
	if nf == nil {
		return true
	}
	s, _ := nf.section(v)
	return s == nil || len(s.tokens) == 0 || s.general
}

// canonicalNumber writes v as its value at Excel's precision: 15 significant
// digits, without an exponent. Excel stores numbers as binary fractions and writes
// them with up to 17 digits (51.507351 as 51.507351000000003, 8.8 as
// 8.8000000000000007); at 15 digits they are the numbers people typed.
func canonicalNumber(v float64) string {
	if v == 0 {
		return "0"
	}
	text := strconv.FormatFloat(v, 'g', 15, 64)
	if strings.ContainsAny(text, "eE") {
		if d, err := decimal.NewFromString(text); err == nil {
			return d.String()
		}
	}
	return text
}

// parseISODate reads the value of a cell of type "d": an ISO 8601 date, time, or
// both.
func parseISODate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{"2006-01-02T15:04:05.999999999Z07:00", "2006-01-02T15:04:05.999999999",
		"2006-01-02T15:04", "2006-01-02", "15:04:05.999999999", "15:04"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("not an ISO 8601 date: %q", s)
}

// dateSerial returns the serial number of t in the workbook's date system (see
// serialTime); a time of day alone is a fraction of a day.
func dateSerial(t time.Time, date1904 bool) float64 {
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	frac := float64(t.Sub(time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, t.Location())).Milliseconds()) / 86400000
	if t.Year() == 0 {
		return frac // a time alone
	}
	base := time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)
	if date1904 {
		base = time.Date(1904, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	days := math.Round(day.Sub(base).Hours() / 24)
	if !date1904 && days < 61 {
		days-- // before Excel's 29 February 1900
	}
	return days + frac
}
