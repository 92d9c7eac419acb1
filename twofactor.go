package connect

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// TwoFactor is a member's TOTP enrollment (RFC 6238: HMAC-SHA1, 6 digits, a
// 30-second step). It is pending until a code confirms it; then every sign-in
// of the member asks for a code after the password. The Store keeps the shared
// secret; the Service shows it once, while enrolling, and never returns it again.
type TwoFactor struct {
	Account AccountID
	Client  ClientID
	Member  MemberID
	Secret  []byte // the shared key: TwoFactorSecretBytes random bytes
	// ConfirmedAt is when a code confirmed the enrollment; zero while pending.
	ConfirmedAt time.Time
	// LastStep is the last 30-second step (Unix time / 30) a code was accepted
	// for: a code of that step or an earlier one is refused, so a code works once.
	LastStep  int64
	CreatedAt time.Time
	// RecoveryLeft is how many recovery codes are still unused (read only).
	RecoveryLeft int
}

// Enabled reports whether a code confirmed the enrollment.
func (t *TwoFactor) Enabled() bool { return !t.ConfirmedAt.IsZero() }

// The TOTP parameters every authenticator app understands (RFC 6238's defaults).
const (
	TwoFactorPeriod      = 30 * time.Second
	TwoFactorDigits      = 6
	TwoFactorSecretBytes = 20 // 160 bits, RFC 4226's advice
	// TwoFactorSkew is how many steps before and after now a code may be of
	// (clocks of phones drift).
	TwoFactorSkew = 1
	// RecoveryCodes is how many one-time recovery codes a confirmed enrollment gets.
	RecoveryCodes = 10
)

// TwoFactorEnrollment is a pending enrollment to show once: the secret as text
// (typed into an app) and as an otpauth:// URL (what a QR code carries).
type TwoFactorEnrollment struct {
	Secret string // base32, without padding
	URL    string // otpauth://totp/...
}

// TwoFactorStatus is what the account page says of a member's two-factor sign-in.
type TwoFactorStatus struct {
	Enabled      bool
	Pending      bool // an enrollment waits for its first code
	RecoveryLeft int  // unused recovery codes
	Required     bool // the dispatcher requires it of the client's team
}

// SecondStep is what a sign-in asks for after a right password.
type SecondStep string

// The second steps of a sign-in.
const (
	SecondStepNone   SecondStep = ""       // the password is enough: start the session
	SecondStepCode   SecondStep = "code"   // a TOTP or recovery code (VerifyTwoFactor)
	SecondStepEnroll SecondStep = "enroll" // the client requires two-factor: enroll first
)

// errTwoFactorCode is the answer for a code that is not right, whatever the reason
// (wrong, too old, used already).
func errTwoFactorCode() error {
	return Errorf(Forbidden, "the code is not right; use the current code of your authenticator app, or a recovery code")
}

var base32NoPad = base32.StdEncoding.WithPadding(base32.NoPadding)

// totpCode is the code of a secret at a step (RFC 4226 section 5.3).
func totpCode(secret []byte, step int64) string {
	mac := hmac.New(sha1.New, secret)
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(step))
	mac.Write(msg[:])
	sum := mac.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	v := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	return fmt.Sprintf("%06d", v%1_000_000)
}

// totpStep is the step of a time.
func totpStep(t time.Time) int64 { return t.Unix() / int64(TwoFactorPeriod/time.Second) }

// matchTOTP returns the step, within the skew of now and after last, whose code
// is code; ok is false when none is.
func matchTOTP(secret []byte, code string, now time.Time, last int64) (step int64, ok bool) {
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	if len(code) != TwoFactorDigits {
		return 0, false
	}
	cur := totpStep(now)
	for s := cur - TwoFactorSkew; s <= cur+TwoFactorSkew; s++ {
		if s > last && subtle.ConstantTimeCompare([]byte(totpCode(secret, s)), []byte(code)) == 1 {
			return s, true
		}
	}
	return 0, false
}

// ownTwoFactor checks that the actor is a member (with or without a session: the
// sign-in's second step has none yet), who manages their own two-factor sign-in.
func (s *Service) ownTwoFactor(ctx context.Context, a Actor) (caller, error) {
	c, err := s.authorize(ctx, a, actViewTeam)
	if err != nil {
		return caller{}, err
	}
	if c.Kind != ActorMember {
		return caller{}, Errorf(Forbidden, "only team members sign in with two factors")
	}
	return c, nil
}

// TwoFactorStatus says whether the member signs in with two factors, for the
// account page. Errors: ErrForbidden.
func (s *Service) TwoFactorStatus(ctx context.Context, a Actor) (*TwoFactorStatus, error) {
	c, err := s.ownTwoFactor(ctx, a)
	if err != nil {
		return nil, err
	}
	st := &TwoFactorStatus{Required: c.client.Settings.RequireTwoFactor}
	tf, err := s.store.TwoFactor(ctx, c.scope(), c.Member)
	if errors.Is(err, ErrNotFound) {
		return st, nil
	} else if err != nil {
		return nil, err
	}
	st.Enabled, st.Pending, st.RecoveryLeft = tf.Enabled(), !tf.Enabled(), tf.RecoveryLeft
	return st, nil
}

// BeginTwoFactor starts the member's enrollment: a new secret, kept pending until
// ConfirmTwoFactor (beginning again replaces a pending one). Errors: ErrConflict
// when two-factor sign-in is already on; ErrForbidden.
func (s *Service) BeginTwoFactor(ctx context.Context, a Actor) (*TwoFactorEnrollment, error) {
	c, err := s.ownTwoFactor(ctx, a)
	if err != nil {
		return nil, err
	}
	secret := make([]byte, TwoFactorSecretBytes)
	if _, err := rand.Read(secret); err != nil {
		return nil, Errorf(Internal, "drawing a two-factor secret: %w", err)
	}
	stored, err := s.sealSecret(c.Member, secret)
	if err != nil {
		return nil, err
	}
	tf := &TwoFactor{Account: c.Account, Client: c.Actor.Client, Member: c.Member, Secret: stored, CreatedAt: s.now()}
	err = s.store.Tx(ctx, func(tx Store) error { return tx.SetTwoFactor(ctx, c.scope(), tf) })
	if errors.Is(err, ErrConflict) {
		return nil, Errorf(Conflict, "two-factor sign-in is already on; turn it off first to enroll another device")
	} else if err != nil {
		return nil, err
	}
	text := base32NoPad.EncodeToString(secret)
	label := url.PathEscape(s.issuer + ":" + c.member.Email)
	q := url.Values{"secret": {text}, "issuer": {s.issuer}, "algorithm": {"SHA1"},
		"digits": {fmt.Sprint(TwoFactorDigits)}, "period": {fmt.Sprint(int(TwoFactorPeriod / time.Second))}}
	return &TwoFactorEnrollment{Secret: text, URL: "otpauth://totp/" + label + "?" + q.Encode()}, nil
}

// ConfirmTwoFactor turns the member's pending enrollment on with a code of its
// secret, and returns RecoveryCodes one-time recovery codes: shown this once, the
// Store keeps only their SHA-256. Errors: ErrForbidden for a code that is not
// right; ErrNotFound when no enrollment is pending; ErrConflict when it is on already.
func (s *Service) ConfirmTwoFactor(ctx context.Context, a Actor, code string) ([]string, error) {
	c, err := s.ownTwoFactor(ctx, a)
	if err != nil {
		return nil, err
	}
	tf, err := s.store.TwoFactor(ctx, c.scope(), c.Member)
	if errors.Is(err, ErrNotFound) {
		return nil, Errorf(NotFound, "no two-factor enrollment is pending; start again")
	} else if err != nil {
		return nil, err
	}
	if tf.Enabled() {
		return nil, Errorf(Conflict, "two-factor sign-in is already on")
	}
	secret, err := s.openSecret(tf)
	if err != nil {
		return nil, err
	}
	step, ok := matchTOTP(secret, code, s.now(), tf.LastStep)
	if !ok {
		return nil, errTwoFactorCode()
	}
	codes := make([]string, RecoveryCodes)
	hashes := make([][]byte, RecoveryCodes)
	for i := range codes {
		if codes[i], err = newRecoveryCode(); err != nil {
			return nil, err
		}
		hashes[i] = hashSecret(normalRecoveryCode(codes[i]))
	}
	err = s.store.Tx(ctx, func(tx Store) error {
		return tx.ConfirmTwoFactor(ctx, c.scope(), c.Member, step, s.now(), hashes)
	})
	if errors.Is(err, ErrConflict) {
		return nil, errTwoFactorCode() // confirmed or replaced meanwhile
	} else if err != nil {
		return nil, err
	}
	return codes, nil
}

// newRecoveryCode returns a random recovery code of 80 bits, in four groups of
// four characters ("k3j9-...").
func newRecoveryCode() (string, error) {
	b := make([]byte, 10)
	if _, err := rand.Read(b); err != nil {
		return "", Errorf(Internal, "drawing a recovery code: %w", err)
	}
	t := strings.ToLower(base32NoPad.EncodeToString(b)) // 16 characters
	return t[0:4] + "-" + t[4:8] + "-" + t[8:12] + "-" + t[12:16], nil
}

// normalRecoveryCode is a recovery code as typed, without case, spaces or dashes.
func normalRecoveryCode(code string) string {
	return strings.Map(func(r rune) rune {
		if r == '-' || r == ' ' {
			return -1
		}
		return r
	}, strings.ToLower(strings.TrimSpace(code)))
}

// VerifyTwoFactor is a sign-in's second step: a code of the member's app (each
// accepted once) or one of their recovery codes (each used once). The actor is
// the member whose password the caller checked; the caller then starts the
// session, and counts a refusal against its sign-in limits.
// Errors: ErrForbidden for a code that is not right, or a member without
// two-factor sign-in.
func (s *Service) VerifyTwoFactor(ctx context.Context, a Actor, code string) error {
	c, err := s.ownTwoFactor(ctx, a)
	if err != nil {
		return err
	}
	return s.checkTwoFactor(ctx, s.store, c, code)
}

// checkTwoFactor accepts a TOTP code (compare-and-set of the last step) or a
// recovery code (compare-and-set of its use) of an enabled enrollment.
func (s *Service) checkTwoFactor(ctx context.Context, st Store, c caller, code string) error {
	if len(code) > 64 {
		return errTwoFactorCode()
	}
	tf, err := st.TwoFactor(ctx, c.scope(), c.Member)
	if errors.Is(err, ErrNotFound) {
		return errTwoFactorCode()
	} else if err != nil {
		return err
	}
	if !tf.Enabled() {
		return errTwoFactorCode()
	}
	secret, err := s.openSecret(tf)
	if err != nil {
		return err
	}
	now := s.now()
	if step, ok := matchTOTP(secret, code, now, tf.LastStep); ok {
		err = st.UseTwoFactorStep(ctx, c.scope(), c.Member, step)
	} else if rc := normalRecoveryCode(code); len(rc) == 16 {
		err = st.UseRecoveryCode(ctx, c.scope(), c.Member, hashSecret(rc), now)
	} else {
		return errTwoFactorCode()
	}
	if errors.Is(err, ErrConflict) || errors.Is(err, ErrNotFound) {
		return errTwoFactorCode() // replayed, or used meanwhile
	}
	return err
}

// DisableTwoFactor turns the member's two-factor sign-in off (or drops a pending
// enrollment), given a current code, a recovery code, or the member's password.
// Errors: ErrForbidden when proof is not right; ErrNotFound when it is off.
func (s *Service) DisableTwoFactor(ctx context.Context, a Actor, proof string) error {
	c, err := s.ownTwoFactor(ctx, a)
	if err != nil {
		return err
	}
	tf, err := s.store.TwoFactor(ctx, c.scope(), c.Member)
	if err != nil {
		return err
	}
	if tf.Enabled() {
		if err := s.checkTwoFactor(ctx, s.store, c, proof); err != nil {
			if !errors.Is(err, ErrForbidden) {
				return err
			}
			if ok, perr := s.memberPassword(ctx, c, proof); perr != nil {
				return perr
			} else if !ok {
				return Errorf(Forbidden, "neither a current code nor your password: two-factor sign-in stays on")
			}
		}
	}
	return s.store.Tx(ctx, func(tx Store) error { return tx.DeleteTwoFactor(ctx, c.scope(), c.Member) })
}

// ResetMemberTwoFactor turns another member's two-factor sign-in off, with
// their recovery codes, for a member who lost their authenticator and their
// codes: the client's owner for the members of its team, a dispatcher for the
// members of the account's clients (the owner's included). Every session of the
// member ends with it, and the reset is logged with who made it; the member
// signs in with their password next (and enrolls again if the client requires
// it). client "" is the caller's own team (members). It reports whether there
// was an enrollment to reset; without one nothing changes.
// Errors: ErrForbidden (admins, members, API keys, the owner for themselves:
// they turn it off on their account page); ErrNotFound when the member is not
// on the client's team, or the client is not the caller's (or its account's),
// or a dispatcher names no client.
func (s *Service) ResetMemberTwoFactor(ctx context.Context, a Actor, client ClientID, member MemberID) (bool, error) {
	c, err := s.authorize(ctx, a, actResetTwoFactor)
	if err != nil {
		return false, err
	}
	if c.team() {
		if client == "" {
			client = c.Actor.Client
		}
		switch {
		case client != c.Actor.Client:
			return false, Errorf(NotFound, "no such client")
		case c.Kind != ActorMember:
			return false, Errorf(Forbidden, "an API key cannot reset two-factor sign-in")
		case member == c.Member:
			return false, Errorf(Forbidden, "turn your own two-factor sign-in off on your account page, or ask your dispatcher")
		}
	} else if client == "" {
		return false, Errorf(NotFound, "no such member: name the member's client")
	}
	scope := Scope{Account: c.Account, Client: client}
	m, err := s.store.Member(ctx, scope, member)
	if err != nil {
		return false, err
	}
	reset := false
	err = s.store.Tx(ctx, func(tx Store) error {
		if err := tx.DeleteTwoFactor(ctx, scope, member); errors.Is(err, ErrNotFound) {
			return nil // none to reset: the member's sessions stay
		} else if err != nil {
			return err
		}
		reset = true
		_, err := tx.EndSessions(ctx, scope, member, "")
		return err
	})
	if err != nil || !reset {
		return false, err
	}
	s.log.InfoContext(ctx, "two-factor sign-in reset", "account", c.Account, "client", client, "member", m.ID,
		"by", c.history())
	return true, nil
}

// memberPassword reports whether password is the member's.
func (s *Service) memberPassword(ctx context.Context, c caller, password string) (bool, error) {
	if password == "" || len(password) > 4*maxPasswordLen {
		return false, nil
	}
	creds, err := s.store.CredentialsByEmail(ctx, c.member.Email)
	if err != nil {
		return false, err
	}
	for _, cr := range creds {
		if cr.Member.ID == c.Member && cr.PasswordHash != "" {
			return s.verifyPassword(ctx, cr.PasswordHash, password)
		}
	}
	return false, nil
}

// secondStep says what a member whose password is right must still do.
func (s *Service) secondStep(ctx context.Context, c caller) (SecondStep, error) {
	tf, err := s.store.TwoFactor(ctx, c.scope(), c.Member)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return SecondStepNone, err
	}
	switch {
	case err == nil && tf.Enabled():
		return SecondStepCode, nil
	case c.client.Settings.RequireTwoFactor:
		return SecondStepEnroll, nil
	}
	return SecondStepNone, nil
}

// sealSecret returns the form of a new secret the Store keeps: sealed with
// Config.TwoFactorKey for its member (see sealWith), or as it is without one.
func (s *Service) sealSecret(member MemberID, secret []byte) ([]byte, error) {
	if s.secretSeal == nil {
		return secret, nil
	}
	return sealWith(s.secretSeal, secret, string(member))
}

// openSecret returns the secret of an enrollment read from the Store.
func (s *Service) openSecret(tf *TwoFactor) ([]byte, error) {
	if len(tf.Secret) == TwoFactorSecretBytes {
		return tf.Secret, nil // stored as it is (no key then)
	}
	secret, ok := openWith(s.secretSeal, tf.Secret, string(tf.Member))
	if !ok {
		return nil, Errorf(Internal, "the two-factor secret of member %s is sealed, and Config.TwoFactorKey is not its key", tf.Member)
	}
	return secret, nil
}
