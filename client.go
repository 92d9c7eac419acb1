package connect

import "time"

// ClientStatus says whether a client can use the portal.
type ClientStatus string

// The client statuses.
const (
	ClientInvited  ClientStatus = "invited"  // invited, not signed up yet
	ClientActive   ClientStatus = "active"   // signed up; its team can use the portal
	ClientDisabled ClientStatus = "disabled" // the dispatcher turned it off; its team is refused
)

// Client is a business that an account delivers for.
type Client struct {
	ID      ClientID     `json:"id"`
	Account AccountID    `json:"account"`
	Name    string       `json:"name"`
	Email   string       `json:"email,omitempty"` // contact email; the email invite goes here
	Status  ClientStatus `json:"status"`
	// Number is generated when the client signs up; empty while invited.
	Number ClientNumber `json:"number,omitempty"`

	Settings    ClientSettings      `json:"settings"`         // the dispatcher's settings for this client
	Shopify     ShopifyLink         `json:"shopify,omitzero"` // the client's linked Shopify store, if any
	Fulfillment FulfillmentSettings `json:"fulfillment"`      // the client's choices for its Shopify orders
	AddressBook AddressBookSettings `json:"address_book"`     // the client's choice about its address book
	// ImportMapping is the column mapping the client's last spreadsheet import
	// used, by header text as written, so the next file maps the same way.
	ImportMapping map[string]Field `json:"import_mapping,omitempty"`

	Version   int       `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// ClientSettings is what the dispatcher decides for a client.
type ClientSettings struct {
	// AllowUpload lets the client's team add orders (spreadsheet, Shopify, by hand)
	// and submit them. Without it the client only tracks the stops the dispatcher
	// links to it by client number.
	AllowUpload bool `json:"allow_upload"`
	// RequiredFields lists the order fields every order must have; the address
	// (line 1) is always required.
	RequiredFields RequiredFieldPolicy `json:"required_fields"`
	// DefaultDepot is the depot the client's submitted orders go to.
	DefaultDepot DepotID `json:"default_depot,omitempty"`
	// RequireTwoFactor makes the client's team sign in with a TOTP code after the
	// password: a member without two-factor sign-in enrolls before the portal
	// opens (twofactor.go). API keys are not affected.
	RequireTwoFactor bool `json:"require_two_factor"`
}

// AddressBookSettings is what the client decides about its address book
// (addressbook.go). Owners and admins change it.
type AddressBookSettings struct {
	// Off stops saving the recipients of the orders the team adds by hand; the
	// entries already saved stay. The zero value saves them.
	Off bool `json:"off,omitempty"`
}

// FulfillMode says when an order from Shopify is marked fulfilled there.
type FulfillMode string

// The fulfillment modes.
const (
	FulfillOnDelivery FulfillMode = "on_delivery" // fulfill when delivered (default)
	FulfillOnStart    FulfillMode = "on_start"    // fulfill with a tracking link when the route starts, then post progress events
)

// ShopifyLink is the client's linked Shopify store. The access token is the Shopify
// adapter's business (encrypted at rest); the core knows only which store it is.
type ShopifyLink struct {
	Shop     string    `json:"shop"` // the store's myshopify.com domain; "" when none is linked
	LinkedAt time.Time `json:"linked_at,omitzero"`
}

// Linked reports whether a Shopify store is linked.
func (l ShopifyLink) Linked() bool { return l.Shop != "" }

// FulfillmentSettings is what the client decides about its Shopify orders (Settings →
// Integrations). Owners and admins change it; members read it.
type FulfillmentSettings struct {
	// AutoFulfill marks delivered Shopify orders fulfilled in Shopify.
	AutoFulfill bool `json:"auto_fulfill"`
	// NotifyCustomer has Shopify notify the customer when it fulfills the order.
	NotifyCustomer bool `json:"notify_customer"`
	// Mode says when to fulfill; "" means FulfillOnDelivery.
	Mode FulfillMode `json:"mode,omitempty"`
}

// StatusCounts counts orders by status.
type StatusCounts map[Status]int

// Total returns the number of orders counted.
func (c StatusCounts) Total() int {
	n := 0
	for _, v := range c {
		n += v
	}
	return n
}

// ClientSummary is one row of the dispatcher's client list.
type ClientSummary struct {
	Client *Client      `json:"client"`
	Orders StatusCounts `json:"orders"`
	// PendingInvite is the client's open invite, if any, so the list can offer
	// resend and revoke.
	PendingInvite *Invite `json:"pending_invite,omitempty"`
}
