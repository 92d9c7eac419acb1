package connect

import (
	"time"

	"github.com/shopspring/decimal"
)

// StopType says whether the driver delivers to the address or picks up from it.
type StopType string

// The stop types.
const (
	Delivery StopType = "delivery"
	Pickup   StopType = "pickup"
)

// Source says where an order came from.
type Source string

// The order sources.
const (
	SourceSpreadsheet Source = "spreadsheet"
	SourceShopify     Source = "shopify"
	SourceManual      Source = "manual"
	SourceDispatcher  Source = "dispatcher" // created by the account for the client
)

// Address is where the stop is. Line1 is always required.
type Address struct {
	Unit    string // unit, flat or unit name
	Line1   string
	Line2   string
	City    string
	State   string
	Zip     string
	Country string
	// Latitude and Longitude are optional; when given they win over geocoding.
	Latitude  decimal.NullDecimal
	Longitude decimal.NullDecimal
}

// Recipient is who receives (or hands over) the goods.
type Recipient struct {
	Name  string
	Email string
	Phone string
}

// Product is one line of what the stop carries.
type Product struct {
	Name     string
	Quantity int // at least 1
	SKU      string
}

// OrderInput is everything a client can say about an order: a form, a spreadsheet
// row or a Shopify order all become one of these.
type OrderInput struct {
	// Ref is the client's own reference for the order (the spreadsheet's "Id"
	// column, the Shopify order name). Unique per client when not empty, so the
	// same order is never imported twice.
	Ref          string
	StopType     StopType // "" means Delivery
	Address      Address
	Recipient    Recipient
	Notes        string
	Size         decimal.NullDecimal // in the account's unit (volume, weight or count)
	PackageCount int                 // 0 when not given
	Products     []Product
}

// ShopifyRef ties an order to the Shopify order it came from.
type ShopifyRef struct {
	Shop    string // the shop's myshopify.com domain
	OrderID string // the order's GraphQL id (gid://shopify/Order/…)
}

// RouteStop says where on the host's route an order is.
type RouteStop struct {
	RouteID  string
	Position int // 1-based position on the route
}

// ProofOfDelivery is what the driver captured at the stop. The host keeps the files;
// connect keeps their URLs.
type ProofOfDelivery struct {
	PhotoURLs     []string
	SignatureURL  string
	RecipientName string // who took the goods
	Notes         string
	Latitude      decimal.NullDecimal
	Longitude     decimal.NullDecimal
	At            time.Time
}

// Order is one delivery or pickup of a client, from draft to delivered.
type Order struct {
	OrderInput

	ID      OrderID
	Account AccountID
	Client  ClientID
	Source  Source
	Shopify ShopifyRef // set when Source is SourceShopify
	// Fingerprint is set by a spreadsheet import on an order from a row without
	// an Id: a hash of the row's fields, by which importing the same file again
	// knows the row as already imported. Empty otherwise.
	Fingerprint string
	Depot       DepotID // the client's default depot unless the dispatcher moved it
	Status      Status
	// Version counts changes; every change is a compare-and-set on it.
	Version int

	Route         RouteStop        // set while scheduled or en route
	ETA           time.Time        // zero until the route starts
	FailureReason string           // why the last attempt failed
	Proof         *ProofOfDelivery // set when delivered or failed with proof
	// RouteEventAt is when the last route event applied to the order happened at
	// the host; an older event arriving late is ignored.
	RouteEventAt time.Time

	CreatedAt   time.Time
	UpdatedAt   time.Time
	SubmittedAt time.Time // zero while a draft

	// History is the order's timeline, oldest first. Filled by Service.Order only.
	History []OrderEvent
	// ShopifyFulfilment is Shopify's side of an order from Shopify (fulfilled
	// or not, customer notified, last progress, or why it failed). Filled by
	// Service.Order only, for orders whose Source is SourceShopify.
	ShopifyFulfilment *ShopifyFulfilment
}

// OrderEvent is one entry of an order's timeline: a status change or an ETA update.
// The same events feed live updates (Service.Subscribe).
type OrderEvent struct {
	Order   OrderID
	Account AccountID
	Client  ClientID
	Event   Event
	From    Status
	To      Status
	At      time.Time
	By      string // who: "dispatcher ana@example.com", "member 0190…", "route sync"
	ETA     time.Time
	Reason  string
	// Cursor is the event's position in the Store's event feed (Events); set on
	// events read from the feed, "" otherwise.
	Cursor string
}
