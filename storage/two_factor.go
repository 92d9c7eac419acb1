package storage

import (
	"context"
	"time"

	"github.com/dispatchkit/connect"
	"github.com/uptrace/bun"
)

// twoFactorRow is a member's TOTP enrollment (connect.TwoFactor).
type twoFactorRow struct {
	bun.BaseModel `bun:"table:two_factor,alias:tf"`

	MemberID    string    `bun:"member_id,pk"`
	AccountID   string    `bun:"account_id"`
	ClientID    string    `bun:"client_id"`
	Secret      []byte    `bun:"secret,type:bytea"`
	CreatedAt   time.Time `bun:"created_at"`
	ConfirmedAt time.Time `bun:"confirmed_at,nullzero"`
	LastStep    int64     `bun:"last_step"`
	// RecoveryLeft is counted by the read, not stored.
	RecoveryLeft int `bun:"recovery_left,scanonly"`
}

// recoveryCodeRow is one recovery code of a member, by its hash.
type recoveryCodeRow struct {
	bun.BaseModel `bun:"table:two_factor_recovery,alias:tfr"`

	MemberID  string    `bun:"member_id,pk"`
	AccountID string    `bun:"account_id"`
	ClientID  string    `bun:"client_id"`
	CodeHash  []byte    `bun:"code_hash,pk,type:bytea"`
	UsedAt    time.Time `bun:"used_at,nullzero"`
}

// SetTwoFactor stores a pending enrollment of a member of the scope, replacing
// a pending one: INSERT … SELECT from the member, so that none is made for a
// member outside the scope.
func (s *Store) SetTwoFactor(ctx context.Context, scope connect.Scope, tf *connect.TwoFactor) error {
	what := "member " + string(tf.Member)
	sc, err := within(scope, tf.Account, tf.Client, what)
	if err != nil {
		return err
	}
	if len(tf.Secret) == 0 || tf.Client == "" {
		return connect.Errorf(connect.Invalid, "storage: a two-factor enrollment needs a client and a secret")
	}
	_, err = inScope(s.idb.NewDelete().Model((*twoFactorRow)(nil)), sc).
		Where("member_id = ?", string(tf.Member)).Where("confirmed_at IS NULL").Exec(ctx)
	if err != nil {
		return translate(ctx, err, "replacing the two-factor enrollment of "+what)
	}
	res, err := s.idb.NewRaw(`INSERT INTO two_factor (member_id, account_id, client_id, secret, created_at, confirmed_at, last_step)
SELECT id, account_id, client_id, ?, ?, NULL, ? FROM members WHERE account_id = ? AND client_id = ? AND id = ?`,
		tf.Secret, dbTime(tf.CreatedAt), tf.LastStep, string(sc.Account), string(sc.Client), string(tf.Member)).Exec(ctx)
	n, err := rowsAffected(ctx, res, err, "storing the two-factor enrollment of "+what)
	if err != nil {
		return err
	}
	if n == 0 {
		return connect.Errorf(connect.NotFound, "%s: not found", what)
	}
	return nil
}

// TwoFactor returns the member's enrollment with its unused recovery codes counted.
func (s *Store) TwoFactor(ctx context.Context, scope connect.Scope, member connect.MemberID) (*connect.TwoFactor, error) {
	var row twoFactorRow
	left := s.idb.NewSelect().Model((*recoveryCodeRow)(nil)).ColumnExpr("count(*)").
		Where("tfr.member_id = tf.member_id").Where("tfr.used_at IS NULL")
	err := inScope(s.idb.NewSelect().Model(&row).ColumnExpr("tf.*").ColumnExpr("(?) AS recovery_left", left), scope).
		Where("member_id = ?", string(member)).Scan(ctx)
	if err != nil {
		return nil, translate(ctx, err, "two-factor enrollment of member "+string(member))
	}
	return &connect.TwoFactor{Account: connect.AccountID(row.AccountID), Client: connect.ClientID(row.ClientID),
		Member: connect.MemberID(row.MemberID), Secret: row.Secret, ConfirmedAt: goTime(row.ConfirmedAt),
		LastStep: row.LastStep, CreatedAt: goTime(row.CreatedAt), RecoveryLeft: row.RecoveryLeft}, nil
}

// ConfirmTwoFactor confirms a pending enrollment (compare-and-set) and stores its
// recovery codes' hashes.
func (s *Store) ConfirmTwoFactor(ctx context.Context, scope connect.Scope, member connect.MemberID, step int64, at time.Time, recovery [][]byte) error {
	what := "two-factor enrollment of member " + string(member)
	var rows []twoFactorRow
	err := inScope(s.idb.NewUpdate().Model((*twoFactorRow)(nil)), scope).
		Set("confirmed_at = ?", dbTime(at)).Set("last_step = ?", step).
		Where("member_id = ?", string(member)).Where("confirmed_at IS NULL").Where("last_step < ?", step).
		Returning("account_id, client_id").Scan(ctx, &rows)
	if err != nil {
		return translate(ctx, err, "confirming the "+what)
	}
	if len(rows) == 0 {
		return s.casMissed(ctx, inScope(s.idb.NewSelect().Model((*twoFactorRow)(nil)), scope).
			Where("member_id = ?", string(member)), what, "was confirmed, or its code used, meanwhile")
	}
	if len(recovery) == 0 {
		return nil
	}
	codes := make([]recoveryCodeRow, len(recovery))
	for i, h := range recovery {
		codes[i] = recoveryCodeRow{MemberID: string(member), AccountID: rows[0].AccountID, ClientID: rows[0].ClientID, CodeHash: h}
	}
	if _, err := s.idb.NewInsert().Model(&codes).Returning("NULL").Exec(ctx); err != nil {
		return translate(ctx, err, "storing the recovery codes of member "+string(member))
	}
	return nil
}

// UseTwoFactorStep advances the member's last used step (compare-and-set).
func (s *Store) UseTwoFactorStep(ctx context.Context, scope connect.Scope, member connect.MemberID, step int64) error {
	what := "two-factor enrollment of member " + string(member)
	res, err := inScope(s.idb.NewUpdate().Model((*twoFactorRow)(nil)), scope).
		Set("last_step = ?", step).
		Where("member_id = ?", string(member)).Where("confirmed_at IS NOT NULL").Where("last_step < ?", step).
		Exec(ctx)
	n, err := rowsAffected(ctx, res, err, "using a code of the "+what)
	if err != nil {
		return err
	}
	if n == 0 {
		return s.casMissed(ctx, inScope(s.idb.NewSelect().Model((*twoFactorRow)(nil)), scope).
			Where("member_id = ?", string(member)).Where("confirmed_at IS NOT NULL"), what, "its code was used already")
	}
	return nil
}

// UseRecoveryCode marks one unused recovery code of the member used (compare-and-set).
func (s *Store) UseRecoveryCode(ctx context.Context, scope connect.Scope, member connect.MemberID, hash []byte, at time.Time) error {
	if len(hash) == 0 {
		return connect.Errorf(connect.NotFound, "recovery code: not found")
	}
	res, err := inScope(s.idb.NewUpdate().Model((*recoveryCodeRow)(nil)), scope).
		Set("used_at = ?", dbTime(at)).
		Where("member_id = ?", string(member)).Where("code_hash = ?", hash).Where("used_at IS NULL").
		Exec(ctx)
	n, err := rowsAffected(ctx, res, err, "using a recovery code")
	if err != nil {
		return err
	}
	if n == 0 {
		return s.casMissed(ctx, inScope(s.idb.NewSelect().Model((*recoveryCodeRow)(nil)), scope).
			Where("member_id = ?", string(member)).Where("code_hash = ?", hash), "recovery code", "was used already")
	}
	return nil
}

// DeleteTwoFactor removes the member's enrollment and recovery codes.
func (s *Store) DeleteTwoFactor(ctx context.Context, scope connect.Scope, member connect.MemberID) error {
	res, err := inScope(s.idb.NewDelete().Model((*twoFactorRow)(nil)), scope).
		Where("member_id = ?", string(member)).Exec(ctx)
	n, err := rowsAffected(ctx, res, err, "removing the two-factor enrollment of member "+string(member))
	if err != nil {
		return err
	}
	if n == 0 {
		return connect.Errorf(connect.NotFound, "two-factor enrollment of member %s: not found", member)
	}
	_, err = inScope(s.idb.NewDelete().Model((*recoveryCodeRow)(nil)), scope).
		Where("member_id = ?", string(member)).Exec(ctx)
	return translate(ctx, err, "removing the recovery codes of member "+string(member))
}
