package connect

import (
	"slices"
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
	SourceSchedule    Source = "schedule"   // made by one of the client's recurring schedules
)

// Sources returns the order sources, in the order a list offers them.
func Sources() []Source {
	return []Source{SourceSpreadsheet, SourceShopify, SourceManual, SourceDispatcher, SourceSchedule}
}

// Label is the source as the portal names it.
func (s Source) Label() string {
	switch s {
	case SourceSpreadsheet:
		return "Spreadsheet"
	case SourceShopify:
		return "Shopify"
	case SourceManual:
		return "Added by hand"
	case SourceDispatcher:
		return "From the dispatcher"
	case SourceSchedule:
		return "Recurring schedule"
	}
	return string(s)
}

// Valid reports whether s is one of the order sources.
func (s Source) Valid() bool { return slices.Contains(Sources(), s) }

// Address is where the stop is. Line1 is always required.
type Address struct {
	Unit    string `json:"unit,omitempty"` // unit, flat or unit name
	Line1   string `json:"line1"`
	Line2   string `json:"line2,omitempty"`
	City    string `json:"city,omitempty"`
	State   string `json:"state,omitempty"`
	Zip     string `json:"zip,omitempty"`
	Country string `json:"country,omitempty"`
	// Latitude and Longitude are optional; when given they win over geocoding.
	Latitude  decimal.NullDecimal `json:"latitude"`
	Longitude decimal.NullDecimal `json:"longitude"`
}

// Recipient is who receives (or hands over) the goods.
type Recipient struct {
	Name  string `json:"name,omitempty"`
	Email string `json:"email,omitempty"`
	Phone string `json:"phone,omitempty"`
}

// Product is one line of what the stop carries.
type Product struct {
	Name     string `json:"name"`
	Quantity int    `json:"quantity"` // at least 1
	SKU      string `json:"sku,omitempty"`
}

// OrderInput is everything a client can say about an order: a form, a spreadsheet
// row or a Shopify order all become one of these.
type OrderInput struct {
	// Ref is the client's own reference for the order (the spreadsheet's "Id"
	// column, the Shopify order name). Unique per client when not empty, so the
	// same order is never imported twice.
	Ref          string              `json:"ref"`
	StopType     StopType            `json:"stop_type,omitempty"` // "" means Delivery
	Address      Address             `json:"address"`
	Recipient    Recipient           `json:"recipient"`
	Notes        string              `json:"notes,omitempty"`
	Size         decimal.NullDecimal `json:"size"`                    // in the account's unit (volume, weight or count)
	PackageCount int                 `json:"package_count,omitempty"` // 0 when not given
	Products     []Product           `json:"products,omitempty"`
	// NotifyOptOut keeps the recipient from being sent notices of this order,
	// whatever its client chose (notify.go). Orders are opted in by default.
	NotifyOptOut bool `json:"notify_opt_out,omitempty"`
}

// ShopifyRef ties an order to the Shopify order it came from.
type ShopifyRef struct {
	Shop    string `json:"shop"`     // the shop's myshopify.com domain
	OrderID string `json:"order_id"` // the order's GraphQL id (gid://shopify/Order/…)
}

// RouteStop says where on the host's route an order is.
type RouteStop struct {
	RouteID  string `json:"route_id"`
	Position int    `json:"position"` // 1-based position on the route
}

// ProofOfDelivery is what the driver captured at the stop. The host keeps the files;
// connect keeps their URLs.
type ProofOfDelivery struct {
	PhotoURLs     []string            `json:"photo_urls,omitempty"`
	SignatureURL  string              `json:"signature_url,omitempty"`
	RecipientName string              `json:"recipient_name,omitempty"` // who took the goods
	Notes         string              `json:"notes,omitempty"`
	Latitude      decimal.NullDecimal `json:"latitude"`
	Longitude     decimal.NullDecimal `json:"longitude"`
	At            time.Time           `json:"at,omitzero"`
}

// Order is one delivery or pickup of a client, from draft to delivered.
type Order struct {
	OrderInput

	ID      OrderID    `json:"id"`
	Account AccountID  `json:"account"`
	Client  ClientID   `json:"client"`
	Source  Source     `json:"source"`
	Shopify ShopifyRef `json:"shopify,omitzero"` // set when Source is SourceShopify
	// Fingerprint is set by a spreadsheet import on an order from a row without
	// an Id: a hash of the row's fields, by which importing the same file again
	// knows the row as already imported. Empty otherwise.
	Fingerprint string  `json:"fingerprint,omitempty"`
	Depot       DepotID `json:"depot,omitempty"` // the client's default depot unless the dispatcher moved it
	// Import is the import that stored the order (see ImportRecord); "" for
	// an order made another way.
	Import ImportID `json:"import,omitempty"`
	Status Status   `json:"status"`
	// Version counts changes; every change is a compare-and-set on it.
	Version int `json:"version"`

	Route         RouteStop        `json:"route,omitzero"`           // set while scheduled or en route
	ETA           time.Time        `json:"eta,omitzero"`             // zero until the route starts
	FailureReason string           `json:"failure_reason,omitempty"` // why the last attempt failed
	Proof         *ProofOfDelivery `json:"proof,omitempty"`          // set when delivered or failed with proof
	// RouteEventAt is when the last route event applied to the order happened at
	// the host; an older event arriving late is ignored.
	RouteEventAt time.Time `json:"route_event_at,omitzero"`

	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
	SubmittedAt time.Time `json:"submitted_at,omitzero"` // zero while a draft

	// History is the order's timeline, oldest first. Filled by Service.Order only.
	History []OrderEvent `json:"history,omitempty"`
	// ShopifyFulfillment is Shopify's side of an order from Shopify (fulfilled
	// or not, customer notified, last progress, or why it failed). Filled by
	// Service.Order only, for orders whose Source is SourceShopify.
	ShopifyFulfillment *ShopifyFulfillment `json:"shopify_fulfillment,omitempty"`
}

// CompletedAt is when the order was completed: for a delivered or failed
// order, the time of the route event that completed it (its last; the time
// it was stored when it came without one), for a cancelled order the time it
// was cancelled; zero for an order not completed. Completed lists are sorted
// by it (OrderSortCompleted); storage computes the same from the order's
// columns.
func (o *Order) CompletedAt() time.Time {
	switch {
	case o.Status == StatusDelivered || o.Status == StatusFailed:
		if !o.RouteEventAt.IsZero() {
			return o.RouteEventAt
		}
		return o.UpdatedAt
	case o.Status == StatusCancelled:
		return o.UpdatedAt
	}
	return time.Time{}
}

// OrderEvent is one entry of an order's timeline: a status change or an ETA update.
// The same events feed live updates (Service.Subscribe).
type OrderEvent struct {
	Order   OrderID   `json:"order"`
	Account AccountID `json:"account"`
	Client  ClientID  `json:"client"`
	Event   Event     `json:"event"`
	From    Status    `json:"from,omitempty"`
	To      Status    `json:"to"`
	At      time.Time `json:"at"`
	By      string    `json:"by,omitempty"` // who: "dispatcher ana@example.com", "member 0190…", "route sync"
	ETA     time.Time `json:"eta,omitzero"`
	Reason  string    `json:"reason,omitempty"`
	// Cursor is the event's position in the Store's event feed (Events); set on
	// events read from the feed, "" otherwise.
	Cursor string `json:"cursor,omitempty"`
}
