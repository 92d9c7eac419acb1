package portal

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/dispatchkit/connect"
)

// Settings → Notifications: which events tell a client's recipients, by email
// and SMS, in which language, when not (quiet hours), and the phone region of
// numbers written without a country code. Owners and admins change them; the
// rest of the team reads them. The order form opts an order out, and the order
// page lists its notices: sent, held for quiet hours, skipped and why.

// notificationsData is the Notifications page.
type notificationsData struct {
	Settings  *connect.NotifySettings
	Channels  []connect.NotifyChannel // what the portal can send through
	Events    []connect.NotifyEvent
	Languages []connect.Language
	Location  string // the account's time zone, which quiet hours are read in
	CanEdit   bool
	Notice    string // why there is nothing to set (not offered on this portal)
	Error     string
	Errors    map[string]string
}

// Chose reports whether the settings tell recipients of e.
func (d notificationsData) Chose(e connect.NotifyEvent) bool {
	return slices.Contains(d.Settings.Events, e)
}

// Offers reports whether the portal can send through ch.
func (d notificationsData) Offers(ch string) bool {
	return slices.Contains(d.Channels, connect.NotifyChannel(ch))
}

// notifyEventLabel names an event as the settings page and the order page
// show it (a message id, translated where it is shown).
func notifyEventLabel(e connect.NotifyEvent) string {
	switch e {
	case connect.NotifyReceived:
		return msg("Order received")
	case connect.NotifyScheduled:
		return msg("Scheduled")
	case connect.NotifyEnRoute:
		return msg("On its way (with the ETA window)")
	case connect.NotifyETAChanged:
		return msg("ETA changed")
	case connect.NotifyDelivered:
		return msg("Delivered")
	case connect.NotifyFailed:
		return msg("Delivery attempt failed")
	}
	return string(e)
}

// languageLabel names a notice language in itself.
func languageLabel(l connect.Language) string {
	switch l {
	case connect.English:
		return "English"
	case connect.French:
		return "Français"
	case connect.German:
		return "Deutsch"
	case connect.Spanish:
		return "Español"
	}
	return string(l)
}

func (s *server) notificationsPage(w http.ResponseWriter, r *http.Request, v *viewer) error {
	return s.renderNotifications(w, r, v, http.StatusOK, nil, nil)
}

// renderNotifications shows the page with the stored settings, or with in and
// what was wrong with it.
func (s *server) renderNotifications(w http.ResponseWriter, r *http.Request, v *viewer, status int, in *connect.NotifySettingsInput, err error) error {
	d := notificationsData{Events: connect.NotifyEvents(), Languages: connect.Languages(), Channels: s.svc.NotifyChannels(),
		CanEdit: v.CanManage()}
	st, rerr := s.svc.NotifySettings(r.Context(), v.Actor)
	switch {
	case isCode(rerr, connect.Unavailable):
		d.Notice = message(rerr)
		st = &connect.NotifySettings{}
	case rerr != nil:
		return rerr
	}
	if in != nil {
		st.NotifySettingsInput = *in
	}
	d.Settings = st
	if loc, lerr := s.svc.AccountLocation(r.Context(), v.Actor); lerr == nil {
		d.Location = loc.String()
	}
	if err != nil {
		d.Error, d.Errors = message(err), formErrors(err)
	}
	s.render(w, r, status, "notifications", &page{Title: s.t(r, "Notifications"), Tab: "settings", Data: d})
	return nil
}

// notifyInput reads the settings form; times that do not read are field
// errors.
func notifyInput(r *http.Request) (connect.NotifySettingsInput, []connect.FieldError) {
	in := connect.NotifySettingsInput{Email: r.PostFormValue("email") != "", SMS: r.PostFormValue("sms") != "",
		Language: connect.Language(r.PostFormValue("language")), PhoneRegion: r.PostFormValue("phone_region")}
	for _, e := range r.PostForm["events"] {
		in.Events = append(in.Events, connect.NotifyEvent(e))
	}
	var errs []connect.FieldError
	start, end := strings.TrimSpace(r.PostFormValue("quiet_start")), strings.TrimSpace(r.PostFormValue("quiet_end"))
	if (start == "") != (end == "") {
		errs = append(errs, connect.FieldError{Field: "quiet_hours", Reason: "give both times, or neither"})
	} else if start != "" {
		for _, p := range []struct {
			text string
			to   *connect.ClockTime
		}{{start, &in.Quiet.Start}, {end, &in.Quiet.End}} {
			t, err := connect.ParseClockTime(p.text)
			if err != nil {
				errs = append(errs, connect.FieldError{Field: "quiet_hours", Reason: message(err)})
				break
			}
			*p.to = t
		}
	}
	return in, errs
}

func (s *server) saveNotifications(w http.ResponseWriter, r *http.Request, v *viewer) error {
	in, problems := notifyInput(r)
	var err error
	if len(problems) > 0 {
		err = connect.InvalidFields(problems)
	} else {
		_, err = s.svc.SetNotifySettings(r.Context(), v.Actor, in)
	}
	if isCode(err, connect.Invalid) {
		return s.renderNotifications(w, r, v, http.StatusUnprocessableEntity, &in, err)
	} else if err != nil {
		return err
	}
	s.setFlash(w, flash{Message: s.t(r, "Notification settings saved.")})
	s.redirect(w, r, s.path("/settings/notifications"))
	return nil
}

// orderNotices is the order page's list of notices: nil when the portal sends
// none.
func (s *server) orderNotices(r *http.Request, a connect.Actor, id connect.OrderID) ([]noticeRow, error) {
	log, err := s.svc.OrderNotices(r.Context(), a, id)
	if err != nil {
		return nil, err
	}
	now := s.now()
	rows := make([]noticeRow, len(log))
	for i, n := range log {
		rows[i] = noticeRow{Notice: n, Held: n.Held(now)}
	}
	return rows, nil
}

// noticeRow is one notice on the order page.
type noticeRow struct {
	connect.Notice
	Held bool // waiting for quiet hours to end
}

// When is the time the row shows: when it went, until when it is held, or
// when it was last touched.
func (n noticeRow) When() time.Time {
	switch {
	case n.State == connect.NoticeSent:
		return n.SentAt
	case n.Held:
		return n.DueAt
	}
	return n.UpdatedAt
}

// Label says where the notice is, for people (a message id, translated where
// it is shown).
func (n noticeRow) Label() string {
	switch {
	case n.State == connect.NoticeSent:
		return msg("Sent")
	case n.Held:
		return msg("Held for quiet hours until")
	case n.State == connect.NoticeSkipped:
		return msg("Not sent")
	case n.Reason != "":
		return msg("Retrying")
	}
	return msg("Queued")
}
