package portal_test

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/dispatchkit/connect"
)

// importThrough uploads a CSV of the refs through the member's pages, imports
// it, and returns its result page and the import's id, which the page links.
func importThrough(t *testing.T, b *browser, name string, refs []string) (response, string) {
	t.Helper()
	var csv strings.Builder
	csv.WriteString("Id,Address Line 1,City,Recipient Name\n")
	for _, ref := range refs {
		fmt.Fprintf(&csv, "%s,1 Main St,Springfield,Rita\n", ref)
	}
	body, ct := multipartFile(t, name, csv.String(), nil)
	loc := b.do(http.MethodPost, "/imports", body, ct, nil).is(t, http.StatusSeeOther).header.Get("Location")
	b.get(loc+"/preview").is(t, http.StatusOK)
	b.post(loc+"/run", url.Values{}).is(t, http.StatusSeeOther)
	b.waitImport(loc)
	res := b.follow(b.get(loc+"/progress")).is(t, http.StatusOK)
	m := regexp.MustCompile(`href="/orders\?view=drafts&amp;import=([^"]+)" id="import-orders"`).FindStringSubmatch(res.body)
	if m == nil {
		t.Fatalf("the result of %s links no orders of its import:\n%s", name, res.body)
	}
	return res, html.UnescapeString(m[1])
}

func refsFrom(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s-%02d", prefix, i+1)
	}
	return out
}

// TestTheOrdersListNarrowsToAnImport: an import's result links to the list
// of its orders; the list's import filter offers the team's recent imports,
// keeps the import across pages and into "select all matching", which then
// submits that import's drafts alone; the JSON API filters and lists the same.
func TestTheOrdersListNarrowsToAnImport(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tm := e.signUp("Green Grocer", uploads)
	b := e.signedIn(tm.email)
	res, big := importThrough(t, b, "monday.csv", refsFrom("MON", 55))
	res.has(t, "View the 55 orders of this import")
	_, small := importThrough(t, b, "tuesday.csv", refsFrom("TUE", 3))
	e.draft(tm.owner, "BY-HAND-1")

	all := b.get("/orders?view=drafts").is(t, http.StatusOK)
	all.has(t, `id="order-import"`, `<option value="`+small+`">tuesday.csv — `, ", 3 orders</option>",
		`<option value="`+big+`">monday.csv — `, ", 55 orders</option>")
	one := b.get("/orders?view=drafts&import="+url.QueryEscape(small)).is(t, http.StatusOK)
	one.has(t, "TUE-01", "TUE-03", `<option value="`+small+`" selected>`).lacks(t, "MON-", "BY-HAND-1")
	// An order's page links to the orders of its import.
	tue, err := e.svc.Orders(e.ctx, tm.owner, connect.ListOrdersParams{Search: "TUE-01"})
	if err != nil || len(tue.Orders) != 1 {
		t.Fatalf("TUE-01: %v, %v", tue, err)
	}
	b.get("/orders/"+string(tue.Orders[0].ID)).is(t, http.StatusOK).
		has(t, `href="/orders?view=drafts&amp;import=`+url.QueryEscape(small)+`" id="order-import-link"`)

	// A page of the big import: the next page and the bulk form keep the filter.
	first := b.get("/orders?view=drafts&import="+url.QueryEscape(big)).is(t, http.StatusOK)
	first.has(t, "MON-55", `id="select-matching"`, `name="import" value="`+big+`"`, "import="+url.QueryEscape(big)+"&amp;cursor=").
		lacks(t, "TUE-", "BY-HAND-1")
	next := regexp.MustCompile(`href="([^"]+)" id="next-page"`).FindStringSubmatch(first.body)
	if next == nil {
		t.Fatal("no next page")
	}
	b.get(html.UnescapeString(next[1])).is(t, http.StatusOK).has(t, "MON-01").lacks(t, "MON-55", "TUE-", "BY-HAND-1")

	b.bulkRun(t, "/orders/submit-matching", url.Values{"import": {big}}).has(t, "Orders submitted: 55.")
	drafts, err := e.svc.Orders(e.ctx, tm.owner, connect.ListOrdersParams{View: connect.ViewDrafts})
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, o := range drafts.Orders {
		left = append(left, o.Ref)
	}
	if strings.Join(left, " ") != "BY-HAND-1 TUE-03 TUE-02 TUE-01" {
		t.Fatalf("the drafts left after submitting monday.csv's: %v", left)
	}

	// The API: an import's orders, and the recent imports.
	key := e.apiKey(tm)
	status, body := e.api(key, "GET", "/api/v1/orders?import="+url.QueryEscape(small), nil)
	orders, _ := body["orders"].([]any)
	if status != http.StatusOK || len(orders) != 3 {
		t.Fatalf("GET /api/v1/orders?import=: %d %v", status, body)
	}
	for _, o := range orders {
		if o.(map[string]any)["import"] != small {
			t.Fatalf("an order of the import reads %v", o)
		}
	}
	status, body = e.api(key, "GET", "/api/v1/imports", nil)
	list, _ := body["imports"].([]any)
	if status != http.StatusOK || len(list) != 2 {
		t.Fatalf("GET /api/v1/imports: %d %v", status, body)
	}
	newest := list[0].(map[string]any)
	if newest["id"] != small || newest["name"] != "tuesday.csv" || newest["orders"] != float64(3) || newest["source"] != "spreadsheet" {
		t.Fatalf("the newest import: %v", newest)
	}
	if status, _ := e.api(key, "GET", "/api/v1/imports?limit=0", nil); status != http.StatusUnprocessableEntity {
		t.Fatalf("a limit of 0: %d", status)
	}
}
