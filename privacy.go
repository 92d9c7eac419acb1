package connect

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// DataRequestParams is a customer data request (Shopify's
// customers/data_request): the customer's orders of a shop, by their ids or
// by the customer's email or phone. It has no JSON tags on purpose: the
// outbox stores it as JSON by its field names (OutboxCustomerData), and
// entries written before a rename must still read.
type DataRequestParams struct {
	Shop       string   // the Shopify shop the orders came from
	ShopifyIDs []string // the shop's order ids the request names (gid://shopify/Order/…)
	Email      string   // the customer's email ("" ignores it)
	Phone      string   // the customer's phone ("" ignores it)
	RequestID  string   // the request's id at Shopify: one export per client and request
	CustomerID string   // the customer's id at Shopify, for the merchant
}

func (p DataRequestParams) match() RedactParams {
	return RedactParams{Shop: p.Shop, ShopifyIDs: p.ShopifyIDs, Email: p.Email, Phone: p.Phone}
}

// redacted selects the records of what was erased of the customer: by the
// orders the request names and by the customer (the email and phone are
// erased with the orders, so they find nothing then).
func (p DataRequestParams) redacted() RedactedQuery {
	return RedactedQuery{Shop: p.Shop, OrderIDs: p.ShopifyIDs, CustomerID: p.CustomerID}
}

// ShopifyDataRequest answers a customer data request: for every client linked
// to p.Shop or holding its orders that holds orders of the customer, or
// erased some on a privacy request, an export of what connect holds of them
// (CustomerData: the orders, their history, the proof of delivery, and what
// was erased of them and when) goes to the host through the outbox
// (Privacy.SendCustomerData), to send to the client, the merchant. The export
// is made when the entry is delivered. Only Shopify's webhooks may
// (AsShopifyWebhook). It returns how many exports it queued; none without a
// Privacy port (the request is then only logged). Errors: ErrForbidden;
// ErrInvalid without a shop or a request id.
func (s *Service) ShopifyDataRequest(ctx context.Context, a Actor, p DataRequestParams) (int, error) {
	if _, err := s.authorize(ctx, a, actShopifyWebhooks); err != nil {
		return 0, err
	}
	if p.Shop == "" || p.RequestID == "" {
		return 0, Errorf(Invalid, "the shop and the request id are required")
	}
	if s.privacy == nil {
		s.log.WarnContext(ctx, "shopify data request: not answered, as no Privacy port is configured", "shop", p.Shop, "request", p.RequestID)
		return 0, nil
	}
	payload, err := json.Marshal(p)
	if err != nil {
		return 0, Errorf(Internal, "%w", err)
	}
	clients, err := s.store.ClientsByShopAnyAccount(ctx, p.Shop)
	if err != nil {
		return 0, err
	}
	now, queued := s.clock(), 0
	for _, cl := range clients {
		scope := Scope{Account: cl.Account, Client: cl.ID}
		orders, err := s.store.CustomerOrders(ctx, scope, p.match())
		if err != nil {
			return queued, err
		}
		erased, err := s.store.RedactedShopifyOrders(ctx, scope, p.redacted())
		if err != nil {
			return queued, err
		}
		if len(orders) == 0 && len(erased) == 0 {
			continue
		}
		e := OutboxEntry{
			Key:     fmt.Sprintf("data-request/%s/%s/%s", p.Shop, p.RequestID, cl.ID),
			Account: cl.Account, Client: cl.ID, Kind: OutboxCustomerData, Payload: payload,
			State: OutboxPending, NextAt: now, CreatedAt: now, UpdatedAt: now,
		}
		if err := s.store.AddOutbox(ctx, scope, []OutboxEntry{e}); err != nil {
			return queued, err
		}
		queued++
	}
	s.log.InfoContext(ctx, "shopify data request queued", "shop", p.Shop, "request", p.RequestID, "exports", queued)
	return queued, nil
}

// erasePayload is the payload of an OutboxEraseProofFiles entry.
type erasePayload struct {
	URLs []string `json:"urls"`
}

// deliverPrivacy hands a privacy entry to the Privacy port.
func (s *Service) deliverPrivacy(ctx context.Context, e OutboxEntry) error {
	switch e.Kind {
	case OutboxEraseProofFiles:
		var p erasePayload
		if err := json.Unmarshal(e.Payload, &p); err != nil {
			return Errorf(Internal, "outbox entry %s: %w", e.Key, err)
		}
		// connect's own files first (Config.Blobs); the host erases the others.
		hosts, err := s.eraseProofFiles(ctx, e.Account, e.Client, e.Order, p.URLs)
		if err != nil || len(hosts) == 0 {
			return err
		}
		if s.privacy == nil {
			return Errorf(Unavailable, "no Privacy port is configured")
		}
		return s.privacy.EraseProofFiles(ctx, ProofFilesErasure{Key: e.Key, Account: e.Account, Client: e.Client, Order: e.Order, URLs: hosts})
	default: // OutboxCustomerData
		if s.privacy == nil {
			return Errorf(Unavailable, "no Privacy port is configured")
		}
		var p DataRequestParams
		if err := json.Unmarshal(e.Payload, &p); err != nil {
			return Errorf(Internal, "outbox entry %s: %w", e.Key, err)
		}
		data, err := s.customerData(ctx, Scope{Account: e.Account, Client: e.Client}, p)
		if err != nil {
			return err
		}
		raw, err := json.MarshalIndent(data, "", "  ")
		if err != nil {
			return Errorf(Internal, "%w", err)
		}
		return s.privacy.SendCustomerData(ctx, CustomerDataExport{Key: e.Key, Account: e.Account, Client: e.Client,
			Shop: p.Shop, RequestID: p.RequestID, Orders: len(data.Orders), JSON: raw})
	}
}

// CustomerData is the export of a customer data request: what connect holds of
// one customer of a client's shop. Its JSON is the export's format.
type CustomerData struct {
	Shop        string          `json:"shop"`
	RequestID   string          `json:"data_request_id"`
	CustomerID  string          `json:"shopify_customer_id,omitempty"`
	Email       string          `json:"customer_email,omitempty"`
	Phone       string          `json:"customer_phone,omitempty"`
	Client      string          `json:"client"` // the client's name: the merchant's business in the portal
	GeneratedAt time.Time       `json:"generated_at"`
	Orders      []CustomerOrder `json:"orders"`
	// Erased is what privacy requests erased of the customer's orders
	// (customers/redact, shop/redact), oldest first: the data is gone, and
	// this says so, and when.
	Erased []ErasedOrder `json:"erased,omitempty"`
}

// ErasedOrder is one Shopify order whose personal data a privacy request
// erased, in a CustomerData export.
type ErasedOrder struct {
	ShopifyOrderID string    `json:"shopify_order_id"`
	ErasedAt       time.Time `json:"erased_at"`
	Reason         string    `json:"reason"`        // the request: "Shopify customers/redact for customer 7 (webhook …)"
	Orders         int       `json:"orders_erased"` // the client's orders it erased (0: none held then)
	Fields         []string  `json:"fields_erased"` // what each of them lost
	CustomerID     string    `json:"shopify_customer_id,omitempty"`
}

// erasedFields names what Store.RedactOrders erases of an order.
var erasedFields = []string{"recipient name", "recipient email", "recipient phone", "address unit", "address lines",
	"city", "zip", "coordinates", "notes", "proof of delivery (photos, signature, recipient name, notes, place)"}

// CustomerOrder is one order in a CustomerData export.
type CustomerOrder struct {
	ID             OrderID       `json:"id"`
	Ref            string        `json:"ref,omitempty"`
	ShopifyOrderID string        `json:"shopify_order_id,omitempty"`
	StopType       StopType      `json:"stop_type"`
	Status         Status        `json:"status"`
	Recipient      Recipient     `json:"recipient"`
	Address        exportAddress `json:"address"`
	Notes          string        `json:"notes,omitempty"`
	Products       []Product     `json:"products,omitempty"`
	ETA            *time.Time    `json:"eta,omitempty"`
	FailureReason  string        `json:"failure_reason,omitempty"`
	Proof          *exportProof  `json:"proof_of_delivery,omitempty"`
	History        []exportEvent `json:"history"`
	CreatedAt      time.Time     `json:"created_at"`
	SubmittedAt    *time.Time    `json:"submitted_at,omitempty"`
	UpdatedAt      time.Time     `json:"updated_at"`
}

type exportAddress struct {
	Unit      string `json:"unit,omitempty"`
	Line1     string `json:"line1,omitempty"`
	Line2     string `json:"line2,omitempty"`
	City      string `json:"city,omitempty"`
	State     string `json:"state,omitempty"`
	Zip       string `json:"zip,omitempty"`
	Country   string `json:"country,omitempty"`
	Latitude  string `json:"latitude,omitempty"`
	Longitude string `json:"longitude,omitempty"`
}

type exportProof struct {
	At            time.Time `json:"at"`
	RecipientName string    `json:"recipient_name,omitempty"`
	Notes         string    `json:"notes,omitempty"`
	Latitude      string    `json:"latitude,omitempty"`
	Longitude     string    `json:"longitude,omitempty"`
	PhotoURLs     []string  `json:"photo_urls,omitempty"`
	SignatureURL  string    `json:"signature_url,omitempty"`
}

type exportEvent struct {
	Event  Event      `json:"event"`
	From   Status     `json:"from,omitempty"`
	To     Status     `json:"to"`
	At     time.Time  `json:"at"`
	ETA    *time.Time `json:"eta,omitempty"`
	Reason string     `json:"reason,omitempty"`
}

// customerData reads what the scope holds of the request's customer.
func (s *Service) customerData(ctx context.Context, scope Scope, p DataRequestParams) (*CustomerData, error) {
	cl, err := s.store.Client(ctx, Scope{Account: scope.Account}, scope.Client)
	if err != nil {
		return nil, err
	}
	orders, err := s.store.CustomerOrders(ctx, scope, p.match())
	if err != nil {
		return nil, err
	}
	out := &CustomerData{Shop: p.Shop, RequestID: p.RequestID, CustomerID: p.CustomerID, Email: p.Email, Phone: p.Phone,
		Client: cl.Name, GeneratedAt: s.clock().UTC(), Orders: make([]CustomerOrder, 0, len(orders))}
	for _, o := range orders {
		history, err := s.store.History(ctx, scope, o.ID)
		if err != nil {
			return nil, err
		}
		co := CustomerOrder{
			ID: o.ID, Ref: o.Ref, ShopifyOrderID: o.Shopify.OrderID, StopType: stopType(o.StopType),
			Status: o.Status, Recipient: o.Recipient, Notes: o.Notes, Products: o.Products,
			FailureReason: o.FailureReason, CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt,
			Address: exportAddress{Unit: o.Address.Unit, Line1: o.Address.Line1, Line2: o.Address.Line2, City: o.Address.City,
				State: o.Address.State, Zip: o.Address.Zip, Country: o.Address.Country,
				Latitude: formatDecimal(o.Address.Latitude), Longitude: formatDecimal(o.Address.Longitude)},
			ETA: timeOrNil(o.ETA), SubmittedAt: timeOrNil(o.SubmittedAt),
			History: make([]exportEvent, len(history)),
		}
		if pr := o.Proof; pr != nil {
			co.Proof = &exportProof{At: pr.At, RecipientName: pr.RecipientName, Notes: pr.Notes,
				Latitude: formatDecimal(pr.Latitude), Longitude: formatDecimal(pr.Longitude),
				PhotoURLs: pr.PhotoURLs, SignatureURL: pr.SignatureURL}
		}
		for i, ev := range history {
			co.History[i] = exportEvent{Event: ev.Event, From: ev.From, To: ev.To, At: ev.At, ETA: timeOrNil(ev.ETA), Reason: ev.Reason}
		}
		out.Orders = append(out.Orders, co)
	}
	erased, err := s.store.RedactedShopifyOrders(ctx, scope, p.redacted())
	if err != nil {
		return nil, err
	}
	for _, r := range erased {
		out.Erased = append(out.Erased, ErasedOrder{ShopifyOrderID: r.OrderID, ErasedAt: r.At.UTC(), Reason: r.Reason,
			Orders: r.Orders, Fields: erasedFields, CustomerID: r.CustomerID})
	}
	return out, nil
}

func stopType(t StopType) StopType {
	if t == "" {
		return Delivery
	}
	return t
}

func timeOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
