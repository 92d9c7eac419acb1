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
	ID      ClientID
	Account AccountID
	Name    string
	Email   string // contact email; the email invite goes here
	Status  ClientStatus
	// Number is generated when the client signs up; empty while invited.
	Number ClientNumber

	Settings   ClientSettings     // the dispatcher's settings for this client
	Shopify    ShopifyLink        // the client's linked Shopify store, if any
	Fulfilment FulfilmentSettings // the client's choices for its Shopify orders
	// ImportMapping is the column mapping the client's last spreadsheet import
	// used, by header text as written, so the next file maps the same way.
	ImportMapping map[string]Field

	Version   int
	CreatedAt time.Time
	UpdatedAt time.Time
}

// ClientSettings is what the dispatcher decides for a client.
type ClientSettings struct {
	// AllowUpload lets the client's team add orders (spreadsheet, Shopify, by hand)
	// and submit them. Without it the client only tracks the stops the dispatcher
	// links to it by client number.
	AllowUpload bool
	// RequiredFields lists the order fields every order must have; the address
	// (line 1) is always required.
	RequiredFields RequiredFieldPolicy
	// DefaultDepot is the depot the client's submitted orders go to.
	DefaultDepot DepotID
	// RequireTwoFactor makes the client's team sign in with a TOTP code after the
	// password: a member without two-factor sign-in enrolls before the portal
	// opens (twofactor.go). API keys are not affected.
	RequireTwoFactor bool
}

// FulfilMode says when an order from Shopify is marked fulfilled there.
type FulfilMode string

// The fulfilment modes.
const (
	FulfilOnDelivery FulfilMode = "on_delivery" // fulfil when delivered (default)
	FulfilOnStart    FulfilMode = "on_start"    // fulfil with a tracking link when the route starts, then post progress events
)

// ShopifyLink is the client's linked Shopify store. The access token is the Shopify
// adapter's business (encrypted at rest); the core knows only which store it is.
type ShopifyLink struct {
	Shop     string // the store's myshopify.com domain; "" when none is linked
	LinkedAt time.Time
}

// Linked reports whether a Shopify store is linked.
func (l ShopifyLink) Linked() bool { return l.Shop != "" }

// FulfilmentSettings is what the client decides about its Shopify orders (Settings →
// Integrations). Owners and admins change it; members read it.
type FulfilmentSettings struct {
	// AutoFulfil marks delivered Shopify orders fulfilled in Shopify.
	AutoFulfil bool
	// NotifyCustomer has Shopify notify the customer when it fulfils the order.
	NotifyCustomer bool
	// Mode says when to fulfil; "" means FulfilOnDelivery.
	Mode FulfilMode
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
	Client *Client
	Orders StatusCounts
	// PendingInvite is the client's open invite, if any, so the list can offer
	// resend and revoke.
	PendingInvite *Invite
}
