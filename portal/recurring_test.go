package portal_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/connecttest"
)

// londonEnv is a portal whose account lives in Europe/London.
func londonEnv(t *testing.T) *env {
	t.Helper()
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	return newEnvOnWorld(t, "", []connecttest.Option{connecttest.WithConfig(func(c *connect.Config) {
		c.AccountLocation = func(context.Context, connect.AccountID) (*time.Location, error) { return loc, nil }
	})})
}

// TestTheAddressBookPages: an order added through the form is saved; the
// Addresses page lists and searches it; the order form suggests it (JSON) and
// offers it to start from, without JavaScript too; an order starts from it;
// it is edited and deleted (after the question); owners turn saving off.
func TestTheAddressBookPages(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tm := e.signUp("Green Grocer", uploads)
	b := e.signedIn(tm.email)
	b.post("/orders/new", url.Values{"recipient_name": {"Ada Lovelace"}, "address_line_1": {"12 St James's Square"}, "city": {"London"}}).is(t, http.StatusSeeOther)
	b.get("/addresses").is(t, http.StatusOK).has(t, "Ada Lovelace", "12 St James&#39;s Square", `id="nav-addresses"`)
	b.get("/addresses?q=nobody").is(t, http.StatusOK).has(t, `id="no-addresses"`)

	r := b.get("/addresses/suggest?q=lovel").is(t, http.StatusOK)
	var sug struct {
		Addresses []struct {
			ID     string            `json:"id"`
			Label  string            `json:"label"`
			Values map[string]string `json:"values"`
		} `json:"addresses"`
	}
	if err := json.Unmarshal([]byte(r.body), &sug); err != nil || len(sug.Addresses) != 1 {
		t.Fatalf("suggestions: %v, %s", err, r.body)
	}
	if got := sug.Addresses[0]; got.Label != "Ada Lovelace, 12 St James's Square, London" || got.Values["address_line_1"] != "12 St James's Square" {
		t.Fatalf("the suggestion: %+v", got)
	}
	b.get("/addresses/suggest?q=a").is(t, http.StatusOK).has(t, `"addresses":[]`)
	id := sug.Addresses[0].ID

	b.get("/orders/new").is(t, http.StatusOK).has(t, "Start from a saved address", "/orders/new?address="+id, "/static/addressbook.js")
	b.get("/orders/new?address="+id).is(t, http.StatusOK).has(t, `id="started-from"`, `value="Ada Lovelace"`, `value="12 St James&#39;s Square"`)
	b.get("/orders/new?address=nope").is(t, http.StatusNotFound)
	b.get("/static/addressbook.js").is(t, http.StatusOK)

	b.get("/addresses/"+id).is(t, http.StatusOK).has(t, `value="Ada Lovelace"`)
	b.post("/addresses/"+id, url.Values{"version": {"1"}, "recipient_name": {"Ada King"}, "address_line_1": {"12 St James's Square"},
		"recipient_email": {"ada@example.com"}}).is(t, http.StatusSeeOther)
	b.post("/addresses/"+id, url.Values{"version": {"1"}, "recipient_name": {"Stale"}, "address_line_1": {"1 A St"}}).is(t, http.StatusConflict)
	b.post("/addresses", url.Values{"recipient_name": {"No address"}}).is(t, http.StatusUnprocessableEntity).has(t, "Please correct")
	b.get("/addresses?q=ada%20king").is(t, http.StatusOK).has(t, "ada@example.com")

	b.postOnce("/addresses/"+id+"/delete", url.Values{}).is(t, http.StatusOK).has(t, "Delete this address?")
	b.post("/addresses/"+id+"/delete", url.Values{"confirm": {"yes"}}).is(t, http.StatusSeeOther)
	b.get("/addresses/"+id).is(t, http.StatusNotFound)

	b.post("/addresses/saving", url.Values{"saving": {"off"}}).is(t, http.StatusSeeOther)
	b.get("/addresses").is(t, http.StatusOK).has(t, `id="saving-off"`)
	_, email := e.addMember(tm, connect.RoleMember)
	e.signedIn(email).post("/addresses/saving", url.Values{"saving": {"on"}}).is(t, http.StatusForbidden)
}

// TestRepeatAndSchedulePages: an order page offers "Repeat this order" and
// "Make it recurring"; the copy is a new draft; a schedule made from the order
// shows its next occurrence in the account's time zone, pauses, resumes and
// is deleted after the question.
func TestRepeatAndSchedulePages(t *testing.T) {
	t.Parallel()
	e := londonEnv(t)
	tm := e.signUp("Green Grocer", uploads)
	b := e.signedIn(tm.email)
	o := e.draft(tm.owner, "WEEKLY")
	b.get("/orders/"+string(o.ID)).is(t, http.StatusOK).has(t, `id="repeat-order"`, "/schedules/new?order="+string(o.ID))
	r := b.post("/orders/"+string(o.ID)+"/repeat", url.Values{}).is(t, http.StatusSeeOther)
	copyPath := r.header.Get("Location")
	if copyPath == "/orders/"+string(o.ID) || !strings.HasPrefix(copyPath, "/orders/") {
		t.Fatalf("the copy is at %q", copyPath)
	}
	b.get(copyPath).is(t, http.StatusOK).has(t, "WEEKLY-2")

	b.get("/schedules/new?order="+string(o.ID)).is(t, http.StatusOK).has(t, "Repeats order WEEKLY to 1 Main St", "Time (Europe/London)")
	b.get("/schedules/new").is(t, http.StatusUnprocessableEntity)
	b.post("/schedules", url.Values{"from_order": {string(o.ID)}, "at": {"25:00"}}).is(t, http.StatusUnprocessableEntity).
		has(t, "not a time of day")
	b.post("/schedules", url.Values{"from_order": {string(o.ID)}, "at": {"09:00"}}).is(t, http.StatusUnprocessableEntity).has(t, "choose at least one day")
	r = b.post("/schedules", url.Values{"from_order": {string(o.ID)}, "name": {"Restock"}, "weekdays": {"Monday", "Thursday"},
		"at": {"09:30"}, "start": {"2030-01-01"}, "mode": {"submit"}}).is(t, http.StatusSeeOther)
	page := r.header.Get("Location")
	// From Tuesday 1 January 2030, the first is Thursday's.
	b.get(page).is(t, http.StatusOK).has(t, "Restock", "Monday, Thursday at 09:30 (Europe/London)", "3 Jan 2030, 09:30 GMT", "It has not run yet")
	b.get("/schedules").is(t, http.StatusOK).has(t, "Restock", "3 Jan 2030, 09:30 GMT", "submitted orders")
	// In the reader's language, in the account's time zone.
	b.do(http.MethodGet, page, nil, "", http.Header{"Accept-Language": {"fr"}}).is(t, http.StatusOK).has(t, "lundi, jeudi", "3 janv. 2030")
	b.post(page+"/pause", url.Values{}).is(t, http.StatusSeeOther)
	b.get(page).is(t, http.StatusOK).has(t, "Paused", `id="resume-schedule"`)
	b.post(page+"/resume", url.Values{}).is(t, http.StatusSeeOther)
	b.get(page).is(t, http.StatusOK).has(t, "Active", `id="pause-schedule"`)
	b.post(page+"/delete", url.Values{"confirm": {"yes"}}).is(t, http.StatusSeeOther)
	b.get(page).is(t, http.StatusNotFound)
}

// TestTheScheduleAPI: repeat an order and make, read, pause, resume and
// delete a schedule with an API key.
func TestTheScheduleAPI(t *testing.T) {
	t.Parallel()
	e := londonEnv(t)
	tm := e.signUp("Green Grocer", uploads)
	key := e.apiKey(tm)
	o := e.draft(tm.owner, "API-1")
	st, copied := e.api(key, "POST", "/api/v1/orders/"+string(o.ID)+"/repeat", nil)
	if st != http.StatusCreated || copied["ref"] != "API-1-2" || copied["status"] != "draft" {
		t.Fatalf("repeat: %d %v", st, copied)
	}
	st, sc := e.api(key, "POST", "/api/v1/schedules", map[string]any{"from_order": o.ID, "weekdays": []string{"mon", "Thursday"},
		"at": "09:30", "end": "2027-03-31", "mode": "submit"})
	if st != http.StatusCreated || sc["time_zone"] != "Europe/London" || sc["end"] != "2027-03-31" || sc["at"] != "09:30" {
		t.Fatalf("create: %d %v", st, sc)
	}
	if days, _ := sc["weekdays"].([]any); len(days) != 2 || days[0] != "monday" || days[1] != "thursday" {
		t.Fatalf("weekdays %v", sc["weekdays"])
	}
	id := sc["id"].(string)
	if st, bad := e.api(key, "POST", "/api/v1/schedules", map[string]any{"from_order": o.ID, "weekdays": []string{"someday"}}); st != http.StatusUnprocessableEntity {
		t.Fatalf("a bad weekday: %d %v", st, bad)
	}
	if st, list := e.api(key, "GET", "/api/v1/schedules", nil); st != http.StatusOK || len(list["schedules"].([]any)) != 1 {
		t.Fatalf("list: %d %v", st, list)
	}
	if st, got := e.api(key, "POST", "/api/v1/schedules/"+id+"/pause", nil); st != http.StatusOK || got["paused"] != true {
		t.Fatalf("pause: %d %v", st, got)
	}
	if st, got := e.api(key, "POST", "/api/v1/schedules/"+id+"/resume", nil); st != http.StatusOK || got["paused"] != false {
		t.Fatalf("resume: %d %v", st, got)
	}
	st, got := e.api(key, "GET", "/api/v1/schedules/"+id, nil)
	if st != http.StatusOK || got["next_at"] == nil {
		t.Fatalf("get: %d %v", st, got)
	}
	st, changed := e.api(key, "PUT", "/api/v1/schedules/"+id, map[string]any{"version": got["version"], "from_order": o.ID,
		"weekdays": []string{"friday"}, "at": "07:15", "mode": "draft", "name": "Fridays"})
	if days, _ := changed["weekdays"].([]any); st != http.StatusOK || len(days) != 1 || days[0] != "friday" || changed["at"] != "07:15" || changed["name"] != "Fridays" {
		t.Fatalf("change: %d %v", st, changed)
	}
	if st, stale := e.api(key, "PUT", "/api/v1/schedules/"+id, map[string]any{"version": got["version"], "from_order": o.ID,
		"weekdays": []string{"monday"}}); st != http.StatusConflict {
		t.Fatalf("a change at a stale version: %d %v", st, stale)
	}
	if st, _ := e.api(key, "DELETE", "/api/v1/schedules/"+id, nil); st != http.StatusNoContent {
		t.Fatalf("delete: %d", st)
	}
	if st, _ := e.api(key, "GET", "/api/v1/schedules/"+id, nil); st != http.StatusNotFound {
		t.Fatalf("get after delete: %d", st)
	}
}

// TestTheSchedulePageShowsItsRuns: after the scheduler runs an occurrence, the
// schedule's page lists the run at its local time with the order it made.
func TestTheSchedulePageShowsItsRuns(t *testing.T) {
	t.Parallel()
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	clock := connecttest.NewClock(time.Now())
	e := newEnvOnWorld(t, "", []connecttest.Option{connecttest.WithClock(clock), connecttest.WithConfig(func(c *connect.Config) {
		c.AccountLocation = func(context.Context, connect.AccountID) (*time.Location, error) { return loc, nil }
	})})
	tm := e.signUp("Green Grocer", uploads)
	b := e.signedIn(tm.email)
	o := e.draft(tm.owner, "DAILY")
	soon := time.Now().In(loc).Add(time.Hour)
	every := []string{"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}
	r := b.post("/schedules", url.Values{"from_order": {string(o.ID)}, "weekdays": every, "at": {soon.Format("15:04")}, "mode": {"submit"}}).
		is(t, http.StatusSeeOther)
	clock.Advance(2 * time.Hour)
	if n, err := e.svc.RunSchedules(e.ctx, connect.ScheduleOptions{}); err != nil || n != 1 {
		t.Fatalf("RunSchedules: %d, %v; want 1 run", n, err)
	}
	id := connect.ScheduleID(strings.TrimPrefix(r.header.Get("Location"), "/schedules/"))
	runs, err := e.svc.ScheduleRuns(e.ctx, tm.owner, id)
	if err != nil || len(runs) != 1 {
		t.Fatalf("runs: %v, %v", runs, err)
	}
	// Two hours on, the first session has been idle too long: a new one.
	e.signedIn(tm.email).get("/schedules/"+string(id)).is(t, http.StatusOK).has(t, `id="schedule-runs"`, "submitted",
		runs[0].Occurrence.In(loc).Format("2 Jan 2006, 15:04 MST"), "/orders/"+string(runs[0].Order))
}
