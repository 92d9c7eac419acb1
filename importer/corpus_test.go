package importer_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dispatchkit/connect"
	"github.com/google/go-cmp/cmp"
)

var updateCorpus = flag.Bool("update-corpus", false, "write testdata/corpus from its builders")

const corpusDir = "testdata/corpus"

// allCorpusFiles are the CSV files and the workbooks of the corpus.
func allCorpusFiles() []corpusFile { return append(corpusFiles(), xlsxCorpus()...) }

// TestCorpusFilesAreTheirBuilders checks that each file of the corpus, and the
// imports beside it, are what the builders make, so that the committed files
// and their expectations cannot drift from the code that says how they were made.
// With -update-corpus it writes them.
func TestCorpusFilesAreTheirBuilders(t *testing.T) {
	t.Parallel()
	if *updateCorpus {
		if err := os.MkdirAll(corpusDir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range allCorpusFiles() {
		data := f.build(t)
		want, err := json.MarshalIndent(f.runs, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, '\n')
		path := filepath.Join(corpusDir, f.name)
		if *updateCorpus {
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path+".want.json", want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("%s is not what its builder makes (%v); run go test -run TestCorpusFilesAreTheirBuilders -update-corpus", f.name, err)
		}
		got, err = os.ReadFile(path + ".want.json")
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s.want.json is not its builder's runs (%v); run with -update-corpus", f.name, err)
		}
	}
}

// TestCorpus imports every file of the corpus as each of its runs says, into a
// client of the core (on SQLite, or PostgreSQL with CONNECT_TEST_STORE=postgres),
// and compares every field of every stored order with the orders as the client
// typed them, every refused row (sheet, row, column, reason) and every warning.
func TestCorpus(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join(corpusDir, "*.want.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus in %s: %v", corpusDir, err)
	}
	for _, wantFile := range files {
		name := strings.TrimSuffix(filepath.Base(wantFile), ".want.json")
		var runs []corpusRun
		raw, err := os.ReadFile(wantFile)
		if err == nil {
			err = json.Unmarshal(raw, &runs)
		}
		if err != nil {
			t.Fatalf("%s: %v", wantFile, err)
		}
		data, err := os.ReadFile(filepath.Join(corpusDir, name))
		if err != nil {
			t.Fatal(err)
		}
		for _, run := range runs {
			t.Run(name+"/"+run.Name, func(t *testing.T) {
				t.Parallel()
				p := newPortal(t, connect.ClientSettings{AllowUpload: true, RequiredFields: connect.RequireFields(run.Require...)})
				res, err := p.svc.Import(t.Context(), p.owner, p.source(data, name), connect.ImportOptions{
					Sheets: run.Sheets, SkipHiddenRows: run.SkipHiddenRows})
				if run.Error != "" {
					if err == nil || !strings.Contains(err.Error(), run.Error) {
						t.Fatalf("import: %v, want an error saying %q", err, run.Error)
					}
					if n := len(p.drafts()); n != 0 {
						t.Fatalf("%d drafts stored from a file refused whole", n)
					}
					return
				}
				if err != nil {
					t.Fatalf("import: %v", err)
				}
				if d := cmp.Diff(sortedOrders(run.Orders), sortedOrders(storedOrders(p.drafts()))); d != "" {
					t.Errorf("orders (-typed +stored):\n%s", d)
				}
				if d := cmp.Diff(run.Refused, fieldErrors(res.Errors)); d != "" {
					t.Errorf("refused (-want +got):\n%s", d)
				}
				if d := cmp.Diff(run.Warnings, fieldErrors(res.Warnings)); d != "" {
					t.Errorf("warnings (-want +got):\n%s", d)
				}
				if res.Imported != len(run.Orders) || res.Read != res.Imported+res.Refused {
					t.Errorf("read %d, imported %d, refused %d", res.Read, res.Imported, res.Refused)
				}
			})
		}
	}
}

// storedOrders writes each order as the typed orders are: each field as the
// order-field table formats it, empty fields and the default stop type left out.
func storedOrders(ins []connect.OrderInput) []map[connect.Field]string {
	out := make([]map[connect.Field]string, 0, len(ins))
	for _, in := range ins {
		m := map[connect.Field]string{}
		for _, f := range connect.OrderFields() {
			if v := f.Format(&in); v != "" {
				m[f] = v
			}
		}
		if m[connect.FieldStopType] == string(connect.Delivery) {
			delete(m, connect.FieldStopType)
		}
		out = append(out, m)
	}
	return out
}

func sortedOrders(orders []map[connect.Field]string) []map[connect.Field]string {
	out := slices.Clone(orders)
	slices.SortStableFunc(out, func(a, b map[connect.Field]string) int {
		return strings.Compare(a[connect.FieldRef], b[connect.FieldRef])
	})
	if len(out) == 0 {
		return nil
	}
	return out
}

func fieldErrors(errs []connect.FieldError) []string {
	var out []string
	for _, e := range errs {
		out = append(out, e.String())
	}
	return out
}
