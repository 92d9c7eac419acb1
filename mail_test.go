package connect_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dispatchkit/connect"
)

// mailKey is a Config.MailKey for tests.
var mailKey = []byte(strings.Repeat("k", 32))

// newMailWorld is a world whose mails go through the outbox.
func newMailWorld(t *testing.T) *world {
	t.Helper()
	return newWorldWith(t, func(c *connect.Config) { c.MailKey = mailKey })
}

// mailOpts retries a failed mail a minute later, on the world's clock.
var mailOpts = connect.OutboxOptions{Backoff: func(int) time.Duration { return time.Minute }}

// mailEntries returns the world's outbox entries of a kind, with their payloads.
func (w *world) mailEntries(kind connect.OutboxKind) []connect.OutboxEntry {
	w.t.Helper()
	all, err := w.store.Outbox(w.ctx, connect.Scope{Account: w.acct}, nil, 0)
	if err != nil {
		w.t.Fatal(err)
	}
	var out []connect.OutboxEntry
	for _, e := range all {
		if e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}

// deliver runs one batch of the outbox.
func (w *world) deliver() {
	w.t.Helper()
	if _, err := w.svc.DeliverOutbox(w.ctx, mailOpts); err != nil {
		w.t.Fatal(err)
	}
}

// wantSealed fails when the payload shows any of the secrets (the token, the
// link carrying it) or what the mail says (the address).
func wantSealed(t *testing.T, payload []byte, secrets ...string) {
	t.Helper()
	if len(payload) == 0 {
		t.Fatal("the mail entry has no payload")
	}
	for _, s := range secrets {
		if bytes.Contains(payload, []byte(s)) {
			t.Fatalf("the stored outbox payload contains %q", s)
		}
	}
}

// wantNowhere fails when any row of any table holds the secret.
func (w *world) wantNowhere(secret string) {
	w.t.Helper()
	for table, rows := range newDumper(w.t, w.ctx, w.store.DB()).dump(w.t, w.ctx) {
		for _, row := range rows {
			for col, v := range row {
				if strings.Contains(v, secret) {
					w.t.Fatalf("%s.%s holds the raw token", table, col)
				}
			}
		}
	}
}

func TestAnInviteIsCreatedWhileTheMailServerIsDownAndMailedOnceWhenItIsBack(t *testing.T) {
	w := newMailWorld(t)
	w.mail.FailWith(connect.Errorf(connect.Unavailable, "smtp down"))
	inv, err := w.svc.InviteMember(w.ctx, w.owner, connect.InviteMemberParams{Email: "sam@example.com", Role: connect.RoleMember, SendEmail: true})
	if err != nil {
		t.Fatalf("inviting with the mail server down: %v", err)
	}
	if w.mail.Attempts() != 0 {
		t.Fatalf("the request tried the mail server %d times; the outbox sends it", w.mail.Attempts())
	}
	entries := w.mailEntries(connect.OutboxInviteMail)
	if len(entries) != 1 {
		t.Fatalf("%d invite mail entries, want 1", len(entries))
	}
	wantSealed(t, entries[0].Payload, inv.Token, inv.Link, "sam@example.com")
	w.wantNowhere(inv.Token)

	w.deliver() // the server is still down: the entry waits for its retry
	if w.mail.Attempts() != 1 || len(w.mail.Sent()) != 0 {
		t.Fatalf("after a failed try: %d attempts, %d sent", w.mail.Attempts(), len(w.mail.Sent()))
	}
	if e := w.mailEntries(connect.OutboxInviteMail)[0]; e.State != connect.OutboxPending || e.LastError == "" {
		t.Fatalf("the entry after a failed try: %s, %q", e.State, e.LastError)
	}

	w.mail.FailWith(nil)
	w.advance(2 * time.Minute)
	w.deliver()
	w.deliver() // nothing left: the mail goes once
	sent := w.mail.Sent()
	if len(sent) != 1 {
		t.Fatalf("%d invite mails sent, want 1", len(sent))
	}
	want := connect.InviteMail{To: "sam@example.com", Kind: connect.InviteMember, ClientName: w.client.Name, Role: connect.RoleMember,
		Link: inv.Link, Token: inv.Token, ExpiresAt: inv.Invite.ExpiresAt, InvitedBy: inv.Invite.InvitedBy, Key: entries[0].Key}
	if d := cmp.Diff(want, sent[0]); d != "" {
		t.Fatalf("the mail (-want +got):\n%s", d)
	}
	if e := w.mailEntries(connect.OutboxInviteMail)[0]; e.State != connect.OutboxDone || e.Payload != nil {
		t.Fatalf("the entry once sent: %s, payload %d bytes (want none)", e.State, len(e.Payload))
	}
	if _, err := w.svc.AcceptInvite(w.ctx, sent[0].Token, connect.SignUp{Name: "Sam", Email: "sam@example.com"}); err != nil {
		t.Fatalf("accepting with the mailed token: %v", err)
	}
}

func TestAResentInvitesFirstMailIsNotSent(t *testing.T) {
	w := newMailWorld(t)
	w.mail.FailWith(connect.Errorf(connect.Unavailable, "smtp down"))
	first, err := w.svc.InviteMember(w.ctx, w.owner, connect.InviteMemberParams{Email: "sam@example.com", Role: connect.RoleMember, SendEmail: true})
	if err != nil {
		t.Fatal(err)
	}
	second, err := w.svc.ResendInvite(w.ctx, w.owner, first.Invite.ID)
	if err != nil {
		t.Fatal(err)
	}
	w.mail.FailWith(nil)
	w.deliver()
	sent := w.mail.Sent()
	if len(sent) != 1 || sent[0].Token != second.Token {
		t.Fatalf("sent %d mails (%+v), want the resent invite's only", len(sent), sent)
	}
	for _, e := range w.mailEntries(connect.OutboxInviteMail) {
		if e.State != connect.OutboxDone || e.Payload != nil {
			t.Fatalf("entry %s: %s with %d bytes of payload, want done without", e.Key, e.State, len(e.Payload))
		}
	}
}

func TestWithoutAMailKeyAnInviteWhoseMailFailsIsNotCreated(t *testing.T) {
	w := newWorld(t)
	w.mail.FailWith(connect.Errorf(connect.Unavailable, "smtp down"))
	_, err := w.svc.InviteMember(w.ctx, w.owner, connect.InviteMemberParams{Email: "sam@example.com", Role: connect.RoleMember, SendEmail: true})
	wantCode(t, err, connect.Unavailable)
	invites, err := w.svc.Invites(w.ctx, w.owner, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, inv := range invites {
		if inv.Email == "sam@example.com" {
			t.Fatalf("an invite whose mail failed was created: %+v", inv)
		}
	}
	if n := len(w.mailEntries(connect.OutboxInviteMail)); n != 0 {
		t.Fatalf("%d outbox entries without a MailKey", n)
	}
}

func TestAPasswordResetIsStoredWhileTheMailServerIsDownAndMailedOnceWhenItIsBack(t *testing.T) {
	w := newMailWorld(t)
	w.mail.FailResetsWith(connect.Errorf(connect.Unavailable, "smtp down"))
	email := "rita@example.com"
	w.join(w.owner, email, connect.RoleMember)
	if err := w.svc.RequestPasswordReset(w.ctx, email); err != nil {
		t.Fatalf("asking for a reset with the mail server down: %v", err)
	}
	if err := w.svc.RequestPasswordReset(w.ctx, "nobody@example.com"); err != nil {
		t.Fatal(err)
	}
	if w.mail.ResetAttempts() != 0 {
		t.Fatalf("the request tried the mail server %d times; the outbox sends it", w.mail.ResetAttempts())
	}
	entries := w.mailEntries(connect.OutboxPasswordResetMail)
	if len(entries) != 1 {
		t.Fatalf("%d reset mail entries, want 1 (the unknown email gets none)", len(entries))
	}
	wantSealed(t, entries[0].Payload, email)

	w.deliver()
	if w.mail.ResetAttempts() != 1 || len(w.mail.Resets()) != 0 {
		t.Fatalf("after a failed try: %d attempts, %d sent", w.mail.ResetAttempts(), len(w.mail.Resets()))
	}
	w.mail.FailResetsWith(nil)
	w.advance(2 * time.Minute)
	w.deliver()
	w.deliver()
	sent := w.mail.Resets()
	if len(sent) != 1 || sent[0].To != email || sent[0].Key != entries[0].Key {
		t.Fatalf("reset mails sent: %+v, want one to %s", sent, email)
	}
	wantSealed(t, entries[0].Payload, sent[0].Token, sent[0].Link)
	w.wantNowhere(sent[0].Token)
	if e := w.mailEntries(connect.OutboxPasswordResetMail)[0]; e.State != connect.OutboxDone || e.Payload != nil {
		t.Fatalf("the entry once sent: %s, payload %d bytes (want none)", e.State, len(e.Payload))
	}
	if err := w.svc.ResetPassword(w.ctx, sent[0].Token, "a brand new passphrase 42"); err != nil {
		t.Fatalf("resetting with the mailed token: %v", err)
	}
}

func TestAResetMailIsNotSentOnceItsLinkHasExpired(t *testing.T) {
	w := newMailWorld(t)
	w.mail.FailResetsWith(connect.Errorf(connect.Unavailable, "smtp down"))
	w.join(w.owner, "rita@example.com", connect.RoleMember)
	if err := w.svc.RequestPasswordReset(w.ctx, "rita@example.com"); err != nil {
		t.Fatal(err)
	}
	w.mail.FailResetsWith(nil)
	w.advance(connect.PasswordResetTTL + time.Minute)
	w.deliver()
	if n := len(w.mail.Resets()); n != 0 {
		t.Fatalf("%d expired reset links mailed", n)
	}
	if e := w.mailEntries(connect.OutboxPasswordResetMail)[0]; e.State != connect.OutboxDone || e.Payload != nil {
		t.Fatalf("the expired link's entry: %s, payload %d bytes", e.State, len(e.Payload))
	}
}

func TestAMailKeyMustBe32Bytes(t *testing.T) {
	_, err := connect.New(connect.Config{Store: newWorld(t).store, MailKey: []byte("short")})
	wantCode(t, err, connect.Invalid)
}
