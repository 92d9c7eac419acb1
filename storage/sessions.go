package storage

import (
	"context"
	"reflect"
	"strings"
	"time"

	"github.com/dispatchkit/connect"
	"github.com/uptrace/bun"
)

// sessionRow is a member's sign-in session (connect.Session).
type sessionRow struct {
	bun.BaseModel `bun:"table:sessions,alias:s"`

	ID          string    `bun:"id,pk"`
	AccountID   string    `bun:"account_id"`
	ClientID    string    `bun:"client_id"`
	MemberID    string    `bun:"member_id"`
	TokenHash   []byte    `bun:"token_hash,type:bytea"`
	Device      string    `bun:"device"`
	Network     string    `bun:"network"`
	CreatedAt   time.Time `bun:"created_at"`
	SeenAt      time.Time `bun:"seen_at"`
	IdleSeconds int64     `bun:"idle_seconds"`
	IdleUntil   time.Time `bun:"idle_until"`
	ExpiresAt   time.Time `bun:"expires_at"`
}

func sessionToRow(s *connect.Session) *sessionRow {
	return &sessionRow{
		ID: string(s.ID), AccountID: string(s.Account), ClientID: string(s.Client), MemberID: string(s.Member),
		TokenHash: s.TokenHash, Device: s.Device, Network: s.Network, CreatedAt: dbTime(s.CreatedAt),
		SeenAt: dbTime(s.SeenAt), IdleSeconds: int64(s.Idle / time.Second),
		IdleUntil: dbTime(s.SeenAt.Add(s.Idle)), ExpiresAt: dbTime(s.ExpiresAt),
	}
}

func (r *sessionRow) session() *connect.Session {
	return &connect.Session{
		ID: connect.SessionID(r.ID), Account: connect.AccountID(r.AccountID), Client: connect.ClientID(r.ClientID),
		Member: connect.MemberID(r.MemberID), TokenHash: r.TokenHash, Device: r.Device, Network: r.Network,
		CreatedAt: goTime(r.CreatedAt), SeenAt: goTime(r.SeenAt), Idle: time.Duration(r.IdleSeconds) * time.Second,
		ExpiresAt: goTime(r.ExpiresAt),
	}
}

// sessionMemberRow is a session with its member and client, read in one query.
type sessionMemberRow struct {
	sessionRow `bun:",extend"`
	Member     memberRow `bun:"embed:m_"`
	Client     clientRow `bun:"embed:c_"`
	TwoFactor  bool      `bun:"two_factor,scanonly"`
}

// CreateSession stores a new session, only for a member of its account and
// client. Errors: ErrConflict when its id or hash exists; ErrNotFound when it is
// not in the scope, or its member is not on its client's team.
func (s *Store) CreateSession(ctx context.Context, scope connect.Scope, sess *connect.Session) error {
	sc, err := within(scope, sess.Account, sess.Client, "member "+string(sess.Member))
	if err != nil {
		return err
	}
	if len(sess.TokenHash) == 0 || sess.Client == "" {
		return connect.Errorf(connect.Invalid, "storage: a session needs a client and a token hash")
	}
	ok, err := inScope(s.idb.NewSelect().Model((*memberRow)(nil)), sc).Where("id = ?", string(sess.Member)).Exists(ctx)
	if err != nil {
		return translate(ctx, err, "creating session "+string(sess.ID))
	}
	if !ok {
		return connect.Errorf(connect.NotFound, "member %s: not found", sess.Member)
	}
	if _, err := s.idb.NewInsert().Model(sessionToRow(sess)).Returning("NULL").Exec(ctx); err != nil {
		return translate(ctx, err, "creating session "+string(sess.ID))
	}
	return nil
}

// selectSessionMember starts the one read of a session with its member and
// client: the session's row by its index, then the member (none when removed)
// and the client by their primary keys, each in the session's own account and
// client.
func (s *Store) selectSessionMember(dest *sessionMemberRow) *bun.SelectQuery {
	return s.idb.NewSelect().Model(dest).
		ColumnExpr("s.*").
		ColumnExpr(prefixedColumns(s.db, reflect.TypeFor[memberRow](), "m", "m_")).
		ColumnExpr(prefixedColumns(s.db, reflect.TypeFor[clientRow](), "c", "c_")).
		Join("LEFT JOIN members AS m ON m.id = s.member_id AND m.account_id = s.account_id AND m.client_id = s.client_id").
		ColumnExpr("(tf.confirmed_at IS NOT NULL) AS two_factor").
		Join("JOIN clients AS c ON c.id = s.client_id AND c.account_id = s.account_id").
		Join("LEFT JOIN two_factor AS tf ON tf.member_id = s.member_id AND tf.account_id = s.account_id AND tf.client_id = s.client_id")
}

// prefixedColumns lists the columns of a model as alias.col AS prefixcol.
func prefixedColumns(db *bun.DB, typ reflect.Type, alias, prefix string) string {
	var b strings.Builder
	for i, f := range db.Table(typ).Fields {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(alias + "." + f.Name + " AS " + prefix + f.Name)
	}
	return b.String()
}

func (r *sessionMemberRow) sessionMember(ctx context.Context) (*connect.SessionMember, error) {
	c, err := r.Client.client()
	if err != nil {
		return nil, err
	}
	sm := &connect.SessionMember{Session: r.sessionRow.session(), Client: c, TwoFactor: r.TwoFactor}
	if r.Member.ID != "" {
		sm.Member = r.Member.member()
	}
	return sm, nil
}

// SessionByTokenHashAnyAccount finds the session a token opens, in any account,
// with its member and client.
func (s *Store) SessionByTokenHashAnyAccount(ctx context.Context, hash []byte) (*connect.SessionMember, error) {
	if len(hash) == 0 {
		return nil, connect.Errorf(connect.NotFound, "session: not found")
	}
	text := s.text("session by token", func() string {
		return s.selectSessionMember(nil).Where("s.token_hash = $1").String()
	})
	var row sessionMemberRow
	if err := s.statement(text, hash).Scan(ctx, &row); err != nil {
		return nil, translate(ctx, err, "session")
	}
	return row.sessionMember(ctx)
}

// Session returns one session of the scope, with its member and client.
func (s *Store) Session(ctx context.Context, scope connect.Scope, id connect.SessionID) (*connect.SessionMember, error) {
	// A prepared statement: every request and every live stream's check of its
	// caller reads a session.
	name, args := "session of an account", []any{string(id), string(scope.Account)}
	if scope.Client != "" {
		name, args = "session of a client", append(args, string(scope.Client))
	}
	text := s.text(name, func() string {
		q := s.selectSessionMember(nil).Where("s.id = $1").Where("s.account_id = $2")
		if scope.Client != "" {
			q = q.Where("s.client_id = $3")
		}
		return q.String()
	})
	var row sessionMemberRow
	err := s.statement(text, args...).Scan(ctx, &row)
	if err != nil {
		return nil, translate(ctx, err, "session "+string(id))
	}
	return row.sessionMember(ctx)
}

// TouchSession writes the session's SeenAt (and when it goes idle).
func (s *Store) TouchSession(ctx context.Context, scope connect.Scope, sess *connect.Session) error {
	sc, err := within(scope, sess.Account, sess.Client, "session "+string(sess.ID))
	if err != nil {
		return err
	}
	row := sessionToRow(sess)
	res, err := inScope(s.idb.NewUpdate().Model(row).Column("seen_at", "idle_until"), sc).
		Where("id = ?", string(sess.ID)).Exec(ctx)
	n, err := rowsAffected(ctx, res, err, "noting the use of session "+string(sess.ID))
	if err != nil {
		return err
	}
	if n == 0 {
		return connect.Errorf(connect.NotFound, "session %s: not found", sess.ID)
	}
	return nil
}

// Sessions lists a member's sessions in the scope, last seen first.
func (s *Store) Sessions(ctx context.Context, scope connect.Scope, member connect.MemberID) ([]*connect.Session, error) {
	var rows []sessionRow
	err := inScope(s.idb.NewSelect().Model(&rows), scope).
		Where("member_id = ?", string(member)).
		OrderExpr("seen_at DESC, id DESC").Scan(ctx)
	if err != nil {
		return nil, translate(ctx, err, "listing sessions")
	}
	out := make([]*connect.Session, len(rows))
	for i := range rows {
		out[i] = rows[i].session()
	}
	return out, nil
}

// EndSession removes one session of the scope.
func (s *Store) EndSession(ctx context.Context, scope connect.Scope, id connect.SessionID) error {
	res, err := inScope(s.idb.NewDelete().Model((*sessionRow)(nil)), scope).Where("id = ?", string(id)).Exec(ctx)
	n, err := rowsAffected(ctx, res, err, "ending session "+string(id))
	if err != nil {
		return err
	}
	if n == 0 {
		return connect.Errorf(connect.NotFound, "session %s: not found", id)
	}
	return nil
}

// EndSessions removes a member's sessions in the scope, but keep.
func (s *Store) EndSessions(ctx context.Context, scope connect.Scope, member connect.MemberID, keep connect.SessionID) (int, error) {
	q := inScope(s.idb.NewDelete().Model((*sessionRow)(nil)), scope).Where("member_id = ?", string(member))
	if keep != "" {
		q = q.Where("id <> ?", string(keep))
	}
	res, err := q.Exec(ctx)
	n, err := rowsAffected(ctx, res, err, "ending the sessions of member "+string(member))
	return int(n), err
}

// EndExpiredSessionsAnyAccount removes up to limit sessions that ended by now.
func (s *Store) EndExpiredSessionsAnyAccount(ctx context.Context, now time.Time, limit int) (int, error) {
	if limit <= 0 {
		return 0, nil
	}
	now = dbTime(now)
	ended := s.idb.NewSelect().Model((*sessionRow)(nil)).Column("id").
		WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
			return q.Where("idle_until <= ?", now).WhereOr("expires_at <= ?", now)
		}).Limit(int64(limit))
	res, err := s.idb.NewDelete().Model((*sessionRow)(nil)).Where("id IN (?)", ended).Exec(ctx)
	n, err := rowsAffected(ctx, res, err, "removing ended sessions")
	return int(n), err
}
