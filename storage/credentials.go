package storage

import (
	"context"
	"strings"
	"time"

	"github.com/dispatchkit/connect"
	"github.com/uptrace/bun"
)

// SetPassword stores the member's password hash ("" removes it). The hash lives
// in members.password_hash, a column the member model leaves out: Member and
// Members never read it.
func (s *Store) SetPassword(ctx context.Context, scope connect.Scope, id connect.MemberID, hash string) error {
	res, err := inScope(s.idb.NewUpdate().Model((*memberRow)(nil)).Set("password_hash = ?", hash), scope).
		Where("id = ?", string(id)).
		Exec(ctx)
	n, err := rowsAffected(ctx, res, err, "setting the password of member "+string(id))
	if err != nil {
		return err
	}
	if n == 0 {
		return connect.Errorf(connect.NotFound, "member %s: not found", id)
	}
	return nil
}

// credentialRow is a member with its password hash.
type credentialRow struct {
	memberRow    `bun:",extend"`
	PasswordHash string `bun:"password_hash"`
}

// CredentialsByEmail returns every member with the email, in any account, with their
// password hashes (the index members_email serves lower(email)).
func (s *Store) CredentialsByEmail(ctx context.Context, email string) ([]connect.Credential, error) {
	email = strings.TrimSpace(email)
	if email == "" {
		return nil, nil
	}
	var rows []credentialRow
	err := s.idb.NewSelect().Model(&rows).
		Where("lower(email) = lower(?)", email).
		OrderExpr("created_at ASC, id ASC").
		Scan(ctx)
	if err != nil {
		return nil, translate(ctx, err, "looking up sign-in credentials")
	}
	out := make([]connect.Credential, len(rows))
	for i := range rows {
		out[i] = connect.Credential{Member: rows[i].member(), PasswordHash: rows[i].PasswordHash}
	}
	return out, nil
}

type apiKeyRow struct {
	bun.BaseModel `bun:"table:api_keys,alias:k"`

	ID         string    `bun:"id,pk"`
	AccountID  string    `bun:"account_id"`
	ClientID   string    `bun:"client_id"`
	Name       string    `bun:"name"`
	Hash       []byte    `bun:"hash,type:bytea"`
	CreatedBy  string    `bun:"created_by"`
	CreatedAt  time.Time `bun:"created_at"`
	LastUsedAt time.Time `bun:"last_used_at,nullzero"`
	RevokedAt  time.Time `bun:"revoked_at,nullzero"`
}

func (r *apiKeyRow) key() *connect.APIKey {
	return &connect.APIKey{
		ID: connect.APIKeyID(r.ID), Account: connect.AccountID(r.AccountID), Client: connect.ClientID(r.ClientID),
		Name: r.Name, Hash: r.Hash, CreatedBy: connect.MemberID(r.CreatedBy), CreatedAt: goTime(r.CreatedAt),
		LastUsedAt: goTime(r.LastUsedAt), RevokedAt: goTime(r.RevokedAt),
	}
}

// CreateAPIKey stores a new API key. Errors: ErrConflict when its hash (or id)
// exists; ErrNotFound when it is not in the scope, or its client is not a client
// of its account.
func (s *Store) CreateAPIKey(ctx context.Context, scope connect.Scope, k *connect.APIKey) error {
	if _, err := within(scope, k.Account, k.Client, "client "+string(k.Client)); err != nil {
		return err
	}
	if len(k.Hash) == 0 {
		return connect.Errorf(connect.Invalid, "storage: an API key needs a hash")
	}
	row := &apiKeyRow{
		ID: string(k.ID), AccountID: string(k.Account), ClientID: string(k.Client), Name: k.Name, Hash: k.Hash,
		CreatedBy: string(k.CreatedBy), CreatedAt: dbTime(k.CreatedAt), LastUsedAt: dbTime(k.LastUsedAt),
		RevokedAt: dbTime(k.RevokedAt),
	}
	if _, err := s.idb.NewInsert().Model(row).Returning("NULL").Exec(ctx); err != nil {
		return translate(ctx, err, "creating API key "+string(k.ID))
	}
	return nil
}

// APIKeyByHash finds the key a token opens, in any account.
func (s *Store) APIKeyByHash(ctx context.Context, hash []byte) (*connect.APIKey, error) {
	if len(hash) == 0 {
		return nil, connect.Errorf(connect.NotFound, "API key: not found")
	}
	var row apiKeyRow
	if err := s.idb.NewSelect().Model(&row).Where("hash = ?", hash).Scan(ctx); err != nil {
		return nil, translate(ctx, err, "API key")
	}
	return row.key(), nil
}

// APIKeys lists the scope's keys, newest first.
func (s *Store) APIKeys(ctx context.Context, scope connect.Scope) ([]*connect.APIKey, error) {
	var rows []apiKeyRow
	err := inScope(s.idb.NewSelect().Model(&rows), scope).OrderExpr("created_at DESC, id DESC").Scan(ctx)
	if err != nil {
		return nil, translate(ctx, err, "listing API keys")
	}
	out := make([]*connect.APIKey, len(rows))
	for i := range rows {
		out[i] = rows[i].key()
	}
	return out, nil
}

// UpdateAPIKey writes k's RevokedAt and LastUsedAt, in k's own account and client,
// which must be in the scope.
func (s *Store) UpdateAPIKey(ctx context.Context, scope connect.Scope, k *connect.APIKey) error {
	scope, err := within(scope, k.Account, k.Client, "API key "+string(k.ID))
	if err != nil {
		return err
	}
	if k.Client == "" {
		return connect.Errorf(connect.NotFound, "API key %s: not found", k.ID)
	}
	row := &apiKeyRow{LastUsedAt: dbTime(k.LastUsedAt), RevokedAt: dbTime(k.RevokedAt)}
	res, err := inScope(s.idb.NewUpdate().Model(row).Column("last_used_at", "revoked_at"), scope).
		Where("id = ?", string(k.ID)).
		Exec(ctx)
	n, err := rowsAffected(ctx, res, err, "updating API key "+string(k.ID))
	if err != nil {
		return err
	}
	if n == 0 {
		return connect.Errorf(connect.NotFound, "API key %s: not found", k.ID)
	}
	return nil
}

type trackingLinkRow struct {
	bun.BaseModel `bun:"table:tracking_links,alias:tl"`

	ID        string    `bun:"id,pk"`
	AccountID string    `bun:"account_id"`
	ClientID  string    `bun:"client_id"`
	OrderID   string    `bun:"order_id"`
	Hash      []byte    `bun:"hash,type:bytea"`
	CreatedBy string    `bun:"created_by"`
	CreatedAt time.Time `bun:"created_at"`
	RevokedAt time.Time `bun:"revoked_at,nullzero"`
	Sealed    []byte    `bun:"token_sealed,type:bytea"`
}

func (r *trackingLinkRow) link() *connect.TrackingLink {
	return &connect.TrackingLink{
		ID: connect.TrackingLinkID(r.ID), Account: connect.AccountID(r.AccountID), Client: connect.ClientID(r.ClientID),
		Order: connect.OrderID(r.OrderID), Hash: r.Hash, CreatedBy: r.CreatedBy, CreatedAt: goTime(r.CreatedAt),
		RevokedAt: goTime(r.RevokedAt), Sealed: r.Sealed,
	}
}

// CreateTrackingLink stores a new tracking link, only for an order of its account
// and client: INSERT … SELECT from the order, so a link can never point into
// another tenant. Errors: ErrConflict when its hash exists; ErrNotFound when the
// link is not in the scope, or the order is not the link's client's.
func (s *Store) CreateTrackingLink(ctx context.Context, scope connect.Scope, l *connect.TrackingLink) error {
	if _, err := within(scope, l.Account, l.Client, "order "+string(l.Order)); err != nil {
		return err
	}
	if len(l.Hash) == 0 {
		return connect.Errorf(connect.Invalid, "storage: a tracking link needs a hash")
	}
	var sealed any // NULL without a key
	if len(l.Sealed) > 0 {
		sealed = l.Sealed
	}
	res, err := s.idb.NewRaw(`INSERT INTO tracking_links (id, account_id, client_id, order_id, hash, created_by, created_at, revoked_at, token_sealed)
SELECT ?, account_id, client_id, id, ?, ?, ?, ?, ? FROM orders WHERE account_id = ? AND client_id = ? AND id = ?`,
		string(l.ID), l.Hash, l.CreatedBy, dbTime(l.CreatedAt), nullTime(dbTime(l.RevokedAt)), sealed,
		string(l.Account), string(l.Client), string(l.Order)).Exec(ctx)
	n, err := rowsAffected(ctx, res, err, "creating tracking link "+string(l.ID))
	if err != nil {
		return err
	}
	if n == 0 {
		return connect.Errorf(connect.NotFound, "order %s: not found", l.Order)
	}
	return nil
}

// TrackingLinkByHash finds the link a token opens, in any account.
func (s *Store) TrackingLinkByHash(ctx context.Context, hash []byte) (*connect.TrackingLink, error) {
	if len(hash) == 0 {
		return nil, connect.Errorf(connect.NotFound, "tracking link: not found")
	}
	var row trackingLinkRow
	if err := s.idb.NewSelect().Model(&row).Where("hash = ?", hash).Scan(ctx); err != nil {
		return nil, translate(ctx, err, "tracking link")
	}
	return row.link(), nil
}

// TrackingLinks lists the order's links in the scope, newest first.
func (s *Store) TrackingLinks(ctx context.Context, scope connect.Scope, order connect.OrderID) ([]*connect.TrackingLink, error) {
	var rows []trackingLinkRow
	err := inScope(s.idb.NewSelect().Model(&rows), scope).
		Where("order_id = ?", string(order)).
		OrderExpr("created_at DESC, id DESC").
		Scan(ctx)
	if err != nil {
		return nil, translate(ctx, err, "listing tracking links")
	}
	out := make([]*connect.TrackingLink, len(rows))
	for i := range rows {
		out[i] = rows[i].link()
	}
	return out, nil
}

// UpdateTrackingLink writes l's RevokedAt, in l's own account and client, which
// must be in the scope.
func (s *Store) UpdateTrackingLink(ctx context.Context, scope connect.Scope, l *connect.TrackingLink) error {
	scope, err := within(scope, l.Account, l.Client, "tracking link "+string(l.ID))
	if err != nil {
		return err
	}
	if l.Client == "" {
		return connect.Errorf(connect.NotFound, "tracking link %s: not found", l.ID)
	}
	row := &trackingLinkRow{RevokedAt: dbTime(l.RevokedAt)}
	res, err := inScope(s.idb.NewUpdate().Model(row).Column("revoked_at"), scope).
		Where("id = ?", string(l.ID)).
		Exec(ctx)
	n, err := rowsAffected(ctx, res, err, "updating tracking link "+string(l.ID))
	if err != nil {
		return err
	}
	if n == 0 {
		return connect.Errorf(connect.NotFound, "tracking link %s: not found", l.ID)
	}
	return nil
}
