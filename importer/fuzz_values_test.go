package importer_test

import (
	"bytes"
	"encoding/json"
	"io"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/importer"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
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
			switch {
			case i >= len(cols):
			case b < 128: // some columns overridden, others left to their name
				opts.Override[cols[i]] = fuzzFields[int(b)%len(fuzzFields)]
			case b >= 192: // others hidden
				for len(opts.Hidden) <= i {
					opts.Hidden = append(opts.Hidden, false)
				}
				opts.Hidden[i] = true
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
		// Each ambiguity names candidates and the column chosen, which holds the
		// field; a hidden column is chosen only when no visible one could be.
		for _, a := range m.Ambiguous {
			if len(a.Columns) == 0 || a.Chosen >= 0 && !slices.Contains(a.Columns, a.Chosen) {
				t.Fatalf("ambiguity %+v", a)
			}
			if a.Chosen >= 0 && fieldsByColumn(m)[a.Chosen] != a.Field {
				t.Fatalf("ambiguity %+v: the chosen column does not hold the field", a)
			}
		}
		for _, c := range m.Mapped {
			if !c.Hidden || c.Override {
				continue
			}
			for _, i := range m.Ignored {
				if i.Field == c.Field && i.Reason == importer.IgnoredHidden {
					t.Fatalf("hidden %+v mapped over %+v", c, i)
				}
				if i.Field == c.Field && !i.Hidden && i.Reason == importer.IgnoredDuplicate {
					t.Fatalf("hidden %+v mapped over the visible %+v", c, i)
				}
			}
		}
		// Its Overrides map the same columns the same way. Overrides are keyed by
		// the header's text: columns whose headers read the same once trimmed
		// ("Notes" twice, " " and "") map as the first of them did, the others
		// being its duplicates.
		again := importer.MapHeader(cols, importer.MappingOptions{Override: m.Overrides(), Policy: opts.Policy,
			ClientNumbers: clientNumbers, Hidden: opts.Hidden})
		mapped := fieldsByColumn(m)
		want := make([]connect.Field, len(cols))
		first := map[string]int{} // header text → its first column
		for i, h := range cols {
			h = strings.TrimSpace(h)
			j, seen := first[h]
			switch {
			case !seen:
				first[h], want[i] = i, mapped[i]
			case want[j] == "" && mapped[i] != "" && !slices.Contains(want, mapped[i]):
				want[j] = mapped[i] // the first column of the text that was mapped gives the text's field
			}
		}
		if d := cmp.Diff(want, fieldsByColumn(again)); d != "" {
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

// FuzzFindHeader reads fuzzed CSV text as a Source: whatever the rows, the header
// is the row among the first 20 non-blank ones that maps best (the first of the
// best), the rows above it are the ones skipped, and the Source's rows are the
// ones below it.
func FuzzFindHeader(f *testing.F) {
	for _, seed := range []string{
		"Orders for week 49\n\nId,Address,City\nA-1,1 Main St,Bern\n",
		"sep=;\nTitle;;\nAddress;Zip\n1 Main St;3000\n",
		"Address\nAddress,City,Zip\n1 Main St,Bern,3000\n",
		"Name,Phone (old),Phone\nAnn,1,2\n",
		"a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\nl\nm\nn\no\np\nq\nr\ns\nt\nId,Address\nx,y\n",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		data := []byte(text)
		opts := importer.Options{Limits: fuzzLimits}
		src, err := importer.OpenSource(bytes.NewReader(data), int64(len(data)), "", importer.SourceOptions{Options: opts, ReadAhead: -1})
		if err != nil {
			checkInvalid(t, err)
			return
		}
		defer src.Close()
		sheet, err := importer.ReadCSV(bytes.NewReader(data), opts)
		if err != nil {
			t.Fatalf("the Source opened what ReadCSV refuses: %v", err)
		}
		rows := []importer.Row{sheet.Header()}
		for len(rows) < 20 {
			r, err := sheet.Next()
			if err != nil {
				break
			}
			rows = append(rows, r)
		}
		l := src.Layout()
		at := -1
		for i, r := range rows {
			if r.Number == l.HeaderRow {
				at = i
			}
		}
		if at < 0 {
			t.Fatalf("header row %d is not one of the first 20: %+v", l.HeaderRow, rows)
		}
		if d := cmp.Diff(rows[at].Cells, src.Header()); d != "" {
			t.Fatalf("header (-row +Header):\n%s", d)
		}
		if d := cmp.Diff(rows[:at], l.Skipped, cmpopts.EquateEmpty()); d != "" {
			t.Fatalf("skipped (-want +got):\n%s", d)
		}
		score := func(r importer.Row) int {
			return importer.HeaderScore(importer.MapHeader(r.Cells, importer.MappingOptions{}))
		}
		best := score(rows[at])
		for i, r := range rows {
			if s := score(r); s > best || i < at && s == best {
				t.Fatalf("row %d maps %d columns, the header (row %d) %d", r.Number, s, l.HeaderRow, best)
			}
		}
		for {
			r, err := src.Next(t.Context())
			if err == io.EOF {
				break
			}
			if err != nil {
				return
			}
			if r.Number <= l.HeaderRow {
				t.Fatalf("row %d read, above the header (row %d)", r.Number, l.HeaderRow)
			}
		}
	})
}
