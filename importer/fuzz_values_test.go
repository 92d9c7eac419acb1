package importer_test

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/importer"
	"github.com/google/go-cmp/cmp"
)

// Fuzz tests of the domain layer: the value parsers, the header mapping and the
// Source. Seed corpora are in testdata/fuzz.

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

// numberFields are the fields ParseDecimal reads.
var numberFields = []connect.Field{connect.FieldSize, connect.FieldLatitude, connect.FieldLongitude}

func FuzzParseDecimal(f *testing.F) {
	f.Fuzz(func(t *testing.T, which uint8, s string) {
		field := numberFields[int(which)%len(numberFields)]
		d, fe := importer.ParseDecimal(field, s)
		if fe != nil {
			checkProblem(t, field, fe)
			if d.Valid {
				t.Fatalf("ParseDecimal(%q) = %v and an error", s, d)
			}
			return
		}
		if d.Valid != (s != "") {
			t.Fatalf("ParseDecimal(%q) = %v: want a value for text, none for an empty cell", s, d)
		}
		if !d.Valid {
			return
		}
		text := importer.FormatDecimal(d)
		back, fe := importer.ParseDecimal(field, text)
		if fe != nil || !back.Valid || !back.Decimal.Equal(d.Decimal) {
			t.Fatalf("ParseDecimal(%q) = %s, which reads back as %v (%v)", s, text, back, fe)
		}
		if importer.FormatDecimal(back) != text {
			t.Fatalf("%q formats as %q, then as %q", s, text, importer.FormatDecimal(back))
		}
	})
}

func FuzzParseWholeNumber(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		n, fe := importer.ParseWholeNumber(connect.FieldPackageCount, s)
		if fe != nil {
			checkProblem(t, connect.FieldPackageCount, fe)
			return
		}
		if back, fe := importer.ParseWholeNumber(connect.FieldPackageCount, strconv.Itoa(n)); fe != nil || back != n {
			t.Fatalf("ParseWholeNumber(%q) = %d, which reads back as %d (%v)", s, n, back, fe)
		}
	})
}

func FuzzParseStopType(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		st, fe := importer.ParseStopType(s)
		if fe != nil {
			checkProblem(t, connect.FieldStopType, fe)
			return
		}
		switch st {
		case "":
			if s != "" {
				t.Fatalf("ParseStopType(%q) = no type and no error", s)
			}
		case connect.Delivery, connect.Pickup:
			if back, fe := importer.ParseStopType(string(st)); fe != nil || back != st {
				t.Fatalf("ParseStopType(%q) = %q, which reads back as %q (%v)", s, st, back, fe)
			}
		default:
			t.Fatalf("ParseStopType(%q) = %q", s, st)
		}
	})
}

func FuzzParseProducts(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		ps, fe := importer.ParseProducts(s)
		if fe != nil {
			checkProblem(t, connect.FieldProducts, fe)
			if ps != nil {
				t.Fatalf("ParseProducts(%q) = %v and an error", s, ps)
			}
			return
		}
		if (len(ps) > 0) != (s != "") {
			t.Fatalf("ParseProducts(%q) = %v: want products for text, none for an empty cell", s, ps)
		}
		for _, p := range ps {
			if p.Name == "" || p.Name != strings.TrimSpace(p.Name) || p.Quantity < 1 ||
				p.SKU != strings.TrimSpace(p.SKU) || strings.ContainsAny(p.Name, ";\r\n") {
				t.Fatalf("ParseProducts(%q) has a product %+v: want a trimmed name without separators and a quantity", s, p)
			}
		}
		text := importer.FormatProducts(ps)
		back, fe := importer.ParseProducts(text)
		if fe != nil {
			t.Fatalf("ParseProducts(%q) = %+v, formatted as %q, which does not read back: %s", s, ps, text, fe.Reason)
		}
		if d := cmp.Diff(ps, back); d != "" {
			t.Fatalf("ParseProducts(%q) formatted as %q reads back differently (-first +second):\n%s", s, text, d)
		}
	})
}

// fuzzFields are the targets a fuzzed override may name: every field, the client
// number, an unknown one, and "ignore".
var fuzzFields = append(connect.OrderFields(), connect.FieldClientNumber, "weight", "", "-")

func FuzzMapHeader(f *testing.F) {
	f.Fuzz(func(t *testing.T, header string, overrides []byte, clientNumbers bool) {
		cols := strings.Split(header, "\n")
		opts := importer.MappingOptions{ClientNumbers: clientNumbers, Override: map[string]connect.Field{},
			Policy: connect.RequireFields(connect.FieldZip, connect.FieldRef)}
		for i, b := range overrides {
			if i < len(cols) && b < 128 { // some columns overridden, others left to their name
				opts.Override[cols[i]] = fuzzFields[int(b)%len(fuzzFields)]
			}
		}
		m := importer.MapHeader(cols, opts)
		if d := cmp.Diff(cols, m.Header); d != "" {
			t.Fatalf("header (-want +got):\n%s", d)
		}
		// Every column is mapped or ignored, once, in column order.
		seen := make([]int, len(cols))
		last := -1
		fields := map[connect.Field]bool{}
		for _, c := range m.Mapped {
			if c.Index <= last || c.Header != cols[c.Index] {
				t.Fatalf("mapped %+v out of order or with the wrong header", m.Mapped)
			}
			last = c.Index
			seen[c.Index]++
			if fields[c.Field] {
				t.Fatalf("field %s mapped twice: %+v", c.Field, m.Mapped)
			}
			fields[c.Field] = true
			if !c.Field.Valid() && (c.Field != connect.FieldClientNumber || !clientNumbers) {
				t.Fatalf("column %q mapped to %q", c.Header, c.Field)
			}
			if m.Column(c.Field) != c.Header {
				t.Fatalf("Column(%s) = %q, want %q", c.Field, m.Column(c.Field), c.Header)
			}
		}
		last = -1
		for _, c := range m.Ignored {
			if c.Index <= last || c.Header != cols[c.Index] || c.Reason == "" {
				t.Fatalf("ignored %+v out of order, with the wrong header or no reason", m.Ignored)
			}
			last = c.Index
			seen[c.Index]++
		}
		for i, n := range seen {
			if n != 1 {
				t.Fatalf("column %d is mapped or ignored %d times", i, n)
			}
		}
		for _, f := range m.Missing {
			if fields[f] || (f != connect.FieldClientNumber && !opts.Policy.Requires(f)) {
				t.Fatalf("missing %v: %s is mapped or not required", m.Missing, f)
			}
		}
		for _, f := range opts.Policy.Required() {
			if !fields[f] && m.Column(f) == "" && !containsField(m.Missing, f) {
				t.Fatalf("required %s has no column and is not missing: %+v", f, m)
			}
		}
		// Its Overrides map the same columns the same way.
		again := importer.MapHeader(cols, importer.MappingOptions{Override: m.Overrides(), Policy: opts.Policy, ClientNumbers: clientNumbers})
		if d := cmp.Diff(fieldsByColumn(m), fieldsByColumn(again)); d != "" {
			t.Fatalf("mapped again with %v (-first +again):\n%s", m.Overrides(), d)
		}
		// It survives JSON.
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		var back importer.Mapping
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if utf8.ValidString(header) {
			if d := cmp.Diff(m, &back); d != "" {
				t.Fatalf("read back from JSON (-want +got):\n%s", d)
			}
		}
	})
}

func containsField(fs []connect.Field, f connect.Field) bool {
	for _, g := range fs {
		if g == f {
			return true
		}
	}
	return false
}

// FuzzSource reads a fuzzed row under the help article's header: whatever the cells,
// a row comes back with its cells, and each problem names a mapped field.
func FuzzSource(f *testing.F) {
	header := strings.Join(helpArticleHeader, ",") + "\n"
	f.Fuzz(func(t *testing.T, rows string) {
		data := []byte(header + rows)
		src, err := importer.OpenSource(bytes.NewReader(data), int64(len(data)), "", importer.SourceOptions{Options: importer.Options{Limits: fuzzLimits}})
		if err != nil {
			checkInvalid(t, err)
			return
		}
		defer src.Close()
		for {
			r, err := src.Next(t.Context())
			if err != nil {
				return // io.EOF, or the sheet's error, which FuzzReadCSV checks
			}
			if r.Number < 2 || len(r.Cells) == 0 {
				t.Fatalf("row %+v", r)
			}
			for _, p := range r.Problems {
				if src.Column(p.Field) == "" || p.Reason == "" {
					t.Fatalf("row %d has a problem %+v of no column", r.Number, p)
				}
			}
		}
	})
}
