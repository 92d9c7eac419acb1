package storage

import (
	"context"
	"strings"
	"time"

	"github.com/dispatchkit/connect"
	"github.com/uptrace/bun"
)

type webhookRow struct {
	bun.BaseModel `bun:"table:webhooks,alias:wh"`

	ID                string    `bun:"id,pk"`
	AccountID         string    `bun:"account_id"`
	ClientID          string    `bun:"client_id"`
	URL               string    `bun:"url"`
	Description       string    `bun:"description"`
	Events            string    `bun:"events"`
	Paused            bool      `bun:"paused"`
	PausedReason      string    `bun:"paused_reason"`
	PausedAt          time.Time `bun:"paused_at,nullzero"`
	Secret            string    `bun:"secret"`
	PreviousSecret    string    `bun:"previous_secret"`
	PreviousExpiresAt time.Time `bun:"previous_expires_at,nullzero"`
	Failures          int       `bun:"failures"`
	FailingSince      time.Time `bun:"failing_since,nullzero"`
	Version           int       `bun:"version"`
	CreatedAt         time.Time `bun:"created_at"`
	UpdatedAt         time.Time `bun:"updated_at"`
}

func newWebhookRow(w *connect.WebhookEndpoint) *webhookRow {
	events := make([]string, len(w.Events))
	for i, e := range w.Events {
		events[i] = string(e)
	}
	return &webhookRow{
		ID: string(w.ID), AccountID: string(w.Account), ClientID: string(w.Client), URL: w.URL,
		Description: w.Description, Events: strings.Join(events, ","), Paused: w.Paused, PausedReason: w.PausedReason,
		PausedAt: dbTime(w.PausedAt), Secret: w.Secret, PreviousSecret: w.PreviousSecret,
		PreviousExpiresAt: dbTime(w.PreviousExpiresAt), Failures: w.Failures, FailingSince: dbTime(w.FailingSince),
		Version: w.Version, CreatedAt: dbTime(w.CreatedAt), UpdatedAt: dbTime(w.UpdatedAt),
	}
}

func (r *webhookRow) webhook() *connect.WebhookEndpoint {
	var events []connect.WebhookEventType
	if r.Events != "" {
		for e := range strings.SplitSeq(r.Events, ",") {
			events = append(events, connect.WebhookEventType(e))
		}
	}
	return &connect.WebhookEndpoint{
		ID: connect.WebhookID(r.ID), Account: connect.AccountID(r.AccountID), Client: connect.ClientID(r.ClientID),
		URL: r.URL, Description: r.Description, Events: events, Paused: r.Paused, PausedReason: r.PausedReason,
		PausedAt: goTime(r.PausedAt), Secret: r.Secret, PreviousSecret: r.PreviousSecret,
		PreviousExpiresAt: goTime(r.PreviousExpiresAt), Failures: r.Failures, FailingSince: goTime(r.FailingSince),
		Version: r.Version, CreatedAt: goTime(r.CreatedAt), UpdatedAt: goTime(r.UpdatedAt),
	}
}

type webhookDeliveryRow struct {
	bun.BaseModel `bun:"table:webhook_deliveries,alias:whd"`

	ID        string    `bun:"id,pk"`
	AccountID string    `bun:"account_id"`
	ClientID  string    `bun:"client_id"`
	WebhookID string    `bun:"webhook_id"`
	Message   string    `bun:"message"`
	Type      string    `bun:"type"`
	OrderID   string    `bun:"order_id"`
	Attempt   int       `bun:"attempt"`
	At        time.Time `bun:"at"`
	Status    int       `bun:"status"`
	Duration  int64     `bun:"duration_ns"`
	Error     string    `bun:"error"`
	Succeeded bool      `bun:"succeeded"`
}

func (r *webhookDeliveryRow) delivery() connect.WebhookDelivery {
	return connect.WebhookDelivery{
		ID: r.ID, Account: connect.AccountID(r.AccountID), Client: connect.ClientID(r.ClientID),
		Webhook: connect.WebhookID(r.WebhookID), Message: r.Message, Type: connect.WebhookEventType(r.Type),
		Order: connect.OrderID(r.OrderID), Attempt: r.Attempt, At: goTime(r.At), Status: r.Status,
		Duration: time.Duration(r.Duration), Error: r.Error, Succeeded: r.Succeeded,
	}
}

// CreateWebhook stores a new endpoint at version 1.
func (s *Store) CreateWebhook(ctx context.Context, scope connect.Scope, w *connect.WebhookEndpoint) error {
	if _, err := within(scope, w.Account, w.Client, "client "+string(w.Client)); err != nil {
		return err
	}
	if w.Client == "" || w.ID == "" {
		return connect.Errorf(connect.Invalid, "storage: a webhook needs an id and a client")
	}
	row := newWebhookRow(w)
	row.Version = 1
	if _, err := s.idb.NewInsert().Model(row).Returning("NULL").Exec(ctx); err != nil {
		return translate(ctx, err, "creating webhook "+string(w.ID))
	}
	w.Version = 1
	return nil
}

// Webhook returns one endpoint of the scope.
func (s *Store) Webhook(ctx context.Context, scope connect.Scope, id connect.WebhookID) (*connect.WebhookEndpoint, error) {
	var row webhookRow
	if err := inScope(s.idb.NewSelect().Model(&row), scope).Where("id = ?", string(id)).Scan(ctx); err != nil {
		return nil, translate(ctx, err, "webhook "+string(id))
	}
	return row.webhook(), nil
}

// Webhooks lists the scope's endpoints that q selects, oldest first, through
// webhooks_client.
func (s *Store) Webhooks(ctx context.Context, scope connect.Scope, q connect.WebhookQuery) ([]*connect.WebhookEndpoint, error) {
	var rows []webhookRow
	sel := inScope(s.idb.NewSelect().Model(&rows), scope)
	if len(q.Clients) > 0 {
		ids := make([]string, len(q.Clients))
		for i, c := range q.Clients {
			ids[i] = string(c)
		}
		sel = sel.Where("client_id IN (?)", bun.List(ids))
	}
	if q.Active {
		sel = sel.Where("paused = ?", false)
	}
	if err := sel.OrderExpr("created_at ASC, id ASC").Scan(ctx); err != nil && !isNoRows(err) {
		return nil, translate(ctx, err, "listing webhooks")
	}
	out := make([]*connect.WebhookEndpoint, len(rows))
	for i := range rows {
		out[i] = rows[i].webhook()
	}
	return out, nil
}

// UpdateWebhook writes w if it is still at w.Version (a compare-and-set).
func (s *Store) UpdateWebhook(ctx context.Context, scope connect.Scope, w *connect.WebhookEndpoint) error {
	scope, err := within(scope, w.Account, w.Client, "webhook "+string(w.ID))
	if err != nil {
		return err
	}
	row := newWebhookRow(w)
	row.Version = w.Version + 1
	sel := inScope(s.idb.NewSelect().Model((*webhookRow)(nil)), scope).Where("id = ?", string(w.ID))
	res, err := inScope(s.idb.NewUpdate().Model(row).Column("url", "description", "events", "paused", "paused_reason",
		"paused_at", "secret", "previous_secret", "previous_expires_at", "failures", "failing_since", "version", "updated_at"), scope).
		Where("id = ?", string(w.ID)).Where("version = ?", w.Version).Exec(ctx)
	n, err := rowsAffected(ctx, res, err, "updating webhook "+string(w.ID))
	if err != nil {
		return err
	}
	if n == 0 {
		return s.casMissed(ctx, sel, "webhook "+string(w.ID), "was changed by someone else meanwhile; reload it")
	}
	w.Version = row.Version
	return nil
}

// DeleteWebhook deletes an endpoint of the scope and its log.
func (s *Store) DeleteWebhook(ctx context.Context, scope connect.Scope, id connect.WebhookID) error {
	return s.atomic(ctx, func(tx *Store) error {
		res, err := inScope(tx.idb.NewDelete().Model((*webhookRow)(nil)), scope).Where("id = ?", string(id)).Exec(ctx)
		n, err := rowsAffected(ctx, res, err, "deleting webhook "+string(id))
		if err != nil {
			return err
		}
		if n == 0 {
			return connect.Errorf(connect.NotFound, "webhook %s: not found", id)
		}
		_, err = inScope(tx.idb.NewDelete().Model((*webhookDeliveryRow)(nil)), scope).Where("webhook_id = ?", string(id)).Exec(ctx)
		return translate(ctx, err, "deleting the log of webhook "+string(id))
	})
}

// PauseWebhook pauses an endpoint of the scope that is not paused.
func (s *Store) PauseWebhook(ctx context.Context, scope connect.Scope, id connect.WebhookID, reason string, at time.Time) (bool, error) {
	res, err := inScope(s.idb.NewUpdate().Model((*webhookRow)(nil)), scope).
		Set("paused = ?", true).Set("paused_reason = ?", reason).Set("paused_at = ?", dbTime(at)).
		Set("version = version + 1").Set("updated_at = ?", dbTime(at)).
		Where("id = ?", string(id)).Where("paused = ?", false).Exec(ctx)
	n, err := rowsAffected(ctx, res, err, "pausing webhook "+string(id))
	if err != nil || n > 0 {
		return n > 0, err
	}
	ok, err := inScope(s.idb.NewSelect().Model((*webhookRow)(nil)), scope).Where("id = ?", string(id)).Exists(ctx)
	if err != nil {
		return false, translate(ctx, err, "webhook "+string(id))
	}
	if !ok {
		return false, connect.Errorf(connect.NotFound, "webhook %s: not found", id)
	}
	return false, nil
}

// RecordWebhookDelivery adds an attempt to the log, trims it, and counts it,
// in one transaction.
func (s *Store) RecordWebhookDelivery(ctx context.Context, scope connect.Scope, p connect.RecordWebhookDeliveryParams) (*connect.WebhookEndpoint, error) {
	d := p.Delivery
	if _, err := within(scope, d.Account, d.Client, "webhook "+string(d.Webhook)); err != nil {
		return nil, err
	}
	scope = connect.Scope{Account: d.Account, Client: d.Client}
	var out *connect.WebhookEndpoint
	err := s.atomic(ctx, func(tx *Store) error {
		q := inScope(tx.idb.NewUpdate().Model((*webhookRow)(nil)), scope).Where("id = ?", string(d.Webhook))
		switch {
		case !p.Count:
			q = q.Set("failures = failures") // locks the row all the same, and finds it
		case d.Succeeded:
			q = q.Set("failures = 0").Set("failing_since = NULL")
		default:
			q = q.Set("failures = failures + 1").Set("failing_since = COALESCE(failing_since, ?)", dbTime(d.At))
		}
		res, err := q.Exec(ctx)
		n, err := rowsAffected(ctx, res, err, "counting a delivery of webhook "+string(d.Webhook))
		if err != nil {
			return err
		}
		if n == 0 {
			return connect.Errorf(connect.NotFound, "webhook %s: not found", d.Webhook)
		}
		row := &webhookDeliveryRow{ID: d.ID, AccountID: string(d.Account), ClientID: string(d.Client),
			WebhookID: string(d.Webhook), Message: d.Message, Type: string(d.Type), OrderID: string(d.Order),
			Attempt: d.Attempt, At: dbTime(d.At), Status: d.Status, Duration: int64(d.Duration), Error: d.Error,
			Succeeded: d.Succeeded}
		if _, err := tx.idb.NewInsert().Model(row).Returning("NULL").Exec(ctx); err != nil {
			return translate(ctx, err, "recording a delivery of webhook "+string(d.Webhook))
		}
		if p.Keep > 0 {
			keep := tx.idb.NewSelect().Model((*webhookDeliveryRow)(nil)).Column("id").
				Where("webhook_id = ?", string(d.Webhook)).OrderExpr("at DESC, id DESC").Limit(int64(p.Keep))
			_, err := tx.idb.NewDelete().Model((*webhookDeliveryRow)(nil)).
				Where("webhook_id = ?", string(d.Webhook)).Where("id NOT IN (?)", keep).Exec(ctx)
			if err != nil {
				return translate(ctx, err, "trimming the log of webhook "+string(d.Webhook))
			}
		}
		var err2 error
		out, err2 = tx.Webhook(ctx, scope, d.Webhook)
		return err2
	})
	return out, err
}

// WebhookDeliveries lists the newest attempts of an endpoint of the scope,
// through webhook_deliveries_webhook.
func (s *Store) WebhookDeliveries(ctx context.Context, scope connect.Scope, id connect.WebhookID, limit int) ([]connect.WebhookDelivery, error) {
	var rows []webhookDeliveryRow
	q := inScope(s.idb.NewSelect().Model(&rows), scope).Where("webhook_id = ?", string(id)).OrderExpr("at DESC, id DESC")
	if limit > 0 {
		q = q.Limit(int64(limit))
	}
	if err := q.Scan(ctx); err != nil && !isNoRows(err) {
		return nil, translate(ctx, err, "listing the deliveries of webhook "+string(id))
	}
	out := make([]connect.WebhookDelivery, len(rows))
	for i := range rows {
		out[i] = rows[i].delivery()
	}
	return out, nil
}
