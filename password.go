package connect

import (
	"context"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
)

// PasswordHasher hashes members' passwords and checks them. The hash is a string
// in the hasher's own self-describing format.
type PasswordHasher interface {
	// Hash returns the stored form of a password. Errors: ErrInternal.
	Hash(password string) (string, error)
	// Verify reports whether password matches hash. A hash the hasher does not
	// understand does not match.
	Verify(hash, password string) bool
}

// PBKDF2 is the default PasswordHasher: PBKDF2-HMAC-SHA256 from the standard
// library, a 16-byte salt, and Iterations rounds (0: 600,000, OWASP's 2023 advice).
// Hashes read "pbkdf2-sha256$ITER$SALT$KEY" (base64), so the count can grow later.
type PBKDF2 struct{ Iterations int }

func (p PBKDF2) iterations() int {
	if p.Iterations <= 0 {
		return 600_000
	}
	return p.Iterations
}

// Hash returns the stored form of password.
func (p PBKDF2) Hash(password string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", Errorf(Internal, "drawing a salt: %w", err)
	}
	n := p.iterations()
	key, err := pbkdf2.Key(sha256.New, password, salt, n, 32)
	if err != nil {
		return "", Errorf(Internal, "hashing a password: %w", err)
	}
	enc := base64.RawStdEncoding
	return fmt.Sprintf("pbkdf2-sha256$%d$%s$%s", n, enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// Verify reports whether password matches hash, in constant time.
func (p PBKDF2) Verify(hash, password string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 4 || parts[0] != "pbkdf2-sha256" {
		return false
	}
	n, err := strconv.Atoi(parts[1])
	if err != nil || n < 1 || n > 10_000_000 {
		return false
	}
	enc := base64.RawStdEncoding
	salt, err1 := enc.DecodeString(parts[2])
	want, err2 := enc.DecodeString(parts[3])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false
	}
	got, err := pbkdf2.Key(sha256.New, password, salt, n, len(want))
	return err == nil && subtle.ConstantTimeCompare(got, want) == 1
}

// Membership is one team a person signed in to.
type Membership struct {
	Actor  Actor
	Member *Member
	Client *Client
	// SecondStep is what SignIn asks for before a session may start: nothing, a
	// two-factor code (VerifyTwoFactor), or an enrollment the client requires.
	SecondStep SecondStep
}

// SignIn checks an email and password and returns the person's memberships whose
// password matches and whose client is active (usually one; a person may be on the
// teams of several clients). Errors: ErrForbidden, with one message whatever was
// wrong, so that it tells nothing about which emails exist.
func (s *Service) SignIn(ctx context.Context, email, password string) ([]Membership, error) {
	refused := Errorf(Forbidden, "the email or password is not right")
	email = strings.TrimSpace(email)
	if email == "" || password == "" || len(password) > 4*maxPasswordLen {
		return nil, refused
	}
	creds, err := s.store.CredentialsByEmail(ctx, email)
	if err != nil {
		return nil, err
	}
	var out []Membership
	for _, cr := range creds {
		if cr.PasswordHash == "" {
			continue
		}
		if ok, err := s.verifyPassword(ctx, cr.PasswordHash, password); err != nil {
			return nil, err
		} else if !ok {
			continue
		}
		a := AsMember(cr.Member.Account, cr.Member.Client, cr.Member.ID)
		c, err := s.resolve(ctx, a)
		if err != nil {
			continue // a disabled client's team cannot sign in
		}
		step, err := s.secondStep(ctx, c)
		if err != nil {
			return nil, err
		}
		out = append(out, Membership{Actor: a, Member: cr.Member, Client: c.client, SecondStep: step})
	}
	if len(creds) == 0 {
		// Spend the time a real check takes, so timing does not tell either.
		if _, err := s.verifyPassword(ctx, s.dummyHash(), password); err != nil {
			return nil, err
		}
	}
	if len(out) == 0 {
		return nil, refused
	}
	return out, nil
}

// hashSlot takes one of the process's password-hashing slots
// (Config.PasswordConcurrency), waiting for one while all are taken: a flood of
// sign-ins queues instead of taking every CPU. Errors: ErrUnavailable when ctx
// ends first.
func (s *Service) hashSlot(ctx context.Context) (release func(), err error) {
	select {
	case s.hashSlots <- struct{}{}:
		return func() { <-s.hashSlots }, nil
	case <-ctx.Done():
		return nil, Errorf(Unavailable, "too many sign-ins at once; try again: %w", ctx.Err())
	}
}

// hashPassword hashes a password in a hashing slot.
func (s *Service) hashPassword(ctx context.Context, password string) (string, error) {
	release, err := s.hashSlot(ctx)
	if err != nil {
		return "", err
	}
	defer release()
	return s.passwords.Hash(password)
}

// verifyPassword checks a password against a hash in a hashing slot.
func (s *Service) verifyPassword(ctx context.Context, hash, password string) (bool, error) {
	release, err := s.hashSlot(ctx)
	if err != nil {
		return false, err
	}
	defer release()
	return s.passwords.Verify(hash, password), nil
}

// dummyHash is verified against when no member has the email; made once, on the
// first sign-in that needs it.
func (s *Service) dummyHash() string { return s.dummy() }

// ChangePassword sets the caller's password, given the current one (or none, when
// the member has none yet), and ends every other session of the member (all of
// them when the actor acts through none). Errors: ErrForbidden when current is
// wrong; ErrInvalid.
func (s *Service) ChangePassword(ctx context.Context, a Actor, current, next string) error {
	c, err := s.authorize(ctx, a, actViewTeam)
	if err != nil {
		return err
	}
	if c.Kind != ActorMember {
		return Errorf(Forbidden, "only team members have passwords")
	}
	m, err := s.store.Member(ctx, c.scope(), c.Member)
	if err != nil {
		return err
	}
	if err := s.checkPassword(next, aboutPerson(m.Email, m.Name, c.client.Name)); err != nil {
		return err
	}
	creds, err := s.store.CredentialsByEmail(ctx, m.Email)
	if err != nil {
		return err
	}
	for _, cr := range creds {
		if cr.Member.ID != m.ID || cr.PasswordHash == "" {
			continue
		}
		if ok, err := s.verifyPassword(ctx, cr.PasswordHash, current); err != nil {
			return err
		} else if !ok {
			return Errorf(Forbidden, "the current password is not right")
		}
	}
	hash, err := s.hashPassword(ctx, next)
	if err != nil {
		return err
	}
	// Whoever else knew the old password is signed out: every other session ends.
	return s.store.Tx(ctx, func(tx Store) error {
		if err := tx.SetPassword(ctx, c.scope(), m.ID, hash); err != nil {
			return err
		}
		_, err := tx.EndSessions(ctx, c.scope(), m.ID, a.Session)
		return err
	})
}
