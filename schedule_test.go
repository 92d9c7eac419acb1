package connect_test

import (
	"context"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/connecttest"
	"github.com/dispatchkit/connect/internal/pgtest"
	"github.com/dispatchkit/connect/storage"
	"github.com/google/go-cmp/cmp"
)

// mustLoad is a time zone of the tz database, or the test fails.
func mustLoad(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("time zone %s: %v", name, err)
	}
	return loc
}

// scheduleWorld is a world whose account lives in loc, on a clock the test
// moves, starting at start.
func scheduleWorld(t *testing.T, loc *time.Location, start time.Time) (*world, *connecttest.Clock) {
	t.Helper()
	clock := connecttest.NewClock(start)
	w := newWorldWith(t, func(c *connect.Config) {
		c.Now = clock.Now
		c.AccountLocation = func(context.Context, connect.AccountID) (*time.Location, error) { return loc, nil }
	})
	return w, clock
}

// TestScheduleOccurrencesKeepTheirLocalTimeAcrossClockChanges: Next walks
// the weekdays at the local time, through both changes of London's and
// Paris's clocks, a skipped time landing after the change, a repeated time
// taken once, and stops after the end date.
func TestScheduleOccurrencesKeepTheirLocalTimeAcrossClockChanges(t *testing.T) {
	london, paris := mustLoad(t, "Europe/London"), mustLoad(t, "Europe/Paris")
	utc := func(y int, m time.Month, d, h, min int) time.Time { return time.Date(y, m, d, h, min, 0, 0, time.UTC) }
	for _, tc := range []struct {
		name  string
		loc   *time.Location
		sc    connect.Schedule
		from  time.Time
		wants []time.Time
	}{
		{"London, Mon and Thu 09:00, the clocks going back on Sun 25 Oct 2026", london,
			connect.Schedule{Weekdays: []time.Weekday{time.Monday, time.Thursday}, At: 9 * 60, Start: connect.Date{Year: 2026, Month: 10, Day: 1}},
			utc(2026, 10, 19, 0, 0),
			[]time.Time{utc(2026, 10, 19, 8, 0), utc(2026, 10, 22, 8, 0), utc(2026, 10, 26, 9, 0), utc(2026, 10, 29, 9, 0)}},
		{"London, Sun 01:30 happens twice on 25 Oct 2026: the first", london,
			connect.Schedule{Weekdays: []time.Weekday{time.Sunday}, At: 90, Start: connect.Date{Year: 2026, Month: 10, Day: 1}},
			utc(2026, 10, 20, 0, 0),
			[]time.Time{utc(2026, 10, 25, 0, 30), utc(2026, 11, 1, 1, 30)}},
		{"Paris, Sun and Mon 09:00, the clocks going forward on Sun 28 Mar 2027", paris,
			connect.Schedule{Weekdays: []time.Weekday{time.Sunday, time.Monday}, At: 9 * 60, Start: connect.Date{Year: 2027, Month: 3, Day: 1}},
			utc(2027, 3, 20, 0, 0),
			[]time.Time{utc(2027, 3, 21, 8, 0), utc(2027, 3, 22, 8, 0), utc(2027, 3, 28, 7, 0), utc(2027, 3, 29, 7, 0)}},
		{"Paris, Sun 02:30 is skipped on 28 Mar 2027: 03:30 CEST", paris,
			connect.Schedule{Weekdays: []time.Weekday{time.Sunday}, At: 150, Start: connect.Date{Year: 2027, Month: 3, Day: 1}},
			utc(2027, 3, 22, 0, 0),
			[]time.Time{utc(2027, 3, 28, 1, 30), utc(2027, 4, 4, 0, 30)}},
		{"a start date in the future, an end date after two", london,
			connect.Schedule{Weekdays: []time.Weekday{time.Wednesday}, At: 12 * 60, Start: connect.Date{Year: 2027, Month: 1, Day: 6},
				End: connect.Date{Year: 2027, Month: 1, Day: 13}},
			utc(2026, 12, 1, 0, 0),
			[]time.Time{utc(2027, 1, 6, 12, 0), utc(2027, 1, 13, 12, 0), {}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []time.Time
			at := tc.from
			for range tc.wants {
				at = tc.sc.Next(at, tc.loc)
				got = append(got, at)
				if at.IsZero() {
					break
				}
			}
			if d := cmp.Diff(tc.wants, got); d != "" {
				t.Fatalf("occurrences (-want +got):\n%s", d)
			}
		})
	}
}

// scheduleOrders returns the client's orders a schedule made, oldest first.
func scheduleOrders(t *testing.T, w *world, a connect.Actor) []*connect.Order {
	t.Helper()
	page, err := w.svc.Orders(w.ctx, a, connect.ListOrdersParams{Source: connect.SourceSchedule, Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	out := page.Orders
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// TestSchedulesMakeTheirOrdersAcrossAWeekWhenTheClocksGoBack runs the
// scheduler every hour of a week whose Sunday puts London's clocks back: a
// Monday-and-Thursday 09:00 schedule submits its orders at 09:00 local time
// both sides of the change, each once, named after the day, with the
// schedule in their history, and runs nothing more than asked.
func TestSchedulesMakeTheirOrdersAcrossAWeekWhenTheClocksGoBack(t *testing.T) {
	t.Parallel()
	london := mustLoad(t, "Europe/London")
	w, clock := scheduleWorld(t, london, time.Date(2026, 10, 21, 12, 0, 0, 0, time.UTC)) // a Wednesday
	tmpl := w.draft(w.owner, "WEEKLY")
	sc, err := w.svc.CreateSchedule(w.ctx, w.owner, connect.ScheduleInput{Name: "Shop restock", FromOrder: tmpl.ID,
		Weekdays: []time.Weekday{time.Thursday, time.Monday}, At: 9 * 60, Mode: connect.ScheduleSubmit})
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 10, 22, 8, 0, 0, 0, time.UTC); !sc.NextAt.Equal(want) {
		t.Fatalf("NextAt %v; want %v (09:00 BST)", sc.NextAt, want)
	}
	for range 8 * 24 { // to Thu 29 Oct 12:00
		clock.Advance(time.Hour)
		if _, err := w.svc.RunSchedules(w.ctx, connect.ScheduleOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	runs, err := w.svc.ScheduleRuns(w.ctx, w.owner, sc.ID)
	if err != nil {
		t.Fatal(err)
	}
	var local []string
	for _, r := range runs {
		local = append(local, r.Occurrence.In(london).Format("Mon 2 Jan 15:04 MST")+" "+string(r.Outcome))
	}
	want := []string{"Thu 29 Oct 09:00 GMT submitted", "Mon 26 Oct 09:00 GMT submitted", "Thu 22 Oct 09:00 BST submitted"}
	if d := cmp.Diff(want, local); d != "" {
		t.Fatalf("runs (-want +got):\n%s", d)
	}
	orders := scheduleOrders(t, w, w.owner)
	var refs []string
	for i, o := range orders {
		refs = append(refs, o.Ref+" "+string(o.Status))
		if o.OrderInput.Address != tmpl.Address || o.ID != runs[len(runs)-1-i].Order {
			t.Errorf("order %s: address %+v, id vs run %s", o.Ref, o.Address, runs[len(runs)-1-i].Order)
		}
		full, err := w.svc.Order(w.ctx, w.owner, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		if by := full.History[0].By; by != "schedule “Shop restock”" {
			t.Errorf("order %s was created by %q; want the schedule", o.Ref, by)
		}
	}
	if d := cmp.Diff([]string{"WEEKLY-20261022 submitted", "WEEKLY-20261026 submitted", "WEEKLY-20261029 submitted"}, refs); d != "" {
		t.Fatalf("orders (-want +got):\n%s", d)
	}
	got, err := w.svc.Schedule(w.ctx, w.owner, sc.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC); !got.NextAt.Equal(want) {
		t.Fatalf("NextAt after the week %v; want %v", got.NextAt, want)
	}
}

// TestSchedulesMakeDraftsAtTheRightTimeWhenTheClocksGoForward: a Sunday and
// Monday 08:00 Paris schedule of drafts, run every hour around the spring
// change, from an address book entry.
func TestSchedulesMakeDraftsAtTheRightTimeWhenTheClocksGoForward(t *testing.T) {
	t.Parallel()
	paris := mustLoad(t, "Europe/Paris")
	w, clock := scheduleWorld(t, paris, time.Date(2027, 3, 26, 0, 0, 0, 0, time.UTC))
	e, err := w.svc.AddAddressEntry(w.ctx, w.owner, connect.AddressEntryInput{Recipient: connect.Recipient{Name: "Café Lune"},
		Address: connect.Address{Line1: "3 rue de la Paix", City: "Paris"}})
	if err != nil {
		t.Fatal(err)
	}
	sc, err := w.svc.CreateSchedule(w.ctx, w.owner, connect.ScheduleInput{FromAddress: e.ID,
		Weekdays: []time.Weekday{time.Sunday, time.Monday}, At: 8 * 60, End: connect.Date{Year: 2027, Month: 3, Day: 29}})
	if err != nil {
		t.Fatal(err)
	}
	if sc.Name != "Café Lune" || sc.Mode != connect.ScheduleDraft {
		t.Fatalf("the schedule is named %q in mode %s; want the recipient's name, drafts", sc.Name, sc.Mode)
	}
	for range 5 * 24 {
		clock.Advance(time.Hour)
		if _, err := w.svc.RunSchedules(w.ctx, connect.ScheduleOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	for _, o := range scheduleOrders(t, w, w.owner) {
		got = append(got, o.CreatedAt.In(paris).Format("Mon 15:04 MST")+" "+string(o.Status)+" "+o.Recipient.Name)
	}
	want := []string{"Sun 08:00 CEST draft Café Lune", "Mon 08:00 CEST draft Café Lune"}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("orders (-want +got):\n%s", d)
	}
	if got, _ := w.svc.Schedule(w.ctx, w.owner, sc.ID); !got.NextAt.IsZero() {
		t.Fatalf("after its end date the schedule is due at %v; want never", got.NextAt)
	}
}

// TestSchedulesPauseResumeCatchUpAndLosePermission: a paused schedule makes
// nothing and resumes from the next occurrence; after downtime the
// occurrences of the last 24 hours are made and older ones recorded as
// skipped; with uploads turned off a submitting schedule leaves a draft and
// says why; a disabled client's occurrences are skipped.
func TestSchedulesPauseResumeCatchUpAndLosePermission(t *testing.T) {
	t.Parallel()
	w, clock := scheduleWorld(t, time.UTC, time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)) // a Monday
	every := []time.Weekday{time.Sunday, time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday}
	sc, err := w.svc.CreateSchedule(w.ctx, w.owner, connect.ScheduleInput{Template: connect.OrderInput{Address: connect.Address{Line1: "1 Daily Rd"}},
		Weekdays: every, At: 10 * 60, Mode: connect.ScheduleSubmit})
	if err != nil {
		t.Fatal(err)
	}
	run := func() int {
		t.Helper()
		n, err := w.svc.RunSchedules(w.ctx, connect.ScheduleOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	member := w.join(w.owner, "member@example.com", connect.RoleMember)
	if _, err := w.svc.PauseSchedule(w.ctx, member, sc.ID); err != nil {
		t.Fatal(err)
	}
	clock.Advance(36 * time.Hour) // Tue 12:00: Mon 10:00 fell while paused
	if n := run(); n != 0 {
		t.Fatalf("a paused schedule ran %d occurrences", n)
	}
	resumed, err := w.svc.ResumeSchedule(w.ctx, w.owner, sc.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 12, 9, 10, 0, 0, 0, time.UTC); !resumed.NextAt.Equal(want) {
		t.Fatalf("resumed, NextAt %v; want %v", resumed.NextAt, want)
	}
	clock.Set(time.Date(2026, 12, 12, 9, 30, 0, 0, time.UTC)) // down from Tue to Sat 09:30: Wed, Thu and Fri 10:00 are due
	if n := run(); n != 3 {
		t.Fatalf("after downtime %d runs; want 3 (two skipped, Friday's made)", n)
	}
	clock.Set(time.Date(2026, 12, 12, 10, 0, 0, 0, time.UTC))
	if n := run(); n != 1 {
		t.Fatalf("at Saturday's time %d runs; want 1", n)
	}
	off := false
	settings := w.client.Settings
	settings.AllowUpload = off
	if _, err := w.svc.UpdateClient(w.ctx, w.disp, w.client.ID, connect.ClientChanges{Settings: &settings}); err != nil {
		t.Fatal(err)
	}
	clock.Set(time.Date(2026, 12, 13, 10, 0, 0, 0, time.UTC))
	run()
	if _, err := w.svc.DisableClient(w.ctx, w.disp, w.client.ID); err != nil {
		t.Fatal(err)
	}
	clock.Set(time.Date(2026, 12, 14, 10, 0, 0, 0, time.UTC))
	run()
	if _, err := w.svc.EnableClient(w.ctx, w.disp, w.client.ID); err != nil {
		t.Fatal(err)
	}
	runs, err := w.svc.ScheduleRuns(w.ctx, w.owner, sc.ID)
	if err != nil {
		t.Fatal(err)
	}
	type row struct{ Day, Outcome, Reason string }
	var got []row
	for _, r := range runs {
		got = append(got, row{r.Occurrence.Format("Mon 15:04"), string(r.Outcome), r.Reason})
	}
	want := []row{
		{"Mon 10:00", "skipped", "the client's portal is turned off"},
		{"Sun 10:00", "drafted", "not submitted: your dispatcher has not enabled order uploads"},
		{"Sat 10:00", "submitted", ""},
		{"Fri 10:00", "submitted", ""},
		{"Thu 10:00", "skipped", "missed: the portal was not running within 24 hours of it"},
		{"Wed 10:00", "skipped", "missed: the portal was not running within 24 hours of it"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("runs (-want +got):\n%s", d)
	}
	var statuses []connect.Status
	for _, o := range scheduleOrders(t, w, w.owner) {
		statuses = append(statuses, o.Status)
	}
	if d := cmp.Diff([]connect.Status{connect.StatusSubmitted, connect.StatusSubmitted, connect.StatusDraft}, statuses); d != "" {
		t.Fatalf("orders (-want +got):\n%s", d)
	}
	if err := w.svc.DeleteSchedule(w.ctx, w.owner, sc.ID); err != nil {
		t.Fatal(err)
	}
	wantCode(t, w.svc.DeleteSchedule(w.ctx, w.owner, sc.ID), connect.NotFound)
	if n := len(scheduleOrders(t, w, w.owner)); n != 3 {
		t.Fatalf("deleting the schedule left %d of its orders; want all 3", n)
	}
}

// TestSchedulesRefuseWhatCouldNeverRun: no weekday, a bad mode, an end before
// the start, no address; and a client without uploads may not make one.
func TestSchedulesRefuseWhatCouldNeverRun(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ok := connect.ScheduleInput{Template: connect.OrderInput{Address: connect.Address{Line1: "1 A St"}}, Weekdays: []time.Weekday{time.Monday}}
	for name, edit := range map[string]func(*connect.ScheduleInput){
		"no weekday": func(in *connect.ScheduleInput) { in.Weekdays = nil },
		"a bad mode": func(in *connect.ScheduleInput) { in.Mode = "now" },
		"an end before start": func(in *connect.ScheduleInput) {
			in.Start, in.End = connect.Date{Year: 2027, Month: 1, Day: 2}, connect.Date{Year: 2027, Month: 1, Day: 1}
		},
		"no address":           func(in *connect.ScheduleInput) { in.Template.Address.Line1 = "" },
		"a time past midnight": func(in *connect.ScheduleInput) { in.At = 24 * 60 },
	} {
		in := ok
		edit(&in)
		_, err := w.svc.CreateSchedule(w.ctx, w.owner, in)
		if connect.ErrorCode(err) != connect.Invalid {
			t.Errorf("%s: err = %v; want invalid", name, err)
		}
	}
	_, tracker := w.signUpClient(w.disp, "Tracker Only", connect.ClientSettings{})
	_, err := w.svc.CreateSchedule(w.ctx, tracker, ok)
	wantCode(t, err, connect.Forbidden)
}

// scheduleDSN is a database two Stores can open: PostgreSQL when it is
// configured (the case that matters: several processes), else a SQLite file.
func scheduleDSN(t *testing.T) string {
	if os.Getenv("CONNECT_TEST_POSTGRES_URL") != "" {
		return pgtest.Schema(t)
	}
	return storeDSN(t)
}

// TestSchedulesRunEachOccurrenceOnceAcrossProcesses: two Services, each with
// its own Store on one database (two processes), run the same overdue
// schedules at once, two workers each: every occurrence has one run and one
// order.
func TestSchedulesRunEachOccurrenceOnceAcrossProcesses(t *testing.T) {
	t.Parallel()
	clock := connecttest.NewClock(time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC))
	utc := func(context.Context, connect.AccountID) (*time.Location, error) { return time.UTC, nil }
	w := newWorldOn(t, scheduleDSN(t), func(c *connect.Config) { c.Now, c.AccountLocation = clock.Now, utc })
	st, err := storage.Open(w.ctx, w.DSN)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	other, err := connect.New(connect.Config{Store: st, Now: clock.Now, AccountLocation: utc})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = other.Close() })
	const schedules = 4
	every := []time.Weekday{time.Sunday, time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday}
	var ids []connect.ScheduleID
	for i := range schedules {
		sc, err := w.svc.CreateSchedule(w.ctx, w.owner, connect.ScheduleInput{
			Template: connect.OrderInput{Ref: fmt.Sprintf("S%d", i), Address: connect.Address{Line1: fmt.Sprintf("%d Busy Rd", i)}},
			Weekdays: every, At: connect.TimeOfDay((i + 1) * 60), Mode: connect.ScheduleSubmit})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, sc.ID)
	}
	clock.Set(time.Date(2026, 12, 7, 23, 59, 0, 0, time.UTC)) // each has one occurrence today
	var (
		wg       sync.WaitGroup
		recorded atomic.Int64
		start    = make(chan struct{})
	)
	for _, svc := range []*connect.Service{w.svc, other, w.svc, other} {
		wg.Go(func() {
			<-start
			for range 3 {
				n, err := svc.RunSchedules(w.ctx, connect.ScheduleOptions{})
				if err != nil && connect.ErrorCode(err) != connect.Unavailable {
					t.Errorf("RunSchedules: %v", err)
				}
				recorded.Add(int64(n))
			}
		})
	}
	close(start)
	wg.Wait()
	n, err := w.svc.RunSchedules(w.ctx, connect.ScheduleOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := recorded.Load() + int64(n); got != schedules {
		t.Fatalf("the workers recorded %d runs between them; want %d", got, schedules)
	}
	orders := scheduleOrders(t, w, w.owner)
	if len(orders) != schedules {
		t.Fatalf("%d orders; want %d, one per occurrence", len(orders), schedules)
	}
	for _, id := range ids {
		runs, err := w.svc.ScheduleRuns(w.ctx, w.owner, id)
		if err != nil {
			t.Fatal(err)
		}
		if len(runs) != 1 || runs[0].Outcome != connect.RunSubmitted {
			t.Fatalf("schedule %s: runs %+v; want one, submitted", id, runs)
		}
	}
}

// TestRunSchedulerMakesDueOccurrencesUntilCancelled: the worker loop, woken
// by its timer, makes an occurrence that falls due, and returns when its
// context ends.
func TestRunSchedulerMakesDueOccurrencesUntilCancelled(t *testing.T) {
	t.Parallel()
	w, clock := scheduleWorld(t, time.UTC, time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC))
	sc, err := w.svc.CreateSchedule(w.ctx, w.owner, connect.ScheduleInput{Template: connect.OrderInput{Address: connect.Address{Line1: "1 Loop Rd"}},
		Weekdays: []time.Weekday{time.Monday}, At: 9 * 60})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(w.ctx)
	// The draft the scheduler makes reaches the team's live stream: wait for it.
	sub, err := w.svc.Subscribe(ctx, w.owner, connect.SubscribeParams{})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- w.svc.RunScheduler(ctx, connect.ScheduleOptions{Poll: 5 * time.Millisecond}) }()
	clock.Advance(time.Hour)
	select {
	case ev := <-sub.Events():
		if ev.Event != connect.EventCreate {
			t.Fatalf("the first event is %+v; want the draft's creation", ev)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("after 10 s the scheduler has made no order")
	}
	runs, err := w.svc.ScheduleRuns(w.ctx, w.owner, sc.ID)
	if err != nil || len(runs) != 1 || runs[0].Outcome != connect.RunDrafted {
		t.Fatalf("runs %v, %v; want one drafted", runs, err)
	}
	cancel()
	if err := <-done; err != context.Canceled {
		t.Fatalf("RunScheduler returned %v; want context.Canceled", err)
	}
}

// A schedule is changed at the version read: its next occurrence follows the
// new days and time; a paused one stays paused; a stale version is refused.
func TestSchedulesAreChangedAtTheVersionRead(t *testing.T) {
	t.Parallel()
	w, clock := scheduleWorld(t, time.UTC, time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)) // a Monday
	sc, err := w.svc.CreateSchedule(w.ctx, w.owner, connect.ScheduleInput{Name: "Mondays",
		Template: connect.OrderInput{Address: connect.Address{Line1: "1 Weekly Rd"}}, Weekdays: []time.Weekday{time.Monday}, At: 9 * 60})
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC); !sc.NextAt.Equal(want) {
		t.Fatalf("next %v, want %v", sc.NextAt, want)
	}
	clock.Advance(10 * time.Hour) // Monday 10:00
	changed, err := w.svc.UpdateSchedule(w.ctx, w.owner, sc.ID, sc.Version, connect.ScheduleInput{Name: "Thursdays",
		Template: sc.Template, Weekdays: []time.Weekday{time.Thursday}, At: 14*60 + 30, Mode: connect.ScheduleSubmit})
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 12, 10, 14, 30, 0, 0, time.UTC); !changed.NextAt.Equal(want) || changed.Name != "Thursdays" ||
		changed.Mode != connect.ScheduleSubmit || changed.Version != sc.Version+1 {
		t.Fatalf("changed: %+v; want next %v", changed, want)
	}
	_, err = w.svc.UpdateSchedule(w.ctx, w.owner, sc.ID, sc.Version, connect.ScheduleInput{Template: sc.Template, Weekdays: []time.Weekday{time.Friday}})
	connecttest.WantCode(t, err, connect.Conflict)
	_, err = w.svc.UpdateSchedule(w.ctx, w.owner, sc.ID, changed.Version, connect.ScheduleInput{Template: sc.Template})
	connecttest.WantCode(t, err, connect.Invalid) // no day
	paused, err := w.svc.PauseSchedule(w.ctx, w.owner, sc.ID)
	if err != nil {
		t.Fatal(err)
	}
	again, err := w.svc.UpdateSchedule(w.ctx, w.owner, sc.ID, paused.Version, connect.ScheduleInput{Template: sc.Template,
		Weekdays: []time.Weekday{time.Friday}, At: 8 * 60})
	if err != nil || !again.Paused {
		t.Fatalf("a paused schedule changed: %+v, %v", again, err)
	}
	clock.Advance(5 * 24 * time.Hour)
	if n, err := w.svc.RunSchedules(w.ctx, connect.ScheduleOptions{}); err != nil || n != 0 {
		t.Fatalf("a paused schedule ran %d occurrences (%v)", n, err)
	}
}
