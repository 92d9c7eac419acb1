package storagetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/dispatchkit/connect"
)

// RunSchedules runs the tests of connect.ScheduleStore.
func RunSchedules(t *testing.T, open func(t *testing.T) connect.Store) {
	run(t, open, []test{
		{"SchedulesRoundTripListAndCompareAndSet", testSchedules},
		{"DueSchedulesAreTheUnpausedOnesDueByNow", testDueSchedules},
		{"ScheduleRunsAreRecordedOncePerOccurrence", testScheduleRuns},
		{"ConcurrentRunsOfOneOccurrenceRecordOne", testScheduleRunsConcurrent},
		{"SchedulesStayInTheirTenant", testSchedulesIsolation},
	})
}

// schedule returns (without storing) a schedule of the client, created at
// f.at(n), next due at f.at(n+100).
func (f *fixture) schedule(c *connect.Client, n int) *connect.Schedule {
	return &connect.Schedule{ID: connect.ScheduleID(f.id("sc")), Account: c.Account, Client: c.ID, Name: fmt.Sprintf("Weekly %d", n),
		Template: connect.OrderInput{Ref: "W", StopType: connect.Delivery, Address: connect.Address{Line1: "1 High St"},
			Recipient: connect.Recipient{Name: "Ada"}, PackageCount: 2, Products: []connect.Product{{Name: "Milk", Quantity: 3}}},
		Weekdays: []time.Weekday{time.Monday, time.Thursday}, At: 9 * 60, Start: connect.Date{Year: 2026, Month: 11, Day: 30},
		End: connect.Date{Year: 2027, Month: 3, Day: 31}, Mode: connect.ScheduleSubmit, NextAt: f.at(n + 100),
		CreatedBy: "member m1 (owner)", CreatedAt: f.at(n), UpdatedAt: f.at(n)}
}

// run returns a run of the schedule's occurrence at f.at(n).
func (f *fixture) run(sc *connect.Schedule, n int) connect.ScheduleRun {
	return connect.ScheduleRun{Schedule: sc.ID, Account: sc.Account, Client: sc.Client, Occurrence: f.at(n), At: f.at(n + 1),
		Outcome: connect.RunDrafted, Order: connect.OrderID(f.id("o")), Reason: "not submitted: uploads are off"}
}

// testSchedules: a schedule round-trips at version 1; lists are oldest first;
// an update is a compare-and-set; advancing moves NextAt once without moving
// the version; deleting removes it and its runs.
func testSchedules(t *testing.T, f *fixture) {
	c := f.client(f.account())
	s1, s2 := f.schedule(c, 2), f.schedule(c, 1)
	s2.End, s2.Paused, s2.Mode = connect.Date{}, true, connect.ScheduleDraft
	for _, sc := range []*connect.Schedule{s1, s2} {
		must(t, f.s.CreateSchedule(f.ctx, scopeOf(c), sc))
	}
	if s1.Version != 1 {
		t.Fatalf("CreateSchedule set Version %d; want 1", s1.Version)
	}
	same(t, "the schedule read back", s1, second2(f.s.Schedule(f.ctx, scopeOf(c), s1.ID)))
	same(t, "the schedules, oldest first", []*connect.Schedule{s2, s1}, second2(f.s.Schedules(f.ctx, scopeOf(c))))
	wantCode(t, "CreateSchedule with an id in use", f.s.CreateSchedule(f.ctx, scopeOf(c), s1), connect.Conflict)

	stale := *s1
	s1.Paused, s1.Weekdays, s1.At, s1.UpdatedAt = true, []time.Weekday{time.Sunday}, 23*60+59, f.at(3)
	must(t, f.s.UpdateSchedule(f.ctx, scopeOf(c), s1))
	same(t, "the updated schedule", s1, second2(f.s.Schedule(f.ctx, scopeOf(c), s1.ID)))
	wantCode(t, "UpdateSchedule at a stale version", f.s.UpdateSchedule(f.ctx, scopeOf(c), &stale), connect.Conflict)

	ok, err := f.s.AdvanceSchedule(f.ctx, scopeOf(c), s1.ID, s1.NextAt, f.at(200))
	must(t, err)
	again, err := f.s.AdvanceSchedule(f.ctx, scopeOf(c), s1.ID, s1.NextAt, f.at(300))
	must(t, err)
	if !ok || again {
		t.Fatalf("AdvanceSchedule twice from the same time reported %v, %v; want true, false", ok, again)
	}
	want := *s1
	want.NextAt = f.at(200)
	same(t, "the advanced schedule", &want, second2(f.s.Schedule(f.ctx, scopeOf(c), s1.ID)))
	must(t, second(f.s.AdvanceSchedule(f.ctx, scopeOf(c), s1.ID, f.at(200), time.Time{})))
	if got := second2(f.s.Schedule(f.ctx, scopeOf(c), s1.ID)); !got.NextAt.IsZero() {
		t.Fatalf("advanced to none, NextAt is %v", got.NextAt)
	}
	must(t, second(f.s.AddScheduleRun(f.ctx, scopeOf(c), f.run(s1, 50))))
	must(t, f.s.DeleteSchedule(f.ctx, scopeOf(c), s1.ID))
	wantCode(t, "the deleted schedule", second(f.s.Schedule(f.ctx, scopeOf(c), s1.ID)), connect.NotFound)
	if got := second2(f.s.ScheduleRuns(f.ctx, scopeOf(c), s1.ID, 0)); len(got) != 0 {
		t.Fatalf("the deleted schedule has %d runs", len(got))
	}
	wantCode(t, "DeleteSchedule again", f.s.DeleteSchedule(f.ctx, scopeOf(c), s1.ID), connect.NotFound)
	wantCode(t, "AdvanceSchedule of the deleted schedule", second(f.s.AdvanceSchedule(f.ctx, scopeOf(c), s1.ID, f.at(1), f.at(2))), connect.NotFound)
}

// testDueSchedules: of every account, the unpaused schedules with a NextAt at
// or before now, the most overdue first.
func testDueSchedules(t *testing.T, f *fixture) {
	now := time.Date(2040, 1, 1, 0, 0, 0, 0, time.UTC) // after every other test's schedules
	c, other := f.client(f.account()), f.client(f.account())
	due1, due2, paused, later, ended := f.schedule(c, 1), f.schedule(other, 2), f.schedule(c, 3), f.schedule(c, 4), f.schedule(c, 5)
	due1.NextAt, due2.NextAt = now.Add(-time.Minute), now.Add(-time.Hour)
	paused.NextAt, paused.Paused = now.Add(-time.Hour), true
	later.NextAt, ended.NextAt = now.Add(time.Second), time.Time{}
	for _, sc := range []*connect.Schedule{due1, due2, paused, later, ended} {
		must(t, f.s.CreateSchedule(f.ctx, connect.Scope{Account: sc.Account}, sc))
	}
	var mine []*connect.Schedule
	for _, sc := range second2(f.s.DueSchedulesAnyAccount(f.ctx, now, 0)) {
		if sc.Client == c.ID || sc.Client == other.ID {
			mine = append(mine, sc)
		}
	}
	same(t, "the due schedules", []*connect.Schedule{due2, due1}, mine)
}

// testScheduleRuns: a run is recorded once per occurrence; runs list newest
// occurrence first, bounded.
func testScheduleRuns(t *testing.T, f *fixture) {
	c := f.client(f.account())
	sc := f.schedule(c, 1)
	must(t, f.s.CreateSchedule(f.ctx, scopeOf(c), sc))
	r1, r2 := f.run(sc, 10), f.run(sc, 20)
	r2.Outcome, r2.Reason = connect.RunSubmitted, ""
	for _, r := range []connect.ScheduleRun{r1, r2} {
		if ok := second2(f.s.AddScheduleRun(f.ctx, scopeOf(c), r)); !ok {
			t.Fatalf("the first run of %v was not recorded", r.Occurrence)
		}
	}
	dup := f.run(sc, 10)
	if ok := second2(f.s.AddScheduleRun(f.ctx, scopeOf(c), dup)); ok {
		t.Fatal("a second run of one occurrence was recorded")
	}
	same(t, "the runs", []connect.ScheduleRun{r2, r1}, second2(f.s.ScheduleRuns(f.ctx, scopeOf(c), sc.ID, 0)))
	same(t, "the newest run", []connect.ScheduleRun{r2}, second2(f.s.ScheduleRuns(f.ctx, scopeOf(c), sc.ID, 1)))
	stray := f.run(sc, 30)
	stray.Schedule = connect.ScheduleID(f.id("sc"))
	wantCode(t, "AddScheduleRun of an unknown schedule", second(f.s.AddScheduleRun(f.ctx, scopeOf(c), stray)), connect.NotFound)
}

// testScheduleRunsConcurrent: transactions recording the same occurrence at
// once: exactly one records it, whichever commits first; the others wait and
// find it recorded.
func testScheduleRunsConcurrent(t *testing.T, f *fixture) {
	c := f.client(f.account())
	sc := f.schedule(c, 1)
	must(t, f.s.CreateSchedule(f.ctx, scopeOf(c), sc))
	const n = 6
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		recorded int
	)
	for i := range n {
		wg.Go(func() {
			r := f.run(sc, 10)
			r.Reason = fmt.Sprintf("by %d", i)
			err := f.s.Tx(f.ctx, func(tx connect.Store) error {
				ok, err := tx.AddScheduleRun(f.ctx, scopeOf(c), r)
				if ok {
					mu.Lock()
					recorded++
					mu.Unlock()
				}
				return err
			})
			if err != nil && connect.ErrorCode(err) != connect.Unavailable {
				t.Errorf("run %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	if recorded != 1 {
		t.Fatalf("%d transactions recorded the occurrence; want 1", recorded)
	}
	if got := second2(f.s.ScheduleRuns(f.ctx, scopeOf(c), sc.ID, 0)); len(got) != 1 {
		t.Fatalf("%d runs stored; want 1", len(got))
	}
}

// testSchedulesIsolation: every method from a sibling's, another account's
// and the other account's scope finds nothing and changes nothing.
func testSchedulesIsolation(t *testing.T, f *fixture) {
	c := f.client(f.account())
	sibling := f.client(c.Account)
	foreign := f.client(f.account())
	sc := f.schedule(c, 1)
	must(t, f.s.CreateSchedule(f.ctx, scopeOf(c), sc))
	must(t, second(f.s.AddScheduleRun(f.ctx, scopeOf(c), f.run(sc, 10))))
	for _, scope := range []connect.Scope{scopeOf(sibling), scopeOf(foreign), {Account: foreign.Account}} {
		name := fmt.Sprintf("from %+v", scope)
		wantCode(t, name+": Schedule", second(f.s.Schedule(f.ctx, scope, sc.ID)), connect.NotFound)
		if got := second2(f.s.Schedules(f.ctx, scope)); len(got) != 0 {
			t.Fatalf("%s: Schedules listed %d of another tenant's", name, len(got))
		}
		wantCode(t, name+": CreateSchedule", f.s.CreateSchedule(f.ctx, scope, f.schedule(c, 2)), connect.NotFound)
		changed := *sc
		changed.Paused = true
		wantCode(t, name+": UpdateSchedule", f.s.UpdateSchedule(f.ctx, scope, &changed), connect.NotFound)
		wantCode(t, name+": AdvanceSchedule", second(f.s.AdvanceSchedule(f.ctx, scope, sc.ID, sc.NextAt, f.at(500))), connect.NotFound)
		wantCode(t, name+": AddScheduleRun", second(f.s.AddScheduleRun(f.ctx, scope, f.run(sc, 20))), connect.NotFound)
		other := f.run(sc, 20)
		other.Account, other.Client = scope.Account, scope.Client
		wantCode(t, name+": AddScheduleRun naming the scope", second(f.s.AddScheduleRun(f.ctx, scope, other)), connect.NotFound)
		if got := second2(f.s.ScheduleRuns(f.ctx, scope, sc.ID, 0)); len(got) != 0 {
			t.Fatalf("%s: ScheduleRuns listed %d of another tenant's", name, len(got))
		}
		wantCode(t, name+": DeleteSchedule", f.s.DeleteSchedule(f.ctx, scope, sc.ID), connect.NotFound)
	}
	same(t, "the schedule after foreign calls", sc, second2(f.s.Schedule(f.ctx, scopeOf(c), sc.ID)))
	if got := second2(f.s.ScheduleRuns(f.ctx, scopeOf(c), sc.ID, 0)); len(got) != 1 {
		t.Fatalf("the runs after foreign calls: %d; want 1", len(got))
	}
}
