package shopify_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/connecttest"
	"github.com/dispatchkit/connect/shopify"
	"github.com/dispatchkit/connect/shopify/shopifytest"
	"github.com/dispatchkit/connect/storage"
)

// world is the adapter wired to a connect.Service (connecttest's World), as a
// host wires it: the store keeps tokens and single-use keys and lists a shop's
// clients; the install and webhook handlers call the Service.
type world struct {
	*rig
	core     *connecttest.World
	store    *storage.Store
	svc      *connect.Service
	disp     connect.Actor
	client   *connect.Client
	webhooks string // the webhook handler's URL
	privacy  *recordingPrivacy
}

func newWorld(t *testing.T) *world { return newWorldOn(t, "") }

// newWorldOn is newWorld on the database dsn opens ("": a SQLite file).
func newWorldOn(t *testing.T, dsn string) *world {
	t.Helper()
	clock := &shopifytest.Clock{}
	// The store's UseOnce reads the real clock: start the fake one at it, so
	// the expiry of an install state means the same to both.
	clock.Advance(time.Since(clock.Now()).Truncate(time.Second))
	w := &world{rig: &rig{t: t, ctx: context.Background(), clock: clock, sessions: map[string]connect.Actor{}},
		privacy: &recordingPrivacy{}}
	w.srv = shopifytest.New(shopifytest.Config{Now: clock.Now})
	t.Cleanup(w.srv.Close)
	w.shop = w.srv.Shop("acme.myshopify.com")
	w.key = bytes.Repeat([]byte{9}, 32)
	w.sealer, _ = shopify.NewSealer(w.key)
	opts := []connecttest.Option{connecttest.WithNow(clock.Now), connecttest.WithConfig(func(c *connect.Config) {
		// The adapter keeps its tokens and single-use keys in the World's Store.
		w.adapter = w.adapterOn(c.Store.(*storage.Store))
		c.Shopify, c.Privacy = w.adapter, w.privacy
		// Proof files the host hands connect are kept in the Store too.
		c.Blobs = c.Store.(*storage.Store)
		c.ProofFileURL = func(o connect.OrderID, file string) string {
			return "https://portal.example/proof/" + string(o) + "/" + file
		}
	})}
	if dsn != "" {
		opts = append(opts, connecttest.WithDSN(dsn))
	}
	cw := connecttest.New(t, opts...)
	w.core = cw
	w.store, w.svc, w.disp = cw.Store, cw.Service, cw.Dispatcher
	var err error
	if w.install, err = w.adapter.InstallHandler(w.svc); err != nil {
		t.Fatal(err)
	}
	wh, err := w.adapter.WebhookHandler(w.svc)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(wh)
	t.Cleanup(hs.Close)
	w.webhooks = hs.URL

	tm := cw.NewClient("Green Grocer", connect.ClientSettings{AllowUpload: true, DefaultDepot: "north"})
	w.client, w.owner = tm.Client, tm.Owner.Actor
	w.scope = connect.Scope{Account: tm.Client.Account, Client: tm.Client.ID}
	w.signIn("owner", w.owner)
	return w
}

// adapterOn returns an adapter on the world's fake and keys that keeps its
// tokens and single-use keys in st: another process's, when st is another
// Store on the world's database. edit changes its Config first.
func (w *world) adapterOn(st *storage.Store, edit ...func(*shopify.Config)) *shopify.Adapter {
	w.t.Helper()
	cfg := shopify.Config{
		ClientID: w.srv.ClientID(), Secret: w.srv.Secret(), Tokens: st, Sealer: w.sealer, HTTPClient: w.srv.Client(),
		Session: w.session, Once: st, Clients: st, RedirectURL: redirectURL, ReturnURL: returnURL,
		Now: w.clock.Now, Sleep: w.clock.Sleep,
	}
	for _, e := range edit {
		e(&cfg)
	}
	a, err := shopify.New(cfg)
	if err != nil {
		w.t.Fatal(err)
	}
	return a
}

// drafts returns the client's drafts, oldest first.
func (w *world) drafts() []*connect.Order {
	w.t.Helper()
	var out []*connect.Order
	cursor := ""
	for {
		page, err := w.svc.Orders(w.ctx, w.owner, connect.ListOrdersParams{View: connect.ViewDrafts, Cursor: cursor, Limit: 500})
		if err != nil {
			w.t.Fatal(err)
		}
		out = append(out, page.Orders...)
		if cursor = page.Next; cursor == "" {
			break
		}
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// importAndSubmit links the world's shop, imports the orders as drafts and
// submits those of submit; it returns the drafts' ids by Shopify order name.
func (w *world) importAndSubmit(orders []shopifytest.Order, submit ...shopifytest.Order) map[string]connect.OrderID {
	w.t.Helper()
	w.link()
	names := make([]string, len(orders))
	for i, o := range orders {
		names[i] = o.Name
	}
	if _, err := w.svc.ImportShopifyOrders(w.ctx, w.owner, names, connect.ImportOptions{}); err != nil {
		w.t.Fatal(err)
	}
	ids := map[string]connect.OrderID{}
	for _, d := range w.drafts() {
		ids[d.Ref] = d.ID
	}
	var sub []connect.OrderID
	for _, o := range submit {
		sub = append(sub, ids[o.Name])
	}
	if len(sub) > 0 {
		if _, err := w.svc.SubmitOrders(w.ctx, w.owner, sub); err != nil {
			w.t.Fatal(err)
		}
	}
	return ids
}

// sendWebhook has the fake deliver topic for the world's shop, signed, to the
// webhook handler, which must answer 200.
func (w *world) sendWebhook(topic string, payload any) {
	w.t.Helper()
	status, err := w.srv.SendWebhook(w.ctx, w.webhooks, w.shop.Domain(), topic, payload)
	if err != nil || status != http.StatusOK {
		w.t.Fatalf("%s answered %d, %v", topic, status, err)
	}
}

func (w *world) deliverOutbox() {
	w.t.Helper()
	w.core.DeliverOutbox(connect.OutboxOptions{Batch: 10, MaxAttempts: 3, Backoff: func(int) time.Duration { return 0 }})
}

func TestServiceLinksAStoreThroughTheInstall(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	_, err := w.svc.ShopifyOrders(w.ctx, w.owner, "", 0)
	connecttest.WantCode(t, err, connect.Forbidden, "link your Shopify store first")

	w.link()
	cl, err := w.svc.Client(w.ctx, w.owner, w.client.ID)
	if err != nil || cl.Shopify.Shop != "acme.myshopify.com" {
		t.Fatalf("client after the install: %+v, %v", cl, err)
	}
	st, err := w.store.ShopifyToken(w.ctx, w.scope)
	if err != nil || st.Shop != "acme.myshopify.com" {
		t.Fatalf("stored token %+v, %v", st, err)
	}
	sealed := st.Sealed
	tok := openShopToken(t, w.sealer, st.Shop, sealed)
	if bytes.Contains(sealed, []byte(tok.AccessToken)) || bytes.Contains(sealed, []byte(tok.RefreshToken)) {
		t.Error("the database holds the token in clear")
	}
	if _, err := w.sealer.OpenShop("another.myshopify.com", sealed); err == nil {
		t.Error("the stored token opens for another shop")
	}

	t.Run("a replayed callback is refused by the store's UseOnce", func(t *testing.T) {
		q := w.approve(w.start("owner", "acme"))
		if c := w.callback("owner", q); c.Code != http.StatusSeeOther {
			t.Fatalf("callback answered %d: %s", c.Code, c.Body)
		}
		q.Set("code", "another")
		q.Set("hmac", shopifytest.SignQuery(q, w.srv.Secret()))
		if c := w.callback("owner", q); c.Code != http.StatusForbidden || !strings.Contains(c.Body.String(), "already used") {
			t.Fatalf("the replay answered %d: %s", c.Code, c.Body)
		}
	})
	t.Run("a member who may not manage integrations is refused and nothing changes", func(t *testing.T) {
		inv, err := w.svc.InviteMember(w.ctx, w.owner, connect.InviteMemberParams{Email: "mo@green.example", Role: connect.RoleMember})
		if err != nil {
			t.Fatal(err)
		}
		acc, err := w.svc.AcceptInvite(w.ctx, inv.Token, connect.SignUp{Name: "Mo", Email: "mo@green.example"})
		if err != nil {
			t.Fatal(err)
		}
		w.signIn("member", acc.Actor)
		before, _ := w.store.ShopifyToken(w.ctx, w.scope)
		c := w.callback("member", w.approve(w.start("member", "acme")))
		if c.Code != http.StatusForbidden {
			t.Fatalf("answered %d: %s", c.Code, c.Body)
		}
		if after, _ := w.store.ShopifyToken(w.ctx, w.scope); !bytes.Equal(before.Sealed, after.Sealed) || before.Version != after.Version {
			t.Error("the refused install replaced the stored token")
		}
	})
}

func TestServiceListsAndImportsShopifyOrders(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	seeded := w.shop.Seed(600)
	w.link()

	// The list: 600 orders, newest first, a page of 250 at a time.
	var listed []connect.ShopifyOrder
	cursor := ""
	for {
		page, err := w.svc.ShopifyOrders(w.ctx, w.owner, cursor, 250)
		if err != nil {
			t.Fatal(err)
		}
		listed = append(listed, page.Orders...)
		if cursor = page.Next; cursor == "" {
			break
		}
	}
	if len(listed) != 600 || listed[0].Name != seeded[599].Name || listed[599].Name != seeded[0].Name {
		t.Fatalf("listed %d orders, from %s to %s", len(listed), listed[0].Name, listed[len(listed)-1].Name)
	}

	// Select some and import them: each draft is the order as mapped.
	var picked []connect.ShopifyOrder
	var refs []string
	for _, o := range listed {
		if o.Problem == "" && len(picked) < 20 {
			picked = append(picked, o)
			refs = append(refs, o.Name)
		}
	}
	res, err := w.svc.ImportShopifyOrders(w.ctx, w.owner, refs, connect.ImportOptions{})
	if err != nil || res.Imported != 20 || res.Refused != 0 {
		t.Fatalf("import %+v, %v", res, err)
	}
	drafts := w.drafts()
	if len(drafts) != 20 {
		t.Fatalf("%d drafts, want 20", len(drafts))
	}
	byRef := map[string]*connect.Order{}
	for _, d := range drafts {
		byRef[d.Ref] = d
	}
	for _, o := range picked {
		d := byRef[o.Name]
		if d == nil {
			t.Fatalf("no draft for %s", o.Name)
		}
		if d.Source != connect.SourceShopify || d.Shopify != o.Ref || d.Status != connect.StatusDraft || d.Depot != "north" {
			t.Errorf("draft %s: source %s, ref %+v, status %s, depot %s", o.Name, d.Source, d.Shopify, d.Status, d.Depot)
		}
		if diff := cmp.Diff(o.Input, d.OrderInput, decimalEqual, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("draft %s (-mapped +stored):\n%s", o.Name, diff)
		}
	}

	// The list now marks them imported.
	page, err := w.svc.ShopifyOrders(w.ctx, w.owner, "", 250)
	if err != nil {
		t.Fatal(err)
	}
	imported := 0
	for _, o := range page.Orders {
		if o.Imported {
			imported++
		}
	}
	if imported != 20 {
		t.Errorf("%d listed orders marked imported, want 20", imported)
	}

	t.Run("a second import refuses what is already imported", func(t *testing.T) {
		res, err := w.svc.ImportShopifyOrders(w.ctx, w.owner, refs[:3], connect.ImportOptions{})
		if err != nil || res.Imported != 0 || res.Duplicates != 3 {
			t.Fatalf("re-import %+v, %v", res, err)
		}
	})
}

func TestServiceImportRefusals(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	addr := func(i int) *shopifytest.Address {
		return &shopifytest.Address{FirstName: "C", LastName: strconv.Itoa(i), Address1: strconv.Itoa(i) + " Elm St", City: "Austin", Zip: "78701"}
	}
	mug := []shopifytest.LineItem{{Name: "Mug", Quantity: 1}}
	good := w.shop.AddOrder(shopifytest.Order{Phone: "+15125550100", ShippingAddress: addr(1), LineItems: mug})
	nowhere := w.shop.AddOrder(shopifytest.Order{Phone: "+15125550101", LineItems: mug})
	withheld := w.shop.AddOrder(shopifytest.Order{Phone: "+15125550102", ShippingAddress: addr(3), LineItems: mug, Withheld: true})
	noPhone := w.shop.AddOrder(shopifytest.Order{ShippingAddress: addr(4), LineItems: mug})
	w.link()
	settings := connect.ClientSettings{AllowUpload: true, DefaultDepot: "north", RequiredFields: connect.RequireFields(connect.FieldRecipientPhone)}
	if _, err := w.svc.UpdateClient(w.ctx, w.disp, w.client.ID, connect.ClientChanges{Settings: &settings}); err != nil {
		t.Fatal(err)
	}

	res, err := w.svc.ImportShopifyOrders(w.ctx, w.owner, []string{good.Name, nowhere.Name, withheld.Name, noPhone.Name, "#9999"}, connect.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Imported != 1 || res.Refused != 4 {
		t.Fatalf("import %+v", res)
	}
	// Each refusal says why first (the core adds what the order lacks after).
	want := []string{
		`column "Shopify order": #1002: has no shipping address`,
		`column "Shopify order": #1003: customer data withheld by Shopify: the app lacks approval for protected customer data`,
		`column "Recipient Phone Number": Recipient Phone Number is required`,
		`column "Shopify order": #9999: not found among the store's orders of the last 60 days: an older order needs read_all_orders`,
	}
	for i, r := range res.RefusedRows {
		if i >= len(want) || !strings.HasPrefix(r.Reason(), want[i]) {
			t.Errorf("refusal %d: %q", i, r.Reason())
		}
	}
	if ds := w.drafts(); len(ds) != 1 || ds[0].Ref != good.Name {
		t.Errorf("drafts after the import: %d", len(ds))
	}
}

// TestServiceBulkImportOf1000Names pastes 1,000 order names into Bulk import.
func TestServiceBulkImportOf1000Names(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	seeded := w.shop.Seed(1000)
	w.link()
	names := make([]string, len(seeded))
	nowhere := 0
	for i, o := range seeded {
		names[i] = o.Name
		if o.ShippingAddress == nil {
			nowhere++
		}
	}
	start, wall := w.clock.Now(), time.Now()
	var progress []connect.ImportProgress
	res, err := w.svc.ImportShopifyOrders(w.ctx, w.owner, []string{strings.Join(names, "\n")}, connect.ImportOptions{
		Progress: func(p connect.ImportProgress) { progress = append(progress, p) }})
	if err != nil {
		t.Fatal(err)
	}
	if res.Imported != 1000-nowhere || res.Refused != nowhere {
		t.Fatalf("import %d, refused %d; want %d and %d", res.Imported, res.Refused, 1000-nowhere, nowhere)
	}
	// The orders are read a chunk at a time, each reported (the portal's
	// progress bar of a bulk import), then stored.
	if len(progress) < 5 || progress[0] != (connect.ImportProgress{Read: 250}) || progress[3] != (connect.ImportProgress{Read: 1000}) ||
		progress[len(progress)-1] != (connect.ImportProgress{Read: 1000, Stored: res.Imported}) {
		t.Errorf("progress %v: want 250, 500, 750 and 1000 read, then the drafts stored", progress)
	}
	st := w.shop.Stats()
	if st.Throttled != 0 || st.MaxCostExceeded != 0 || st.LowestAvailable < 0 {
		t.Errorf("stats %+v: want no THROTTLED, no query over the cost limit, the bucket never below 0", st)
	}
	minRequests := (st.Actual + shopify.MaxQueryCost - 1) / shopify.MaxQueryCost
	t.Logf("bulk import of 1000 names through the Service: %d requests (lower bound %d), %d points requested, %d actual; %v on the fake clock (%v real)",
		st.Requests, minRequests, st.Requested, st.Actual, w.clock.Now().Sub(start), time.Since(wall).Round(time.Millisecond))
}

func TestServiceFulfillsThroughTheOutbox(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	onDelivery := w.shop.AddOrder(shopifytest.Order{ShippingAddress: &shopifytest.Address{Address1: "1 Elm St"}, LineItems: []shopifytest.LineItem{{Name: "Mug", Quantity: 1}}})
	onStart := w.shop.AddOrder(shopifytest.Order{ShippingAddress: &shopifytest.Address{Address1: "2 Elm St"}, LineItems: []shopifytest.LineItem{{Name: "Jar", Quantity: 2}}})
	w.link()
	importOne := func(name string) connect.OrderID {
		t.Helper()
		if _, err := w.svc.ImportShopifyOrders(w.ctx, w.owner, []string{name}, connect.ImportOptions{}); err != nil {
			t.Fatal(err)
		}
		for _, d := range w.drafts() {
			if d.Ref == name {
				if _, err := w.svc.SubmitOrders(w.ctx, w.owner, []connect.OrderID{d.ID}); err != nil {
					t.Fatal(err)
				}
				return d.ID
			}
		}
		t.Fatalf("no draft %s", name)
		return ""
	}
	host := connect.AsRouteSync(w.client.Account)
	route := func(id connect.OrderID, evs ...connect.RouteEvent) {
		t.Helper()
		for i := range evs {
			w.clock.Advance(time.Second) // each event after the last
			evs[i].Order, evs[i].At = id, w.clock.Now()
		}
		if _, err := w.svc.ApplyRouteEvents(w.ctx, host, evs); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("on delivery, notifying the customer", func(t *testing.T) {
		if _, err := w.svc.UpdateFulfillment(w.ctx, w.owner, connect.FulfillmentSettings{AutoFulfill: true, NotifyCustomer: true}); err != nil {
			t.Fatal(err)
		}
		id := importOne(onDelivery.Name)
		route(id, connect.RouteEvent{ID: "d1", Event: connect.EventSchedule, Route: connect.RouteStop{RouteID: "r1", Position: 1}},
			connect.RouteEvent{ID: "d2", Event: connect.EventStart, ETA: w.clock.Now().Add(time.Hour)},
			connect.RouteEvent{ID: "d3", Event: connect.EventComplete})
		w.deliverOutbox()
		w.deliverOutbox()
		o, _ := w.shop.Order(onDelivery.ID)
		if len(o.Fulfillments) != 1 || !o.Fulfillments[0].NotifyCustomer || o.DisplayFulfillmentStatus() != "FULFILLED" {
			t.Fatalf("fulfillments %+v, status %s", o.Fulfillments, o.DisplayFulfillmentStatus())
		}
	})
	t.Run("on start, with a tracking link and progress", func(t *testing.T) {
		if _, err := w.svc.UpdateFulfillment(w.ctx, w.owner, connect.FulfillmentSettings{AutoFulfill: true, Mode: connect.FulfillOnStart}); err != nil {
			t.Fatal(err)
		}
		id := importOne(onStart.Name)
		eta := w.clock.Now().Add(45 * time.Minute).Truncate(time.Second)
		route(id, connect.RouteEvent{ID: "s1", Event: connect.EventSchedule, Route: connect.RouteStop{RouteID: "r2", Position: 1}},
			connect.RouteEvent{ID: "s2", Event: connect.EventStart, ETA: eta})
		w.deliverOutbox()
		route(id, connect.RouteEvent{ID: "s3", Event: connect.EventComplete})
		w.deliverOutbox()
		o, _ := w.shop.Order(onStart.ID)
		if len(o.Fulfillments) != 1 || o.Fulfillments[0].NotifyCustomer || len(o.Fulfillments[0].TrackingURLs) != 1 ||
			!strings.HasPrefix(o.Fulfillments[0].TrackingURLs[0], "https://portal.example/track/") {
			t.Fatalf("fulfillments %+v", o.Fulfillments)
		}
		var got []string
		for _, e := range o.Fulfillments[0].Events {
			got = append(got, e.Status+" "+e.EstimatedDeliveryAt.Format(time.Kitchen))
		}
		want := []string{"OUT_FOR_DELIVERY " + eta.Format(time.Kitchen), "DELIVERED " + time.Time{}.Format(time.Kitchen)}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("events (-want +got):\n%s", d)
		}
	})
}

func TestServiceHandlesWebhooks(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ava := w.shop.AddOrder(shopifytest.Order{Email: "ava@example.com", Phone: "+15125550100", Note: "Gate 4417",
		ShippingAddress: &shopifytest.Address{FirstName: "Ava", Address1: "1 Elm St", Phone: "+15125550100"},
		LineItems:       []shopifytest.LineItem{{Name: "Mug", Quantity: 1}}})
	ben := w.shop.AddOrder(shopifytest.Order{Email: "ben@example.com", ShippingAddress: &shopifytest.Address{FirstName: "Ben", Address1: "2 Elm St"},
		LineItems: []shopifytest.LineItem{{Name: "Jar", Quantity: 1}}})
	w.link()
	if _, err := w.svc.ImportShopifyOrders(w.ctx, w.owner, []string{ava.Name, ben.Name}, connect.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	send := w.sendWebhook
	recipients := func() map[string]connect.Recipient {
		out := map[string]connect.Recipient{}
		for _, d := range w.drafts() {
			out[d.Ref] = d.Recipient
		}
		return out
	}

	id, _ := strconv.ParseInt(ava.ID[strings.LastIndexByte(ava.ID, '/')+1:], 10, 64)
	send(shopify.TopicCustomersRedact, shopify.CustomersRedact{ShopDomain: w.shop.Domain(),
		Customer: shopify.PrivacyCustomer{ID: 7, Email: "ava@example.com"}, OrdersToRedact: []int64{id}})
	want := map[string]connect.Recipient{ava.Name: {}, ben.Name: {Name: "Ben", Email: "ben@example.com"}}
	if d := cmp.Diff(want, recipients()); d != "" {
		t.Errorf("recipients after customers/redact (-want +got):\n%s", d)
	}

	w.shop.Uninstall()
	send(shopify.TopicAppUninstalled, shopify.AppUninstalled{ID: 1, MyshopifyDomain: w.shop.Domain()})
	cl, err := w.svc.Client(w.ctx, w.owner, w.client.ID)
	if err != nil || cl.Shopify.Linked() {
		t.Errorf("after the uninstall the client is %+v, %v; want unlinked", cl.Shopify, err)
	}
	if _, err := w.store.ShopifyToken(w.ctx, w.scope); !errors.Is(err, connect.ErrNotFound) {
		t.Errorf("after the uninstall the token is still stored (%v)", err)
	}
	_, err = w.svc.ShopifyOrders(w.ctx, w.owner, "", 0)
	connecttest.WantCode(t, err, connect.Forbidden, "link your Shopify store first")

	// shop/redact comes 48 hours after the uninstall.
	w.clock.Advance(48 * time.Hour)
	send(shopify.TopicShopRedact, shopify.ShopRedact{ShopID: 1, ShopDomain: w.shop.Domain()})
	if got := recipients()[ben.Name]; got != (connect.Recipient{}) {
		t.Errorf("shop/redact after the uninstall left the recipient %+v", got)
	}
}

// TestServiceImportsWhatShipsAsItStandsNow imports an order whose lines were
// refunded, removed, or do not ship: the draft has what is still to be
// delivered, and the import says what it left out.
func TestServiceImportsWhatShipsAsItStandsNow(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	o := w.shop.AddOrder(shopifytest.Order{
		ShippingAddress: &shopifytest.Address{FirstName: "Ava", Address1: "1 Elm St", City: "Austin"},
		LineItems: []shopifytest.LineItem{
			{Name: "Mug", SKU: "M", Quantity: 3},
			{Name: "Jar", Quantity: 2},
			{Name: "Tip", Quantity: 1, NoShipping: true},
			{Name: "Gift card", Quantity: 1, NoShipping: true},
		},
	})
	w.shop.Refund(o.ID, "Mug", 1, false)
	w.shop.Refund(o.ID, "Jar", 2, true)
	w.link()
	res, err := w.svc.ImportShopifyOrders(w.ctx, w.owner, []string{o.Name}, connect.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Imported != 1 {
		t.Fatalf("import %+v", res)
	}
	ds := w.drafts()
	if len(ds) != 1 {
		t.Fatalf("%d drafts", len(ds))
	}
	if d := cmp.Diff([]connect.Product{{Name: "Mug", SKU: "M", Quantity: 2}}, ds[0].Products); d != "" || ds[0].PackageCount != 2 {
		t.Errorf("products (-want +got):\n%s\npackages %d, want 2", d, ds[0].PackageCount)
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0].Reason, "#1001: not delivered, so not imported: Tip, Gift card") {
		t.Errorf("warnings %+v; want one naming the tip and the gift card", res.Warnings)
	}
}

// TestServiceImportsWhatShopifyGrantsOfProtectedData plays an app approved
// for some protected customer data fields: orders are imported with what
// Shopify gives, the client's required fields decide, and the import names
// what Shopify withheld.
func TestServiceImportsWhatShopifyGrantsOfProtectedData(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	o := w.shop.AddOrder(shopifytest.Order{Email: "ava@example.com", Phone: "+15125550100",
		ShippingAddress: &shopifytest.Address{FirstName: "Ava", Address1: "1 Elm St", City: "Austin", Phone: "+15125550101"},
		LineItems:       []shopifytest.LineItem{{Name: "Mug", Quantity: 1}}})
	w.link()
	w.shop.ProtectedCustomerData(2, "name", "address")

	res, err := w.svc.ImportShopifyOrders(w.ctx, w.owner, []string{o.Name}, connect.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Imported != 1 || len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0].Reason, "Shopify withheld the customer's email, phone") {
		t.Fatalf("import %+v, warnings %+v; want the order imported, naming email and phone as withheld", res, res.Warnings)
	}
	ds := w.drafts()
	if len(ds) != 1 || ds[0].Recipient.Name != "Ava" || ds[0].Address.Line1 != "1 Elm St" || ds[0].Recipient.Email != "" || ds[0].Recipient.Phone != "" {
		t.Fatalf("drafts %+v; want Ava at 1 Elm St without email or phone", ds)
	}
	if err := w.svc.DeleteDraft(w.ctx, w.owner, ds[0].ID, ds[0].Version); err != nil {
		t.Fatal(err)
	}

	// A client that requires the phone cannot have the order without it.
	settings := connect.ClientSettings{AllowUpload: true, DefaultDepot: "north", RequiredFields: connect.RequireFields(connect.FieldRecipientPhone)}
	if _, err := w.svc.UpdateClient(w.ctx, w.disp, w.client.ID, connect.ClientChanges{Settings: &settings}); err != nil {
		t.Fatal(err)
	}
	res, err = w.svc.ImportShopifyOrders(w.ctx, w.owner, []string{o.Name}, connect.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Imported != 0 || res.Refused != 1 || !strings.Contains(res.RefusedRows[0].Reason(), "Recipient Phone Number is required") {
		t.Errorf("import %+v; want the order refused for its phone", res)
	}

	// At level 0 no order can be read, and the client is told why.
	w.shop.ProtectedCustomerData(0)
	_, err = w.svc.ShopifyOrders(w.ctx, w.owner, "", 10)
	if connect.ErrorCode(err) != connect.Forbidden || !strings.Contains(err.Error(), "not approved this app for protected customer data") {
		t.Errorf("ShopifyOrders at level 0 = %v; want Forbidden saying why", err)
	}
}
