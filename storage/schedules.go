package storage

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/dispatchkit/connect"
	"github.com/uptrace/bun"
)

type scheduleRow struct {
	bun.BaseModel `bun:"table:schedules,alias:sc"`

	ID        string    `bun:"id,pk"`
	AccountID string    `bun:"account_id"`
	ClientID  string    `bun:"client_id"`
	Name      string    `bun:"name"`
	Template  string    `bun:"template"` // connect.OrderInput as JSON
	Weekdays  string    `bun:"weekdays"` // digits, 0 = Sunday: "14" is Monday and Thursday
	AtMinute  int       `bun:"at_minute"`
	StartDate string    `bun:"start_date"`
	EndDate   string    `bun:"end_date"`
	Mode      string    `bun:"mode"`
	Paused    bool      `bun:"paused"`
	NextAt    time.Time `bun:"next_at,nullzero"`
	CreatedBy string    `bun:"created_by"`
	Version   int       `bun:"version"`
	CreatedAt time.Time `bun:"created_at"`
	UpdatedAt time.Time `bun:"updated_at"`
}

func newScheduleRow(sc *connect.Schedule) (*scheduleRow, error) {
	tmpl, err := json.Marshal(sc.Template)
	if err != nil {
		return nil, connect.Errorf(connect.Internal, "encoding the template of schedule %s: %w", sc.ID, err)
	}
	var days strings.Builder
	for _, d := range sc.Weekdays {
		days.WriteString(strconv.Itoa(int(d)))
	}
	return &scheduleRow{ID: string(sc.ID), AccountID: string(sc.Account), ClientID: string(sc.Client), Name: sc.Name,
		Template: string(tmpl), Weekdays: days.String(), AtMinute: int(sc.At), StartDate: sc.Start.String(),
		EndDate: sc.End.String(), Mode: string(sc.Mode), Paused: sc.Paused, NextAt: dbTime(sc.NextAt),
		CreatedBy: sc.CreatedBy, Version: sc.Version, CreatedAt: dbTime(sc.CreatedAt), UpdatedAt: dbTime(sc.UpdatedAt)}, nil
}

func (r *scheduleRow) schedule() (*connect.Schedule, error) {
	sc := &connect.Schedule{ID: connect.ScheduleID(r.ID), Account: connect.AccountID(r.AccountID), Client: connect.ClientID(r.ClientID),
		Name: r.Name, At: connect.TimeOfDay(r.AtMinute), Mode: connect.ScheduleMode(r.Mode), Paused: r.Paused,
		NextAt: goTime(r.NextAt), CreatedBy: r.CreatedBy, Version: r.Version, CreatedAt: goTime(r.CreatedAt), UpdatedAt: goTime(r.UpdatedAt)}
	if err := json.Unmarshal([]byte(r.Template), &sc.Template); err != nil {
		return nil, connect.Errorf(connect.Internal, "reading the template of schedule %s: %w", r.ID, err)
	}
	for _, c := range r.Weekdays {
		sc.Weekdays = append(sc.Weekdays, time.Weekday(c-'0'))
	}
	var err1, err2 error
	sc.Start, err1 = connect.ParseDate(r.StartDate)
	sc.End, err2 = connect.ParseDate(r.EndDate)
	if err1 != nil || err2 != nil {
		return nil, connect.Errorf(connect.Internal, "reading the dates of schedule %s", r.ID)
	}
	return sc, nil
}

func schedulesOf(rows []scheduleRow) ([]*connect.Schedule, error) {
	out := make([]*connect.Schedule, len(rows))
	for i := range rows {
		sc, err := rows[i].schedule()
		if err != nil {
			return nil, err
		}
		out[i] = sc
	}
	return out, nil
}

type scheduleRunRow struct {
	bun.BaseModel `bun:"table:schedule_runs,alias:sr"`

	ScheduleID string    `bun:"schedule_id,pk"`
	Occurrence time.Time `bun:"occurrence,pk"`
	AccountID  string    `bun:"account_id"`
	ClientID   string    `bun:"client_id"`
	At         time.Time `bun:"at"`
	Outcome    string    `bun:"outcome"`
	OrderID    string    `bun:"order_id"`
	Reason     string    `bun:"reason"`
}

// CreateSchedule stores a new schedule at version 1.
func (s *Store) CreateSchedule(ctx context.Context, scope connect.Scope, sc *connect.Schedule) error {
	if _, err := within(scope, sc.Account, sc.Client, "client "+string(sc.Client)); err != nil {
		return err
	}
	if sc.Client == "" || sc.ID == "" {
		return connect.Errorf(connect.Invalid, "storage: a schedule needs an id and a client")
	}
	row, err := newScheduleRow(sc)
	if err != nil {
		return err
	}
	row.Version = 1
	if _, err := s.idb.NewInsert().Model(row).Returning("NULL").Exec(ctx); err != nil {
		return translate(ctx, err, "creating schedule "+string(sc.ID))
	}
	sc.Version = 1
	return nil
}

// Schedule returns one schedule of the scope.
func (s *Store) Schedule(ctx context.Context, scope connect.Scope, id connect.ScheduleID) (*connect.Schedule, error) {
	var row scheduleRow
	if err := inScope(s.idb.NewSelect().Model(&row), scope).Where("id = ?", string(id)).Scan(ctx); err != nil {
		return nil, translate(ctx, err, "schedule "+string(id))
	}
	return row.schedule()
}

// Schedules lists the scope's schedules, oldest first, through schedules_client.
func (s *Store) Schedules(ctx context.Context, scope connect.Scope) ([]*connect.Schedule, error) {
	var rows []scheduleRow
	if err := inScope(s.idb.NewSelect().Model(&rows), scope).OrderExpr("created_at ASC, id ASC").Scan(ctx); err != nil && !isNoRows(err) {
		return nil, translate(ctx, err, "listing schedules")
	}
	return schedulesOf(rows)
}

// UpdateSchedule writes sc if it is still at sc.Version.
func (s *Store) UpdateSchedule(ctx context.Context, scope connect.Scope, sc *connect.Schedule) error {
	scope, err := within(scope, sc.Account, sc.Client, "schedule "+string(sc.ID))
	if err != nil {
		return err
	}
	row, err := newScheduleRow(sc)
	if err != nil {
		return err
	}
	row.Version = sc.Version + 1
	sel := inScope(s.idb.NewSelect().Model((*scheduleRow)(nil)), scope).Where("id = ?", string(sc.ID))
	res, err := inScope(s.idb.NewUpdate().Model(row).Column("name", "template", "weekdays", "at_minute", "start_date",
		"end_date", "mode", "paused", "next_at", "version", "updated_at"), scope).
		Where("id = ?", string(sc.ID)).Where("version = ?", sc.Version).Exec(ctx)
	n, err := rowsAffected(ctx, res, err, "updating schedule "+string(sc.ID))
	if err != nil {
		return err
	}
	if n == 0 {
		return s.casMissed(ctx, sel, "schedule "+string(sc.ID), "was changed by someone else meanwhile; reload it")
	}
	sc.Version = row.Version
	return nil
}

// DeleteSchedule deletes a schedule of the scope and its runs.
func (s *Store) DeleteSchedule(ctx context.Context, scope connect.Scope, id connect.ScheduleID) error {
	return s.atomic(ctx, func(tx *Store) error {
		if _, err := inScope(tx.idb.NewDelete().Model((*scheduleRunRow)(nil)), scope).Where("schedule_id = ?", string(id)).Exec(ctx); err != nil {
			return translate(ctx, err, "deleting the runs of schedule "+string(id))
		}
		res, err := inScope(tx.idb.NewDelete().Model((*scheduleRow)(nil)), scope).Where("id = ?", string(id)).Exec(ctx)
		n, err := rowsAffected(ctx, res, err, "deleting schedule "+string(id))
		if err != nil {
			return err
		}
		if n == 0 {
			return connect.Errorf(connect.NotFound, "schedule %s: not found", id)
		}
		return nil
	})
}

// DueSchedulesAnyAccount lists the due schedules of every account, through
// schedules_due.
func (s *Store) DueSchedulesAnyAccount(ctx context.Context, now time.Time, limit int) ([]*connect.Schedule, error) {
	var rows []scheduleRow
	q := s.idb.NewSelect().Model(&rows).Where("paused = ?", false).Where("next_at IS NOT NULL").
		Where("next_at <= ?", dbTime(now)).OrderExpr("next_at ASC, id ASC")
	if limit > 0 {
		q = q.Limit(int64(limit))
	}
	if err := q.Scan(ctx); err != nil && !isNoRows(err) {
		return nil, translate(ctx, err, "listing due schedules")
	}
	return schedulesOf(rows)
}

// AdvanceSchedule moves next_at on from from, if it still is from.
func (s *Store) AdvanceSchedule(ctx context.Context, scope connect.Scope, id connect.ScheduleID, from, to time.Time) (bool, error) {
	q := inScope(s.idb.NewUpdate().Model((*scheduleRow)(nil)), scope).Where("id = ?", string(id)).Where("next_at = ?", dbTime(from))
	if to.IsZero() {
		q = q.Set("next_at = NULL")
	} else {
		q = q.Set("next_at = ?", dbTime(to))
	}
	res, err := q.Exec(ctx)
	n, err := rowsAffected(ctx, res, err, "advancing schedule "+string(id))
	if err != nil || n > 0 {
		return n > 0, err
	}
	ok, err := inScope(s.idb.NewSelect().Model((*scheduleRow)(nil)), scope).Where("id = ?", string(id)).Exists(ctx)
	if err != nil {
		return false, translate(ctx, err, "schedule "+string(id))
	}
	if !ok {
		return false, connect.Errorf(connect.NotFound, "schedule %s: not found", id)
	}
	return false, nil
}

// AddScheduleRun inserts the run unless its occurrence has one (the primary
// key, which makes a concurrent insert of the same occurrence wait for the
// first one's transaction).
func (s *Store) AddScheduleRun(ctx context.Context, scope connect.Scope, run connect.ScheduleRun) (bool, error) {
	scope, err := within(scope, run.Account, run.Client, "schedule "+string(run.Schedule))
	if err != nil {
		return false, err
	}
	ok, err := inScope(s.idb.NewSelect().Model((*scheduleRow)(nil)), scope).Where("id = ?", string(run.Schedule)).Exists(ctx)
	if err != nil {
		return false, translate(ctx, err, "schedule "+string(run.Schedule))
	}
	if !ok {
		return false, connect.Errorf(connect.NotFound, "schedule %s: not found", run.Schedule)
	}
	row := &scheduleRunRow{ScheduleID: string(run.Schedule), Occurrence: dbTime(run.Occurrence), AccountID: string(run.Account),
		ClientID: string(run.Client), At: dbTime(run.At), Outcome: string(run.Outcome), OrderID: string(run.Order), Reason: run.Reason}
	res, err := s.idb.NewInsert().Model(row).On("CONFLICT (schedule_id, occurrence) DO NOTHING").Returning("NULL").Exec(ctx)
	n, err := rowsAffected(ctx, res, err, "recording a run of schedule "+string(run.Schedule))
	return n > 0, err
}

// ScheduleRuns lists the newest runs of a schedule of the scope.
func (s *Store) ScheduleRuns(ctx context.Context, scope connect.Scope, id connect.ScheduleID, limit int) ([]connect.ScheduleRun, error) {
	var rows []scheduleRunRow
	q := inScope(s.idb.NewSelect().Model(&rows), scope).Where("schedule_id = ?", string(id)).OrderExpr("occurrence DESC")
	if limit > 0 {
		q = q.Limit(int64(limit))
	}
	if err := q.Scan(ctx); err != nil && !isNoRows(err) {
		return nil, translate(ctx, err, "listing the runs of schedule "+string(id))
	}
	out := make([]connect.ScheduleRun, len(rows))
	for i, r := range rows {
		out[i] = connect.ScheduleRun{Schedule: connect.ScheduleID(r.ScheduleID), Account: connect.AccountID(r.AccountID),
			Client: connect.ClientID(r.ClientID), Occurrence: goTime(r.Occurrence), At: goTime(r.At),
			Outcome: connect.ScheduleOutcome(r.Outcome), Order: connect.OrderID(r.OrderID), Reason: r.Reason}
	}
	return out, nil
}
