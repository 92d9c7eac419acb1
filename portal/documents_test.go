package portal_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/portal"
)

// Labels are printed from an order's page, from a selection of drafts and from
// an import's result page: the portal asks the Documents port for the labels
// of those orders, one per package, with the depot's name, on the sheet chosen.
func TestLabelsFromAnOrderASelectionAndAnImport(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tm := e.signUp("Green Grocer", uploads)
	b := e.signedIn(tm.email)
	a := e.w.OrderFrom(tm.owner, connect.StatusDraft, connect.OrderInput{Ref: "A-1", PackageCount: 2,
		Address: connect.Address{Line1: "1 Main St"}})
	c := e.draft(tm.owner, "C-1")

	page := b.get("/orders/"+string(a.ID)).is(t, http.StatusOK)
	page.has(t, `href="/orders/`+string(a.ID)+`/labels.pdf?sheet=4x6"`, `href="/orders/`+string(a.ID)+`/labels.pdf?sheet=a4"`)
	r := b.get("/orders/"+string(a.ID)+"/labels.pdf?sheet=a4").is(t, http.StatusOK)
	if ct := r.header.Get("Content-Type"); ct != "application/pdf" {
		t.Fatalf("Content-Type %q", ct)
	}
	if r.body != "labels on a4\n"+
		"label "+string(a.ID)+" A-1 package 1 of 2, client Green Grocer, depot North\n"+
		"label "+string(a.ID)+" A-1 package 2 of 2, client Green Grocer, depot North\n" {
		t.Fatalf("labels:\n%s", r.body)
	}
	b.get("/orders/"+string(a.ID)+"/labels.pdf?sheet=letter").is(t, http.StatusUnprocessableEntity)

	// The drafts tab's selection prints its labels (a GET of the ids).
	b.get("/orders?view=drafts").is(t, http.StatusOK).has(t, `id="labels-selected"`, `formaction="/orders/labels.pdf"`)
	sel := b.get("/orders/labels.pdf?"+url.Values{"id": {string(c.ID), string(a.ID)}, "sheet": {"4x6"}}.Encode()).is(t, http.StatusOK)
	if got := strings.Count(sel.body, "\nlabel "); got != 3 || !strings.HasPrefix(sel.body, "labels on 4x6\nlabel "+string(c.ID)) {
		t.Fatalf("selection's labels:\n%s", sel.body)
	}
	b.get("/orders/labels.pdf").is(t, http.StatusUnprocessableEntity)

	// After an import, its result page prints the labels of its drafts only.
	body, ct := multipartFile(t, "orders.csv", ordersCSV, nil)
	loc := b.do(http.MethodPost, "/imports", body, ct, nil).is(t, http.StatusSeeOther).header.Get("Location")
	b.post(loc+"/run", url.Values{}).is(t, http.StatusSeeOther)
	b.waitImport(loc)
	b.get(loc+"/result").is(t, http.StatusOK).has(t, `href="`+loc+`/labels.pdf?sheet=4x6"`, `id="import-labels-a4"`)
	imp := b.get(loc+"/labels.pdf?sheet=a4").is(t, http.StatusOK)
	// S-1 has two packages, S-4 none given; S-2 and S-3 were refused.
	for _, s := range []string{"S-1 package 1 of 2", "S-1 package 2 of 2", "S-4 package 1 of 1"} {
		if !strings.Contains(imp.body, s) {
			t.Errorf("the import's labels lack %q:\n%s", s, imp.body)
		}
	}
	if n := strings.Count(imp.body, "\nlabel "); n != 3 || strings.Contains(imp.body, "A-1") || strings.Contains(imp.body, "C-1") {
		t.Fatalf("the import's labels:\n%s", imp.body)
	}
}

// The proof of delivery downloads from the order's page, through the API and,
// once delivered, through a tracking link, with the account's brand and time
// zone (Config.Brand); before delivery there is none.
func TestProofOfDeliveryDownloadsForTheTeamTheAPIAndATrackingLink(t *testing.T) {
	t.Parallel()
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(c *portal.Config) {
		c.Brand = func(_ context.Context, account connect.AccountID) (portal.Brand, error) {
			return portal.Brand{Name: "Swift Couriers of " + string(account), Location: paris}, nil
		}
	})
	tm := e.signUp("Green Grocer", uploads)
	b := e.signedIn(tm.email)
	o := e.w.OrderFrom(tm.owner, connect.StatusEnRoute, connect.OrderInput{Ref: "P-1", Address: connect.Address{Line1: "1 Main St"}})
	link, err := e.svc.CreateTrackingLink(e.ctx, tm.owner, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	b.get("/orders/"+string(o.ID)+"/proof.pdf").is(t, http.StatusConflict)
	b.get("/track/"+link.Token).is(t, http.StatusOK).lacks(t, "proof.pdf")
	b.get("/track/"+link.Token+"/proof.pdf").is(t, http.StatusConflict)

	if _, err := e.svc.ApplyRouteEvents(e.ctx, connect.AsRouteSync(e.acct), []connect.RouteEvent{{ID: "d", Order: o.ID,
		Event: connect.EventComplete, At: time.Now(), Proof: &connect.ProofOfDelivery{RecipientName: "Rita"}}}); err != nil {
		t.Fatal(err)
	}
	b.get("/orders/"+string(o.ID)).is(t, http.StatusOK).has(t, `href="/orders/`+string(o.ID)+`/proof.pdf"`)
	want := "proof of P-1 by Swift Couriers of " + string(e.acct) + " in Europe/Paris, tracked false, 0 images, received by Rita\n"
	r := b.get("/orders/"+string(o.ID)+"/proof.pdf").is(t, http.StatusOK)
	if r.body != want || !strings.HasPrefix(r.header.Get("Content-Disposition"), `attachment; filename="proof-of-delivery-P-1.pdf"`) {
		t.Fatalf("proof %q, %q", r.body, r.header.Get("Content-Disposition"))
	}

	key, err := e.svc.CreateAPIKey(e.ctx, tm.owner, "warehouse")
	if err != nil {
		t.Fatal(err)
	}
	api := e.browser()
	api.header.Set("Authorization", "Bearer "+key.Token)
	if got := api.get("/api/v1/orders/"+string(o.ID)+"/proof.pdf").is(t, http.StatusOK).body; got != want {
		t.Fatalf("the API's proof: %q", got)
	}
	if got := api.get("/api/v1/orders/"+string(o.ID)+"/labels.pdf").is(t, http.StatusOK).body; !strings.Contains(got, "P-1 package 1 of 1") {
		t.Fatalf("the API's labels: %q", got)
	}

	anon := e.browser()
	anon.get("/track/"+link.Token).is(t, http.StatusOK).has(t, `href="/track/`+link.Token+`/proof.pdf"`)
	tracked := anon.get("/track/"+link.Token+"/proof.pdf").is(t, http.StatusOK).body
	if tracked != strings.Replace(want, "tracked false", "tracked true", 1) {
		t.Fatalf("the tracked proof: %q", tracked)
	}
}

// Without a Documents port the documents answer 503 and no page links them.
func TestDocumentsNeedTheDocumentsPort(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *portal.Config) { c.Documents = nil })
	tm := e.signUp("Green Grocer", uploads)
	b := e.signedIn(tm.email)
	o := e.draft(tm.owner, "N-1")
	b.get("/orders/"+string(o.ID)).is(t, http.StatusOK).lacks(t, "labels.pdf")
	b.get("/orders?view=drafts").is(t, http.StatusOK).lacks(t, "labels.pdf")
	b.get("/orders/"+string(o.ID)+"/labels.pdf").is(t, http.StatusServiceUnavailable)
	b.get("/orders/"+string(o.ID)+"/proof.pdf").is(t, http.StatusServiceUnavailable)
}
