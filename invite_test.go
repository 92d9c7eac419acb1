package connect_test

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/mock/gomock"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/connecttest"
	"github.com/dispatchkit/connect/connecttest/mock"
)

func TestAcceptClientInviteMakesOwnerAndNumber(t *testing.T) {
	w := newWorld(t)
	inv, err := w.svc.InviteClient(w.ctx, w.disp, connect.InviteClientParams{
		Name: "Bakery", Email: "boss@bakery.example", SendEmail: true,
		Settings: connect.ClientSettings{AllowUpload: true, RequiredFields: connect.RequireFields(connect.FieldZip)},
	})
	if err != nil {
		t.Fatal(err)
	}
	if inv.Invite.Client == "" || inv.Link != "https://portal.example/invite/"+inv.Token {
		t.Fatalf("issued invite %+v", inv)
	}
	mail := w.Mailer.Last()
	if mail.To != "boss@bakery.example" || mail.Link != inv.Link || mail.ClientName != "Bakery" {
		t.Fatalf("mail %+v", mail)
	}
	before, err := w.svc.Client(w.ctx, w.disp, inv.Invite.Client)
	if err != nil {
		t.Fatal(err)
	}
	if before.Status != connect.ClientInvited || before.Number != "" {
		t.Fatalf("before sign-up: %+v", before)
	}

	acc, err := w.svc.AcceptInvite(w.ctx, inv.Token, connect.SignUp{Name: "Boss", Email: "boss@bakery.example"})
	if err != nil {
		t.Fatal(err)
	}
	if acc.Member.Role != connect.RoleOwner || acc.Client.Status != connect.ClientActive {
		t.Fatalf("accepted %+v %+v", acc.Member, acc.Client)
	}
	if _, err := connect.ParseClientNumber(string(acc.Client.Number)); err != nil {
		t.Fatalf("client number %q: %v", acc.Client.Number, err)
	}
	got, err := w.svc.Client(w.ctx, acc.Actor, acc.Client.ID)
	if err != nil || got.Number != acc.Client.Number {
		t.Fatalf("client as owner: %+v, %v", got, err)
	}
}

func TestInviteTokenIsSingleUse(t *testing.T) {
	w := newWorld(t)
	inv, err := w.svc.InviteMember(w.ctx, w.owner, connect.InviteMemberParams{Email: "sam@example.com", Role: connect.RoleMember})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.AcceptInvite(w.ctx, inv.Token, connect.SignUp{Name: "Sam", Email: "sam@example.com"}); err != nil {
		t.Fatal(err)
	}
	_, err = w.svc.AcceptInvite(w.ctx, inv.Token, connect.SignUp{Name: "Eve", Email: "eve@example.com"})
	connecttest.WantCode(t, err, connect.Forbidden)
	members, _ := w.svc.Members(w.ctx, w.owner, "")
	if len(members) != 2 {
		t.Fatalf("team has %d members, want 2", len(members))
	}
}

func TestInviteExpires(t *testing.T) {
	w := newWorld(t)
	inv, err := w.svc.InviteMember(w.ctx, w.owner, connect.InviteMemberParams{Email: "sam@example.com", Role: connect.RoleMember})
	if err != nil {
		t.Fatal(err)
	}
	if got := inv.Invite.ExpiresAt.Sub(inv.Invite.CreatedAt); got != 7*24*time.Hour {
		t.Fatalf("invite lives %v, want 7 days", got)
	}
	w.advance(7*24*time.Hour + time.Second)
	_, err = w.svc.AcceptInvite(w.ctx, inv.Token, connect.SignUp{Name: "Sam", Email: "sam@example.com"})
	connecttest.WantCode(t, err, connect.Forbidden)
	if !strings.Contains(err.Error(), "expired") {
		t.Fatalf("error %q does not say the invite expired", err)
	}
}

func TestRevokedInviteIsRefused(t *testing.T) {
	w := newWorld(t)
	inv, err := w.svc.InviteClient(w.ctx, w.disp, connect.InviteClientParams{Name: "Florist"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.RevokeInvite(w.ctx, w.disp, inv.Invite.ID); err != nil {
		t.Fatal(err)
	}
	_, err = w.svc.AcceptInvite(w.ctx, inv.Token, connect.SignUp{Name: "F", Email: "f@example.com"})
	connecttest.WantCode(t, err, connect.Forbidden)
}

func TestResendInviteReplacesTheToken(t *testing.T) {
	w := newWorld(t)
	first, err := w.svc.InviteClient(w.ctx, w.disp, connect.InviteClientParams{Name: "Florist", Email: "f@example.com", SendEmail: true})
	if err != nil {
		t.Fatal(err)
	}
	second, err := w.svc.ResendInvite(w.ctx, w.disp, first.Invite.ID)
	if err != nil {
		t.Fatal(err)
	}
	if second.Token == first.Token || w.Mailer.Last().Token != second.Token {
		t.Fatal("resend did not mail a new token")
	}
	_, err = w.svc.AcceptInvite(w.ctx, first.Token, connect.SignUp{Name: "F", Email: "f@example.com"})
	connecttest.WantCode(t, err, connect.Forbidden)
	// The old link says it was replaced, when it is opened.
	if _, err := w.svc.Invitation(w.ctx, first.Token); connect.ErrorCode(err) != connect.Forbidden || !strings.Contains(err.Error(), "replaced by a newer one") {
		t.Fatalf("the replaced link: %v", err)
	}
	invs, err := w.svc.Invites(w.ctx, w.disp, "")
	if err != nil {
		t.Fatal(err)
	}
	replaced := slices.IndexFunc(invs, func(inv *connect.Invite) bool { return inv.ID == first.Invite.ID })
	if replaced < 0 || invs[replaced].ReplacedBy != second.Invite.ID {
		t.Fatalf("the first invite among %d: %d, replaced by the second: %v", len(invs), replaced, replaced >= 0 && invs[replaced].ReplacedBy == second.Invite.ID)
	}
	if _, err := w.svc.AcceptInvite(w.ctx, second.Token, connect.SignUp{Name: "F", Email: "f@example.com"}); err != nil {
		t.Fatal(err)
	}
}

func TestOnlyTheTokenHashIsStored(t *testing.T) {
	w := newWorld(t)
	inv, err := w.svc.InviteMember(w.ctx, w.owner, connect.InviteMemberParams{Email: "sam@example.com", Role: connect.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Token) < 22 { // 128 bits in base64url
		t.Fatalf("token %q is shorter than 128 bits", inv.Token)
	}
	stored, err := w.store.Invite(w.ctx, connect.Scope{Account: w.acct, Client: w.client.ID}, inv.Invite.ID)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(inv.Token))
	if !bytes.Equal(stored.TokenHash, sum[:]) {
		t.Fatal("stored hash is not the token's SHA-256")
	}
	if bytes.Contains(stored.TokenHash, []byte(inv.Token)) || strings.Contains(string(stored.ID), inv.Token) {
		t.Fatal("the token itself is stored")
	}
}

func TestUnknownTokenIsNotFound(t *testing.T) {
	w := newWorld(t)
	_, err := w.svc.AcceptInvite(w.ctx, "not-a-token", connect.SignUp{Name: "X", Email: "x@example.com"})
	connecttest.WantCode(t, err, connect.NotFound)
}

func TestFailedInviteMailLeavesNoInvite(t *testing.T) {
	mailer := mock.NewMockMailer(gomock.NewController(t))
	mailer.EXPECT().SendInvite(gomock.Any(), gomock.Cond(func(m connect.InviteMail) bool { return m.To == "f@example.com" })).
		Return(connect.Errorf(connect.Unavailable, "smtp down"))
	w := newWorldWith(t, func(c *connect.Config) { c.Mailer = mailer })
	before, _ := w.svc.Clients(w.ctx, w.disp)
	_, err := w.svc.InviteClient(w.ctx, w.disp, connect.InviteClientParams{Name: "Florist", Email: "f@example.com", SendEmail: true})
	connecttest.WantCode(t, err, connect.Unavailable)
	after, _ := w.svc.Clients(w.ctx, w.disp)
	if len(after) != len(before) {
		t.Fatalf("clients %d → %d after a failed invite", len(before), len(after))
	}
}

func TestDisabledClientsInviteAndTeamAreRefused(t *testing.T) {
	w := newWorld(t)
	inv, err := w.svc.InviteMember(w.ctx, w.owner, connect.InviteMemberParams{Email: "sam@example.com", Role: connect.RoleMember})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.DisableClient(w.ctx, w.disp, w.client.ID); err != nil {
		t.Fatal(err)
	}
	_, err = w.svc.AcceptInvite(w.ctx, inv.Token, connect.SignUp{Name: "Sam", Email: "sam@example.com"})
	connecttest.WantCode(t, err, connect.Forbidden)
	_, err = w.svc.Orders(w.ctx, w.owner, connect.ListOrdersParams{})
	connecttest.WantCode(t, err, connect.Forbidden)
	if _, err := w.svc.EnableClient(w.ctx, w.disp, w.client.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.Orders(w.ctx, w.owner, connect.ListOrdersParams{}); err != nil {
		t.Fatalf("after enabling: %v", err)
	}
}

func TestInviteClientValidates(t *testing.T) {
	w := newWorld(t)
	_, err := w.svc.InviteClient(w.ctx, w.disp, connect.InviteClientParams{Name: " ", Email: "nope", SendEmail: true})
	connecttest.WantCode(t, err, connect.Invalid)
	var e *connect.Error
	if !errors.As(err, &e) || len(e.Fields) != 2 {
		t.Fatalf("want two field errors, got %v", err)
	}
	_, err = w.svc.InviteClient(w.ctx, w.disp, connect.InviteClientParams{Name: "X", Settings: connect.ClientSettings{RequiredFields: connect.RequireFields("shoe_size")}})
	connecttest.WantCode(t, err, connect.Invalid)
}

// TestClientsPageWalksTheOverview lists the dispatcher's clients a page at a
// time, by name, each with its own counts and open invite, and finds one by a
// search.
func TestClientsPageWalksTheOverview(t *testing.T) {
	w := newWorld(t) // has "Green Grocer", signed up
	blue := w.NewClient("Blue Bakery", connect.ClientSettings{AllowUpload: true})
	w.Orders(blue.Owner.Actor, connect.StatusSubmitted, 3)
	w.Orders(w.owner, connect.StatusDraft, 2)
	invited, err := w.svc.InviteClient(w.ctx, w.disp, connect.InviteClientParams{Name: "Amber Apothecary"})
	if err != nil {
		t.Fatal(err)
	}

	var names []string
	byName := map[string]connect.ClientSummary{}
	cursor := ""
	for range 5 {
		page, err := w.svc.ClientsPage(w.ctx, w.disp, connect.ClientsParams{Cursor: cursor, Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		for _, cs := range page.Clients {
			names = append(names, cs.Client.Name)
			byName[cs.Client.Name] = cs
		}
		if cursor = page.Next; cursor == "" {
			break
		}
	}
	if want := []string{"Amber Apothecary", "Blue Bakery", "Green Grocer"}; !slices.Equal(names, want) {
		t.Fatalf("pages list %v, want %v", names, want)
	}
	if got := byName["Blue Bakery"].Orders[connect.StatusSubmitted]; got != 3 {
		t.Errorf("Blue Bakery's submitted orders: %d, want 3", got)
	}
	if got := byName["Green Grocer"].Orders; got[connect.StatusDraft] != 2 || got[connect.StatusSubmitted] != 0 {
		t.Errorf("Green Grocer's counts: %v", got)
	}
	if inv := byName["Amber Apothecary"].PendingInvite; inv == nil || inv.ID != invited.Invite.ID {
		t.Errorf("the invited client's pending invite: %+v", inv)
	}
	found, err := w.svc.ClientsPage(w.ctx, w.disp, connect.ClientsParams{Search: " bakery ", Count: true})
	if err != nil || len(found.Clients) != 1 || found.Clients[0].Client.ID != blue.Client.ID || found.Next != "" || found.Matching != 1 {
		t.Fatalf("search: %+v, %v", found, err)
	}
	// Counted, the whole list beyond its first page.
	if all, err := w.svc.ClientsPage(w.ctx, w.disp, connect.ClientsParams{Limit: 1, Count: true}); err != nil || len(all.Clients) != 1 || all.Matching < 3 {
		t.Fatalf("counted: %+v, %v", all, err)
	}
	_, err = w.svc.ClientsPage(w.ctx, w.disp, connect.ClientsParams{Cursor: "not a cursor!"})
	wantCode(t, err, connect.Invalid)
}
