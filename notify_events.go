package connect

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"
)

// RecipientNotice is what a notice tells the recipient, for NoticeTexts to
// write in its language.
type RecipientNotice struct {
	Key       string        // the outbox entry's key: the same on every try
	Event     NotifyEvent   // what happened
	Channel   NotifyChannel // how it goes
	Language  Language
	OrderRef  string // the order's reference, or its id when it has none
	Recipient string // the recipient's name; "" when the order has none
	// ClientName is the sender (the business the goods come from) and Brand
	// the dispatcher delivering them (Config.AccountBrand; "" when none).
	ClientName string
	Brand      string
	// TrackingURL is a tracking link made for the notice (Config.TrackingURL);
	// "" when the portal has no tracking page.
	TrackingURL string
	// ETAFrom and ETATo are the window the recipient can expect the delivery
	// in (en route, ETA changed); zero otherwise.
	ETAFrom, ETATo time.Time
	// At is when the event happened (delivered at, failed at).
	At            time.Time
	FailureReason string         // why the attempt failed (failed)
	Location      *time.Location // the account's time zone: the times are written in it
}

// NoticeText is a notice written out.
type NoticeText struct {
	Subject string // email only
	Body    string // plain text
}

// SMS is one text message to a recipient.
type SMS struct {
	// Key identifies the message, the same on every try (the outbox entry's
	// key): the host sends one message per key.
	Key     string
	Account AccountID
	Client  ClientID
	Order   OrderID
	To      string // E.164, +447700900123
	Body    string
}

// RecipientMail is one notice email to a recipient.
type RecipientMail struct {
	Key        string // as SMS.Key
	Account    AccountID
	Client     ClientID
	Order      OrderID
	To         string // the recipient's email
	Name       string // the recipient's name, "" when the order has none
	ClientName string // the sender the mail is from, on the dispatcher's behalf
	Language   Language
	Subject    string
	Body       string // plain text
}

// etaStep is what ETA windows are rounded to; a window reaches at least this
// far on each side of the ETA.
const etaStep = 15 * time.Minute

// ETAWindow returns the window a recipient is told for an ETA: from a quarter
// of an hour before it to a quarter after, widened to quarter hours on the
// clocks of loc (an ETA of 10:07 is 09:45 to 10:30).
func ETAWindow(eta time.Time, loc *time.Location) (from, to time.Time) {
	if eta.IsZero() {
		return time.Time{}, time.Time{}
	}
	floor := func(t time.Time) time.Time {
		l := t.In(loc)
		return time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute()-l.Minute()%15, 0, 0, loc)
	}
	from, late := floor(eta.Add(-etaStep)), eta.Add(etaStep)
	if to = floor(late); to.Before(late) {
		to = to.Add(etaStep)
	}
	return from, to
}

// noticeMessage is the payload of an OutboxRecipientNotice entry: what the
// change was, as it was then. The recipient's address is read from the order
// when the notice goes, so that no personal data waits in the outbox.
type noticeMessage struct {
	Event    NotifyEvent   `json:"event"`
	Channel  NotifyChannel `json:"channel"`
	Language Language      `json:"language"`
	Status   Status        `json:"status"` // the order's, right after the change
	ETA      time.Time     `json:"eta,omitzero"`
	At       time.Time     `json:"at"`
}

// noticeKey is the key of the notice of a change of an order through a
// channel: the same on every retry of the change's transaction and every try
// of its delivery, and different for every change and channel.
func noticeKey(o OrderID, version, n int, ch NotifyChannel) string {
	return fmt.Sprintf("notice/%s/%d/%d/%s", o, version, n, ch)
}

// noticeEntries returns the outbox entries that tell o's recipient of an event
// that happened to it (o already changed), one per channel its client chose,
// each due when the client's quiet hours allow; and logs them, with the
// channels it cannot use (opted out, no address, a phone that does not
// parse) as skipped, saying why.
func (es *effectSet) noticeEntries(o *Order, ev Event, version, n int) []OutboxEntry {
	if es == nil {
		return nil
	}
	ne, st := notifyEvent(ev), es.notices[o.Client]
	if ne == "" || st == nil || !slices.Contains(st.Events, ne) {
		return nil
	}
	now := o.UpdatedAt
	due := st.Quiet.Release(now, es.loc)
	var out []OutboxEntry
	for _, ch := range st.channels() {
		key := noticeKey(o.ID, version, n, ch)
		logged := Notice{Key: key, Account: o.Account, Client: o.Client, Order: o.ID, Event: ne, Channel: ch,
			State: NoticeQueued, DueAt: due, CreatedAt: now, UpdatedAt: now}
		if _, why := noticeAddress(o, st, ch); why != "" {
			logged.State, logged.Reason, logged.DueAt = NoticeSkipped, why, now
			es.logged = append(es.logged, logged)
			continue
		}
		payload, _ := json.Marshal(noticeMessage{Event: ne, Channel: ch, Language: st.Language, Status: o.Status, ETA: o.ETA, At: now})
		out = append(out, OutboxEntry{Key: key, Account: o.Account, Client: o.Client, Order: o.ID,
			Kind: OutboxRecipientNotice, Event: ev, Payload: payload, State: OutboxPending,
			NextAt: due, CreatedAt: now, UpdatedAt: now})
		es.logged = append(es.logged, logged)
	}
	return out
}

// noticeAddress returns where a notice of o goes through ch, or why it
// cannot go.
func noticeAddress(o *Order, st *NotifySettings, ch NotifyChannel) (to, why string) {
	if o.NotifyOptOut {
		return "", "the order opted out of notifications"
	}
	switch ch {
	case NotifyEmail:
		if o.Recipient.Email == "" {
			return "", "the order has no recipient email"
		}
		return o.Recipient.Email, ""
	case NotifySMS:
		if o.Recipient.Phone == "" {
			return "", "the order has no recipient phone number"
		}
		e164, err := E164Phone(o.Recipient.Phone, st.PhoneRegion)
		if err != nil {
			var e *Error
			if errors.As(err, &e) {
				return "", "no SMS: " + e.Message
			}
			return "", "no SMS: " + err.Error()
		}
		return e164, ""
	}
	return "", fmt.Sprintf("no such channel %q", ch)
}

// outdated says why a notice of m no longer tells the truth of o (a later
// change made it so while it was held or retried), or "": a notice of a stage
// the order has left, or of an ETA that moved or whose window has passed, is
// not sent; delivered and failed notices always are.
func (m noticeMessage) outdated(o *Order, now time.Time, loc *time.Location) string {
	if m.Event.final() {
		return ""
	}
	if o.Status != m.Status {
		return "outdated: the order was " + o.Status.Label() + " before it could go"
	}
	if m.Event == NotifyEnRoute || m.Event == NotifyETAChanged {
		// Within a millisecond: stores keep times to the microsecond or so.
		if d := o.ETA.Sub(m.ETA); d >= time.Millisecond || d <= -time.Millisecond {
			return "outdated: the ETA moved before it could go"
		}
		if _, to := ETAWindow(m.ETA, loc); now.After(to) {
			return "outdated: its ETA window had passed before it could go"
		}
	}
	return ""
}

// deliverNotice writes and sends a recipient notice, unless it can no longer
// go (the order was deleted or moved on, the client turned the notices off,
// the address went), which logs it skipped. A failed send is an error (the
// outbox retries it, with the same key), noted in the log.
func (s *Service) deliverNotice(ctx context.Context, e OutboxEntry) error {
	if s.notices == nil {
		return Errorf(Unavailable, "no NoticeTexts is configured")
	}
	var m noticeMessage
	if err := json.Unmarshal(e.Payload, &m); err != nil {
		return Errorf(Internal, "outbox entry %s: %w", e.Key, err)
	}
	scope := Scope{Account: e.Account, Client: e.Client}
	rctx := context.WithoutCancel(ctx) // what happened is recorded even if ctx ends now
	record := func(state NoticeState, why string) error {
		err := s.store.UpdateNotice(rctx, scope, UpdateNoticeParams{Key: e.Key, State: state, Reason: why, At: s.clock()})
		if ErrorCode(err) == NotFound {
			return nil // its order, and with it its log, was deleted
		}
		return err
	}
	skip := func(why string) error {
		s.log.InfoContext(ctx, "outbox: recipient notice not sent", "key", e.Key, "reason", why)
		return record(NoticeSkipped, why)
	}
	o, err := s.store.Order(ctx, scope, e.Order)
	if ErrorCode(err) == NotFound {
		return skip("the order was deleted")
	} else if err != nil {
		return err
	}
	loc, err := s.location(ctx, e.Account)
	if err != nil {
		return err
	}
	now := s.clock()
	if why := m.outdated(o, now, loc); why != "" {
		return skip(why)
	}
	st, err := notifySettingsOf(ctx, s.store, scope, e.Client)
	if err != nil {
		return err
	}
	if !st.Wants(m.Event, m.Channel) {
		return skip("the client turned these notices off since")
	}
	to, why := noticeAddress(o, st, m.Channel)
	if why != "" {
		return skip(why)
	}
	// The host took the channel away since: waiting would not bring it back.
	if _, ok := s.mailer.(RecipientMailer); m.Channel == NotifyEmail && !ok {
		return skip("this portal no longer emails recipients")
	}
	if m.Channel == NotifySMS && s.sms == nil {
		return skip("this portal no longer sends SMS")
	}
	cl, err := s.store.Client(ctx, scope, e.Client)
	if err != nil {
		return err
	}
	n := &RecipientNotice{Key: e.Key, Event: m.Event, Channel: m.Channel, Language: m.Language, OrderRef: o.Ref,
		Recipient: o.Recipient.Name, ClientName: cl.Name, At: m.At, Location: loc}
	if n.OrderRef == "" {
		n.OrderRef = string(o.ID)
	}
	if m.Event == NotifyEnRoute || m.Event == NotifyETAChanged {
		n.ETAFrom, n.ETATo = ETAWindow(m.ETA, loc)
	}
	if m.Event == NotifyFailed {
		n.FailureReason = o.FailureReason
	}
	if s.brand != nil {
		if n.Brand, err = s.brand(ctx, e.Account); err != nil {
			return Errorf(Unavailable, "the account's brand: %w", err)
		}
	}
	if s.tracking != nil {
		link, err := s.trackingLinkFor(ctx, scope, o, "recipient notice")
		if err != nil {
			return err
		}
		n.TrackingURL = link.URL
	}
	text, err := s.notices.WriteNotice(n)
	if err != nil {
		return err
	}
	switch m.Channel {
	case NotifyEmail:
		rm, _ := s.mailer.(RecipientMailer)
		err = rm.SendRecipientNotice(ctx, RecipientMail{Key: e.Key, Account: e.Account, Client: e.Client, Order: o.ID,
			To: to, Name: o.Recipient.Name, ClientName: cl.Name, Language: m.Language, Subject: text.Subject, Body: text.Body})
	case NotifySMS:
		err = s.sms.SendSMS(ctx, SMS{Key: e.Key, Account: e.Account, Client: e.Client, Order: o.ID, To: to, Body: text.Body})
	default:
		return skip(fmt.Sprintf("no such channel %q", m.Channel))
	}
	if err != nil {
		if ctx.Err() == nil {
			if rerr := record(NoticeQueued, "the last try failed: "+err.Error()); rerr != nil {
				s.log.ErrorContext(ctx, "outbox: noting a failed notice failed", "key", e.Key, "err", rerr)
			}
		}
		return err
	}
	return record(NoticeSent, "")
}
