package portal

import (
	"net/http"
	"time"

	"github.com/dispatchkit/connect"
)

// The JSON API of recipient notifications (openapi.yaml, tag notifications):
// the client's settings, which its team reads and owners and admins change,
// and each order's notices.

// apiNotifySettings is a client's settings as the API reads and writes them;
// quiet hours as HH:MM, both empty for none.
type apiNotifySettings struct {
	Events      []connect.NotifyEvent `json:"events"`
	Email       bool                  `json:"email"`
	SMS         bool                  `json:"sms"`
	Language    connect.Language      `json:"language,omitempty"`
	QuietStart  string                `json:"quiet_start,omitempty"`
	QuietEnd    string                `json:"quiet_end,omitempty"`
	PhoneRegion string                `json:"phone_region,omitempty"`
	UpdatedAt   *time.Time            `json:"updated_at,omitempty"` // written only
}

func toAPINotifySettings(st *connect.NotifySettings) apiNotifySettings {
	out := apiNotifySettings{Events: st.Events, Email: st.Email, SMS: st.SMS, Language: st.Language,
		PhoneRegion: st.PhoneRegion, UpdatedAt: timePtr(st.UpdatedAt)}
	if out.Events == nil {
		out.Events = []connect.NotifyEvent{}
	}
	if st.Quiet.On() {
		out.QuietStart, out.QuietEnd = st.Quiet.Start.String(), st.Quiet.End.String()
	}
	return out
}

// input reads the settings; quiet hours that do not read are field errors.
func (in apiNotifySettings) input() (connect.NotifySettingsInput, error) {
	out := connect.NotifySettingsInput{Events: in.Events, Email: in.Email, SMS: in.SMS, Language: in.Language, PhoneRegion: in.PhoneRegion}
	if (in.QuietStart == "") != (in.QuietEnd == "") {
		return out, connect.InvalidFields([]connect.FieldError{{Field: "quiet_hours", Reason: "give quiet_start and quiet_end, or neither"}})
	}
	if in.QuietStart == "" {
		return out, nil
	}
	var err error
	if out.Quiet.Start, err = connect.ParseClockTime(in.QuietStart); err == nil {
		out.Quiet.End, err = connect.ParseClockTime(in.QuietEnd)
	}
	if err != nil {
		return out, connect.InvalidFields([]connect.FieldError{{Field: "quiet_hours", Reason: message(err)}})
	}
	return out, nil
}

// apiNotice is one of an order's notices.
type apiNotice struct {
	Event     connect.NotifyEvent   `json:"event"`
	Channel   connect.NotifyChannel `json:"channel"`
	State     connect.NoticeState   `json:"state"`
	Held      bool                  `json:"held"`
	Reason    string                `json:"reason,omitempty"`
	DueAt     time.Time             `json:"due_at"`
	SentAt    *time.Time            `json:"sent_at,omitempty"`
	CreatedAt time.Time             `json:"created_at"`
}

func (s *server) apiGetNotifications(w http.ResponseWriter, r *http.Request, a connect.Actor) error {
	st, err := s.svc.NotifySettings(r.Context(), a)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toAPINotifySettings(st))
	return nil
}

func (s *server) apiPutNotifications(w http.ResponseWriter, r *http.Request, a connect.Actor) error {
	var body apiNotifySettings
	if err := readJSON(r, &body); err != nil {
		return err
	}
	in, err := body.input()
	if err != nil {
		return err
	}
	st, err := s.svc.SetNotifySettings(r.Context(), a, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toAPINotifySettings(st))
	return nil
}

func (s *server) apiOrderNotices(w http.ResponseWriter, r *http.Request, a connect.Actor) error {
	rows, err := s.orderNotices(r, a, connect.OrderID(r.PathValue("id")))
	if err != nil {
		return err
	}
	out := struct {
		Notices []apiNotice `json:"notices"`
	}{Notices: make([]apiNotice, len(rows))}
	for i, n := range rows {
		out.Notices[i] = apiNotice{Event: n.Event, Channel: n.Channel, State: n.State, Held: n.Held, Reason: n.Reason,
			DueAt: n.DueAt.UTC(), SentAt: timePtr(n.SentAt), CreatedAt: n.CreatedAt.UTC()}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
