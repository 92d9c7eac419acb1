package storagetest

import (
	"testing"
	"time"

	"github.com/dispatchkit/connect"
)

// RunSessions runs the tests of connect.SessionStore.
func RunSessions(t *testing.T, open func(t *testing.T) connect.Store) {
	run(t, open, []test{
		{"SessionsRoundTripWithTheirMember", testSessions},
		{"EndSessionsKeepsOneAndSweepsEnded", testEndSessions},
		{"SessionsStayInTheirTenant", testSessionsIsolation},
	})
}

// session returns (without storing) a session of the member, created at f.at(n).
func (f *fixture) session(m *connect.Member, n int) *connect.Session {
	return &connect.Session{ID: connect.SessionID(f.id("se")), Account: m.Account, Client: m.Client, Member: m.ID,
		TokenHash: randomHash(), Device: "Firefox on Linux", Network: "192.0.2.1", CreatedAt: f.at(n),
		SeenAt: f.at(n), Idle: 2 * time.Hour, ExpiresAt: f.at(n).Add(12 * time.Hour)}
}

// testSessions: a session round-trips, is found by its hash in any account and
// by id in its scope with its member and client as they are now, is listed last
// seen first, touched, ended; it is made only for a member of its client, and
// reads no member once its member is removed.
func testSessions(t *testing.T, f *fixture) {
	c := f.client(f.account())
	sibling := f.client(c.Account)
	m := f.member(c, "Sam Session", connect.RoleMember)
	other := f.member(sibling, "Olga Other", connect.RoleMember)
	s1, s2 := f.session(m, 1), f.session(m, 2)
	for _, s := range []*connect.Session{s1, s2, f.session(other, 3)} {
		must(t, f.s.CreateSession(f.ctx, connect.Scope{Account: s.Account, Client: s.Client}, s))
	}
	dup := f.session(m, 4)
	dup.TokenHash = s1.TokenHash
	wantCode(t, "CreateSession with a hash in use", f.s.CreateSession(f.ctx, scopeOf(c), dup), connect.Conflict)
	stray := f.session(other, 5)
	stray.Client = c.ID // a member of the sibling named in c
	wantCode(t, "CreateSession for a member of another client", f.s.CreateSession(f.ctx, scopeOf(c), stray), connect.NotFound)
	ghost := f.session(m, 6)
	ghost.Member = "no-such-member"
	wantCode(t, "CreateSession for no member", f.s.CreateSession(f.ctx, scopeOf(c), ghost), connect.NotFound)

	got, err := f.s.SessionByTokenHashAnyAccount(f.ctx, s2.TokenHash)
	must(t, err)
	same(t, "session by hash", &connect.SessionMember{Session: s2, Member: m, Client: c}, got)
	wantCode(t, "SessionByTokenHashAnyAccount of an unknown hash",
		second(f.s.SessionByTokenHashAnyAccount(f.ctx, randomHash())), connect.NotFound)
	got, err = f.s.Session(f.ctx, connect.Scope{Account: c.Account}, s1.ID)
	must(t, err)
	same(t, "session by id", &connect.SessionMember{Session: s1, Member: m, Client: c}, got)

	// The member and client come as they are now.
	changed := *m
	changed.Role = connect.RoleAdmin
	must(t, f.s.UpdateMember(f.ctx, scopeOf(c), &changed))
	got, err = f.s.SessionByTokenHashAnyAccount(f.ctx, s1.TokenHash)
	must(t, err)
	if got.Member.Role != connect.RoleAdmin {
		t.Fatalf("the session's member has role %s after a change to admin", got.Member.Role)
	}

	same(t, "sessions, last seen first", []*connect.Session{s2, s1}, second2(f.s.Sessions(f.ctx, scopeOf(c), m.ID)))
	touched := *s1
	touched.SeenAt = f.at(10)
	must(t, f.s.TouchSession(f.ctx, scopeOf(c), &touched))
	same(t, "sessions after a touch", []*connect.Session{&touched, s2}, second2(f.s.Sessions(f.ctx, scopeOf(c), m.ID)))
	wantCode(t, "TouchSession of no session", f.s.TouchSession(f.ctx, scopeOf(c), f.session(m, 11)), connect.NotFound)

	must(t, f.s.EndSession(f.ctx, scopeOf(c), s2.ID))
	wantCode(t, "an ended session by hash", second(f.s.SessionByTokenHashAnyAccount(f.ctx, s2.TokenHash)), connect.NotFound)
	wantCode(t, "an ended session by id", second(f.s.Session(f.ctx, scopeOf(c), s2.ID)), connect.NotFound)
	wantCode(t, "EndSession again", f.s.EndSession(f.ctx, scopeOf(c), s2.ID), connect.NotFound)

	// A removed member's session comes without a member.
	must(t, f.s.DeleteMember(f.ctx, scopeOf(sibling), other.ID))
	list, err := f.s.Sessions(f.ctx, scopeOf(sibling), other.ID)
	must(t, err)
	if len(list) != 1 {
		t.Fatalf("a removed member has %d sessions, want the 1 made", len(list))
	}
	got, err = f.s.SessionByTokenHashAnyAccount(f.ctx, list[0].TokenHash)
	must(t, err)
	same(t, "the session of a removed member", &connect.SessionMember{Session: list[0], Client: sibling}, got)
	got, err = f.s.Session(f.ctx, scopeOf(sibling), list[0].ID)
	must(t, err)
	same(t, "the session of a removed member by id", &connect.SessionMember{Session: list[0], Client: sibling}, got)
}

// testEndSessions: EndSessions ends a member's sessions but the one kept, and no
// one else's; the sweep removes ended sessions only, at most limit at a time.
func testEndSessions(t *testing.T, f *fixture) {
	c := f.client(f.account())
	m := f.member(c, "Eve Ending", connect.RoleMember)
	mate := f.member(c, "Tom Mate", connect.RoleMember)
	keep, a, b := f.session(m, 1), f.session(m, 2), f.session(m, 3)
	mates := f.session(mate, 4)
	for _, s := range []*connect.Session{keep, a, b, mates} {
		must(t, f.s.CreateSession(f.ctx, scopeOf(c), s))
	}
	n, err := f.s.EndSessions(f.ctx, scopeOf(c), m.ID, keep.ID)
	must(t, err)
	if n != 2 {
		t.Fatalf("EndSessions ended %d sessions, want 2", n)
	}
	same(t, "the member's sessions after EndSessions", []*connect.Session{keep}, second2(f.s.Sessions(f.ctx, scopeOf(c), m.ID)))
	same(t, "a teammate's sessions", []*connect.Session{mates}, second2(f.s.Sessions(f.ctx, scopeOf(c), mate.ID)))
	n, err = f.s.EndSessions(f.ctx, scopeOf(c), m.ID, "")
	must(t, err)
	if n != 1 {
		t.Fatalf("EndSessions with none kept ended %d sessions, want 1", n)
	}

	// Ended: idle (seen long ago) or expired; open: the rest.
	idle1, idle2, expired, open := f.session(m, 10), f.session(m, 11), f.session(m, 12), f.session(m, 13)
	now := f.at(13).Add(time.Hour)
	idle1.SeenAt, idle2.SeenAt = now.Add(-3*time.Hour), now.Add(-2*time.Hour)
	expired.ExpiresAt = now
	for _, s := range []*connect.Session{idle1, idle2, expired, open} {
		must(t, f.s.CreateSession(f.ctx, scopeOf(c), s))
	}
	ended := 0
	for range 10 {
		n, err := f.s.EndExpiredSessionsAnyAccount(f.ctx, now, 1)
		must(t, err)
		if n > 1 {
			t.Fatalf("a sweep of at most 1 removed %d", n)
		}
		if n == 0 {
			break
		}
		ended += n
	}
	if ended < 3 { // other tests' ended sessions may be swept too
		t.Fatalf("the sweep removed %d sessions, want at least 3", ended)
	}
	same(t, "the open session after the sweep", []*connect.Session{open}, second2(f.s.Sessions(f.ctx, scopeOf(c), m.ID)))
	same(t, "a teammate's open session after the sweep", []*connect.Session{mates}, second2(f.s.Sessions(f.ctx, scopeOf(c), mate.ID)))
}

func testSessionsIsolation(t *testing.T, f *fixture) {
	c, _, scopes := f.isolation()
	m := f.member(c, "Vic Victim", connect.RoleMember)
	sess := f.session(m, 1)
	must(t, f.s.CreateSession(f.ctx, scopeOf(c), sess))
	snapshot := func() []any {
		return []any{second2(f.s.SessionByTokenHashAnyAccount(f.ctx, sess.TokenHash)),
			second2(f.s.Sessions(f.ctx, scopeOf(c), m.ID))}
	}
	eachForeign(t, scopes, snapshot, func(t *testing.T, sc connect.Scope) {
		notFound(t, "Session", second(f.s.Session(f.ctx, sc, sess.ID)))
		list, err := f.s.Sessions(f.ctx, sc, m.ID)
		none(t, "Sessions", list, err, func(s *connect.Session) bool { return s.ID == sess.ID })
		mine := *sess
		mine.SeenAt = f.at(50)
		notFound(t, "TouchSession of the session as it is", f.s.TouchSession(f.ctx, sc, &mine))
		moved := *sess
		moved.Account, moved.Client = retenant(sc, c.ID)
		moved.SeenAt = f.at(50)
		notFound(t, "TouchSession of the session named in the foreign tenant", f.s.TouchSession(f.ctx, sc, &moved))
		notFound(t, "EndSession", f.s.EndSession(f.ctx, sc, sess.ID))
		n, err := f.s.EndSessions(f.ctx, sc, m.ID, "")
		must(t, err)
		if n != 0 {
			t.Fatalf("EndSessions from a foreign scope ended %d sessions", n)
		}
		planted := f.session(m, 2)
		notFound(t, "CreateSession for the member", f.s.CreateSession(f.ctx, sc, planted))
		notFound(t, "the planted session", second(f.s.SessionByTokenHashAnyAccount(f.ctx, planted.TokenHash)))
		moved = *f.session(m, 3)
		moved.Account, moved.Client = retenant(sc, c.ID)
		notFound(t, "CreateSession for the member named in the foreign tenant", f.s.CreateSession(f.ctx, sc, &moved))
	})
}
