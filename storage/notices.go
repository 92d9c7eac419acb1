package storage

import (
	"context"
	"strings"
	"time"

	"github.com/dispatchkit/connect"
	"github.com/uptrace/bun"
)

type notifySettingsRow struct {
	bun.BaseModel `bun:"table:notify_settings,alias:ns"`

	AccountID   string    `bun:"account_id,pk"`
	ClientID    string    `bun:"client_id,pk"`
	Events      string    `bun:"events"`
	Email       bool      `bun:"email"`
	SMS         bool      `bun:"sms"`
	Language    string    `bun:"language"`
	QuietStart  int       `bun:"quiet_start"`
	QuietEnd    int       `bun:"quiet_end"`
	PhoneRegion string    `bun:"phone_region"`
	UpdatedBy   string    `bun:"updated_by"`
	UpdatedAt   time.Time `bun:"updated_at"`
}

func (r *notifySettingsRow) settings() *connect.NotifySettings {
	var events []connect.NotifyEvent
	if r.Events != "" {
		for e := range strings.SplitSeq(r.Events, ",") {
			events = append(events, connect.NotifyEvent(e))
		}
	}
	return &connect.NotifySettings{
		NotifySettingsInput: connect.NotifySettingsInput{Events: events, Email: r.Email, SMS: r.SMS,
			Language: connect.Language(r.Language), PhoneRegion: r.PhoneRegion,
			Quiet: connect.QuietHours{Start: connect.ClockTime(r.QuietStart), End: connect.ClockTime(r.QuietEnd)}},
		Account: connect.AccountID(r.AccountID), Client: connect.ClientID(r.ClientID),
		UpdatedBy: r.UpdatedBy, UpdatedAt: goTime(r.UpdatedAt),
	}
}

type noticeRow struct {
	bun.BaseModel `bun:"table:notices,alias:nt"`

	Key       string    `bun:"key,pk"`
	AccountID string    `bun:"account_id"`
	ClientID  string    `bun:"client_id"`
	OrderID   string    `bun:"order_id"`
	Event     string    `bun:"event"`
	Channel   string    `bun:"channel"`
	State     string    `bun:"state"`
	Reason    string    `bun:"reason"`
	DueAt     time.Time `bun:"due_at"`
	SentAt    time.Time `bun:"sent_at,nullzero"`
	CreatedAt time.Time `bun:"created_at"`
	UpdatedAt time.Time `bun:"updated_at"`
}

func (r *noticeRow) notice() connect.Notice {
	return connect.Notice{
		Key: r.Key, Account: connect.AccountID(r.AccountID), Client: connect.ClientID(r.ClientID),
		Order: connect.OrderID(r.OrderID), Event: connect.NotifyEvent(r.Event), Channel: connect.NotifyChannel(r.Channel),
		State: connect.NoticeState(r.State), Reason: r.Reason, DueAt: goTime(r.DueAt), SentAt: goTime(r.SentAt),
		CreatedAt: goTime(r.CreatedAt), UpdatedAt: goTime(r.UpdatedAt),
	}
}

// NotifySettings returns the stored settings of those of clients in the scope.
func (s *Store) NotifySettings(ctx context.Context, scope connect.Scope, clients []connect.ClientID) ([]*connect.NotifySettings, error) {
	if len(clients) == 0 {
		return nil, nil
	}
	ids := make([]string, len(clients))
	for i, c := range clients {
		ids[i] = string(c)
	}
	var rows []notifySettingsRow
	err := inScope(s.idb.NewSelect().Model(&rows), scope).Where("client_id IN (?)", bun.List(ids)).Scan(ctx)
	if err != nil && !isNoRows(err) {
		return nil, translate(ctx, err, "reading notification settings")
	}
	out := make([]*connect.NotifySettings, len(rows))
	for i := range rows {
		out[i] = rows[i].settings()
	}
	return out, nil
}

// SetNotifySettings stores (or replaces) a client's settings.
func (s *Store) SetNotifySettings(ctx context.Context, scope connect.Scope, n *connect.NotifySettings) error {
	if _, err := within(scope, n.Account, n.Client, "client "+string(n.Client)); err != nil {
		return err
	}
	if n.Client == "" {
		return connect.Errorf(connect.NotFound, "client: not found")
	}
	events := make([]string, len(n.Events))
	for i, e := range n.Events {
		events[i] = string(e)
	}
	row := &notifySettingsRow{AccountID: string(n.Account), ClientID: string(n.Client), Events: strings.Join(events, ","),
		Email: n.Email, SMS: n.SMS, Language: string(n.Language), QuietStart: int(n.Quiet.Start), QuietEnd: int(n.Quiet.End),
		PhoneRegion: n.PhoneRegion, UpdatedBy: n.UpdatedBy, UpdatedAt: dbTime(n.UpdatedAt)}
	_, err := s.idb.NewInsert().Model(row).
		On("CONFLICT (account_id, client_id) DO UPDATE").
		Set("events = EXCLUDED.events, email = EXCLUDED.email, sms = EXCLUDED.sms, language = EXCLUDED.language").
		Set("quiet_start = EXCLUDED.quiet_start, quiet_end = EXCLUDED.quiet_end, phone_region = EXCLUDED.phone_region").
		Set("updated_by = EXCLUDED.updated_by, updated_at = EXCLUDED.updated_at").
		Returning("NULL").Exec(ctx)
	return translate(ctx, err, "client "+string(n.Client))
}

// AddNotices logs notices whose key is new.
func (s *Store) AddNotices(ctx context.Context, scope connect.Scope, notices []connect.Notice) error {
	if len(notices) == 0 {
		return nil
	}
	rows := make([]noticeRow, len(notices))
	for i, n := range notices {
		if _, err := within(scope, n.Account, n.Client, "order "+string(n.Order)); err != nil {
			return err
		}
		rows[i] = noticeRow{Key: n.Key, AccountID: string(n.Account), ClientID: string(n.Client), OrderID: string(n.Order),
			Event: string(n.Event), Channel: string(n.Channel), State: string(n.State), Reason: n.Reason,
			DueAt: dbTime(n.DueAt), SentAt: dbTime(n.SentAt), CreatedAt: dbTime(n.CreatedAt), UpdatedAt: dbTime(n.UpdatedAt)}
	}
	for start := 0; start < len(rows); start += insertBatch {
		batch := rows[start:min(start+insertBatch, len(rows))]
		if _, err := s.idb.NewInsert().Model(&batch).On("CONFLICT (key) DO NOTHING").Returning("NULL").Exec(ctx); err != nil {
			return translate(ctx, err, "logging notices")
		}
	}
	return nil
}

// UpdateNotice records what became of a logged notice.
func (s *Store) UpdateNotice(ctx context.Context, scope connect.Scope, p connect.UpdateNoticeParams) error {
	q := inScope(s.idb.NewUpdate().Model((*noticeRow)(nil)), scope).
		Set("state = ?", string(p.State)).Set("reason = ?", p.Reason).Set("updated_at = ?", dbTime(p.At)).
		Where("key = ?", p.Key)
	if p.State == connect.NoticeSent {
		q = q.Set("sent_at = ?", dbTime(p.At))
	}
	res, err := q.Exec(ctx)
	n, err := rowsAffected(ctx, res, err, "notice "+p.Key)
	if err != nil {
		return err
	}
	if n == 0 {
		return connect.Errorf(connect.NotFound, "notice %s: not found", p.Key)
	}
	return nil
}

// Notices lists an order's notices, oldest first, through notices_order.
func (s *Store) Notices(ctx context.Context, scope connect.Scope, order connect.OrderID) ([]connect.Notice, error) {
	var rows []noticeRow
	err := inScope(s.idb.NewSelect().Model(&rows), scope).Where("order_id = ?", string(order)).
		OrderExpr("created_at ASC, key ASC").Scan(ctx)
	if err != nil && !isNoRows(err) {
		return nil, translate(ctx, err, "listing the notices of order "+string(order))
	}
	out := make([]connect.Notice, len(rows))
	for i := range rows {
		out[i] = rows[i].notice()
	}
	return out, nil
}
