package storagetest

import (
	"crypto/rand"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/dispatchkit/connect"
)

func testClientRoundTrip(t *testing.T, f *fixture) {
	account := f.account()
	c := &connect.Client{
		ID: connect.ClientID(f.id("cl")), Account: account, Name: "Ærøskøbing Bakery 🥐",
		Email: "orders@bakery.example", Status: connect.ClientActive,
		Number: connect.ClientNumber(f.id("n")),
		Settings: connect.ClientSettings{
			AllowUpload:    true,
			RequiredFields: connect.RequireFields(connect.FieldZip, connect.FieldRecipientPhone),
			DefaultDepot:   "depot-north",
		},
		Shopify:     connect.ShopifyLink{Shop: "bakery.myshopify.com", LinkedAt: f.at(3)},
		Fulfillment: connect.FulfillmentSettings{AutoFulfill: true, NotifyCustomer: true, Mode: connect.FulfillOnStart},
		CreatedAt:   f.at(1), UpdatedAt: f.at(2),
	}
	must(t, f.s.CreateClient(f.ctx, connect.Scope{Account: c.Account}, c))
	got, err := f.s.Client(f.ctx, connect.Scope{Account: account}, c.ID)
	must(t, err)
	same(t, "Client", c, got)
	got, err = f.s.ClientByNumber(f.ctx, connect.Scope{Account: account}, c.Number)
	must(t, err)
	same(t, "ClientByNumber", c, got)

	bare := &connect.Client{ID: connect.ClientID(f.id("cl")), Account: account, Name: "Bare",
		Status: connect.ClientInvited, CreatedAt: f.at(4), UpdatedAt: f.at(4)}
	must(t, f.s.CreateClient(f.ctx, connect.Scope{Account: bare.Account}, bare))
	got, err = f.s.Client(f.ctx, connect.Scope{Account: account}, bare.ID)
	must(t, err)
	same(t, "client with zero values", bare, got)
}

func testInvitedClientsWithoutNumber(t *testing.T, f *fixture) {
	account := f.account()
	for i := range 3 {
		c := &connect.Client{ID: connect.ClientID(f.id("cl")), Account: account, Name: "Invited",
			Status: connect.ClientInvited, CreatedAt: f.at(i), UpdatedAt: f.at(i)}
		must(t, f.s.CreateClient(f.ctx, connect.Scope{Account: c.Account}, c))
		got, err := f.s.Client(f.ctx, connect.Scope{Account: account}, c.ID)
		must(t, err)
		if got.Number != "" {
			t.Fatalf("invited client's number = %q, want empty", got.Number)
		}
	}
	_, err := f.s.ClientByNumber(f.ctx, connect.Scope{Account: account}, "")
	wantCode(t, `ClientByNumber("")`, err, connect.NotFound)
}

func testClientNumberUnique(t *testing.T, f *fixture) {
	a := f.client(f.account())
	for _, account := range []connect.AccountID{a.Account, f.account()} {
		dup := &connect.Client{ID: connect.ClientID(f.id("cl")), Account: account, Name: "Dup",
			Status: connect.ClientActive, Number: a.Number, CreatedAt: f.at(0), UpdatedAt: f.at(0)}
		wantCode(t, "CreateClient with a taken number", f.s.CreateClient(f.ctx, connect.Scope{Account: dup.Account}, dup), connect.Conflict)
		_, err := f.s.Client(f.ctx, connect.Scope{Account: account}, dup.ID)
		wantCode(t, "the refused client", err, connect.NotFound)
	}
	dup := &connect.Client{ID: a.ID, Account: a.Account, Name: "Same id", Status: connect.ClientInvited,
		CreatedAt: f.at(0), UpdatedAt: f.at(0)}
	wantCode(t, "CreateClient with a taken id", f.s.CreateClient(f.ctx, connect.Scope{Account: dup.Account}, dup), connect.Conflict)

	b := f.client(a.Account)
	b.Number = a.Number
	wantCode(t, "UpdateClient to a taken number", f.s.UpdateClient(f.ctx, connect.Scope{Account: b.Account}, b), connect.Conflict)
}

func testClientNotFound(t *testing.T, f *fixture) {
	c := f.client(f.account())
	other := f.account()
	for name, err := range map[string]error{
		"unknown id":               second(f.s.Client(f.ctx, connect.Scope{Account: c.Account}, connect.ClientID(f.id("cl")))),
		"another account's":        second(f.s.Client(f.ctx, connect.Scope{Account: other}, c.ID)),
		"unknown number":           second(f.s.ClientByNumber(f.ctx, connect.Scope{Account: c.Account}, connect.ClientNumber(f.id("n")))),
		"another account's number": second(f.s.ClientByNumber(f.ctx, connect.Scope{Account: other}, c.Number)),
	} {
		wantCode(t, name, err, connect.NotFound)
	}
}

func second[T any](_ T, err error) error { return err }

func testClientsByName(t *testing.T, f *fixture) {
	account := f.account()
	var want []*connect.Client
	for _, name := range []string{"Zephyr", "Acme", "Mango", "Bolt"} {
		c := &connect.Client{ID: connect.ClientID(f.id("cl")), Account: account, Name: name,
			Status: connect.ClientInvited, CreatedAt: f.at(0), UpdatedAt: f.at(0)}
		must(t, f.s.CreateClient(f.ctx, connect.Scope{Account: c.Account}, c))
		want = append(want, c)
	}
	f.client(f.account()) // another account's: not listed
	want = []*connect.Client{want[1], want[3], want[2], want[0]}
	got, err := f.s.Clients(f.ctx, connect.Scope{Account: account})
	must(t, err)
	same(t, "Clients", want, got)
	got, err = f.s.Clients(f.ctx, connect.Scope{Account: f.account()})
	must(t, err)
	if len(got) != 0 {
		t.Fatalf("an account without clients lists %d", len(got))
	}
}

func testClientsPage(t *testing.T, f *fixture) {
	account := f.account()
	for i, name := range []string{"Zephyr Foods", "Acme", "Mango & Co", "Bolt", "acme north", "100% Organic", "Mango & Co"} {
		c := &connect.Client{ID: connect.ClientID(f.id("cl")), Account: account, Name: name,
			Email: fmt.Sprintf("ops%d@example.com", i), Number: connect.ClientNumber(fmt.Sprintf("N-%d%s", i, f.id(""))),
			Status: connect.ClientActive, CreatedAt: f.at(0), UpdatedAt: f.at(0)}
		must(t, f.s.CreateClient(f.ctx, connect.Scope{Account: c.Account}, c))
	}
	other := f.client(f.account()) // another account's: never listed
	names := func(cs []*connect.Client) []string {
		var out []string
		for _, c := range cs {
			out = append(out, c.Name)
		}
		return out
	}
	// Page by page, two at a time, the whole list in order, a name given twice
	// split across pages by its id.
	all, err := f.s.Clients(f.ctx, connect.Scope{Account: account})
	must(t, err)
	var paged []*connect.Client
	var after *connect.ClientCursor
	for range 10 {
		page, err := f.s.ClientsPage(f.ctx, connect.Scope{Account: account}, connect.ClientQuery{After: after, Limit: 2})
		must(t, err)
		if len(page) == 0 {
			break
		}
		paged = append(paged, page...)
		last := page[len(page)-1]
		after = &connect.ClientCursor{Name: last.Name, ID: last.ID}
	}
	same(t, "every page in turn", all, paged)
	if n, err := f.s.CountClients(f.ctx, connect.Scope{Account: account}, connect.ClientQuery{}); err != nil || n != 7 {
		t.Fatalf("counted %d clients (%v), want 7", n, err)
	}
	if len(paged) != 7 {
		t.Fatalf("paged %d clients, want 7: %v", len(paged), names(paged))
	}
	for _, tc := range []struct {
		search string
		want   int
	}{{"ACME", 2}, {"mango &", 2}, {"100%", 1}, {"%", 1}, {"ops3@", 1}, {"N-1", 1}, {other.Name, 0}} {
		got, err := f.s.ClientsPage(f.ctx, connect.Scope{Account: account}, connect.ClientQuery{Search: tc.search})
		must(t, err)
		if len(got) != tc.want {
			t.Errorf("search %q found %v, want %d", tc.search, names(got), tc.want)
		}
		n, err := f.s.CountClients(f.ctx, connect.Scope{Account: account}, connect.ClientQuery{Search: tc.search, Limit: 1})
		must(t, err)
		if n != tc.want {
			t.Errorf("search %q counted %d, want %d", tc.search, n, tc.want)
		}
	}
}

func testClientOrderCounts(t *testing.T, f *fixture) {
	c := f.client(f.account())
	d := f.client(c.Account)
	e := f.client(c.Account)
	f.orders(c, connect.StatusDraft, 0, 2)
	f.orders(d, connect.StatusSubmitted, 10, 3)
	f.orders(e, connect.StatusDelivered, 20, 1)
	stranger := f.client(f.account())
	f.orders(stranger, connect.StatusDraft, 30, 4)
	got, err := f.s.CountClientOrders(f.ctx, connect.Scope{Account: c.Account}, []connect.ClientID{c.ID, d.ID, stranger.ID})
	must(t, err)
	same(t, "the counts of the clients asked, in the account", map[connect.ClientID]connect.StatusCounts{
		c.ID: {connect.StatusDraft: 2}, d.ID: {connect.StatusSubmitted: 3}}, nonZero(got))
	got, err = f.s.CountClientOrders(f.ctx, connect.Scope{Account: c.Account}, nil)
	must(t, err)
	if len(got) != 0 {
		t.Fatalf("no clients asked, counts %v", got)
	}
}

func testUpdateClient(t *testing.T, f *fixture) {
	c := f.client(f.account())
	stale := *c
	v := c.Version
	c.Name, c.Email, c.Status, c.UpdatedAt = "Renamed", "new@example.com", connect.ClientDisabled, f.at(9)
	c.Settings = connect.ClientSettings{RequiredFields: connect.RequireFields(connect.FieldSize), DefaultDepot: "d2"}
	c.Shopify = connect.ShopifyLink{Shop: "x.myshopify.com", LinkedAt: f.at(8)}
	c.Fulfillment = connect.FulfillmentSettings{AutoFulfill: true, Mode: connect.FulfillOnDelivery}
	must(t, f.s.UpdateClient(f.ctx, connect.Scope{Account: c.Account}, c))
	if c.Version != v+1 {
		t.Fatalf("Version after UpdateClient = %d, want %d", c.Version, v+1)
	}
	got, err := f.s.Client(f.ctx, connect.Scope{Account: c.Account}, c.ID)
	must(t, err)
	same(t, "updated client", c, got)

	stale.Name = "Lost update"
	wantCode(t, "UpdateClient at a stale version", f.s.UpdateClient(f.ctx, connect.Scope{Account: stale.Account}, &stale), connect.Conflict)
	if stale.Version != v {
		t.Fatalf("a refused update moved Version to %d", stale.Version)
	}
	missing := *c
	missing.ID = connect.ClientID(f.id("cl"))
	wantCode(t, "UpdateClient of an unknown client", f.s.UpdateClient(f.ctx, connect.Scope{Account: missing.Account}, &missing), connect.NotFound)
	foreign := *c
	foreign.Account, foreign.Name = f.account(), "Hijacked"
	wantCode(t, "UpdateClient from another account", f.s.UpdateClient(f.ctx, connect.Scope{Account: foreign.Account}, &foreign), connect.NotFound)
	got, err = f.s.Client(f.ctx, connect.Scope{Account: c.Account}, c.ID)
	must(t, err)
	same(t, "client after refused updates", c, got)
}

func testMembers(t *testing.T, f *fixture) {
	c := f.client(f.account())
	bob := f.member(c, "Bob", connect.RoleMember)
	zed := f.member(c, "Zed", connect.RoleOwner)
	ann := f.member(c, "Ann", connect.RoleAdmin)
	f.member(f.client(c.Account), "Other team", connect.RoleOwner)

	got, err := f.s.Members(f.ctx, scopeOf(c))
	must(t, err)
	same(t, "Members", []*connect.Member{zed, ann, bob}, got)
	m, err := f.s.Member(f.ctx, scopeOf(c), ann.ID)
	must(t, err)
	same(t, "Member", ann, m)
	m, err = f.s.Member(f.ctx, connect.Scope{Account: c.Account}, ann.ID)
	must(t, err)
	same(t, "Member in the account's scope", ann, m)
	_, err = f.s.Member(f.ctx, scopeOf(c), connect.MemberID(f.id("mb")))
	wantCode(t, "unknown member", err, connect.NotFound)
}

func testMemberEmailUnique(t *testing.T, f *fixture) {
	c := f.client(f.account())
	ann := f.member(c, "Ann", connect.RoleOwner)
	dup := &connect.Member{ID: connect.MemberID(f.id("mb")), Account: c.Account, Client: c.ID,
		Name: "Ann again", Email: ann.Email, Role: connect.RoleMember, CreatedAt: f.at(0), UpdatedAt: f.at(0)}
	wantCode(t, "CreateMember with an email on the team", f.s.CreateMember(f.ctx, connect.Scope{Account: dup.Account, Client: dup.Client}, dup), connect.Conflict)
	_, err := f.s.Member(f.ctx, scopeOf(c), dup.ID)
	wantCode(t, "the refused member", err, connect.NotFound)

	d := f.client(c.Account)
	dup.Client = d.ID
	must(t, f.s.CreateMember(f.ctx, connect.Scope{Account: dup.Account, Client: dup.Client}, dup)) // the same person may be on another client's team

	bob := f.member(c, "Bob", connect.RoleMember)
	bob.Email = ann.Email
	wantCode(t, "UpdateMember to an email on the team", f.s.UpdateMember(f.ctx, connect.Scope{Account: bob.Account, Client: bob.Client}, bob), connect.Conflict)
}

func testUpdateMember(t *testing.T, f *fixture) {
	c := f.client(f.account())
	m := f.member(c, "Ann", connect.RoleMember)
	stale := *m
	v := m.Version
	m.Role, m.Name, m.UpdatedAt = connect.RoleAdmin, "Ann B.", f.at(7)
	must(t, f.s.UpdateMember(f.ctx, connect.Scope{Account: m.Account, Client: m.Client}, m))
	if m.Version != v+1 {
		t.Fatalf("Version after UpdateMember = %d, want %d", m.Version, v+1)
	}
	got, err := f.s.Member(f.ctx, scopeOf(c), m.ID)
	must(t, err)
	same(t, "updated member", m, got)
	wantCode(t, "UpdateMember at a stale version", f.s.UpdateMember(f.ctx, connect.Scope{Account: stale.Account, Client: stale.Client}, &stale), connect.Conflict)
	missing := *m
	missing.ID = connect.MemberID(f.id("mb"))
	wantCode(t, "UpdateMember of an unknown member", f.s.UpdateMember(f.ctx, connect.Scope{Account: missing.Account, Client: missing.Client}, &missing), connect.NotFound)
}

// testMemberLanguage: a member's choice of language is stored when the member
// is made and when it changes, and read back by Member and Members.
func testMemberLanguage(t *testing.T, f *fixture) {
	c := f.client(f.account())
	m := f.member(c, "Ann", connect.RoleOwner)
	if m.Language != "" {
		t.Fatalf("a new member's Language = %q, want \"\"", m.Language)
	}
	m.Language, m.UpdatedAt = "fr", f.at(8)
	must(t, f.s.UpdateMember(f.ctx, scopeOf(c), m))
	got, err := f.s.Member(f.ctx, scopeOf(c), m.ID)
	must(t, err)
	same(t, "member with a language", m, got)
	list, err := f.s.Members(f.ctx, scopeOf(c))
	must(t, err)
	if len(list) != 1 || list[0].Language != "fr" {
		t.Fatalf("Members = %+v, want Ann with Language fr", list)
	}
	bob := &connect.Member{ID: connect.MemberID(f.id("mb")), Account: c.Account, Client: c.ID, Name: "Bob",
		Email: "bob-" + f.id("e") + "@example.com", Role: connect.RoleMember, Language: "es-MX", CreatedAt: f.at(9), UpdatedAt: f.at(9)}
	must(t, f.s.CreateMember(f.ctx, scopeOf(c), bob))
	got, err = f.s.Member(f.ctx, scopeOf(c), bob.ID)
	must(t, err)
	same(t, "member made with a language", bob, got)
}

func testDeleteMember(t *testing.T, f *fixture) {
	c := f.client(f.account())
	ann := f.member(c, "Ann", connect.RoleOwner)
	bob := f.member(c, "Bob", connect.RoleMember)
	must(t, f.s.DeleteMember(f.ctx, scopeOf(c), bob.ID))
	_, err := f.s.Member(f.ctx, scopeOf(c), bob.ID)
	wantCode(t, "deleted member", err, connect.NotFound)
	wantCode(t, "deleting again", f.s.DeleteMember(f.ctx, scopeOf(c), bob.ID), connect.NotFound)
	got, err := f.s.Members(f.ctx, scopeOf(c))
	must(t, err)
	same(t, "Members after delete", []*connect.Member{ann}, got)
}

func testInviteRoundTrip(t *testing.T, f *fixture) {
	c := f.client(f.account())
	inv := f.invite(c, 1)
	got, err := f.s.Invite(f.ctx, scopeOf(c), inv.ID)
	must(t, err)
	same(t, "Invite", inv, got)
	got, err = f.s.Invite(f.ctx, connect.Scope{Account: c.Account}, inv.ID)
	must(t, err)
	same(t, "Invite in the account's scope", inv, got)
	got, err = f.s.InviteByTokenHash(f.ctx, inv.TokenHash)
	must(t, err)
	same(t, "InviteByTokenHash", inv, got)

	unknown := make([]byte, 32)
	_, _ = rand.Read(unknown)
	_, err = f.s.InviteByTokenHash(f.ctx, unknown)
	wantCode(t, "InviteByTokenHash of an unknown token", err, connect.NotFound)
	_, err = f.s.Invite(f.ctx, scopeOf(c), connect.InviteID(f.id("iv")))
	wantCode(t, "unknown invite", err, connect.NotFound)
}

func testInviteTokenUnique(t *testing.T, f *fixture) {
	c := f.client(f.account())
	inv := f.invite(c, 1)
	dup := *inv
	dup.ID = connect.InviteID(f.id("iv"))
	wantCode(t, "CreateInvite with a taken token hash", f.s.CreateInvite(f.ctx, connect.Scope{Account: dup.Account, Client: dup.Client}, &dup), connect.Conflict)
}

func testInvitesNewestFirst(t *testing.T, f *fixture) {
	c := f.client(f.account())
	d := f.client(c.Account)
	i1, i2, i3 := f.invite(c, 1), f.invite(d, 2), f.invite(c, 3)
	f.invite(f.client(f.account()), 4)
	got, err := f.s.Invites(f.ctx, connect.Scope{Account: c.Account})
	must(t, err)
	same(t, "the account's invites", []*connect.Invite{i3, i2, i1}, got)
	got, err = f.s.Invites(f.ctx, scopeOf(c))
	must(t, err)
	same(t, "the client's invites", []*connect.Invite{i3, i1}, got)
}

func testUpdateInvite(t *testing.T, f *fixture) {
	c := f.client(f.account())
	owner := f.member(c, "Owner", connect.RoleOwner)
	inv := f.invite(c, 1)
	stale := *inv
	v := inv.Version
	inv.AcceptedAt, inv.AcceptedBy, inv.ReplacedBy = f.at(5), owner.ID, connect.InviteID(f.id("iv"))
	must(t, f.s.UpdateInvite(f.ctx, connect.Scope{Account: inv.Account, Client: inv.Client}, inv))
	if inv.Version != v+1 {
		t.Fatalf("Version after UpdateInvite = %d, want %d", inv.Version, v+1)
	}
	got, err := f.s.Invite(f.ctx, scopeOf(c), inv.ID)
	must(t, err)
	same(t, "updated invite", inv, got)
	stale.RevokedAt = f.at(6)
	wantCode(t, "UpdateInvite at a stale version", f.s.UpdateInvite(f.ctx, connect.Scope{Account: stale.Account, Client: stale.Client}, &stale), connect.Conflict)
	missing := *inv
	missing.ID = connect.InviteID(f.id("iv"))
	wantCode(t, "UpdateInvite of an unknown invite", f.s.UpdateInvite(f.ctx, connect.Scope{Account: missing.Account, Client: missing.Client}, &missing), connect.NotFound)
}

func testInviteAcceptRace(t *testing.T, f *fixture) {
	c := f.client(f.account())
	inv := f.invite(c, 1)
	const n = 10
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			mine := *inv
			mine.AcceptedAt, mine.AcceptedBy = f.at(2).Add(time.Duration(i)*time.Microsecond), connect.MemberID(f.id("mb"))
			errs[i] = f.s.UpdateInvite(f.ctx, connect.Scope{Account: mine.Account, Client: mine.Client}, &mine)
		})
	}
	wg.Wait()
	wins := 0
	for _, err := range errs {
		if err == nil {
			wins++
			continue
		}
		wantCode(t, "a losing accept", err, connect.Conflict)
	}
	if wins != 1 {
		t.Fatalf("%d accepts won, want exactly 1", wins)
	}
	got, err := f.s.Invite(f.ctx, scopeOf(c), inv.ID)
	must(t, err)
	if got.Version != inv.Version+1 {
		t.Fatalf("Version = %d, want %d", got.Version, inv.Version+1)
	}
}
