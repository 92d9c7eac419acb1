package storage

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"slices"
	"time"

	"github.com/dispatchkit/connect"
	"github.com/uptrace/bun"
)

type outboxRow struct {
	bun.BaseModel `bun:"table:outbox,alias:ob"`

	ID             string    `bun:"id,pk"`
	Key            string    `bun:"key"`
	AccountID      string    `bun:"account_id"`
	ClientID       string    `bun:"client_id"`
	OrderID        string    `bun:"order_id"`
	Kind           string    `bun:"kind"`
	Event          string    `bun:"event"`
	NotifyCustomer bool      `bun:"notify_customer"`
	Stream         string    `bun:"stream"`
	Position       int64     `bun:"position"`
	State          string    `bun:"state"`
	Attempts       int       `bun:"attempts"`
	NextAt         time.Time `bun:"next_at"`
	LockedUntil    time.Time `bun:"locked_until,nullzero"`
	LastError      string    `bun:"last_error"`
	CreatedAt      time.Time `bun:"created_at"`
	UpdatedAt      time.Time `bun:"updated_at"`
}

// outboxPayloadRow is what an entry carries beside its order, by its key.
type outboxPayloadRow struct {
	bun.BaseModel `bun:"table:outbox_payloads,alias:obp"`

	Key     string `bun:"key,pk"`
	Payload []byte `bun:"payload,type:bytea"`
}

// withPayloads sets the Payload of the entries that have one.
func (s *Store) withPayloads(ctx context.Context, entries []connect.OutboxEntry) error {
	if len(entries) == 0 {
		return nil
	}
	keys := make([]string, len(entries))
	at := make(map[string]int, len(entries))
	for i, e := range entries {
		keys[i], at[e.Key] = e.Key, i
	}
	for chunk := range slices.Chunk(keys, insertBatch) {
		var rows []outboxPayloadRow
		err := s.idb.NewSelect().Model(&rows).Where("key IN (?)", bun.List(chunk)).Scan(ctx)
		if err != nil && !isNoRows(err) {
			return translate(ctx, err, "reading outbox payloads")
		}
		for _, r := range rows {
			entries[at[r.Key]].Payload = r.Payload
		}
	}
	return nil
}

func (r *outboxRow) entry() connect.OutboxEntry {
	return connect.OutboxEntry{
		ID: r.ID, Key: r.Key, Account: connect.AccountID(r.AccountID), Client: connect.ClientID(r.ClientID),
		Order: connect.OrderID(r.OrderID), Kind: connect.OutboxKind(r.Kind), Event: connect.Event(r.Event),
		NotifyCustomer: r.NotifyCustomer, Stream: r.Stream, Position: r.Position, State: connect.OutboxState(r.State), Attempts: r.Attempts,
		NextAt: goTime(r.NextAt), LastError: r.LastError, CreatedAt: goTime(r.CreatedAt), UpdatedAt: goTime(r.UpdatedAt),
	}
}

// newID returns a UUIDv7 (time-ordered, as the core's ids): new entries land at
// the right edge of the primary key's B-tree.
func newID(now time.Time) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(now.UnixMilli())<<16)
	_, _ = rand.Read(b[6:])
	b[6] = 0x70 | (b[6] & 0x0f)
	b[8] = 0x80 | (b[8] & 0x3f)
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// AddOutbox stores the entries whose Key is new (INSERT … ON CONFLICT (key) DO
// NOTHING), giving an id to each entry that has none (entries[i].ID is set).
// Errors: ErrNotFound, before anything is stored, when an entry is not in the
// scope.
func (s *Store) AddOutbox(ctx context.Context, scope connect.Scope, entries []connect.OutboxEntry) error {
	if len(entries) == 0 {
		return nil
	}
	for i := range entries {
		if _, err := within(scope, entries[i].Account, entries[i].Client, "client "+string(entries[i].Client)); err != nil {
			return err
		}
	}
	now := time.Now()
	rows := make([]outboxRow, 0, min(len(entries), insertBatch))
	var payloads []outboxPayloadRow
	flush := func() error {
		if len(rows) == 0 {
			return nil
		}
		_, err := s.idb.NewInsert().Model(&rows).On("CONFLICT (key) DO NOTHING").Returning("NULL").Exec(ctx)
		rows = rows[:0]
		if err == nil && len(payloads) > 0 {
			_, err = s.idb.NewInsert().Model(&payloads).On("CONFLICT (key) DO NOTHING").Returning("NULL").Exec(ctx)
			payloads = payloads[:0]
		}
		return translate(ctx, err, "adding to the outbox")
	}
	for i := range entries {
		e := &entries[i]
		if e.Key == "" {
			return connect.Errorf(connect.Invalid, "storage: an outbox entry needs a key")
		}
		if e.ID == "" {
			e.ID = newID(now)
		}
		state := e.State
		if state == "" {
			state = connect.OutboxPending
		}
		created, updated := e.CreatedAt, e.UpdatedAt
		if created.IsZero() {
			created = now
		}
		if updated.IsZero() {
			updated = created
		}
		next := e.NextAt
		if next.IsZero() {
			next = created
		}
		rows = append(rows, outboxRow{
			ID: e.ID, Key: e.Key, AccountID: string(e.Account), ClientID: string(e.Client), OrderID: string(e.Order),
			Kind: string(e.Kind), Event: string(e.Event), NotifyCustomer: e.NotifyCustomer, Stream: e.Stream,
			Position: e.Position, State: string(state),
			Attempts: e.Attempts, NextAt: dbTime(next), LastError: e.LastError,
			CreatedAt: dbTime(created), UpdatedAt: dbTime(updated),
		})
		if e.Payload != nil {
			payloads = append(payloads, outboxPayloadRow{Key: e.Key, Payload: e.Payload})
		}
		if len(rows) == insertBatch {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}

// ClaimOutboxAnyAccount leases due pending entries in one UPDATE whose subquery picks them,
// oldest first, leaving out an entry of a stream while an entry ahead of it in
// its stream is pending (leased ones included: they stay pending until
// finished), through outbox_stream. On PostgreSQL the subquery locks what it picks FOR UPDATE SKIP
// LOCKED (the dialect's skipLocked says why); SQLite runs one writer at a time,
// so the statement alone is enough.
func (s *Store) ClaimOutboxAnyAccount(ctx context.Context, p connect.ClaimOutboxParams) ([]connect.OutboxEntry, error) {
	if p.Limit <= 0 {
		return nil, nil
	}
	now := dbTime(p.Now)
	if now.IsZero() {
		now = dbTime(time.Now())
	}
	var rows []outboxRow
	err := s.idb.NewRaw(`UPDATE outbox SET locked_until = ?, attempts = attempts + 1, updated_at = ?
WHERE id IN (SELECT id FROM outbox AS due WHERE state = ? AND next_at <= ? AND (locked_until IS NULL OR locked_until <= ?)
	AND (stream = '' OR NOT EXISTS (SELECT 1 FROM outbox AS ahead
		WHERE ahead.stream = due.stream AND ahead.state = ? AND ahead.position < due.position AND ahead.stream <> ''))
	ORDER BY next_at, id LIMIT ?`+s.d.skipLocked()+`)
RETURNING id, key, account_id, client_id, order_id, kind, event, notify_customer, stream, position, state, attempts, next_at,
	locked_until, last_error, created_at, updated_at`,
		now.Add(p.Lease), now, string(connect.OutboxPending), now, now, string(connect.OutboxPending), p.Limit).Scan(ctx, &rows)
	if err != nil && !isNoRows(err) {
		return nil, translate(ctx, err, "claiming outbox entries")
	}
	slices.SortFunc(rows, func(a, b outboxRow) int {
		if c := a.NextAt.Compare(b.NextAt); c != 0 {
			return c
		}
		return compareStrings(a.ID, b.ID)
	})
	out := make([]connect.OutboxEntry, len(rows))
	for i := range rows {
		out[i] = rows[i].entry()
	}
	if err := s.withPayloads(ctx, out); err != nil {
		return nil, err
	}
	return out, nil
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// FinishOutbox records a delivery's outcome and ends the lease, for an entry in
// the scope.
func (s *Store) FinishOutbox(ctx context.Context, scope connect.Scope, p connect.FinishOutboxParams) error {
	switch p.State {
	case connect.OutboxPending, connect.OutboxDone, connect.OutboxDead:
	default:
		return connect.Errorf(connect.Invalid, "storage: unknown outbox state %q", p.State)
	}
	now := dbTime(p.Now)
	if now.IsZero() {
		now = dbTime(time.Now())
	}
	q := inScope(s.idb.NewUpdate().Model((*outboxRow)(nil)), scope).
		Set("state = ?", string(p.State)).
		Set("last_error = ?", p.LastError).
		Set("locked_until = NULL").
		Set("updated_at = ?", now).
		Where("id = ?", p.ID)
	if !p.NextAt.IsZero() {
		q = q.Set("next_at = ?", dbTime(p.NextAt))
	}
	if p.Attempts > 0 {
		q = q.Where("state = ?", string(connect.OutboxPending)).Where("attempts = ?", p.Attempts)
	}
	res, err := q.Exec(ctx)
	n, err := rowsAffected(ctx, res, err, "finishing outbox entry "+p.ID)
	if err != nil {
		return err
	}
	if n == 0 {
		return s.casMissed(ctx, inScope(s.idb.NewSelect().Model((*outboxRow)(nil)), scope).Where("id = ?", p.ID),
			"outbox entry "+p.ID, "was claimed again or finished since this claim")
	}
	if p.DropPayload && p.State == connect.OutboxDone {
		// A sealed mail is not kept once sent. Apart from the outcome: a payload
		// left by a failure here goes with the entry at the retention's purge.
		return s.dropPayload(ctx, scope, p.ID)
	}
	return nil
}

// OrderOutbox lists one order's entries, oldest first, led by the index
// outbox_order.
func (s *Store) OrderOutbox(ctx context.Context, scope connect.Scope, order connect.OrderID) ([]connect.OutboxEntry, error) {
	var rows []outboxRow
	err := inScope(s.idb.NewSelect().Model(&rows), scope).Where("order_id = ?", string(order)).
		OrderExpr("created_at ASC, id ASC").Scan(ctx)
	if err != nil {
		return nil, translate(ctx, err, "listing the outbox of order "+string(order))
	}
	out := make([]connect.OutboxEntry, len(rows))
	for i := range rows {
		out[i] = rows[i].entry()
	}
	return out, nil
}

// Outbox lists the scope's entries in the given states (all when empty), oldest
// first, at most limit (all when limit ≤ 0). It is no part of connect.Store (the
// core never lists the outbox): tests read back what was written with it
// (storagetest.OutboxReader).
func (s *Store) Outbox(ctx context.Context, scope connect.Scope, states []connect.OutboxState, limit int) ([]connect.OutboxEntry, error) {
	var rows []outboxRow
	q := inScope(s.idb.NewSelect().Model(&rows), scope)
	if len(states) > 0 {
		st := make([]string, len(states))
		for i, x := range states {
			st[i] = string(x)
		}
		q = q.Where("state IN (?)", bun.List(st))
	}
	q = q.OrderExpr("created_at ASC, id ASC")
	if limit > 0 {
		q = q.Limit(int64(limit))
	}
	if err := q.Scan(ctx); err != nil {
		return nil, translate(ctx, err, "listing the outbox")
	}
	out := make([]connect.OutboxEntry, len(rows))
	for i := range rows {
		out[i] = rows[i].entry()
	}
	if err := s.withPayloads(ctx, out); err != nil {
		return nil, err
	}
	return out, nil
}

// OutboxEntries lists the scope's entries q selects, newest first, through
// outbox_account (keyset pagination on created_at and id).
func (s *Store) OutboxEntries(ctx context.Context, scope connect.Scope, q connect.OutboxQuery) ([]connect.OutboxEntry, error) {
	var rows []outboxRow
	sel := inScope(s.idb.NewSelect().Model(&rows), scope)
	if len(q.States) > 0 {
		st := make([]string, len(q.States))
		for i, x := range q.States {
			st[i] = string(x)
		}
		sel = sel.Where("state IN (?)", bun.List(st))
	}
	if q.Failed {
		sel = sel.Where("last_error <> ''")
	}
	if c := q.Before; c != nil {
		at := dbTime(c.CreatedAt)
		sel = sel.Where("(created_at < ? OR (created_at = ? AND id < ?))", at, at, c.ID)
	}
	sel = sel.OrderExpr("created_at DESC, id DESC")
	if q.Limit > 0 {
		sel = sel.Limit(int64(q.Limit))
	}
	if err := sel.Scan(ctx); err != nil && !isNoRows(err) {
		return nil, translate(ctx, err, "listing the outbox")
	}
	out := make([]connect.OutboxEntry, len(rows))
	for i := range rows {
		out[i] = rows[i].entry()
	}
	return out, nil
}

// RequeueOutbox resets a dead or failed pending entry that no worker holds.
func (s *Store) RequeueOutbox(ctx context.Context, scope connect.Scope, p connect.RequeueOutboxParams) error {
	now := dbTime(p.Now)
	res, err := inScope(s.idb.NewUpdate().Model((*outboxRow)(nil)), scope).
		Set("state = ?", string(connect.OutboxPending)).
		Set("attempts = 0").
		Set("next_at = ?", now).
		Set("locked_until = NULL").
		Set("updated_at = ?", now).
		Where("id = ?", p.ID).
		Where("state IN (?)", bun.List([]string{string(connect.OutboxPending), string(connect.OutboxDead)})).
		Where("(locked_until IS NULL OR locked_until <= ?)", now).
		Exec(ctx)
	return s.outboxChanged(ctx, scope, p.ID, res, err, "retrying")
}

// DiscardOutbox gives up a dead or pending entry that no worker holds.
func (s *Store) DiscardOutbox(ctx context.Context, scope connect.Scope, id string, now time.Time) error {
	at := dbTime(now)
	return s.atomic(ctx, func(tx *Store) error {
		res, err := inScope(tx.idb.NewUpdate().Model((*outboxRow)(nil)), scope).
			Set("state = ?", string(connect.OutboxDiscarded)).
			Set("locked_until = NULL").
			Set("updated_at = ?", at).
			Where("id = ?", id).
			Where("state IN (?)", bun.List([]string{string(connect.OutboxPending), string(connect.OutboxDead)})).
			Where("(locked_until IS NULL OR locked_until <= ?)", at).
			Exec(ctx)
		if err := tx.outboxChanged(ctx, scope, id, res, err, "discarding"); err != nil {
			return err
		}
		return tx.dropPayload(ctx, scope, id)
	})
}

// dropPayload deletes the payload of an entry of the scope.
func (s *Store) dropPayload(ctx context.Context, scope connect.Scope, id string) error {
	_, err := s.idb.NewDelete().Model((*outboxPayloadRow)(nil)).
		Where("key IN (?)", inScope(s.idb.NewSelect().Model((*outboxRow)(nil)), scope).Column("key").Where("id = ?", id)).
		Exec(ctx)
	return translate(ctx, err, "dropping the payload of outbox entry "+id)
}

// outboxChanged turns the outcome of an UPDATE of one entry into ErrNotFound
// (not in the scope) or ErrConflict (delivered, discarded or leased).
func (s *Store) outboxChanged(ctx context.Context, scope connect.Scope, id string, res sql.Result, err error, doing string) error {
	n, err := rowsAffected(ctx, res, err, doing+" outbox entry "+id)
	if err != nil || n > 0 {
		return err
	}
	return s.casMissed(ctx, inScope(s.idb.NewSelect().Model((*outboxRow)(nil)), scope).Where("id = ?", id),
		"outbox entry "+id, "was delivered or discarded, or is being delivered now")
}

// OutboxBacklogAnyAccount counts the pending and dead entries of every account
// (two index scans: outbox_due and outbox_dead).
func (s *Store) OutboxBacklogAnyAccount(ctx context.Context) (connect.OutboxBacklog, error) {
	var pending []struct {
		N      int        `bun:"n"`
		Oldest *time.Time `bun:"oldest"`
	}
	err := s.idb.NewRaw("SELECT count(*) AS n, min(created_at) AS oldest FROM outbox WHERE state = ?", string(connect.OutboxPending)).
		Scan(ctx, &pending)
	if err != nil {
		return connect.OutboxBacklog{}, translate(ctx, err, "counting the outbox")
	}
	var dead int
	if err := s.idb.NewRaw("SELECT count(*) FROM outbox WHERE state = ?", string(connect.OutboxDead)).Scan(ctx, &dead); err != nil {
		return connect.OutboxBacklog{}, translate(ctx, err, "counting the outbox")
	}
	b := connect.OutboxBacklog{Dead: dead}
	if len(pending) > 0 {
		b.Pending = pending[0].N
		if pending[0].Oldest != nil {
			b.OldestPending = goTime(*pending[0].Oldest)
		}
	}
	return b, nil
}

// PurgeOutboxAnyAccount deletes delivered and discarded entries last changed
// before the time, through outbox_finished, and their payloads.
func (s *Store) PurgeOutboxAnyAccount(ctx context.Context, before time.Time) (int, error) {
	var n int64
	err := s.atomic(ctx, func(tx *Store) error {
		res, err := tx.idb.NewDelete().Model((*outboxRow)(nil)).
			Where("state IN (?)", bun.List([]string{string(connect.OutboxDone), string(connect.OutboxDiscarded)})).
			Where("updated_at < ?", dbTime(before)).
			Exec(ctx)
		if n, err = rowsAffected(ctx, res, err, "purging the outbox"); err != nil || n == 0 {
			return err
		}
		// Their payloads go with them (they may name a customer).
		_, err = tx.idb.NewDelete().Model((*outboxPayloadRow)(nil)).
			Where("NOT EXISTS (SELECT 1 FROM outbox WHERE outbox.key = obp.key)").Exec(ctx)
		return translate(ctx, err, "purging outbox payloads")
	})
	return int(n), err
}
