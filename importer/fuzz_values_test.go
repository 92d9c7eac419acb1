package importer_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/importer"
	"github.com/google/go-cmp/cmp"
)

// Fuzz tests of the domain layer: the header mapping and the Source (the value
// parsers are connect's order-field table's, fuzzed there). Seed corpora are in
// testdata/fuzz.

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
