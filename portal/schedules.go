package portal

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/dispatchkit/connect"
)

// Schedules: the client's recurring orders (connect.Schedule). A schedule is
// made from an order ("Make it recurring" on its page) or an address book
// entry; the Schedules page lists them with their next occurrence in the
// account's time zone, and each one's page its recent runs. "Repeat this
// order" (POST /orders/{id}/repeat) makes one draft copy at once.

// scheduleRow is a schedule as the pages show it, its times in the account's
// time zone.
type scheduleRow struct {
	*connect.Schedule
	Next string // the next occurrence, local; "" when none is left
	Days string // "Mon, Thu"
}

// localSchedules gives the schedules their local times.
func (s *server) localSchedules(r *http.Request, v *viewer, list ...*connect.Schedule) ([]scheduleRow, *time.Location, error) {
	loc, err := s.svc.AccountLocation(r.Context(), v.Actor)
	if err != nil {
		return nil, nil, err
	}
	l := localeOf(s.language(r), loc)
	out := make([]scheduleRow, len(list))
	for i, sc := range list {
		days := make([]string, len(sc.Weekdays))
		for j, d := range sc.Weekdays {
			days[j] = l.T(d.String()) // "Monday": the weekday template's messages
		}
		// Next in the account's time zone, with its abbreviation (BST, CET), so
		// that nobody reads it as UTC.
		out[i] = scheduleRow{Schedule: sc, Days: strings.Join(days, ", "), Next: l.Time(sc.NextAt)}
	}
	return out, loc, nil
}

func (s *server) schedulesPage(w http.ResponseWriter, r *http.Request, v *viewer) error {
	list, err := s.svc.Schedules(r.Context(), v.Actor)
	if err != nil {
		return err
	}
	rows, loc, err := s.localSchedules(r, v, list...)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "schedules", &page{Title: s.t(r, "Schedules"), Tab: "schedules",
		Data: struct {
			Schedules []scheduleRow
			Zone      string
		}{rows, loc.String()}})
	return nil
}

// scheduleFormData is the new schedule form.
type scheduleFormData struct {
	From      string // what the schedule repeats, for people
	FromOrder connect.OrderID
	FromAddr  connect.AddressID
	Name      string
	Days      map[time.Weekday]bool
	At        string
	Start     string
	End       string
	Mode      connect.ScheduleMode
	Zone      string
	Errors    map[string]string
	Error     string
	Weekdays  []time.Weekday // in the order the form offers them, Monday first
}

// formWeekdays are the days as the form offers them, Monday first.
var formWeekdays = []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday}

func (s *server) newSchedulePage(w http.ResponseWriter, r *http.Request, v *viewer) error {
	if !v.CanUpload() {
		return connect.Errorf(connect.Forbidden, "your dispatcher has not enabled order uploads for %s", v.Client.Name)
	}
	d := scheduleFormData{At: "09:00", Mode: connect.ScheduleDraft, Days: map[time.Weekday]bool{}}
	if err := s.scheduleSource(r, v, &d, r.URL.Query().Get("order"), r.URL.Query().Get("address")); err != nil {
		return err
	}
	return s.showScheduleForm(w, r, v, http.StatusOK, d)
}

// scheduleSource names what the form's schedule repeats: the order or the
// address book entry. Errors: the Service's, when the caller cannot read it.
func (s *server) scheduleSource(r *http.Request, v *viewer, d *scheduleFormData, order, address string) error {
	switch {
	case order != "":
		o, err := s.svc.Order(r.Context(), v.Actor, connect.OrderID(order))
		if err != nil {
			return err
		}
		d.FromOrder, d.From = o.ID, s.t(r, "order {{.Ref}} to {{.Address}}", "Ref", orderName(o), "Address", o.Address.Line1)
		if d.Name == "" {
			d.Name = o.Recipient.Name
		}
	case address != "":
		e, err := s.svc.AddressEntry(r.Context(), v.Actor, connect.AddressID(address))
		if err != nil {
			return err
		}
		d.FromAddr, d.From = e.ID, addressLabel(e)
		if d.Name == "" {
			d.Name = e.Recipient.Name
		}
	default:
		return connect.Errorf(connect.Invalid, "a schedule repeats an order or an address: start from an order's page (Make it recurring) or from Addresses")
	}
	return nil
}

func (s *server) showScheduleForm(w http.ResponseWriter, r *http.Request, v *viewer, status int, d scheduleFormData) error {
	loc, err := s.svc.AccountLocation(r.Context(), v.Actor)
	if err != nil {
		return err
	}
	d.Zone, d.Weekdays = loc.String(), formWeekdays
	s.render(w, r, status, "schedule-form", &page{Title: s.t(r, "New schedule"), Tab: "schedules", Data: d})
	return nil
}

// scheduleForm reads the new schedule form; a value that cannot be read is a
// field error.
func scheduleForm(r *http.Request) (connect.ScheduleInput, scheduleFormData, []connect.FieldError) {
	d := scheduleFormData{Name: r.PostFormValue("name"), At: r.PostFormValue("at"), Start: r.PostFormValue("start"),
		End: r.PostFormValue("end"), Mode: connect.ScheduleMode(r.PostFormValue("mode")), Days: map[time.Weekday]bool{}}
	in := connect.ScheduleInput{Name: d.Name, Mode: d.Mode,
		FromOrder: connect.OrderID(r.PostFormValue("from_order")), FromAddress: connect.AddressID(r.PostFormValue("from_address"))}
	var problems []connect.FieldError
	days, err := connect.ParseWeekdays(strings.Join(r.PostForm["weekdays"], " "))
	if err != nil {
		problems = append(problems, connect.FieldError{Field: "weekdays", Reason: message(err)})
	}
	for _, day := range days {
		d.Days[day] = true
	}
	in.Weekdays = days
	if in.At, err = connect.ParseTimeOfDay(d.At); err != nil {
		problems = append(problems, connect.FieldError{Field: "at", Reason: message(err)})
	}
	if in.Start, err = connect.ParseDate(d.Start); err != nil {
		problems = append(problems, connect.FieldError{Field: "start", Reason: message(err)})
	}
	if in.End, err = connect.ParseDate(d.End); err != nil {
		problems = append(problems, connect.FieldError{Field: "end", Reason: message(err)})
	}
	return in, d, problems
}

func (s *server) createSchedule(w http.ResponseWriter, r *http.Request, v *viewer) error {
	in, d, problems := scheduleForm(r)
	if err := s.scheduleSource(r, v, &d, string(in.FromOrder), string(in.FromAddress)); err != nil {
		return err
	}
	var (
		sc  *connect.Schedule
		err error
	)
	if len(problems) > 0 {
		err = connect.InvalidFields(problems)
	} else {
		sc, err = s.svc.CreateSchedule(r.Context(), v.Actor, in)
	}
	if httpStatus(err) == http.StatusUnprocessableEntity {
		d.Errors, d.Error = formErrors(err), s.t(r, "Please correct the fields marked below.")
		if len(d.Errors) == 0 {
			d.Error = message(err)
		}
		return s.showScheduleForm(w, r, v, http.StatusUnprocessableEntity, d)
	} else if err != nil {
		return err
	}
	s.setFlash(w, flash{Message: s.t(r, "Schedule made. Its orders are added at the times shown below.")})
	s.redirect(w, r, s.path("/schedules/%s", sc.ID))
	return nil
}

// schedulePageData is one schedule and its recent runs.
type schedulePageData struct {
	S    scheduleRow
	Runs []scheduleRunRow
	Zone string
}

// scheduleRunRow is a run with its occurrence in the account's time zone.
type scheduleRunRow struct {
	connect.ScheduleRun
	When string
}

func (s *server) schedulePage(w http.ResponseWriter, r *http.Request, v *viewer) error {
	id := connect.ScheduleID(r.PathValue("id"))
	sc, err := s.svc.Schedule(r.Context(), v.Actor, id)
	if err != nil {
		return err
	}
	runs, err := s.svc.ScheduleRuns(r.Context(), v.Actor, id)
	if err != nil {
		return err
	}
	rows, loc, err := s.localSchedules(r, v, sc)
	if err != nil {
		return err
	}
	d := schedulePageData{S: rows[0], Zone: loc.String()}
	for _, run := range runs {
		d.Runs = append(d.Runs, scheduleRunRow{ScheduleRun: run, When: localeOf(s.language(r), loc).Time(run.Occurrence)})
	}
	s.render(w, r, http.StatusOK, "schedule", &page{Title: s.t(r, "Schedule {{.Name}}", "Name", sc.Name), Tab: "schedules", Data: d})
	return nil
}

// scheduleStep answers a button that pauses or resumes a schedule (change),
// with the flash msg (a message id).
func (s *server) scheduleStep(change func(context.Context, connect.Actor, connect.ScheduleID) (*connect.Schedule, error), msg string) memberFunc {
	return func(w http.ResponseWriter, r *http.Request, v *viewer) error {
		sc, err := change(r.Context(), v.Actor, connect.ScheduleID(r.PathValue("id")))
		if err != nil {
			return err
		}
		s.setFlash(w, flash{Message: s.t(r, msg)})
		s.redirect(w, r, s.path("/schedules/%s", sc.ID))
		return nil
	}
}

func (s *server) deleteSchedule(w http.ResponseWriter, r *http.Request, v *viewer) error {
	if err := s.svc.DeleteSchedule(r.Context(), v.Actor, connect.ScheduleID(r.PathValue("id"))); err != nil {
		return err
	}
	s.setFlash(w, flash{Message: s.t(r, "Schedule deleted. The orders it added stay.")})
	s.redirect(w, r, s.path("/schedules"))
	return nil
}

func (s *server) repeatOrder(w http.ResponseWriter, r *http.Request, v *viewer) error {
	o, err := s.svc.RepeatOrder(r.Context(), v.Actor, connect.OrderID(r.PathValue("id")))
	if err != nil {
		return err
	}
	s.setFlash(w, flash{Message: s.t(r, "Draft copy added. Change what differs, then submit it.")})
	s.redirect(w, r, s.path("/orders/%s", o.ID))
	return nil
}
