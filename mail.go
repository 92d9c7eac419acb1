package connect

import (
	"context"
	"encoding/json"
	"errors"
)

// Invite and password reset emails go through the outbox when Config.MailKey is
// set: the invite (or reset) and its mail are written in one transaction, and
// RunOutbox sends the mail with retries, so a mail server that is down delays the
// mail instead of refusing the invite, and a reset request takes the same time
// whether or not the email exists. The mail carries the token, of which the
// Store keeps only the hash: the outbox entry holds it sealed with MailKey
// (AES-256-GCM, bound to the entry's key), and the sealed payload is deleted
// once the mail is sent. Without a MailKey, mails are sent inside the request,
// as they always were.

// sealMail returns the payload of a mail entry with the key: its JSON sealed
// with Config.MailKey for the entry's key (see sealWith).
func (s *Service) sealMail(key string, mail any) ([]byte, error) {
	raw, err := json.Marshal(mail)
	if err != nil {
		return nil, Errorf(Internal, "outbox mail: %w", err)
	}
	return sealWith(s.mailSeal, raw, key)
}

// openMail decodes the sealed payload of a mail entry into mail.
func (s *Service) openMail(e OutboxEntry, mail any) error {
	if s.mailSeal == nil {
		return Errorf(Unavailable, "outbox entry %s: a sealed mail, and no Config.MailKey to open it", e.Key)
	}
	if !isSealed(s.mailSeal, e.Payload) {
		return Errorf(Internal, "outbox entry %s: not a sealed mail", e.Key)
	}
	raw, ok := openWith(s.mailSeal, e.Payload, e.Key)
	if !ok {
		// Dead after its retries: a host that changed MailKey resends the invite.
		return Errorf(Unavailable, "outbox entry %s: Config.MailKey is not the key it was sealed with", e.Key)
	}
	if err := json.Unmarshal(raw, mail); err != nil {
		return Errorf(Internal, "outbox entry %s: %w", e.Key, err)
	}
	return nil
}

// mailEntry is the outbox entry of a mail of the scope, sealed.
func (s *Service) mailEntry(kind OutboxKind, key string, account AccountID, client ClientID, mail any) (OutboxEntry, error) {
	payload, err := s.sealMail(key, mail)
	if err != nil {
		return OutboxEntry{}, err
	}
	now := s.clock()
	return OutboxEntry{Key: key, Account: account, Client: client, Kind: kind, Payload: payload,
		State: OutboxPending, NextAt: now, CreatedAt: now, UpdatedAt: now}, nil
}

// queueMail reports whether mails go through the outbox (Config.MailKey is set).
func (s *Service) queueMail() bool { return s.mailSeal != nil }

// deliverMail sends the mail of an entry, unless what it is for was used,
// withdrawn or has expired meanwhile: a resent invite's first mail is not sent
// with a link that no longer works.
func (s *Service) deliverMail(ctx context.Context, e OutboxEntry) error {
	if s.mailer == nil {
		return Errorf(Unavailable, "no Mailer is configured")
	}
	now := s.clock()
	switch e.Kind {
	case OutboxInviteMail:
		var m InviteMail
		if err := s.openMail(e, &m); err != nil {
			return err
		}
		inv, err := s.store.InviteByTokenHash(ctx, hashSecret(m.Token))
		if errors.Is(err, ErrNotFound) {
			return nil
		} else if err != nil {
			return err
		}
		if inv.Account != e.Account || inv.State(now) != InvitePending {
			s.log.InfoContext(ctx, "outbox: invite mail not sent; the invite is no longer pending", "key", e.Key)
			return nil
		}
		m.Key = e.Key
		return s.mailer.SendInvite(ctx, m)
	default: // OutboxPasswordResetMail
		var m PasswordResetMail
		if err := s.openMail(e, &m); err != nil {
			return err
		}
		r, err := s.store.PasswordResetByTokenHashAnyAccount(ctx, hashSecret(m.Token))
		if errors.Is(err, ErrNotFound) {
			return nil
		} else if err != nil {
			return err
		}
		if r.Account != e.Account || !r.UsedAt.IsZero() || !now.Before(r.ExpiresAt) {
			s.log.InfoContext(ctx, "outbox: password reset mail not sent; the link was used or expired", "key", e.Key)
			return nil
		}
		m.Key = e.Key
		return s.mailer.SendPasswordReset(ctx, m)
	}
}

// mailKind reports whether an entry of the kind is a mail, whose sealed payload
// is deleted once sent.
func mailKind(k OutboxKind) bool {
	return k == OutboxInviteMail || k == OutboxPasswordResetMail || k == OutboxWebhookPausedMail
}

// mailTx runs fn in a transaction of the Store and, once it committed, wakes
// this process's outbox workers for the mails it queued (other processes' find
// them at their next poll).
func (s *Service) mailTx(ctx context.Context, fn func(tx Store) error) error {
	err := s.store.Tx(ctx, fn)
	if err == nil && s.queueMail() {
		s.outboxWorkers.Wake()
	}
	return err
}
