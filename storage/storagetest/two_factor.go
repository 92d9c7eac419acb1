package storagetest

import (
	"testing"

	"github.com/dispatchkit/connect"
)

// RunTwoFactor runs the tests of connect.TwoFactorStore.
func RunTwoFactor(t *testing.T, open func(t *testing.T) connect.Store) {
	run(t, open, []test{
		{"TwoFactorIsConfirmedOnceAndItsCodesWorkOnce", testTwoFactor},
		{"TwoFactorStaysInItsTenant", testTwoFactorIsolation},
	})
}

// twoFactor returns (without storing) a pending enrollment of the member.
func (f *fixture) twoFactor(m *connect.Member, n int) *connect.TwoFactor {
	return &connect.TwoFactor{Account: m.Account, Client: m.Client, Member: m.ID, Secret: randomHash()[:20], CreatedAt: f.at(n)}
}

// testTwoFactor: a pending enrollment round-trips and is replaced by a new one;
// confirming it is a compare-and-set on the step, stores the recovery codes, and
// then it is no longer replaced; a step and a recovery code are each used once;
// deleting removes it and its codes; nothing is made for a member of another client.
func testTwoFactor(t *testing.T, f *fixture) {
	c := f.client(f.account())
	sibling := f.client(c.Account)
	m := f.member(c, "Tess Totp", connect.RoleMember)
	other := f.member(sibling, "Otto Other", connect.RoleMember)
	wantCode(t, "TwoFactor of a member without", second(f.s.TwoFactor(f.ctx, scopeOf(c), m.ID)), connect.NotFound)

	first := f.twoFactor(m, 1)
	must(t, f.s.SetTwoFactor(f.ctx, scopeOf(c), first))
	same(t, "the pending enrollment", first, second2(f.s.TwoFactor(f.ctx, scopeOf(c), m.ID)))
	tf := f.twoFactor(m, 2)
	must(t, f.s.SetTwoFactor(f.ctx, scopeOf(c), tf))
	same(t, "the enrollment that replaced a pending one", tf, second2(f.s.TwoFactor(f.ctx, scopeOf(c), m.ID)))
	stray := f.twoFactor(other, 3)
	stray.Client = c.ID // a member of the sibling named in c
	wantCode(t, "SetTwoFactor for a member of another client", f.s.SetTwoFactor(f.ctx, scopeOf(c), stray), connect.NotFound)
	wantCode(t, "UseTwoFactorStep of a pending enrollment", f.s.UseTwoFactorStep(f.ctx, scopeOf(c), m.ID, 5), connect.NotFound)

	sess := f.session(m, 2)
	must(t, f.s.CreateSession(f.ctx, scopeOf(c), sess))
	if sm, err := f.s.SessionByTokenHashAnyAccount(f.ctx, sess.TokenHash); err != nil || sm.TwoFactor {
		t.Fatalf("the session of a member with a pending enrollment: %+v, %v; want TwoFactor false", sm, err)
	}
	r1, r2 := randomHash(), randomHash()
	must(t, f.s.ConfirmTwoFactor(f.ctx, scopeOf(c), m.ID, 100, f.at(3), [][]byte{r1, r2}))
	wantCode(t, "ConfirmTwoFactor again", f.s.ConfirmTwoFactor(f.ctx, scopeOf(c), m.ID, 101, f.at(3), nil), connect.Conflict)
	wantCode(t, "ConfirmTwoFactor of no enrollment", f.s.ConfirmTwoFactor(f.ctx, scopeOf(sibling), other.ID, 101, f.at(3), nil), connect.NotFound)
	want := *tf
	want.ConfirmedAt, want.LastStep, want.RecoveryLeft = f.at(3), 100, 2
	same(t, "the confirmed enrollment", &want, second2(f.s.TwoFactor(f.ctx, scopeOf(c), m.ID)))
	for _, read := range []func() (*connect.SessionMember, error){
		func() (*connect.SessionMember, error) { return f.s.SessionByTokenHashAnyAccount(f.ctx, sess.TokenHash) },
		func() (*connect.SessionMember, error) { return f.s.Session(f.ctx, scopeOf(c), sess.ID) },
	} {
		if sm, err := read(); err != nil || !sm.TwoFactor {
			t.Fatalf("the session of a member with a confirmed enrollment: %+v, %v; want TwoFactor", sm, err)
		}
	}
	wantCode(t, "SetTwoFactor over a confirmed one", f.s.SetTwoFactor(f.ctx, scopeOf(c), f.twoFactor(m, 4)), connect.Conflict)

	wantCode(t, "UseTwoFactorStep of the confirming step", f.s.UseTwoFactorStep(f.ctx, scopeOf(c), m.ID, 100), connect.Conflict)
	must(t, f.s.UseTwoFactorStep(f.ctx, scopeOf(c), m.ID, 101))
	wantCode(t, "UseTwoFactorStep replayed", f.s.UseTwoFactorStep(f.ctx, scopeOf(c), m.ID, 101), connect.Conflict)
	wantCode(t, "UseTwoFactorStep of an earlier step", f.s.UseTwoFactorStep(f.ctx, scopeOf(c), m.ID, 99), connect.Conflict)
	wantCode(t, "UseTwoFactorStep of no enrollment", f.s.UseTwoFactorStep(f.ctx, scopeOf(sibling), other.ID, 200), connect.NotFound)

	must(t, f.s.UseRecoveryCode(f.ctx, scopeOf(c), m.ID, r1, f.at(5)))
	wantCode(t, "UseRecoveryCode twice", f.s.UseRecoveryCode(f.ctx, scopeOf(c), m.ID, r1, f.at(6)), connect.Conflict)
	wantCode(t, "UseRecoveryCode of an unknown code", f.s.UseRecoveryCode(f.ctx, scopeOf(c), m.ID, randomHash(), f.at(6)), connect.NotFound)
	wantCode(t, "UseRecoveryCode of another member", f.s.UseRecoveryCode(f.ctx, scopeOf(sibling), other.ID, r2, f.at(6)), connect.NotFound)
	got, err := f.s.TwoFactor(f.ctx, scopeOf(c), m.ID)
	must(t, err)
	if got.LastStep != 101 || got.RecoveryLeft != 1 {
		t.Fatalf("after one step and one recovery code: last step %d, %d codes left; want 101, 1", got.LastStep, got.RecoveryLeft)
	}

	must(t, f.s.DeleteTwoFactor(f.ctx, scopeOf(c), m.ID))
	wantCode(t, "TwoFactor after DeleteTwoFactor", second(f.s.TwoFactor(f.ctx, scopeOf(c), m.ID)), connect.NotFound)
	wantCode(t, "DeleteTwoFactor again", f.s.DeleteTwoFactor(f.ctx, scopeOf(c), m.ID), connect.NotFound)
	wantCode(t, "a recovery code after DeleteTwoFactor", f.s.UseRecoveryCode(f.ctx, scopeOf(c), m.ID, r2, f.at(7)), connect.NotFound)
	// Enrolling again starts afresh.
	must(t, f.s.SetTwoFactor(f.ctx, scopeOf(c), f.twoFactor(m, 8)))

	// A removed member's enrollment and recovery codes go with it.
	r3 := randomHash()
	must(t, f.s.SetTwoFactor(f.ctx, scopeOf(sibling), f.twoFactor(other, 9)))
	must(t, f.s.ConfirmTwoFactor(f.ctx, scopeOf(sibling), other.ID, 1, f.at(9), [][]byte{r3}))
	must(t, f.s.DeleteMember(f.ctx, scopeOf(sibling), other.ID))
	wantCode(t, "TwoFactor of a removed member", second(f.s.TwoFactor(f.ctx, scopeOf(sibling), other.ID)), connect.NotFound)
	wantCode(t, "a recovery code of a removed member", f.s.UseRecoveryCode(f.ctx, scopeOf(sibling), other.ID, r3, f.at(10)), connect.NotFound)
}

func testTwoFactorIsolation(t *testing.T, f *fixture) {
	c, _, scopes := f.isolation()
	m := f.member(c, "Vera Victim", connect.RoleMember)
	pending := f.member(c, "Pia Pending", connect.RoleMember)
	code := randomHash()
	must(t, f.s.SetTwoFactor(f.ctx, scopeOf(c), f.twoFactor(m, 1)))
	must(t, f.s.ConfirmTwoFactor(f.ctx, scopeOf(c), m.ID, 10, f.at(2), [][]byte{code}))
	must(t, f.s.SetTwoFactor(f.ctx, scopeOf(c), f.twoFactor(pending, 3)))
	snapshot := func() []any {
		return []any{second2(f.s.TwoFactor(f.ctx, scopeOf(c), m.ID)), second2(f.s.TwoFactor(f.ctx, scopeOf(c), pending.ID))}
	}
	eachForeign(t, scopes, snapshot, func(t *testing.T, sc connect.Scope) {
		notFound(t, "TwoFactor", second(f.s.TwoFactor(f.ctx, sc, m.ID)))
		notFound(t, "UseTwoFactorStep", f.s.UseTwoFactorStep(f.ctx, sc, m.ID, 20))
		notFound(t, "UseRecoveryCode", f.s.UseRecoveryCode(f.ctx, sc, m.ID, code, f.at(4)))
		notFound(t, "ConfirmTwoFactor of a pending one", f.s.ConfirmTwoFactor(f.ctx, sc, pending.ID, 20, f.at(4), [][]byte{randomHash()}))
		notFound(t, "DeleteTwoFactor", f.s.DeleteTwoFactor(f.ctx, sc, m.ID))
		notFound(t, "DeleteTwoFactor of a pending one", f.s.DeleteTwoFactor(f.ctx, sc, pending.ID))
		planted := f.twoFactor(pending, 5)
		notFound(t, "SetTwoFactor for the member", f.s.SetTwoFactor(f.ctx, sc, planted))
		moved := f.twoFactor(pending, 6)
		moved.Account, moved.Client = retenant(sc, c.ID)
		notFound(t, "SetTwoFactor for the member named in the foreign tenant", f.s.SetTwoFactor(f.ctx, sc, moved))
	})
}
