package storagetest

import (
	"testing"
	"time"

	"github.com/dispatchkit/connect"
)

// The tenant isolation tests, one per role: each stores one client's objects,
// then calls every scoped method of the role on them from the scope of another
// account, of another account naming the client, of another client of the same
// account, and of a client of another account. Each lookup is ErrNotFound, each
// list leaves the client's objects out, each write is refused with ErrNotFound
// (both the client's object as it is, and the object rewritten to name the
// foreign tenant), and the client's objects read back unchanged afterwards.

// foreign is a scope from which a client's objects must be out of reach.
type foreign struct {
	name  string
	scope connect.Scope
}

// isolation makes the victim client c, and the foreign scopes around it.
func (f *fixture) isolation() (c *connect.Client, sibling *connect.Client, scopes []foreign) {
	f.t.Helper()
	c = f.client(f.account())
	sibling = f.client(c.Account) // another client of the account
	stranger := f.client(f.account())
	return c, sibling, []foreign{
		{"another account", connect.Scope{Account: stranger.Account}},
		{"another account, naming the client", connect.Scope{Account: stranger.Account, Client: c.ID}},
		{"another client of the account", scopeOf(sibling)},
		{"a client of another account", scopeOf(stranger)},
	}
}

// eachForeign runs check once per foreign scope, and then compares what
// snapshot reads before and after.
func eachForeign(t *testing.T, scopes []foreign, snapshot func() []any, check func(t *testing.T, sc connect.Scope)) {
	t.Helper()
	before := snapshot()
	for _, fs := range scopes {
		t.Run(fs.name, func(t *testing.T) { check(t, fs.scope) })
	}
	same(t, "the client's objects after foreign calls", before, snapshot())
}

func notFound(t *testing.T, what string, err error) {
	t.Helper()
	wantCode(t, what, err, connect.NotFound)
}

// none fails the test when a list from a foreign scope holds one of the client's
// objects (own says which).
func none[T any](t *testing.T, what string, list []T, err error, own func(T) bool) {
	t.Helper()
	must(t, err)
	for _, x := range list {
		if own(x) {
			t.Fatalf("%s from a foreign scope lists %+v", what, x)
		}
	}
}

// retenant returns the tenant an object rewritten into the foreign scope names:
// the scope's account, and its client or, for a scope of a whole account, the
// victim's client id (the wrong account is enough to refuse).
func retenant(sc connect.Scope, client connect.ClientID) (connect.AccountID, connect.ClientID) {
	if sc.Client == "" {
		return sc.Account, client
	}
	return sc.Account, sc.Client
}

func testClientsIsolation(t *testing.T, f *fixture) {
	c, _, scopes := f.isolation()
	snapshot := func() []any { return []any{second2(f.s.Client(f.ctx, scopeOf(c), c.ID))} }
	eachForeign(t, scopes, snapshot, func(t *testing.T, sc connect.Scope) {
		notFound(t, "Client", second(f.s.Client(f.ctx, sc, c.ID)))
		notFound(t, "ClientByNumber", second(f.s.ClientByNumber(f.ctx, sc, c.Number)))
		list, err := f.s.Clients(f.ctx, sc)
		none(t, "Clients", list, err, func(x *connect.Client) bool { return x.ID == c.ID })
		mine := *c
		mine.Name = "hijacked"
		notFound(t, "UpdateClient of the client as it is", f.s.UpdateClient(f.ctx, sc, &mine))
		moved := *c
		moved.Account, moved.Name = sc.Account, "hijacked"
		notFound(t, "UpdateClient of the client named in the foreign account", f.s.UpdateClient(f.ctx, sc, &moved))
		nc := &connect.Client{ID: connect.ClientID(f.id("cl")), Account: c.Account, Name: "planted",
			Status: connect.ClientInvited, CreatedAt: f.at(5), UpdatedAt: f.at(5)}
		notFound(t, "CreateClient in the client's account", f.s.CreateClient(f.ctx, sc, nc))
		notFound(t, "the planted client", second(f.s.Client(f.ctx, connect.Scope{Account: c.Account}, nc.ID)))
	})
}

func testTeamIsolation(t *testing.T, f *fixture) {
	c, _, scopes := f.isolation()
	owner := f.member(c, "Owner", connect.RoleOwner)
	snapshot := func() []any {
		return []any{second2(f.s.Member(f.ctx, scopeOf(c), owner.ID)), second2(f.s.Members(f.ctx, scopeOf(c)))}
	}
	eachForeign(t, scopes, snapshot, func(t *testing.T, sc connect.Scope) {
		notFound(t, "Member", second(f.s.Member(f.ctx, sc, owner.ID)))
		list, err := f.s.Members(f.ctx, sc)
		none(t, "Members", list, err, func(m *connect.Member) bool { return m.Client == c.ID })
		mine := *owner
		mine.Name = "hijacked"
		notFound(t, "UpdateMember of the member as it is", f.s.UpdateMember(f.ctx, sc, &mine))
		moved := *owner
		moved.Account, moved.Client = retenant(sc, c.ID)
		moved.Name = "hijacked"
		notFound(t, "UpdateMember of the member named in the foreign tenant", f.s.UpdateMember(f.ctx, sc, &moved))
		notFound(t, "DeleteMember", f.s.DeleteMember(f.ctx, sc, owner.ID))
		planted := &connect.Member{ID: connect.MemberID(f.id("mb")), Account: c.Account, Client: c.ID, Name: "Planted",
			Email: f.id("") + "@example.com", Role: connect.RoleAdmin, CreatedAt: f.at(5), UpdatedAt: f.at(5)}
		notFound(t, "CreateMember on the client's team", f.s.CreateMember(f.ctx, sc, planted))
	})
}

func testInvitesIsolation(t *testing.T, f *fixture) {
	c, _, scopes := f.isolation()
	inv := f.invite(c, 1)
	snapshot := func() []any {
		return []any{second2(f.s.Invite(f.ctx, scopeOf(c), inv.ID)), second2(f.s.Invites(f.ctx, scopeOf(c)))}
	}
	eachForeign(t, scopes, snapshot, func(t *testing.T, sc connect.Scope) {
		notFound(t, "Invite", second(f.s.Invite(f.ctx, sc, inv.ID)))
		list, err := f.s.Invites(f.ctx, sc)
		none(t, "Invites", list, err, func(i *connect.Invite) bool { return i.Client == c.ID })
		mine := *inv
		mine.RevokedAt = f.at(50)
		notFound(t, "UpdateInvite of the invite as it is", f.s.UpdateInvite(f.ctx, sc, &mine))
		moved := *inv
		moved.Account, moved.Client = retenant(sc, c.ID)
		moved.RevokedAt = f.at(50)
		notFound(t, "UpdateInvite of the invite named in the foreign tenant", f.s.UpdateInvite(f.ctx, sc, &moved))
		planted := *inv
		planted.ID, planted.TokenHash, planted.Version = connect.InviteID(f.id("iv")), randomHash(), 0
		notFound(t, "CreateInvite to the client's team", f.s.CreateInvite(f.ctx, sc, &planted))
	})
}

func testOrdersIsolation(t *testing.T, f *fixture) {
	c, _, scopes := f.isolation()
	draft := f.order(c, connect.StatusDraft, 1)
	sub := f.order(c, connect.StatusSubmitted, 2)
	draft.Fingerprint, sub.Fingerprint = "fp-"+f.id(""), "fp-"+f.id("")
	f.store(draft, sub)
	snapshot := func() []any { return []any{f.reload(draft), f.reload(sub), f.history(draft), f.history(sub)} }
	mine := func(o *connect.Order) bool { return o.Client == c.ID }
	eachForeign(t, scopes, snapshot, func(t *testing.T, sc connect.Scope) {
		for _, o := range []*connect.Order{draft, sub} {
			notFound(t, "Order", second(f.s.Order(f.ctx, sc, o.ID)))
			h, err := f.s.History(f.ctx, sc, o.ID)
			none(t, "History", h, err, func(connect.OrderEvent) bool { return true })
			refs, err := f.s.ExistingRefs(f.ctx, sc, []string{o.Ref})
			none(t, "ExistingRefs", refs, err, func(string) bool { return true })
			fps, err := f.s.ExistingFingerprints(f.ctx, sc, []string{o.Fingerprint})
			must(t, err)
			if len(fps) != 0 {
				t.Fatalf("ExistingFingerprints from a foreign scope counts %v", fps)
			}
		}
		for _, q := range []connect.OrderQuery{
			{},
			{Statuses: []connect.Status{connect.StatusDraft}},
			{Statuses: connect.ViewActive.Statuses()},
			{Statuses: []connect.Status{connect.StatusSubmitted}, Depot: sub.Depot},
		} {
			list, err := f.s.Orders(f.ctx, sc, q)
			none(t, "Orders", list, err, mine)
		}
		byID, err := f.s.OrdersByID(f.ctx, sc, []connect.OrderID{draft.ID, sub.ID})
		none(t, "OrdersByID", byID, err, mine)
		counts, err := f.s.CountOrders(f.ctx, sc)
		must(t, err)
		if n := counts[c.ID].Total(); n != 0 {
			t.Fatalf("CountOrders counts %d orders of the client", n)
		}

		d := *draft
		d.Notes = "hijacked"
		notFound(t, "UpdateDraft of the order as it is", f.s.UpdateDraft(f.ctx, sc, &d))
		moved := *draft
		moved.Account, moved.Client = retenant(sc, c.ID)
		moved.Notes = "hijacked"
		notFound(t, "UpdateDraft of the order named in the foreign tenant", f.s.UpdateDraft(f.ctx, sc, &moved))
		notFound(t, "DeleteDraft", f.s.DeleteDraft(f.ctx, sc, draft.ID, draft.Version))
		planted := f.order(c, connect.StatusSubmitted, 3)
		notFound(t, "CreateOrders for the client", f.s.CreateOrders(f.ctx, sc, []*connect.Order{planted}, nil))
		notFound(t, "the planted order", second(f.s.Order(f.ctx, scopeOf(c), planted.ID)))
	})
}

func testStatusesIsolation(t *testing.T, f *fixture) {
	c, _, scopes := f.isolation()
	sub := f.orders(c, connect.StatusSubmitted, 1, 1)[0]
	snapshot := func() []any { return []any{f.reload(sub), f.history(sub)} }
	eachForeign(t, scopes, snapshot, func(t *testing.T, sc connect.Scope) {
		p := f.change(sub, connect.EventSchedule, connect.StatusScheduled, 60)
		notFound(t, "SetStatuses of the order as it is", f.s.SetStatuses(f.ctx, sc, []connect.SetStatusParams{p}))
		moved := f.change(sub, connect.EventSchedule, connect.StatusScheduled, 60)
		moved.Order.Account, moved.Order.Client = retenant(sc, c.ID)
		notFound(t, "SetStatuses of the order named in the foreign tenant", f.s.SetStatuses(f.ctx, sc, []connect.SetStatusParams{moved}))
	})
}

func testRouteEventsIsolation(t *testing.T, f *fixture) {
	c, _, scopes := f.isolation()
	ids := []string{f.id("ev"), f.id("ev")}
	fresh, err := f.s.RecordHostEvents(f.ctx, scopeOf(c), ids)
	must(t, err)
	same(t, "the account's first recording", ids, fresh)
	recorded := map[connect.AccountID]bool{}
	for _, fs := range scopes {
		if fs.scope.Account == c.Account {
			continue // one account: its route events are the account's, whichever client
		}
		t.Run(fs.name, func(t *testing.T) {
			// Another account's host may use the same ids: they are its own, new
			// the first time that account records them.
			more := f.id("ev")
			want := []string{ids[0], ids[1], more}
			if recorded[fs.scope.Account] {
				want = []string{more}
			}
			recorded[fs.scope.Account] = true
			fresh, err := f.s.RecordHostEvents(f.ctx, fs.scope, []string{ids[0], ids[1], more})
			must(t, err)
			same(t, "another account's ids", want, fresh)
		})
	}
	fresh, err = f.s.RecordHostEvents(f.ctx, scopeOf(c), ids)
	must(t, err)
	same(t, "the account's replay after other accounts recorded the ids", []string(nil), fresh)
}

func testOutboxIsolation(t *testing.T, f *fixture) {
	c, _, scopes := f.isolation()
	batch := []connect.OutboxEntry{f.entry(c, 1)}
	must(t, f.s.AddOutbox(f.ctx, scopeOf(c), batch))
	e := batch[0]
	snapshot := func() []any { return []any{second2(f.outbox(scopeOf(c), nil, 0))} }
	eachForeign(t, scopes, snapshot, func(t *testing.T, sc connect.Scope) {
		list, err := f.outbox(sc, nil, 0)
		none(t, "Outbox", list, err, func(x connect.OutboxEntry) bool { return x.Client == c.ID })
		list, err = f.s.OrderOutbox(f.ctx, sc, e.Order)
		none(t, "OrderOutbox", list, err, func(x connect.OutboxEntry) bool { return x.Client == c.ID })
		notFound(t, "FinishOutbox", f.s.FinishOutbox(f.ctx, sc, connect.FinishOutboxParams{ID: e.ID,
			State: connect.OutboxDead, LastError: "foreign", Now: f.at(9)}))
		planted := f.entry(c, 2)
		notFound(t, "AddOutbox for the client", f.s.AddOutbox(f.ctx, sc, []connect.OutboxEntry{planted}))
		listed, err := f.s.OutboxEntries(f.ctx, sc, connect.OutboxQuery{})
		none(t, "OutboxEntries", listed, err, func(x connect.OutboxEntry) bool { return x.Client == c.ID })
		notFound(t, "RequeueOutbox", f.s.RequeueOutbox(f.ctx, sc, connect.RequeueOutboxParams{ID: e.ID, Now: f.at(9)}))
		notFound(t, "DiscardOutbox", f.s.DiscardOutbox(f.ctx, sc, e.ID, f.at(9)))
	})
}

func testFeedIsolation(t *testing.T, f *fixture) {
	c, _, scopes := f.isolation()
	f.orders(c, connect.StatusDraft, 1, 2)
	eachForeign(t, scopes, func() []any { return nil }, func(t *testing.T, sc connect.Scope) {
		evs, _, err := f.s.Events(f.ctx, sc, "", 1000)
		none(t, "Events", evs, err, func(ev connect.OrderEvent) bool { return ev.Client == c.ID })
	})
}

func testCredentialsIsolation(t *testing.T, f *fixture) {
	c, _, scopes := f.isolation()
	owner := f.member(c, "Owner", connect.RoleOwner)
	must(t, f.s.SetPassword(f.ctx, scopeOf(c), owner.ID, "$hash$owner"))
	snapshot := func() []any { return []any{second2(f.s.CredentialsByEmail(f.ctx, owner.Email))} }
	eachForeign(t, scopes, snapshot, func(t *testing.T, sc connect.Scope) {
		notFound(t, "SetPassword", f.s.SetPassword(f.ctx, sc, owner.ID, "stolen"))
	})
}

func testAPIKeysIsolation(t *testing.T, f *fixture) {
	c, _, scopes := f.isolation()
	key := &connect.APIKey{ID: connect.APIKeyID(f.id("key")), Account: c.Account, Client: c.ID, Name: "k",
		Hash: randomHash(), CreatedAt: f.at(1)}
	must(t, f.s.CreateAPIKey(f.ctx, scopeOf(c), key))
	snapshot := func() []any {
		return []any{second2(f.s.APIKeyByHash(f.ctx, key.Hash)), second2(f.s.APIKeys(f.ctx, scopeOf(c)))}
	}
	eachForeign(t, scopes, snapshot, func(t *testing.T, sc connect.Scope) {
		list, err := f.s.APIKeys(f.ctx, sc)
		none(t, "APIKeys", list, err, func(k *connect.APIKey) bool { return k.ID == key.ID })
		mine := *key
		mine.RevokedAt = f.at(70)
		notFound(t, "UpdateAPIKey of the key as it is", f.s.UpdateAPIKey(f.ctx, sc, &mine))
		moved := *key
		moved.Account, moved.Client = retenant(sc, c.ID)
		moved.RevokedAt = f.at(70)
		notFound(t, "UpdateAPIKey of the key named in the foreign tenant", f.s.UpdateAPIKey(f.ctx, sc, &moved))
		planted := &connect.APIKey{ID: connect.APIKeyID(f.id("key")), Account: c.Account, Client: c.ID, Name: "planted",
			Hash: randomHash(), CreatedAt: f.at(2)}
		notFound(t, "CreateAPIKey for the client", f.s.CreateAPIKey(f.ctx, sc, planted))
		notFound(t, "the planted key", second(f.s.APIKeyByHash(f.ctx, planted.Hash)))
	})
}

func testTrackingLinksIsolation(t *testing.T, f *fixture) {
	c, sibling, scopes := f.isolation()
	sub := f.orders(c, connect.StatusSubmitted, 1, 1)[0]
	link := &connect.TrackingLink{ID: connect.TrackingLinkID(f.id("tl")), Account: c.Account, Client: c.ID,
		Order: sub.ID, Hash: randomHash(), CreatedAt: f.at(1)}
	must(t, f.s.CreateTrackingLink(f.ctx, scopeOf(c), link))
	snapshot := func() []any {
		return []any{second2(f.s.TrackingLinkByHash(f.ctx, link.Hash)), second2(f.s.TrackingLinks(f.ctx, scopeOf(c), sub.ID))}
	}
	eachForeign(t, scopes, snapshot, func(t *testing.T, sc connect.Scope) {
		list, err := f.s.TrackingLinks(f.ctx, sc, sub.ID)
		none(t, "TrackingLinks", list, err, func(*connect.TrackingLink) bool { return true })
		mine := *link
		mine.RevokedAt = f.at(70)
		notFound(t, "UpdateTrackingLink of the link as it is", f.s.UpdateTrackingLink(f.ctx, sc, &mine))
		moved := *link
		moved.Account, moved.Client = retenant(sc, c.ID)
		moved.RevokedAt = f.at(70)
		notFound(t, "UpdateTrackingLink of the link named in the foreign tenant", f.s.UpdateTrackingLink(f.ctx, sc, &moved))
		planted := *link
		planted.ID, planted.Hash = connect.TrackingLinkID(f.id("tl")), randomHash()
		notFound(t, "CreateTrackingLink for the client's order", f.s.CreateTrackingLink(f.ctx, sc, &planted))
		// The order named in the foreign tenant (for a whole account: its sibling).
		planted.ID, planted.Hash = connect.TrackingLinkID(f.id("tl")), randomHash()
		planted.Account, planted.Client = sc.Account, sc.Client
		if planted.Client == "" {
			planted.Client = sibling.ID
		}
		notFound(t, "CreateTrackingLink of the client's order named in the foreign tenant", f.s.CreateTrackingLink(f.ctx, sc, &planted))
	})
}

func testShopifyIsolation(t *testing.T, f *fixture) {
	c, _, scopes := f.isolation()
	shop := f.id("shop") + ".myshopify.com"
	o := f.order(c, connect.StatusSubmitted, 3)
	o.Source, o.Shopify = connect.SourceShopify, connect.ShopifyRef{Shop: shop, OrderID: "gid://shopify/Order/7"}
	o.Recipient.Email = "pat@example.com"
	f.store(o)
	f.noticeOn(o, connect.EventShopifyChange, "changed in Shopify after submission", 61)
	// A customers/redact named an order the client does not hold: a record
	// of the client's that no foreign scope may list.
	_, err := f.s.RedactOrders(f.ctx, scopeOf(c), connect.RedactParams{Shop: shop, ShopifyIDs: []string{"gid://shopify/Order/8"},
		CustomerID: "7", Reason: "customers/redact 7", At: f.at(60)})
	must(t, err)
	tokens, _ := f.s.(connect.ShopifyTokens)
	var tok *connect.ShopifyToken
	if tokens != nil {
		var err error
		tok, err = tokens.SaveShopifyToken(f.ctx, scopeOf(c), shop, []byte("sealed"), time.Time{})
		must(t, err)
	}
	snapshot := func() []any {
		records, err := f.s.RedactedShopifyOrders(f.ctx, scopeOf(c), connect.RedactedQuery{Shop: shop, CustomerID: "7"})
		must(t, err)
		out := []any{f.reload(o), records}
		if tokens != nil {
			got, err := tokens.ShopifyToken(f.ctx, scopeOf(c))
			must(t, err)
			out = append(out, got)
		}
		return out
	}
	eachForeign(t, scopes, snapshot, func(t *testing.T, sc connect.Scope) {
		r, err := f.s.RedactOrders(f.ctx, sc, connect.RedactParams{Shop: shop, WholeShop: true, Reason: "foreign", At: f.at(70)})
		must(t, err)
		if r.Orders != 0 || len(r.Files) != 0 {
			t.Fatalf("RedactOrders redacted %+v of the client's orders", r)
		}
		listed, err := f.s.CustomerOrders(f.ctx, sc, connect.RedactParams{Shop: shop, WholeShop: true})
		must(t, err)
		if len(listed) != 0 {
			t.Fatalf("CustomerOrders listed %d of the client's orders", len(listed))
		}
		found, err := f.s.OrdersFromShopify(f.ctx, sc, shop, []string{o.Shopify.OrderID})
		none(t, "OrdersFromShopify", found, err, func(x *connect.Order) bool { return x.ID == o.ID })
		notices, err := f.s.ShopifyNotices(f.ctx, sc, []connect.Status{connect.StatusSubmitted}, 0)
		none(t, "ShopifyNotices", notices, err, func(x connect.OrderEvent) bool { return x.Order == o.ID })
		redacted, err := f.s.RedactedShopifyOrders(f.ctx, sc, connect.RedactedQuery{Shop: shop, OrderIDs: []string{o.Shopify.OrderID, "gid://shopify/Order/8"}, CustomerID: "7"})
		none(t, "RedactedShopifyOrders", redacted, err, func(x connect.ShopifyRedacted) bool { return x.Client == c.ID })
		if tokens == nil {
			return
		}
		// A scope reaches only the token of the shop it is linked to: the
		// client's shop is out of reach of every foreign scope, named or not.
		if sc.Client != "" {
			got, err := tokens.ShopifyToken(f.ctx, sc)
			if err == nil && got.Shop == shop {
				t.Fatalf("ShopifyToken of %v reached the client's shop", sc)
			}
			wantCode(t, "ClaimShopifyRefresh", tokens.ClaimShopifyRefresh(f.ctx, sc,
				connect.ShopifyRefreshClaim{Version: tok.Version, Now: f.at(0), Until: f.at(60)}), connect.NotFound)
			notFound(t, "SwapShopifyToken", second(tokens.SwapShopifyToken(f.ctx, sc, tok.Version, []byte("evil"), time.Time{})))
			must(t, tokens.DeleteShopifyToken(f.ctx, sc))
		}
		if sc.Account != c.Account {
			named := connect.Scope{Account: sc.Account, Client: c.ID}
			notFound(t, "SaveShopifyToken", second(tokens.SaveShopifyToken(f.ctx, named, "evil.myshopify.com", []byte("x"), time.Time{})))
		}
	})
}

// testAccountReachesItsClients: the account's own scope reaches every object of
// its clients.
func testAccountReachesItsClients(t *testing.T, f *fixture) {
	c := f.client(f.account())
	owner := f.member(c, "Owner", connect.RoleOwner)
	inv := f.invite(c, 1)
	sub := f.orders(c, connect.StatusSubmitted, 2, 1)[0]
	all := connect.Scope{Account: c.Account}
	must(t, second(f.s.Client(f.ctx, all, c.ID)))
	must(t, second(f.s.Order(f.ctx, all, sub.ID)))
	must(t, second(f.s.Member(f.ctx, all, owner.ID)))
	must(t, second(f.s.Invite(f.ctx, all, inv.ID)))
}
