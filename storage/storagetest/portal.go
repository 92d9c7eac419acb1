package storagetest

import (
	"crypto/rand"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dispatchkit/connect"
)

func randomHash() []byte {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return b
}

// testCredentials: a password hash is stored per member, found by email in any
// account without regard to case, and removed with "".
func testCredentials(t *testing.T, f *fixture) {
	a := f.client(f.account())
	b := f.client(f.account())
	ma := f.member(a, "Sam Same", connect.RoleOwner)
	mb := &connect.Member{ID: connect.MemberID(f.id("mb")), Account: b.Account, Client: b.ID, Name: "Sam Too",
		Email: strings.ToUpper(ma.Email), Role: connect.RoleMember, CreatedAt: f.at(5), UpdatedAt: f.at(5)}
	must(t, f.s.CreateMember(f.ctx, connect.Scope{Account: mb.Account, Client: mb.Client}, mb))
	f.member(a, "Someone Else", connect.RoleMember)

	creds := func(email string) map[connect.MemberID]string {
		t.Helper()
		got, err := f.s.CredentialsByEmail(f.ctx, email)
		must(t, err)
		out := map[connect.MemberID]string{}
		for _, c := range got {
			if c.Member == nil {
				t.Fatal("a credential without its member")
			}
			out[c.Member.ID] = c.PasswordHash
		}
		return out
	}
	same(t, "credentials before any password", map[connect.MemberID]string{ma.ID: "", mb.ID: ""}, creds(ma.Email))
	must(t, f.s.SetPassword(f.ctx, scopeOf(a), ma.ID, "$argon2id$v=19$hash-a"))
	must(t, f.s.SetPassword(f.ctx, connect.Scope{Account: b.Account}, mb.ID, "$argon2id$v=19$hash-b"))
	same(t, "credentials by email, any case",
		map[connect.MemberID]string{ma.ID: "$argon2id$v=19$hash-a", mb.ID: "$argon2id$v=19$hash-b"},
		creds(strings.ToUpper(ma.Email[:1])+ma.Email[1:]))
	got, err := f.s.CredentialsByEmail(f.ctx, ma.Email)
	must(t, err)
	for _, c := range got {
		if c.Member.ID == ma.ID {
			same(t, "the member of a credential", ma, c.Member)
		}
	}
	same(t, "the member is unchanged", ma, second2(f.s.Member(f.ctx, scopeOf(a), ma.ID)))

	wantCode(t, "SetPassword of another account's member",
		f.s.SetPassword(f.ctx, scopeOf(b), ma.ID, "stolen"), connect.NotFound)
	wantCode(t, "SetPassword of an unknown member",
		f.s.SetPassword(f.ctx, scopeOf(a), "no-such-member", "x"), connect.NotFound)
	must(t, f.s.SetPassword(f.ctx, scopeOf(a), ma.ID, ""))
	same(t, "credentials after removing a password",
		map[connect.MemberID]string{ma.ID: "", mb.ID: "$argon2id$v=19$hash-b"}, creds(ma.Email))
	same(t, "credentials of an unknown email", map[connect.MemberID]string{}, creds("nobody."+f.id("")+"@example.com"))
}

func second2[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// testAPIKeys: keys round-trip, are found by hash in any account, listed newest
// first in their client, updated only in their own tenant.
func testAPIKeys(t *testing.T, f *fixture) {
	c := f.client(f.account())
	sibling := f.client(c.Account)
	key := func(cl *connect.Client, n int) *connect.APIKey {
		return &connect.APIKey{ID: connect.APIKeyID(f.id("key")), Account: cl.Account, Client: cl.ID,
			Name: "warehouse " + f.id(""), Hash: randomHash(), CreatedBy: connect.MemberID(f.id("mb")), CreatedAt: f.at(n)}
	}
	k1, k2, k3 := key(c, 1), key(c, 2), key(sibling, 3)
	for _, k := range []*connect.APIKey{k1, k2, k3} {
		must(t, f.s.CreateAPIKey(f.ctx, connect.Scope{Account: k.Account, Client: k.Client}, k))
	}
	dup := key(c, 4)
	dup.Hash = k1.Hash
	wantCode(t, "CreateAPIKey with a hash in use", f.s.CreateAPIKey(f.ctx, connect.Scope{Account: dup.Account, Client: dup.Client}, dup), connect.Conflict)
	foreign := key(c, 5)
	foreign.Account = f.account()
	wantCode(t, "CreateAPIKey for a client of another account", f.s.CreateAPIKey(f.ctx, connect.Scope{Account: foreign.Account, Client: foreign.Client}, foreign), connect.NotFound)

	got, err := f.s.APIKeyByHash(f.ctx, k2.Hash)
	must(t, err)
	same(t, "key by hash", k2, got)
	wantCode(t, "APIKeyByHash of an unknown hash", second(f.s.APIKeyByHash(f.ctx, randomHash())), connect.NotFound)
	list, err := f.s.APIKeys(f.ctx, scopeOf(c))
	must(t, err)
	same(t, "the client's keys, newest first", []*connect.APIKey{k2, k1}, list)
	list, err = f.s.APIKeys(f.ctx, scopeOf(f.client(f.account())))
	must(t, err)
	if len(list) != 0 {
		t.Fatalf("another client lists %d keys", len(list))
	}

	k1.LastUsedAt, k1.RevokedAt = f.at(10), f.at(11)
	must(t, f.s.UpdateAPIKey(f.ctx, connect.Scope{Account: k1.Account, Client: k1.Client}, k1))
	same(t, "an updated key", k1, second2(f.s.APIKeyByHash(f.ctx, k1.Hash)))
	for name, hijack := range map[string]func(k *connect.APIKey){
		"another account": func(k *connect.APIKey) { k.Account = f.account() },
		"another client":  func(k *connect.APIKey) { k.Client = sibling.ID },
		"no such key":     func(k *connect.APIKey) { k.ID = "no-such-key" },
	} {
		k := *k2
		k.RevokedAt = f.at(20)
		hijack(&k)
		wantCode(t, "UpdateAPIKey in "+name, f.s.UpdateAPIKey(f.ctx, connect.Scope{Account: k.Account, Client: k.Client}, &k), connect.NotFound)
	}
	same(t, "a key after refused updates", k2, second2(f.s.APIKeyByHash(f.ctx, k2.Hash)))
}

// testTrackingLinks: links round-trip, are found by hash in any account, listed
// newest first per order, revoked only in their own tenant, and made only for an
// order of their client.
func testTrackingLinks(t *testing.T, f *fixture) {
	c := f.client(f.account())
	sibling := f.client(c.Account)
	o := f.orders(c, connect.StatusSubmitted, 1, 1)[0]
	p := f.orders(c, connect.StatusSubmitted, 2, 1)[0]
	theirs := f.orders(sibling, connect.StatusSubmitted, 3, 1)[0]
	link := func(order *connect.Order, n int) *connect.TrackingLink {
		return &connect.TrackingLink{ID: connect.TrackingLinkID(f.id("tl")), Account: order.Account, Client: order.Client,
			Order: order.ID, Hash: randomHash(), CreatedBy: "member " + f.id(""), CreatedAt: f.at(n)}
	}
	l1, l2, l3 := link(o, 5), link(o, 6), link(p, 7)
	l2.Sealed = append([]byte{1, 0}, randomHash()...) // a token sealed by the Service: kept as it is
	for _, l := range []*connect.TrackingLink{l1, l2, l3} {
		must(t, f.s.CreateTrackingLink(f.ctx, connect.Scope{Account: l.Account, Client: l.Client}, l))
	}
	dup := link(o, 8)
	dup.Hash = l1.Hash
	wantCode(t, "CreateTrackingLink with a hash in use", f.s.CreateTrackingLink(f.ctx, connect.Scope{Account: dup.Account, Client: dup.Client}, dup), connect.Conflict)
	wrong := link(theirs, 9)
	wrong.Client = c.ID // the sibling's order under this client
	wantCode(t, "CreateTrackingLink for another client's order", f.s.CreateTrackingLink(f.ctx, connect.Scope{Account: wrong.Account, Client: wrong.Client}, wrong), connect.NotFound)
	wrong = link(o, 9)
	wrong.Account = f.account()
	wantCode(t, "CreateTrackingLink in another account", f.s.CreateTrackingLink(f.ctx, connect.Scope{Account: wrong.Account, Client: wrong.Client}, wrong), connect.NotFound)

	same(t, "link by hash", l2, second2(f.s.TrackingLinkByHash(f.ctx, l2.Hash)))
	wantCode(t, "TrackingLinkByHash of an unknown hash", second(f.s.TrackingLinkByHash(f.ctx, randomHash())), connect.NotFound)
	same(t, "the order's links, newest first", []*connect.TrackingLink{l2, l1}, second2(f.s.TrackingLinks(f.ctx, scopeOf(c), o.ID)))
	same(t, "the order's links in the account's scope", []*connect.TrackingLink{l2, l1},
		second2(f.s.TrackingLinks(f.ctx, connect.Scope{Account: c.Account}, o.ID)))
	if got := second2(f.s.TrackingLinks(f.ctx, scopeOf(sibling), o.ID)); len(got) != 0 {
		t.Fatalf("another client lists %d links of the order", len(got))
	}

	l1.RevokedAt = f.at(10)
	must(t, f.s.UpdateTrackingLink(f.ctx, connect.Scope{Account: l1.Account, Client: l1.Client}, l1))
	same(t, "a revoked link", l1, second2(f.s.TrackingLinkByHash(f.ctx, l1.Hash)))
	for name, hijack := range map[string]func(l *connect.TrackingLink){
		"another account": func(l *connect.TrackingLink) { l.Account = f.account() },
		"another client":  func(l *connect.TrackingLink) { l.Client = sibling.ID },
		"no such link":    func(l *connect.TrackingLink) { l.ID = "no-such-link" },
	} {
		l := *l3
		l.RevokedAt = f.at(20)
		hijack(&l)
		wantCode(t, "UpdateTrackingLink in "+name, f.s.UpdateTrackingLink(f.ctx, connect.Scope{Account: l.Account, Client: l.Client}, &l), connect.NotFound)
	}
	same(t, "a link after refused updates", l3, second2(f.s.TrackingLinkByHash(f.ctx, l3.Hash)))
}

// testClientsByShopAndMapping: clients linked to a shop are found in any account;
// a client's import mapping round-trips.
func testClientsByShopAndMapping(t *testing.T, f *fixture) {
	shop := f.id("shop") + ".myshopify.com"
	a := f.client(f.account())
	b := f.client(f.account())
	f.client(a.Account) // not linked
	for _, c := range []*connect.Client{a, b} {
		c.Shopify = connect.ShopifyLink{Shop: shop, LinkedAt: f.at(3)}
		c.ImportMapping = map[string]connect.Field{"Street": connect.FieldAddressLine1, "Città": connect.FieldCity}
		must(t, f.s.UpdateClient(f.ctx, connect.Scope{Account: c.Account}, c))
	}
	got, err := f.s.ClientsByShopAnyAccount(f.ctx, shop)
	must(t, err)
	slices.SortFunc(got, func(x, y *connect.Client) int { return strings.Compare(string(x.ID), string(y.ID)) })
	want := []*connect.Client{a, b}
	slices.SortFunc(want, func(x, y *connect.Client) int { return strings.Compare(string(x.ID), string(y.ID)) })
	same(t, "the shop's clients", want, got)
	if got := second2(f.s.ClientsByShopAnyAccount(f.ctx, "other-"+shop)); len(got) != 0 {
		t.Fatalf("another shop has %d clients", len(got))
	}
	if got := second2(f.s.ClientsByShopAnyAccount(f.ctx, "")); len(got) != 0 {
		t.Fatalf("the empty shop has %d clients", len(got))
	}
	same(t, "a client with a mapping", a, second2(f.s.Client(f.ctx, connect.Scope{Account: a.Account}, a.ID)))
	a.ImportMapping = nil
	must(t, f.s.UpdateClient(f.ctx, connect.Scope{Account: a.Account}, a))
	same(t, "a client whose mapping was cleared", a, second2(f.s.Client(f.ctx, connect.Scope{Account: a.Account}, a.ID)))
	c := &connect.Client{ID: connect.ClientID(f.id("cl")), Account: a.Account, Name: "New", Status: connect.ClientActive,
		ImportMapping: map[string]connect.Field{"Notes": connect.FieldNotes}, CreatedAt: f.at(1), UpdatedAt: f.at(1)}
	must(t, f.s.CreateClient(f.ctx, connect.Scope{Account: c.Account}, c))
	same(t, "a new client with a mapping", c, second2(f.s.Client(f.ctx, connect.Scope{Account: c.Account}, c.ID)))
}

// testRedactOrders: the orders of the shop that the request selects lose
// every personal field (recipient, address but state and country, notes,
// proof of delivery), and the proof files they held are returned; nothing else
// changes. CustomerOrders lists the same orders.
func testRedactOrders(t *testing.T, f *fixture) {
	shop := f.id("shop") + ".myshopify.com"
	c := f.client(f.account())
	sibling := f.client(c.Account)
	mk := func(cl *connect.Client, n int, shop, gid, email, phone string) *connect.Order {
		o := f.order(cl, connect.StatusSubmitted, n)
		o.Source, o.Shopify = connect.SourceShopify, connect.ShopifyRef{Shop: shop, OrderID: gid}
		o.Recipient = connect.Recipient{Name: "Pat " + gid, Email: email, Phone: phone}
		o.Address = connect.Address{Unit: "Flat 2", Line1: "1 Main St", Line2: "Back door", City: "Springfield",
			State: "IL", Zip: "62701", Country: "US", Latitude: dec("39.7817"), Longitude: dec("-89.6501")}
		o.Notes = "leave with " + gid
		f.store(o)
		return o
	}
	byID := mk(c, 1, shop, "gid://shopify/Order/1", "a@example.com", "+1 555 0001")
	byEmail := mk(c, 2, shop, "gid://shopify/Order/2", "Pat@Example.com", "+1 555 0002")
	byPhone := mk(c, 3, shop, "gid://shopify/Order/3", "c@example.com", "+1 555 0003")
	untouched := mk(c, 4, shop, "gid://shopify/Order/4", "d@example.com", "+1 555 0004")
	otherShop := mk(c, 5, "other-"+shop, "gid://shopify/Order/1", "pat@example.com", "+1 555 0003")
	otherClient := mk(sibling, 6, shop, "gid://shopify/Order/1", "pat@example.com", "+1 555 0003")
	manual := f.order(c, connect.StatusSubmitted, 7)
	manual.Recipient.Email = "pat@example.com"
	f.store(manual)
	// byEmail was delivered with proof: photos, a signature, who and where.
	delivered := f.reload(byEmail)
	delivered.Status, delivered.Version = connect.StatusDelivered, byEmail.Version+1
	delivered.Proof = &connect.ProofOfDelivery{PhotoURLs: []string{"https://files.example/p/1.jpg", "https://files.example/p/2.jpg"},
		SignatureURL: "https://files.example/s/1.png", RecipientName: "Pat's neighbour", Notes: "porch",
		Latitude: dec("39.7818"), Longitude: dec("-89.6502"), At: f.at(15)}
	must(t, f.s.SetStatuses(f.ctx, scopeOf(c), []connect.SetStatusParams{{From: connect.StatusSubmitted, Version: byEmail.Version, Order: delivered}}))
	byEmail = f.reload(byEmail)

	byEmailAndPhone := connect.RedactParams{Shop: shop, Email: "pat@example.com", Phone: "+1 555 0003"}
	listed, err := f.s.CustomerOrders(f.ctx, scopeOf(c), byEmailAndPhone)
	must(t, err)
	same(t, "CustomerOrders by email and phone", []*connect.Order{byEmail, byPhone}, listed)

	r, err := f.s.RedactOrders(f.ctx, scopeOf(c), connect.RedactParams{Shop: shop,
		ShopifyIDs: []string{"gid://shopify/Order/1"}, Reason: "customers/redact 1", At: f.at(20)})
	must(t, err)
	if r.Orders != 1 || len(r.Files) != 0 {
		t.Fatalf("redacting by id = %+v, want 1 order and no files", r)
	}
	p := byEmailAndPhone
	p.Reason, p.At = "customers/redact 2", f.at(21)
	r, err = f.s.RedactOrders(f.ctx, scopeOf(c), p)
	must(t, err)
	same(t, "redacting by email and phone", &connect.Redaction{Orders: 2, Files: []connect.ProofFiles{{Order: byEmail.ID,
		URLs: []string{"https://files.example/p/1.jpg", "https://files.example/p/2.jpg", "https://files.example/s/1.png"}}}}, r)
	for _, o := range []*connect.Order{byID, byEmail, byPhone} {
		got := f.reload(o)
		want := *o
		want.Recipient, want.Notes, want.Proof = connect.Recipient{}, "", nil
		want.Address = connect.Address{State: o.Address.State, Country: o.Address.Country}
		want.Version, want.UpdatedAt = got.Version, got.UpdatedAt
		same(t, "a redacted order", &want, got)
		if got.Version <= o.Version {
			t.Fatalf("a redacted order's version stayed %d", got.Version)
		}
	}
	for _, o := range []*connect.Order{untouched, otherShop, otherClient, manual} {
		same(t, "an order the requests did not select", o, f.reload(o))
	}
	r, err = f.s.RedactOrders(f.ctx, scopeOf(sibling), connect.RedactParams{Shop: shop, WholeShop: true,
		Reason: "shop/redact", At: f.at(22)})
	must(t, err)
	if r.Orders != 1 {
		t.Fatalf("redacting the sibling's whole shop changed %d orders, want 1", r.Orders)
	}
	same(t, "another client's order after a shop redaction elsewhere", untouched, f.reload(untouched))
	r, err = f.s.RedactOrders(f.ctx, scopeOf(c), connect.RedactParams{Shop: shop, Reason: "nothing selected", At: f.at(23)})
	must(t, err)
	if r.Orders != 0 {
		t.Fatalf("a request selecting nothing changed %d orders", r.Orders)
	}
	listed, err = f.s.CustomerOrders(f.ctx, scopeOf(c), connect.RedactParams{Shop: shop})
	must(t, err)
	if len(listed) != 0 {
		t.Fatalf("CustomerOrders selecting nothing listed %d", len(listed))
	}
	r, err = f.s.RedactOrders(f.ctx, connect.Scope{Account: f.account(), Client: c.ID}, connect.RedactParams{Shop: shop,
		WholeShop: true, Reason: "wrong account", At: f.at(24)})
	must(t, err)
	if r.Orders != 0 {
		t.Fatalf("another account redacted %d of the client's orders", r.Orders)
	}
	same(t, "an order after another account's redaction", untouched, f.reload(untouched))
}

// testRedactedShopifyOrders: a redaction records, for its client, every
// Shopify order it erased and every one it names (held or not), with the
// customer, the reason and the time; a later redaction of the same order
// replaces the record (keeping its customer when it names none); the records
// are found by order id or by customer, in the client's scope only.
func testRedactedShopifyOrders(t *testing.T, f *fixture) {
	shop := f.id("shop") + ".myshopify.com"
	c := f.client(f.account())
	sibling := f.client(c.Account)
	mk := func(cl *connect.Client, n int, gid, email string) *connect.Order {
		o := f.order(cl, connect.StatusDraft, n)
		o.Source, o.Shopify = connect.SourceShopify, connect.ShopifyRef{Shop: shop, OrderID: gid}
		o.Recipient = connect.Recipient{Name: "Pat", Email: email}
		f.store(o)
		return o
	}
	mk(c, 1, "gid://shopify/Order/1", "pat@example.com")
	mk(c, 2, "gid://shopify/Order/2", "pat@example.com")
	mk(c, 3, "gid://shopify/Order/3", "sam@example.com")
	mk(sibling, 4, "gid://shopify/Order/1", "pat@example.com")

	q := connect.RedactedQuery{Shop: shop, OrderIDs: []string{"gid://shopify/Order/1", "gid://shopify/Order/2", "gid://shopify/Order/3", "gid://shopify/Order/9"}}
	got, err := f.s.RedactedShopifyOrders(f.ctx, scopeOf(c), q)
	must(t, err)
	if len(got) != 0 {
		t.Fatalf("records before any redaction: %+v", got)
	}
	// customers/redact of customer 7: orders 1 and 2 by email, and order 9,
	// which the client does not hold (yet).
	_, err = f.s.RedactOrders(f.ctx, scopeOf(c), connect.RedactParams{Shop: shop, Email: "pat@example.com",
		ShopifyIDs: []string{"gid://shopify/Order/9"}, CustomerID: "7", Reason: "customers/redact 7", At: f.at(30)})
	must(t, err)
	rec := func(id string, orders int, customer, reason string, at int) connect.ShopifyRedacted {
		return connect.ShopifyRedacted{Account: c.Account, Client: c.ID, Shop: shop, OrderID: id, CustomerID: customer,
			Reason: reason, Orders: orders, At: f.at(at)}
	}
	got, err = f.s.RedactedShopifyOrders(f.ctx, scopeOf(c), q)
	must(t, err)
	same(t, "records after customers/redact", []connect.ShopifyRedacted{
		rec("gid://shopify/Order/1", 1, "7", "customers/redact 7", 30),
		rec("gid://shopify/Order/2", 1, "7", "customers/redact 7", 30),
		rec("gid://shopify/Order/9", 0, "7", "customers/redact 7", 30),
	}, got)
	for _, tc := range []struct {
		what  string
		scope connect.Scope
		q     connect.RedactedQuery
		want  int
	}{
		{"the records of customer 7", scopeOf(c), connect.RedactedQuery{Shop: shop, CustomerID: "7"}, 3},
		{"a query naming nothing", scopeOf(c), connect.RedactedQuery{Shop: shop}, 0},
		{"the sibling client's query", scopeOf(sibling), q, 0},
		{"another shop's query", scopeOf(c), connect.RedactedQuery{Shop: "other-" + shop, OrderIDs: q.OrderIDs, CustomerID: "7"}, 0},
	} {
		got, err := f.s.RedactedShopifyOrders(f.ctx, tc.scope, tc.q)
		must(t, err)
		if len(got) != tc.want {
			t.Fatalf("%s listed %+v, want %d records", tc.what, got, tc.want)
		}
	}

	// shop/redact later: every order of the shop, customer 7's records keep
	// their customer.
	_, err = f.s.RedactOrders(f.ctx, scopeOf(c), connect.RedactParams{Shop: shop, WholeShop: true, Reason: "shop/redact", At: f.at(40)})
	must(t, err)
	got, err = f.s.RedactedShopifyOrders(f.ctx, scopeOf(c), q)
	must(t, err)
	same(t, "records after shop/redact", []connect.ShopifyRedacted{
		rec("gid://shopify/Order/9", 0, "7", "customers/redact 7", 30),
		rec("gid://shopify/Order/1", 1, "7", "shop/redact", 40),
		rec("gid://shopify/Order/2", 1, "7", "shop/redact", 40),
		rec("gid://shopify/Order/3", 1, "", "shop/redact", 40),
	}, got)
	_, err = f.s.RedactedShopifyOrders(f.ctx, scopeOf(c), connect.RedactedQuery{OrderIDs: q.OrderIDs})
	wantCode(t, "RedactedShopifyOrders without a shop", err, connect.Invalid)
}

// noticeOn appends a notice event (no status change) to the order's history,
// as the Service does, and returns the event.
func (f *fixture) noticeOn(o *connect.Order, ev connect.Event, reason string, n int) connect.OrderEvent {
	f.t.Helper()
	cur := f.reload(o)
	next := *cur
	next.UpdatedAt = f.at(n)
	e := connect.OrderEvent{Order: o.ID, Account: o.Account, Client: o.Client, Event: ev, From: cur.Status, To: cur.Status,
		At: f.at(n), By: "Shopify", Reason: reason}
	must(f.t, f.s.SetStatuses(f.ctx, scopeOf(&connect.Client{ID: o.Client, Account: o.Account}),
		[]connect.SetStatusParams{{From: cur.Status, Version: cur.Version, Order: &next, Events: []connect.OrderEvent{e}}}))
	return e
}

// testShopifyNotices: the latest Shopify notice of each order at one of the
// statuses asked, newest first, in the scope only, up to the limit.
func testShopifyNotices(t *testing.T, f *fixture) {
	c := f.client(f.account())
	sibling := f.client(c.Account)
	onRoute, submitted, delivered := f.order(c, connect.StatusScheduled, 1), f.order(c, connect.StatusSubmitted, 2), f.order(c, connect.StatusDelivered, 3)
	siblings := f.order(sibling, connect.StatusEnRoute, 4)
	quiet := f.order(c, connect.StatusScheduled, 5)
	f.store(onRoute, submitted, delivered, siblings, quiet)
	f.noticeOn(onRoute, connect.EventShopifyChange, "changed", 10)
	cancelled := f.noticeOn(onRoute, connect.EventShopifyCancel, "cancelled in Shopify", 11)
	f.noticeOn(onRoute, connect.EventShopifyProgress, "not a notice", 12)
	changed := f.noticeOn(submitted, connect.EventShopifyChange, "changed after submission", 13)
	late := f.noticeOn(delivered, connect.EventShopifyCancel, "cancelled after delivery", 14)
	other := f.noticeOn(siblings, connect.EventShopifyCancel, "cancelled en route", 15)
	f.noticeOn(quiet, connect.EventShopifyUpdate, "a draft's update is not a notice", 16)

	active := []connect.Status{connect.StatusSubmitted, connect.StatusScheduled, connect.StatusEnRoute, connect.StatusFailed}
	got, err := f.s.ShopifyNotices(f.ctx, connect.Scope{Account: c.Account}, active, 0)
	must(t, err)
	same(t, "the account's notices", []connect.OrderEvent{other, changed, cancelled}, got)
	got, err = f.s.ShopifyNotices(f.ctx, scopeOf(c), active, 0)
	must(t, err)
	same(t, "the client's notices", []connect.OrderEvent{changed, cancelled}, got)
	got, err = f.s.ShopifyNotices(f.ctx, connect.Scope{Account: c.Account}, active, 2)
	must(t, err)
	same(t, "the account's two newest notices", []connect.OrderEvent{other, changed}, got)
	got, err = f.s.ShopifyNotices(f.ctx, connect.Scope{Account: c.Account}, []connect.Status{connect.StatusDelivered}, 0)
	must(t, err)
	same(t, "the notices of delivered orders", []connect.OrderEvent{late}, got)
	got, err = f.s.ShopifyNotices(f.ctx, connect.Scope{Account: f.account()}, active, 0)
	must(t, err)
	if len(got) != 0 {
		t.Fatalf("another account lists %+v", got)
	}
}

// testUseOnce: a key is usable once until it expires, then once again.
func testUseOnce(t *testing.T, f *fixture) {
	once, ok := f.s.(Once)
	if !ok {
		t.Skip("the Store does not keep single-use keys (shopify.Once)")
	}
	now := time.Now()
	k := "oauth-state:" + f.id("")
	must(t, once.UseOnce(f.ctx, k, now.Add(time.Hour)))
	wantCode(t, "UseOnce of a used key", once.UseOnce(f.ctx, k, now.Add(2*time.Hour)), connect.Conflict)
	must(t, once.UseOnce(f.ctx, "webhook:"+f.id(""), now.Add(time.Hour)))

	expired := "webhook:" + f.id("")
	must(t, once.UseOnce(f.ctx, expired, now.Add(-time.Second)))
	must(t, once.UseOnce(f.ctx, expired, now.Add(time.Hour)))
	wantCode(t, "UseOnce of a key used again after it expired", once.UseOnce(f.ctx, expired, now.Add(time.Hour)), connect.Conflict)

	// Racers: exactly one wins each key.
	const racers = 10
	for i := range 5 {
		key := fmt.Sprintf("race-%d:%s", i, f.id(""))
		errs := make([]error, racers)
		var wg sync.WaitGroup
		for r := range racers {
			wg.Go(func() { errs[r] = once.UseOnce(f.ctx, key, now.Add(time.Hour)) })
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			if err == nil {
				won++
			} else {
				wantCode(t, "a losing UseOnce", err, connect.Conflict)
			}
		}
		if won != 1 {
			t.Fatalf("key %s: %d winners", key, won)
		}
	}
	// Many calls: expired keys are swept now and then, live ones never.
	for i := range 300 {
		must(t, once.UseOnce(f.ctx, fmt.Sprintf("bulk-%d:%s", i, f.id("")), now.Add(-time.Minute)))
	}
	wantCode(t, "UseOnce of a live key after sweeps", once.UseOnce(f.ctx, k, now.Add(time.Hour)), connect.Conflict)
}

// testShopifyTokens: a shop's sealed token is saved, read, swapped and
// forgotten per shop, shared by the clients linked to it, in their accounts
// only.
func testShopifyTokens(t *testing.T, f *fixture) {
	st, ok := f.s.(connect.ShopifyTokens)
	if !ok {
		t.Skip("the Store does not keep Shopify tokens")
	}
	c := f.client(f.account())
	other := f.client(f.account()) // another account's client, linking the same shop
	sc, so := scopeOf(c), scopeOf(other)
	shopA, shopB := f.id("a")+".myshopify.com", f.id("b")+".myshopify.com"
	_, err := st.ShopifyToken(f.ctx, sc)
	wantCode(t, "ShopifyToken before any", err, connect.NotFound)

	saved, err := st.SaveShopifyToken(f.ctx, sc, shopA, []byte{0, 1, 2, 255}, f.at(5))
	must(t, err)
	got, err := st.ShopifyToken(f.ctx, sc)
	must(t, err)
	same(t, "ShopifyToken after the save", saved, got)
	if got.Shop != shopA || string(got.Sealed) != string([]byte{0, 1, 2, 255}) || got.Version < 1 || got.SealedFor != "" || !got.SavedAt.Equal(f.at(5)) {
		t.Fatalf("ShopifyToken = %+v", got)
	}

	t.Run("a second client linking the shop replaces its token for both", func(t *testing.T) {
		second, err := st.SaveShopifyToken(f.ctx, so, shopA, []byte("sealed-2"), time.Time{})
		must(t, err)
		if second.Version <= saved.Version {
			t.Fatalf("version %d after %d: it must move on", second.Version, saved.Version)
		}
		for _, s := range []connect.Scope{sc, so} {
			got, err := st.ShopifyToken(f.ctx, s)
			must(t, err)
			same(t, "the shared token", second, got)
		}
		saved = second
	})

	t.Run("a refresh claim is one process's at a time, until it ends", func(t *testing.T) {
		now := f.at(0)
		must(t, st.ClaimShopifyRefresh(f.ctx, sc, connect.ShopifyRefreshClaim{Version: saved.Version, Now: now, Until: now.Add(time.Minute)}))
		wantCode(t, "a second claim while the first is live",
			st.ClaimShopifyRefresh(f.ctx, so, connect.ShopifyRefreshClaim{Version: saved.Version, Now: now.Add(30 * time.Second), Until: now.Add(2 * time.Minute)}), connect.Conflict)
		wantCode(t, "a claim on an old version",
			st.ClaimShopifyRefresh(f.ctx, so, connect.ShopifyRefreshClaim{Version: saved.Version - 1, Now: now.Add(2 * time.Minute), Until: now.Add(3 * time.Minute)}), connect.Conflict)
		must(t, st.ClaimShopifyRefresh(f.ctx, so, connect.ShopifyRefreshClaim{Version: saved.Version, Now: now.Add(time.Minute), Until: now.Add(2 * time.Minute)}))
	})

	t.Run("a released claim lets the next process claim at once", func(t *testing.T) {
		now := f.at(0)
		live := connect.ShopifyRefreshClaim{Version: saved.Version, Now: now.Add(time.Minute), Until: now.Add(2 * time.Minute)} // the claim above
		// Releasing another claim than the live one (a claimant whose claim
		// ran out and was taken over) leaves the live one.
		must(t, st.ReleaseShopifyRefresh(f.ctx, sc, connect.ShopifyRefreshClaim{Version: saved.Version, Now: now, Until: now.Add(time.Minute)}))
		must(t, st.ReleaseShopifyRefresh(f.ctx, sc, connect.ShopifyRefreshClaim{Version: saved.Version - 1, Now: now, Until: live.Until}))
		wantCode(t, "a claim after releasing another's",
			st.ClaimShopifyRefresh(f.ctx, sc, connect.ShopifyRefreshClaim{Version: saved.Version, Now: now.Add(90 * time.Second), Until: now.Add(3 * time.Minute)}), connect.Conflict)
		must(t, st.ReleaseShopifyRefresh(f.ctx, so, live))
		mine := connect.ShopifyRefreshClaim{Version: saved.Version, Now: now.Add(90 * time.Second), Until: now.Add(3 * time.Minute)}
		must(t, st.ClaimShopifyRefresh(f.ctx, sc, mine))
		must(t, st.ReleaseShopifyRefresh(f.ctx, sc, mine))
		must(t, st.ReleaseShopifyRefresh(f.ctx, connect.Scope{Account: f.account(), Client: c.ID}, mine))
	})

	t.Run("a swap is a compare-and-set: one winner of two", func(t *testing.T) {
		var wins, conflicts atomic.Int32
		var wg sync.WaitGroup
		for i, s := range []connect.Scope{sc, so} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := st.SwapShopifyToken(f.ctx, s, saved.Version, []byte(fmt.Sprintf("refreshed-%d", i)), time.Time{})
				switch connect.ErrorCode(err) {
				case "":
					wins.Add(1)
				case connect.Conflict:
					conflicts.Add(1)
				default:
					t.Errorf("SwapShopifyToken: %v", err)
				}
			}()
		}
		wg.Wait()
		if wins.Load() != 1 || conflicts.Load() != 1 {
			t.Fatalf("%d swaps won, %d conflicted; want one each", wins.Load(), conflicts.Load())
		}
		got, err := st.ShopifyToken(f.ctx, so)
		must(t, err)
		if got.Version != saved.Version+1 || !strings.HasPrefix(string(got.Sealed), "refreshed-") {
			t.Fatalf("after the swaps: %+v", got)
		}
		// The winner's swap ended the claim: the next refresh may claim at once.
		must(t, st.ClaimShopifyRefresh(f.ctx, sc, connect.ShopifyRefreshClaim{Version: got.Version, Now: f.at(0), Until: f.at(60)}))
		saved = got
	})

	t.Run("quiet shops are listed with a linked client", func(t *testing.T) {
		quiet, err := st.ShopifyTokensSavedBeforeAnyAccount(f.ctx, time.Now().Add(time.Hour), 1000)
		must(t, err)
		found := false
		for _, q := range quiet {
			if q.Shop == shopA {
				found = true
				if q.Client != sc && q.Client != so {
					t.Fatalf("quiet shop %s listed with %v, a client not linked to it", q.Shop, q.Client)
				}
			}
		}
		if !found {
			t.Fatalf("%s not among the quiet shops %v", shopA, quiet)
		}
		quiet, err = st.ShopifyTokensSavedBeforeAnyAccount(f.ctx, saved.SavedAt.Add(-time.Hour), 1000)
		must(t, err)
		for _, q := range quiet {
			if q.Shop == shopA {
				t.Fatalf("%s listed as saved before an hour before it was saved", shopA)
			}
		}
	})

	t.Run("a client moving to another shop leaves the first shop's token to the others", func(t *testing.T) {
		_, err := st.SaveShopifyToken(f.ctx, sc, shopB, []byte("sealed-b"), time.Time{})
		must(t, err)
		got, err := st.ShopifyToken(f.ctx, sc)
		must(t, err)
		if got.Shop != shopB {
			t.Fatalf("client's token is of %s", got.Shop)
		}
		got, err = st.ShopifyToken(f.ctx, so)
		must(t, err)
		same(t, "the other client's token", saved, got)
		_, err = st.SwapShopifyToken(f.ctx, sc, saved.Version, []byte("x"), time.Time{})
		wantCode(t, "SwapShopifyToken of the shop the client left", err, connect.Conflict)
		// Linking shopA again is a new install: a new token for both.
		saved, err = st.SaveShopifyToken(f.ctx, sc, shopA, []byte("sealed-3"), time.Time{})
		must(t, err)
	})

	foreign := connect.Scope{Account: f.account(), Client: c.ID}
	_, err = st.SaveShopifyToken(f.ctx, foreign, "evil.myshopify.com", []byte("x"), time.Time{})
	wantCode(t, "SaveShopifyToken for another account's client", err, connect.NotFound)
	_, err = st.SaveShopifyToken(f.ctx, connect.Scope{Account: c.Account, Client: "no-such-client"}, "x.myshopify.com", []byte("x"), time.Time{})
	wantCode(t, "SaveShopifyToken for an unknown client", err, connect.NotFound)
	_, err = st.ShopifyToken(f.ctx, foreign)
	wantCode(t, "ShopifyToken from another account", err, connect.NotFound)
	must(t, st.DeleteShopifyToken(f.ctx, foreign))

	t.Run("unlinking one client keeps the token of the others", func(t *testing.T) {
		must(t, st.DeleteShopifyToken(f.ctx, sc))
		_, err := st.ShopifyToken(f.ctx, sc)
		wantCode(t, "ShopifyToken after unlinking", err, connect.NotFound)
		got, err := st.ShopifyToken(f.ctx, so)
		must(t, err)
		same(t, "the other client's token", saved, got)
		must(t, st.DeleteShopifyToken(f.ctx, sc))
	})

	t.Run("unlinking the last client forgets the token", func(t *testing.T) {
		must(t, st.DeleteShopifyToken(f.ctx, so))
		_, err := st.SaveShopifyToken(f.ctx, sc, shopA, []byte("fresh"), time.Time{})
		must(t, err)
		got, err := st.ShopifyToken(f.ctx, sc)
		must(t, err)
		if string(got.Sealed) != "fresh" {
			t.Fatalf("token %q", got.Sealed)
		}
	})

	t.Run("an uninstall forgets the shop's token for every client", func(t *testing.T) {
		before, err := st.SaveShopifyToken(f.ctx, so, shopA, []byte("fresh-2"), time.Time{})
		must(t, err)
		// A refresh is under way in some process when the uninstall comes.
		must(t, st.ClaimShopifyRefresh(f.ctx, sc, connect.ShopifyRefreshClaim{Version: before.Version, Now: f.at(0), Until: f.at(0).Add(time.Hour)}))
		n, err := st.ForgetShopifyShopAnyAccount(f.ctx, shopA)
		must(t, err)
		if n != 2 {
			t.Fatalf("ForgetShopifyShopAnyAccount unlinked %d clients, want 2", n)
		}
		for _, s := range []connect.Scope{sc, so} {
			_, err := st.ShopifyToken(f.ctx, s)
			wantCode(t, "ShopifyToken after the uninstall", err, connect.NotFound)
		}
		n, err = st.ForgetShopifyShopAnyAccount(f.ctx, shopA)
		must(t, err)
		if n != 0 {
			t.Fatalf("a second forget unlinked %d", n)
		}
		_, err = st.SwapShopifyToken(f.ctx, sc, before.Version, []byte("refreshed-after-uninstall"), time.Time{})
		wantCode(t, "the refresh's swap after the uninstall", err, connect.NotFound)

		// The shop installs the app again: its new token never takes the
		// version the refresh claimed, which can neither swap nor claim.
		again, err := st.SaveShopifyToken(f.ctx, sc, shopA, []byte("reinstalled"), time.Time{})
		must(t, err)
		if again.Version <= before.Version {
			t.Fatalf("the reinstall's token is at version %d, not after the forgotten one's %d", again.Version, before.Version)
		}
		_, err = st.SwapShopifyToken(f.ctx, sc, before.Version, []byte("refreshed-after-uninstall"), time.Time{})
		wantCode(t, "the refresh's swap after the reinstall", err, connect.Conflict)
		wantCode(t, "a claim on the forgotten version",
			st.ClaimShopifyRefresh(f.ctx, sc, connect.ShopifyRefreshClaim{Version: before.Version, Now: f.at(0).Add(2 * time.Hour), Until: f.at(0).Add(3 * time.Hour)}), connect.Conflict)
		got, err := st.ShopifyToken(f.ctx, sc)
		must(t, err)
		same(t, "the reinstall's token", again, got)
		// Unlinking the last client forgets it the same way.
		must(t, st.DeleteShopifyToken(f.ctx, sc))
		third, err := st.SaveShopifyToken(f.ctx, sc, shopA, []byte("third"), time.Time{})
		must(t, err)
		if third.Version <= again.Version {
			t.Fatalf("after an unlink, the next token is at version %d, not after %d", third.Version, again.Version)
		}
	})
}

// testOrdersFromShopify: the orders imported from Shopify orders are found by
// shop and order id, each client's in its scope, every client's in the
// account's; another shop's order with the same id, and orders of other ids,
// are not.
func testOrdersFromShopify(t *testing.T, f *fixture) {
	shop := f.id("shop") + ".myshopify.com"
	c := f.client(f.account())
	sibling := f.client(c.Account)
	mk := func(cl *connect.Client, st connect.Status, n int, shop, gid string) *connect.Order {
		o := f.order(cl, st, n)
		o.Source, o.Shopify = connect.SourceShopify, connect.ShopifyRef{Shop: shop, OrderID: gid}
		f.store(o)
		return o
	}
	draft := mk(c, connect.StatusDraft, 1, shop, "gid://shopify/Order/1")
	submitted := mk(c, connect.StatusSubmitted, 2, shop, "gid://shopify/Order/2")
	mk(c, connect.StatusDraft, 3, shop, "gid://shopify/Order/3")
	mk(c, connect.StatusDraft, 4, "other-"+shop, "gid://shopify/Order/1")
	siblings := mk(sibling, connect.StatusScheduled, 5, shop, "gid://shopify/Order/1")
	f.store(f.order(c, connect.StatusDraft, 6)) // not from Shopify

	byID := func(list []*connect.Order) []*connect.Order {
		slices.SortFunc(list, func(x, y *connect.Order) int { return strings.Compare(string(x.ID), string(y.ID)) })
		return list
	}
	ids := []string{"gid://shopify/Order/1", "gid://shopify/Order/2", "gid://shopify/Order/9"}
	got, err := f.s.OrdersFromShopify(f.ctx, scopeOf(c), shop, ids)
	must(t, err)
	same(t, "the client's orders of the Shopify orders", byID([]*connect.Order{f.reload(draft), f.reload(submitted)}), byID(got))
	got, err = f.s.OrdersFromShopify(f.ctx, connect.Scope{Account: c.Account}, shop, ids[:1])
	must(t, err)
	same(t, "the account's orders of one Shopify order", byID([]*connect.Order{f.reload(draft), f.reload(siblings)}), byID(got))
	for _, tc := range []struct {
		name string
		shop string
		ids  []string
	}{{"no ids", shop, nil}, {"no shop", "", ids}, {"an unknown id", shop, []string{"gid://shopify/Order/9"}}} {
		got, err := f.s.OrdersFromShopify(f.ctx, scopeOf(c), tc.shop, tc.ids)
		must(t, err)
		if len(got) != 0 {
			t.Fatalf("%s: found %d orders", tc.name, len(got))
		}
	}
}
