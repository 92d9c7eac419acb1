package portal_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/dispatchkit/connect"
	"github.com/google/go-cmp/cmp"
)

// TestDispatchersMapAStopsFileByHand: a stops file whose headers the glossary
// does not know takes the client's mapping step on the console: the Client ID
// column is chosen by hand (a mapping without it is refused, saying why),
// the file is checked and imported, each row linked to its client. The
// upload is the dispatcher's alone.
func TestDispatchersMapAStopsFileByHand(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	alpha := e.signUp("Alpha Apothecary", connect.ClientSettings{DefaultDepot: "north"})
	beta := e.signUp("Beta Bikes", connect.ClientSettings{DefaultDepot: "south"})
	d := e.dispatcher()
	csv := "Kunde Nr,Empfänger,Straße,Lieferschein\n" +
		string(alpha.client.Number) + ",Rita,1 Main St,LS-1\n" +
		string(beta.client.Number) + ",Bob,2 Side St,LS-2\n" +
		string(alpha.client.Number) + ",Ada,3 High St,LS-3\n"
	body, ct := multipartFile(t, "kunden.csv", csv, map[string]string{"step": "check"})
	loc := d.do(http.MethodPost, "/dispatch/stops/import", body, ct, nil).is(t, http.StatusSeeOther).header.Get("Location")

	// Nothing matched: every column is offered, the Client ID among them, and said missing.
	d.get(loc).is(t, http.StatusOK).has(t, "Check the columns", "kunden.csv", "Kunde Nr", "Empfänger", "Straße",
		`id="missing"`, `<option value="client_number">Client ID *</option>`, `action="`+loc+`/mapping"`, "Check the file")

	// Without the Client ID column the mapping is refused, on the mapping page.
	mapping := url.Values{"col_0": {""}, "col_1": {"recipient_name"}, "col_2": {"address_line_1"}, "col_3": {"id"}}
	d.post(loc+"/mapping", mapping).is(t, http.StatusUnprocessableEntity).
		has(t, `id="mapping-error"`, "Choose the column that holds the Client ID")
	if stops, _, _ := e.svc.UnassignedStops(e.ctx, e.disp, "", "", 10); len(stops) != 0 {
		t.Fatalf("a refused mapping stored %d stops", len(stops))
	}

	// Mapped by hand, checked, imported.
	mapping.Set("col_0", "client_number")
	check := d.follow(d.post(loc+"/mapping", mapping)).is(t, http.StatusOK)
	check.has(t, "checked, nothing imported yet", `id="stops-read">3<`, `id="stops-valid">3<`, `id="stops-refused">0<`,
		"Alpha Apothecary", "Beta Bikes", "Rita", "Import 3 stops")
	d.get(loc).is(t, http.StatusOK).has(t, `<option value="client_number" selected>`).lacks(t, `id="missing"`)
	d.post(loc, url.Values{}).is(t, http.StatusOK).has(t, "3 stops imported; 0 refused")

	stops, _, err := e.svc.UnassignedStops(e.ctx, e.disp, "", "", 10)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]connect.ClientID{}
	for _, st := range stops {
		got[st.Order.Ref+" "+st.Order.Recipient.Name+" "+st.Order.Address.Line1] = st.Order.Client
	}
	want := map[string]connect.ClientID{"LS-1 Rita 1 Main St": alpha.client.ID, "LS-2 Bob 2 Side St": beta.client.ID,
		"LS-3 Ada 3 High St": alpha.client.ID}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("stops by client (-want +got):\n%s", diff)
	}
	// Imported, the file is forgotten.
	d.get(loc).is(t, http.StatusNotFound)
}

// TestAStopsFileIsTheDispatchersAlone: the dispatcher's stops file, waiting
// at its mapping step, is opened by no member of a client (through the
// console or the client's import pages) and no other account's dispatcher.
func TestAStopsFileIsTheDispatchersAlone(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tm := e.signUp("Alpha Apothecary", uploads)
	body, ct := multipartFile(t, "stops.csv", "Kunde Nr,Straße\n"+string(tm.client.Number)+",1 Main St\n", map[string]string{"step": "check"})
	loc := e.dispatcher().do(http.MethodPost, "/dispatch/stops/import", body, ct, nil).is(t, http.StatusSeeOther).header.Get("Location")
	id := loc[len("/dispatch/stop-imports/"):]
	member := e.signedIn(tm.email)
	other := e.browser()
	other.header.Set("X-Test-Dispatcher", "acct-2")
	for _, p := range []string{loc, loc + "/check"} {
		other.get(p).is(t, http.StatusNotFound)
		if r := member.get(p); r.status == http.StatusOK {
			t.Fatalf("a member opened %s", p)
		}
	}
	other.post(loc+"/mapping", url.Values{"col_0": {"client_number"}}).is(t, http.StatusNotFound)
	other.post(loc, url.Values{}).is(t, http.StatusNotFound)
	for _, p := range []string{"/imports/" + id, "/imports/" + id + "/preview"} {
		member.get(p).is(t, http.StatusNotFound)
	}
	member.post("/imports/"+id+"/mapping", url.Values{"col_0": {"id"}}).is(t, http.StatusNotFound)
	// Still there for the dispatcher.
	e.dispatcher().get(loc).is(t, http.StatusOK).has(t, "Kunde Nr")
}

// TestDispatchersChooseTheSheetOfAStopsWorkbook: a workbook whose first sheet
// is not the stops: mapped and checked, the dispatcher chooses the other sheet
// (its columns differ), maps its columns in turn, and imports its rows.
func TestDispatchersChooseTheSheetOfAStopsWorkbook(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tm := e.signUp("Alpha Apothecary", connect.ClientSettings{DefaultDepot: "north"})
	n := string(tm.client.Number)
	book := "=== Monday\nKunde Nr,Straße\n" + n + ",1 Main St\n" +
		"=== Tuesday\nKunde,Adresse,Empfänger\n" + n + ",2 Side St,Bob\n" + n + ",3 High St,Ada\n"
	d := e.dispatcher()
	body, ct := multipartFile(t, "week.book", book, map[string]string{"step": "check"})
	loc := d.do(http.MethodPost, "/dispatch/stops/import", body, ct, nil).is(t, http.StatusSeeOther).header.Get("Location")
	d.get(loc).is(t, http.StatusOK).has(t, "Kunde Nr", "Monday").lacks(t, "Empfänger")
	check := d.follow(d.post(loc+"/mapping", url.Values{"col_0": {"client_number"}, "col_1": {"address_line_1"}})).is(t, http.StatusOK)
	check.has(t, `id="stops-valid">1<`, `id="what-to-read"`, `action="`+loc+`/sheets"`)

	// The other sheet: its columns, to map again.
	cols := d.follow(d.post(loc+"/sheets", url.Values{"sheet": {"Tuesday"}})).is(t, http.StatusOK)
	cols.has(t, "Check the columns", "Empfänger", "Adresse", `id="missing"`).lacks(t, "Kunde Nr")
	d.follow(d.post(loc+"/mapping", url.Values{"col_0": {"client_number"}, "col_1": {"address_line_1"}, "col_2": {"recipient_name"}})).
		is(t, http.StatusOK).has(t, `id="stops-read">2<`, `id="stops-valid">2<`, "Ada")
	d.post(loc, url.Values{}).is(t, http.StatusOK).has(t, "2 stops imported; 0 refused")
	stops, _, err := e.svc.UnassignedStops(e.ctx, e.disp, "", "", 10)
	if err != nil || len(stops) != 2 {
		t.Fatalf("stops: %+v, %v", stops, err)
	}
	for _, st := range stops {
		if st.Order.Client != tm.client.ID || st.Order.Address.Line1 == "1 Main St" {
			t.Fatalf("a stop of the wrong sheet or client: %+v", st.Order)
		}
	}
}
