package portal_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/connecttest"
)

// TestRecipientNotificationsInThePortal: an owner chooses the notifications on
// the settings page (a member reads them and may not change them, a bad time
// is shown beside the form); the order form opts an order out; the order
// page and the API list each order's notices, sent or skipped and why.
func TestRecipientNotificationsInThePortal(t *testing.T) {
	t.Parallel()
	sms := &connecttest.SMS{}
	e := newEnvOnWorld(t, "", []connecttest.Option{connecttest.WithConfig(func(c *connect.Config) { c.SMS = sms })})
	tm := e.signUp("Green Grocer", uploads)
	b := e.signedIn(tm.email)
	b.get("/settings/notifications").is(t, http.StatusOK).has(t, `aria-current="page" id="tab-notifications"`,
		"Recipient notifications", `id="notify-sms"`, `id="save-notifications"`).lacks(t, `id="notify-email"`) // no Mailer here

	b.post("/settings/notifications", url.Values{"events": {"en_route"}, "sms": {"1"}, "quiet_start": {"25:00"}, "quiet_end": {"07:00"}}).
		is(t, http.StatusUnprocessableEntity).has(t, "is not a time of day")
	// Quiet hours that are not now, whenever the test runs (the portal's clock is the real one).
	from, until := time.Now().UTC().Add(2*time.Hour), time.Now().UTC().Add(3*time.Hour)
	form := url.Values{"events": {"en_route", "delivered"}, "sms": {"1"}, "language": {"de"}, "phone_region": {"gb"},
		"quiet_start": {from.Format("15:04")}, "quiet_end": {until.Format("15:04")}}
	b.follow(b.post("/settings/notifications", form)).has(t, "Notification settings saved.", `value="GB"`,
		`<option value="de" selected>Deutsch</option>`, `value="`+from.Format("15:04")+`"`)
	st, err := e.svc.NotifySettings(e.ctx, tm.owner)
	if err != nil || !st.SMS || st.Language != connect.German || st.PhoneRegion != "GB" || len(st.Events) != 2 || !st.Quiet.On() {
		t.Fatalf("the saved settings: %+v, %v", st, err)
	}

	_, email := e.addMember(tm, connect.RoleMember)
	mb := e.signedIn(email)
	mb.get("/settings/notifications").is(t, http.StatusOK).has(t, "<fieldset disabled>", "Owners and admins change these settings.").
		lacks(t, `id="save-notifications"`)
	mb.post("/settings/notifications", url.Values{"events": {"received"}}).is(t, http.StatusForbidden)

	add := func(ref string, optOut bool) *connect.Order {
		f := url.Values{"id": {ref}, "address_line_1": {"10 Downing St"}, "recipient_name": {"Sam"}, "recipient_phone": {"020 7946 0018"}}
		if optOut {
			f.Set("notify_opt_out", "1")
		}
		b.post("/orders/new", f).is(t, http.StatusSeeOther)
		page, err := e.svc.Orders(e.ctx, tm.owner, connect.ListOrdersParams{Search: ref})
		if err != nil || len(page.Orders) != 1 {
			t.Fatalf("order %s: %v, %v", ref, page, err)
		}
		o := page.Orders[0]
		if o.NotifyOptOut != optOut {
			t.Fatalf("order %s: NotifyOptOut %v, want %v", ref, o.NotifyOptOut, optOut)
		}
		return o
	}
	told, quiet := add("N-1", false), add("N-2", true)
	b.get("/orders/"+string(quiet.ID)+"/edit").has(t, `id="notify_opt_out" checked`)
	b.get("/orders/"+string(told.ID)+"/edit").has(t, `id="notify_opt_out">`)
	if _, err := e.svc.SubmitOrders(e.ctx, tm.owner, []connect.OrderID{told.ID, quiet.ID}); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	var events []connect.RouteEvent
	for i, o := range []*connect.Order{told, quiet} {
		events = append(events,
			connect.RouteEvent{ID: fmt.Sprintf("s%d", i), Order: o.ID, Event: connect.EventSchedule, At: now, Route: connect.RouteStop{RouteID: "r", Position: i + 1}},
			connect.RouteEvent{ID: fmt.Sprintf("g%d", i), Order: o.ID, Event: connect.EventStart, At: now.Add(time.Millisecond), ETA: now.Add(time.Hour)})
	}
	if res, err := e.svc.ApplyRouteEvents(e.ctx, connect.AsRouteSync(e.acct), events); err != nil || res.Applied != 4 {
		t.Fatalf("route events: %+v, %v", res, err)
	}
	e.w.DeliverOutbox(connect.OutboxOptions{})
	sent := sms.Sent()
	if len(sent) != 1 || sent[0].To != "+442079460018" || sent[0].Order != told.ID || !strings.Contains(sent[0].Body, "ist unterwegs") {
		log, _ := e.svc.OrderNotices(e.ctx, tm.owner, told.ID)
		t.Fatalf("the SMS sent: %+v; the log: %+v", sent, log)
	}

	b.get("/orders/"+string(told.ID)).has(t, `id="notices"`, "On its way (with the ETA window)", "<td data-label=\"By\">SMS</td>",
		"<td data-label=\"State\">Sent</td>")
	b.get("/orders/"+string(quiet.ID)).has(t, "Not sent", "the order opted out of notifications")
	e.dispatcher().get("/dispatch/orders/"+string(quiet.ID)).has(t, "the order opted out of notifications")

	key := e.apiKey(tm)
	status, body := e.api(key, "GET", "/api/v1/orders/"+string(told.ID)+"/notices", nil)
	notices, _ := body["notices"].([]any)
	if status != http.StatusOK || len(notices) != 1 || notices[0].(map[string]any)["state"] != "sent" {
		t.Fatalf("GET notices: %d %v", status, body)
	}
	status, body = e.api(key, "GET", "/api/v1/orders/"+string(quiet.ID), nil)
	if status != http.StatusOK || body["notify_opt_out"] != true {
		t.Fatalf("GET the opted-out order: %d %v", status, body)
	}
	status, body = e.api(key, "GET", "/api/v1/notifications", nil)
	if status != http.StatusOK || body["language"] != "de" || body["quiet_start"] != from.Format("15:04") {
		t.Fatalf("GET notifications: %d %v", status, body)
	}
	if status, _ := e.api(key, "PUT", "/api/v1/notifications", map[string]any{"events": []string{"received"}}); status != http.StatusForbidden {
		t.Fatalf("PUT notifications with a key (a member's rights): %d", status)
	}
	status, body = e.api(key, "POST", "/api/v1/orders", map[string]any{"ref": "N-3", "address": map[string]any{"line1": "1 Main St"}, "notify_opt_out": true})
	if status != http.StatusCreated || body["notify_opt_out"] != true {
		t.Fatalf("POST an opted-out order: %d %v", status, body)
	}
}
