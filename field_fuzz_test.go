package connect_test

import (
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/dispatchkit/connect"
	"github.com/google/go-cmp/cmp"
)

// Fuzz tests of the order-field table's parsers: whatever the text, Parse reads a
// value or names the field and says why not, and what Format writes reads back as
// the same value. Seed corpora are in testdata/fuzz.

// checkProblem fails the test unless fe is a parser's error for field f: that field,
// a reason, and no row or column.
func checkProblem(t *testing.T, f connect.Field, fe *connect.FieldError) {
	t.Helper()
	if fe.Field != f || fe.Reason == "" || fe.Row != 0 || fe.Column != "" {
		t.Fatalf("error %+v, want a reason for field %s and no row or column", fe, f)
	}
	if !utf8.ValidString(fe.Reason) {
		t.Fatalf("reason %q is not UTF-8", fe.Reason)
	}
}

// numberFields are the fields whose values are decimals.
var numberFields = []connect.Field{connect.FieldSize, connect.FieldLatitude, connect.FieldLongitude}

func FuzzParseDecimal(f *testing.F) {
	f.Fuzz(func(t *testing.T, which uint8, s string) {
		field := numberFields[int(which)%len(numberFields)]
		in, fe := parse(t, field, s)
		d := decimalOf(field, in)
		if fe != nil {
			checkProblem(t, field, fe)
			if d.Valid {
				t.Fatalf("Parse(%q) = %v and an error", s, d)
			}
			return
		}
		if d.Valid != (strings.TrimSpace(s) != "") {
			t.Fatalf("Parse(%q) = %v: want a value for text, none for an empty cell", s, d)
		}
		if !d.Valid {
			return
		}
		text := field.Format(&in)
		again, fe := parse(t, field, text)
		back := decimalOf(field, again)
		if fe != nil || !back.Valid || !back.Decimal.Equal(d.Decimal) {
			t.Fatalf("Parse(%q) = %s, which reads back as %v (%v)", s, text, back, fe)
		}
		if field.Format(&again) != text {
			t.Fatalf("%q formats as %q, then as %q", s, text, field.Format(&again))
		}
	})
}

func FuzzParseWholeNumber(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		in, fe := parse(t, connect.FieldPackageCount, s)
		if fe != nil {
			checkProblem(t, connect.FieldPackageCount, fe)
			return
		}
		n := in.PackageCount
		if n == 0 {
			// No count: only from an empty cell, as "0" is refused.
			if strings.TrimSpace(s) != "" {
				t.Fatalf("Parse(%q) = 0 without a problem", s)
			}
			return
		}
		if back, fe := parse(t, connect.FieldPackageCount, strconv.Itoa(n)); fe != nil || back.PackageCount != n {
			t.Fatalf("Parse(%q) = %d, which reads back as %d (%v)", s, n, back.PackageCount, fe)
		}
		if back, fe := parse(t, connect.FieldPackageCount, connect.FieldPackageCount.Format(&in)); fe != nil || back.PackageCount != n {
			t.Fatalf("Parse(%q) = %d, formatted as %q, which reads back as %d (%v)", s, n,
				connect.FieldPackageCount.Format(&in), back.PackageCount, fe)
		}
	})
}

func FuzzParseStopType(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		in, fe := parse(t, connect.FieldStopType, s)
		if fe != nil {
			checkProblem(t, connect.FieldStopType, fe)
			return
		}
		switch st := in.StopType; st {
		case "":
			if strings.TrimSpace(s) != "" {
				t.Fatalf("Parse(%q) = no type and no error", s)
			}
		case connect.Delivery, connect.Pickup:
			if back, fe := parse(t, connect.FieldStopType, connect.FieldStopType.Format(&in)); fe != nil || back.StopType != st {
				t.Fatalf("Parse(%q) = %q, which reads back as %q (%v)", s, st, back.StopType, fe)
			}
		default:
			t.Fatalf("Parse(%q) = %q", s, st)
		}
	})
}

func FuzzParseProducts(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		in, fe := parse(t, connect.FieldProducts, s)
		ps := in.Products
		if fe != nil {
			checkProblem(t, connect.FieldProducts, fe)
			if ps != nil {
				t.Fatalf("Parse(%q) = %v and an error", s, ps)
			}
			return
		}
		if (len(ps) > 0) != (strings.TrimSpace(s) != "") {
			t.Fatalf("Parse(%q) = %v: want products for text, none for an empty cell", s, ps)
		}
		for _, p := range ps {
			if p.Name == "" || p.Name != strings.TrimSpace(p.Name) || p.Quantity < 1 ||
				p.SKU != strings.TrimSpace(p.SKU) || strings.ContainsAny(p.Name, ";\r\n") {
				t.Fatalf("Parse(%q) has a product %+v: want a trimmed name without separators and a quantity", s, p)
			}
		}
		text := connect.FormatProducts(ps)
		back, fe := parse(t, connect.FieldProducts, text)
		if fe != nil {
			t.Fatalf("Parse(%q) = %+v, formatted as %q, which does not read back: %s", s, ps, text, fe.Reason)
		}
		if d := cmp.Diff(ps, back.Products); d != "" {
			t.Fatalf("Parse(%q) formatted as %q reads back differently (-first +second):\n%s", s, text, d)
		}
	})
}
