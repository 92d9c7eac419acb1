package storage

import (
	"context"

	"github.com/dispatchkit/connect"
)

// CreateMember stores a new member at Version 1 and sets m.Version. Emails are
// unique per client without regard to case. Errors: ErrConflict; ErrNotFound when
// the member is not in the scope, or its client is not a client of its account.
func (s *Store) CreateMember(ctx context.Context, scope connect.Scope, m *connect.Member) error {
	if _, err := within(scope, m.Account, m.Client, "client "+string(m.Client)); err != nil {
		return err
	}
	row := memberToRow(m)
	row.Version = 1
	if _, err := s.idb.NewInsert().Model(row).Returning("NULL").Exec(ctx); err != nil {
		return translate(ctx, err, "adding "+m.Email+" to the team")
	}
	m.Version = 1
	return nil
}

// Member returns one member in the scope.
func (s *Store) Member(ctx context.Context, scope connect.Scope, id connect.MemberID) (*connect.Member, error) {
	var row memberRow
	err := inScope(s.idb.NewSelect().Model(&row), scope).Where("id = ?", string(id)).Scan(ctx)
	if err != nil {
		return nil, translate(ctx, err, "member "+string(id))
	}
	return row.member(), nil
}

// Members lists the scope's members, owner first, then by name.
func (s *Store) Members(ctx context.Context, scope connect.Scope) ([]*connect.Member, error) {
	var rows []memberRow
	err := inScope(s.idb.NewSelect().Model(&rows), scope).
		OrderExpr("CASE WHEN role = ? THEN 0 ELSE 1 END, name ASC, id ASC", string(connect.RoleOwner)).
		Scan(ctx)
	if err != nil {
		return nil, translate(ctx, err, "listing the team")
	}
	out := make([]*connect.Member, len(rows))
	for i := range rows {
		out[i] = rows[i].member()
	}
	return out, nil
}

// UpdateMember writes m if it is in the scope and still at m.Version, and
// advances m.Version.
func (s *Store) UpdateMember(ctx context.Context, scope connect.Scope, m *connect.Member) error {
	what := "member " + string(m.ID)
	scope, err := within(scope, m.Account, m.Client, what)
	if err != nil {
		return err
	}
	res, err := inScope(s.idb.NewUpdate().Model(memberToRow(m)).
		Column("name", "email", "role", "language", "updated_at").
		Set("version = ?", m.Version+1), scope).
		Where("id = ?", string(m.ID)).Where("version = ?", m.Version).
		Exec(ctx)
	n, err := rowsAffected(ctx, res, err, "updating "+what)
	if err != nil {
		return err
	}
	if n == 0 {
		return s.casMissed(ctx, inScope(s.idb.NewSelect().Model((*memberRow)(nil)), scope).
			Where("id = ?", string(m.ID)), what, "was changed by someone else; reload it")
	}
	m.Version++
	return nil
}

// DeleteMember removes one member in the scope.
func (s *Store) DeleteMember(ctx context.Context, scope connect.Scope, id connect.MemberID) error {
	res, err := inScope(s.idb.NewDelete().Model((*memberRow)(nil)), scope).
		Where("id = ?", string(id)).Exec(ctx)
	n, err := rowsAffected(ctx, res, err, "removing member "+string(id))
	if err != nil {
		return err
	}
	if n == 0 {
		return connect.Errorf(connect.NotFound, "member %s: not found", id)
	}
	// Its two-factor secret and recovery codes go with it.
	for _, model := range []any{(*twoFactorRow)(nil), (*recoveryCodeRow)(nil)} {
		_, err := inScope(s.idb.NewDelete().Model(model), scope).Where("member_id = ?", string(id)).Exec(ctx)
		if err != nil {
			return translate(ctx, err, "removing the two-factor sign-in of member "+string(id))
		}
	}
	return nil
}

// CreateInvite stores a new invite at Version 1 and sets inv.Version.
// Errors: ErrConflict; ErrNotFound when the invite is not in the scope, or its
// client is not a client of its account.
func (s *Store) CreateInvite(ctx context.Context, scope connect.Scope, inv *connect.Invite) error {
	if _, err := within(scope, inv.Account, inv.Client, "client "+string(inv.Client)); err != nil {
		return err
	}
	row := inviteToRow(inv)
	row.Version = 1
	if _, err := s.idb.NewInsert().Model(row).Returning("NULL").Exec(ctx); err != nil {
		return translate(ctx, err, "creating invite "+string(inv.ID))
	}
	inv.Version = 1
	return nil
}

// Invite returns one invite in the scope.
func (s *Store) Invite(ctx context.Context, scope connect.Scope, id connect.InviteID) (*connect.Invite, error) {
	var row inviteRow
	err := inScope(s.idb.NewSelect().Model(&row), scope).Where("id = ?", string(id)).Scan(ctx)
	if err != nil {
		return nil, translate(ctx, err, "invite "+string(id))
	}
	return row.invite(), nil
}

// InviteByTokenHash finds the invite a token opens, in any account: the one lookup
// that is not scoped, because the token is the caller's only credential.
func (s *Store) InviteByTokenHash(ctx context.Context, hash []byte) (*connect.Invite, error) {
	if len(hash) == 0 {
		return nil, connect.Errorf(connect.NotFound, "invite: not found")
	}
	var row inviteRow
	err := s.idb.NewSelect().Model(&row).Where("token_hash = ?", hash).Scan(ctx)
	if err != nil {
		return nil, translate(ctx, err, "invite")
	}
	return row.invite(), nil
}

// Invites lists the scope's invites, newest first.
func (s *Store) Invites(ctx context.Context, scope connect.Scope) ([]*connect.Invite, error) {
	var rows []inviteRow
	err := inScope(s.idb.NewSelect().Model(&rows), scope).
		OrderExpr("created_at DESC, id DESC").
		Scan(ctx)
	if err != nil {
		return nil, translate(ctx, err, "listing invites")
	}
	out := make([]*connect.Invite, len(rows))
	for i := range rows {
		out[i] = rows[i].invite()
	}
	return out, nil
}

// UpdateInvite writes inv if it is still at inv.Version, and advances inv.Version.
// The token hash, kind and client of an invite never change. Errors: ErrNotFound
// when inv is not in the scope.
func (s *Store) UpdateInvite(ctx context.Context, scope connect.Scope, inv *connect.Invite) error {
	what := "invite " + string(inv.ID)
	scope, err := within(scope, inv.Account, inv.Client, what)
	if err != nil {
		return err
	}
	res, err := inScope(s.idb.NewUpdate().Model(inviteToRow(inv)).
		Column("email", "role", "expires_at", "accepted_at", "accepted_by", "revoked_at", "invited_by", "replaced_by").
		Set("version = ?", inv.Version+1), scope).
		Where("id = ?", string(inv.ID)).Where("version = ?", inv.Version).
		Exec(ctx)
	n, err := rowsAffected(ctx, res, err, "updating "+what)
	if err != nil {
		return err
	}
	if n == 0 {
		return s.casMissed(ctx, inScope(s.idb.NewSelect().Model((*inviteRow)(nil)), scope).
			Where("id = ?", string(inv.ID)), what, "was changed by someone else (accepted, revoked or resent); reload it")
	}
	inv.Version++
	return nil
}
