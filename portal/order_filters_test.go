package portal_test

import (
	"encoding/csv"
	"fmt"
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dispatchkit/connect"
)

// TestTheOrderListSearchesAndFilters finds drafts by a search and a source,
// keeps the filter on the next page and in the export, says what is wrong with
// a date beside the form, and offers the same through the JSON API.
func TestTheOrderListSearchesAndFilters(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tm := e.signUp("Green Grocer", uploads)
	for i := range 53 {
		e.draft(tm.owner, fmt.Sprintf("BREAD-%02d", i))
	}
	e.draft(tm.owner, "CAKE-1")
	b := e.signedIn(tm.email)

	first := b.get("/orders?view=drafts&q=bread").is(t, http.StatusOK).has(t, "BREAD-52", `value="bread"`, `id="clear-filter"`, `data-filtered`)
	first.lacks(t, "CAKE-1")
	next := regexp.MustCompile(`href="([^"]*)" id="next-page"`).FindStringSubmatch(first.body)
	if next == nil || !strings.Contains(next[1], "q=bread") {
		t.Fatalf("the next page link drops the search: %v", next)
	}
	b.get(strings.TrimPrefix(html.UnescapeString(next[1]), e.base)).is(t, http.StatusOK).has(t, "BREAD-00").lacks(t, "BREAD-52", "CAKE-1")

	b.get("/orders?view=drafts&q=cake&source=shopify").is(t, http.StatusOK).has(t, "No draft order matches")
	b.get("/orders?view=drafts&q=cake&source=manual").is(t, http.StatusOK).has(t, "CAKE-1")
	b.get("/orders?view=drafts&from=yesterday").is(t, http.StatusUnprocessableEntity).has(t, "is not a date", `id="order-search"`)
	b.get("/orders?view=drafts&source=fax").is(t, http.StatusUnprocessableEntity).has(t, "Unknown source &#34;fax&#34;")

	export := b.get("/orders/export.csv?view=drafts&q=cake").is(t, http.StatusOK)
	rows, err := csv.NewReader(strings.NewReader(export.body)).ReadAll()
	if err != nil || len(rows) != 2 {
		t.Fatalf("the filtered export has %d rows (%v), want the header and CAKE-1", len(rows), err)
	}

	key := e.apiKey(tm)
	status, body := e.api(key, http.MethodGet, "/api/v1/orders?q=CAKE&created_from=2000-01-01", nil)
	if list, _ := body["orders"].([]any); status != http.StatusOK || len(list) != 1 {
		t.Fatalf("API search: %d %v", status, body)
	}
	if status, body := e.api(key, http.MethodGet, "/api/v1/orders?created_before=soon", nil); status != http.StatusUnprocessableEntity {
		t.Fatalf("API bad time: %d %v", status, body)
	}
}

// The Completed tab lists the most recently completed first: an order
// created first and delivered last leads it; the API sorts the same, or by
// creation when asked.
func TestTheCompletedTabListsTheLastCompletedFirst(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tm := e.signUp("Green Grocer", uploads)
	early := e.w.OrderFrom(tm.owner, connect.StatusScheduled, connect.OrderInput{Ref: "EARLY", Address: connect.Address{Line1: "1 Main St"}})
	e.w.OrderFrom(tm.owner, connect.StatusDelivered, connect.OrderInput{Ref: "LATE", Address: connect.Address{Line1: "2 Main St"}})
	at := time.Now().Add(time.Minute) // the host's event, after LATE's completion whatever the clock's grain
	if _, err := e.svc.ApplyRouteEvents(e.ctx, connect.AsRouteSync(tm.owner.Account), []connect.RouteEvent{
		{ID: "done-early", Order: early.ID, Event: connect.EventComplete, At: at, Proof: &connect.ProofOfDelivery{RecipientName: "Rita", At: at}}}); err != nil {
		t.Fatal(err)
	}
	page := e.signedIn(tm.email).get("/orders?view=completed").is(t, http.StatusOK)
	if i, j := strings.Index(page.body, ">EARLY<"), strings.Index(page.body, ">LATE<"); i < 0 || j < 0 || i > j {
		t.Fatalf("EARLY at %d, LATE at %d: want EARLY first", i, j)
	}
	tok := e.apiKey(tm)
	refs := func(query string) []any {
		t.Helper()
		status, body := e.api(tok, http.MethodGet, "/api/v1/orders?view=completed"+query, nil)
		if status != http.StatusOK {
			t.Fatalf("%s: %d %v", query, status, body)
		}
		var out []any
		for _, o := range body["orders"].([]any) {
			out = append(out, o.(map[string]any)["ref"])
		}
		return out
	}
	if got := refs(""); !cmp.Equal(got, []any{"EARLY", "LATE"}) {
		t.Fatalf("API, by completion: %v", got)
	}
	if got := refs("&sort=created"); !cmp.Equal(got, []any{"LATE", "EARLY"}) {
		t.Fatalf("API, by creation: %v", got)
	}
	if status, body := e.api(tok, http.MethodGet, "/api/v1/orders?view=active&sort=completed", nil); status != http.StatusUnprocessableEntity {
		t.Fatalf("active by completion: %d %v", status, body)
	}
}
