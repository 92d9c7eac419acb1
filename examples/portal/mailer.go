package main

import (
	"context"
	"fmt"
	"log/slog"
	"mime"
	"net"
	"net/smtp"
	"strings"
	"time"

	"github.com/dispatchkit/connect"
)

// newMailer returns an SMTP mailer when an SMTP server is configured, else one that
// logs the invitation link.
func newMailer(cfg config, log *slog.Logger) connect.Mailer {
	if cfg.SMTPAddr == "" {
		return logMailer{log: log}
	}
	return &smtpMailer{addr: cfg.SMTPAddr, user: cfg.SMTPUser, password: cfg.SMTPPassword, from: cfg.SMTPFrom}
}

// logMailer "sends" invitations to the log, for a demo without email.
type logMailer struct{ log *slog.Logger }

func (m logMailer) SendInvite(ctx context.Context, im connect.InviteMail) error {
	m.log.InfoContext(ctx, "invitation (not emailed: no SMTP server configured)", "to", im.To, "client", im.ClientName, "link", im.Link)
	return nil
}

func (m logMailer) SendWebhookPaused(ctx context.Context, wm connect.WebhookPausedMail) error {
	m.log.WarnContext(ctx, "webhook endpoint paused (not emailed: no SMTP server configured)", "to", wm.To, "client", wm.ClientName, "url", wm.URL, "reason", wm.Reason)
	return nil
}

func (m logMailer) SendRecipientNotice(ctx context.Context, rm connect.RecipientMail) error {
	m.log.InfoContext(ctx, "recipient notice (not emailed: no SMTP server configured)", "key", rm.Key, "to", rm.To,
		"client", rm.ClientName, "subject", rm.Subject, "body", rm.Body)
	return nil
}

func (m logMailer) SendPasswordReset(ctx context.Context, pm connect.PasswordResetMail) error {
	m.log.InfoContext(ctx, "password reset link (not emailed: no SMTP server configured)", "to", pm.To, "client", pm.ClientName, "link", pm.Link)
	return nil
}

// smtpMailer sends invitations through an SMTP server with net/smtp (STARTTLS when
// the server offers it; PLAIN auth when a user is set).
type smtpMailer struct {
	addr, user, password, from string
}

func (m *smtpMailer) SendInvite(ctx context.Context, im connect.InviteMail) error {
	if strings.ContainsAny(im.To, "\r\n") {
		return connect.Errorf(connect.Invalid, "the address %q is not valid", im.To)
	}
	subject := fmt.Sprintf("You are invited to the delivery portal of %s", im.ClientName)
	body := fmt.Sprintf("Hello,\r\n\r\n%s invited you to follow and manage the deliveries of %s.\r\n\r\n"+
		"Sign up here (the link works once, until %s):\r\n%s\r\n", im.InvitedBy, im.ClientName,
		im.ExpiresAt.UTC().Format("2 Jan 2006 15:04 UTC"), im.Link)
	return m.send(ctx, im.To, subject, body)
}

// SendWebhookPaused tells a client's owner that a webhook endpoint was paused.
func (m *smtpMailer) SendWebhookPaused(ctx context.Context, wm connect.WebhookPausedMail) error {
	if strings.ContainsAny(wm.To, "\r\n") {
		return connect.Errorf(connect.Invalid, "the address %q is not valid", wm.To)
	}
	subject := fmt.Sprintf("A webhook endpoint of %s was paused", wm.ClientName)
	body := fmt.Sprintf("Hello %s,\r\n\r\nThe webhook endpoint %s of %s was paused (%s): nothing is sent to it until it is resumed.\r\n\r\n"+
		"Fix the endpoint, then resume it on the portal's Settings > Integrations page; its delivery log says what failed.\r\n",
		wm.Name, wm.URL, wm.ClientName, wm.Reason)
	return m.send(ctx, wm.To, subject, body)
}

// SendRecipientNotice emails an order's recipient a notice, written by the
// Service in the client's language. The mail server is not told the key: a
// retry after a crash between sending and the outbox noting it may send the
// mail twice, which a host whose provider takes an idempotency key avoids.
func (m *smtpMailer) SendRecipientNotice(ctx context.Context, rm connect.RecipientMail) error {
	if strings.ContainsAny(rm.To, "\r\n") {
		return connect.Errorf(connect.Invalid, "the address %q is not valid", rm.To)
	}
	return m.send(ctx, rm.To, rm.Subject, strings.ReplaceAll(rm.Body, "\n", "\r\n"))
}

// SendPasswordReset emails a member the link that sets a new password.
func (m *smtpMailer) SendPasswordReset(ctx context.Context, pm connect.PasswordResetMail) error {
	if strings.ContainsAny(pm.To, "\r\n") {
		return connect.Errorf(connect.Invalid, "the address %q is not valid", pm.To)
	}
	subject := fmt.Sprintf("Reset your password for the delivery portal of %s", pm.ClientName)
	body := fmt.Sprintf("Hello %s,\r\n\r\nSomeone (we hope you) asked to reset your password for the delivery portal of %s.\r\n\r\n"+
		"Set a new one here (the link works once, until %s):\r\n%s\r\n\r\nIf it was not you, ignore this email: your password stays as it is.\r\n",
		pm.Name, pm.ClientName, pm.ExpiresAt.UTC().Format("2 Jan 2006 15:04 UTC"), pm.Link)
	return m.send(ctx, pm.To, subject, body)
}

// send sends one plain-text email, giving up when ctx ends.
func (m *smtpMailer) send(ctx context.Context, to, subject, body string) error {
	// A subject in French or German is written as RFC 2047 asks; ASCII stays as it is.
	msg := "From: " + m.from + "\r\nTo: " + to + "\r\nSubject: " + mime.QEncoding.Encode("utf-8", strings.ReplaceAll(subject, "\n", " ")) +
		"\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nDate: " +
		time.Now().Format(time.RFC1123Z) + "\r\n\r\n" + body
	var auth smtp.Auth
	if m.user != "" {
		host, _, _ := net.SplitHostPort(m.addr)
		auth = smtp.PlainAuth("", m.user, m.password, host)
	}
	done := make(chan error, 1)
	go func() { done <- smtp.SendMail(m.addr, auth, m.from, []string{to}, []byte(msg)) }()
	select {
	case err := <-done:
		if err != nil {
			return connect.Errorf(connect.Unavailable, "sending email: %w", err)
		}
		return nil
	case <-ctx.Done():
		return connect.Errorf(connect.Unavailable, "sending email: %w", ctx.Err())
	}
}
