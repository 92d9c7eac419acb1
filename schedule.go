package connect

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ScheduleID identifies a recurring order schedule.
type ScheduleID string

// ScheduleMode says what each occurrence of a schedule makes.
type ScheduleMode string

// The schedule modes.
const (
	// ScheduleDraft adds a draft for the team to check and submit.
	ScheduleDraft ScheduleMode = "draft"
	// ScheduleSubmit adds the order and submits it for delivery; when it cannot
	// be submitted (uploads turned off, a required field missing) the draft
	// stays, and the run says why.
	ScheduleSubmit ScheduleMode = "submit"
)

// Schedule repeats an order on chosen weekdays at a local time of the
// account's time zone (Config.AccountLocation), from a start date until an
// optional end date: "every Monday and Thursday at 09:00 until 31 March".
// Service.RunSchedules makes each occurrence's order exactly once, whichever
// process gets there first.
type Schedule struct {
	ID      ScheduleID `json:"id"`
	Account AccountID  `json:"account"`
	Client  ClientID   `json:"client"`
	Name    string     `json:"name"`
	// Template is the order each occurrence makes. A Ref is the stem of each
	// order's reference, which gets the occurrence's date.
	Template OrderInput     `json:"template"`
	Weekdays []time.Weekday `json:"weekdays"`     // Sunday = 0, in week order
	At       TimeOfDay      `json:"at"`           // local time of each occurrence
	Start    Date           `json:"start"`        // the first day it may run
	End      Date           `json:"end,omitzero"` // the last day it may run; zero: none
	Mode     ScheduleMode   `json:"mode"`
	Paused   bool           `json:"paused"`
	// NextAt is the next occurrence not yet run; zero once the end date is
	// past.
	NextAt    time.Time `json:"next_at,omitzero"`
	CreatedBy string    `json:"created_by"` // who made it, as order history names people
	Version   int       `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// ScheduleOutcome is what one occurrence of a schedule did.
type ScheduleOutcome string

// The outcomes of an occurrence.
const (
	RunDrafted   ScheduleOutcome = "drafted"   // a draft was added (as asked, or because it could not be submitted: see Reason)
	RunSubmitted ScheduleOutcome = "submitted" // the order was added and submitted
	RunSkipped   ScheduleOutcome = "skipped"   // nothing was made: see Reason
)

// ScheduleRun is the record of one occurrence of a schedule: at most one per
// occurrence, written in the transaction that adds its order.
type ScheduleRun struct {
	Schedule   ScheduleID      `json:"schedule"`
	Account    AccountID       `json:"account"`
	Client     ClientID        `json:"client"`
	Occurrence time.Time       `json:"occurrence"` // when it was due
	At         time.Time       `json:"at"`         // when it ran
	Outcome    ScheduleOutcome `json:"outcome"`
	Order      OrderID         `json:"order,omitempty"`
	Reason     string          `json:"reason,omitempty"` // why it was not submitted, or skipped
}

// ScheduleInput is what a team member says about a schedule. The template is
// Template, or the order FromOrder, or the address book entry FromAddress.
type ScheduleInput struct {
	Name        string         `json:"name"`
	Template    OrderInput     `json:"template"`
	FromOrder   OrderID        `json:"from_order,omitempty"`
	FromAddress AddressID      `json:"from_address,omitempty"`
	Weekdays    []time.Weekday `json:"weekdays"`
	At          TimeOfDay      `json:"at"`
	Start       Date           `json:"start"`        // zero: today in the account's time zone
	End         Date           `json:"end,omitzero"` // zero: none
	Mode        ScheduleMode   `json:"mode"`         // "": ScheduleDraft
}

// TimeOfDay is a local wall-clock time, in minutes after midnight.
type TimeOfDay int

// ParseTimeOfDay reads "9:30", "09:30" or "21:05". Errors: ErrInvalid.
func ParseTimeOfDay(s string) (TimeOfDay, error) {
	h, m, ok := strings.Cut(strings.TrimSpace(s), ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || len(h) < 1 || len(h) > 2 || len(m) != 2 || hh < 0 || hh > 23 || mm < 0 || mm > 59 ||
		strings.ContainsAny(h+m, "+-") {
		return 0, Errorf(Invalid, "%q is not a time of day like 09:30", s)
	}
	return TimeOfDay(hh*60 + mm), nil
}

// String writes the time as HH:MM.
func (t TimeOfDay) String() string { return fmt.Sprintf("%02d:%02d", int(t)/60, int(t)%60) }

// MarshalText writes the time as HH:MM.
func (t TimeOfDay) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// UnmarshalText reads HH:MM (ParseTimeOfDay).
func (t *TimeOfDay) UnmarshalText(b []byte) error {
	v, err := ParseTimeOfDay(string(b))
	*t = v
	return err
}

// Date is a calendar day of the account's time zone.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// ParseDate reads YYYY-MM-DD; "" is the zero Date. Errors: ErrInvalid.
func ParseDate(s string) (Date, error) {
	if s = strings.TrimSpace(s); s == "" {
		return Date{}, nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, Errorf(Invalid, "%q is not a date like 2026-12-31", s)
	}
	return DateOf(t), nil
}

// DateOf is the day t falls on in its own location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// IsZero reports whether d is the zero Date (no date).
func (d Date) IsZero() bool { return d == Date{} }

// String writes the date as YYYY-MM-DD, "" for the zero Date.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day)
}

// In returns the time of day t of the date in loc. A time that happens twice
// (the autumn change) is the first; a time the clocks skip (the spring change)
// is as late after the change as it was meant to be after the hour they
// skipped from (02:30 in Paris on the last Sunday of March is 03:30 CEST),
// where time.Date leaves the choice open.
func (d Date) In(t TimeOfDay, loc *time.Location) time.Time {
	wall := time.Date(d.Year, d.Month, d.Day, int(t)/60, int(t)%60, 0, 0, time.UTC)
	// The zone offsets in force around the day: the one before wins ties.
	_, before := wall.Add(-36 * time.Hour).In(loc).Zone()
	_, after := wall.Add(36 * time.Hour).In(loc).Zone()
	var first time.Time
	for _, off := range []int{before, after} {
		at := wall.Add(-time.Duration(off) * time.Second).In(loc)
		if at.Hour()*60+at.Minute() == int(t) && DateOf(at) == d && (first.IsZero() || at.Before(first)) {
			first = at
		}
	}
	if first.IsZero() {
		return wall.Add(-time.Duration(before) * time.Second).In(loc) // skipped: the offset before the change
	}
	return first
}

// before reports whether d is a day before e.
func (d Date) before(e Date) bool {
	return d.Year < e.Year || d.Year == e.Year && (d.Month < e.Month || d.Month == e.Month && d.Day < e.Day)
}

// MarshalText writes YYYY-MM-DD.
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads YYYY-MM-DD (ParseDate).
func (d *Date) UnmarshalText(b []byte) error {
	v, err := ParseDate(string(b))
	*d = v
	return err
}

var weekdayNames = map[string]time.Weekday{
	"sun": time.Sunday, "sunday": time.Sunday, "mon": time.Monday, "monday": time.Monday,
	"tue": time.Tuesday, "tues": time.Tuesday, "tuesday": time.Tuesday, "wed": time.Wednesday, "wednesday": time.Wednesday,
	"thu": time.Thursday, "thur": time.Thursday, "thurs": time.Thursday, "thursday": time.Thursday,
	"fri": time.Friday, "friday": time.Friday, "sat": time.Saturday, "saturday": time.Saturday,
}

// ParseWeekdays reads weekdays named in English, full or short, separated by
// commas or spaces ("Mon, Thu", "monday thursday"), into week order without
// repeats. Errors: ErrInvalid, naming the word it does not know.
func ParseWeekdays(s string) ([]time.Weekday, error) {
	var out []time.Weekday
	for w := range strings.FieldsFuncSeq(s, func(r rune) bool { return r == ',' || r == ' ' || r == ';' || r == '\t' }) {
		d, ok := weekdayNames[strings.ToLower(w)]
		if !ok {
			return nil, Errorf(Invalid, "%q is not a day of the week", w)
		}
		out = append(out, d)
	}
	return normalWeekdays(out), nil
}

// normalWeekdays sorts days into week order (Sunday first) without repeats.
func normalWeekdays(days []time.Weekday) []time.Weekday {
	out := slices.Clone(days)
	slices.Sort(out)
	return slices.Compact(out)
}

// FormatWeekdays names the days, short, in week order: "Mon, Thu".
func FormatWeekdays(days []time.Weekday) string {
	names := make([]string, len(days))
	for i, d := range days {
		names[i] = d.String()[:3]
	}
	return strings.Join(names, ", ")
}

// maxScheduleDays bounds how far Next looks: a week has every weekday.
const maxScheduleDays = 8

// Next returns the schedule's first occurrence after the instant, in loc,
// or the zero time when none is left before its end date. Paused or not.
func (sc *Schedule) Next(after time.Time, loc *time.Location) time.Time {
	if len(sc.Weekdays) == 0 {
		return time.Time{}
	}
	day := DateOf(after.In(loc))
	if day.before(sc.Start) {
		day = sc.Start
	}
	for range maxScheduleDays + 1 {
		if !sc.End.IsZero() && sc.End.before(day) {
			return time.Time{}
		}
		t := day.In(sc.At, loc)
		if slices.Contains(sc.Weekdays, t.Weekday()) && t.After(after) {
			return t.UTC()
		}
		day = DateOf(time.Date(day.Year, day.Month, day.Day+1, 12, 0, 0, 0, time.UTC))
	}
	return time.Time{}
}

// checkSchedule refuses a schedule that could never run or is malformed.
func checkSchedule(sc *Schedule) error {
	var errs []FieldError
	if len(sc.Weekdays) == 0 {
		errs = append(errs, FieldError{Field: "weekdays", Reason: "choose at least one day of the week"})
	}
	for _, d := range sc.Weekdays {
		if d < time.Sunday || d > time.Saturday {
			errs = append(errs, FieldError{Field: "weekdays", Reason: "is not a day of the week"})
			break
		}
	}
	if sc.At < 0 || sc.At >= 24*60 {
		errs = append(errs, FieldError{Field: "at", Reason: "must be a time of day from 00:00 to 23:59"})
	}
	if sc.Mode != ScheduleDraft && sc.Mode != ScheduleSubmit {
		errs = append(errs, FieldError{Field: "mode", Reason: `must be "draft" or "submit"`})
	}
	if !sc.End.IsZero() && sc.End.before(sc.Start) {
		errs = append(errs, FieldError{Field: "end", Reason: "is before the start date"})
	}
	if len([]rune(sc.Name)) > 200 {
		errs = append(errs, FieldError{Field: "name", Reason: "is longer than 200 characters"})
	}
	errs = append(errs, (RequiredFieldPolicy{}).Check(sc.Template)...)
	if len(errs) > 0 {
		return InvalidFields(errs)
	}
	return nil
}

// CreateSchedule makes a recurring schedule of the caller's client. Team
// members whose client may upload may. Its first occurrence is the first one
// after now. Errors: ErrForbidden; ErrInvalid; ErrNotFound (FromOrder or
// FromAddress).
func (s *Service) CreateSchedule(ctx context.Context, a Actor, in ScheduleInput) (*Schedule, error) {
	c, loc, err := s.authorizeSchedule(ctx, a)
	if err != nil {
		return nil, err
	}
	tmpl, err := s.scheduleTemplate(ctx, c, in)
	if err != nil {
		return nil, err
	}
	now := s.clock()
	sc := &Schedule{ID: ScheduleID(s.newID()), Account: c.Account, Client: c.Actor.Client, Name: strings.TrimSpace(in.Name),
		Template: normalizeInput(tmpl), Weekdays: normalWeekdays(in.Weekdays), At: in.At, Start: in.Start, End: in.End,
		Mode: in.Mode, CreatedBy: c.history(), Version: 1, CreatedAt: now, UpdatedAt: now}
	if sc.Mode == "" {
		sc.Mode = ScheduleDraft
	}
	if sc.Start.IsZero() {
		sc.Start = DateOf(now.In(loc))
	}
	if sc.Name == "" {
		sc.Name = scheduleName(sc)
	}
	if err := checkSchedule(sc); err != nil {
		return nil, err
	}
	sc.NextAt = sc.Next(now, loc)
	if err := s.store.CreateSchedule(ctx, c.scope(), sc); err != nil {
		return nil, err
	}
	return sc, nil
}

// scheduleTemplate is the order a schedule's input repeats: its template, or
// the order or address entry it names. Errors: ErrNotFound.
func (s *Service) scheduleTemplate(ctx context.Context, c caller, in ScheduleInput) (OrderInput, error) {
	switch {
	case in.FromOrder != "":
		o, err := s.store.Order(ctx, c.scope(), in.FromOrder)
		if err != nil {
			return OrderInput{}, err
		}
		return o.OrderInput, nil
	case in.FromAddress != "":
		e, err := s.store.AddressEntry(ctx, c.scope(), in.FromAddress)
		if err != nil {
			return OrderInput{}, err
		}
		return e.OrderInput(), nil
	}
	return in.Template, nil
}

// scheduleName names a schedule that was given no name: its recipient, or its
// address.
func scheduleName(sc *Schedule) string {
	if n := sc.Template.Recipient.Name; n != "" {
		return n
	}
	return sc.Template.Address.Line1
}

// Schedules lists the caller's client's schedules, oldest first. Team members
// may. Errors: ErrForbidden.
func (s *Service) Schedules(ctx context.Context, a Actor) ([]*Schedule, error) {
	c, err := s.authorizeRead(ctx, a, actEditOrders)
	if err != nil {
		return nil, err
	}
	return s.store.Schedules(ctx, c.scope())
}

// Schedule returns one schedule of the caller's client. Errors: ErrNotFound;
// ErrForbidden.
func (s *Service) Schedule(ctx context.Context, a Actor, id ScheduleID) (*Schedule, error) {
	c, err := s.authorizeRead(ctx, a, actEditOrders)
	if err != nil {
		return nil, err
	}
	return s.store.Schedule(ctx, c.scope(), id)
}

// ScheduleRuns returns a schedule's most recent runs, newest first (at most
// 50). Errors: ErrNotFound; ErrForbidden.
func (s *Service) ScheduleRuns(ctx context.Context, a Actor, id ScheduleID) ([]ScheduleRun, error) {
	c, err := s.authorizeRead(ctx, a, actEditOrders)
	if err != nil {
		return nil, err
	}
	if _, err := s.store.Schedule(ctx, c.scope(), id); err != nil {
		return nil, err
	}
	return s.store.ScheduleRuns(ctx, c.scope(), id, 50)
}

// PauseSchedule stops a schedule's occurrences until it is resumed; those
// that fall while it is paused are not made. Team members may.
// Errors: ErrNotFound; ErrForbidden; ErrConflict when it changed meanwhile.
func (s *Service) PauseSchedule(ctx context.Context, a Actor, id ScheduleID) (*Schedule, error) {
	return s.changeSchedule(ctx, a, id, func(_ caller, sc *Schedule, _ time.Time, _ *time.Location) error {
		sc.Paused = true
		return nil
	})
}

// ResumeSchedule starts a paused schedule again from its next occurrence
// after now. Team members whose client may upload may.
// Errors: ErrNotFound; ErrForbidden; ErrConflict when it changed meanwhile.
func (s *Service) ResumeSchedule(ctx context.Context, a Actor, id ScheduleID) (*Schedule, error) {
	return s.changeSchedule(ctx, a, id, func(_ caller, sc *Schedule, now time.Time, loc *time.Location) error {
		if sc.Paused {
			sc.Paused, sc.NextAt = false, sc.Next(now, loc)
		}
		return nil
	})
}

// UpdateSchedule changes a schedule of the caller's client to in (its name,
// template — or the order or address entry to take it from —, days, time,
// start and end dates, mode), at the version the caller read; its next
// occurrence is the first one of the new days after now (a paused schedule
// stays paused). The runs it made stay. Team members whose client may upload may.
// Errors: ErrNotFound; ErrForbidden; ErrInvalid; ErrConflict when it changed
// since version.
func (s *Service) UpdateSchedule(ctx context.Context, a Actor, id ScheduleID, version int, in ScheduleInput) (*Schedule, error) {
	return s.changeSchedule(ctx, a, id, func(c caller, sc *Schedule, now time.Time, loc *time.Location) error {
		if sc.Version != version {
			return Errorf(Conflict, "schedule %q was changed by someone else meanwhile; reload it", sc.Name)
		}
		tmpl, err := s.scheduleTemplate(ctx, c, in)
		if err != nil {
			return err
		}
		sc.Name, sc.Template, sc.Weekdays, sc.At, sc.End, sc.Mode = strings.TrimSpace(in.Name), normalizeInput(tmpl),
			normalWeekdays(in.Weekdays), in.At, in.End, in.Mode
		if !in.Start.IsZero() {
			sc.Start = in.Start
		}
		if sc.Mode == "" {
			sc.Mode = ScheduleDraft
		}
		if sc.Name == "" {
			sc.Name = scheduleName(sc)
		}
		if err := checkSchedule(sc); err != nil {
			return err
		}
		sc.NextAt = sc.Next(now, loc)
		return nil
	})
}

// authorizeSchedule admits a team member whose client may upload orders, and
// returns the account's time zone, in which schedules run.
func (s *Service) authorizeSchedule(ctx context.Context, a Actor) (caller, *time.Location, error) {
	c, err := s.authorizeUpload(ctx, a)
	if err != nil {
		return caller{}, nil, err
	}
	loc, err := s.location(ctx, c.Account)
	return c, loc, err
}

// changeSchedule loads one of the caller's schedules, applies change (which
// may refuse it) and writes it back with a compare-and-set on its version.
func (s *Service) changeSchedule(ctx context.Context, a Actor, id ScheduleID, change func(caller, *Schedule, time.Time, *time.Location) error) (*Schedule, error) {
	c, loc, err := s.authorizeSchedule(ctx, a)
	if err != nil {
		return nil, err
	}
	sc, err := s.store.Schedule(ctx, c.scope(), id)
	if err != nil {
		return nil, err
	}
	now := s.clock()
	if err := change(c, sc, now, loc); err != nil {
		return nil, err
	}
	sc.UpdatedAt = now
	if err := s.store.UpdateSchedule(ctx, c.scope(), sc); err != nil {
		return nil, err
	}
	return sc, nil
}

// DeleteSchedule deletes a schedule and its runs' records; the orders it made
// stay. Team members may. Errors: ErrNotFound; ErrForbidden.
func (s *Service) DeleteSchedule(ctx context.Context, a Actor, id ScheduleID) error {
	c, err := s.authorize(ctx, a, actEditOrders)
	if err != nil {
		return err
	}
	return s.store.DeleteSchedule(ctx, c.scope(), id)
}
