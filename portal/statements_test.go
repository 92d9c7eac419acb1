package portal_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/portal"
)

// A client's team sees its monthly statement as a page and a PDF, the month in
// the account's time zone, with its depots named; the dispatcher sees the same
// from the client's page; a month that is not one is refused.
func TestStatementsForTheTeamAndTheDispatcher(t *testing.T) {
	t.Parallel()
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(c *portal.Config) {
		c.Brand = func(context.Context, connect.AccountID) (portal.Brand, error) {
			return portal.Brand{Name: "Swift Couriers", Location: paris}, nil
		}
	})
	tm := e.signUp("Green Grocer", uploads)
	e.w.OrderFrom(tm.owner, connect.StatusDelivered, connect.OrderInput{Ref: "M-1", Address: connect.Address{Line1: "1 Main St"}})
	e.w.OrderFrom(tm.owner, connect.StatusFailed, connect.OrderInput{Ref: "M-2", Address: connect.Address{Line1: "2 Main St"}})
	e.draft(tm.owner, "M-3")
	month := time.Now().In(paris).Format("2006-01")

	b := e.signedIn(tm.email)
	b.get("/home").is(t, http.StatusOK).has(t, `id="nav-statements"`)
	page := b.get("/statements").is(t, http.StatusOK)
	page.has(t, `id="statement-month">`+month+`<`, `id="statement-orders">2<`, `id="statement-delivered">1<`,
		`id="statement-failed">1<`, "nobody home", "<td>North</td>", "Europe/Paris",
		`href="/statements.pdf?month=`+month+`"`)
	pdf := b.get("/statements.pdf?month="+month).is(t, http.StatusOK)
	want := "statement of Green Grocer from " + time.Now().In(paris).Format("2006-01") + "-01T00:00:00+0"
	if !strings.HasPrefix(pdf.body, want) || !strings.Contains(pdf.body, "by Swift Couriers: 2 orders, 1 delivered") ||
		!strings.Contains(pdf.body, "depot North: 2 orders") {
		t.Fatalf("statement PDF:\n%s", pdf.body)
	}
	b.get("/statements?month=2026-13").is(t, http.StatusUnprocessableEntity)
	b.get("/statements?month=2000-01").is(t, http.StatusOK).has(t, `id="statement-orders">0<`)

	// The client's systems read the same month as JSON.
	tok := e.apiKey(tm)
	status, js := e.api(tok, http.MethodGet, "/api/v1/statement?month="+month, nil)
	counts, _ := js["counts"].(map[string]any)
	if status != http.StatusOK || js["orders"] != float64(2) || counts["delivered"] != float64(1) || counts["failed"] != float64(1) ||
		js["time_zone"] != "Europe/Paris" || js["client_name"] != "Green Grocer" || js["on_time_rate"] == nil {
		t.Fatalf("the API's statement: %d %v", status, js)
	}
	if failures, _ := js["failures"].([]any); len(failures) != 1 || failures[0].(map[string]any)["reason"] != "nobody home" {
		t.Fatalf("the API's failures: %v", js["failures"])
	}
	if status, js := e.api(tok, http.MethodGet, "/api/v1/statement?month=2026-13", nil); status != http.StatusUnprocessableEntity {
		t.Fatalf("a month that is not one: %d %v", status, js)
	}

	d := e.dispatcher()
	d.get("/dispatch/clients/"+string(tm.client.ID)).is(t, http.StatusOK).has(t, `id="client-statement"`)
	dp := d.get("/dispatch/clients/"+string(tm.client.ID)+"/statement").is(t, http.StatusOK)
	dp.has(t, `id="statement-orders">2<`, `href="/dispatch/clients/`+string(tm.client.ID)+`/statement.pdf?month=`+month+`"`)
	if got := d.get("/dispatch/clients/"+string(tm.client.ID)+"/statement.pdf").is(t, http.StatusOK).body; got != pdf.body {
		t.Fatalf("the dispatcher's PDF differs:\n%s\n%s", got, pdf.body)
	}
}
