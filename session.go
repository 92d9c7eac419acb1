package connect

import (
	"context"
	"errors"
	"time"
)

// SessionID identifies a sign-in session (never its token).
type SessionID string

// Session is one sign-in of a member on one device. The Store keeps it, so that
// every process serving the portal agrees on it: a session ended on one (sign-out,
// a password changed, the member removed) is refused by all at their next check.
// The device holds its token; the Store only the token's SHA-256.
type Session struct {
	ID        SessionID
	Account   AccountID
	Client    ClientID
	Member    MemberID
	TokenHash []byte // SHA-256 of the token
	Device    string // what the browser says it is, summed up ("Firefox on Linux")
	Network   string // where it signed in from: an IPv4 address, an IPv6 /64
	CreatedAt time.Time
	// SeenAt is when it was last used, written at most every SessionTouchEvery.
	SeenAt time.Time
	// Idle ends the session once it has not been used for that long.
	Idle time.Duration
	// ExpiresAt ends the session, however active.
	ExpiresAt time.Time
}

// EndsAt is when the session ends unless it is used again before.
func (s *Session) EndsAt() time.Time {
	idle := s.SeenAt.Add(s.Idle)
	if idle.Before(s.ExpiresAt) {
		return idle
	}
	return s.ExpiresAt
}

// Open reports whether the session has not ended at now.
func (s *Session) Open(now time.Time) bool { return now.Before(s.EndsAt()) }

// SessionMember is a session with its member and client as they are now: what
// the Store's one read per request returns. Member is nil when the member was
// removed from the team (the session then opens nothing, and is removed once it
// ends).
type SessionMember struct {
	Session *Session
	Member  *Member
	Client  *Client
	// TwoFactor reports whether the member signs in with two factors (a
	// confirmed TwoFactor): a client that requires it sends the member to enroll.
	TwoFactor bool
}

// SessionTouchEvery is how stale a session's SeenAt may grow before a use writes
// it again: the idle timeout holds to within it, and an active session costs one
// write per SessionTouchEvery instead of one per request.
const SessionTouchEvery = 2 * time.Minute

// The default lifetimes of a session (StartSessionParams).
const (
	DefaultSessionTTL  = 12 * time.Hour
	DefaultSessionIdle = 2 * time.Hour
)

// sweepSessions is how many ended sessions one sign-in removes at most.
const sweepSessions = 100

// StartSessionParams describes a new sign-in.
type StartSessionParams struct {
	Device  string // a summary of the User-Agent
	Network string // the client's network
	// TTL is how long the session lasts at most. 0: DefaultSessionTTL (12 hours).
	TTL time.Duration
	// Idle ends it once unused for that long. 0: DefaultSessionIdle (2 hours).
	Idle time.Duration
}

// IssuedSession is a new session with its token, which exists only here: the
// device keeps it (in a cookie) and presents it to OpenSession.
type IssuedSession struct {
	Session *Session
	Token   string
}

// StartSession signs a member in on a device: it stores a new session for the
// actor (a member whose password, or invite, the caller checked) and returns its
// token. On the way it removes some sessions that ended (bounded), so the table
// does not grow with abandoned sign-ins. Errors: ErrForbidden when the actor is
// not an active member.
func (s *Service) StartSession(ctx context.Context, a Actor, p StartSessionParams) (*IssuedSession, error) {
	a.AccessMemo, a.Session = nil, ""
	c, err := s.resolve(ctx, a)
	if err != nil {
		return nil, err
	}
	if c.Kind != ActorMember {
		return nil, Errorf(Forbidden, "only team members sign in")
	}
	if p.TTL <= 0 {
		p.TTL = DefaultSessionTTL
	}
	if p.Idle <= 0 {
		p.Idle = DefaultSessionIdle
	}
	token, hash, err := newSecret()
	if err != nil {
		return nil, err
	}
	now := s.now()
	sess := &Session{ID: SessionID(s.newID()), Account: a.Account, Client: a.Client, Member: a.Member,
		TokenHash: hash, Device: clip(p.Device, 200), Network: clip(p.Network, 64),
		CreatedAt: now, SeenAt: now, Idle: p.Idle, ExpiresAt: now.Add(p.TTL)}
	if err := s.store.CreateSession(ctx, c.scope(), sess); err != nil {
		return nil, err
	}
	if n, err := s.store.EndExpiredSessionsAnyAccount(ctx, now, sweepSessions); err != nil {
		s.log.WarnContext(ctx, "removing ended sessions", "err", err)
	} else if n > 0 {
		s.log.DebugContext(ctx, "removed ended sessions", "count", n)
	}
	return &IssuedSession{Session: sess, Token: token}, nil
}

// clip cuts s to at most n bytes.
func clip(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// errSessionEnded is the answer for a token that opens no session.
func errSessionEnded() error {
	return Errorf(Forbidden, "your session has ended; sign in again")
}

// OpenSession returns the membership a session token opens, with one read of the
// Store: its Actor carries the session (every later check of the actor checks
// it too) and memo, which then holds this check for the request's reads (nil:
// none). It notes the use (at most every SessionTouchEvery).
// Errors: ErrForbidden when the token opens no open session, the member is gone,
// or the client is disabled.
func (s *Service) OpenSession(ctx context.Context, token string, memo *AccessMemo) (*Membership, error) {
	if token == "" || len(token) > 256 {
		return nil, errSessionEnded()
	}
	sm, err := s.store.SessionByTokenHashAnyAccount(ctx, hashSecret(token))
	if errors.Is(err, ErrNotFound) {
		return nil, errSessionEnded()
	} else if err != nil {
		return nil, err
	}
	c, err := s.sessionCaller(ctx, sm)
	if err != nil {
		return nil, err
	}
	c.AccessMemo = memo
	if memo != nil {
		memo.remember(c.Actor, c)
	}
	m := &Membership{Actor: c.Actor, Member: sm.Member, Client: sm.Client}
	if sm.Client.Settings.RequireTwoFactor && !sm.TwoFactor {
		m.SecondStep = SecondStepEnroll // required since the sign-in, or turned off since
	}
	return m, nil
}

// sessionCaller checks a session read from the Store, notes its use, and
// returns its member as a caller.
func (s *Service) sessionCaller(ctx context.Context, sm *SessionMember) (caller, error) {
	now := s.now()
	if sm.Session == nil || sm.Client == nil || !sm.Session.Open(now) {
		return caller{}, errSessionEnded()
	}
	if sm.Member == nil {
		return caller{}, Errorf(Forbidden, "your access to this portal has ended; ask your team's owner to invite you again")
	}
	if sm.Client.Status != ClientActive {
		return caller{}, Errorf(Forbidden, "the portal of %s is disabled; contact your dispatcher", sm.Client.Name)
	}
	sess := sm.Session
	if now.Sub(sess.SeenAt) >= SessionTouchEvery {
		seen := *sess
		seen.SeenAt = now
		if err := s.store.TouchSession(ctx, Scope{Account: sess.Account, Client: sess.Client}, &seen); err != nil {
			s.log.WarnContext(ctx, "noting a session's use", "session", sess.ID, "err", err)
		}
	}
	a := Actor{Kind: ActorMember, Account: sess.Account, Client: sess.Client, Member: sess.Member, Session: sess.ID}
	return caller{Actor: a, role: sm.Member.Role, client: sm.Client, member: sm.Member}, nil
}

// resolveSession is resolve for a member acting through a session: one read of
// the session, its member and client.
func (s *Service) resolveSession(ctx context.Context, a Actor) (caller, error) {
	sm, err := s.store.Session(ctx, Scope{Account: a.Account, Client: a.Client}, a.Session)
	if errors.Is(err, ErrNotFound) {
		return caller{}, errSessionEnded()
	} else if err != nil {
		return caller{}, err
	}
	if sm.Session.Member != a.Member {
		return caller{}, errSessionEnded()
	}
	return s.sessionCaller(ctx, sm)
}

// SignOut ends the session a token opens, whatever its state (ended, or its
// client disabled): the token is the credential. An unknown token is no error.
func (s *Service) SignOut(ctx context.Context, token string) error {
	if token == "" || len(token) > 256 {
		return nil
	}
	sm, err := s.store.SessionByTokenHashAnyAccount(ctx, hashSecret(token))
	if errors.Is(err, ErrNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	err = s.store.EndSession(ctx, Scope{Account: sm.Session.Account, Client: sm.Session.Client}, sm.Session.ID)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	return err
}

// Sessions lists the member's own open sessions, last seen first (the account
// page). Errors: ErrForbidden.
func (s *Service) Sessions(ctx context.Context, a Actor) ([]*Session, error) {
	c, err := s.ownSessions(ctx, a)
	if err != nil {
		return nil, err
	}
	all, err := s.store.Sessions(ctx, c.scope(), c.Member)
	if err != nil {
		return nil, err
	}
	now := s.now()
	open := all[:0]
	for _, sess := range all {
		if sess.Open(now) {
			open = append(open, sess)
		}
	}
	return open, nil
}

// EndSession signs one of the member's own sessions out (another device, or this
// one). Errors: ErrNotFound when it is not one of theirs; ErrForbidden.
func (s *Service) EndSession(ctx context.Context, a Actor, id SessionID) error {
	c, err := s.ownSessions(ctx, a)
	if err != nil {
		return err
	}
	sm, err := s.store.Session(ctx, c.scope(), id)
	if err != nil {
		return err
	}
	if sm.Session.Member != c.Member {
		return Errorf(NotFound, "session %s: not found", id)
	}
	return s.store.EndSession(ctx, c.scope(), id)
}

// EndOtherSessions signs the member out everywhere but the session it acts
// through, and returns how many sessions ended. Errors: ErrForbidden.
func (s *Service) EndOtherSessions(ctx context.Context, a Actor) (int, error) {
	c, err := s.ownSessions(ctx, a)
	if err != nil {
		return 0, err
	}
	return s.store.EndSessions(ctx, c.scope(), c.Member, a.Session)
}

// ownSessions checks that the actor is a member, who manages their own sessions.
func (s *Service) ownSessions(ctx context.Context, a Actor) (caller, error) {
	c, err := s.authorize(ctx, a, actViewTeam)
	if err != nil {
		return caller{}, err
	}
	if c.Kind != ActorMember {
		return caller{}, Errorf(Forbidden, "only team members have sessions")
	}
	return c, nil
}
