package connect_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/dispatchkit/connect"
	"github.com/google/go-cmp/cmp"
	"github.com/shopspring/decimal"
)

// The parsers of the order-field table, through FieldSpec.Parse and Format: what
// text each field reads, what it refuses and why, and that what Format writes reads
// back.

// parse reads s as field f's value into a new OrderInput, and returns it with the
// field error Parse reported (nil: none).
func parse(t *testing.T, f connect.Field, s string) (connect.OrderInput, *connect.FieldError) {
	t.Helper()
	var in connect.OrderInput
	err := f.Parse(&in, s)
	if err == nil {
		return in, nil
	}
	var e *connect.Error
	if !errors.As(err, &e) || e.Code != connect.Invalid || len(e.Fields) != 1 {
		t.Fatalf("Parse(%q) = %#v, want an Invalid *connect.Error with one field error", s, err)
	}
	return in, &e.Fields[0]
}

// decimalOf returns the value of a decimal field.
func decimalOf(f connect.Field, in connect.OrderInput) decimal.NullDecimal {
	switch f {
	case connect.FieldSize:
		return in.Size
	case connect.FieldLatitude:
		return in.Address.Latitude
	case connect.FieldLongitude:
		return in.Address.Longitude
	}
	panic("not a decimal field: " + f)
}

// fieldError is what a parser's error should say: the field, and words the reason
// must contain.
type fieldError struct {
	Field connect.Field
	Says  string
}

// checkFieldError compares a parser's error with want (nil: no error).
func checkFieldError(t *testing.T, want *fieldError, got *connect.FieldError) {
	t.Helper()
	switch {
	case want == nil && got != nil:
		t.Fatalf("error %q, want none", got.String())
	case want != nil && got == nil:
		t.Fatalf("no error, want one saying %q", want.Says)
	case want != nil:
		if got.Field != want.Field || !strings.Contains(got.Reason, want.Says) {
			t.Fatalf("error {%s %q}, want field %s and a reason saying %q", got.Field, got.Reason, want.Field, want.Says)
		}
		if got.Row != 0 || got.Column != "" {
			t.Fatalf("error %+v has a row or column: the core sets those", got)
		}
	}
}

func dec(s string) decimal.NullDecimal {
	return decimal.NewNullDecimal(decimal.RequireFromString(s))
}

func TestParseDecimalFields(t *testing.T) {
	t.Parallel()
	size, lat := connect.FieldSize, connect.FieldLatitude
	notNumber := func(f connect.Field) *fieldError { return &fieldError{f, "must be a number like 12.5"} }
	cases := []struct {
		name  string
		field connect.Field
		in    string
		want  decimal.NullDecimal
		err   *fieldError
	}{
		{"an empty cell is no value", size, "", decimal.NullDecimal{}, nil},
		{"a whole number", size, "12", dec("12"), nil},
		{"a decimal with a point", size, "12.5", dec("12.5"), nil},
		{"a negative coordinate", lat, "-0.1276", dec("-0.1276"), nil},
		{"a plus sign", size, "+3", dec("3"), nil},
		{"a point with no leading digit", size, ".5", dec("0.5"), nil},
		{"a point with no decimals", size, "5.", dec("5"), nil},
		{"an exponent as spreadsheets show large numbers", size, "1.5E+03", dec("1500"), nil},
		{"a small exponent", size, "2e-3", dec("0.002"), nil},
		{"a decimal comma", size, "2,5", dec("2.5"), nil},
		{"a decimal comma with a leading zero group", size, "0,500", dec("0.5"), nil},
		{"a decimal comma with four digits before it", size, "1234,567", dec("1234.567"), nil},
		{"a decimal comma with no leading digit", size, ",5", dec("0.5"), nil},
		{"a coordinate with a decimal comma and three decimals", lat, "48,856", dec("48.856"), nil},
		{"a negative coordinate with a decimal comma", connect.FieldLongitude, "-2,3522", dec("-2.3522"), nil},
		{"thousands separators with a decimal point", size, "1,234.5", dec("1234.5"), nil},
		{"several thousands separators", size, "12,345,678", dec("12345678"), nil},
		{"a negative number with thousands separators", size, "-1,234.5", dec("-1234.5"), nil},

		{"a comma before three digits is ambiguous", size, "1,234", decimal.NullDecimal{}, &fieldError{size, `"1,234" is ambiguous: write 1234 for more than a thousand, or 1.234`}},
		{"a decimal comma after thousands separators", size, "1,234,5", decimal.NullDecimal{}, &fieldError{size, "use a point for decimals"}},
		{"a point for thousands and a comma for decimals", size, "1.234,5", decimal.NullDecimal{}, &fieldError{size, "use a point for decimals"}},
		{"thousands groups of the wrong size", size, "12,34.5", decimal.NullDecimal{}, &fieldError{size, "commas only between groups of three"}},
		{"a trailing comma", size, "5,", decimal.NullDecimal{}, notNumber(size)},
		{"two points", size, "1.2.3", decimal.NullDecimal{}, notNumber(size)},
		{"a unit", size, "5 kg", decimal.NullDecimal{}, &fieldError{size, `not "5 kg"`}},
		{"a space between digits", size, "1 234", decimal.NullDecimal{}, notNumber(size)},
		{"a word", lat, "north", decimal.NullDecimal{}, notNumber(lat)},
		{"a sign alone", size, "-", decimal.NullDecimal{}, notNumber(size)},
		{"a point alone", size, ".", decimal.NullDecimal{}, notNumber(size)},
		{"two signs", size, "--5", decimal.NullDecimal{}, notNumber(size)},
		{"an exponent alone", size, "e5", decimal.NullDecimal{}, notNumber(size)},
		{"an exponent of three digits", size, "1e100", decimal.NullDecimal{}, notNumber(size)},
		{"an exponent that makes too long a number", size, "1e99", decimal.NullDecimal{}, notNumber(size)},
		{"an exponent with a comma", size, "1,5e3", decimal.NullDecimal{}, notNumber(size)},
		{"not a number", size, "NaN", decimal.NullDecimal{}, notNumber(size)},
		{"infinity", size, "Infinity", decimal.NullDecimal{}, notNumber(size)},
		{"digits of another script", size, "٣", decimal.NullDecimal{}, notNumber(size)},
		{"a very long number", size, strings.Repeat("9", 65), decimal.NullDecimal{}, notNumber(size)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			in, fe := parse(t, c.field, c.in)
			checkFieldError(t, c.err, fe)
			got := decimalOf(c.field, in)
			if got.Valid != c.want.Valid || !got.Decimal.Equal(c.want.Decimal) {
				t.Fatalf("Parse(%q) = %v, want %v", c.in, got, c.want)
			}
			if got.Valid {
				text := c.field.Format(&in)
				again, fe := parse(t, c.field, text)
				if back := decimalOf(c.field, again); fe != nil || !back.Decimal.Equal(got.Decimal) {
					t.Fatalf("formatted as %q, read back as %v (%v)", text, back, fe)
				}
			}
		})
	}
}

func TestParsePackageCount(t *testing.T) {
	t.Parallel()
	pc := connect.FieldPackageCount
	whole := &fieldError{pc, "must be a whole number like 3"}
	cases := []struct {
		name string
		in   string
		want int
		err  *fieldError
	}{
		{"an empty cell is no value", "", 0, nil},
		{"a whole number", "3", 3, nil},
		{"a whole number as a spreadsheet may show it", "3.0", 3, nil},
		{"zeros after the point", "12.000", 12, nil},
		{"thousands separators", "12,345.0", 12345, nil},
		{"a negative number, for the policy to refuse", "-2", -2, nil},
		{"zero, refused rather than read as no count given", "0", 0, &fieldError{pc, `must be a whole number of 1 or more, not "0"`}},
		{"zero as a spreadsheet may show it", "0.00", 0, &fieldError{pc, `not "0.00"`}},
		{"a large count, for the policy to refuse", "999999999", 999999999, nil},

		{"a fraction", "3.5", 0, &fieldError{pc, `not "3.5"`}},
		{"a word", "three", 0, whole},
		{"an ambiguous comma", "1,000", 0, whole},
		{"a number beyond any count", "99999999999", 0, &fieldError{pc, "far too large"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			in, fe := parse(t, pc, c.in)
			checkFieldError(t, c.err, fe)
			if in.PackageCount != c.want {
				t.Fatalf("Parse(%q) = %d, want %d", c.in, in.PackageCount, c.want)
			}
		})
	}
}

func TestParseStopTypeField(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in   string
		want connect.StopType
	}{
		{"", ""},
		{"Delivery", connect.Delivery},
		{"DELIVERY", connect.Delivery},
		{"deliver", connect.Delivery},
		{"drop", connect.Delivery},
		{"Drop-off", connect.Delivery},
		{"drop off", connect.Delivery},
		{"dropoff", connect.Delivery},
		{"D", connect.Delivery},
		{"d", connect.Delivery},
		{"Pickup", connect.Pickup},
		{"pick up", connect.Pickup},
		{"Pick-Up", connect.Pickup},
		{"pick_up", connect.Pickup},
		{"collection", connect.Pickup},
		{"Collect", connect.Pickup},
		{"P", connect.Pickup},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			t.Parallel()
			in, fe := parse(t, connect.FieldStopType, c.in)
			checkFieldError(t, nil, fe)
			if in.StopType != c.want {
				t.Fatalf("Parse(%q) = %q, want %q", c.in, in.StopType, c.want)
			}
		})
	}
	for _, bad := range []string{"return", "deliveries", "x", "pickup please", "DP"} {
		t.Run("refuses "+bad, func(t *testing.T) {
			t.Parallel()
			in, fe := parse(t, connect.FieldStopType, bad)
			checkFieldError(t, &fieldError{connect.FieldStopType, `must be "Delivery" or "Pickup" (or D, P), not "` + bad + `"`}, fe)
			if in.StopType != "" {
				t.Fatalf("Parse(%q) = %q, want none", bad, in.StopType)
			}
		})
	}
}

func TestParseErrorsQuoteLongCellsShortened(t *testing.T) {
	t.Parallel()
	_, fe := parse(t, connect.FieldStopType, strings.Repeat("é", 100))
	if fe == nil || strings.Count(fe.Reason, "é") != 40 || !strings.Contains(fe.Reason, "…") {
		t.Fatalf("reason %v should quote the first 40 characters and an ellipsis", fe)
	}
	if d := cmp.Diff(connect.FieldStopType, fe.Field); d != "" {
		t.Fatal(d)
	}
}
