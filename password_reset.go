package connect

import (
	"context"
	"errors"
	"strings"
	"time"
)

// PasswordResetID identifies a password reset (never its token).
type PasswordResetID string

// PasswordReset is a "forgot password" link of one member: its token (256 bits)
// exists only in the email, the Store keeps its SHA-256. It sets a new password
// once, within PasswordResetTTL.
type PasswordReset struct {
	ID        PasswordResetID
	Account   AccountID
	Client    ClientID
	Member    MemberID
	TokenHash []byte
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    time.Time // zero until used
}

// PasswordResetTTL is how long a password reset link works.
const PasswordResetTTL = 30 * time.Minute

// sweepResets is how many expired resets one request removes at most.
const sweepResets = 100

// errResetLink is the answer for a reset link that cannot be used, whatever the
// reason (unknown, used, expired, the member gone).
func errResetLink() error {
	return Errorf(Forbidden, "this password reset link is not valid: it was used, or has expired; ask for a new one")
}

// RequestPasswordReset sends a password reset link to each member with the email
// (compared without case) whose client is active: one link per membership, each
// naming its client, so that a person on two teams chooses which password to
// reset and tenants stay apart. It answers the same whether or not the email is
// known, and spends a password check's time either way, so that neither the
// answer nor its timing tells which emails exist. The caller rate-limits it.
// With Config.MailKey the links go through the outbox (RunOutbox sends them),
// so the mail server's delay tells nothing either.
// Errors: ErrUnavailable when the Store (or, without Config.MailKey, the
// Mailer) cannot be reached.
func (s *Service) RequestPasswordReset(ctx context.Context, email string) error {
	email = strings.TrimSpace(email)
	// The same work whatever the email: one password check's worth of hashing.
	if _, err := s.verifyPassword(ctx, s.dummyHash(), email); err != nil {
		return err
	}
	if email == "" || len(email) > 320 {
		return nil
	}
	creds, err := s.store.CredentialsByEmail(ctx, email)
	if err != nil {
		return err
	}
	now := s.now()
	if n, err := s.store.EndExpiredPasswordResetsAnyAccount(ctx, now, sweepResets); err != nil {
		s.log.WarnContext(ctx, "removing expired password resets", "err", err)
	} else if n > 0 {
		s.log.DebugContext(ctx, "removed expired password resets", "count", n)
	}
	for _, cr := range creds {
		c, err := s.resolve(ctx, AsMember(cr.Member.Account, cr.Member.Client, cr.Member.ID))
		if err != nil {
			continue // a disabled client's team cannot sign in, nor reset
		}
		if err := s.sendPasswordReset(ctx, c, now); err != nil {
			return err
		}
	}
	return nil
}

// sendPasswordReset stores a new reset of the member and mails its link: with
// Config.MailKey through the outbox, in the reset's transaction, so the request
// neither waits for the mail server nor fails with it.
func (s *Service) sendPasswordReset(ctx context.Context, c caller, now time.Time) error {
	token, hash, err := newSecret()
	if err != nil {
		return err
	}
	r := &PasswordReset{ID: PasswordResetID(s.newID()), Account: c.Account, Client: c.Actor.Client, Member: c.Member,
		TokenHash: hash, CreatedAt: now, ExpiresAt: now.Add(PasswordResetTTL)}
	if s.mailer == nil {
		s.log.WarnContext(ctx, "a password reset was asked for, but no Mailer is configured", "member", c.Member)
		return s.store.CreatePasswordReset(ctx, c.scope(), r)
	}
	m := PasswordResetMail{To: c.member.Email, Name: c.member.Name, ClientName: c.client.Name, Token: token,
		ExpiresAt: r.ExpiresAt}
	if s.resetURL != nil {
		m.Link = s.resetURL(token)
	}
	if !s.queueMail() {
		if err := s.store.CreatePasswordReset(ctx, c.scope(), r); err != nil {
			return err
		}
		return s.mailer.SendPasswordReset(ctx, m)
	}
	e, err := s.mailEntry(OutboxPasswordResetMail, "password-reset/"+string(r.ID), r.Account, r.Client, m)
	if err != nil {
		return err
	}
	return s.mailTx(ctx, func(tx Store) error {
		if err := tx.CreatePasswordReset(ctx, c.scope(), r); err != nil {
			return err
		}
		return tx.AddOutbox(ctx, c.scope(), []OutboxEntry{e})
	})
}

// PasswordResetFor returns the membership a reset token would set the password
// of, for the page that asks for the new one. Errors: ErrForbidden when the link
// cannot be used (unknown, used, expired, the member gone, the client disabled).
func (s *Service) PasswordResetFor(ctx context.Context, token string) (*Membership, error) {
	r, c, err := s.openReset(ctx, token)
	if err != nil {
		return nil, err
	}
	return &Membership{Actor: AsMember(r.Account, r.Client, r.Member), Member: c.member, Client: c.client}, nil
}

// openReset finds a usable reset by its token, and its member.
func (s *Service) openReset(ctx context.Context, token string) (*PasswordReset, caller, error) {
	if token == "" || len(token) > 256 {
		return nil, caller{}, errResetLink()
	}
	r, err := s.store.PasswordResetByTokenHashAnyAccount(ctx, hashSecret(token))
	if errors.Is(err, ErrNotFound) {
		return nil, caller{}, errResetLink()
	} else if err != nil {
		return nil, caller{}, err
	}
	if !r.UsedAt.IsZero() || !s.now().Before(r.ExpiresAt) {
		return nil, caller{}, errResetLink()
	}
	c, err := s.resolve(ctx, AsMember(r.Account, r.Client, r.Member))
	if err != nil {
		if errors.Is(err, ErrForbidden) {
			return nil, caller{}, errResetLink()
		}
		return nil, caller{}, err
	}
	return r, c, nil
}

// ResetPassword sets a new password with a reset token, once: the password must
// pass the same policy as any other (the link stays usable when it does not),
// and every session of the member ends. Errors: ErrForbidden when the link
// cannot be used; ErrInvalid for a refused password.
func (s *Service) ResetPassword(ctx context.Context, token, password string) error {
	_, c, err := s.openReset(ctx, token)
	if err != nil {
		return err
	}
	if err := s.checkPassword(password, aboutPerson(c.member.Email, c.member.Name, c.client.Name)); err != nil {
		return err
	}
	hash, err := s.hashPassword(ctx, password)
	if err != nil {
		return err
	}
	return s.store.Tx(ctx, func(tx Store) error {
		r, err := tx.UsePasswordResetAnyAccount(ctx, hashSecret(token), s.now())
		if errors.Is(err, ErrNotFound) || errors.Is(err, ErrConflict) {
			return errResetLink() // used meanwhile, or expired
		} else if err != nil {
			return err
		}
		scope := Scope{Account: r.Account, Client: r.Client}
		if err := tx.SetPassword(ctx, scope, r.Member, hash); err != nil {
			return err
		}
		_, err = tx.EndSessions(ctx, scope, r.Member, "")
		return err
	})
}
