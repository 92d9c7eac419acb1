package connect

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ScheduleOptions tunes RunScheduler and RunSchedules. Zero values are the
// defaults beside each field.
type ScheduleOptions struct {
	// Poll is how often RunScheduler looks for due occurrences: an order is
	// made within Poll of its time. 0: 30 seconds.
	Poll time.Duration
	// CatchUp is how late an occurrence may still be made, after the portal
	// was down; older ones are recorded as skipped, so that a week of
	// downtime does not bring a week of orders at once. 0: 24 hours.
	CatchUp time.Duration
	// Batch is how many due schedules one pass reads; 0: 100.
	Batch int
}

func (o *ScheduleOptions) defaults() {
	if o.Poll <= 0 {
		o.Poll = 30 * time.Second
	}
	if o.CatchUp <= 0 {
		o.CatchUp = 24 * time.Hour
	}
	if o.Batch <= 0 {
		o.Batch = 100
	}
}

// maxRunsPerPass bounds the occurrences of one schedule one pass makes or
// skips (a schedule of every day, after a year of downtime); the next pass
// goes on.
const maxRunsPerPass = 50

// errRanElsewhere rolls back an occurrence another process recorded first.
var errRanElsewhere = errors.New("connect: the occurrence was run by another process")

// RunScheduler makes the due occurrences of every account's schedules
// (RunSchedules) until ctx is done, looking every opts.Poll. Several
// schedulers (in one process or many, on one database) may run at once: each
// occurrence is made once. It returns ctx's error.
func (s *Service) RunScheduler(ctx context.Context, opts ScheduleOptions) error {
	opts.defaults()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-timer.C:
		}
		more, err := s.runDue(ctx, opts)
		if err != nil && ctx.Err() == nil {
			s.log.ErrorContext(ctx, "schedules: running due occurrences failed", "err", err)
		}
		if more {
			timer.Reset(0)
		} else {
			timer.Reset(opts.Poll)
		}
	}
}

// RunSchedules makes, once, every occurrence of every account's schedules that
// is due by the Service's clock: a draft or a submitted order each, or a
// skipped run when it is older than opts.CatchUp or the client is disabled.
// It returns how many runs this call recorded (another process may have
// recorded the rest). RunScheduler calls it in a loop; tests and hosts with
// their own scheduler may call it directly.
func (s *Service) RunSchedules(ctx context.Context, opts ScheduleOptions) (int, error) {
	opts.defaults()
	total := 0
	for {
		n, more, err := s.runPass(ctx, opts)
		total += n
		if err != nil || !more {
			return total, err
		}
	}
}

// runDue is one pass of RunScheduler: it reports whether more is due at once.
func (s *Service) runDue(ctx context.Context, opts ScheduleOptions) (bool, error) {
	_, more, err := s.runPass(ctx, opts)
	return more, err
}

// runPass runs one batch of due schedules, and reports whether a schedule or
// the batch was cut short (more is due now).
func (s *Service) runPass(ctx context.Context, opts ScheduleOptions) (int, bool, error) {
	now := s.clock()
	due, err := s.store.DueSchedulesAnyAccount(ctx, now, opts.Batch)
	if err != nil {
		return 0, false, err
	}
	total, more := 0, len(due) == opts.Batch
	var firstErr error
	for _, sc := range due {
		n, cut, err := s.runSchedule(ctx, sc, now, opts)
		total += n
		more = more || cut
		if err != nil {
			s.log.ErrorContext(ctx, "schedules: a schedule failed to run", "schedule", sc.ID, "err", err)
			if firstErr == nil {
				firstErr = err
			}
			if ctx.Err() != nil {
				return total, false, ctx.Err()
			}
		}
	}
	if firstErr != nil {
		more = false // a failing schedule waits for the next poll
	}
	return total, more, firstErr
}

// runSchedule makes a schedule's occurrences due by now, each in a
// transaction of its own, and reports how many runs it recorded and whether
// it stopped at maxRunsPerPass.
func (s *Service) runSchedule(ctx context.Context, sc *Schedule, now time.Time, opts ScheduleOptions) (int, bool, error) {
	loc, err := s.location(ctx, sc.Account)
	if err != nil {
		return 0, false, err
	}
	scope := Scope{Account: sc.Account, Client: sc.Client}
	n, made := 0, false
	occ := sc.NextAt
	for i := 0; !occ.IsZero() && !occ.After(now); i++ {
		if i == maxRunsPerPass {
			return n, true, nil
		}
		next := sc.Next(occ, loc)
		var ran ScheduleRun
		err := s.store.Tx(ctx, func(tx Store) (err error) {
			ran, err = s.runOccurrence(ctx, tx, sc, occ, now, loc, opts)
			if err != nil {
				return err
			}
			_, err = tx.AdvanceSchedule(ctx, scope, sc.ID, occ, next)
			return err
		})
		switch {
		case errors.Is(err, errRanElsewhere):
			// Recorded by another process: only move on (it advanced, or will).
			_, err = s.store.AdvanceSchedule(ctx, scope, sc.ID, occ, next)
			if err != nil {
				return n, false, err
			}
		case err != nil:
			return n, false, err
		default:
			n++
			made = made || ran.Order != ""
			s.log.InfoContext(ctx, "schedules: occurrence run", "schedule", sc.ID, "occurrence", occ, "outcome", ran.Outcome, "order", ran.Order)
		}
		occ = next
	}
	if made {
		s.committed(scope)
	}
	return n, false, nil
}

// runOccurrence decides and makes one occurrence through tx: it records the
// run first (which fails with errRanElsewhere when another process did), then
// adds the order and submits it when asked and allowed.
func (s *Service) runOccurrence(ctx context.Context, tx Store, sc *Schedule, occ, now time.Time, loc *time.Location, opts ScheduleOptions) (ScheduleRun, error) {
	scope := Scope{Account: sc.Account, Client: sc.Client}
	run := ScheduleRun{Schedule: sc.ID, Account: sc.Account, Client: sc.Client, Occurrence: occ, At: now}
	record := func() error {
		ok, err := tx.AddScheduleRun(ctx, scope, run)
		if err == nil && !ok {
			err = errRanElsewhere
		}
		return err
	}
	cl, err := tx.Client(ctx, scope, sc.Client)
	if err != nil {
		return run, err
	}
	switch {
	case now.Sub(occ) > opts.CatchUp:
		run.Outcome, run.Reason = RunSkipped, fmt.Sprintf("missed: the portal was not running within %s of it", formatHours(opts.CatchUp))
		return run, record()
	case cl.Status != ClientActive:
		run.Outcome, run.Reason = RunSkipped, "the client's portal is turned off"
		return run, record()
	}
	c := caller{Actor: Actor{Kind: ActorMember, Account: sc.Account, Client: sc.Client}, role: RoleMember, client: cl}
	by := "schedule " + quoteName(sc.Name)
	in := sc.Template
	in.Products = append([]Product(nil), in.Products...)
	if in.Ref != "" {
		if in.Ref, err = freeRef(ctx, tx, scope, in.Ref+"-"+strings.ReplaceAll(DateOf(occ.In(loc)).String(), "-", "")); err != nil {
			return run, err
		}
	}
	o := s.newDraft(c, in, SourceSchedule)
	ev := s.createdEvent(c, o)
	ev.By = by
	run.Order, run.Outcome = o.ID, RunDrafted
	if sc.Mode == ScheduleSubmit {
		switch errs := cl.Settings.RequiredFields.Check(in); {
		case !cl.Settings.AllowUpload:
			run.Reason = "not submitted: your dispatcher has not enabled order uploads"
		case len(errs) > 0:
			reasons := make([]string, len(errs))
			for i, e := range errs {
				reasons[i] = e.String()
			}
			run.Reason = "not submitted: " + strings.Join(reasons, "; ")
		default:
			run.Outcome = RunSubmitted
		}
	}
	if err := record(); err != nil {
		return run, err
	}
	if err := tx.CreateOrders(ctx, scope, []*Order{o}, []OrderEvent{ev}); err != nil {
		return run, err
	}
	if run.Outcome != RunSubmitted {
		return run, nil
	}
	submit := change{event: EventSubmit, apply: func(o *Order) {
		o.SubmittedAt = o.UpdatedAt
		o.Depot = cl.Settings.DefaultDepot
	}}
	p, outbox, err := s.prepare(ctx, tx, c, o, submit, s.newEffectSet(tx, scope))
	if err != nil {
		return run, err
	}
	p.Events[0].By = by
	if err := tx.SetStatuses(ctx, scope, []SetStatusParams{p}); err != nil {
		return run, err
	}
	if len(outbox) > 0 {
		return run, tx.AddOutbox(ctx, scope, outbox)
	}
	return run, nil
}

// quoteName puts a schedule's name in quotes for order history.
func quoteName(name string) string { return "\u201c" + name + "\u201d" }

// formatHours writes a duration of whole hours as "24 hours".
func formatHours(d time.Duration) string {
	if h := int(d / time.Hour); d%time.Hour == 0 && h > 0 {
		if h == 1 {
			return "1 hour"
		}
		return fmt.Sprintf("%d hours", h)
	}
	return d.String()
}
