package importer_test

import (
	"bytes"
	"testing"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/importer"
	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"
)

// carriedByEveryExample is the policy that requires every field all the template's
// examples fill in.
func carriedByEveryExample() connect.RequiredFieldPolicy {
	var fields []connect.Field
	for _, f := range connect.OrderFields() {
		all := true
		for _, ex := range importer.TemplateExamples {
			all = all && filled(ex, f)
		}
		if all {
			fields = append(fields, f)
		}
	}
	return connect.RequireFields(fields...)
}

// filled reports whether in has a value for f: what the policy asks of it.
func filled(in connect.OrderInput, f connect.Field) bool {
	for _, e := range connect.RequireFields(f).Check(in) {
		if e.Field == f {
			return false
		}
	}
	return true
}

func TestTemplateRoundTrips(t *testing.T) {
	t.Parallel()
	policy := carriedByEveryExample()
	if len(policy.Fields) < 10 {
		t.Fatalf("the examples share only %v: the test would prove little", policy.Fields)
	}
	for _, c := range []struct {
		name  string
		write func(*bytes.Buffer) error
	}{
		{"XLSX", func(b *bytes.Buffer) error { return importer.WriteTemplateXLSX(b, policy) }},
		{"CSV", func(b *bytes.Buffer) error { return importer.WriteTemplateCSV(b, policy) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			must(t, c.write(&buf))
			src := openSource(t, buf.Bytes(), "", importer.SourceOptions{Mapping: importer.MappingOptions{Policy: policy}})
			m := src.Mapping()
			if len(m.Ignored) > 0 || len(m.Missing) > 0 {
				t.Fatalf("ignored %+v, missing %v: want every column mapped", m.Ignored, m.Missing)
			}
			var fields, labels []string
			for i, f := range connect.OrderFields() {
				labels = append(labels, f.Label())
				if m.Mapped[i].Index == i {
					fields = append(fields, string(m.Mapped[i].Field))
				}
			}
			if d := cmp.Diff(labels, src.Header()); d != "" {
				t.Fatalf("header (-want +got):\n%s", d)
			}
			var want []string
			for _, f := range connect.OrderFields() {
				want = append(want, string(f))
			}
			if d := cmp.Diff(want, fields); d != "" {
				t.Fatalf("columns mapped (-want +got):\n%s", d)
			}
			rows := sourceRows(t, src)
			var got []connect.OrderInput
			for _, r := range rows {
				if len(r.Problems) > 0 {
					t.Fatalf("row %d has problems %+v", r.Number, r.Problems)
				}
				if errs := policy.Check(r.Input); len(errs) > 0 {
					t.Fatalf("row %d is refused by the policy: %+v", r.Number, errs)
				}
				got = append(got, r.Input)
			}
			if d := cmp.Diff(importer.TemplateExamples, got, equalDecimals); d != "" {
				t.Fatalf("examples read back (-want +got):\n%s", d)
			}
		})
	}
}

func TestTemplateXLSXHasAGlossaryForThePolicyAndNumbersAsNumbers(t *testing.T) {
	t.Parallel()
	policy := connect.RequireFields(connect.FieldZip, connect.FieldRef)
	var buf bytes.Buffer
	must(t, importer.WriteTemplateXLSX(&buf, policy))
	f, err := excelize.OpenReader(&buf)
	must(t, err)
	defer f.Close()
	if d := cmp.Diff([]string{importer.TemplateSheet, importer.GlossarySheet}, f.GetSheetList()); d != "" {
		t.Fatalf("sheets (-want +got):\n%s", d)
	}
	rows, err := f.GetRows(importer.GlossarySheet)
	must(t, err)
	if d := cmp.Diff([]string{"Column", "What it is", "Format and example", "Required"}, rows[0]); d != "" {
		t.Fatalf("glossary header (-want +got):\n%s", d)
	}
	fields := connect.OrderFields()
	if len(rows) != len(fields)+1 {
		t.Fatalf("glossary has %d rows, want one per field", len(rows)-1)
	}
	for i, f := range fields {
		r := rows[i+1]
		want := "Optional"
		if policy.Requires(f) {
			want = "Required"
		}
		if len(r) != 4 || r[0] != f.Label() || r[1] == "" || r[2] == "" || r[3] != want {
			t.Errorf("glossary row for %s: %q, want its label, a description, a format and %q", f, r, want)
		}
	}
	// Size, package count and coordinates are numbers, not text.
	for _, cell := range []string{"I2", "O2", "Q4", "R4"} {
		typ, err := f.GetCellType(importer.TemplateSheet, cell)
		must(t, err)
		if typ != excelize.CellTypeNumber && typ != excelize.CellTypeUnset {
			t.Errorf("cell %s has type %v, want a number", cell, typ)
		}
		v, err := f.GetCellValue(importer.TemplateSheet, cell, excelize.Options{RawCellValue: true})
		must(t, err)
		if err := connect.FieldSize.Parse(&connect.OrderInput{}, v); err != nil || v == "" {
			t.Errorf("cell %s holds %q, want a number", cell, v)
		}
	}
}
