package storagetest

import (
	"testing"

	"github.com/dispatchkit/connect"
)

// testTenantIsolation calls every method on one client's objects from the scope of
// another account and of another client of the same account: each lookup is
// ErrNotFound, each list is empty, and nothing changes.
func testTenantIsolation(t *testing.T, f *fixture) {
	// The victim: client c of account A, with a team, an invite and orders.
	c := f.client(f.account())
	owner := f.member(c, "Owner", connect.RoleOwner)
	inv := f.invite(c, 1)
	draft := f.order(c, connect.StatusDraft, 1)
	sub := f.order(c, connect.StatusSubmitted, 2)
	f.store(draft, sub)

	// Its portal objects: a password, an API key, a tracking link, a Shopify
	// order and token, an outbox entry.
	must(t, f.s.SetPassword(f.ctx, scopeOf(c), owner.ID, "$hash$owner"))
	key := &connect.APIKey{ID: connect.APIKeyID(f.id("key")), Account: c.Account, Client: c.ID, Name: "k",
		Hash: randomHash(), CreatedAt: f.at(1)}
	must(t, f.s.CreateAPIKey(f.ctx, connect.Scope{Account: key.Account, Client: key.Client}, key))
	link := &connect.TrackingLink{ID: connect.TrackingLinkID(f.id("tl")), Account: c.Account, Client: c.ID,
		Order: sub.ID, Hash: randomHash(), CreatedAt: f.at(1)}
	must(t, f.s.CreateTrackingLink(f.ctx, connect.Scope{Account: link.Account, Client: link.Client}, link))
	shop := f.id("shop") + ".myshopify.com"
	shopOrder := f.order(c, connect.StatusSubmitted, 3)
	shopOrder.Source, shopOrder.Shopify = connect.SourceShopify, connect.ShopifyRef{Shop: shop, OrderID: "gid://shopify/Order/7"}
	shopOrder.Recipient.Email = "pat@example.com"
	f.store(shopOrder)
	tokens, _ := f.s.(connect.ShopifyTokens)
	if tokens != nil {
		must(t, tokens.SaveShopifyToken(f.ctx, scopeOf(c), shop, []byte("sealed")))
	}
	must(t, f.s.AddOutbox(f.ctx, scopeOf(c), []connect.OutboxEntry{f.entry(c, 1)}))
	head := ""

	sibling := f.client(c.Account) // another client of account A
	stranger := f.client(f.account())

	snapshot := func() []any {
		t.Helper()
		cl, err := f.s.Client(f.ctx, connect.Scope{Account: c.Account}, c.ID)
		must(t, err)
		m, err := f.s.Member(f.ctx, scopeOf(c), owner.ID)
		must(t, err)
		i, err := f.s.Invite(f.ctx, scopeOf(c), inv.ID)
		must(t, err)
		creds, err := f.s.CredentialsByEmail(f.ctx, owner.Email)
		must(t, err)
		k, err := f.s.APIKeyByHash(f.ctx, key.Hash)
		must(t, err)
		l, err := f.s.TrackingLinkByHash(f.ctx, link.Hash)
		must(t, err)
		outbox, err := f.outbox(connect.Scope{Account: c.Account}, nil, 0)
		must(t, err)
		out := []any{cl, m, i, f.reload(draft), f.reload(sub), f.reload(shopOrder), f.history(draft), f.history(sub),
			creds, k, l, outbox}
		if tokens != nil {
			shop, sealed, err := tokens.ShopifyToken(f.ctx, scopeOf(c))
			must(t, err)
			out = append(out, shop, sealed)
		}
		return out
	}
	before := snapshot()

	for _, foreign := range []struct {
		name  string
		scope connect.Scope
	}{
		{"another account", connect.Scope{Account: stranger.Account}},
		{"another account, naming the client", connect.Scope{Account: stranger.Account, Client: c.ID}},
		{"another client of the account", scopeOf(sibling)},
		{"a client of another account", scopeOf(stranger)},
	} {
		t.Run(foreign.name, func(t *testing.T) {
			sc := foreign.scope
			notFound := func(what string, err error) {
				t.Helper()
				wantCode(t, what, err, connect.NotFound)
			}
			empty := func(what string, n int, err error) {
				t.Helper()
				must(t, err)
				if n != 0 {
					t.Fatalf("%s: %d results from a foreign scope", what, n)
				}
			}
			if sc.Account != c.Account {
				notFound("Client", second(f.s.Client(f.ctx, connect.Scope{Account: sc.Account}, c.ID)))
				notFound("ClientByNumber", second(f.s.ClientByNumber(f.ctx, connect.Scope{Account: sc.Account}, c.Number)))
				clients, err := f.s.Clients(f.ctx, connect.Scope{Account: sc.Account})
				must(t, err)
				for _, cl := range clients {
					if cl.Account != sc.Account {
						t.Fatalf("Clients lists %s of account %s", cl.ID, cl.Account)
					}
				}
				cl := *c
				cl.Account, cl.Name = sc.Account, "hijacked"
				notFound("UpdateClient", f.s.UpdateClient(f.ctx, connect.Scope{Account: cl.Account}, &cl))
			}
			counts, err := f.s.CountOrders(f.ctx, sc)
			must(t, err)
			if n := counts[c.ID].Total(); n != 0 {
				t.Fatalf("CountOrders counts %d orders of the client", n)
			}

			notFound("Member", second(f.s.Member(f.ctx, sc, owner.ID)))
			members, err := f.s.Members(f.ctx, sc)
			for _, m := range members {
				if m.Client == c.ID {
					t.Fatalf("Members lists %s", m.ID)
				}
			}
			must(t, err)
			m := *owner
			m.Account, m.Client, m.Name = sc.Account, sc.Client, "hijacked"
			if m.Client == "" {
				m.Client = c.ID // the account is wrong: enough to refuse
			}
			notFound("UpdateMember", f.s.UpdateMember(f.ctx, connect.Scope{Account: m.Account, Client: m.Client}, &m))
			notFound("DeleteMember", f.s.DeleteMember(f.ctx, sc, owner.ID))

			notFound("Invite", second(f.s.Invite(f.ctx, sc, inv.ID)))
			invites, err := f.s.Invites(f.ctx, sc)
			must(t, err)
			for _, i := range invites {
				if i.Client == c.ID {
					t.Fatalf("Invites lists %s", i.ID)
				}
			}
			i := *inv
			i.Account, i.Client, i.RevokedAt = sc.Account, sc.Client, f.at(50)
			if i.Client == "" {
				i.Client = c.ID
			}
			notFound("UpdateInvite", f.s.UpdateInvite(f.ctx, connect.Scope{Account: i.Account, Client: i.Client}, &i))

			for _, o := range []*connect.Order{draft, sub} {
				notFound("Order", second(f.s.Order(f.ctx, sc, o.ID)))
				h, err := f.s.History(f.ctx, sc, o.ID)
				empty("History", len(h), err)
				refs, err := f.s.ExistingRefs(f.ctx, sc, []string{o.Ref})
				empty("ExistingRefs", len(refs), err)
			}
			for _, q := range []connect.OrderQuery{
				{},
				{Statuses: []connect.Status{connect.StatusDraft}},
				{Statuses: connect.ViewActive.Statuses()},
				{Statuses: []connect.Status{connect.StatusSubmitted}, Depot: sub.Depot},
			} {
				orders, err := f.s.Orders(f.ctx, sc, q)
				must(t, err)
				for _, o := range orders {
					if o.Client == c.ID {
						t.Fatalf("Orders(%+v) lists %s", q, o.ID)
					}
				}
			}
			d := *draft
			d.Account, d.Client, d.Notes = sc.Account, sc.Client, "hijacked"
			if d.Client == "" {
				d.Client = c.ID
			}
			notFound("UpdateDraft", f.s.UpdateDraft(f.ctx, connect.Scope{Account: d.Account, Client: d.Client}, &d))
			notFound("DeleteDraft", f.s.DeleteDraft(f.ctx, sc, draft.ID, draft.Version))
			p := f.change(sub, connect.EventSchedule, connect.StatusScheduled, 60)
			notFound("SetStatuses", f.s.SetStatuses(f.ctx, sc, []connect.SetStatusParams{p}))
			byID, err := f.s.OrdersByID(f.ctx, sc, []connect.OrderID{draft.ID, sub.ID, shopOrder.ID})
			empty("OrdersByID", len(byID), err)

			evs, _, err := f.s.Events(f.ctx, sc, head, 1000)
			must(t, err)
			for _, ev := range evs {
				if ev.Client == c.ID {
					t.Fatalf("Events lists %s's event %s/%s", c.ID, ev.Order, ev.Event)
				}
			}
			notFound("SetPassword", f.s.SetPassword(f.ctx, sc, owner.ID, "stolen"))
			keys, err := f.s.APIKeys(f.ctx, sc)
			must(t, err)
			for _, k := range keys {
				if k.ID == key.ID {
					t.Fatal("APIKeys lists the client's key")
				}
			}
			k := *key
			k.Account, k.Client, k.RevokedAt = sc.Account, sc.Client, f.at(70)
			if k.Client == "" {
				k.Client = c.ID
			}
			notFound("UpdateAPIKey", f.s.UpdateAPIKey(f.ctx, connect.Scope{Account: k.Account, Client: k.Client}, &k))
			links, err := f.s.TrackingLinks(f.ctx, sc, sub.ID)
			empty("TrackingLinks", len(links), err)
			l := *link
			l.Account, l.Client, l.RevokedAt = sc.Account, sc.Client, f.at(70)
			if l.Client == "" {
				l.Client = c.ID
			}
			notFound("UpdateTrackingLink", f.s.UpdateTrackingLink(f.ctx, connect.Scope{Account: l.Account, Client: l.Client}, &l))
			nl := *link
			nl.ID, nl.Hash, nl.Account, nl.Client = connect.TrackingLinkID(f.id("tl")), randomHash(), sc.Account, sc.Client
			if nl.Client == "" {
				nl.Client = sibling.ID
			}
			notFound("CreateTrackingLink for the client's order", f.s.CreateTrackingLink(f.ctx, connect.Scope{Account: nl.Account, Client: nl.Client}, &nl))
			n, err := f.s.RedactOrders(f.ctx, sc, connect.RedactParams{Shop: shop, WholeShop: true, Reason: "foreign", At: f.at(70)})
			must(t, err)
			if n != 0 {
				t.Fatalf("RedactOrders redacted %d of the client's orders", n)
			}
			if sc.Account != c.Account {
				entries, err := f.outbox(connect.Scope{Account: sc.Account}, nil, 0)
				empty("Outbox", len(entries), err)
			}
			if tokens != nil && sc.Client != "" {
				_, _, err := tokens.ShopifyToken(f.ctx, connect.Scope{Account: sc.Account, Client: c.ID})
				if sc.Account != c.Account {
					notFound("ShopifyToken", err)
					notFound("SaveShopifyToken", tokens.SaveShopifyToken(f.ctx, connect.Scope{Account: sc.Account, Client: c.ID}, "evil", []byte("x")))
					must(t, tokens.DeleteShopifyToken(f.ctx, connect.Scope{Account: sc.Account, Client: c.ID}))
				}
			}
		})
	}
	same(t, "the client's objects after foreign calls", before, snapshot())

	// The account's own scope reaches everything of its clients.
	all := connect.Scope{Account: c.Account}
	if _, err := f.s.Order(f.ctx, all, sub.ID); err != nil {
		t.Fatalf("the account cannot read its client's order: %v", err)
	}
	if _, err := f.s.Member(f.ctx, all, owner.ID); err != nil {
		t.Fatalf("the account cannot read its client's member: %v", err)
	}
	if _, err := f.s.Invite(f.ctx, all, inv.ID); err != nil {
		t.Fatalf("the account cannot read its client's invite: %v", err)
	}
}
