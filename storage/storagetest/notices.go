package storagetest

import (
	"fmt"
	"testing"

	"github.com/dispatchkit/connect"
)

// RunNotices runs the tests of connect.NoticeStore, and of the order's opt-out
// of notices.
func RunNotices(t *testing.T, open func(t *testing.T) connect.Store) {
	run(t, open, []test{
		{"NotifySettingsRoundTripAndAreReplaced", testNotifySettings},
		{"NoticesAreLoggedOncePerKeyAndUpdated", testNotices},
		{"NoticesAndSettingsStayInTheirTenant", testNoticesIsolation},
		{"AnOrdersOptOutRoundTrips", testNotifyOptOut},
	})
}

// notifySettings returns (without storing) settings of the client.
func (f *fixture) notifySettings(c *connect.Client, n int) *connect.NotifySettings {
	return &connect.NotifySettings{Account: c.Account, Client: c.ID, UpdatedBy: "member test", UpdatedAt: f.at(n),
		NotifySettingsInput: connect.NotifySettingsInput{
			Events: []connect.NotifyEvent{connect.NotifyEnRoute, connect.NotifyDelivered}, Email: true, SMS: true,
			Language: connect.French, Quiet: connect.QuietHours{Start: 21 * 60, End: 7*60 + 30}, PhoneRegion: "FR"}}
}

// notice returns a queued notice of o through ch, made at f.at(n).
func (f *fixture) notice(o *connect.Order, n int, ch connect.NotifyChannel) connect.Notice {
	return connect.Notice{Key: fmt.Sprintf("notice/%s/%d/1/%s", o.ID, n, ch), Account: o.Account, Client: o.Client,
		Order: o.ID, Event: connect.NotifyEnRoute, Channel: ch, State: connect.NoticeQueued,
		DueAt: f.at(n + 10), CreatedAt: f.at(n), UpdatedAt: f.at(n)}
}

// testNotifySettings: a client without settings has none; stored settings
// read back whole, for one client or several; storing again replaces them;
// a client the account lacks is not found.
func testNotifySettings(t *testing.T, f *fixture) {
	c := f.client(f.account())
	sibling := f.client(c.Account)
	same(t, "settings never set", []*connect.NotifySettings{}, second2(f.s.NotifySettings(f.ctx, scopeOf(c), []connect.ClientID{c.ID})))
	s1, s2 := f.notifySettings(c, 1), f.notifySettings(sibling, 2)
	s2.Events, s2.SMS, s2.Quiet, s2.PhoneRegion, s2.Language = nil, false, connect.QuietHours{}, "", connect.English
	must(t, f.s.SetNotifySettings(f.ctx, scopeOf(c), s1))
	must(t, f.s.SetNotifySettings(f.ctx, connect.Scope{Account: c.Account}, s2))
	same(t, "the client's settings", []*connect.NotifySettings{s1}, second2(f.s.NotifySettings(f.ctx, scopeOf(c), []connect.ClientID{c.ID})))
	got := second2(f.s.NotifySettings(f.ctx, connect.Scope{Account: c.Account}, []connect.ClientID{c.ID, sibling.ID, "nobody"}))
	if len(got) != 2 {
		t.Fatalf("the account's settings of two clients and a stranger: got %d, want 2", len(got))
	}
	s1.Events, s1.Email, s1.Quiet.End, s1.UpdatedAt = []connect.NotifyEvent{connect.NotifyFailed}, false, 8*60, f.at(3)
	must(t, f.s.SetNotifySettings(f.ctx, scopeOf(c), s1))
	same(t, "the replaced settings", []*connect.NotifySettings{s1}, second2(f.s.NotifySettings(f.ctx, scopeOf(c), []connect.ClientID{c.ID})))
	stray := f.notifySettings(c, 4)
	stray.Client = connect.ClientID(f.id("cl"))
	wantCode(t, "SetNotifySettings for a client the account lacks", f.s.SetNotifySettings(f.ctx, connect.Scope{Account: c.Account}, stray), connect.NotFound)
}

// testNotices: a notice is logged once per key (adding it again keeps the
// first); updating sets state, reason and, when sent, SentAt; an order's
// log lists oldest first; an unknown key is not found; deleting the draft
// deletes its log.
func testNotices(t *testing.T, f *fixture) {
	c := f.client(f.account())
	o, other := f.order(c, connect.StatusEnRoute, 1), f.order(c, connect.StatusEnRoute, 2)
	f.store(o, other)
	email, sms := f.notice(o, 2, connect.NotifyEmail), f.notice(o, 1, connect.NotifySMS)
	must(t, f.s.AddNotices(f.ctx, scopeOf(c), []connect.Notice{email, sms, f.notice(other, 3, connect.NotifySMS)}))
	again := email
	again.State, again.Reason = connect.NoticeSkipped, "a retried transaction"
	must(t, f.s.AddNotices(f.ctx, scopeOf(c), []connect.Notice{again}))
	same(t, "the order's notices, oldest first", []connect.Notice{sms, email}, second2(f.s.Notices(f.ctx, scopeOf(c), o.ID)))

	must(t, f.s.UpdateNotice(f.ctx, scopeOf(c), connect.UpdateNoticeParams{Key: sms.Key, State: connect.NoticeSent, At: f.at(20)}))
	must(t, f.s.UpdateNotice(f.ctx, connect.Scope{Account: c.Account}, connect.UpdateNoticeParams{Key: email.Key,
		State: connect.NoticeSkipped, Reason: "outdated", At: f.at(21)}))
	sms.State, sms.SentAt, sms.UpdatedAt = connect.NoticeSent, f.at(20), f.at(20)
	email.State, email.Reason, email.UpdatedAt = connect.NoticeSkipped, "outdated", f.at(21)
	same(t, "the updated notices", []connect.Notice{sms, email}, second2(f.s.Notices(f.ctx, scopeOf(c), o.ID)))
	wantCode(t, "UpdateNotice of an unknown key", f.s.UpdateNotice(f.ctx, scopeOf(c),
		connect.UpdateNoticeParams{Key: "notice/nope", State: connect.NoticeSent, At: f.at(22)}), connect.NotFound)

	draft := f.order(c, connect.StatusDraft, 4)
	f.store(draft)
	must(t, f.s.AddNotices(f.ctx, scopeOf(c), []connect.Notice{f.notice(draft, 5, connect.NotifyEmail)}))
	must(t, f.s.DeleteDraft(f.ctx, scopeOf(c), draft.ID, draft.Version))
	same(t, "the notices of a deleted draft", []connect.Notice{}, second2(f.s.Notices(f.ctx, scopeOf(c), draft.ID)))
}

// testNoticesIsolation: another client, or another account, reads none of a
// client's notices or settings, updates none, and cannot log one in it.
func testNoticesIsolation(t *testing.T, f *fixture) {
	c := f.client(f.account())
	sibling, stranger := f.client(c.Account), f.client(f.account())
	o := f.order(c, connect.StatusEnRoute, 1)
	f.store(o)
	n := f.notice(o, 1, connect.NotifySMS)
	must(t, f.s.AddNotices(f.ctx, scopeOf(c), []connect.Notice{n}))
	must(t, f.s.SetNotifySettings(f.ctx, scopeOf(c), f.notifySettings(c, 1)))
	for _, other := range []*connect.Client{sibling, stranger} {
		same(t, "another tenant's view of the notices", []connect.Notice{}, second2(f.s.Notices(f.ctx, scopeOf(other), o.ID)))
		same(t, "another tenant's view of the settings", []*connect.NotifySettings{},
			second2(f.s.NotifySettings(f.ctx, scopeOf(other), []connect.ClientID{c.ID})))
		wantCode(t, "UpdateNotice from another tenant", f.s.UpdateNotice(f.ctx, scopeOf(other),
			connect.UpdateNoticeParams{Key: n.Key, State: connect.NoticeSent, At: f.at(2)}), connect.NotFound)
		wantCode(t, "AddNotices naming another tenant", f.s.AddNotices(f.ctx, scopeOf(other), []connect.Notice{f.notice(o, 3, connect.NotifyEmail)}), connect.NotFound)
		wantCode(t, "SetNotifySettings naming another tenant", f.s.SetNotifySettings(f.ctx, scopeOf(other), f.notifySettings(c, 2)), connect.NotFound)
	}
	same(t, "the stranger account's view of the settings", []*connect.NotifySettings{},
		second2(f.s.NotifySettings(f.ctx, connect.Scope{Account: stranger.Account}, []connect.ClientID{c.ID})))
	got := second2(f.s.Notices(f.ctx, scopeOf(c), o.ID))
	if len(got) != 1 || got[0].State != connect.NoticeQueued {
		t.Fatalf("the client's notice after the others tried: %+v", got)
	}
}

// testNotifyOptOut: an order's opt-out is stored and read back, from one
// order and from a batch large enough for PostgreSQL's COPY, and a draft's
// update changes it.
func testNotifyOptOut(t *testing.T, f *fixture) {
	c := f.client(f.account())
	one := f.order(c, connect.StatusDraft, 1)
	one.NotifyOptOut = true
	f.store(one)
	if got := second2(f.s.Order(f.ctx, scopeOf(c), one.ID)); !got.NotifyOptOut {
		t.Fatal("an order stored opted out reads back opted in")
	}
	batch := make([]*connect.Order, 40)
	for i := range batch {
		batch[i] = f.order(c, connect.StatusDraft, 2+i)
		batch[i].NotifyOptOut = i%2 == 0
	}
	f.store(batch...)
	for i, o := range batch {
		if got := second2(f.s.Order(f.ctx, scopeOf(c), o.ID)); got.NotifyOptOut != (i%2 == 0) {
			t.Fatalf("order %d of a batch: NotifyOptOut %v, want %v", i, got.NotifyOptOut, i%2 == 0)
		}
	}
	one = second2(f.s.Order(f.ctx, scopeOf(c), one.ID))
	one.NotifyOptOut = false
	must(t, f.s.UpdateDraft(f.ctx, scopeOf(c), one))
	if got := second2(f.s.Order(f.ctx, scopeOf(c), one.ID)); got.NotifyOptOut {
		t.Fatal("a draft updated to opt in reads back opted out")
	}
}
