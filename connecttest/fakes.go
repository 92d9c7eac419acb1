package connecttest

import (
	"context"

	"github.com/dispatchkit/connect"
)

// Mailer is a connect.Mailer (and a connect.WebhookMailer and
// connect.RecipientMailer) that records the invitations, password reset links,
// webhook notices and recipient notices it is asked to send instead of sending
// them, and fails them when the test says so. It is safe for concurrent use;
// the zero value is ready.
type Mailer struct {
	r         record[connect.InviteMail]
	resets    record[connect.PasswordResetMail]
	paused    record[connect.WebhookPausedMail]
	recipient record[connect.RecipientMail]
}

// SendRecipientNotice records m, or returns the error set by
// FailRecipientNext. Every call is recorded, repeats of a key included, so a
// test can check that each key was sent once.
func (m *Mailer) SendRecipientNotice(_ context.Context, rm connect.RecipientMail) error {
	return m.recipient.take(rm)
}

// RecipientNotices returns the recipient notices sent so far, oldest first.
func (m *Mailer) RecipientNotices() []connect.RecipientMail { return m.recipient.all() }

// FailRecipientNext makes the next n calls of SendRecipientNotice return err.
func (m *Mailer) FailRecipientNext(n int, err error) { m.recipient.fail(n, err) }

// SendWebhookPaused records m.
func (m *Mailer) SendWebhookPaused(_ context.Context, pm connect.WebhookPausedMail) error {
	return m.paused.take(pm)
}

// WebhooksPaused returns the notices of paused webhook endpoints sent so far,
// oldest first.
func (m *Mailer) WebhooksPaused() []connect.WebhookPausedMail { return m.paused.all() }

// SendPasswordReset records m, or returns the error set by FailResetsWith.
func (m *Mailer) SendPasswordReset(_ context.Context, pm connect.PasswordResetMail) error {
	return m.resets.take(pm)
}

// Resets returns the password reset links sent so far, oldest first.
func (m *Mailer) Resets() []connect.PasswordResetMail { return m.resets.all() }

// ResetAttempts counts the calls of SendPasswordReset, failed ones included.
func (m *Mailer) ResetAttempts() int { return m.resets.tries() }

// FailResetsWith makes every SendPasswordReset from now on return err, until
// FailResetsWith(nil).
func (m *Mailer) FailResetsWith(err error) { m.resets.fail(-1, err) }

// SendInvite records m, or returns the error set by FailWith or FailNext.
func (m *Mailer) SendInvite(_ context.Context, im connect.InviteMail) error { return m.r.take(im) }

// Sent returns the invitations sent so far, oldest first.
func (m *Mailer) Sent() []connect.InviteMail { return m.r.all() }

// Last returns the latest invitation sent; the zero InviteMail when none was.
func (m *Mailer) Last() connect.InviteMail {
	sent := m.r.all()
	if len(sent) == 0 {
		return connect.InviteMail{}
	}
	return sent[len(sent)-1]
}

// Attempts counts the calls of SendInvite, failed ones included.
func (m *Mailer) Attempts() int { return m.r.tries() }

// FailWith makes every SendInvite from now on return err (connect.ErrUnavailable
// for a mail server that is down, an ErrInvalid for a refused address), until
// FailWith(nil).
func (m *Mailer) FailWith(err error) { m.r.fail(-1, err) }

// FailNext makes the next n calls of SendInvite return err; the ones after succeed.
func (m *Mailer) FailNext(n int, err error) { m.r.fail(n, err) }

// Await waits until at least n invitations were sent and returns them, or returns
// ctx's error with those sent so far.
func (m *Mailer) Await(ctx context.Context, n int) ([]connect.InviteMail, error) {
	return m.r.await(ctx, n)
}

// RouteSync is a connect.RouteSync that records the stop changes the outbox
// delivers, in the order they arrive, and fails when the test says so: a host's
// stop list as a test sees it. Repeated deliveries of one change (same Key) are
// recorded each time, so a test can check that the host saw each key once. It is
// safe for concurrent use; the zero value is ready.
type RouteSync struct{ r record[connect.StopChange] }

// SyncStop records c, or returns the error set by FailWith or FailNext.
func (s *RouteSync) SyncStop(_ context.Context, c connect.StopChange) error {
	if c.Order != nil {
		o := *c.Order
		c.Order = &o // the caller's order may change after the call
	}
	return s.r.take(c)
}

// Changes returns the changes taken so far, in the order they arrived.
func (s *RouteSync) Changes() []connect.StopChange { return s.r.all() }

// Attempts counts the calls of SyncStop, failed ones included.
func (s *RouteSync) Attempts() int { return s.r.tries() }

// FailWith makes every SyncStop from now on return err (connect.ErrUnavailable for
// a host that is down), until FailWith(nil).
func (s *RouteSync) FailWith(err error) { s.r.fail(-1, err) }

// FailNext makes the next n calls of SyncStop return err; the ones after succeed.
func (s *RouteSync) FailNext(n int, err error) { s.r.fail(n, err) }

// Await waits until at least n changes were taken and returns them, or returns
// ctx's error with those taken so far: how a test waits for a RunOutbox worker
// without sleeping.
func (s *RouteSync) Await(ctx context.Context, n int) ([]connect.StopChange, error) {
	return s.r.await(ctx, n)
}

// SMS is a connect.SMSSender that records the text messages the outbox hands
// it, in the order they arrive, and fails when the test says so. Repeats of
// one message (same Key) are recorded each time. It is safe for concurrent
// use; the zero value is ready.
type SMS struct{ r record[connect.SMS] }

// SendSMS records m, or returns the error set by FailWith or FailNext.
func (s *SMS) SendSMS(_ context.Context, m connect.SMS) error { return s.r.take(m) }

// Sent returns the messages taken so far, in the order they arrived.
func (s *SMS) Sent() []connect.SMS { return s.r.all() }

// Attempts counts the calls of SendSMS, failed ones included.
func (s *SMS) Attempts() int { return s.r.tries() }

// FailWith makes every SendSMS from now on return err, until FailWith(nil).
func (s *SMS) FailWith(err error) { s.r.fail(-1, err) }

// FailNext makes the next n calls of SendSMS return err; the ones after succeed.
func (s *SMS) FailNext(n int, err error) { s.r.fail(n, err) }
