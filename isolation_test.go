package connect_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/connecttest"
	"github.com/google/go-cmp/cmp"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
)

// The tenant isolation matrix (DESIGN.md, "Reliability and security model"): every
// Service operation, called by every kind of caller that must not reach a client's
// objects, is refused with not_found or forbidden (a list answers with nothing of
// the client) and changes nothing in the database.

// target is a client's team and an object of every kind the Service hands out.
type target struct {
	client                    *connect.Client
	owner, admin, member, key connect.Actor
	// draft is a draft, submitted waits in the stops list, scheduled is on a route
	// and delivered has its proof of delivery.
	draft, submitted, scheduled, delivered *connect.Order
	invite                                 *connect.IssuedInvite // pending, for a member
	apiKey                                 *connect.IssuedAPIKey
	link                                   *connect.IssuedTrackingLink // on delivered
	proofFile                              string                      // delivered's photo, kept by connect
	session                                *connect.IssuedSession      // the owner's (V and X)
	webhook                                *connect.WebhookEndpoint    // with a delivery in its log
	address                                *connect.AddressEntry       // in its address book
	schedule                               *connect.Schedule           // repeats its draft
}

// isoWorld is the victim client V of account acct-1 with every kind of neighbour.
type isoWorld struct {
	*world
	db *bun.DB
	// start is a feed cursor from before any order existed: a subscription after it
	// would replay every order event of the world.
	start string
	// v is the victim; x is a client of the same account, built like v, then
	// disabled: its own team tries its own objects.
	v, x *target
	// clientInvite is the pending invite of a client of acct-1 that has not signed
	// up yet: an account-level object only acct-1's dispatchers manage.
	clientInvite *connect.IssuedInvite
	// Credentials that must stop working, or never worked: V's removed admin (and
	// the token they signed up with), a member invite V revoked, the first token of
	// an invite V sent again, a revoked API key and a revoked tracking link.
	removed                         connect.Actor
	removedEmail                    string
	acceptedToken                   string
	revokedInvite                   *connect.IssuedInvite
	replacedToken                   string
	revokedKey                      *connect.IssuedAPIKey
	revokedKeyActor                 connect.Actor
	revokedLink                     *connect.IssuedTrackingLink
	xOwnerEmail, xMemberEmail       string
	vShopifyIDs                     []string         // the Shopify order ids of V's imported orders
	vImport                         connect.ImportID // the import of V's Shopify orders
	otherShop                       string           // the Shopify store of client A, V's neighbour
	events                          int              // route event ids handed out
	other                           *target          // client A
	otherAccountDisp, otherAcctHost connect.Actor
}

// isoPassword is every isolation-world person's password.
const isoPassword = "correct horse battery staple"

// joinWithPassword adds a person to owner's team with a role and a password, and
// returns the actor and the token they accepted.
func (w *world) joinWithPassword(owner connect.Actor, email string, role connect.Role) (connect.Actor, string) {
	w.t.Helper()
	inv, err := w.svc.InviteMember(w.ctx, owner, connect.InviteMemberParams{Email: email, Role: role})
	if err != nil {
		w.t.Fatal(err)
	}
	acc, err := w.svc.AcceptInvite(w.ctx, inv.Token, connect.SignUp{Name: email, Email: email, Password: isoPassword})
	if err != nil {
		w.t.Fatal(err)
	}
	return acc.Actor, inv.Token
}

// must(f())(t) is f's value, or t fails on f's error: setup in one line.
func must[T any](v T, err error) func(testing.TB) T {
	return func(t testing.TB) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// buildTarget gives a signed-up client a team (admin, member with passwords), a draft,
// orders that are submitted, scheduled and delivered, a pending member invite, an
// API key and a tracking link. ref prefixes its order refs and route event ids.
func (iw *isoWorld) buildTarget(cl *connect.Client, owner connect.Actor, ref string) *target {
	t, w := iw.t, iw.world
	tg := &target{client: cl, owner: owner}
	tg.admin, _ = w.joinWithPassword(owner, ref+"-admin@example.com", connect.RoleAdmin)
	tg.member, _ = w.joinWithPassword(owner, ref+"-member@example.com", connect.RoleMember)
	// Its orders' changes log recipient notices (skipped: they have no email).
	must(w.svc.SetNotifySettings(w.ctx, owner, connect.NotifySettingsInput{Events: connect.NotifyEvents(), Email: true}))(t)
	var ids []connect.OrderID
	for i := range 4 {
		o := w.draft(owner, fmt.Sprintf("%s-%d", ref, i))
		ids = append(ids, o.ID)
	}
	orders := must(w.svc.SubmitOrders(w.ctx, owner, ids[1:]))(t)
	tg.submitted, tg.scheduled, tg.delivered = orders[0], orders[1], orders[2]
	photo := must(w.svc.StoreProofFile(w.ctx, connect.AsRouteSync(w.acct), tg.delivered.ID, bytes.NewReader(connecttest.PNG)))(t)
	tg.proofFile = photo[strings.LastIndexByte(photo, '/')+1:]
	complete := ev(ref+"-e3", tg.delivered.ID, connect.EventComplete, 2)
	complete.Proof = &connect.ProofOfDelivery{PhotoURLs: []string{photo}, RecipientName: "Rita"}
	w.route(ev(ref+"-e1", tg.scheduled.ID, connect.EventSchedule, 0),
		ev(ref+"-e2", tg.delivered.ID, connect.EventStart, 1), complete)
	tg.draft = must(w.svc.Order(w.ctx, owner, ids[0]))(t)
	tg.submitted = must(w.svc.Order(w.ctx, owner, tg.submitted.ID))(t)
	tg.scheduled = must(w.svc.Order(w.ctx, owner, tg.scheduled.ID))(t)
	tg.delivered = must(w.svc.Order(w.ctx, owner, tg.delivered.ID))(t)
	tg.invite = must(w.svc.InviteMember(w.ctx, owner, connect.InviteMemberParams{Email: ref + "-new@example.com", Role: connect.RoleAdmin}))(t)
	tg.apiKey = must(w.svc.CreateAPIKey(w.ctx, owner, ref+" warehouse"))(t)
	tg.key = must(w.svc.AuthenticateAPIKey(w.ctx, tg.apiKey.Token))(t)
	tg.link = must(w.svc.CreateTrackingLink(w.ctx, owner, tg.delivered.ID))(t)
	tg.webhook = must(w.svc.AddWebhook(w.ctx, owner, connect.WebhookInput{URL: "https://hooks.example/" + ref, Events: connect.WebhookEventTypes()}))(t).Webhook
	must(w.store.RecordWebhookDelivery(w.ctx, connect.Scope{Account: cl.Account, Client: cl.ID}, connect.RecordWebhookDeliveryParams{
		Delivery: connect.WebhookDelivery{ID: ref + "-hook-1", Account: cl.Account, Client: cl.ID, Webhook: tg.webhook.ID,
			Message: "msg_" + ref, Type: connect.WebhookTest, Attempt: 1, At: w.Clock.Now(), Status: 200, Succeeded: true}}))(t)
	tg.address = must(w.svc.AddAddressEntry(w.ctx, owner, connect.AddressEntryInput{Recipient: connect.Recipient{Name: ref + " recipient"},
		Address: connect.Address{Line1: "9 " + ref + " Road"}}))(t)
	tg.schedule = must(w.svc.CreateSchedule(w.ctx, owner, connect.ScheduleInput{FromOrder: tg.draft.ID,
		Weekdays: []time.Weekday{time.Monday}, At: 9 * 60}))(t)
	return tg
}

// newIsoWorld builds, once per store, the victim V with objects of every kind, a
// second client A of the same account (a team and an API key, linked to its own
// Shopify store, no orders), a disabled client X built like V, a client still
// invited, and account acct-2, which has nothing: whatever a list shows acct-2 or
// A's team is a leak.
func newIsoWorld(t *testing.T) *isoWorld {
	shop := &fakeShop{orders: []connect.ShopifyOrder{shopOrder("#1001"), shopOrder("#1002")}}
	// The world's RouteSync is wired: submissions leave outbox entries behind.
	w := newWorldWith(t, func(c *connect.Config) {
		c.Shopify, c.Privacy = shop, nopPrivacy{}
		keepProofFiles(c)
		withWebhooks(c)
		withNotices(c)
	})
	iw := &isoWorld{world: w, db: w.store.DB(), otherShop: "other-shop.myshopify.com",
		otherAccountDisp: connect.AsDispatcher("acct-2", "eve@other.example"), otherAcctHost: connect.AsRouteSync("acct-2")}
	iw.start = must(w.store.EventsHead(w.ctx))(t)

	// The victim, V.
	v := iw.buildTarget(w.client, w.owner, "v")
	iw.v = v
	must(w.svc.LinkShopify(w.ctx, v.owner, "green.myshopify.com"))(t)
	must(w.svc.UpdateFulfillment(w.ctx, v.owner, connect.FulfillmentSettings{AutoFulfill: true, NotifyCustomer: true}))(t)
	must(w.svc.SaveImportMapping(w.ctx, v.owner, map[string]connect.Field{"Postcode": connect.FieldZip}))(t)
	iw.vImport = must(w.svc.ImportShopifyOrders(w.ctx, v.owner, []string{"#1001", "#1002"}, connect.ImportOptions{}))(t).Import
	for _, o := range must(w.svc.Orders(w.ctx, v.owner, connect.ListOrdersParams{Statuses: []connect.Status{connect.StatusDraft}}))(t).Orders {
		if o.Shopify.OrderID != "" {
			iw.vShopifyIDs = append(iw.vShopifyIDs, o.Shopify.OrderID)
		}
	}
	if len(iw.vShopifyIDs) != 2 {
		t.Fatalf("V has Shopify orders %v", iw.vShopifyIDs)
	}
	// #1002 is submitted, then changed in Shopify: a Shopify notice for V's
	// dispatcher (ShopifyNotices).
	var changed string
	for _, o := range must(w.svc.Orders(w.ctx, v.owner, connect.ListOrdersParams{Statuses: []connect.Status{connect.StatusDraft}}))(t).Orders {
		if o.Ref == "#1002" {
			must(w.svc.SubmitOrders(w.ctx, v.owner, []connect.OrderID{o.ID}))(t)
			changed = o.Shopify.OrderID
		}
	}
	shop.orders[1].Input.Address.Line1 = "9 Changed Rd"
	if res := must(w.svc.ShopifyOrderUpdated(w.ctx, connect.AsShopifyWebhook(), connect.ShopifyOrderChange{
		Shop: "green.myshopify.com", OrderID: changed}))(t); res.Noticed != 1 {
		t.Fatalf("V's Shopify notice: %+v", res)
	}
	if _, err := w.store.SaveShopifyToken(w.ctx, connect.Scope{Account: w.acct, Client: v.client.ID}, "green.myshopify.com", []byte("sealed"), time.Time{}); err != nil {
		t.Fatal(err)
	}
	if err := w.svc.ChangePassword(w.ctx, v.owner, "", isoPassword); err != nil {
		t.Fatal(err)
	}
	// After the password change, which ends the owner's sessions.
	v.session = must(w.svc.StartSession(w.ctx, v.owner, connect.StartSessionParams{Device: "V's laptop"}))(t)
	iw.removedEmail = "v-gone@example.com"
	iw.removed, iw.acceptedToken = w.joinWithPassword(v.owner, iw.removedEmail, connect.RoleAdmin)
	if err := w.svc.RemoveMember(w.ctx, v.owner, iw.removed.Member); err != nil {
		t.Fatal(err)
	}
	iw.revokedInvite = must(w.svc.InviteMember(w.ctx, v.owner, connect.InviteMemberParams{Email: "v-revoked@example.com", Role: connect.RoleAdmin}))(t)
	must(w.svc.RevokeInvite(w.ctx, v.owner, iw.revokedInvite.Invite.ID))(t)
	first := must(w.svc.InviteMember(w.ctx, v.owner, connect.InviteMemberParams{Email: "v-resent@example.com", Role: connect.RoleMember}))(t)
	iw.replacedToken = first.Token
	must(w.svc.ResendInvite(w.ctx, v.owner, first.Invite.ID))(t)
	iw.revokedKey = must(w.svc.CreateAPIKey(w.ctx, v.owner, "old warehouse"))(t)
	iw.revokedKeyActor = must(w.svc.AuthenticateAPIKey(w.ctx, iw.revokedKey.Token))(t)
	must(w.svc.RevokeAPIKey(w.ctx, v.owner, iw.revokedKey.Key.ID))(t)
	iw.revokedLink = must(w.svc.CreateTrackingLink(w.ctx, v.owner, v.submitted.ID))(t)
	must(w.svc.RevokeTrackingLink(w.ctx, v.owner, v.submitted.ID, iw.revokedLink.Link.ID))(t)
	iw.clientInvite = must(w.svc.InviteClient(w.ctx, w.disp, connect.InviteClientParams{Name: "Still Invited"}))(t)

	// The neighbour A: same account, a whole team, no orders.
	aClient, aOwner := w.signUpClient(w.disp, "Other Shop", connect.ClientSettings{AllowUpload: true, DefaultDepot: "north"})
	iw.other = &target{client: aClient, owner: aOwner}
	iw.other.admin, _ = w.joinWithPassword(aOwner, "a-admin@example.com", connect.RoleAdmin)
	iw.other.member, _ = w.joinWithPassword(aOwner, "a-member@example.com", connect.RoleMember)
	iw.other.apiKey = must(w.svc.CreateAPIKey(w.ctx, aOwner, "a warehouse"))(t)
	iw.other.key = must(w.svc.AuthenticateAPIKey(w.ctx, iw.other.apiKey.Token))(t)
	iw.other.client = must(w.svc.LinkShopify(w.ctx, aOwner, iw.otherShop))(t)

	// X: built like V, then disabled by its dispatcher.
	xClient, xOwner := w.signUpClient(w.disp, "Disabled Shop", connect.ClientSettings{AllowUpload: true, DefaultDepot: "north"})
	iw.x = iw.buildTarget(xClient, xOwner, "x")
	if err := w.svc.ChangePassword(w.ctx, xOwner, "", isoPassword); err != nil {
		t.Fatal(err)
	}
	iw.x.session = must(w.svc.StartSession(w.ctx, xOwner, connect.StartSessionParams{Device: "X's laptop"}))(t)
	iw.xOwnerEmail = must(w.svc.Members(w.ctx, xOwner, ""))(t)[0].Email // the owner comes first
	iw.xMemberEmail = "x-member@example.com"
	iw.x.client = must(w.svc.DisableClient(w.ctx, w.disp, xClient.ID))(t)
	return iw
}

// isoActor is a caller that must not reach its target's objects.
type isoActor struct {
	name  string
	actor connect.Actor
	// role is what the caller is in the role matrix (owner, admin, member,
	// dispatcher, host; "key" for an API key): with home set, on its own tenant;
	// with victim set, on the target's.
	role string
	// home: the caller stands in a tenant of its own, where an operation that names
	// no object (InviteClient, CreateOrder) is its right, not a leak.
	home bool
	// victim: the caller belongs to the target's own team or account, and is tried
	// only where the role matrix refuses its role.
	victim bool
	target func(iw *isoWorld) *target
}

func (iw *isoWorld) actors() []isoActor {
	v := func(iw *isoWorld) *target { return iw.v }
	x := func(iw *isoWorld) *target { return iw.x }
	a := iw.other
	forgedKey := connect.Actor{Kind: connect.ActorAPIKey, Account: iw.acct, Client: iw.v.client.ID, APIKey: a.key.APIKey}
	return []isoActor{
		{name: "dispatcher of another account", actor: iw.otherAccountDisp, role: "dispatcher", home: true, target: v},
		{name: "route sync of another account", actor: iw.otherAcctHost, role: "host", home: true, target: v},
		{name: "owner of another client", actor: a.owner, role: "owner", home: true, target: v},
		{name: "admin of another client", actor: a.admin, role: "admin", home: true, target: v},
		{name: "member of another client", actor: a.member, role: "member", home: true, target: v},
		{name: "API key of another client", actor: a.key, role: "key", home: true, target: v},
		{name: "another client's owner claiming the client", actor: connect.AsMember(iw.acct, iw.v.client.ID, a.owner.Member), target: v},
		{name: "another client's API key claiming the client", actor: forgedKey, target: v},
		{name: "the client's owner claiming another account", actor: connect.AsMember("acct-2", iw.v.client.ID, iw.v.owner.Member), target: v},
		{name: "dispatcher of another account naming the client", actor: connect.Actor{Kind: connect.ActorDispatcher, Account: "acct-2",
			Client: iw.v.client.ID, Member: iw.v.owner.Member, User: "eve@other.example"}, role: "dispatcher", home: true, target: v},
		{name: "removed admin", actor: iw.removed, target: v},
		{name: "revoked invitee", actor: connect.AsMember(iw.acct, iw.v.client.ID, connect.MemberID(iw.revokedInvite.Invite.ID)), target: v},
		{name: "revoked API key", actor: iw.revokedKeyActor, target: v},
		{name: "owner of a disabled client", actor: iw.x.owner, target: x},
		{name: "member of a disabled client", actor: iw.x.member, target: x},
		{name: "API key of a disabled client", actor: iw.x.key, target: x},
		{name: "owner of the client", actor: iw.v.owner, role: "owner", victim: true, target: v},
		{name: "admin of the client", actor: iw.v.admin, role: "admin", victim: true, target: v},
		{name: "member of the client", actor: iw.v.member, role: "member", victim: true, target: v},
		{name: "API key of the client", actor: iw.v.key, role: "key", victim: true, target: v},
		{name: "dispatcher of the account", actor: iw.disp, role: "dispatcher", victim: true, target: v},
		{name: "route sync of the account", actor: connect.AsRouteSync(iw.acct), role: "host", victim: true, target: v},
	}
}

// notMine reports whether an object of (account, client) is outside what a caller
// may see: another account for a dispatcher, another client for a team.
func notMine(a connect.Actor, account connect.AccountID, client connect.ClientID) bool {
	if a.Account != account {
		return true
	}
	return (a.Kind == connect.ActorMember || a.Kind == connect.ActorAPIKey) && a.Client != client
}

// pageLeaks returns how many orders of page are not a's, and err, for a row
// that lists orders: pageLeaks(a)(svc.Orders(…)).
func pageLeaks(a connect.Actor) func(page *connect.OrderPage, err error) (int, error) {
	return func(page *connect.OrderPage, err error) (int, error) {
		n := 0
		if page != nil {
			for _, o := range page.Orders {
				if notMine(a, o.Account, o.Client) {
					n++
				}
			}
		}
		return n, err
	}
}

// isoOp is one Service operation, aimed at a target's objects.
type isoOp struct {
	name string // the Service method, then what sets this row apart from its other one
	// matrix names the row of the role matrix (operations in roles_test.go) this
	// row mirrors; TestTheIsolationMatrixAgreesWithTheRoleMatrix keeps them equal.
	matrix  string
	allowed []string // roles that may, on their own tenant: owner, admin, member, dispatcher, host
	// keyRefused: an API key is refused although it acts with a member's rights.
	keyRefused bool
	// self: the operation names no object; it acts on the caller's own tenant.
	self bool
	// list: the operation may answer with a result; call returns how many of its
	// items are not the caller's (which must be none).
	list bool
	// own says which rows a successful (list) call may write in the caller's own
	// tenant, if any.
	own  func(a connect.Actor, table string, row map[string]string) bool
	call func(iw *isoWorld, a connect.Actor, tg *target) (leaked int, err error)
}

func (op isoOp) allows(role string) bool {
	if role == "key" {
		return !op.keyRefused && slices.Contains(op.allowed, "member")
	}
	return slices.Contains(op.allowed, role)
}

var (
	teamRoles   = []string{"owner", "admin", "member"}
	managers    = []string{"owner", "admin"}
	viewers     = []string{"owner", "admin", "member", "dispatcher"}
	dispatchers = []string{"dispatcher"}
)

// oneRow is an import source of one order, for the client number given ("" for a
// client's own import).
func oneRow(number connect.ClientNumber) *rowsSource {
	in := connect.OrderInput{Ref: "INTRUDER-1", Address: connect.Address{Line1: "1 Intruder St"}}
	return &rowsSource{rows: []connect.ImportRow{{Number: 2, Cells: []string{string(number), in.Address.Line1, in.Ref}, Input: in, ClientNumber: string(number)}}}
}

// unknownNumber returns a well-formed client number no client has.
func unknownNumber(t *target) connect.ClientNumber {
	for {
		n, _ := connect.NewClientNumber()
		if n != t.client.Number {
			return n
		}
	}
}

// sameAsUnknown reports whether what a call said about the target's client number
// is what it says of a number no client has: nothing tells that the client exists.
func sameAsUnknown(said, saidOfUnknown string, t *target, unknown connect.ClientNumber) bool {
	return said == strings.ReplaceAll(saidOfUnknown, string(unknown), string(t.client.Number))
}

var isoOps = []isoOp{
	{name: "InviteClient", matrix: "InviteClient", allowed: dispatchers, self: true, call: func(iw *isoWorld, a connect.Actor, _ *target) (int, error) {
		_, err := iw.svc.InviteClient(iw.ctx, a, connect.InviteClientParams{Name: "Intruder"})
		return 0, err
	}},
	{name: "Clients", matrix: "Clients", allowed: dispatchers, list: true, call: func(iw *isoWorld, a connect.Actor, _ *target) (int, error) {
		list, err := iw.svc.Clients(iw.ctx, a)
		n := 0
		for _, cs := range list {
			if notMine(a, cs.Client.Account, "") {
				n++
			}
		}
		return n, err
	}},
	{name: "ClientsPage", matrix: "ClientsPage", allowed: dispatchers, list: true, call: func(iw *isoWorld, a connect.Actor, tg *target) (int, error) {
		// Searching for the target by name is the likeliest way to reach it.
		page, err := iw.svc.ClientsPage(iw.ctx, a, connect.ClientsParams{Search: tg.client.Name, Count: true})
		n := 0
		if page != nil && page.Next == "" && page.Matching != len(page.Clients) {
			n++ // the count is of the caller's own clients, as the list
		}
		if page != nil {
			for _, cs := range page.Clients {
				if notMine(a, cs.Client.Account, "") {
					n++
				}
			}
		}
		return n, err
	}},
	{name: "Client", matrix: "Client", allowed: viewers, call: func(iw *isoWorld, a connect.Actor, tg *target) (int, error) {
		_, err := iw.svc.Client(iw.ctx, a, tg.client.ID)
		return 0, err
	}},
	{name: "UpdateClient", matrix: "UpdateClient", allowed: dispatchers, call: func(iw *isoWorld, a connect.Actor, tg *target) (int, error) {
		name := "Renamed"
		_, err := iw.svc.UpdateClient(iw.ctx, a, tg.client.ID, connect.ClientChanges{Name: &name, Settings: &connect.ClientSettings{AllowUpload: true}})
		return 0, err
	}},
	{name: "DisableClient", matrix: "DisableClient", allowed: dispatchers, call: func(iw *isoWorld, a connect.Actor, tg *target) (int, error) {
		_, err := iw.svc.DisableClient(iw.ctx, a, tg.client.ID)
		return 0, err
	}},
	{name: "EnableClient", matrix: "EnableClient", allowed: dispatchers, call: func(iw *isoWorld, a connect.Actor, tg *target) (int, error) {
		_, err := iw.svc.EnableClient(iw.ctx, a, tg.client.ID)
		return 0, err
	}},
	// A bulk change names clients by id, or by a search (the target's name):
	// another account's dispatcher finds none of them, changes nothing.
	{name: "ChangeClients (ids)", matrix: "ChangeClients", allowed: dispatchers, list: true, call: func(iw *isoWorld, a connect.Actor, tg *target) (int, error) {
		res, err := iw.svc.ChangeClients(iw.ctx, a, connect.ClientSelection{IDs: []connect.ClientID{tg.client.ID}},
			connect.ClientsChange{Action: connect.ClientsDisable}, connect.BulkOptions{})
		return bulkLeaked(res), err
	}},
	{name: "ChangeClients (matching)", matrix: "ChangeClients", allowed: dispatchers, list: true, call: func(iw *isoWorld, a connect.Actor, tg *target) (int, error) {
		res, err := iw.svc.ChangeClients(iw.ctx, a, connect.ClientSelection{Matching: &connect.ClientsParams{Search: tg.client.Name}},
			connect.ClientsChange{Action: connect.ClientsStopUploads}, connect.BulkOptions{})
		return bulkLeaked(res), err
	}},
	{name: "UpdateFulfillment", matrix: "UpdateFulfillment", allowed: managers, self: true, call: func(iw *isoWorld, a connect.Actor, _ *target) (int, error) {
		_, err := iw.svc.UpdateFulfillment(iw.ctx, a, connect.FulfillmentSettings{AutoFulfill: false})
		return 0, err
	}},
	{name: "Members", matrix: "Members", allowed: viewers, call: func(iw *isoWorld, a connect.Actor, tg *target) (int, error) {
		list, err := iw.svc.Members(iw.ctx, a, tg.client.ID)
		return len(list), err
	}},
	{name: "Membership", matrix: "Membership", allowed: teamRoles, keyRefused: true, self: true, list: true, call: func(iw *isoWorld, a connect.Actor, _ *target) (int, error) {
		cl, m, err := iw.svc.Membership(iw.ctx, a)
		n := 0
		if cl != nil && notMine(a, cl.Account, cl.ID) {
			n++
		}
		if m != nil && (m.ID != a.Member || notMine(a, m.Account, m.Client)) {
			n++
		}
		return n, err
	}},
	{name: "InviteMember", matrix: "InviteMember", allowed: managers, self: true, call: func(iw *isoWorld, a connect.Actor, _ *target) (int, error) {
		_, err := iw.svc.InviteMember(iw.ctx, a, connect.InviteMemberParams{Email: "intruder@example.com", Role: connect.RoleAdmin})
		return 0, err
	}},
	{name: "Invites", matrix: "Invites", allowed: viewers, list: true, call: func(iw *isoWorld, a connect.Actor, tg *target) (int, error) {
		list, err := iw.svc.Invites(iw.ctx, a, tg.client.ID)
		n := 0
		for _, inv := range list {
			if notMine(a, inv.Account, inv.Client) {
				n++
			}
		}
		return n, err
	}},
	{name: "RevokeInvite", matrix: "RevokeMemberInvite", allowed: managers, call: func(iw *isoWorld, a connect.Actor, tg *target) (int, error) {
		_, err := iw.svc.RevokeInvite(iw.ctx, a, tg.invite.Invite.ID)
		return 0, err
	}},
	{name: "RevokeInvite of a client", matrix: "ResendClientInvite", allowed: dispatchers, call: func(iw *isoWorld, a connect.Actor, _ *target) (int, error) {
		_, err := iw.svc.RevokeInvite(iw.ctx, a, iw.clientInvite.Invite.ID)
		return 0, err
	}},
	{name: "ResendInvite", matrix: "ResendInvite", allowed: managers, call: func(iw *isoWorld, a connect.Actor, tg *target) (int, error) {
		_, err := iw.svc.ResendInvite(iw.ctx, a, tg.invite.Invite.ID)
		return 0, err
	}},
	{name: "ResendInvite of a client", matrix: "ResendClientInvite", allowed: dispatchers, call: func(iw *isoWorld, a connect.Actor, _ *target) (int, error) {
		_, err := iw.svc.ResendInvite(iw.ctx, a, iw.clientInvite.Invite.ID)
		return 0, err
	}},
	{name: "RemoveMember", matrix: "RemoveMember", allowed: managers, keyRefused: true, call: func(iw *isoWorld, a connect.Actor, tg *target) (int, error) {
		// Not the member: anyone but the owner may leave their own team.
		return 0, iw.svc.RemoveMember(iw.ctx, a, tg.admin.Member)
	}},
	{name: "ChangeRole", matrix: "ChangeRole", allowed: managers, call: func(iw *isoWorld, a connect.Actor, tg *target) (int, error) {
		_, err := iw.svc.ChangeRole(iw.ctx, a, tg.member.Member, connect.RoleAdmin)
		return 0, err
	}},
	{name: "ResetMemberTwoFactor", matrix: "ResetMemberTwoFactor", allowed: []string{"owner", "dispatcher"}, keyRefused: true, call: func(iw *isoWorld, a connect.Actor, tg *target) (int, error) {
		_, err := iw.svc.ResetMemberTwoFactor(iw.ctx, a, tg.client.ID, tg.member.Member)
		return 0, err
	}},
	{name: "ResetMemberTwoFactor/the caller's own team", matrix: "ResetMemberTwoFactor", allowed: []string{"owner", "dispatcher"}, keyRefused: true, call: func(iw *isoWorld, a connect.Actor, tg *target) (int, error) {
		// The victim's member named with no client: a member's own team.
		_, err := iw.svc.ResetMemberTwoFactor(iw.ctx, a, "", tg.member.Member)
		return 0, err
	}},
	{name: "TransferOwnership", matrix: "TransferOwnership", allowed: []string{"owner"}, call: func(iw *isoWorld, a connect.Actor, tg *target) (int, error) {
		_, err := iw.svc.TransferOwnership(iw.ctx, a, tg.admin.Member)
		return 0, err
	}},
	{name: "CreateOrder", matrix: "CreateOrder", allowed: teamRoles, self: true, call: func(iw *isoWorld, a connect.Actor, _ *target) (int, error) {
		_, err := iw.svc.CreateOrder(iw.ctx, a, connect.OrderInput{Address: connect.Address{Line1: "1 Intruder St"}})
		return 0, err
	}},
	{name: "UpdateDraft", matrix: "UpdateDraft", allowed: teamRoles, call: func(iw *isoWorld, a connect.Actor, tg *target) (int, error) {
		in := tg.draft.OrderInput
		in.Notes = "leave it with the intruder"
		_, err := iw.svc.UpdateDraft(iw.ctx, a, tg.draft.ID, 0, in)
		return 0, err
	}},
	{name: "DeleteDraft", matrix: "DeleteDraft", allowed: teamRoles, call: func(iw *isoWorld, a connect.Actor, tg *target) (int, error) {
		return 0, iw.svc.DeleteDraft(iw.ctx, a, tg.draft.ID, 0)
	}},
	{name: "SubmitOrders", matrix: "SubmitOrders", allowed: teamRoles, call: func(iw *isoWorld, a connect.Actor, tg *target) (int, error) {
		_, err := iw.svc.SubmitOrders(iw.ctx, a, []connect.OrderID{tg.draft.ID})
		return 0, err
	}},
	{name: "Withdraw", matrix: "Withdraw", allowed: teamRoles, call: func(iw *isoWorld, a connect.Actor, tg *target) (int, error) {
		_, err := iw.svc.Withdraw(iw.ctx, a, tg.submitted.ID)
		return 0, err
	}},
	// The bulk actions name no order: a filter, in the caller's own client. Aimed
	// at the victim's order's reference, they must find nothing to act on (a
	// caller of its own client matches none of its own: the world's refs differ).
	{name: "SubmitMatching", matrix: "SubmitMatching", allowed: teamRoles, list: true, call: func(iw *isoWorld, a connect.Actor, tg *target) (int, error) {
		res, err := iw.svc.SubmitMatching(iw.ctx, a, connect.ListOrdersParams{Search: tg.draft.Ref, Client: tg.client.ID}, connect.BulkOptions{})
		return bulkLeaked(res), err
	}},
	{name: "WithdrawMatching", matrix: "WithdrawMatching", allowed: teamRoles, list: true, call: func(iw *isoWorld, a connect.Actor, tg *target) (int, error) {
		res, err := iw.svc.WithdrawMatching(iw.ctx, a, connect.ListOrdersParams{Search: tg.submitted.Ref, Client: tg.client.ID}, connect.BulkOptions{})
		return bulkLeaked(res), err
	}},
	{name: "DeleteMatching", matrix: "DeleteMatching", allowed: teamRoles, list: true, call: func(iw *isoWorld, a connect.Actor, tg *target) (int, error) {
		res, err := iw.svc.DeleteMatching(iw.ctx, a, connect.ListOrdersParams{Search: tg.draft.Ref, Client: tg.client.ID}, connect.BulkOptions{})
		return bulkLeaked(res), err
	}},
	{name: "CancelMatching", matrix: "CancelMatching", allowed: dispatchers, list: true, call: func(iw *isoWorld, a connect.Actor, tg *target) (int, error) {
		res, err := iw.svc.CancelMatching(iw.ctx, a, connect.ListOrdersParams{Search: tg.submitted.Ref, Client: tg.client.ID}, "intruder", connect.BulkOptions{})
		return bulkLeaked(res), err
	}},
	{name: "CancelOrder", matrix: "CancelOrder", allowed: dispatchers, call: func(iw *isoWorld, a connect.Actor, tg *target) (int, error) {
		_, err := iw.svc.CancelOrder(iw.ctx, a, tg.submitted.ID, "intruder")
		return 0, err
	}},
	{name: "Orders", matrix: "Orders", allowed: viewers, list: true, call: func(iw *isoWorld, a connect.Actor, tg *target) (int, error) {
		return pageLeaks(a)(iw.svc.Orders(iw.ctx, a, connect.ListOrdersParams{Client: tg.client.ID}))
	}},
	{name: "Orders (search)", matrix: "Orders", allowed: viewers, list: true, call: func(iw *isoWorld, a connect.Actor, tg *target) (int, error) {
		return pageLeaks(a)(iw.svc.Orders(iw.ctx, a, connect.ListOrdersParams{Search: tg.submitted.Ref}))
	}},
	{name: "Orders (import)", matrix: "Orders", allowed: viewers, list: true, call: func(iw *isoWorld, a connect.Actor, tg *target) (int, error) {
		// V's import's id, as a filter of the caller's own list.
		return pageLeaks(a)(iw.svc.Orders(iw.ctx, a, connect.ListOrdersParams{Import: iw.vImport, Client: tg.client.ID}))
	}},
	{name: "Imports", matrix: "Imports", allowed: viewers, list: true, call: func(iw *isoWorld, a connect.Actor, tg *target) (int, error) {
		list, err := iw.svc.Imports(iw.ctx, a, connect.ImportsParams{Client: tg.client.ID})
		n := 0
		for _, r := range list {
			if notMine(a, r.Account, r.Client) || r.ID == iw.vImport {
				n++
			}
		}
		return n, err
	}},
	{name: "Statement", matrix: "Statement", allowed: viewers, list: true, call: func(iw *isoWorld, a connect.Actor, tg *target) (int, error) {
		// Foreign callers own no orders at all, so any count is the target's; a
		// statement of another client than the caller's own is a leak too.
		st, err := iw.svc.Statement(iw.ctx, a, connect.StatementParams{Client: tg.client.ID})
		n := 0
		if st != nil {
			n = st.Orders
			if notMine(a, a.Account, st.Client) || st.ClientName == tg.client.Name {
				n++
			}
		}
		return n, err
	}},
	{name: "ProofDocuments", matrix: "ProofDocuments", allowed: viewers, list: true, call: func(iw *isoWorld, a connect.Actor, tg *target) (int, error) {
		n := 0
		_, err := iw.svc.ProofDocuments(iw.ctx, a, connect.ProofExportParams{Client: tg.client.ID}, func(d *connect.ProofDocument) error {
			if notMine(a, d.Order.Account, d.Order.Client) {
				n++
			}
			return nil
		})
		return n, err
	}},
	{name: "ProofDocuments/chosen", matrix: "ProofDocuments", allowed: viewers, call: func(iw *isoWorld, a connect.Actor, tg *target) (int, error) {
		_, err := iw.svc.ProofDocuments(iw.ctx, a, connect.ProofExportParams{Client: tg.client.ID, IDs: []connect.OrderID{tg.delivered.ID}},
			func(*connect.ProofDocument) error { return nil })
		return 0, err
	}},
	{name: "OrderStats", matrix: "OrderStats", allowed: viewers, list: true, call: func(iw *isoWorld, a connect.Actor, tg *target) (int, error) {
		// Foreign callers own no orders at all, so any count is the target's.
		st, err := iw.svc.OrderStats(iw.ctx, a, connect.OrderStatsParams{Client: tg.client.ID})
		n := 0
		if st != nil {
			for _, c := range st.Counts {
				n += c
			}
			n += st.WithETA
		}
		return n, err
	}},
	{name: "Order", matrix: "Order", allowed: viewers, call: func(iw *isoWorld, a connect.Actor, tg *target) (int, error) {
		_, err := iw.svc.Order(iw.ctx, a, tg.delivered.ID)
		return 0, err
	}},
	{name: "StartSession", matrix: "StartSession", allowed: teamRoles, keyRefused: true, self: true, list: true,
		// A member's new session is a row of its own.
		own: func(a connect.Actor, table string, row map[string]string) bool {
			return table == "sessions" && row["member_id"] == string(a.Member) && row["client_id"] == string(a.Client)
		},
		call: func(iw *isoWorld, a connect.Actor, _ *target) (int, error) {
			_, err := iw.svc.StartSession(iw.ctx, a, connect.StartSessionParams{})
			return 0, err
		}},
	{name: "Sessions", matrix: "Sessions", allowed: teamRoles, keyRefused: true, self: true, list: true, call: func(iw *isoWorld, a connect.Actor, _ *target) (int, error) {
		list, err := iw.svc.Sessions(iw.ctx, a)
		n := 0
		for _, s := range list {
			if s.Member != a.Member {
				n++
			}
		}
		return n, err
	}},
	{name: "EndSession", matrix: "EndSession", allowed: teamRoles, keyRefused: true, call: func(iw *isoWorld, a connect.Actor, tg *target) (int, error) {
		return 0, iw.svc.EndSession(iw.ctx, a, tg.session.Session.ID)
	}},
	{name: "EndOtherSessions", matrix: "EndOtherSessions", allowed: teamRoles, keyRefused: true, self: true, call: func(iw *isoWorld, a connect.Actor, _ *target) (int, error) {
		_, err := iw.svc.EndOtherSessions(iw.ctx, a)
		return 0, err
	}},
	{name: "ChangePassword", matrix: "ChangePassword", allowed: teamRoles, keyRefused: true, self: true, call: func(iw *isoWorld, a connect.Actor, _ *target) (int, error) {
		return 0, iw.svc.ChangePassword(iw.ctx, a, isoPassword, "an intruder's password")
	}},
	{name: "SetLanguage", matrix: "SetLanguage", allowed: teamRoles, keyRefused: true, self: true, call: func(iw *isoWorld, a connect.Actor, _ *target) (int, error) {
		_, err := iw.svc.SetLanguage(iw.ctx, a, "de")
		return 0, err
	}},
	{name: "TwoFactorStatus", matrix: "TwoFactorStatus", allowed: teamRoles, keyRefused: true, self: true, list: true, call: func(iw *isoWorld, a connect.Actor, _ *target) (int, error) {
		_, err := iw.svc.TwoFactorStatus(iw.ctx, a)
		return 0, err
	}},
	{name: "BeginTwoFactor", matrix: "BeginTwoFactor", allowed: teamRoles, keyRefused: true, self: true, call: func(iw *isoWorld, a connect.Actor, _ *target) (int, error) {
		_, err := iw.svc.BeginTwoFactor(iw.ctx, a)
		return 0, err
	}},
	{name: "ConfirmTwoFactor", matrix: "ConfirmTwoFactor", allowed: teamRoles, keyRefused: true, self: true, call: func(iw *isoWorld, a connect.Actor, _ *target) (int, error) {
		_, _, err := iw.enrollTwoFactor(a) // begins, then confirms with the code of now
		return 0, err
	}},
	{name: "VerifyTwoFactor", matrix: "VerifyTwoFactor", allowed: teamRoles, keyRefused: true, self: true, call: func(iw *isoWorld, a connect.Actor, _ *target) (int, error) {
		_, codes, err := iw.enrollTwoFactor(a)
		if err != nil {
			return 0, err
		}
		return 0, iw.svc.VerifyTwoFactor(iw.ctx, a, codes[0])
	}},
	{name: "DisableTwoFactor", matrix: "DisableTwoFactor", allowed: teamRoles, keyRefused: true, self: true, call: func(iw *isoWorld, a connect.Actor, _ *target) (int, error) {
		_, codes, err := iw.enrollTwoFactor(a)
		if err != nil {
			return 0, err
		}
		return 0, iw.svc.DisableTwoFactor(iw.ctx, a, codes[0])
	}},
	{name: "PreviewImport", matrix: "PreviewImport", allowed: teamRoles, self: true, call: func(iw *isoWorld, a connect.Actor, _ *target) (int, error) {
		_, err := iw.svc.PreviewImport(iw.ctx, a, oneRow(""), connect.ImportOptions{})
		return 0, err
	}},
	{name: "Import", matrix: "Import", allowed: teamRoles, self: true, call: func(iw *isoWorld, a connect.Actor, _ *target) (int, error) {
		_, err := iw.svc.Import(iw.ctx, a, oneRow(""), connect.ImportOptions{})
		return 0, err
	}},
	{name: "SaveImportMapping", matrix: "SaveImportMapping", allowed: teamRoles, self: true, call: func(iw *isoWorld, a connect.Actor, _ *target) (int, error) {
		_, err := iw.svc.SaveImportMapping(iw.ctx, a, map[string]connect.Field{"Intruder": connect.FieldNotes})
		return 0, err
	}},
	{name: "CreateStops", matrix: "CreateStops", allowed: dispatchers, list: true, call: func(iw *isoWorld, a connect.Actor, tg *target) (int, error) {
		// A client number of another account is refused as a number no client has
		// (invalid, all or nothing), in the same words: that is the refusal here.
		stop := func(n connect.ClientNumber) error {
			_, err := iw.svc.CreateStops(iw.ctx, a, []connect.StopInput{{ClientNumber: string(n), Input: connect.OrderInput{Address: connect.Address{Line1: "1 Intruder St"}}}})
			return err
		}
		err := stop(tg.client.Number)
		if connect.ErrorCode(err) != connect.Invalid {
			return 0, err
		}
		unknown := unknownNumber(tg)
		if !sameAsUnknown(err.Error(), stop(unknown).Error(), tg, unknown) {
			return 1, fmt.Errorf("refused other than an unknown number: %v", err)
		}
		return 0, nil
	}},
	{name: "ImportStops", matrix: "ImportStops", allowed: dispatchers, list: true, call: func(iw *isoWorld, a connect.Actor, tg *target) (int, error) {
		// As CreateStops, but the row is refused in the result.
		imp := func(n connect.ClientNumber) (*connect.ImportResult, error) {
			return iw.svc.ImportStops(iw.ctx, a, oneRow(n), connect.ImportOptions{})
		}
		res, err := imp(tg.client.Number)
		if err != nil {
			return 0, err
		}
		if res.Imported != 0 {
			return res.Imported, nil
		}
		unknown := unknownNumber(tg)
		resUnknown, err := imp(unknown)
		if err != nil {
			return 0, err
		}
		if len(res.Errors) != 1 || !sameAsUnknown(res.Errors[0].String(), resUnknown.Errors[0].String(), tg, unknown) {
			return 1, fmt.Errorf("refused other than an unknown number: %v", res.Errors)
		}
		return 0, nil
	}},
	{name: "PreviewStops", matrix: "PreviewStops", allowed: dispatchers, list: true, call: func(iw *isoWorld, a connect.Actor, tg *target) (int, error) {
		// As ImportStops: a foreign client's number is refused as an unknown one
		// is, and the preview names no foreign client.
		prev := func(n connect.ClientNumber) (*connect.ImportResult, error) {
			return iw.svc.PreviewStops(iw.ctx, a, oneRow(n), connect.ImportOptions{})
		}
		res, err := prev(tg.client.Number)
		if err != nil {
			return 0, err
		}
		if len(res.Preview) != 0 {
			return len(res.Preview), nil
		}
		unknown := unknownNumber(tg)
		resUnknown, err := prev(unknown)
		if err != nil {
			return 0, err
		}
		if len(res.Errors) != 1 || !sameAsUnknown(res.Errors[0].String(), resUnknown.Errors[0].String(), tg, unknown) {
			return 1, fmt.Errorf("refused other than an unknown number: %v", res.Errors)
		}
		return 0, nil
	}},
	{name: "ApplyRouteEvents", matrix: "ApplyRouteEvents", allowed: []string{"host"}, list: true,
		// The batch's event ids are remembered (host_events) in the caller's own
		// account before its orders are looked up: a write to its own tenant.
		own: func(a connect.Actor, table string, row map[string]string) bool {
			return table == "host_events" && row["account_id"] == string(a.Account)
		},
		call: func(iw *isoWorld, a connect.Actor, tg *target) (int, error) {
			iw.events++
			id := fmt.Sprintf("iso-%d-", iw.events)
			events := []connect.RouteEvent{ev(id+"1", tg.submitted.ID, connect.EventSchedule, 10),
				ev(id+"2", tg.scheduled.ID, connect.EventStart, 11), ev(id+"3", tg.delivered.ID, connect.EventFail, 12)}
			res, err := iw.svc.ApplyRouteEvents(iw.ctx, a, events)
			if err != nil {
				return 0, err
			}
			n := len(events)
			for _, e := range res.Errors {
				if connect.ErrorCode(e.Err) == connect.NotFound {
					n--
				}
			}
			return n, nil
		}},
	{name: "Outbox", matrix: "Outbox", allowed: []string{"dispatcher", "host"}, list: true, call: func(iw *isoWorld, a connect.Actor, tg *target) (int, error) {
		n := 0
		for _, v := range []connect.OutboxView{connect.OutboxViewPending, connect.OutboxViewProblems, connect.OutboxViewDead, connect.OutboxViewDone} {
			page, err := iw.svc.Outbox(iw.ctx, a, connect.ListOutboxParams{View: v, Limit: 500})
			if err != nil {
				return n, err
			}
			for _, e := range page.Entries {
				if notMine(a, e.Account, e.Client) {
					n++
				}
			}
		}
		return n, nil
	}},
	{name: "RetryOutbox", matrix: "RetryOutbox", allowed: []string{"dispatcher", "host"}, call: func(iw *isoWorld, a connect.Actor, tg *target) (int, error) {
		return 0, iw.svc.RetryOutbox(iw.ctx, a, iw.outboxEntry(tg))
	}},
	{name: "DiscardOutbox", matrix: "DiscardOutbox", allowed: []string{"dispatcher", "host"}, call: func(iw *isoWorld, a connect.Actor, tg *target) (int, error) {
		return 0, iw.svc.DiscardOutbox(iw.ctx, a, iw.outboxEntry(tg))
	}},
	{name: "UnassignedStops", matrix: "UnassignedStops", allowed: dispatchers, list: true, call: func(iw *isoWorld, a connect.Actor, tg *target) (int, error) {
		stops, _, err := iw.svc.UnassignedStops(iw.ctx, a, tg.submitted.Depot, "", 0)
		n := 0
		for _, s := range stops {
			if notMine(a, s.Order.Account, s.Order.Client) {
				n++
			}
		}
		return n, err
	}},
	{name: "StopsPage", matrix: "StopsPage", allowed: dispatchers, list: true, call: func(iw *isoWorld, a connect.Actor, tg *target) (int, error) {
		stops, _, err := iw.svc.StopsPage(iw.ctx, a, connect.ListOrdersParams{Search: tg.submitted.Ref, Client: tg.client.ID})
		n := 0
		for _, s := range stops {
			if notMine(a, s.Order.Account, s.Order.Client) {
				n++
			}
		}
		return n, err
	}},
	{name: "ShopifyNotices", matrix: "ShopifyNotices", allowed: dispatchers, list: true, call: func(iw *isoWorld, a connect.Actor, tg *target) (int, error) {
		notices, err := iw.svc.ShopifyNotices(iw.ctx, a, 0)
		n := 0
		for _, x := range notices {
			if notMine(a, x.Order.Account, x.Order.Client) || notMine(a, x.Notice.Account, x.Notice.Client) {
				n++
			}
		}
		return n, err
	}},
	{name: "MoveToDepot", matrix: "MoveToDepot", allowed: dispatchers, call: func(iw *isoWorld, a connect.Actor, tg *target) (int, error) {
		_, err := iw.svc.MoveToDepot(iw.ctx, a, tg.submitted.ID, "south")
		return 0, err
	}},
	{name: "Subscribe", matrix: "Subscribe", allowed: viewers, list: true, call: func(iw *isoWorld, a connect.Actor, _ *target) (int, error) {
		// Replay from before the first order: every event the caller may see
		// arrives at once; none may be another tenant's.
		ctx, cancel := context.WithCancel(iw.ctx)
		defer cancel()
		sub, err := iw.svc.Subscribe(ctx, a, connect.SubscribeParams{After: iw.start})
		if err != nil {
			return 0, err
		}
		n := 0
		// The stream reads the feed as soon as it starts; 150 ms is ample.
		quiet := time.NewTimer(150 * time.Millisecond)
		defer quiet.Stop()
		for done := false; !done; {
			select {
			case e := <-sub.Events():
				if notMine(a, e.Account, e.Client) {
					n++
				}
			case <-quiet.C:
				done = true
			}
		}
		cancel()
		for range sub.Events() {
		}
		return n, nil
	}},
	{name: "Follow", matrix: "Follow", allowed: viewers, list: true, call: func(iw *isoWorld, a connect.Actor, _ *target) (int, error) {
		// As Subscribe: a replay from before the first order arrives at once.
		var n atomic.Int64
		f, err := iw.svc.Follow(iw.ctx, a, connect.FollowParams{After: iw.start, Deliver: func(events []connect.OrderEvent) bool {
			for _, e := range events {
				if notMine(a, e.Account, e.Client) {
					n.Add(1)
				}
			}
			return true
		}})
		if err != nil {
			return 0, err
		}
		<-time.After(150 * time.Millisecond) // the follower is read for as soon as it starts; ample
		f.Stop()
		return int(n.Load()), nil
	}},
	{name: "AddWebhook", matrix: "AddWebhook", allowed: managers, self: true, call: func(iw *isoWorld, a connect.Actor, _ *target) (int, error) {
		_, err := iw.svc.AddWebhook(iw.ctx, a, connect.WebhookInput{URL: "https://intruder.example/", Events: connect.WebhookEventTypes()})
		return 0, err
	}},
	{name: "Webhooks", matrix: "Webhooks", allowed: managers, list: true, call: func(iw *isoWorld, a connect.Actor, _ *target) (int, error) {
		hooks, err := iw.svc.Webhooks(iw.ctx, a)
		n := 0
		for _, h := range hooks {
			if notMine(a, h.Account, h.Client) {
				n++
			}
		}
		return n, err
	}},
	{name: "Webhook", matrix: "Webhook", allowed: managers, call: func(iw *isoWorld, a connect.Actor, tg *target) (int, error) {
		_, err := iw.svc.Webhook(iw.ctx, a, tg.webhook.ID)
		return 0, err
	}},
	{name: "UpdateWebhook", matrix: "UpdateWebhook", allowed: managers, call: func(iw *isoWorld, a connect.Actor, tg *target) (int, error) {
		_, err := iw.svc.UpdateWebhook(iw.ctx, a, tg.webhook.ID, connect.WebhookInput{URL: "https://intruder.example/", Events: connect.WebhookEventTypes()})
		return 0, err
	}},
	{name: "RotateWebhookSecret", matrix: "RotateWebhookSecret", allowed: managers, call: func(iw *isoWorld, a connect.Actor, tg *target) (int, error) {
		_, err := iw.svc.RotateWebhookSecret(iw.ctx, a, tg.webhook.ID, 0)
		return 0, err
	}},
	{name: "SendTestWebhook", matrix: "SendTestWebhook", allowed: managers, call: func(iw *isoWorld, a connect.Actor, tg *target) (int, error) {
		_, err := iw.svc.SendTestWebhook(iw.ctx, a, tg.webhook.ID)
		return 0, err
	}},
	{name: "WebhookDeliveries", matrix: "WebhookDeliveries", allowed: managers, call: func(iw *isoWorld, a connect.Actor, tg *target) (int, error) {
		log, err := iw.svc.WebhookDeliveries(iw.ctx, a, tg.webhook.ID)
		return len(log), err
	}},
	{name: "DeleteWebhook", matrix: "DeleteWebhook", allowed: managers, call: func(iw *isoWorld, a connect.Actor, tg *target) (int, error) {
		return 0, iw.svc.DeleteWebhook(iw.ctx, a, tg.webhook.ID)
	}},
	{name: "AddressBook", matrix: "AddressBook", allowed: teamRoles, self: true, list: true, call: func(iw *isoWorld, a connect.Actor, _ *target) (int, error) {
		book, err := iw.svc.AddressBook(iw.ctx, a, connect.AddressBookParams{Limit: 200})
		n := 0
		for _, e := range book {
			if notMine(a, e.Account, e.Client) {
				n++
			}
		}
		return n, err
	}},
	{name: "AddressEntry", matrix: "AddressEntry", allowed: teamRoles, call: func(iw *isoWorld, a connect.Actor, tg *target) (int, error) {
		_, err := iw.svc.AddressEntry(iw.ctx, a, tg.address.ID)
		return 0, err
	}},
	{name: "AddAddressEntry", matrix: "AddAddressEntry", allowed: teamRoles, self: true, call: func(iw *isoWorld, a connect.Actor, _ *target) (int, error) {
		_, err := iw.svc.AddAddressEntry(iw.ctx, a, connect.AddressEntryInput{Address: connect.Address{Line1: "1 Intruder St"}})
		return 0, err
	}},
	{name: "UpdateAddressEntry", matrix: "UpdateAddressEntry", allowed: teamRoles, call: func(iw *isoWorld, a connect.Actor, tg *target) (int, error) {
		_, err := iw.svc.UpdateAddressEntry(iw.ctx, a, tg.address.ID, 0, connect.AddressEntryInput{Address: connect.Address{Line1: "1 Intruder St"}})
		return 0, err
	}},
	{name: "DeleteAddressEntry", matrix: "DeleteAddressEntry", allowed: teamRoles, call: func(iw *isoWorld, a connect.Actor, tg *target) (int, error) {
		return 0, iw.svc.DeleteAddressEntry(iw.ctx, a, tg.address.ID)
	}},
	{name: "SetAddressBookSaving", matrix: "SetAddressBookSaving", allowed: managers, self: true, call: func(iw *isoWorld, a connect.Actor, _ *target) (int, error) {
		_, err := iw.svc.SetAddressBookSaving(iw.ctx, a, false)
		return 0, err
	}},
	{name: "RepeatOrder", matrix: "RepeatOrder", allowed: teamRoles, call: func(iw *isoWorld, a connect.Actor, tg *target) (int, error) {
		_, err := iw.svc.RepeatOrder(iw.ctx, a, tg.delivered.ID)
		return 0, err
	}},
	{name: "CreateSchedule from an order", matrix: "CreateSchedule", allowed: teamRoles, call: func(iw *isoWorld, a connect.Actor, tg *target) (int, error) {
		_, err := iw.svc.CreateSchedule(iw.ctx, a, connect.ScheduleInput{FromOrder: tg.draft.ID, Weekdays: []time.Weekday{time.Friday}})
		return 0, err
	}},
	{name: "CreateSchedule from an address", matrix: "CreateSchedule", allowed: teamRoles, call: func(iw *isoWorld, a connect.Actor, tg *target) (int, error) {
		_, err := iw.svc.CreateSchedule(iw.ctx, a, connect.ScheduleInput{FromAddress: tg.address.ID, Weekdays: []time.Weekday{time.Friday}})
		return 0, err
	}},
	{name: "Schedules", matrix: "Schedules", allowed: teamRoles, self: true, list: true, call: func(iw *isoWorld, a connect.Actor, _ *target) (int, error) {
		list, err := iw.svc.Schedules(iw.ctx, a)
		n := 0
		for _, sc := range list {
			if notMine(a, sc.Account, sc.Client) {
				n++
			}
		}
		return n, err
	}},
	{name: "Schedule", matrix: "Schedule", allowed: teamRoles, call: func(iw *isoWorld, a connect.Actor, tg *target) (int, error) {
		_, err := iw.svc.Schedule(iw.ctx, a, tg.schedule.ID)
		return 0, err
	}},
	{name: "ScheduleRuns", matrix: "ScheduleRuns", allowed: teamRoles, call: func(iw *isoWorld, a connect.Actor, tg *target) (int, error) {
		runs, err := iw.svc.ScheduleRuns(iw.ctx, a, tg.schedule.ID)
		return len(runs), err
	}},
	{name: "PauseSchedule", matrix: "PauseSchedule", allowed: teamRoles, call: func(iw *isoWorld, a connect.Actor, tg *target) (int, error) {
		_, err := iw.svc.PauseSchedule(iw.ctx, a, tg.schedule.ID)
		return 0, err
	}},
	{name: "UpdateSchedule", matrix: "UpdateSchedule", allowed: teamRoles, call: func(iw *isoWorld, a connect.Actor, tg *target) (int, error) {
		_, err := iw.svc.UpdateSchedule(iw.ctx, a, tg.schedule.ID, tg.schedule.Version, connect.ScheduleInput{
			Template: connect.OrderInput{Address: connect.Address{Line1: "1 Stolen St"}}, Weekdays: []time.Weekday{time.Friday}})
		return 0, err
	}},
	{name: "ResumeSchedule", matrix: "ResumeSchedule", allowed: teamRoles, call: func(iw *isoWorld, a connect.Actor, tg *target) (int, error) {
		_, err := iw.svc.ResumeSchedule(iw.ctx, a, tg.schedule.ID)
		return 0, err
	}},
	{name: "DeleteSchedule", matrix: "DeleteSchedule", allowed: teamRoles, call: func(iw *isoWorld, a connect.Actor, tg *target) (int, error) {
		return 0, iw.svc.DeleteSchedule(iw.ctx, a, tg.schedule.ID)
	}},
	{name: "CreateAPIKey", matrix: "CreateAPIKey", allowed: managers, self: true, call: func(iw *isoWorld, a connect.Actor, _ *target) (int, error) {
		_, err := iw.svc.CreateAPIKey(iw.ctx, a, "intruder")
		return 0, err
	}},
	{name: "APIKeys", matrix: "APIKeys", allowed: teamRoles, list: true, call: func(iw *isoWorld, a connect.Actor, _ *target) (int, error) {
		keys, err := iw.svc.APIKeys(iw.ctx, a)
		n := 0
		for _, k := range keys {
			if notMine(a, k.Account, k.Client) {
				n++
			}
		}
		return n, err
	}},
	{name: "RevokeAPIKey", matrix: "RevokeAPIKey", allowed: managers, call: func(iw *isoWorld, a connect.Actor, tg *target) (int, error) {
		_, err := iw.svc.RevokeAPIKey(iw.ctx, a, tg.apiKey.Key.ID)
		return 0, err
	}},
	{name: "CreateTrackingLink", matrix: "CreateTrackingLink", allowed: viewers, call: func(iw *isoWorld, a connect.Actor, tg *target) (int, error) {
		_, err := iw.svc.CreateTrackingLink(iw.ctx, a, tg.delivered.ID)
		return 0, err
	}},
	{name: "StoreProofFile", matrix: "StoreProofFile", allowed: []string{"host"}, call: func(iw *isoWorld, a connect.Actor, tg *target) (int, error) {
		_, err := iw.svc.StoreProofFile(iw.ctx, a, tg.delivered.ID, bytes.NewReader(connecttest.PNG))
		return 0, err
	}},
	{name: "OpenProofFile", matrix: "OpenProofFile", allowed: viewers, call: func(iw *isoWorld, a connect.Actor, tg *target) (int, error) {
		f, err := iw.svc.OpenProofFile(iw.ctx, a, tg.delivered.ID, tg.proofFile)
		if f != nil {
			f.Body.Close()
		}
		return 0, err
	}},
	{name: "PackageLabels", matrix: "PackageLabels", allowed: viewers, call: func(iw *isoWorld, a connect.Actor, tg *target) (int, error) {
		_, err := iw.svc.PackageLabels(iw.ctx, a, []connect.OrderID{tg.draft.ID, tg.delivered.ID})
		return 0, err
	}},
	{name: "ProofDocument", matrix: "ProofDocument", allowed: viewers, call: func(iw *isoWorld, a connect.Actor, tg *target) (int, error) {
		_, err := iw.svc.ProofDocument(iw.ctx, a, tg.delivered.ID)
		return 0, err
	}},
	{name: "NotifySettings", matrix: "NotifySettings", allowed: teamRoles, self: true, list: true, call: func(iw *isoWorld, a connect.Actor, _ *target) (int, error) {
		st, err := iw.svc.NotifySettings(iw.ctx, a)
		if err == nil && notMine(a, st.Account, st.Client) {
			return 1, nil
		}
		return 0, err
	}},
	{name: "SetNotifySettings", matrix: "SetNotifySettings", allowed: managers, self: true, call: func(iw *isoWorld, a connect.Actor, _ *target) (int, error) {
		_, err := iw.svc.SetNotifySettings(iw.ctx, a, connect.NotifySettingsInput{Events: connect.NotifyEvents(), SMS: true})
		return 0, err
	}},
	{name: "OrderNotices", matrix: "OrderNotices", allowed: viewers, list: true, call: func(iw *isoWorld, a connect.Actor, tg *target) (int, error) {
		log, err := iw.svc.OrderNotices(iw.ctx, a, tg.delivered.ID)
		return len(log), err
	}},
	{name: "TrackingLinks", matrix: "TrackingLinks", allowed: viewers, call: func(iw *isoWorld, a connect.Actor, tg *target) (int, error) {
		_, err := iw.svc.TrackingLinks(iw.ctx, a, tg.delivered.ID)
		return 0, err
	}},
	{name: "RevokeTrackingLink", matrix: "RevokeTrackingLink", allowed: viewers, call: func(iw *isoWorld, a connect.Actor, tg *target) (int, error) {
		_, err := iw.svc.RevokeTrackingLink(iw.ctx, a, tg.delivered.ID, tg.link.Link.ID)
		return 0, err
	}},
	{name: "LinkShopify", matrix: "LinkShopify", allowed: managers, self: true, call: func(iw *isoWorld, a connect.Actor, _ *target) (int, error) {
		_, err := iw.svc.LinkShopify(iw.ctx, a, "intruder.myshopify.com")
		return 0, err
	}},
	{name: "UnlinkShopify", matrix: "UnlinkShopify", allowed: managers, self: true, call: func(iw *isoWorld, a connect.Actor, _ *target) (int, error) {
		_, err := iw.svc.UnlinkShopify(iw.ctx, a)
		return 0, err
	}},
	// The isolation world has a Shopify port (fakeShop), so these two are tried
	// here, unlike in the role matrix (see needsShopify in roles_test.go).
	{name: "ShopifyOrders", allowed: teamRoles, self: true, call: func(iw *isoWorld, a connect.Actor, _ *target) (int, error) {
		_, err := iw.svc.ShopifyOrders(iw.ctx, a, "", 0)
		return 0, err
	}},
	{name: "ImportShopifyOrders", allowed: teamRoles, self: true, call: func(iw *isoWorld, a connect.Actor, _ *target) (int, error) {
		_, err := iw.svc.ImportShopifyOrders(iw.ctx, a, []string{"#1001"}, connect.ImportOptions{})
		return 0, err
	}},
}

// notApplicable lists the operations without an actor that name nothing a caller
// could aim at another tenant, and why.
var notApplicable = map[string]string{
	"RunOutbox":      "the library's worker: it takes no id and no credential, and delivers entries the tenants' own changes wrote",
	"DeliverOutbox":  "as RunOutbox, one batch",
	"RunScheduler":   "the library's worker: it takes no id and no credential, and makes the occurrences of the schedules the tenants' own teams made, each in its own tenant",
	"RunSchedules":   "as RunScheduler, one pass",
	"Close":          "stops the Service; names nothing",
	"NotifyChannels": "what the host wired (the channels the portal can send through); names nothing",
	"AccountLocation": "names nothing: the host's time zone of the caller's own account (Config.AccountLocation), " +
		"asked for the actor's Account only (TestAccountLocationIsTheHostsOrUTC)",
	"WithStore": "the host's wiring (its transaction's Store): every call on the Service it returns takes an actor and is checked as here",
	"RequestPasswordReset": "takes an email and mails a link to that email's own memberships only, answering the same " +
		"for every email (TestPasswordResetLinksGoToEachMembershipOfTheEmail)",
}

// isoCheck tries an operation that takes no actor (its credential is a token, or a
// Shopify webhook signature the adapter checked) with a credential that must not
// work, or a shop that is not the victim's.
type isoCheck struct {
	name string // the Service method, then what is tried
	want connect.Code
	// own says which rows the call may write in a tenant not the victim's.
	own  func(iw *isoWorld, table string, row map[string]string) bool
	call func(iw *isoWorld) error
}

var mallory = connect.SignUp{Name: "Mallory", Email: "mallory@example.com", Password: isoPassword}

func accept(token func(iw *isoWorld) string) func(iw *isoWorld) error {
	return func(iw *isoWorld) error { _, err := iw.svc.AcceptInvite(iw.ctx, token(iw), mallory); return err }
}

func invitation(token func(iw *isoWorld) string) func(iw *isoWorld) error {
	return func(iw *isoWorld) error { _, err := iw.svc.Invitation(iw.ctx, token(iw)); return err }
}

func signIn(email func(iw *isoWorld) string, password string) func(iw *isoWorld) error {
	return func(iw *isoWorld) error { _, err := iw.svc.SignIn(iw.ctx, email(iw), password); return err }
}

func authenticate(token func(iw *isoWorld) string) func(iw *isoWorld) error {
	return func(iw *isoWorld) error { _, err := iw.svc.AuthenticateAPIKey(iw.ctx, token(iw)); return err }
}

// identify asks for the member a host's identity names: one that is not the
// host's to name (another account's, another client's, gone) must give nothing.
func identify(id func(iw *isoWorld) connect.HostIdentity) func(iw *isoWorld) error {
	return func(iw *isoWorld) error { _, err := iw.svc.IdentifyMember(iw.ctx, id(iw), nil); return err }
}

func openSession(token func(iw *isoWorld) string) func(iw *isoWorld) error {
	return func(iw *isoWorld) error { _, err := iw.svc.OpenSession(iw.ctx, token(iw), nil); return err }
}

// signOut signs a token out that is not a session's: the victim's session must
// still open (then the call reads as not found, having ended nothing).
func signOut(token func(iw *isoWorld) string) func(iw *isoWorld) error {
	return func(iw *isoWorld) error {
		if err := iw.svc.SignOut(iw.ctx, token(iw)); err != nil {
			return err
		}
		if _, err := iw.svc.OpenSession(iw.ctx, iw.v.session.Token, nil); err != nil {
			return fmt.Errorf("the victim's session no longer opens: %w", err)
		}
		return connect.Errorf(connect.NotFound, "no session")
	}
}

func resetFor(token func(iw *isoWorld) string) func(iw *isoWorld) error {
	return func(iw *isoWorld) error { _, err := iw.svc.PasswordResetFor(iw.ctx, token(iw)); return err }
}

func resetPassword(token func(iw *isoWorld) string) func(iw *isoWorld) error {
	return func(iw *isoWorld) error {
		return iw.svc.ResetPassword(iw.ctx, token(iw), "an intruder's long password")
	}
}

// trackedProof opens a proof file through a token that is not a live tracking
// link of the order.
func trackedProof(token func(iw *isoWorld) string) func(iw *isoWorld) error {
	return func(iw *isoWorld) error {
		_, err := iw.svc.OpenTrackedProofFile(iw.ctx, token(iw), strings.Repeat("ab", 16))
		return err
	}
}

// trackedDocument asks the proof-of-delivery document through a token that is
// not a live tracking link of the order.
func trackedDocument(token func(iw *isoWorld) string) func(iw *isoWorld) error {
	return func(iw *isoWorld) error { _, err := iw.svc.TrackedProofDocument(iw.ctx, token(iw)); return err }
}

func track(token func(iw *isoWorld) string) func(iw *isoWorld) error {
	return func(iw *isoWorld) error { _, err := iw.svc.Track(iw.ctx, token(iw)); return err }
}

// uninstalled reports the app uninstalled from a shop: one no client is linked to
// must unlink nobody, which reads as not found.
func uninstalled(shop string) func(iw *isoWorld) error {
	return func(iw *isoWorld) error {
		n, err := iw.svc.ShopifyUninstalled(iw.ctx, connect.AsShopifyWebhook(), shop)
		if err != nil || n != 0 {
			return fmt.Errorf("unlinked %d clients, err %v", n, err)
		}
		return connect.Errorf(connect.NotFound, "no client is linked to %s", shop)
	}
}

// shopifyOrderWebhook says V's Shopify orders were updated (or cancelled) in
// a shop that is not V's: none of V's orders may change, which reads as not
// found.
func shopifyOrderWebhook(cancel bool, shop func(iw *isoWorld) string) func(iw *isoWorld) error {
	return func(iw *isoWorld) error {
		call := iw.svc.ShopifyOrderUpdated
		if cancel {
			call = iw.svc.ShopifyOrderCancelled
		}
		for _, id := range iw.vShopifyIDs {
			res, err := call(iw.ctx, connect.AsShopifyWebhook(), connect.ShopifyOrderChange{Shop: shop(iw), OrderID: id, CancelReason: "fraud"})
			if err != nil || res != (connect.ShopifySyncResult{}) {
				return fmt.Errorf("did %+v to order %s, err %v", res, id, err)
			}
		}
		return connect.Errorf(connect.NotFound, "no order of %s", shop(iw))
	}
}

// redact asks a shop's privacy redaction of V's Shopify orders, by id and by its
// recipient's email: a shop that is not V's must redact none of them.
func redact(shop func(iw *isoWorld) string) func(iw *isoWorld) error {
	return func(iw *isoWorld) error {
		p := connect.RedactParams{Shop: shop(iw), ShopifyIDs: iw.vShopifyIDs, Email: "ada@example.com", Reason: "intruder"}
		n, err := iw.svc.RedactShopifyData(iw.ctx, connect.AsShopifyWebhook(), p)
		if err != nil || n != 0 {
			return fmt.Errorf("redacted %d orders, err %v", n, err)
		}
		p.ShopifyIDs, p.Email, p.WholeShop = nil, "", true
		if n, err = iw.svc.RedactShopifyData(iw.ctx, connect.AsShopifyWebhook(), p); err != nil || n != 0 {
			return fmt.Errorf("redacted the whole shop: %d orders, err %v", n, err)
		}
		return connect.Errorf(connect.NotFound, "no order of %s", p.Shop)
	}
}

// dataRequest asks a shop's export of V's customer, by V's Shopify order ids
// and its recipient's email: a shop that is not V's must queue none.
func dataRequest(shop func(iw *isoWorld) string) func(iw *isoWorld) error {
	return func(iw *isoWorld) error {
		p := connect.DataRequestParams{Shop: shop(iw), ShopifyIDs: iw.vShopifyIDs, Email: "ada@example.com", RequestID: "intruder"}
		n, err := iw.svc.ShopifyDataRequest(iw.ctx, connect.AsShopifyWebhook(), p)
		if err != nil || n != 0 {
			return fmt.Errorf("queued %d exports, err %v", n, err)
		}
		return connect.Errorf(connect.NotFound, "no order of %s", p.Shop)
	}
}

// nopPrivacy is a Privacy port that does nothing: with it, privacy requests
// queue their outbox entries.
type nopPrivacy struct{}

func (nopPrivacy) EraseProofFiles(context.Context, connect.ProofFilesErasure) error   { return nil }
func (nopPrivacy) SendCustomerData(context.Context, connect.CustomerDataExport) error { return nil }

func is(s string) func(*isoWorld) string { return func(*isoWorld) string { return s } }

var isoChecks = []isoCheck{
	{"AcceptInvite/revoked invite", connect.Forbidden, nil, accept(func(iw *isoWorld) string { return iw.revokedInvite.Token })},
	{"AcceptInvite/first token of an invite sent again", connect.Forbidden, nil, accept(func(iw *isoWorld) string { return iw.replacedToken })},
	{"AcceptInvite/token already used", connect.Forbidden, nil, accept(func(iw *isoWorld) string { return iw.acceptedToken })},
	{"AcceptInvite/pending invite of a disabled client", connect.Forbidden, nil, accept(func(iw *isoWorld) string { return iw.x.invite.Token })},
	{"AcceptInvite/made-up token", connect.NotFound, nil, accept(is("made-up"))},
	{"AcceptInvite/API key token", connect.NotFound, nil, accept(func(iw *isoWorld) string { return iw.v.apiKey.Token })},
	{"AcceptInvite/tracking token", connect.NotFound, nil, accept(func(iw *isoWorld) string { return iw.v.link.Token })},
	{"Invitation/revoked invite", connect.Forbidden, nil, invitation(func(iw *isoWorld) string { return iw.revokedInvite.Token })},
	{"Invitation/token already used", connect.Forbidden, nil, invitation(func(iw *isoWorld) string { return iw.acceptedToken })},
	{"Invitation/pending invite of a disabled client", connect.Forbidden, nil, invitation(func(iw *isoWorld) string { return iw.x.invite.Token })},
	{"Invitation/API key token", connect.NotFound, nil, invitation(func(iw *isoWorld) string { return iw.v.apiKey.Token })},
	{"Invitation/tracking token", connect.NotFound, nil, invitation(func(iw *isoWorld) string { return iw.v.link.Token })},
	{"SignIn/removed member", connect.Forbidden, nil, signIn(func(iw *isoWorld) string { return iw.removedEmail }, isoPassword)},
	{"SignIn/owner of a disabled client", connect.Forbidden, nil, signIn(func(iw *isoWorld) string { return iw.xOwnerEmail }, isoPassword)},
	{"SignIn/member of a disabled client", connect.Forbidden, nil, signIn(func(iw *isoWorld) string { return iw.xMemberEmail }, isoPassword)},
	{"SignIn/another person's password", connect.Forbidden, nil, signIn(is("v-member@example.com"), "a password of another person")},
	{"AuthenticateAPIKey/revoked key", connect.Forbidden, nil, authenticate(func(iw *isoWorld) string { return iw.revokedKey.Token })},
	{"AuthenticateAPIKey/key of a disabled client", connect.Forbidden, nil, authenticate(func(iw *isoWorld) string { return iw.x.apiKey.Token })},
	{"AuthenticateAPIKey/invite token", connect.Forbidden, nil, authenticate(func(iw *isoWorld) string { return "ck_" + iw.v.invite.Token })},
	{"AuthenticateAPIKey/tracking token", connect.Forbidden, nil, authenticate(func(iw *isoWorld) string { return "ck_" + iw.v.link.Token })},
	{"OpenSession/made-up token", connect.Forbidden, nil, openSession(is("made-up"))},
	{"OpenSession/invite token", connect.Forbidden, nil, openSession(func(iw *isoWorld) string { return iw.v.invite.Token })},
	{"OpenSession/API key token", connect.Forbidden, nil, openSession(func(iw *isoWorld) string { return iw.v.apiKey.Token })},
	{"OpenSession/session of a disabled client", connect.Forbidden, nil, openSession(func(iw *isoWorld) string { return iw.x.session.Token })},
	{"IdentifyMember/V's member named in another account", connect.NotFound, nil, identify(func(iw *isoWorld) connect.HostIdentity {
		return connect.HostIdentity{Account: iw.otherAccountDisp.Account, Email: "v-member@example.com"}
	})},
	{"IdentifyMember/V's member named with client A", connect.NotFound, nil, identify(func(iw *isoWorld) connect.HostIdentity {
		return connect.HostIdentity{Account: iw.v.client.Account, Client: iw.other.client.ID, Email: "v-member@example.com"}
	})},
	{"IdentifyMember/V's member with client V in another account", connect.NotFound, nil, identify(func(iw *isoWorld) connect.HostIdentity {
		return connect.HostIdentity{Account: iw.otherAccountDisp.Account, Client: iw.v.client.ID, Email: "v-member@example.com"}
	})},
	{"IdentifyMember/removed member", connect.NotFound, nil, identify(func(iw *isoWorld) connect.HostIdentity {
		return connect.HostIdentity{Account: iw.v.client.Account, Email: iw.removedEmail}
	})},
	{"IdentifyMember/member of a disabled client", connect.Forbidden, nil, identify(func(iw *isoWorld) connect.HostIdentity {
		return connect.HostIdentity{Account: iw.v.client.Account, Email: iw.xMemberEmail}
	})},
	{"SignOut/invite token", connect.NotFound, nil, signOut(func(iw *isoWorld) string { return iw.v.invite.Token })},
	{"SignOut/tracking token", connect.NotFound, nil, signOut(func(iw *isoWorld) string { return iw.v.link.Token })},
	{"PasswordResetFor/made-up token", connect.Forbidden, nil, resetFor(is("made-up"))},
	{"PasswordResetFor/invite token", connect.Forbidden, nil, resetFor(func(iw *isoWorld) string { return iw.v.invite.Token })},
	{"PasswordResetFor/session token", connect.Forbidden, nil, resetFor(func(iw *isoWorld) string { return iw.v.session.Token })},
	{"ResetPassword/made-up token", connect.Forbidden, nil, resetPassword(is("made-up"))},
	{"ResetPassword/session token", connect.Forbidden, nil, resetPassword(func(iw *isoWorld) string { return iw.v.session.Token })},
	{"ResetPassword/API key token", connect.Forbidden, nil, resetPassword(func(iw *isoWorld) string { return iw.v.apiKey.Token })},
	{"Track/revoked link", connect.NotFound, nil, track(func(iw *isoWorld) string { return iw.revokedLink.Token })},
	{"OpenTrackedProofFile/revoked link", connect.NotFound, nil, trackedProof(func(iw *isoWorld) string { return iw.revokedLink.Token })},
	{"OpenTrackedProofFile/API key token", connect.NotFound, nil, trackedProof(func(iw *isoWorld) string { return iw.v.apiKey.Token })},
	{"OpenTrackedProofFile/session token", connect.NotFound, nil, trackedProof(func(iw *isoWorld) string { return iw.v.session.Token })},
	{"TrackedProofDocument/revoked link", connect.NotFound, nil, trackedDocument(func(iw *isoWorld) string { return iw.revokedLink.Token })},
	{"TrackedProofDocument/API key token", connect.NotFound, nil, trackedDocument(func(iw *isoWorld) string { return iw.v.apiKey.Token })},
	{"TrackedProofDocument/session token", connect.NotFound, nil, trackedDocument(func(iw *isoWorld) string { return iw.v.session.Token })},
	{"TrackedProofDocument/invite token", connect.NotFound, nil, trackedDocument(func(iw *isoWorld) string { return iw.v.invite.Token })},
	{"Track/API key token", connect.NotFound, nil, track(func(iw *isoWorld) string { return iw.v.apiKey.Token })},
	{"Track/invite token", connect.NotFound, nil, track(func(iw *isoWorld) string { return iw.v.invite.Token })},
	{"ShopifyUninstalled/unknown shop", connect.NotFound, nil, uninstalled("intruder.myshopify.com")},
	{"ShopifyUninstalled/the shop in capitals", connect.NotFound, nil, uninstalled("GREEN.myshopify.com")},
	{"ShopifyUninstalled/a LIKE wildcard", connect.NotFound, nil, uninstalled("%")},
	{"ShopifyUninstalled/a longer name", connect.NotFound, nil, uninstalled("green.myshopify.com.intruder.example")},
	{"ShopifyDataRequest/unknown shop", connect.NotFound, nil, dataRequest(is("intruder.myshopify.com"))},
	{"ShopifyDataRequest/a LIKE wildcard", connect.NotFound, nil, dataRequest(is("%"))},
	{"ShopifyDataRequest/another client's shop", connect.NotFound, nil, dataRequest(func(iw *isoWorld) string { return iw.otherShop })},
	{"RedactShopifyData/unknown shop", connect.NotFound, nil, redact(is("intruder.myshopify.com"))},
	{"RedactShopifyData/a LIKE wildcard", connect.NotFound, nil, redact(is("%"))},
	// A's own shop: the request is recorded for A (redactions, and the order
	// ids it names as redacted of A's shop), its own tenant.
	{"RedactShopifyData/another client's shop", connect.NotFound, func(iw *isoWorld, table string, row map[string]string) bool {
		return (table == "redactions" || table == "shopify_redacted_orders") && row["client_id"] == string(iw.other.client.ID)
	}, redact(func(iw *isoWorld) string { return iw.otherShop })},
	// A Shopify order webhook naming V's Shopify orders for a shop that is not
	// V's changes none of them.
	{"ShopifyOrderUpdated/unknown shop", connect.NotFound, nil, shopifyOrderWebhook(false, is("intruder.myshopify.com"))},
	{"ShopifyOrderUpdated/the shop in capitals", connect.NotFound, nil, shopifyOrderWebhook(false, is("GREEN.myshopify.com"))},
	{"ShopifyOrderUpdated/another client's shop", connect.NotFound, nil, shopifyOrderWebhook(false, func(iw *isoWorld) string { return iw.otherShop })},
	{"ShopifyOrderCancelled/unknown shop", connect.NotFound, nil, shopifyOrderWebhook(true, is("intruder.myshopify.com"))},
	{"ShopifyOrderCancelled/a LIKE wildcard", connect.NotFound, nil, shopifyOrderWebhook(true, is("%"))},
	{"ShopifyOrderCancelled/another client's shop", connect.NotFound, nil, shopifyOrderWebhook(true, func(iw *isoWorld) string { return iw.otherShop })},
}

// dump is every row of every table, each row by column, rows in a fixed order.
type dump map[string][]map[string]string

// dumper reads every row of every table the database's catalog lists, with one
// statement per table prepared once (a dump runs after each of some 800 calls).
type dumper struct {
	tables []string
	stmts  []*sql.Stmt
}

func newDumper(t testing.TB, ctx context.Context, db *bun.DB) *dumper {
	t.Helper()
	q := "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
	if db.Dialect().Name() == dialect.PG {
		q = "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name"
	}
	d := &dumper{}
	if err := db.NewRaw(q).Scan(ctx, &d.tables); err != nil {
		t.Fatal(err)
	}
	if len(d.tables) < 10 {
		t.Fatalf("the catalog lists %d tables: %v", len(d.tables), d.tables)
	}
	for _, name := range d.tables {
		stmt, err := db.PrepareContext(ctx, "SELECT * FROM "+string(db.QueryGen().AppendIdent(nil, name)))
		if err != nil {
			t.Fatalf("reading %s: %v", name, err)
		}
		t.Cleanup(func() { stmt.Close() })
		d.stmts = append(d.stmts, stmt.Stmt)
	}
	return d
}

// dump reads every row of the tables.
func (d *dumper) dump(t testing.TB, ctx context.Context) dump {
	t.Helper()
	out := dump{}
	for i, name := range d.tables {
		rows, err := d.stmts[i].QueryContext(ctx)
		if err != nil {
			t.Fatalf("reading %s: %v", name, err)
		}
		out[name] = readRows(t, rows)
	}
	return out
}

func readRows(t testing.TB, rows *sql.Rows) []map[string]string {
	t.Helper()
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	out := []map[string]string{}
	keys := []string{}
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		row := make(map[string]string, len(cols))
		var key strings.Builder
		for i, c := range cols {
			row[c] = render(vals[i])
			fmt.Fprintf(&key, "%s=%q;", c, row[c])
		}
		out = append(out, row)
		keys = append(keys, key.String())
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	// Rows in the order of their rendering: the same rows always read the same.
	idx := make([]int, len(out))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(i, j int) bool { return keys[idx[i]] < keys[idx[j]] })
	sorted := make([]map[string]string, len(out))
	for i, k := range idx {
		sorted[i] = out[k]
	}
	return sorted
}

// render writes a column value as text: bytes that are not text as hex, times in
// UTC.
func render(v any) string {
	switch v := v.(type) {
	case nil:
		return "NULL"
	case []byte:
		if utf8.Valid(v) {
			return string(v)
		}
		return "x'" + hex.EncodeToString(v) + "'"
	case time.Time:
		return v.UTC().Format(time.RFC3339Nano)
	}
	return fmt.Sprint(v)
}

// without returns d less the rows own picks.
func (d dump) without(own func(table string, row map[string]string) bool) dump {
	if own == nil {
		return d
	}
	out := dump{}
	for table, rows := range d {
		kept := []map[string]string{}
		for _, r := range rows {
			if !own(table, r) {
				kept = append(kept, r)
			}
		}
		out[table] = kept
	}
	return out
}

// unchanged fails t unless the database still holds what base holds, but for rows
// own allows; it returns the database as it is now, the next call's base.
func (iw *isoWorld) unchanged(t *testing.T, d *dumper, base dump, own func(table string, row map[string]string) bool) dump {
	t.Helper()
	now := d.dump(t, iw.ctx)
	// reflect.DeepEqual first: go-cmp is the report, and too slow to run 800 times.
	if before, after := base.without(own), now.without(own); !reflect.DeepEqual(before, after) {
		t.Errorf("the call changed the database (-before +after):\n%s", cmp.Diff(before, after))
	}
	return now
}

// TestIsolationHoldsForEveryOperationAndEveryForeignCaller calls every operation as
// every caller that must not reach the victim's objects, against one world per
// store, and after each call compares every row of every table with the rows
// before it. No table is left out: a refused call writes nothing anywhere, and the
// two calls that may write in the caller's own tenant say which rows (isoOp.own,
// isoCheck.own).
func TestIsolationHoldsForEveryOperationAndEveryForeignCaller(t *testing.T) {
	t.Parallel()
	iw := newIsoWorld(t)
	d := newDumper(t, iw.ctx, iw.db)
	base := d.dump(t, iw.ctx)
	for _, table := range []string{"clients", "members", "invites", "orders", "order_events", "api_keys", "tracking_links", "outbox", "host_events", "shopify_tokens", "notify_settings", "notices", "imports"} {
		if len(base[table]) == 0 {
			t.Fatalf("the victim world has no rows in %s", table)
		}
	}
	actors := iw.actors()
	tried, ownTenant, rights := 0, 0, 0
	for _, op := range isoOps {
		for _, actor := range actors {
			if actor.victim && op.allows(actor.role) {
				rights++ // the actor's right, on its own client: the role matrix's business
				continue
			}
			if actor.home && op.self && op.allows(actor.role) {
				ownTenant++ // names nothing: acts on the caller's own tenant, which is its right
				continue
			}
			tried++
			t.Run(op.name+"/"+actor.name, func(t *testing.T) {
				leaked, err := op.call(iw, actor.actor, actor.target(iw))
				var own func(string, map[string]string) bool
				if op.own != nil {
					own = func(table string, row map[string]string) bool { return op.own(actor.actor, table, row) }
				}
				base = iw.unchanged(t, d, base, own)
				switch code := connect.ErrorCode(err); {
				case err == nil && op.list && leaked == 0:
				case err == nil && op.list:
					t.Errorf("answered with %d items that are not the caller's", leaked)
				case err == nil:
					t.Errorf("succeeded; want not_found or forbidden")
				case code != connect.NotFound && code != connect.Forbidden:
					t.Errorf("err = %v (%s); want not_found or forbidden", err, code)
				}
			})
		}
	}
	for _, c := range isoChecks {
		t.Run(c.name, func(t *testing.T) {
			err := c.call(iw)
			var own func(string, map[string]string) bool
			if c.own != nil {
				own = func(table string, row map[string]string) bool { return c.own(iw, table, row) }
			}
			base = iw.unchanged(t, d, base, own)
			if code := connect.ErrorCode(err); code != c.want {
				t.Errorf("err = %v (%s); want %s", err, code, c.want)
			}
		})
	}
	methods, checked := map[string]bool{}, map[string]bool{}
	for _, op := range isoOps {
		method, _, _ := strings.Cut(op.name, " ")
		methods[method] = true
	}
	for _, c := range isoChecks {
		method, _, _ := strings.Cut(c.name, "/")
		checked[method] = true
	}
	t.Logf("%d operations (%d methods) × %d actors = %d: %d calls tried, each refused and changing nothing; "+
		"not tried: %d rights of the client's own team and account, %d calls that name nothing and act on the caller's own tenant. "+
		"%d more calls of the %d methods without an actor, with credentials or shops that are not the victim's",
		len(isoOps), len(methods), len(actors), len(isoOps)*len(actors), tried, rights, ownTenant, len(isoChecks), len(checked))
}

// TestTheIsolationMatrixCoversEveryOperation fails when a Service method has neither
// a row in isoOps nor a check in isoChecks, nor a reason in notApplicable.
func TestTheIsolationMatrixCoversEveryOperation(t *testing.T) {
	covered := map[string]bool{}
	for _, op := range isoOps {
		method, _, _ := strings.Cut(op.name, " ")
		covered[method] = true
	}
	for name := range notApplicable {
		covered[name] = true
	}
	for _, c := range isoChecks {
		method, _, _ := strings.Cut(c.name, "/")
		covered[method] = true
	}
	typ := reflect.TypeOf(&connect.Service{})
	for i := range typ.NumMethod() {
		if name := typ.Method(i).Name; !covered[name] {
			t.Errorf("Service.%s has no row in the isolation matrix: add one to isoOps (or a check to withoutActorChecks)", name)
		}
	}
}

// TestTheIsolationMatrixAgreesWithTheRoleMatrix keeps the roles each row allows
// equal to the role matrix's: the isolation matrix skips exactly those rights.
func TestTheIsolationMatrixAgreesWithTheRoleMatrix(t *testing.T) {
	for _, op := range isoOps {
		if op.matrix == "" {
			continue
		}
		var want []string
		found := false
		for _, row := range operations {
			if row.name == op.matrix {
				want, found = slices.Sorted(slices.Values(row.allowed)), true
			}
		}
		if !found {
			t.Errorf("%s: no row %s in the role matrix", op.name, op.matrix)
			continue
		}
		got := slices.Sorted(slices.Values(op.allowed))
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("%s allows other roles than the role matrix's %s (-role matrix +isolation):\n%s", op.name, op.matrix, d)
		}
	}
}

// TestTheIsolationTargetsAreWithinReachOfTheirOwners is the matrix's control: each
// row's call succeeds for a caller the role matrix allows, on a world of its own,
// so that the refusals above come from who calls, not from what is aimed at.
func TestTheIsolationTargetsAreWithinReachOfTheirOwners(t *testing.T) {
	if os.Getenv("CONNECT_TEST_STORE") == "postgres" {
		// Forty-six PostgreSQL schemas take seconds; the targets are the test's, not
		// the store's, and the SQLite run of the suite checks them.
		t.Skip("checks the matrix's targets; the SQLite run covers it")
	}
	t.Parallel()
	for _, op := range isoOps {
		t.Run(op.name, func(t *testing.T) {
			t.Parallel()
			iw := newIsoWorld(t)
			role := op.allowed[0]
			i := slices.IndexFunc(iw.actors(), func(a isoActor) bool { return a.victim && a.role == role })
			if _, err := op.call(iw, iw.actors()[i].actor, iw.v); err != nil {
				t.Fatalf("%s as the client's %s: %v", op.name, role, err)
			}
		})
	}
}

// outboxEntry returns the id of a pending outbox entry of the target's client
// (its submitted order's route sync).
func (iw *isoWorld) outboxEntry(tg *target) string {
	iw.t.Helper()
	entries, err := iw.store.Outbox(iw.ctx, connect.Scope{Account: tg.client.Account, Client: tg.client.ID}, []connect.OutboxState{connect.OutboxPending}, 1)
	if err != nil || len(entries) == 0 {
		iw.t.Fatalf("a pending outbox entry of %s: %v, %v", tg.client.ID, entries, err)
	}
	return entries[0].ID
}

// bulkLeaked is how many orders a bulk action aimed at another's found.
func bulkLeaked(res *connect.BulkResult) int {
	if res == nil {
		return 0
	}
	return res.Matched
}
