package shopifytest

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Order is an order in a fake shop. AddOrder fills in the ids, Name, and one
// open fulfillment order for each location its line items are stocked at.
type Order struct {
	ID        string // gid://shopify/Order/…
	Number    int    // 1001, 1002…; Name is "#1001"
	Name      string
	CreatedAt time.Time
	Note      string
	Email     string
	Phone     string
	Closed    bool // archived: not status:open
	// Cancelled marks a cancelled order; Shop.Cancel also sets CancelledAt
	// (cancelledAt answers CreatedAt when it is zero) and CancelReason.
	Cancelled    bool
	CancelledAt  time.Time
	CancelReason string // customer, declined, fraud, inventory, staff or other
	// UpdatedAt is when the order last changed (Shop.Edit, Shop.Cancel);
	// zero: CreatedAt.
	UpdatedAt       time.Time
	ShippingAddress *Address // nil for an order that ships nowhere
	LineItems       []LineItem
	// Withheld withholds this order's customer data as WithholdCustomerData
	// does the shop's, for tests of answers where only some orders lack it.
	Withheld bool
	// FulfillmentOrders and Fulfillments are what fulfilling changed; read them
	// through Shop.Order.
	FulfillmentOrders []FulfillmentOrder
	Fulfillments      []Fulfillment
}

// Address is a shipping address.
type Address struct {
	ID                  string
	FirstName, LastName string
	Company             string
	Address1, Address2  string
	City                string
	Province            string
	ProvinceCode        string
	Zip                 string
	Country             string
	CountryCode         string // ISO 3166-1 alpha-2, as CountryCode's values
	Phone               string
	Latitude, Longitude *float64
}

// Name is the recipient's full name, as Shopify composes it.
func (a Address) Name() string { return strings.TrimSpace(a.FirstName + " " + a.LastName) }

// LineItem is one product line of an order.
type LineItem struct {
	ID       string
	Name     string
	SKU      string
	Quantity int // as ordered: refunds and removals do not change it
	// Refunded and Removed are the units refunded, or removed by an order
	// edit (see Shop.Refund): currentQuantity is Quantity less both.
	Refunded, Removed int
	// NoShipping marks what is not shipped: a tip, a gift card, a digital
	// product (requiresShipping false).
	NoShipping bool
	// Location names the location that stocks it, where its fulfillment
	// order is assigned; "": DefaultLocation.
	Location string
}

// CurrentQuantity is the units still ordered, as Shopify's currentQuantity.
func (li LineItem) CurrentQuantity() int { return li.Quantity - li.Refunded - li.Removed }

// DefaultLocation is the location of line items that name none.
const DefaultLocation = "Shop location"

// Location is one of the shop's locations.
type Location struct {
	ID   string // gid://shopify/Location/…
	Name string
}

// FulfillmentOrder is the part of an order one location fulfills.
type FulfillmentOrder struct {
	ID        string
	Status    string   // OPEN, IN_PROGRESS, CLOSED…
	Location  Location // where it is assigned
	LineItems []FulfillmentOrderLineItem
}

// FulfillmentOrderLineItem is a line item as a fulfillment order tracks it.
type FulfillmentOrderLineItem struct {
	ID         string
	LineItemID string
	SKU        string
	Total      int
	Remaining  int
}

// Fulfillment is what fulfillmentCreate recorded.
type Fulfillment struct {
	ID                  string
	Status              string // SUCCESS
	CreatedAt           time.Time
	NotifyCustomer      bool
	Message             string
	TrackingCompany     string
	TrackingNumbers     []string
	TrackingURLs        []string
	FulfillmentOrderIDs []string
	Events              []FulfillmentEvent
}

// FulfillmentEvent is what fulfillmentEventCreate recorded.
type FulfillmentEvent struct {
	ID                  string
	Status              string
	Message             string
	HappenedAt          time.Time
	EstimatedDeliveryAt time.Time // zero when not given
}

// Stats counts what a shop's GraphQL endpoint saw, for tests.
type Stats struct {
	Requests        int     // GraphQL requests with a valid token
	Unauthorized    int     // GraphQL requests refused HTTP 401: a revoked, expired or unknown token
	Refreshed       int     // refresh tokens traded for a new pair
	RefreshRefused  int     // refresh tokens refused (invalid_grant): revoked, expired or unknown
	Rejected        int     // invalid operations (parse, validation, variables)
	Throttled       int     // answered THROTTLED
	MaxCostExceeded int     // answered MAX_COST_EXCEEDED
	Requested       int     // requested cost of the queries that ran
	Actual          int     // their actual cost
	LowestAvailable float64 // the lowest the bucket has been, right after a charge
}

// Shop is one fake store: its orders, tokens, rate-limit bucket and counters.
// Its methods are safe for concurrent use.
type Shop struct {
	srv    *Server
	domain string
	orders []*Order
	byID   map[string]*Order // order id, and the id of everything in it
	bucket bucket
	stats  Stats

	locations map[string]Location // by name
	refuseAt  map[string]string   // location name → fulfillmentCreate's user error there

	withhold  bool
	level     int          // protected customer data level: 0 none, 1 orders, 2 with fields
	fields    []string     // level 2's approved fields: "name", "email", "phone", "address"
	grantOnly []string     // scopes installs may grant; nil: all asked for
	caller    *token       // the token of the request being answered (the server's lock is held)
	failures  []int        // HTTP statuses to answer the next GraphQL requests with
	held      *heldRefresh // the next refresh's answer waits for it (HoldNextRefresh)
}

// Domain returns the shop's myshopify.com host name.
func (s *Shop) Domain() string { return s.domain }

// WithholdCustomerData makes the shop answer like Shopify does to an app
// without approval for protected customer data: Order.email, Order.phone, and
// the shipping address's names, street lines, company, phone and coordinates
// come back null, each with an ACCESS_DENIED error, while the rest of the data
// (city, zip, country, line items…) is there.
func (s *Shop) WithholdCustomerData(on bool) {
	s.srv.mu.Lock()
	defer s.srv.mu.Unlock()
	s.withhold = on
}

// ProtectedCustomerData sets what Shopify has approved the app for, as
// Shopify's protected customer data levels work: level 0, no access to
// orders at all (orders, order and nodes answer ACCESS_DENIED); level 1,
// orders without the protected fields; level 2, orders with the fields named
// ("name", "email", "phone", "address"), the others withheld as
// WithholdCustomerData does. A new shop is at level 2 with every field.
func (s *Shop) ProtectedCustomerData(level int, fields ...string) {
	s.srv.mu.Lock()
	defer s.srv.mu.Unlock()
	s.level, s.fields, s.withhold = level, fields, false
}

// FailNext makes the next len(statuses) GraphQL requests answer those HTTP
// statuses (with a JSON error body), before anything is charged.
func (s *Shop) FailNext(statuses ...int) {
	s.srv.mu.Lock()
	defer s.srv.mu.Unlock()
	s.failures = append(s.failures, statuses...)
}

// SetAvailable sets how many points the shop's bucket holds now.
func (s *Shop) SetAvailable(points float64) {
	s.srv.mu.Lock()
	defer s.srv.mu.Unlock()
	s.bucket.refill(s.srv.now())
	s.bucket.level = min(max(points, 0), s.bucket.max)
}

// Available returns how many points the shop's bucket holds now.
func (s *Shop) Available() float64 {
	s.srv.mu.Lock()
	defer s.srv.mu.Unlock()
	s.bucket.refill(s.srv.now())
	return s.bucket.level
}

// Stats returns the counters so far.
func (s *Shop) Stats() Stats {
	s.srv.mu.Lock()
	defer s.srv.mu.Unlock()
	return s.stats
}

// AddOrder adds an order and returns it as stored: with ids, Name (from Number,
// or the next number when 0), CreatedAt (now when zero) and one open
// fulfillment order for all its line items.
func (s *Shop) AddOrder(o Order) Order {
	s.srv.mu.Lock()
	defer s.srv.mu.Unlock()
	return s.addOrder(o).clone()
}

func (s *Shop) addOrder(o Order) *Order {
	if o.Number == 0 {
		o.Number = 1001 + len(s.orders)
	}
	o.ID = s.srv.gid("Order")
	o.Name = "#" + strconv.Itoa(o.Number)
	if o.CreatedAt.IsZero() {
		o.CreatedAt = s.srv.now()
	}
	if o.ShippingAddress != nil {
		a := *o.ShippingAddress
		a.ID = s.srv.gid("MailingAddress")
		o.ShippingAddress = &a
	}
	o.LineItems = slices.Clone(o.LineItems)
	o.FulfillmentOrders = nil
	for i := range o.LineItems {
		s.stock(&o, &o.LineItems[i])
	}
	o.Fulfillments = nil
	p := &o
	s.orders = append(s.orders, p)
	s.index(p)
	return p
}

// stock gives a new line item its id and a line in the open fulfillment order
// of its location (a new one when the location has none open).
func (s *Shop) stock(o *Order, li *LineItem) {
	li.ID = s.srv.gid("LineItem")
	if li.Location == "" {
		li.Location = DefaultLocation
	}
	loc := s.location(li.Location)
	j := slices.IndexFunc(o.FulfillmentOrders, func(fo FulfillmentOrder) bool {
		return fo.Location == loc && (fo.Status == "OPEN" || fo.Status == "ON_HOLD")
	})
	if j < 0 {
		o.FulfillmentOrders = append(o.FulfillmentOrders, FulfillmentOrder{ID: s.srv.gid("FulfillmentOrder"), Status: "OPEN", Location: loc})
		j = len(o.FulfillmentOrders) - 1
	}
	n := li.CurrentQuantity()
	o.FulfillmentOrders[j].LineItems = append(o.FulfillmentOrders[j].LineItems, FulfillmentOrderLineItem{
		ID: s.srv.gid("FulfillmentOrderLineItem"), LineItemID: li.ID, SKU: li.SKU, Total: n, Remaining: n,
	})
}

// location returns the shop's location with this name, adding it on first use.
func (s *Shop) location(name string) Location {
	if l, ok := s.locations[name]; ok {
		return l
	}
	if s.locations == nil {
		s.locations = map[string]Location{}
	}
	l := Location{ID: s.srv.gid("Location"), Name: name}
	s.locations[name] = l
	return l
}

// RefuseFulfillmentAt makes fulfillmentCreate refuse fulfillment orders
// assigned to the named location with this user error, as Shopify does for a
// location the app may not fulfill from; "" lifts the refusal.
func (s *Shop) RefuseFulfillmentAt(location, message string) {
	s.srv.mu.Lock()
	defer s.srv.mu.Unlock()
	if s.refuseAt == nil {
		s.refuseAt = map[string]string{}
	}
	s.refuseAt[location] = message
}

// Refund refunds (or, with removed, removes in an order edit) n units of the
// order's line item with this name: its currentQuantity drops, and so do the
// units its fulfillment order still has to fulfill. A fulfillment order left
// with nothing to fulfill closes.
func (s *Shop) Refund(orderID, lineItemName string, n int, removed bool) {
	s.srv.mu.Lock()
	defer s.srv.mu.Unlock()
	o := s.byID[orderID]
	if o == nil {
		return
	}
	for i := range o.LineItems {
		li := &o.LineItems[i]
		if li.Name != lineItemName {
			continue
		}
		n = min(n, li.CurrentQuantity())
		if removed {
			li.Removed += n
		} else {
			li.Refunded += n
		}
		for j := range o.FulfillmentOrders {
			fo := &o.FulfillmentOrders[j]
			left := 0
			for k := range fo.LineItems {
				fli := &fo.LineItems[k]
				if fli.LineItemID == li.ID {
					cut := min(n, fli.Remaining)
					fli.Remaining -= cut
					fli.Total -= cut
				}
				left += fli.Remaining
			}
			if left == 0 && (fo.Status == "OPEN" || fo.Status == "IN_PROGRESS") {
				fo.Status = "CLOSED"
			}
		}
	}
}

// index maps every id in the order to the order, for nodes(ids:) and mutations.
func (s *Shop) index(o *Order) {
	s.byID[o.ID] = o
	if o.ShippingAddress != nil {
		s.byID[o.ShippingAddress.ID] = o
	}
	for _, li := range o.LineItems {
		s.byID[li.ID] = o
	}
	for _, fo := range o.FulfillmentOrders {
		s.byID[fo.ID] = o
		for _, li := range fo.LineItems {
			s.byID[li.ID] = o
		}
	}
	for _, f := range o.Fulfillments {
		s.byID[f.ID] = o
		for _, e := range f.Events {
			s.byID[e.ID] = o
		}
	}
}

// Hold puts the order's open fulfillment orders on hold (on), as a merchant
// does to stop them being fulfilled, or releases those on hold (off).
func (s *Shop) Hold(orderID string, on bool) {
	s.srv.mu.Lock()
	defer s.srv.mu.Unlock()
	o := s.byID[orderID]
	if o == nil {
		return
	}
	for i := range o.FulfillmentOrders {
		switch fo := &o.FulfillmentOrders[i]; {
		case on && (fo.Status == "OPEN" || fo.Status == "IN_PROGRESS"):
			fo.Status = "ON_HOLD"
		case !on && fo.Status == "ON_HOLD":
			fo.Status = "OPEN"
		}
	}
}

// Order returns the order with this id or name ("#1001"), as it is now.
func (s *Shop) Order(idOrName string) (Order, bool) {
	s.srv.mu.Lock()
	defer s.srv.mu.Unlock()
	for _, o := range s.orders {
		if o.ID == idOrName || o.Name == idOrName {
			return o.clone(), true
		}
	}
	return Order{}, false
}

// Orders returns every order, oldest first.
func (s *Shop) Orders() []Order {
	s.srv.mu.Lock()
	defer s.srv.mu.Unlock()
	out := make([]Order, len(s.orders))
	for i, o := range s.orders {
		out[i] = o.clone()
	}
	return out
}

func (o *Order) clone() Order {
	c := *o
	if o.ShippingAddress != nil {
		a := *o.ShippingAddress
		c.ShippingAddress = &a
	}
	c.LineItems = slices.Clone(o.LineItems)
	c.FulfillmentOrders = make([]FulfillmentOrder, len(o.FulfillmentOrders))
	for i, fo := range o.FulfillmentOrders {
		fo.LineItems = slices.Clone(fo.LineItems)
		c.FulfillmentOrders[i] = fo
	}
	c.Fulfillments = make([]Fulfillment, len(o.Fulfillments))
	for i, f := range o.Fulfillments {
		f.Events = slices.Clone(f.Events)
		f.TrackingNumbers = slices.Clone(f.TrackingNumbers)
		f.TrackingURLs = slices.Clone(f.TrackingURLs)
		f.FulfillmentOrderIDs = slices.Clone(f.FulfillmentOrderIDs)
		c.Fulfillments[i] = f
	}
	return c
}

// DisplayFulfillmentStatus is the order's fulfillment status as the admin shows
// it: UNFULFILLED until a fulfillment order closes, FULFILLED when all have.
func (o *Order) DisplayFulfillmentStatus() string {
	closed := 0
	for _, fo := range o.FulfillmentOrders {
		if fo.Status == "CLOSED" {
			closed++
		}
	}
	switch {
	case closed == 0 && len(o.Fulfillments) == 0:
		return "UNFULFILLED"
	case closed == len(o.FulfillmentOrders):
		return "FULFILLED"
	default:
		return "PARTIALLY_FULFILLED"
	}
}

// gid returns a new global id of the given type. Ids are numbers from one
// sequence per server, like Shopify's, so they sort by creation.
func (srv *Server) gid(typ string) string {
	srv.seq++
	return fmt.Sprintf("gid://shopify/%s/%d", typ, srv.seq)
}
