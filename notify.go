package connect

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Recipient notifications: a client tells the people its orders go to how
// their delivery is coming along, by email and SMS. An owner or admin chooses
// the events, the channels, the language, quiet hours and the phone region for
// numbers written without a country code (NotifySettings); an order may opt
// out (OrderInput.NotifyOptOut). Every status change of an order that its
// client chose writes one outbox entry per channel in the change's
// transaction (notify_events.go), and RunOutbox renders it (NoticeTexts) and
// sends it (RecipientMailer, SMSSender) once, with the entry's key as the
// idempotency key. What became of each notice (sent, held for quiet hours,
// skipped and why) is kept in the order's notice log (Service.OrderNotices).

// NotifyEvent names an order event a recipient can be told of.
type NotifyEvent string

// The events recipients can be told of.
const (
	NotifyReceived   NotifyEvent = "received"    // the client submitted the order: the dispatcher has it
	NotifyScheduled  NotifyEvent = "scheduled"   // on a route
	NotifyEnRoute    NotifyEvent = "en_route"    // the route started; with the ETA window
	NotifyETAChanged NotifyEvent = "eta_changed" // the ETA moved; with the new window
	NotifyDelivered  NotifyEvent = "delivered"   // delivered
	NotifyFailed     NotifyEvent = "failed"      // the delivery attempt failed, with the reason
)

// NotifyEvents lists the events a client may choose, in lifecycle order.
func NotifyEvents() []NotifyEvent {
	return []NotifyEvent{NotifyReceived, NotifyScheduled, NotifyEnRoute, NotifyETAChanged, NotifyDelivered, NotifyFailed}
}

// notifyEvent is the notice a lifecycle event calls for ("" for none): being
// taken off a route, a retry, a withdrawal or a cancellation tell the
// recipient nothing.
func notifyEvent(ev Event) NotifyEvent {
	switch ev {
	case EventSubmit:
		return NotifyReceived
	case EventSchedule:
		return NotifyScheduled
	case EventStart:
		return NotifyEnRoute
	case EventETA:
		return NotifyETAChanged
	case EventComplete:
		return NotifyDelivered
	case EventFail:
		return NotifyFailed
	}
	return ""
}

// final reports whether the event ends a delivery attempt: its notice is never
// made outdated by a later change.
func (e NotifyEvent) final() bool { return e == NotifyDelivered || e == NotifyFailed }

// NotifyChannel is how a notice reaches the recipient.
type NotifyChannel string

// The channels.
const (
	NotifyEmail NotifyChannel = "email" // to Recipient.Email, through a RecipientMailer
	NotifySMS   NotifyChannel = "sms"   // to Recipient.Phone in E.164, through the SMSSender
)

// Language is the language of a client's notices: a BCP 47 tag.
type Language string

// The languages notices are written in.
const (
	English Language = "en"
	French  Language = "fr"
	German  Language = "de"
	Spanish Language = "es"
)

// Languages lists the languages notices are written in.
func Languages() []Language { return []Language{English, French, German, Spanish} }

// ClockTime is a time of day, in minutes after midnight (0 to 1439), read on
// the account's clocks.
type ClockTime int

// ParseClockTime reads a time of day written "HH:MM" on a 24-hour clock
// ("21:30", "7:05"). Errors: ErrInvalid.
func ParseClockTime(s string) (ClockTime, error) {
	h, m, ok := strings.Cut(strings.TrimSpace(s), ":")
	bad := Errorf(Invalid, "%q is not a time of day; write it as HH:MM, for example 21:30", s)
	if !ok || len(h) < 1 || len(h) > 2 || len(m) != 2 {
		return 0, bad
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || h[0] == '+' || h[0] == '-' || m[0] == '+' || m[0] == '-' ||
		hh < 0 || hh > 23 || mm < 0 || mm > 59 {
		return 0, bad
	}
	return ClockTime(hh*60 + mm), nil
}

// String writes the time as HH:MM.
func (t ClockTime) String() string { return fmt.Sprintf("%02d:%02d", int(t)/60, int(t)%60) }

// valid reports whether t is a time of day.
func (t ClockTime) valid() bool { return t >= 0 && t < 24*60 }

// QuietHours is when no notice is sent, on the account's clocks: from Start
// until End, across midnight when End is earlier (21:00 to 08:00). A notice
// that falls in them is held until they end. Equal times mean none.
type QuietHours struct {
	Start ClockTime `json:"start"`
	End   ClockTime `json:"end"`
}

// On reports whether there are quiet hours.
func (q QuietHours) On() bool { return q.Start != q.End }

// Release returns when a notice due at t may be sent: t itself outside quiet
// hours, else the end of the quiet hours t falls in, in loc.
func (q QuietHours) Release(t time.Time, loc *time.Location) time.Time {
	if !q.On() {
		return t
	}
	lt := t.In(loc)
	m := ClockTime(lt.Hour()*60 + lt.Minute())
	in := m >= q.Start && m < q.End
	if q.Start > q.End { // across midnight
		in = m >= q.Start || m < q.End
	}
	if !in {
		return t
	}
	end := time.Date(lt.Year(), lt.Month(), lt.Day(), int(q.End)/60, int(q.End)%60, 0, 0, loc)
	if !end.After(t) {
		end = time.Date(lt.Year(), lt.Month(), lt.Day()+1, int(q.End)/60, int(q.End)%60, 0, 0, loc)
	}
	return end
}

// NotifySettingsInput is what an owner or admin sets for its client's
// recipient notifications.
type NotifySettingsInput struct {
	// Events are the events recipients are told of; none: notifications off.
	Events []NotifyEvent `json:"events"`
	Email  bool          `json:"email"` // by email, to orders with a recipient email
	SMS    bool          `json:"sms"`   // by SMS, to orders with a phone number that parses
	// Language the notices are written in; "": English.
	Language Language `json:"language,omitempty"`
	// Quiet is when notices are held (on the account's clocks). Every notice
	// that falls in them waits for their end, delivered and failed ones too:
	// the text says when it happened, and a message at night wakes the
	// recipient just the same; an en-route or ETA notice that a later change
	// made outdated by then is skipped.
	Quiet QuietHours `json:"quiet_hours"`
	// PhoneRegion is the country (ISO 3166-1 alpha-2, "GB") of phone numbers
	// written without a country code; "": numbers must start with + and the
	// country code.
	PhoneRegion string `json:"phone_region,omitempty"`
}

// NotifySettings are a client's recipient notification settings. A client
// that never set them has them off.
type NotifySettings struct {
	NotifySettingsInput
	Account   AccountID `json:"account"`
	Client    ClientID  `json:"client"`
	UpdatedBy string    `json:"updated_by,omitempty"`
	UpdatedAt time.Time `json:"updated_at,omitzero"`
}

// Wants reports whether the settings send notices of e through ch.
func (n *NotifySettings) Wants(e NotifyEvent, ch NotifyChannel) bool {
	if n == nil || !slices.Contains(n.Events, e) {
		return false
	}
	return ch == NotifyEmail && n.Email || ch == NotifySMS && n.SMS
}

// channels lists the channels the settings send through.
func (n *NotifySettings) channels() []NotifyChannel {
	var out []NotifyChannel
	if n.Email {
		out = append(out, NotifyEmail)
	}
	if n.SMS {
		out = append(out, NotifySMS)
	}
	return out
}

// checkNotify refuses settings a client may not have, and tidies them.
func (s *Service) checkNotify(in *NotifySettingsInput) error {
	var errs []FieldError
	var events []NotifyEvent
	for _, e := range in.Events {
		if !slices.Contains(NotifyEvents(), e) {
			errs = append(errs, FieldError{Field: "events", Reason: fmt.Sprintf("%q is not a notification event", e)})
		} else if !slices.Contains(events, e) {
			events = append(events, e)
		}
	}
	in.Events = events
	if in.Language == "" {
		in.Language = English
	}
	if !slices.Contains(Languages(), in.Language) {
		errs = append(errs, FieldError{Field: "language", Reason: "must be en, fr, de or es"})
	}
	if !in.Quiet.Start.valid() || !in.Quiet.End.valid() {
		errs = append(errs, FieldError{Field: "quiet_hours", Reason: "must be times of day"})
	}
	in.PhoneRegion = strings.ToUpper(strings.TrimSpace(in.PhoneRegion))
	if in.PhoneRegion != "" && !ValidPhoneRegion(in.PhoneRegion) {
		errs = append(errs, FieldError{Field: "phone_region", Reason: fmt.Sprintf("%q is not a country with phone numbers (write its two-letter code, for example GB)", in.PhoneRegion)})
	}
	if in.Email {
		if _, ok := s.mailer.(RecipientMailer); !ok {
			errs = append(errs, FieldError{Field: "email", Reason: "this portal cannot send recipients emails"})
		}
	}
	if in.SMS && s.sms == nil {
		errs = append(errs, FieldError{Field: "sms", Reason: "this portal cannot send SMS"})
	}
	if len(errs) > 0 {
		return InvalidFields(errs)
	}
	return nil
}

// authorizeNotify checks that the caller may read (or change) its client's
// notification settings, and that the portal sends notices.
func (s *Service) authorizeNotify(ctx context.Context, a Actor, read bool) (caller, error) {
	act := actManageNotifications
	if read {
		act = actViewNotifications
	}
	return s.authorizeWired(ctx, a, act, read, s.notices != nil, "recipient notifications are not available on this portal")
}

// NotifyChannels lists the channels this portal can send notices through: the
// ones a client may turn on.
func (s *Service) NotifyChannels() []NotifyChannel {
	var out []NotifyChannel
	if _, ok := s.mailer.(RecipientMailer); ok && s.notices != nil {
		out = append(out, NotifyEmail)
	}
	if s.sms != nil && s.notices != nil {
		out = append(out, NotifySMS)
	}
	return out
}

// NotifySettings returns the caller's client's recipient notification
// settings (off, in English, when never set). Every team member may read them.
// Errors: ErrForbidden; ErrUnavailable when the host wired no NoticeTexts.
func (s *Service) NotifySettings(ctx context.Context, a Actor) (*NotifySettings, error) {
	c, err := s.authorizeNotify(ctx, a, true)
	if err != nil {
		return nil, err
	}
	return notifySettingsOf(ctx, s.store, c.scope(), c.Actor.Client)
}

// notifySettingsOf reads a client's settings; the defaults when none are stored.
func notifySettingsOf(ctx context.Context, st Store, scope Scope, client ClientID) (*NotifySettings, error) {
	list, err := st.NotifySettings(ctx, scope, []ClientID{client})
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return &NotifySettings{Account: scope.Account, Client: client, NotifySettingsInput: NotifySettingsInput{Language: English}}, nil
	}
	return list[0], nil
}

// SetNotifySettings replaces the caller's client's recipient notification
// settings; notices already queued keep the hold they were given. Owners and
// admins may. Errors: ErrForbidden; ErrInvalid (an unknown event or language,
// a channel the portal cannot send through, a region with no phone numbers);
// ErrUnavailable.
func (s *Service) SetNotifySettings(ctx context.Context, a Actor, in NotifySettingsInput) (*NotifySettings, error) {
	c, err := s.authorizeNotify(ctx, a, false)
	if err != nil {
		return nil, err
	}
	if err := s.checkNotify(&in); err != nil {
		return nil, err
	}
	n := &NotifySettings{NotifySettingsInput: in, Account: c.Account, Client: c.Actor.Client,
		UpdatedBy: c.history(), UpdatedAt: s.clock()}
	if err := s.store.SetNotifySettings(ctx, c.scope(), n); err != nil {
		return nil, err
	}
	s.log.InfoContext(ctx, "notification settings changed", "client", n.Client, "by", n.UpdatedBy)
	return n, nil
}

// NoticeState is where a recipient notice is.
type NoticeState string

// The notice states.
const (
	// NoticeQueued is waiting in the outbox: held until DueAt when that is
	// later than now (quiet hours), or being retried (Reason says why the last
	// try failed).
	NoticeQueued  NoticeState = "queued"
	NoticeSent    NoticeState = "sent"    // handed to the Mailer or SMSSender
	NoticeSkipped NoticeState = "skipped" // never sent; Reason says why
)

// Notice is one recipient notice of an order through one channel, as the
// order's notice log keeps it: one per event and channel.
type Notice struct {
	Key     string        `json:"key"` // the outbox entry's key, the idempotency key
	Account AccountID     `json:"account"`
	Client  ClientID      `json:"client"`
	Order   OrderID       `json:"order"`
	Event   NotifyEvent   `json:"event"`
	Channel NotifyChannel `json:"channel"`
	State   NoticeState   `json:"state"`
	Reason  string        `json:"reason,omitempty"`
	// DueAt is when the notice may go: after CreatedAt when quiet hours hold it.
	DueAt     time.Time `json:"due_at"`
	SentAt    time.Time `json:"sent_at,omitzero"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Held reports whether quiet hours hold the notice at now.
func (n *Notice) Held(now time.Time) bool { return n.State == NoticeQueued && n.DueAt.After(now) }

// UpdateNoticeParams records what became of a notice (NoticeStore.UpdateNotice).
type UpdateNoticeParams struct {
	Key    string
	State  NoticeState
	Reason string
	At     time.Time
}

// OrderNotices lists the notices of one of the caller's orders, oldest first:
// sent, held or skipped, and why. Team members and dispatchers may. Errors:
// ErrForbidden; ErrNotFound.
func (s *Service) OrderNotices(ctx context.Context, a Actor, id OrderID) ([]Notice, error) {
	c, err := s.authorizeRead(ctx, a, actViewOrders)
	if err != nil {
		return nil, err
	}
	o, err := s.store.Order(ctx, c.scope(), id)
	if err != nil {
		return nil, err
	}
	return s.store.Notices(ctx, Scope{Account: o.Account, Client: o.Client}, id)
}
