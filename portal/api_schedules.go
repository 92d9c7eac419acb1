package portal

import (
	"net/http"
	"strings"
	"time"

	"github.com/dispatchkit/connect"
)

// The JSON API of repeat and recurring orders (openapi.yaml, tag schedules):
// "repeat this order", and the client's recurring schedules with their runs.
// Team members and API keys may, as they may add orders.

// apiSchedule is a schedule as the API writes it. Weekdays are named
// ("monday"), the time and dates are the account's local ones.
type apiSchedule struct {
	ID        connect.ScheduleID   `json:"id"`
	Name      string               `json:"name"`
	Template  apiOrderInput        `json:"template"`
	Weekdays  []string             `json:"weekdays"`
	At        connect.TimeOfDay    `json:"at"`
	Start     connect.Date         `json:"start"`
	End       *connect.Date        `json:"end,omitempty"`
	Mode      connect.ScheduleMode `json:"mode"`
	Paused    bool                 `json:"paused"`
	NextAt    *time.Time           `json:"next_at,omitempty"`
	TimeZone  string               `json:"time_zone"`
	Version   int                  `json:"version"`
	CreatedAt time.Time            `json:"created_at"`
	UpdatedAt time.Time            `json:"updated_at"`
	Runs      []apiScheduleRun     `json:"runs,omitempty"`
}

// apiScheduleRun is one occurrence's run.
type apiScheduleRun struct {
	Occurrence time.Time               `json:"occurrence"`
	At         time.Time               `json:"at"`
	Outcome    connect.ScheduleOutcome `json:"outcome"`
	Order      connect.OrderID         `json:"order,omitempty"`
	Reason     string                  `json:"reason,omitempty"`
}

func toAPISchedule(sc *connect.Schedule, loc *time.Location) apiSchedule {
	out := apiSchedule{ID: sc.ID, Name: sc.Name, Template: toAPIOrderInput(sc.Template), Weekdays: []string{}, At: sc.At,
		Start: sc.Start, Mode: sc.Mode, Paused: sc.Paused, NextAt: timePtr(sc.NextAt), TimeZone: loc.String(),
		Version: sc.Version, CreatedAt: sc.CreatedAt.UTC(), UpdatedAt: sc.UpdatedAt.UTC()}
	for _, d := range sc.Weekdays {
		out.Weekdays = append(out.Weekdays, weekdayName(d))
	}
	if !sc.End.IsZero() {
		end := sc.End
		out.End = &end
	}
	return out
}

// weekdayName is a weekday as the API writes it: "monday".
func weekdayName(d time.Weekday) string {
	b := []byte(d.String())
	b[0] += 'a' - 'A'
	return string(b)
}

// apiScheduleInput is what a create sends: a template, or the order or
// address book entry to repeat.
type apiScheduleInput struct {
	Name        string               `json:"name"`
	Template    *apiOrderInput       `json:"template,omitempty"`
	FromOrder   connect.OrderID      `json:"from_order,omitempty"`
	FromAddress connect.AddressID    `json:"from_address,omitempty"`
	Weekdays    []string             `json:"weekdays"`
	At          connect.TimeOfDay    `json:"at"`
	Start       connect.Date         `json:"start"`
	End         connect.Date         `json:"end"`
	Mode        connect.ScheduleMode `json:"mode"`
}

func (s *server) apiRepeatOrder(w http.ResponseWriter, r *http.Request, a connect.Actor) error {
	o, err := s.svc.RepeatOrder(r.Context(), a, connect.OrderID(r.PathValue("id")))
	if err != nil {
		return err
	}
	w.Header().Set("Location", s.links.abs("/api/v1/orders/"+string(o.ID)))
	writeJSON(w, http.StatusCreated, toAPIOrder(o))
	return nil
}

func (s *server) apiListSchedules(w http.ResponseWriter, r *http.Request, a connect.Actor) error {
	list, err := s.svc.Schedules(r.Context(), a)
	if err != nil {
		return err
	}
	loc, err := s.svc.AccountLocation(r.Context(), a)
	if err != nil {
		return err
	}
	out := struct {
		Schedules []apiSchedule `json:"schedules"`
	}{Schedules: make([]apiSchedule, len(list))}
	for i, sc := range list {
		out.Schedules[i] = toAPISchedule(sc, loc)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *server) apiCreateSchedule(w http.ResponseWriter, r *http.Request, a connect.Actor) error {
	var in apiScheduleInput
	if err := readJSON(r, &in); err != nil {
		return err
	}
	p, err := in.scheduleInput()
	if err != nil {
		return err
	}
	sc, err := s.svc.CreateSchedule(r.Context(), a, p)
	if err != nil {
		return err
	}
	return s.writeSchedule(w, r, a, http.StatusCreated, sc, nil)
}

// apiScheduleUpdate is a schedule's new settings, at the version read.
type apiScheduleUpdate struct {
	apiScheduleInput
	Version int `json:"version"`
}

func (s *server) apiUpdateSchedule(w http.ResponseWriter, r *http.Request, a connect.Actor) error {
	var in apiScheduleUpdate
	if err := readJSON(r, &in); err != nil {
		return err
	}
	if in.Version < 1 {
		return connect.InvalidFields([]connect.FieldError{{Field: "version", Reason: "is required: the version you read"}})
	}
	p, err := in.scheduleInput()
	if err != nil {
		return err
	}
	sc, err := s.svc.UpdateSchedule(r.Context(), a, connect.ScheduleID(r.PathValue("id")), in.Version, p)
	if err != nil {
		return err
	}
	return s.writeSchedule(w, r, a, http.StatusOK, sc, nil)
}

// scheduleInput is the Service's input of a schedule the API sent.
func (in apiScheduleInput) scheduleInput() (connect.ScheduleInput, error) {
	days, err := connect.ParseWeekdays(joinWords(in.Weekdays))
	if err != nil {
		return connect.ScheduleInput{}, connect.InvalidFields([]connect.FieldError{{Field: "weekdays", Reason: message(err)}})
	}
	p := connect.ScheduleInput{Name: in.Name, FromOrder: in.FromOrder, FromAddress: in.FromAddress, Weekdays: days,
		At: in.At, Start: in.Start, End: in.End, Mode: in.Mode}
	if in.Template != nil {
		p.Template = in.Template.input()
	}
	return p, nil
}

// joinWords joins the weekdays a request names for ParseWeekdays.
func joinWords(words []string) string { return strings.Join(words, " ") }

// writeSchedule answers with a schedule (and its runs, when given).
func (s *server) writeSchedule(w http.ResponseWriter, r *http.Request, a connect.Actor, status int, sc *connect.Schedule, runs []connect.ScheduleRun) error {
	loc, err := s.svc.AccountLocation(r.Context(), a)
	if err != nil {
		return err
	}
	out := toAPISchedule(sc, loc)
	for _, run := range runs {
		out.Runs = append(out.Runs, apiScheduleRun{Occurrence: run.Occurrence.UTC(), At: run.At.UTC(), Outcome: run.Outcome, Order: run.Order, Reason: run.Reason})
	}
	if status == http.StatusCreated {
		w.Header().Set("Location", s.links.abs("/api/v1/schedules/"+string(sc.ID)))
	}
	writeJSON(w, status, out)
	return nil
}

func (s *server) apiGetSchedule(w http.ResponseWriter, r *http.Request, a connect.Actor) error {
	id := connect.ScheduleID(r.PathValue("id"))
	sc, err := s.svc.Schedule(r.Context(), a, id)
	if err != nil {
		return err
	}
	runs, err := s.svc.ScheduleRuns(r.Context(), a, id)
	if err != nil {
		return err
	}
	return s.writeSchedule(w, r, a, http.StatusOK, sc, runs)
}

func (s *server) apiPauseSchedule(w http.ResponseWriter, r *http.Request, a connect.Actor) error {
	sc, err := s.svc.PauseSchedule(r.Context(), a, connect.ScheduleID(r.PathValue("id")))
	if err != nil {
		return err
	}
	return s.writeSchedule(w, r, a, http.StatusOK, sc, nil)
}

func (s *server) apiResumeSchedule(w http.ResponseWriter, r *http.Request, a connect.Actor) error {
	sc, err := s.svc.ResumeSchedule(r.Context(), a, connect.ScheduleID(r.PathValue("id")))
	if err != nil {
		return err
	}
	return s.writeSchedule(w, r, a, http.StatusOK, sc, nil)
}

func (s *server) apiDeleteSchedule(w http.ResponseWriter, r *http.Request, a connect.Actor) error {
	if err := s.svc.DeleteSchedule(r.Context(), a, connect.ScheduleID(r.PathValue("id"))); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
