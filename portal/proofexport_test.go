package portal_test

import (
	"archive/zip"
	"encoding/csv"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dispatchkit/connect"
)

// unzip returns the entries of a ZIP by name, in the archive's order.
func unzip(t *testing.T, body string) (names []string, files map[string]string) {
	t.Helper()
	zr, err := zip.NewReader(strings.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatalf("not a ZIP: %v", err)
	}
	files = map[string]string{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, f.Name)
		files[f.Name] = string(b)
	}
	return names, files
}

// The bulk proof export is a ZIP of the proofs of the delivered and failed
// orders (newest first) with summary.csv; a range of days and a selection
// narrow it; the dispatcher exports a client's.
func TestProofExportIsAZipOfProofsWithASummary(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tm := e.signUp("Green Grocer", uploads)
	mk := func(s connect.Status, ref string) *connect.Order {
		return e.w.OrderFrom(tm.owner, s, connect.OrderInput{Ref: ref, Address: connect.Address{Line1: "1 Main St"},
			Recipient: connect.Recipient{Name: "Rita"}})
	}
	d1 := mk(connect.StatusDelivered, "Z-1")
	f1 := mk(connect.StatusFailed, "Z-2")
	mk(connect.StatusSubmitted, "Z-3")
	d2 := mk(connect.StatusDelivered, "Z-4")
	b := e.signedIn(tm.email)
	b.get("/orders?view=completed").is(t, http.StatusOK).has(t, `id="proofs-zip"`)

	r := b.get("/orders/proofs.zip").is(t, http.StatusOK)
	if ct := r.header.Get("Content-Type"); ct != "application/zip" {
		t.Fatalf("Content-Type %q", ct)
	}
	names, files := unzip(t, r.body)
	want := []string{"proof-of-delivery-Z-4.pdf", "proof-of-delivery-Z-2.pdf", "proof-of-delivery-Z-1.pdf", "summary.csv"}
	if d := cmp.Diff(want, names); d != "" {
		t.Fatalf("entries (-want +got):\n%s", d)
	}
	if got := files["proof-of-delivery-Z-2.pdf"]; !strings.HasPrefix(got, "proof of Z-2 by Connect in UTC, tracked false") {
		t.Fatalf("Z-2's proof: %q", got)
	}
	rows, err := csv.NewReader(strings.NewReader(files["summary.csv"])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, row := range rows[1:] {
		ids = append(ids, row[2])
	}
	if !slices.Equal(ids, []string{string(d2.ID), string(f1.ID), string(d1.ID)}) || rows[2][3] != "failed" || rows[2][7] != "nobody home" {
		t.Fatalf("summary:\n%s", files["summary.csv"])
	}

	// A selection, and a range of days that holds none of them.
	sel := b.get("/orders/proofs.zip?"+url.Values{"id": {string(d1.ID)}}.Encode()).is(t, http.StatusOK)
	if names, _ := unzip(t, sel.body); !slices.Equal(names, []string{"proof-of-delivery-Z-1.pdf", "summary.csv"}) {
		t.Fatalf("selection's entries: %q", names)
	}
	old := b.get("/orders/proofs.zip?from=2000-01-01&to=2000-01-31").is(t, http.StatusOK)
	if names, _ := unzip(t, old.body); !slices.Equal(names, []string{"summary.csv"}) {
		t.Fatalf("an empty range's entries: %q", names)
	}
	today := time.Now().UTC().Format("2006-01-02")
	if names, _ := unzip(t, b.get("/orders/proofs.zip?from="+today+"&to="+today).is(t, http.StatusOK).body); len(names) != 4 {
		t.Fatalf("today's entries: %q", names)
	}
	b.get("/orders/proofs.zip?from=yesterday").is(t, http.StatusUnprocessableEntity)

	d := e.dispatcher()
	if names, _ := unzip(t, d.get("/dispatch/clients/"+string(tm.client.ID)+"/proofs.zip").is(t, http.StatusOK).body); len(names) != 4 {
		t.Fatalf("the dispatcher's entries: %q", names)
	}
}
