package portal_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/connecttest"
)

// bulkRun posts a bulk action's form and returns its result page, once the
// job has finished (its progress stream ends with "done").
func (b *browser) bulkRun(t *testing.T, path string, form url.Values) response {
	t.Helper()
	r := b.post(path, form).is(t, http.StatusSeeOther)
	loc := strings.TrimSuffix(r.header.Get("Location"), "/progress")
	if loc == r.header.Get("Location") {
		t.Fatalf("redirected to %q; want a progress page", loc)
	}
	b.waitImport(loc)
	return b.follow(b.get(loc+"/progress")).is(t, http.StatusOK)
}

// TestSelectAllMatchingActsOnEveryOrderOfTheFilter clicks through the orders
// page's bulk actions without JavaScript: past a page of drafts, the drafts tab
// offers every matching draft (with their number when the list is not
// filtered); submitting all of a search's runs as a job with the import's
// progress page, and its result lists the draft refused and why; the active
// tab withdraws them all; deleting asks for a confirmation first.
func TestSelectAllMatchingActsOnEveryOrderOfTheFilter(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tm := e.signUp("Green Grocer", uploads)
	for i := range 60 {
		in := connect.OrderInput{Ref: fmt.Sprintf("BULK-%02d", i), Address: connect.Address{Line1: "1 Main St"},
			Recipient: connect.Recipient{Email: "rita@example.com"}}
		if i == 7 {
			in.Recipient.Email = ""
		}
		e.w.OrderFrom(tm.owner, connect.StatusDraft, in)
	}
	for i := range 3 {
		e.draft(tm.owner, fmt.Sprintf("KEEP-%d", i))
	}
	settings := uploads
	settings.RequiredFields = connect.RequireFields(connect.FieldRecipientEmail)
	if _, err := e.svc.UpdateClient(e.ctx, e.disp, tm.client.ID, connect.ClientChanges{Settings: &settings}); err != nil {
		t.Fatal(err)
	}
	b := e.signedIn(tm.email)

	b.get("/orders?view=drafts").is(t, http.StatusOK).has(t, `id="select-matching"`, "Submit all 63 matching drafts", "Delete all 63 matching drafts")
	b.get("/orders?view=drafts&q=bulk").is(t, http.StatusOK).has(t, "Submit all matching drafts", `name="q" value="bulk"`)
	b.get("/orders?view=drafts&q=KEEP").is(t, http.StatusOK).lacks(t, `id="select-matching"`) // all on the page

	res := b.bulkRun(t, "/orders/submit-matching", url.Values{"q": {"bulk"}})
	res.has(t, "Orders submitted: 59.", `id="bulk-matched">60<`, `id="bulk-refused">1<`, "BULK-07", "Recipient Email Address is required")
	st, err := e.svc.OrderStats(e.ctx, tm.owner, connect.OrderStatsParams{})
	if err != nil {
		t.Fatal(err)
	}
	if st.Counts[connect.StatusSubmitted] != 59 || st.Counts[connect.StatusDraft] != 4 {
		t.Fatalf("counts after submitting: %v", st.Counts)
	}

	b.get("/orders?view=active").is(t, http.StatusOK).has(t, "Withdraw all 59 matching submitted orders")
	res = b.bulkRun(t, "/orders/withdraw-matching", url.Values{"q": {"BULK"}})
	res.has(t, "Orders withdrawn: 59.")

	// Deleting: not without the box ticked, said on the drafts tab with the filter.
	b.post("/orders/delete-matching", url.Values{"q": {"BULK"}}).is(t, http.StatusUnprocessableEntity).
		has(t, "Yes, delete them", "cannot be undone", `value="BULK"`)
	res = b.bulkRun(t, "/orders/delete-matching", url.Values{"q": {"BULK"}, "confirm": {"delete"}})
	res.has(t, "Orders deleted: 60.")
	if st, err = e.svc.OrderStats(e.ctx, tm.owner, connect.OrderStatsParams{}); err != nil {
		t.Fatal(err)
	}
	if d := st.Counts[connect.StatusDraft]; d != 3 || len(st.Counts) > 1 && st.Counts[connect.StatusSubmitted] != 0 {
		t.Fatalf("counts after deleting: %v; want the 3 other drafts", st.Counts)
	}
}

// TestTheAPISubmitsWithdrawsAndDeletesEveryOrderOfAFilter: the JSON API's bulk
// actions take the list's filter and answer with the result, refusals and all.
func TestTheAPISubmitsWithdrawsAndDeletesEveryOrderOfAFilter(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tm := e.signUp("Green Grocer", uploads)
	for i := range 5 {
		e.draft(tm.owner, fmt.Sprintf("API-%d", i))
	}
	e.draft(tm.owner, "OTHER-1")
	tok := e.apiKey(tm)
	st, body := e.api(tok, http.MethodPost, "/api/v1/orders/submit-matching", map[string]any{"q": "api-"})
	if st != http.StatusOK || body["matched"] != float64(5) || body["done"] != float64(5) || body["refused"] != float64(0) {
		t.Fatalf("submit: %d %v", st, body)
	}
	st, body = e.api(tok, http.MethodPost, "/api/v1/orders/withdraw-matching", map[string]any{"q": "API-", "source": "manual"})
	if st != http.StatusOK || body["done"] != float64(5) {
		t.Fatalf("withdraw: %d %v", st, body)
	}
	st, body = e.api(tok, http.MethodPost, "/api/v1/orders/delete-matching", map[string]any{"q": "API-", "created_from": "yesterday"})
	if st != http.StatusUnprocessableEntity {
		t.Fatalf("a date that is not one: %d %v", st, body)
	}
	st, body = e.api(tok, http.MethodPost, "/api/v1/orders/delete-matching", map[string]any{"q": "API-"})
	if st != http.StatusOK || body["done"] != float64(5) {
		t.Fatalf("delete: %d %v", st, body)
	}
	page, err := e.svc.Orders(e.ctx, tm.owner, connect.ListOrdersParams{})
	if err != nil || len(page.Orders) != 1 || page.Orders[0].Ref != "OTHER-1" {
		t.Fatalf("left: %v, %v", page, err)
	}
}

// gatedStore holds a bulk action's snapshot (its first read of 500 orders)
// until the gate closes.
type gatedStore struct {
	connect.Store
	gate chan struct{}
}

func (g gatedStore) Orders(ctx context.Context, scope connect.Scope, q connect.OrderQuery) ([]*connect.Order, error) {
	if q.Limit == 500 && q.After == nil {
		select {
		case <-g.gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return g.Store.Orders(ctx, scope, q)
}

// TestABulkActionShowsItsProgressUntilItFinishes: while a bulk action runs, its
// progress page says what it does and its status is not finished; the result
// page sends back to the progress page until it is.
func TestABulkActionShowsItsProgressUntilItFinishes(t *testing.T) {
	t.Parallel()
	gate := make(chan struct{})
	release := sync.OnceFunc(func() { close(gate) })
	t.Cleanup(release) // a failing test lets the job end
	e := newEnvOnWorld(t, "", []connecttest.Option{connecttest.WithConfig(func(c *connect.Config) {
		c.Store = gatedStore{Store: c.Store, gate: gate}
	})})
	tm := e.signUp("Green Grocer", uploads)
	e.draft(tm.owner, "SLOW-1")
	b := e.signedIn(tm.email)
	loc := b.post("/orders/submit-matching", url.Values{}).is(t, http.StatusSeeOther).header.Get("Location")
	job := strings.TrimSuffix(loc, "/progress")
	b.get(loc).is(t, http.StatusOK).has(t, "Submitting all matching drafts", "data-bulk", "0 of the matching orders done.")
	b.get(job+"/status").is(t, http.StatusOK).has(t, `"finished":false`)
	if r := b.get(job + "/result"); r.status != http.StatusSeeOther || r.header.Get("Location") != loc {
		t.Fatalf("the result page before the end: %d to %q", r.status, r.header.Get("Location"))
	}
	release()
	b.waitImport(job)
	b.follow(b.get(loc)).is(t, http.StatusOK).has(t, "Orders submitted: 1.")
}
