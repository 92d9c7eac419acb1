package portal_test

import (
	"archive/zip"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/disk"
	"github.com/dispatchkit/connect/portal"
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

	// The client's systems get the same ZIP through the API.
	req, _ := http.NewRequest(http.MethodGet, e.base+"/api/v1/proofs.zip", nil)
	req.Header.Set("Authorization", "Bearer "+e.apiKey(tm))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	apiZip, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("the API's export: %d %v", res.StatusCode, err)
	}
	if apiNames, _ := unzip(t, string(apiZip)); !cmp.Equal(apiNames, want) {
		t.Fatalf("the API's entries: %q", apiNames)
	}

	d := e.dispatcher()
	if names, _ := unzip(t, d.get("/dispatch/clients/"+string(tm.client.ID)+"/proofs.zip").is(t, http.StatusOK).body); len(names) != 4 {
		t.Fatalf("the dispatcher's entries: %q", names)
	}
}

// exportTo posts the orders page's export form and returns the job's path
// (/imports/<id>) once its progress stream says it is done.
func exportTo(t *testing.T, b *browser, form url.Values) string {
	t.Helper()
	r := b.post("/orders/proofs", form).is(t, http.StatusSeeOther)
	job := strings.TrimSuffix(r.header.Get("Location"), "/progress")
	if job == r.header.Get("Location") {
		t.Fatalf("redirected to %q; want a progress page", job)
	}
	b.waitImport(job)
	return job
}

// The orders page's export runs in the background: a progress page, then a
// result page whose ZIP, made while the member waited, holds what the
// streamed export holds; the ZIP is its member's only.
func TestTheProofExportIsMadeInTheBackground(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tm := e.signUp("Green Grocer", uploads)
	for i, st := range []connect.Status{connect.StatusDelivered, connect.StatusFailed, connect.StatusSubmitted} {
		e.w.OrderFrom(tm.owner, st, connect.OrderInput{Ref: fmt.Sprintf("B-%d", i+1), Address: connect.Address{Line1: "1 Main St"}})
	}
	b := e.signedIn(tm.email)
	b.get("/orders?view=completed").is(t, http.StatusOK).has(t, `id="proofs-export"`, `action="/orders/proofs"`)

	job := exportTo(t, b, url.Values{})
	b.get(job+"/progress").is(t, http.StatusSeeOther) // finished: on to the result
	res := b.get(job+"/result").is(t, http.StatusOK).has(t, `id="export-ready"`, "2 proofs of delivery", `href="`+job+`/export.zip"`)
	res.lacks(t, `id="export-cut"`)
	zipped := b.get(job+"/export.zip").is(t, http.StatusOK)
	if ct := zipped.header.Get("Content-Type"); ct != "application/zip" || zipped.header.Get("Content-Length") != strconv.Itoa(len(zipped.body)) {
		t.Fatalf("Content-Type %q, Content-Length %q of %d bytes", ct, zipped.header.Get("Content-Length"), len(zipped.body))
	}
	names, _ := unzip(t, zipped.body)
	streamed, _ := unzip(t, b.get("/orders/proofs.zip").is(t, http.StatusOK).body)
	if d := cmp.Diff(streamed, names); d != "" || len(names) != 3 {
		t.Fatalf("the background ZIP's entries against the streamed one's (-streamed +background):\n%s", d)
	}

	// The documents are in the reader's language, made after the request ended.
	french := b.do(http.MethodPost, "/orders/proofs", strings.NewReader(""), "application/x-www-form-urlencoded",
		http.Header{"Accept-Language": {"fr-FR,fr;q=0.9"}}).is(t, http.StatusSeeOther)
	frJob := strings.TrimSuffix(french.header.Get("Location"), "/progress")
	b.waitImport(frJob)
	if _, frFiles := unzip(t, b.get(frJob+"/export.zip").is(t, http.StatusOK).body); !strings.Contains(frFiles["proof-of-delivery-B-1.pdf"], "written in fr") {
		t.Fatalf("the French export's proof: %q", frFiles["proof-of-delivery-B-1.pdf"])
	}

	// A range of days with none: a ZIP with its summary only, said so.
	empty := exportTo(t, b, url.Values{"from": {"2000-01-01"}, "to": {"2000-01-31"}})
	b.get(empty+"/result").is(t, http.StatusOK).has(t, `id="export-empty"`, "1 Jan 2000 to 31 Jan 2000")
	if names, _ := unzip(t, b.get(empty+"/export.zip").is(t, http.StatusOK).body); !slices.Equal(names, []string{"summary.csv"}) {
		t.Fatalf("an empty range's entries: %q", names)
	}
	// A bad day is refused before any job starts.
	b.post("/orders/proofs", url.Values{"from": {"yesterday"}}).is(t, http.StatusUnprocessableEntity)

	// Another member of the team may not take it; neither may another client.
	_, mate := e.addMember(tm, connect.RoleMember)
	e.signedIn(mate).get(job+"/export.zip").is(t, http.StatusNotFound)
	other := e.signUp("Blue Bakery", uploads)
	e.signedIn(other.email).get(job+"/export.zip").is(t, http.StatusNotFound)
}

// failingExports is Blobs whose exports' puts fail after reading a little of
// them: what a bucket that goes away mid-upload does.
type failingExports struct{ connect.Blobs }

func (f failingExports) PutBlob(ctx context.Context, key string, r io.Reader) (int64, error) {
	if strings.HasSuffix(key, "/export") {
		if _, err := io.CopyN(io.Discard, r, 10); err != nil {
			return 0, err
		}
		return 0, connect.Errorf(connect.Unavailable, "the bucket went away")
	}
	return f.Blobs.PutBlob(ctx, key, r)
}

// An export whose file cannot be stored ends with the reason on its result
// page, and no file to download.
func TestAProofExportThatCannotBeStoredSaysWhy(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *portal.Config) {
		d, err := disk.New(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		c.Blobs = failingExports{d}
	})
	tm := e.signUp("Green Grocer", uploads)
	e.w.OrderFrom(tm.owner, connect.StatusDelivered, connect.OrderInput{Ref: "B-1", Address: connect.Address{Line1: "1 Main St"}})
	b := e.signedIn(tm.email)
	job := exportTo(t, b, url.Values{})
	b.get(job+"/result").is(t, http.StatusServiceUnavailable).has(t, "the bucket went away")
	b.get(job+"/export.zip").is(t, http.StatusNotFound)
}
