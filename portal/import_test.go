package portal_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/internal/pgtest"
	"github.com/dispatchkit/connect/portal"
)

func TestImportASpreadsheetStepByStep(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tm := e.signUp("Green Grocer", connect.ClientSettings{AllowUpload: true, RequiredFields: connect.RequireFields(connect.FieldRecipientName)})
	b := e.signedIn(tm.email)
	b.get("/imports/new").is(t, http.StatusOK)

	// Upload: the mapping is shown, with a sample of each column.
	body, ct := multipartFile(t, "orders.csv", ordersCSV, nil)
	r := b.do(http.MethodPost, "/imports", body, ct, nil)
	r.is(t, http.StatusSeeOther)
	loc := r.header.Get("Location")
	mapping := b.follow(r).is(t, http.StatusOK)
	mapping.has(t, "orders.csv", "Colour", "Springfield", `name="col_5"`, `<option value="" selected>Ignore (unknown)`)

	// Correct the mapping: Colour holds the notes.
	r = b.post(loc+"/mapping", url.Values{"col_0": {"id"}, "col_1": {"address_line_1"}, "col_2": {"city"},
		"col_3": {"recipient_name"}, "col_4": {"package_count"}, "col_5": {"notes"}})
	preview := b.follow(r).is(t, http.StatusOK)
	preview.has(t, `id="rows-read">4<`, `id="rows-valid">2<`, `id="rows-refused">2<`,
		"<td>3</td><td>Address Line 1</td><td>Address Line 1 is required</td>",
		"<td>4</td><td>Package Count</td><td>Package Count must be a whole number like 3",
		"Import 2 orders as drafts")

	// The refused rows can be downloaded before importing.
	refused := b.get(loc+"/refused.csv").is(t, http.StatusOK)
	refused.has(t, "S-2", "S-3", "Error").lacks(t, "S-1")

	// Import: a progress page, then the result.
	r = b.post(loc+"/run", url.Values{"remember": {"1"}})
	if got := r.header.Get("Location"); got != loc+"/progress" {
		t.Fatalf("run redirected to %q", got)
	}
	b.waitImport(loc)
	var st map[string]any
	if err := json.Unmarshal([]byte(b.get(loc+"/status").is(t, http.StatusOK).body), &st); err != nil {
		t.Fatal(err)
	}
	if st["finished"] != true || st["stored"] != float64(2) || st["result"] != loc+"/result" {
		t.Fatalf("status %v", st)
	}
	b.follow(b.get(loc+"/progress")).is(t, http.StatusOK).
		has(t, "Draft orders successfully imported: 2.", `id="refused-count">2<`, "Download the refused rows")
	b.get(loc+"/refused.csv").is(t, http.StatusOK).has(t, "S-2", "S-3")
	// Running it again does not import twice.
	b.post(loc+"/run", url.Values{}).is(t, http.StatusSeeOther)

	drafts := b.get("/orders?view=drafts").is(t, http.StatusOK)
	drafts.has(t, "S-1", "S-4").lacks(t, "S-2", "S-3")
	o, err := e.svc.Orders(e.ctx, tm.owner, connect.ListOrdersParams{View: connect.ViewDrafts})
	if err != nil || len(o.Orders) != 2 || o.Orders[0].Notes == "" && o.Orders[1].Notes == "" {
		t.Fatalf("imported drafts: %v %v", o, err)
	}
	// The corrected mapping is remembered for the next file.
	c, err := e.svc.Client(e.ctx, tm.owner, tm.client.ID)
	if err != nil || c.ImportMapping["Colour"] != connect.FieldNotes {
		t.Fatalf("mapping kept: %v %v", c.ImportMapping, err)
	}

	// Another member cannot see this upload.
	_, email := e.addMember(tm, connect.RoleMember)
	other := e.signedIn(email)
	for _, p := range []string{loc, loc + "/preview", loc + "/result", loc + "/refused.csv", loc + "/status"} {
		other.get(p).is(t, http.StatusNotFound)
	}
}

// waitImport returns once the import at loc has finished: its progress stream
// ends with a "done" event then.
func (b *browser) waitImport(loc string) {
	b.e.t.Helper()
	b.get(loc+"/events").is(b.e.t, http.StatusOK).has(b.e.t, "event: done")
}

func TestImportProgressStreams(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tm := e.signUp("Green Grocer", uploads)
	b := e.signedIn(tm.email)
	body, ct := multipartFile(t, "orders.csv", ordersCSV, nil)
	loc := b.do(http.MethodPost, "/imports", body, ct, nil).header.Get("Location")
	b.get(loc+"/preview").is(t, http.StatusOK)
	b.post(loc+"/run", url.Values{}).is(t, http.StatusSeeOther)
	r := b.get(loc+"/events").is(t, http.StatusOK)
	if ct := r.header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	r.has(t, "event: done", `"finished":true`, `"result":"`+loc+`/result"`)
}

// TestImportProgressStopsForARemovedMember: the progress stream of a member
// removed while its import runs ends at the next change, with neither counts nor
// the result page after the removal. On PostgreSQL: on SQLite the import's
// transaction holds the only write lock, and the removal waits until it ends.
func TestImportProgressStopsForARemovedMember(t *testing.T) {
	t.Parallel()
	hold := make(chan struct{})
	release := sync.OnceFunc(func() { close(hold) })
	t.Cleanup(release)
	e := newEnvOn(t, pgtest.Schema(t), func(c *portal.Config) { c.Spreadsheets = fakeSheets{hold: hold} })
	tm := e.signUp("Green Grocer", uploads)
	member, email := e.addMember(tm, connect.RoleAdmin)
	b := e.signedIn(email)
	body, ct := multipartFile(t, "orders.csv", "Id,Address Line 1\nS-1,1 Main St\nHOLD,2 Main St\nS-3,3 Main St\n", nil)
	loc := b.do(http.MethodPost, "/imports", body, ct, nil).header.Get("Location")
	b.post(loc+"/run", url.Values{}).is(t, http.StatusSeeOther)
	ctx, cancel := context.WithCancel(e.ctx)
	defer cancel()
	events, _ := b.stream(ctx, loc+"/events", nil)
	if ev := <-events; ev.name != "progress" {
		t.Fatalf("first event %+v, want progress", ev)
	}
	if err := e.svc.RemoveMember(e.ctx, tm.owner, member.Member); err != nil {
		t.Fatal(err)
	}
	release() // the import goes on, and its job changes
	streamEndsForRemovedMember(t, events, "")
}

func TestUploadsThatAreNotSpreadsheets(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tm := e.signUp("Green Grocer", uploads)
	b := e.signedIn(tm.email)
	body, ct := multipartFile(t, "empty.csv", "", nil)
	b.do(http.MethodPost, "/imports", body, ct, nil).is(t, http.StatusUnprocessableEntity).has(t, "The file is empty")
	body, ct = multipartFile(t, "orders.csv", "", nil)
	b.do(http.MethodPost, "/imports", strings.NewReader(strings.Replace(readAll(body), `name="file"`, `name="other"`, 1)), ct, nil).
		is(t, http.StatusUnprocessableEntity).has(t, "Choose a spreadsheet to upload")
	b.get("/imports/0123456789abcdef0123456789abcdef").is(t, http.StatusNotFound)
}

func readAll(r io.Reader) string {
	b, _ := io.ReadAll(r)
	return string(b)
}

// twoWeeks is a fake book (see openFakeBook) of two sheets with the same columns,
// each with a hidden row, and a third with others.
const twoWeeks = "=== Week 1\nId,Address Line 1\nW1-1,1 Main St\n!W1-2,2 Main St\n" +
	"=== Week 2\nId,Address Line 1\nW2-1,3 Main St\n!W2-2,4 Main St\nW2-3,5 Main St\n" +
	"=== Notes (hidden)\nWhat,Why\nx,y\n"

func TestImportLetsTheUserChooseTheSheetsAndTheHiddenRows(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tm := e.signUp("Green Grocer", connect.ClientSettings{AllowUpload: true})
	b := e.signedIn(tm.email)
	body, ct := multipartFile(t, "orders.book", twoWeeks, nil)
	r := b.do(http.MethodPost, "/imports", body, ct, nil)
	loc := r.header.Get("Location")
	b.follow(r).is(t, http.StatusOK).has(t, `id="read-from"`, "<strong>Week 1</strong>")

	// The preview shows the sheets, and that Week 1's hidden row is read.
	preview := b.get(loc+"/preview").is(t, http.StatusOK)
	preview.has(t, `id="rows-read">2<`, `id="sheets"`, `value="Week 1" id="sheet-0" checked`,
		`value="Week 2" id="sheet-1">`, "the same columns: can be imported with it", "other columns: import it on its own",
		`<span class="badge">hidden</span>`, `id="skip-hidden"`, "Leave out the 1 row the sheet hides")

	// Both weeks: back to the columns, then a preview of both, rows named by sheet.
	r = b.post(loc+"/sheets", url.Values{"sheet": {"Week 1", "Week 2"}})
	if got := r.header.Get("Location"); got != loc {
		t.Fatalf("choosing sheets redirected to %q, want the columns", got)
	}
	b.follow(r).is(t, http.StatusOK).has(t, "<strong>Week 1</strong>, <strong>Week 2</strong>")
	b.get(loc+"/preview").is(t, http.StatusOK).has(t, `id="rows-read">5<`, `value="Week 2" id="sheet-1" checked`,
		"Leave out the 2 rows the sheet hides")

	// Without the hidden rows: straight back to the preview.
	r = b.post(loc+"/sheets", url.Values{"sheet": {"Week 1", "Week 2"}, "skip_hidden": {"1"}})
	if got := r.header.Get("Location"); got != loc+"/preview" {
		t.Fatalf("skipping hidden rows redirected to %q, want the preview", got)
	}
	b.follow(r).is(t, http.StatusOK).has(t, `id="rows-read">3<`, `id="skip-hidden" checked`)

	// Sheets with other columns cannot be read together, and nothing changes.
	b.post(loc+"/sheets", url.Values{"sheet": {"Week 1", "Notes"}}).is(t, http.StatusUnprocessableEntity).
		has(t, "other columns")
	b.get(loc+"/preview").is(t, http.StatusOK).has(t, `id="rows-read">3<`)

	b.post(loc+"/run", url.Values{}).is(t, http.StatusSeeOther)
	b.waitImport(loc)
	o, err := e.svc.Orders(e.ctx, tm.owner, connect.ListOrdersParams{View: connect.ViewDrafts})
	if err != nil {
		t.Fatal(err)
	}
	var refs []string
	for _, d := range o.Orders {
		refs = append(refs, d.Ref)
	}
	slices.Sort(refs)
	if d := cmp.Diff([]string{"W1-1", "W2-1", "W2-3"}, refs); d != "" {
		t.Fatalf("imported (-want +got):\n%s", d)
	}
}
