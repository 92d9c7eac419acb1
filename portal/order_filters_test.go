package portal_test

import (
	"encoding/csv"
	"fmt"
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"
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
