package connect_test

import (
	"bytes"
	"encoding/base32"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/connecttest"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// totpAt is the code an authenticator app shows for secret at t: computed by
// pquerna/otp, not by the code under test.
func totpAt(t testing.TB, secret string, at time.Time) string {
	t.Helper()
	code, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// enrollTwoFactor turns two-factor sign-in on for a, and returns its secret and
// recovery codes (the first error as is, for the role matrix).
func (w *world) enrollTwoFactor(a connect.Actor) (string, []string, error) {
	en, err := w.svc.BeginTwoFactor(w.ctx, a)
	if err != nil {
		return "", nil, err
	}
	codes, err := w.svc.ConfirmTwoFactor(w.ctx, a, totpAt(w.t, en.Secret, w.Clock.Now()))
	return en.Secret, codes, err
}

func TestAMemberEnrollsInTwoFactorSignIn(t *testing.T) {
	w := newWorld(t)
	st, err := w.svc.TwoFactorStatus(w.ctx, w.owner)
	if err != nil || st.Enabled || st.Pending {
		t.Fatalf("status before enrolling: %+v, %v", st, err)
	}
	en, err := w.svc.BeginTwoFactor(w.ctx, w.owner)
	if err != nil {
		t.Fatal(err)
	}
	// The URL is what pquerna/otp (and every app) reads.
	key, err := otp.NewKeyFromURL(en.URL)
	if err != nil || key.Secret() != en.Secret || key.Period() != 30 || key.Digits() != otp.DigitsSix || key.Issuer() != "Delivery portal" {
		t.Fatalf("otpauth URL %q: %+v, %v", en.URL, key, err)
	}
	if !strings.Contains(key.AccountName(), "@") {
		t.Fatalf("the URL names account %q, want the member's email", key.AccountName())
	}
	if st, _ := w.svc.TwoFactorStatus(w.ctx, w.owner); !st.Pending || st.Enabled {
		t.Fatalf("status while pending: %+v", st)
	}
	// A pending enrollment asks nothing at sign-in; begun again, the first secret is gone.
	again, err := w.svc.BeginTwoFactor(w.ctx, w.owner)
	if err != nil || again.Secret == en.Secret {
		t.Fatalf("beginning again: %+v, %v", again, err)
	}
	_, err = w.svc.ConfirmTwoFactor(w.ctx, w.owner, totpAt(t, en.Secret, w.Clock.Now()))
	connecttest.WantCode(t, err, connect.Forbidden, "not right")
	_, err = w.svc.ConfirmTwoFactor(w.ctx, w.owner, "12345")
	connecttest.WantCode(t, err, connect.Forbidden)
	codes, err := w.svc.ConfirmTwoFactor(w.ctx, w.owner, totpAt(t, again.Secret, w.Clock.Now()))
	if err != nil {
		t.Fatal(err)
	}
	if len(codes) != connect.RecoveryCodes || len(slices.Compact(slices.Sorted(slices.Values(codes)))) != len(codes) {
		t.Fatalf("recovery codes %v: want %d different ones", codes, connect.RecoveryCodes)
	}
	if st, _ := w.svc.TwoFactorStatus(w.ctx, w.owner); !st.Enabled || st.RecoveryLeft != connect.RecoveryCodes {
		t.Fatalf("status once confirmed: %+v", st)
	}
	_, err = w.svc.BeginTwoFactor(w.ctx, w.owner)
	connecttest.WantCode(t, err, connect.Conflict)
	_, err = w.svc.ConfirmTwoFactor(w.ctx, w.owner, totpAt(t, again.Secret, w.Clock.Now()))
	connecttest.WantCode(t, err, connect.Conflict)
}

func TestATwoFactorCodeWorksOnceWithinItsSkew(t *testing.T) {
	w := newWorld(t)
	secret, _, err := w.enrollTwoFactor(w.owner)
	if err != nil {
		t.Fatal(err)
	}
	// The confirming code is used: it does not sign in.
	connecttest.WantCode(t, w.svc.VerifyTwoFactor(w.ctx, w.owner, totpAt(t, secret, w.Clock.Now())), connect.Forbidden)
	w.advance(30 * time.Second)
	now := w.Clock.Now()
	code := totpAt(t, secret, now)
	connecttest.WantCode(t, w.svc.VerifyTwoFactor(w.ctx, w.owner, wrong(code)), connect.Forbidden, "not right")
	if err := w.svc.VerifyTwoFactor(w.ctx, w.owner, code); err != nil {
		t.Fatalf("the current code: %v", err)
	}
	connecttest.WantCode(t, w.svc.VerifyTwoFactor(w.ctx, w.owner, code), connect.Forbidden, "not right")

	// One step of drift either way is accepted; two are not.
	w.advance(90 * time.Second)
	if err := w.svc.VerifyTwoFactor(w.ctx, w.owner, totpAt(t, secret, w.Clock.Now().Add(-30*time.Second))); err != nil {
		t.Fatalf("the code of the step before: %v", err)
	}
	w.advance(90 * time.Second)
	if err := w.svc.VerifyTwoFactor(w.ctx, w.owner, totpAt(t, secret, w.Clock.Now().Add(30*time.Second))); err != nil {
		t.Fatalf("the code of the step after: %v", err)
	}
	// A code of now is older than the one just used: refused (no going back).
	connecttest.WantCode(t, w.svc.VerifyTwoFactor(w.ctx, w.owner, totpAt(t, secret, w.Clock.Now())), connect.Forbidden)
	w.advance(5 * time.Minute)
	for _, d := range []time.Duration{-60 * time.Second, 60 * time.Second} {
		connecttest.WantCode(t, w.svc.VerifyTwoFactor(w.ctx, w.owner, totpAt(t, secret, w.Clock.Now().Add(d))), connect.Forbidden)
	}
	// A teammate without two-factor sign-in verifies nothing.
	connecttest.WantCode(t, w.svc.VerifyTwoFactor(w.ctx, w.join(w.owner, "mate@example.com", connect.RoleMember), "000000"), connect.Forbidden)
}

// wrong returns another code of the same length.
func wrong(code string) string {
	b := []byte(code)
	b[0] = '0' + (b[0]-'0'+1)%10
	return string(b)
}

func TestARecoveryCodeWorksOnce(t *testing.T) {
	w := newWorld(t)
	_, codes, err := w.enrollTwoFactor(w.owner)
	if err != nil {
		t.Fatal(err)
	}
	// Typed in capitals, without its dashes: the same code.
	if err := w.svc.VerifyTwoFactor(w.ctx, w.owner, strings.ToUpper(strings.ReplaceAll(codes[0], "-", ""))); err != nil {
		t.Fatalf("a recovery code: %v", err)
	}
	connecttest.WantCode(t, w.svc.VerifyTwoFactor(w.ctx, w.owner, codes[0]), connect.Forbidden, "not right")
	if st, _ := w.svc.TwoFactorStatus(w.ctx, w.owner); st.RecoveryLeft != connect.RecoveryCodes-1 {
		t.Fatalf("%d recovery codes left, want %d", st.RecoveryLeft, connect.RecoveryCodes-1)
	}
	// Another member's code is not this member's.
	mate := w.join(w.owner, "mate@example.com", connect.RoleMember)
	_, mates, err := w.enrollTwoFactor(mate)
	if err != nil {
		t.Fatal(err)
	}
	connecttest.WantCode(t, w.svc.VerifyTwoFactor(w.ctx, w.owner, mates[0]), connect.Forbidden)
	if err := w.svc.VerifyTwoFactor(w.ctx, mate, mates[0]); err != nil {
		t.Fatal(err)
	}
}

func TestTwoFactorIsDisabledWithACodeOrThePassword(t *testing.T) {
	w := newWorld(t)
	if err := w.svc.ChangePassword(w.ctx, w.owner, "", connecttest.Password); err != nil {
		t.Fatal(err)
	}
	_, codes, err := w.enrollTwoFactor(w.owner)
	if err != nil {
		t.Fatal(err)
	}
	connecttest.WantCode(t, w.svc.DisableTwoFactor(w.ctx, w.owner, "not the password"), connect.Forbidden)
	connecttest.WantCode(t, w.svc.DisableTwoFactor(w.ctx, w.owner, ""), connect.Forbidden)
	if st, _ := w.svc.TwoFactorStatus(w.ctx, w.owner); !st.Enabled {
		t.Fatal("a refused disable turned two-factor sign-in off")
	}
	if err := w.svc.DisableTwoFactor(w.ctx, w.owner, connecttest.Password); err != nil {
		t.Fatalf("disabling with the password: %v", err)
	}
	connecttest.WantCode(t, w.svc.VerifyTwoFactor(w.ctx, w.owner, codes[1]), connect.Forbidden)
	connecttest.WantCode(t, w.svc.DisableTwoFactor(w.ctx, w.owner, connecttest.Password), connect.NotFound)

	w.advance(time.Minute)
	secret, _, err := w.enrollTwoFactor(w.owner)
	if err != nil {
		t.Fatal(err)
	}
	w.advance(30 * time.Second)
	if err := w.svc.DisableTwoFactor(w.ctx, w.owner, totpAt(t, secret, w.Clock.Now())); err != nil {
		t.Fatalf("disabling with a code: %v", err)
	}
}

func TestSignInAsksForTheSecondStep(t *testing.T) {
	w := newWorld(t)
	if err := w.svc.ChangePassword(w.ctx, w.owner, "", connecttest.Password); err != nil {
		t.Fatal(err)
	}
	_, me, err := w.svc.Membership(w.ctx, w.owner)
	if err != nil {
		t.Fatal(err)
	}
	step := func() connect.SecondStep {
		t.Helper()
		ms, err := w.svc.SignIn(w.ctx, me.Email, connecttest.Password)
		if err != nil || len(ms) != 1 {
			t.Fatalf("sign-in: %v, %v", ms, err)
		}
		return ms[0].SecondStep
	}
	if s := step(); s != connect.SecondStepNone {
		t.Fatalf("without two-factor: second step %q", s)
	}
	sess, err := w.svc.StartSession(w.ctx, w.owner, connect.StartSessionParams{})
	if err != nil {
		t.Fatal(err)
	}
	// A session's every request says it too (the one read of the session).
	opened := func() connect.SecondStep {
		t.Helper()
		m, err := w.svc.OpenSession(w.ctx, sess.Token, nil)
		if err != nil {
			t.Fatal(err)
		}
		return m.SecondStep
	}
	settings := w.client.Settings
	settings.RequireTwoFactor = true
	if _, err := w.svc.UpdateClient(w.ctx, w.disp, w.client.ID, connect.ClientChanges{Settings: &settings}); err != nil {
		t.Fatal(err)
	}
	if s := step(); s != connect.SecondStepEnroll {
		t.Fatalf("required by the dispatcher: second step %q, want enroll", s)
	}
	if s := opened(); s != connect.SecondStepEnroll {
		t.Fatalf("a session opened once the dispatcher requires two-factor: second step %q, want enroll", s)
	}
	if _, _, err := w.enrollTwoFactor(w.owner); err != nil {
		t.Fatal(err)
	}
	if s := step(); s != connect.SecondStepCode {
		t.Fatalf("enrolled: second step %q, want code", s)
	}
	if s := opened(); s != connect.SecondStepNone {
		t.Fatalf("a session of an enrolled member: second step %q, want none", s)
	}
}

func TestTwoFactorSecretsAreSealedWithTheKey(t *testing.T) {
	key := []byte(strings.Repeat("k", 32))
	w := newWorldWith(t, func(c *connect.Config) { c.TwoFactorKey = key })
	secret, codes, err := w.enrollTwoFactor(w.owner)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
	if err != nil {
		t.Fatal(err)
	}
	tf, err := w.store.TwoFactor(w.ctx, connect.Scope{Account: w.acct, Client: w.client.ID}, w.owner.Member)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(tf.Secret, raw) || len(tf.Secret) <= len(raw) {
		t.Fatalf("the Store keeps the secret as it is: %x", tf.Secret)
	}
	w.advance(30 * time.Second)
	if err := w.svc.VerifyTwoFactor(w.ctx, w.owner, totpAt(t, secret, w.Clock.Now())); err != nil {
		t.Fatalf("a code of the sealed secret: %v", err)
	}
	// Another key opens nothing (and says why); a recovery code needs no secret,
	// but the code is checked first.
	other, err := connect.New(connect.Config{Store: w.store, Now: w.Clock.Now, TwoFactorKey: []byte(strings.Repeat("o", 32))})
	if err != nil {
		t.Fatal(err)
	}
	connecttest.WantCode(t, other.VerifyTwoFactor(w.ctx, w.owner, codes[0]), connect.Internal, "TwoFactorKey")
	_, err = connect.New(connect.Config{Store: w.store, TwoFactorKey: []byte("short")})
	connecttest.WantCode(t, err, connect.Invalid, "32 bytes")
}

func TestTheOwnerOrTheDispatcherResetsAMembersTwoFactorAndEndsTheirSessions(t *testing.T) {
	w := newWorld(t)
	admin := w.join(w.owner, "admin@example.com", connect.RoleAdmin)
	sam := w.join(w.owner, "sam@example.com", connect.RoleMember)
	other, otherOwner := w.signUpClient(w.disp, "Berry Farm", connect.ClientSettings{})
	foreignDisp := w.DispatcherOf("another-account")
	for name, reset := range map[string]connect.Actor{"the owner": w.owner, "the dispatcher": w.disp} {
		t.Run(name, func(t *testing.T) {
			if _, _, err := w.enrollTwoFactor(sam); err != nil {
				t.Fatal(err)
			}
			sess, err := w.svc.StartSession(w.ctx, sam, connect.StartSessionParams{})
			if err != nil {
				t.Fatal(err)
			}
			// Refused: an admin, the owner of another client, another account's
			// dispatcher, and the owner for themselves.
			_, err = w.svc.ResetMemberTwoFactor(w.ctx, admin, "", sam.Member)
			wantCode(t, err, connect.Forbidden)
			_, err = w.svc.ResetMemberTwoFactor(w.ctx, otherOwner, w.client.ID, sam.Member)
			wantCode(t, err, connect.NotFound)
			_, err = w.svc.ResetMemberTwoFactor(w.ctx, otherOwner, other.ID, sam.Member)
			wantCode(t, err, connect.NotFound)
			_, err = w.svc.ResetMemberTwoFactor(w.ctx, foreignDisp, w.client.ID, sam.Member)
			wantCode(t, err, connect.NotFound)
			_, err = w.svc.ResetMemberTwoFactor(w.ctx, w.owner, "", w.owner.Member)
			wantCode(t, err, connect.Forbidden)
			if st, err := w.svc.TwoFactorStatus(w.ctx, sam); err != nil || !st.Enabled {
				t.Fatalf("after the refusals: %+v, %v", st, err)
			}
			if _, err := w.svc.OpenSession(w.ctx, sess.Token, nil); err != nil {
				t.Fatalf("the session after the refusals: %v", err)
			}

			done, err := w.svc.ResetMemberTwoFactor(w.ctx, reset, w.client.ID, sam.Member)
			if err != nil || !done {
				t.Fatalf("reset: %v, %v", done, err)
			}
			if st, err := w.svc.TwoFactorStatus(w.ctx, sam); err != nil || st.Enabled || st.Pending || st.RecoveryLeft != 0 {
				t.Fatalf("after the reset: %+v, %v", st, err)
			}
			_, err = w.svc.OpenSession(w.ctx, sess.Token, nil)
			wantCode(t, err, connect.Forbidden)
			// Again: nothing to reset.
			if done, err := w.svc.ResetMemberTwoFactor(w.ctx, reset, w.client.ID, sam.Member); err != nil || done {
				t.Fatalf("a second reset: %v, %v", done, err)
			}
		})
	}
}
