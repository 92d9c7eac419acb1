package shopify_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/connecttest"
	"github.com/dispatchkit/connect/shopify"
	"github.com/dispatchkit/connect/shopify/shopifytest"
)

// recordingPrivacy is the host's Privacy port: it records the proof files it
// is asked to erase (once per key) and the exports it is asked to send.
type recordingPrivacy struct {
	mu      sync.Mutex
	erased  map[string][]string // key → URLs
	exports map[string]connect.CustomerDataExport
}

func (p *recordingPrivacy) EraseProofFiles(_ context.Context, e connect.ProofFilesErasure) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.erased == nil {
		p.erased = map[string][]string{}
	}
	p.erased[e.Key] = e.URLs
	return nil
}

func (p *recordingPrivacy) SendCustomerData(_ context.Context, x connect.CustomerDataExport) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.exports == nil {
		p.exports = map[string]connect.CustomerDataExport{}
	}
	p.exports[x.Key] = x
	return nil
}

func (p *recordingPrivacy) erasedFiles() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, urls := range p.erased {
		out = append(out, urls...)
	}
	slices.Sort(out)
	return out
}

func (p *recordingPrivacy) sent() []connect.CustomerDataExport {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []connect.CustomerDataExport
	for _, x := range p.exports {
		out = append(out, x)
	}
	return out
}

// TestPrivacyWebhooksReachEveryPersonalFieldAndTheHost: against the fake's
// signed webhooks, on SQLite and PostgreSQL. customers/data_request hands the
// host a JSON export of the customer's orders (with their history and proof
// of delivery); customers/redact erases every personal field of them (the
// recipient, the address, the notes, the proof) and hands the host the proof
// files to erase; shop/redact does so for the whole shop.
func TestPrivacyWebhooksReachEveryPersonalFieldAndTheHost(t *testing.T) {
	t.Parallel()
	onStores(t, func(t *testing.T, w *world) {
		ava := w.shop.AddOrder(shopifytest.Order{Email: "ava@example.com", Phone: "+15125550100", Note: "Gate 4417",
			ShippingAddress: &shopifytest.Address{FirstName: "Ava", Address1: "1 Elm St", Address2: "Flat 3", City: "Austin",
				Zip: "78701", Phone: "+15125550100"},
			LineItems: []shopifytest.LineItem{{Name: "Mug", Quantity: 1}}})
		ben := w.shop.AddOrder(shopifytest.Order{Email: "ben@example.com", ShippingAddress: &shopifytest.Address{FirstName: "Ben",
			Address1: "2 Elm St", City: "Austin", Zip: "78702"},
			LineItems: []shopifytest.LineItem{{Name: "Jar", Quantity: 1}}})
		w.link()
		if _, err := w.svc.ImportShopifyOrders(w.ctx, w.owner, []string{ava.Name, ben.Name}, connect.ImportOptions{}); err != nil {
			t.Fatal(err)
		}
		ids := map[string]connect.OrderID{}
		for _, d := range w.drafts() {
			ids[d.Ref] = d.ID
		}
		// Ava's order is delivered with proof: photos, a signature, who, where.
		if _, err := w.svc.SubmitOrders(w.ctx, w.owner, []connect.OrderID{ids[ava.Name]}); err != nil {
			t.Fatal(err)
		}
		host := connect.AsRouteSync(w.client.Account)
		// One photo kept by connect (Config.Blobs), the others by the host.
		kept, err := w.svc.StoreProofFile(w.ctx, host, ids[ava.Name], bytes.NewReader(connecttest.PNG))
		if err != nil {
			t.Fatal(err)
		}
		proof := &connect.ProofOfDelivery{PhotoURLs: []string{"https://host.example/pod/a1.jpg", "https://host.example/pod/a2.jpg", kept},
			SignatureURL: "https://host.example/pod/a-sig.png", RecipientName: "Ava's neighbour", Notes: "Left at gate 4417",
			Latitude: dec(30.2672), Longitude: dec(-97.7431)}
		for i, ev := range []connect.RouteEvent{
			{ID: "p1", Event: connect.EventSchedule, Route: connect.RouteStop{RouteID: "r1", Position: 1}},
			{ID: "p2", Event: connect.EventStart, ETA: w.clock.Now().Add(time.Hour)},
			{ID: "p3", Event: connect.EventComplete, Proof: proof},
		} {
			w.clock.Advance(time.Second)
			ev.Order, ev.At = ids[ava.Name], w.clock.Now()
			if ev.Proof != nil {
				ev.Proof.At = ev.At
			}
			if _, err := w.svc.ApplyRouteEvents(w.ctx, host, []connect.RouteEvent{ev}); err != nil {
				t.Fatalf("route event %d: %v", i, err)
			}
		}
		send := w.sendWebhook
		avaID, _ := strconv.ParseInt(ava.ID[strings.LastIndexByte(ava.ID, '/')+1:], 10, 64)

		t.Run("customers/data_request hands the host an export", func(t *testing.T) {
			send(shopify.TopicCustomersDataRequest, shopify.CustomersDataRequest{ShopDomain: w.shop.Domain(),
				Customer: shopify.PrivacyCustomer{ID: 7, Email: "AVA@example.com"}, OrdersRequested: []int64{avaID},
				DataRequest: struct {
					ID int64 `json:"id"`
				}{ID: 9999}})
			w.deliverOutbox()
			sent := w.privacy.sent()
			if len(sent) != 1 || sent[0].Client != w.client.ID || sent[0].RequestID != "9999" || sent[0].Orders != 1 {
				t.Fatalf("exports sent: %+v", sent)
			}
			var data connect.CustomerData
			if err := json.Unmarshal(sent[0].JSON, &data); err != nil {
				t.Fatalf("the export is not JSON: %v\n%s", err, sent[0].JSON)
			}
			if len(data.Orders) != 1 {
				t.Fatalf("export orders: %+v", data.Orders)
			}
			o := data.Orders[0]
			if o.ShopifyOrderID != ava.ID || o.Status != connect.StatusDelivered || o.Recipient.Email != "ava@example.com" ||
				o.Address.Line1 != "1 Elm St" || o.Proof == nil || o.Proof.RecipientName != "Ava's neighbour" ||
				len(o.Proof.PhotoURLs) != 3 || o.Proof.SignatureURL == "" || o.Proof.Latitude != "30.2672" {
				t.Errorf("exported order: %+v, proof %+v", o, o.Proof)
			}
			var events []connect.Event
			for _, e := range o.History {
				events = append(events, e.Event)
			}
			if !slices.Contains(events, connect.EventComplete) || !slices.Contains(events, connect.EventSubmit) {
				t.Errorf("exported history: %v", events)
			}
			// A redelivery of the webhook (Shopify retries) sends nothing twice.
			send(shopify.TopicCustomersDataRequest, shopify.CustomersDataRequest{ShopDomain: w.shop.Domain(),
				Customer: shopify.PrivacyCustomer{ID: 7, Email: "ava@example.com"}, DataRequest: struct {
					ID int64 `json:"id"`
				}{ID: 9999}})
			w.deliverOutbox()
			if n := len(w.privacy.sent()); n != 1 {
				t.Errorf("%d exports after a repeated request", n)
			}
		})

		t.Run("customers/redact erases every personal field and the proof files", func(t *testing.T) {
			send(shopify.TopicCustomersRedact, shopify.CustomersRedact{ShopDomain: w.shop.Domain(),
				Customer: shopify.PrivacyCustomer{ID: 7, Email: "ava@example.com"}, OrdersToRedact: []int64{avaID}})
			w.deliverOutbox()
			o, err := w.svc.Order(w.ctx, w.owner, ids[ava.Name])
			if err != nil {
				t.Fatal(err)
			}
			if o.Recipient != (connect.Recipient{}) || o.Notes != "" || o.Proof != nil ||
				o.Address.Line1 != "" || o.Address.Line2 != "" || o.Address.City != "" || o.Address.Zip != "" ||
				o.Address.Latitude.Valid || o.Address.Longitude.Valid {
				t.Errorf("after customers/redact the order keeps %+v / %+v / %q / %+v", o.Recipient, o.Address, o.Notes, o.Proof)
			}
			// The host erases its own files; connect erased the one it kept.
			want := []string{"https://host.example/pod/a-sig.png", "https://host.example/pod/a1.jpg", "https://host.example/pod/a2.jpg"}
			if d := cmp.Diff(want, w.privacy.erasedFiles()); d != "" {
				t.Errorf("proof files erased by the host (-want +got):\n%s", d)
			}
			if n, err := w.store.DeleteBlobsBefore(w.ctx, "proof/", time.Now().Add(time.Hour)); err != nil || n != 0 {
				t.Errorf("%d proof files kept by connect are left after the redaction (%v)", n, err)
			}
			b, _ := w.svc.Order(w.ctx, w.owner, ids[ben.Name])
			if b.Recipient.Email != "ben@example.com" || b.Address.Line1 != "2 Elm St" {
				t.Errorf("another customer's order changed: %+v %+v", b.Recipient, b.Address)
			}
		})

		t.Run("shop/redact erases the rest of the shop", func(t *testing.T) {
			send(shopify.TopicShopRedact, shopify.ShopRedact{ShopID: 1, ShopDomain: w.shop.Domain()})
			b, _ := w.svc.Order(w.ctx, w.owner, ids[ben.Name])
			if b.Recipient != (connect.Recipient{}) || b.Address.Line1 != "" || b.Address.City != "" || b.Address.Zip != "" {
				t.Errorf("after shop/redact: %+v %+v", b.Recipient, b.Address)
			}
		})
	})
}

// TestRedactedOrdersStayErasedThroughUpdatesAndImports: against the fake's
// signed webhooks, on SQLite and PostgreSQL. After customers/redact, the
// fake shop still holds the customer's data (a merchant may keep it), and
// sends orders/updated with all of it: the draft takes the new products but
// none of the personal fields, the submitted order is not told of them, and an
// import of a redacted order (one the portal held, deleted since, and one it
// never held) is refused, saying why.
func TestRedactedOrdersStayErasedThroughUpdatesAndImports(t *testing.T) {
	t.Parallel()
	onStores(t, func(t *testing.T, w *world) {
		add := func(name string) shopifytest.Order {
			return w.shop.AddOrder(shopifytest.Order{Email: name + "@example.com", Phone: "+15125550100", Note: "Gate 4417",
				ShippingAddress: &shopifytest.Address{FirstName: name, Address1: "1 Elm St", City: "Austin", Zip: "78701"},
				LineItems:       []shopifytest.LineItem{{Name: "Mug", Quantity: 2, SKU: "MUG"}}})
		}
		draft, submitted, never := add("Ava"), add("Ben"), add("Cy")
		ours := w.importAndSubmit([]shopifytest.Order{draft, submitted}, submitted)
		send := w.sendWebhook
		var ids []int64
		for _, o := range []shopifytest.Order{draft, submitted, never} {
			n, _ := strconv.ParseInt(o.ID[strings.LastIndexByte(o.ID, '/')+1:], 10, 64)
			ids = append(ids, n)
		}
		send(shopify.TopicCustomersRedact, shopify.CustomersRedact{ShopDomain: w.shop.Domain(),
			Customer: shopify.PrivacyCustomer{ID: 7, Email: "ava@example.com"}, OrdersToRedact: ids})
		read := func(name string) *connect.Order {
			t.Helper()
			o, err := w.svc.Order(w.ctx, w.owner, ours[name])
			if err != nil {
				t.Fatal(err)
			}
			return o
		}
		erased := func(what string, o *connect.Order) {
			t.Helper()
			if o.Recipient != (connect.Recipient{}) || o.Notes != "" || o.Address.Line1 != "" || o.Address.City != "" ||
				o.Address.Zip != "" || o.Address.Latitude.Valid {
				t.Errorf("%s: personal data back: %+v / %+v / %q", what, o.Recipient, o.Address, o.Notes)
			}
		}
		erased("the draft after customers/redact", read(draft.Name))
		before := read(submitted.Name)

		t.Run("orders/updated with the customer's data keeps it erased", func(t *testing.T) {
			for _, o := range []shopifytest.Order{draft, submitted} {
				w.shop.Edit(o.ID, func(o *shopifytest.Order) {
					o.ShippingAddress.Address1 = "9 New St"
					o.Note = "Back door"
				})
				status, err := w.srv.SendOrderWebhook(w.ctx, w.webhooks, w.shop, shopify.TopicOrdersUpdated, o.ID)
				if err != nil || status != http.StatusOK {
					t.Fatalf("orders/updated of %s answered %d, %v", o.Name, status, err)
				}
			}
			got := read(draft.Name)
			erased("the draft after orders/updated", got)
			if len(got.History) == 0 || got.History[len(got.History)-1].Event == connect.EventShopifyUpdate {
				t.Errorf("a change of personal fields only was imported: %+v", got.History[len(got.History)-1])
			}
			after := read(submitted.Name)
			erased("the submitted order after orders/updated", after)
			if after.Version != before.Version {
				t.Errorf("the submitted order was told of a change of erased fields: %+v", after.History[len(after.History)-1])
			}

			// Products are not personal: the draft takes them, and says the
			// rest was not imported again.
			w.shop.Refund(draft.ID, "Mug", 1, true)
			if status, err := w.srv.SendOrderWebhook(w.ctx, w.webhooks, w.shop, shopify.TopicOrdersUpdated, draft.ID); err != nil || status != http.StatusOK {
				t.Fatalf("orders/updated answered %d, %v", status, err)
			}
			got = read(draft.Name)
			erased("the draft after new products", got)
			if d := cmp.Diff([]connect.Product{{Name: "Mug", Quantity: 1, SKU: "MUG"}}, got.Products); d != "" {
				t.Errorf("the draft's products (-want +got):\n%s", d)
			}
			ev := got.History[len(got.History)-1]
			if ev.Event != connect.EventShopifyUpdate || !strings.Contains(ev.Reason, "products") || strings.Contains(ev.Reason, "address") ||
				!strings.Contains(ev.Reason, "personal data") {
				t.Errorf("the draft's last event: %+v", ev)
			}
		})

		t.Run("an import of a redacted order is refused, saying why", func(t *testing.T) {
			d := read(draft.Name)
			if err := w.svc.DeleteDraft(w.ctx, w.owner, d.ID, d.Version); err != nil {
				t.Fatal(err)
			}
			res, err := w.svc.ImportShopifyOrders(w.ctx, w.owner, []string{draft.Name, never.ID}, connect.ImportOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if res.Imported != 0 || res.Refused != 2 || len(res.Errors) != 2 {
				t.Fatalf("import of redacted orders: %+v", res)
			}
			for _, e := range res.Errors {
				if !strings.Contains(e.Reason, "personal data was erased") {
					t.Errorf("refused with %q", e.Reason)
				}
			}
			for _, o := range w.drafts() {
				erased("a draft after the import", o)
			}
		})

		t.Run("customers/data_request afterwards says what was erased and when", func(t *testing.T) {
			send(shopify.TopicCustomersDataRequest, shopify.CustomersDataRequest{ShopDomain: w.shop.Domain(),
				Customer: shopify.PrivacyCustomer{ID: 7, Email: "ava@example.com"}, OrdersRequested: ids[1:2],
				DataRequest: struct {
					ID int64 `json:"id"`
				}{ID: 4242}})
			w.deliverOutbox()
			var x *connect.CustomerDataExport
			for _, s := range w.privacy.sent() {
				if s.RequestID == "4242" {
					x = &s
				}
			}
			if x == nil {
				t.Fatalf("no export for the request: %+v", w.privacy.sent())
			}
			var data connect.CustomerData
			if err := json.Unmarshal(x.JSON, &data); err != nil {
				t.Fatal(err)
			}
			if len(data.Orders) != 1 || data.Orders[0].ShopifyOrderID != submitted.ID || data.Orders[0].Recipient != (connect.Recipient{}) {
				t.Errorf("exported orders: %+v", data.Orders)
			}
			var got []string
			for _, e := range data.Erased {
				got = append(got, e.ShopifyOrderID)
				if e.ErasedAt.IsZero() || !strings.Contains(e.Reason, "customers/redact for customer 7") || e.CustomerID != "7" ||
					!slices.Contains(e.Fields, "recipient email") {
					t.Errorf("erased record: %+v", e)
				}
			}
			slices.Sort(got)
			want := []string{draft.ID, submitted.ID, never.ID}
			slices.Sort(want)
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("erased orders in the export (-want +got):\n%s", d)
			}
			// The request's own email comes back as its identifier; nothing erased does.
			if strings.Count(string(x.JSON), "ava@example.com") != 1 || strings.Contains(string(x.JSON), "Elm St") ||
				strings.Contains(string(x.JSON), "Gate 4417") || strings.Contains(string(x.JSON), "+15125550100") {
				t.Errorf("the export holds erased data:\n%s", x.JSON)
			}
		})
	})
}
