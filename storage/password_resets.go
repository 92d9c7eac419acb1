package storage

import (
	"context"
	"time"

	"github.com/dispatchkit/connect"
	"github.com/uptrace/bun"
)

// passwordResetRow is a "forgot password" link (connect.PasswordReset).
type passwordResetRow struct {
	bun.BaseModel `bun:"table:password_resets,alias:pr"`

	ID        string    `bun:"id,pk"`
	AccountID string    `bun:"account_id"`
	ClientID  string    `bun:"client_id"`
	MemberID  string    `bun:"member_id"`
	TokenHash []byte    `bun:"token_hash,type:bytea"`
	CreatedAt time.Time `bun:"created_at"`
	ExpiresAt time.Time `bun:"expires_at"`
	UsedAt    time.Time `bun:"used_at,nullzero"`
}

func (r *passwordResetRow) reset() *connect.PasswordReset {
	return &connect.PasswordReset{
		ID: connect.PasswordResetID(r.ID), Account: connect.AccountID(r.AccountID), Client: connect.ClientID(r.ClientID),
		Member: connect.MemberID(r.MemberID), TokenHash: r.TokenHash, CreatedAt: goTime(r.CreatedAt),
		ExpiresAt: goTime(r.ExpiresAt), UsedAt: goTime(r.UsedAt),
	}
}

// CreatePasswordReset stores a new reset, only for a member of its account and
// client: INSERT … SELECT from the member. Errors: ErrConflict when its id or
// hash exists; ErrNotFound when it is not in the scope, or its member is not on
// its client's team.
func (s *Store) CreatePasswordReset(ctx context.Context, scope connect.Scope, r *connect.PasswordReset) error {
	if _, err := within(scope, r.Account, r.Client, "member "+string(r.Member)); err != nil {
		return err
	}
	if len(r.TokenHash) == 0 || r.Client == "" {
		return connect.Errorf(connect.Invalid, "storage: a password reset needs a client and a token hash")
	}
	res, err := s.idb.NewRaw(`INSERT INTO password_resets (id, account_id, client_id, member_id, token_hash, created_at, expires_at, used_at)
SELECT ?, account_id, client_id, id, ?, ?, ?, ? FROM members WHERE account_id = ? AND client_id = ? AND id = ?`,
		string(r.ID), r.TokenHash, dbTime(r.CreatedAt), dbTime(r.ExpiresAt), nullTime(dbTime(r.UsedAt)),
		string(r.Account), string(r.Client), string(r.Member)).Exec(ctx)
	n, err := rowsAffected(ctx, res, err, "creating password reset "+string(r.ID))
	if err != nil {
		return err
	}
	if n == 0 {
		return connect.Errorf(connect.NotFound, "member %s: not found", r.Member)
	}
	return nil
}

// PasswordResetByTokenHashAnyAccount finds the reset a token opens, in any account.
func (s *Store) PasswordResetByTokenHashAnyAccount(ctx context.Context, hash []byte) (*connect.PasswordReset, error) {
	if len(hash) == 0 {
		return nil, connect.Errorf(connect.NotFound, "password reset: not found")
	}
	var row passwordResetRow
	if err := s.idb.NewSelect().Model(&row).Where("token_hash = ?", hash).Scan(ctx); err != nil {
		return nil, translate(ctx, err, "password reset")
	}
	return row.reset(), nil
}

// UsePasswordResetAnyAccount marks the reset used, if it is unused and unexpired.
func (s *Store) UsePasswordResetAnyAccount(ctx context.Context, hash []byte, now time.Time) (*connect.PasswordReset, error) {
	if len(hash) == 0 {
		return nil, connect.Errorf(connect.NotFound, "password reset: not found")
	}
	now = dbTime(now)
	var rows []passwordResetRow
	err := s.idb.NewUpdate().Model((*passwordResetRow)(nil)).
		Set("used_at = ?", now).
		Where("token_hash = ?", hash).Where("used_at IS NULL").Where("expires_at > ?", now).
		Returning("*").Scan(ctx, &rows)
	if err != nil {
		return nil, translate(ctx, err, "using a password reset")
	}
	if len(rows) == 0 {
		return nil, s.casMissed(ctx, s.idb.NewSelect().Model((*passwordResetRow)(nil)).Where("token_hash = ?", hash),
			"password reset", "was used, or has expired")
	}
	return rows[0].reset(), nil
}

// EndExpiredPasswordResetsAnyAccount removes up to limit resets that expired by now.
func (s *Store) EndExpiredPasswordResetsAnyAccount(ctx context.Context, now time.Time, limit int) (int, error) {
	if limit <= 0 {
		return 0, nil
	}
	expired := s.idb.NewSelect().Model((*passwordResetRow)(nil)).Column("id").
		Where("expires_at <= ?", dbTime(now)).Limit(int64(limit))
	res, err := s.idb.NewDelete().Model((*passwordResetRow)(nil)).Where("id IN (?)", expired).Exec(ctx)
	n, err := rowsAffected(ctx, res, err, "removing expired password resets")
	return int(n), err
}
