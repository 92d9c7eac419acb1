package connect_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/connecttest"
	"github.com/dispatchkit/connect/internal/pgtest"
	"github.com/dispatchkit/connect/notices"
	"github.com/dispatchkit/connect/storage"
	"github.com/google/go-cmp/cmp"
)

var paris = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		panic(err)
	}
	return loc
}()

// noticeWorld is a world whose account is in Paris, branded Swift Couriers,
// with recipient notifications on: emails through the world's Mailer, SMS to
// sms.
type noticeWorld struct {
	*world
	sms *connecttest.SMS
	cfg func(*connect.Config)
}

func newNoticeWorld(t *testing.T, dsn string) *noticeWorld {
	nw := &noticeWorld{sms: &connecttest.SMS{}}
	nw.cfg = func(c *connect.Config) {
		c.Notices, c.SMS = notices.New(), nw.sms
		c.AccountLocation = func(context.Context, connect.AccountID) (*time.Location, error) { return paris, nil }
		c.AccountBrand = func(context.Context, connect.AccountID) (string, error) { return "Swift Couriers", nil }
	}
	nw.world = newWorldOn(t, dsn, nw.cfg)
	return nw
}

// secondWorker is another process's Service over the world's database, with
// the same ports and clock: a second outbox worker.
func (nw *noticeWorld) secondWorker() *connect.Service {
	st, err := storage.Open(nw.ctx, nw.dsn)
	if err != nil {
		nw.t.Fatal(err)
	}
	nw.t.Cleanup(func() { _ = st.Close() })
	cfg := connect.Config{Store: st, Mailer: nw.mail, RouteSync: nw.RouteSync, Now: nw.Clock.Now,
		TrackingURL: func(token string) string { return "https://portal.example/track/" + token }}
	nw.cfg(&cfg)
	cfg.SMS = nw.sms
	svc, err := connect.New(cfg)
	if err != nil {
		nw.t.Fatal(err)
	}
	nw.t.Cleanup(func() { _ = svc.Close() })
	return svc
}

// at is day d of the test's week (Thursday 26 November 2026 is day 0) at
// hh:mm in Paris.
func at(d, hh, mm int) time.Time { return time.Date(2026, 11, 26+d, hh, mm, 0, 0, paris) }

// route applies the host's route events, each at its time, and fails the test
// unless every one applied.
func (nw *noticeWorld) route(events ...connect.RouteEvent) {
	nw.t.Helper()
	res, err := nw.svc.ApplyRouteEvents(nw.ctx, nw.Host, events)
	if err != nil || res.Applied != len(events) {
		nw.t.Fatalf("route events: %+v, %v", res, err)
	}
}

// deliverAt delivers every outbox entry due at t.
func (nw *noticeWorld) deliverAt(t time.Time) {
	nw.t.Helper()
	nw.Clock.Set(t)
	nw.DeliverOutbox(connect.OutboxOptions{})
}

// notices returns the notice log of an order.
func (nw *noticeWorld) notices(o *connect.Order) []connect.Notice {
	nw.t.Helper()
	return must(nw.svc.OrderNotices(nw.ctx, nw.owner, o.ID))(nw.t)
}

// noticeStates writes an order's log as "event channel state" lines, with a
// reason's first words: what a test compares.
func noticeStates(log []connect.Notice) []string {
	var out []string
	for _, n := range log {
		line := string(n.Event) + " " + string(n.Channel) + " " + string(n.State)
		if n.Reason != "" {
			line += ": " + strings.Join(strings.Fields(n.Reason)[:min(3, len(strings.Fields(n.Reason)))], " ")
		}
		out = append(out, line)
	}
	slices.Sort(out)
	return out
}

// eachStore runs f on SQLite and on PostgreSQL (when CONNECT_TEST_POSTGRES_URL
// is set).
func eachStore(t *testing.T, f func(t *testing.T, dsn string)) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		f(t, "sqlite:"+filepath.Join(t.TempDir(), "connect.db"))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		f(t, pgtest.Schema(t))
	})
}

// TestRecipientNotificationsAcrossAWeek follows a week of a client's orders on
// the fake clock, on SQLite and PostgreSQL: each day an order with an email and
// a phone, one opted out and one whose phone does not parse are submitted in
// quiet hours (held until they end), scheduled, started before quiet hours,
// their ETA moved and delivered (or failed) inside them. Every notice goes
// once per event and channel, in French, never inside quiet hours, through
// outbox retries, a replay of the host's events and two workers; the notice
// that a later change made outdated is skipped; the client's neighbour, which
// chose no notifications, tells its recipients nothing.
func TestRecipientNotificationsAcrossAWeek(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		nw := newNoticeWorld(t, dsn)
		nw.Clock.AutoAdvance(0)
		nw.Clock.Set(at(-1, 12, 0))
		quiet := connect.QuietHours{Start: 21 * 60, End: 7 * 60}
		must(nw.svc.SetNotifySettings(nw.ctx, nw.owner, connect.NotifySettingsInput{Events: connect.NotifyEvents(),
			Email: true, SMS: true, Language: connect.French, Quiet: quiet, PhoneRegion: "fr"}))(t)
		neighbour := nw.NewClient("Blue Bakery", connect.ClientSettings{AllowUpload: true})
		second := nw.secondWorker()

		type day struct{ a, optedOut, badPhone, other *connect.Order }
		var week []day
		events := 0
		ev := func(o *connect.Order, e connect.Event, when time.Time) connect.RouteEvent {
			events++
			return connect.RouteEvent{ID: fmt.Sprintf("e%d", events), Order: o.ID, Event: e, At: when}
		}
		for d := range 7 {
			in := func(ref string) connect.OrderInput {
				return connect.OrderInput{Ref: fmt.Sprintf("D%d-%s", d, ref), Address: connect.Address{Line1: "5 rue de Rivoli", City: "Paris"},
					Recipient: connect.Recipient{Name: "Camille Martin", Email: ref + "@example.com", Phone: "01 42 68 53 00"}}
			}
			var today day
			nw.Clock.Set(at(d, 6, 30)) // quiet: held until 07:00
			today.a = nw.OrderFrom(nw.owner, connect.StatusDraft, in("a"))
			opt := in("b")
			opt.NotifyOptOut = true
			today.optedOut = nw.OrderFrom(nw.owner, connect.StatusDraft, opt)
			bad := in("c")
			bad.Recipient.Phone = "12 34 56 78" // the shape of a number (imported), no line of France
			today.badPhone = nw.OrderFrom(nw.owner, connect.StatusDraft, bad)
			today.other = nw.OrderFrom(neighbour.Owner.Actor, connect.StatusDraft, in("n"))
			mine := []connect.OrderID{today.a.ID, today.optedOut.ID, today.badPhone.ID}
			must(nw.svc.SubmitOrders(nw.ctx, nw.owner, mine))(t)
			must(nw.svc.SubmitOrders(nw.ctx, neighbour.Owner.Actor, []connect.OrderID{today.other.ID}))(t)
			sent := len(nw.sms.Sent())
			nw.deliverAt(at(d, 6, 31))
			if got := len(nw.sms.Sent()); got != sent {
				t.Fatalf("day %d: %d SMS went in quiet hours", d, got-sent)
			}
			for _, n := range nw.notices(today.a) {
				if !n.Held(nw.Clock.Now()) || !n.DueAt.Equal(at(d, 7, 0)) {
					t.Fatalf("day %d: a notice submitted at 06:30 is not held until 07:00: %+v", d, n)
				}
			}

			switch d {
			case 2: // the SMS provider fails once: the outbox retries with the same key
				nw.sms.FailNext(1, connect.Errorf(connect.Unavailable, "provider down"))
				nw.deliverAt(at(d, 7, 0))
				nw.deliverAt(at(d, 7, 1))
			case 4: // two workers, in two processes, at once
				nw.Clock.Set(at(d, 7, 0))
				var wg sync.WaitGroup
				for _, svc := range []*connect.Service{nw.svc, second} {
					wg.Go(func() {
						for {
							n, err := svc.DeliverOutbox(nw.ctx, connect.OutboxOptions{Batch: 1})
							if err != nil {
								t.Error(err)
								return
							}
							if n == 0 {
								return
							}
						}
					})
				}
				wg.Wait()
			default:
				nw.deliverAt(at(d, 7, 0))
			}

			all := []*connect.Order{today.a, today.optedOut, today.badPhone}
			var batch []connect.RouteEvent
			for i, o := range all {
				e := ev(o, connect.EventSchedule, at(d, 8, 0))
				e.Route = connect.RouteStop{RouteID: fmt.Sprintf("r%d", d), Position: i + 1}
				batch = append(batch, e)
			}
			nw.Clock.Set(at(d, 8, 0))
			nw.route(batch...)
			// A replay changes nothing and tells no one again.
			if res := must(nw.svc.ApplyRouteEvents(nw.ctx, nw.Host, batch[:1]))(t); res.Replayed != 1 {
				t.Fatalf("a replayed event: %+v", res)
			}
			nw.deliverAt(at(d, 8, 1))

			nw.Clock.Set(at(d, 20, 30))
			for _, o := range all {
				e := ev(o, connect.EventStart, at(d, 20, 30))
				e.ETA = at(d, 20, 50)
				nw.route(e)
			}
			nw.deliverAt(at(d, 20, 31))

			nw.Clock.Set(at(d, 21, 10)) // quiet hours from here
			for _, o := range all {
				e := ev(o, connect.EventETA, at(d, 21, 10))
				e.ETA = at(d, 21, 30)
				nw.route(e)
			}
			nw.Clock.Set(at(d, 21, 40))
			for _, o := range all {
				if d%2 == 1 {
					e := ev(o, connect.EventFail, at(d, 21, 40))
					e.Reason = "personne à la maison"
					nw.route(e)
				} else {
					nw.route(ev(o, connect.EventComplete, at(d, 21, 40)))
				}
			}
			sent = len(nw.sms.Sent())
			nw.deliverAt(at(d, 23, 0))
			if got := len(nw.sms.Sent()); got != sent {
				t.Fatalf("day %d: %d SMS went in quiet hours", d, got-sent)
			}
			week = append(week, today)
		}
		nw.deliverAt(at(7, 7, 0)) // the last night's notices

		for d, today := range week {
			final := "delivered"
			if d%2 == 1 {
				final = "failed"
			}
			want := []string{
				final + " email sent", final + " sms sent",
				"en_route email sent", "en_route sms sent",
				"eta_changed email skipped: outdated: the order", "eta_changed sms skipped: outdated: the order",
				"received email sent", "received sms sent",
				"scheduled email sent", "scheduled sms sent",
			}
			slices.Sort(want)
			if diff := cmp.Diff(want, noticeStates(nw.notices(today.a))); diff != "" {
				t.Errorf("day %d, the order's notices (-want +got):\n%s", d, diff)
			}
			var optedOut, badPhone []string
			for _, ev := range []string{final, "en_route", "eta_changed", "received", "scheduled"} {
				optedOut = append(optedOut, ev+" email skipped: the order opted", ev+" sms skipped: the order opted")
				if ev == "eta_changed" {
					badPhone = append(badPhone, ev+" email skipped: outdated: the order", ev+" sms skipped: no SMS: \"12")
					continue
				}
				badPhone = append(badPhone, ev+" email sent", ev+" sms skipped: no SMS: \"12")
			}
			slices.Sort(optedOut)
			slices.Sort(badPhone)
			if diff := cmp.Diff(optedOut, noticeStates(nw.notices(today.optedOut))); diff != "" {
				t.Errorf("day %d, the opted-out order's notices (-want +got):\n%s", d, diff)
			}
			log := nw.notices(today.badPhone)
			if diff := cmp.Diff(badPhone, noticeStates(log)); diff != "" {
				t.Errorf("day %d, the notices of the order whose phone does not parse (-want +got):\n%s", d, diff)
			}
			if got := must(nw.svc.OrderNotices(nw.ctx, neighbour.Owner.Actor, today.other.ID))(t); len(got) != 0 {
				t.Errorf("day %d: the neighbour's order has notices: %+v", d, got)
			}
			for _, n := range slices.Concat(nw.notices(today.a), log) {
				if n.State != connect.NoticeSent {
					continue
				}
				if local := n.SentAt.In(paris); local.Hour() >= 21 || local.Hour() < 7 {
					t.Errorf("day %d: %s %s went at %s, in quiet hours", d, n.Event, n.Channel, local.Format(time.DateTime))
				}
				// (or a minute later: day 2's first SMS failed, and went again)
				if final := n.Event == connect.NotifyDelivered || n.Event == connect.NotifyFailed; final &&
					(n.SentAt.Before(at(d+1, 7, 0)) || n.SentAt.After(at(d+1, 7, 1))) {
					t.Errorf("day %d: %s went at %s; want when quiet hours ended", d, n.Event, n.SentAt.In(paris))
				}
			}
		}

		sms, mails := nw.sms.Sent(), nw.mail.RecipientNotices()
		if len(sms) != 7*4 || len(mails) != 7*8 {
			t.Fatalf("%d SMS and %d emails went; want %d and %d", len(sms), len(mails), 7*4, 7*8)
		}
		if nw.sms.Attempts() != len(sms)+1 {
			t.Errorf("%d SMS attempts for %d sent; want one failed attempt more", nw.sms.Attempts(), len(sms))
		}
		keys := map[string]bool{}
		for _, m := range sms {
			if keys[m.Key] {
				t.Errorf("SMS %s went twice", m.Key)
			}
			keys[m.Key] = true
			if m.To != "+33142685300" || !strings.HasPrefix(m.Body, "Green Grocer : ") || !strings.Contains(m.Body, "https://portal.example/track/") {
				t.Errorf("SMS %s to %s: %q", m.Key, m.To, m.Body)
			}
		}
		for _, m := range mails {
			if keys[m.Key] {
				t.Errorf("email %s went twice", m.Key)
			}
			keys[m.Key] = true
			if m.Language != connect.French || !strings.Contains(m.Body, "Bonjour Camille Martin,") ||
				!strings.Contains(m.Body, "livraison assurée par Swift Couriers") || m.To == "" {
				t.Errorf("email %s to %s: %q", m.Key, m.To, m.Body)
			}
		}
		enRoute := ""
		for _, m := range sms {
			if strings.Contains(m.Body, "est en route") {
				enRoute = m.Body
				break
			}
		}
		if !strings.Contains(enRoute, "Livraison prévue le jeudi 26 novembre entre 20h30 et 21h15.") {
			t.Errorf("the first en-route SMS: %q", enRoute)
		}
	})
}

// TestNotificationSettingsAreCheckedAndKept: an owner's settings read back
// as set; members read them and may not change them; what the portal cannot
// send, or that is not an event, language or region, is refused.
func TestNotificationSettingsAreCheckedAndKept(t *testing.T) {
	t.Parallel()
	w := newWorldWith(t, func(c *connect.Config) { c.Notices = notices.New() }) // no SMSSender
	member := w.join(w.owner, "mo@example.com", connect.RoleMember)
	got := must(w.svc.NotifySettings(w.ctx, member))(t)
	if len(got.Events) != 0 || got.Language != connect.English {
		t.Fatalf("the settings never set: %+v", got)
	}
	in := connect.NotifySettingsInput{Events: []connect.NotifyEvent{connect.NotifyDelivered, connect.NotifyEnRoute, connect.NotifyDelivered},
		Email: true, Language: connect.German, Quiet: connect.QuietHours{Start: 22 * 60, End: 6 * 60}, PhoneRegion: " de "}
	set := must(w.svc.SetNotifySettings(w.ctx, w.owner, in))(t)
	want := connect.NotifySettingsInput{Events: []connect.NotifyEvent{connect.NotifyDelivered, connect.NotifyEnRoute},
		Email: true, Language: connect.German, Quiet: in.Quiet, PhoneRegion: "DE"}
	if d := cmp.Diff(want, must(w.svc.NotifySettings(w.ctx, member))(t).NotifySettingsInput); d != "" {
		t.Fatalf("the settings read back (-want +got):\n%s", d)
	}
	if set.UpdatedBy == "" || set.Client != w.client.ID {
		t.Fatalf("the settings: %+v", set)
	}
	if _, err := w.svc.SetNotifySettings(w.ctx, member, in); connect.ErrorCode(err) != connect.Forbidden {
		t.Fatalf("a member changing the settings: %v", err)
	}
	if d := cmp.Diff([]connect.NotifyChannel{connect.NotifyEmail}, w.svc.NotifyChannels()); d != "" {
		t.Fatalf("the channels (-want +got):\n%s", d)
	}
	for name, bad := range map[string]connect.NotifySettingsInput{
		"sms":          {Events: connect.NotifyEvents(), SMS: true},
		"events":       {Events: []connect.NotifyEvent{"cancelled"}},
		"language":     {Language: "it"},
		"phone_region": {PhoneRegion: "XX"},
		"quiet_hours":  {Quiet: connect.QuietHours{Start: 24 * 60}},
	} {
		_, err := w.svc.SetNotifySettings(w.ctx, w.owner, bad)
		var e *connect.Error
		if !errors.As(err, &e) || e.Code != connect.Invalid || len(e.Fields) != 1 || string(e.Fields[0].Field) != name {
			t.Errorf("settings with a bad %s: %v", name, err)
		}
	}
	plain := newWorld(t) // no NoticeTexts: not offered
	if _, err := plain.svc.NotifySettings(plain.ctx, plain.owner); connect.ErrorCode(err) != connect.Unavailable {
		t.Fatalf("settings on a portal without notices: %v", err)
	}
}

// TestQuietHoursReleaseAtTheirEnd: a notice due in quiet hours waits for their
// end, across midnight or not, on the account's clocks, and a change of
// clocks (daylight saving time) keeps the local time.
func TestQuietHoursReleaseAtTheirEnd(t *testing.T) {
	night := connect.QuietHours{Start: 21 * 60, End: 7 * 60}
	lunch := connect.QuietHours{Start: 12 * 60, End: 13*60 + 30}
	cases := []struct {
		name  string
		q     connect.QuietHours
		at    time.Time
		wants time.Time
	}{
		{"before the night", night, time.Date(2026, 12, 1, 20, 59, 0, 0, paris), time.Date(2026, 12, 1, 20, 59, 0, 0, paris)},
		{"in the evening", night, time.Date(2026, 12, 1, 21, 0, 0, 0, paris), time.Date(2026, 12, 2, 7, 0, 0, 0, paris)},
		{"after midnight", night, time.Date(2026, 12, 2, 3, 0, 0, 0, paris), time.Date(2026, 12, 2, 7, 0, 0, 0, paris)},
		{"at the end", night, time.Date(2026, 12, 2, 7, 0, 0, 0, paris), time.Date(2026, 12, 2, 7, 0, 0, 0, paris)},
		{"the night the clocks go forward", night, time.Date(2026, 3, 28, 23, 0, 0, 0, paris), time.Date(2026, 3, 29, 7, 0, 0, 0, paris)},
		{"at lunch", lunch, time.Date(2026, 12, 1, 12, 15, 0, 0, paris), time.Date(2026, 12, 1, 13, 30, 0, 0, paris)},
		{"after lunch", lunch, time.Date(2026, 12, 1, 13, 30, 0, 0, paris), time.Date(2026, 12, 1, 13, 30, 0, 0, paris)},
		{"none", connect.QuietHours{Start: 9 * 60, End: 9 * 60}, time.Date(2026, 12, 1, 9, 0, 0, 0, paris), time.Date(2026, 12, 1, 9, 0, 0, 0, paris)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.q.Release(tc.at.UTC(), paris); !got.Equal(tc.wants) {
				t.Fatalf("Release(%s) = %s, want %s", tc.at, got.In(paris), tc.wants)
			}
		})
	}
}

// TestETAWindowsAreQuarterHours: the window told for an ETA.
func TestETAWindowsAreQuarterHours(t *testing.T) {
	for eta, want := range map[string]string{"10:07": "09:45-10:30", "10:00": "09:45-10:15", "23:55": "23:30-00:15", "10:15": "10:00-10:30"} {
		tm, _ := time.ParseInLocation("2006-01-02 15:04", "2026-12-01 "+eta, paris)
		from, to := connect.ETAWindow(tm, paris)
		if got := from.Format("15:04") + "-" + to.Format("15:04"); got != want {
			t.Errorf("ETAWindow(%s) = %s, want %s", eta, got, want)
		}
	}
}

// TestANoticeThatFailsIsRetriedAndOneThatCannotGoIsSkipped: a mail server
// that fails leaves the notice queued with the reason, and the retry sends it
// once; a notice whose channel the host took away since is skipped, saying so.
func TestANoticeThatFailsIsRetriedAndOneThatCannotGoIsSkipped(t *testing.T) {
	t.Parallel()
	nw := newNoticeWorld(t, storeDSN(t))
	nw.Clock.AutoAdvance(0)
	must(nw.svc.SetNotifySettings(nw.ctx, nw.owner, connect.NotifySettingsInput{Events: []connect.NotifyEvent{connect.NotifyReceived},
		Email: true, SMS: true, PhoneRegion: "GB"}))(t)
	o := nw.OrderFrom(nw.owner, connect.StatusDraft, connect.OrderInput{Ref: "R-1", Address: connect.Address{Line1: "1 High St"},
		Recipient: connect.Recipient{Email: "rita@example.com", Phone: "020 7946 0018"}})
	must(nw.svc.SubmitOrders(nw.ctx, nw.owner, []connect.OrderID{o.ID}))(t)

	nw.mail.FailRecipientNext(1, connect.Errorf(connect.Unavailable, "mail server down"))
	nw.DeliverOutbox(connect.OutboxOptions{}) // the mail fails; the SMS goes
	got := noticeStates(nw.notices(o))
	if d := cmp.Diff([]string{"received email queued: the last try", "received sms sent"}, got); d != "" {
		t.Fatalf("after a failed mail (-want +got):\n%s", d)
	}
	nw.advance(time.Minute)
	nw.DeliverOutbox(connect.OutboxOptions{})
	if d := cmp.Diff([]string{"received email sent", "received sms sent"}, noticeStates(nw.notices(o))); d != "" {
		t.Fatalf("after the retry (-want +got):\n%s", d)
	}
	if mails := nw.mail.RecipientNotices(); len(mails) != 1 || mails[0].To != "rita@example.com" {
		t.Fatalf("the mails: %+v", mails)
	}

	// The host's next process has no SMS provider: the next SMS is skipped.
	st, err := storage.Open(nw.ctx, nw.dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	cfg := connect.Config{Store: st, Mailer: nw.mail, Now: nw.Clock.Now}
	nw.cfg(&cfg)
	cfg.SMS = nil
	next := must(connect.New(cfg))(t)
	t.Cleanup(func() { _ = next.Close() })
	again := nw.OrderFrom(nw.owner, connect.StatusDraft, connect.OrderInput{Ref: "R-2", Address: connect.Address{Line1: "1 High St"},
		Recipient: connect.Recipient{Phone: "020 7946 0018"}})
	must(nw.svc.SubmitOrders(nw.ctx, nw.owner, []connect.OrderID{again.ID}))(t)
	for {
		n, err := next.DeliverOutbox(nw.ctx, connect.OutboxOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
	}
	want := []string{"received email skipped: the order has", "received sms skipped: this portal no"}
	if d := cmp.Diff(want, noticeStates(nw.notices(again))); d != "" {
		t.Fatalf("a notice whose channel went (-want +got):\n%s", d)
	}
	if len(nw.sms.Sent()) != 1 {
		t.Fatalf("%d SMS went; want the first order's", len(nw.sms.Sent()))
	}
}

// With a TrackingKey, an order's notices share one tracking link (the
// library finds the one it made and still opens it), rather than one more
// link on the order's list per notice.
func TestAnOrdersNoticesShareOneTrackingLinkWithATrackingKey(t *testing.T) {
	nw := newNoticeWorld(t, "")
	nw.Clock.AutoAdvance(0)
	keyed, err := connect.New(connect.Config{Store: nw.Store, SMS: nw.sms, Notices: notices.New(), Now: nw.Clock.Now,
		TrackingKey: bytes.Repeat([]byte{5}, 32), TrackingURL: func(token string) string { return "https://portal.example/track/" + token }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = keyed.Close() })
	nw.Clock.Set(at(0, 10, 0))
	must(nw.svc.SetNotifySettings(nw.ctx, nw.owner, connect.NotifySettingsInput{Events: connect.NotifyEvents(), SMS: true,
		Language: connect.English, PhoneRegion: "fr"}))(t)
	o := nw.OrderFrom(nw.owner, connect.StatusSubmitted, connect.OrderInput{Ref: "LINK-1", Address: connect.Address{Line1: "5 rue de Rivoli"},
		Recipient: connect.Recipient{Name: "Camille", Phone: "01 42 68 53 00"}})
	deliver := func() { // through the keyed Service: its outbox worker
		t.Helper()
		for {
			n, err := keyed.DeliverOutbox(nw.ctx, connect.OutboxOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				return
			}
		}
	}
	deliver() // received
	nw.route(connect.RouteEvent{ID: "s1", Order: o.ID, Event: connect.EventSchedule, At: at(0, 10, 1), Route: connect.RouteStop{RouteID: "R1"}})
	deliver() // scheduled
	nw.route(connect.RouteEvent{ID: "s2", Order: o.ID, Event: connect.EventStart, At: at(0, 10, 2), ETA: at(0, 12, 0)})
	deliver() // en route
	urls := map[string]bool{}
	for _, m := range nw.sms.Sent() {
		if i := strings.Index(m.Body, "https://portal.example/track/"); i >= 0 {
			urls[strings.Fields(m.Body[i:])[0]] = true
		}
	}
	links := must(keyed.TrackingLinks(nw.ctx, nw.owner, o.ID))(t)
	if len(nw.sms.Sent()) < 2 || len(urls) != 1 || len(links) != 1 {
		t.Fatalf("%d SMS with %d tracking URLs (%v); the order has %d links; notices %+v", len(nw.sms.Sent()), len(urls), urls, len(links), nw.notices(o))
	}
}

// The dispatcher's stops arrive already submitted: their recipients are told
// they were received, as a client's submission tells them, whether the
// dispatcher adds them one by one or imports them.
func TestTheDispatchersStopsTellTheirRecipients(t *testing.T) {
	nw := newNoticeWorld(t, "")
	nw.Clock.AutoAdvance(0)
	nw.Clock.Set(at(0, 10, 0))
	must(nw.svc.SetNotifySettings(nw.ctx, nw.owner, connect.NotifySettingsInput{Events: connect.NotifyEvents(), SMS: true,
		Language: connect.English, PhoneRegion: "fr"}))(t)
	stop := connect.OrderInput{Ref: "DS-1", Address: connect.Address{Line1: "5 rue de Rivoli"},
		Recipient: connect.Recipient{Name: "Camille", Phone: "01 42 68 53 00"}}
	if _, err := nw.svc.CreateStops(nw.ctx, nw.disp, []connect.StopInput{{ClientNumber: string(nw.client.Number), Input: stop}}); err != nil {
		t.Fatal(err)
	}
	row := stopRow(2, string(nw.client.Number), "6 rue de Rivoli", "DS-2")
	row.Input.Recipient = connect.Recipient{Name: "Dominique", Phone: "01 42 68 53 01"}
	if res, err := nw.svc.ImportStops(nw.ctx, nw.disp, &rowsSource{rows: []connect.ImportRow{row}}, connect.ImportOptions{}); err != nil || res.Imported != 1 {
		t.Fatalf("import: %+v, %v", res, err)
	}
	nw.deliverAt(at(0, 10, 1))
	var to []string
	for _, m := range nw.sms.Sent() {
		to = append(to, m.To)
	}
	slices.Sort(to)
	if want := []string{"+33142685300", "+33142685301"}; !slices.Equal(to, want) {
		t.Fatalf("SMS to %q, want %q", to, want)
	}
}
