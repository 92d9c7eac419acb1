package storagetest

import (
	"sync"
	"testing"
	"time"

	"github.com/dispatchkit/connect"
)

// RunPasswordResets runs the tests of connect.PasswordResetStore.
func RunPasswordResets(t *testing.T, open func(t *testing.T) connect.Store) {
	run(t, open, []test{
		{"PasswordResetsRoundTripAndAreUsedOnce", testPasswordResets},
		{"TwoUsesOfOneResetOneWins", testPasswordResetRace},
		{"PasswordResetsStayInTheirTenant", testPasswordResetsIsolation},
	})
}

// passwordReset returns (without storing) a reset of the member, created at f.at(n).
func (f *fixture) passwordReset(m *connect.Member, n int) *connect.PasswordReset {
	return &connect.PasswordReset{ID: connect.PasswordResetID(f.id("pr")), Account: m.Account, Client: m.Client,
		Member: m.ID, TokenHash: randomHash(), CreatedAt: f.at(n), ExpiresAt: f.at(n).Add(30 * time.Minute)}
}

// testPasswordResets: a reset round-trips, is found by its hash in any account,
// is made only for a member of its client, is used once and only before it
// expires; the sweep removes expired ones only.
func testPasswordResets(t *testing.T, f *fixture) {
	c := f.client(f.account())
	sibling := f.client(c.Account)
	m := f.member(c, "Rae Reset", connect.RoleMember)
	other := f.member(sibling, "Olga Other", connect.RoleMember)
	r := f.passwordReset(m, 1)
	must(t, f.s.CreatePasswordReset(f.ctx, scopeOf(c), r))
	same(t, "reset by hash", r, second2(f.s.PasswordResetByTokenHashAnyAccount(f.ctx, r.TokenHash)))
	dup := f.passwordReset(m, 2)
	dup.TokenHash = r.TokenHash
	wantCode(t, "CreatePasswordReset with a hash in use", f.s.CreatePasswordReset(f.ctx, scopeOf(c), dup), connect.Conflict)
	stray := f.passwordReset(other, 3)
	stray.Client = c.ID
	wantCode(t, "CreatePasswordReset for a member of another client", f.s.CreatePasswordReset(f.ctx, scopeOf(c), stray), connect.NotFound)
	wantCode(t, "PasswordResetByTokenHashAnyAccount of an unknown hash",
		second(f.s.PasswordResetByTokenHashAnyAccount(f.ctx, randomHash())), connect.NotFound)

	used, err := f.s.UsePasswordResetAnyAccount(f.ctx, r.TokenHash, f.at(10))
	must(t, err)
	want := *r
	want.UsedAt = f.at(10)
	same(t, "the reset as used", &want, used)
	same(t, "the used reset by hash", &want, second2(f.s.PasswordResetByTokenHashAnyAccount(f.ctx, r.TokenHash)))
	wantCode(t, "a second use", second(f.s.UsePasswordResetAnyAccount(f.ctx, r.TokenHash, f.at(11))), connect.Conflict)
	wantCode(t, "the use of an unknown hash", second(f.s.UsePasswordResetAnyAccount(f.ctx, randomHash(), f.at(11))), connect.NotFound)

	late := f.passwordReset(m, 20)
	must(t, f.s.CreatePasswordReset(f.ctx, scopeOf(c), late))
	wantCode(t, "a use at its expiry", second(f.s.UsePasswordResetAnyAccount(f.ctx, late.TokenHash, late.ExpiresAt)), connect.Conflict)
	fresh := f.passwordReset(m, 3000)
	must(t, f.s.CreatePasswordReset(f.ctx, scopeOf(c), fresh))
	removed := 0
	for range 10 {
		n, err := f.s.EndExpiredPasswordResetsAnyAccount(f.ctx, late.ExpiresAt, 1)
		must(t, err)
		if n > 1 {
			t.Fatalf("a sweep of at most 1 removed %d", n)
		}
		if n == 0 {
			break
		}
		removed += n
	}
	if removed < 2 {
		t.Fatalf("the sweep removed %d resets, want at least the 2 expired", removed)
	}
	wantCode(t, "an expired reset after the sweep", second(f.s.PasswordResetByTokenHashAnyAccount(f.ctx, late.TokenHash)), connect.NotFound)
	same(t, "an unexpired reset after the sweep", fresh, second2(f.s.PasswordResetByTokenHashAnyAccount(f.ctx, fresh.TokenHash)))
}

// testPasswordResetRace: of many uses of one reset at once, one wins.
func testPasswordResetRace(t *testing.T, f *fixture) {
	c := f.client(f.account())
	m := f.member(c, "Rae Race", connect.RoleMember)
	r := f.passwordReset(m, 1)
	must(t, f.s.CreatePasswordReset(f.ctx, scopeOf(c), r))
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Go(func() { _, errs[i] = f.s.UsePasswordResetAnyAccount(f.ctx, r.TokenHash, f.at(2)) })
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		if err == nil {
			won++
			continue
		}
		wantCode(t, "a losing use", err, connect.Conflict)
	}
	if won != 1 {
		t.Fatalf("%d uses of one reset won, want 1", won)
	}
}

func testPasswordResetsIsolation(t *testing.T, f *fixture) {
	c, _, scopes := f.isolation()
	m := f.member(c, "Vic Victim", connect.RoleMember)
	r := f.passwordReset(m, 1)
	must(t, f.s.CreatePasswordReset(f.ctx, scopeOf(c), r))
	snapshot := func() []any { return []any{second2(f.s.PasswordResetByTokenHashAnyAccount(f.ctx, r.TokenHash))} }
	eachForeign(t, scopes, snapshot, func(t *testing.T, sc connect.Scope) {
		planted := f.passwordReset(m, 2)
		notFound(t, "CreatePasswordReset for the member", f.s.CreatePasswordReset(f.ctx, sc, planted))
		notFound(t, "the planted reset", second(f.s.PasswordResetByTokenHashAnyAccount(f.ctx, planted.TokenHash)))
		moved := f.passwordReset(m, 3)
		moved.Account, moved.Client = retenant(sc, c.ID)
		notFound(t, "CreatePasswordReset for the member named in the foreign tenant", f.s.CreatePasswordReset(f.ctx, sc, moved))
		notFound(t, "the reset named in the foreign tenant", second(f.s.PasswordResetByTokenHashAnyAccount(f.ctx, moved.TokenHash)))
	})
}
