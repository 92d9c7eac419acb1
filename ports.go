package connect

import (
	"context"
	"time"
)

// Store persists clients, members, invites and orders. Every method is scoped by the
// tenant it is given and never reads or changes another tenant's rows: a row of
// another account or client is reported as ErrNotFound, exactly as a missing one.
// Methods not listing ErrConflict or ErrNotFound return only ErrInternal (and
// ErrUnavailable when the database cannot be reached).
type Store interface {
	// Tx runs fn in one transaction: if fn returns an error, or panics, nothing it
	// did is kept. The Store fn receives is bound to the transaction; calling Tx on
	// it runs the inner fn in the same transaction.
	Tx(ctx context.Context, fn func(tx Store) error) error

	// CreateClient stores a new client.
	// Errors: ErrConflict when its Number is already taken (any account).
	CreateClient(ctx context.Context, c *Client) error
	// Client returns one client of the account. Errors: ErrNotFound.
	Client(ctx context.Context, account AccountID, id ClientID) (*Client, error)
	// ClientByNumber returns the account's client with that number. Errors: ErrNotFound.
	ClientByNumber(ctx context.Context, account AccountID, n ClientNumber) (*Client, error)
	// Clients lists the account's clients by name.
	Clients(ctx context.Context, account AccountID) ([]*Client, error)
	// UpdateClient writes c if the stored client is still at version c.Version, and
	// sets c.Version to the next version. Errors: ErrNotFound; ErrConflict when the
	// version moved on, or the new Number is taken.
	UpdateClient(ctx context.Context, c *Client) error
	// CountOrders counts the account's orders per client and status (a dispatcher's
	// overview), or one client's when scope.Client is set.
	CountOrders(ctx context.Context, scope Scope) (map[ClientID]StatusCounts, error)

	// CreateMember stores a new member.
	// Errors: ErrConflict when the client already has a member with that email.
	CreateMember(ctx context.Context, m *Member) error
	// Member returns one member of the client. Errors: ErrNotFound.
	Member(ctx context.Context, scope Scope, id MemberID) (*Member, error)
	// Members lists the client's members, owner first, then by name.
	Members(ctx context.Context, scope Scope) ([]*Member, error)
	// UpdateMember writes m if still at m.Version, and advances m.Version.
	// Errors: ErrNotFound; ErrConflict when the version moved on.
	UpdateMember(ctx context.Context, m *Member) error
	// DeleteMember removes one member of the client. Errors: ErrNotFound.
	DeleteMember(ctx context.Context, scope Scope, id MemberID) error

	// CreateInvite stores a new invite. Errors: ErrConflict when its token hash exists.
	CreateInvite(ctx context.Context, inv *Invite) error
	// Invite returns one invite of the account. Errors: ErrNotFound.
	Invite(ctx context.Context, scope Scope, id InviteID) (*Invite, error)
	// InviteByTokenHash finds the invite a token opens, in any account: the token is
	// the caller's only credential. Errors: ErrNotFound.
	InviteByTokenHash(ctx context.Context, hash []byte) (*Invite, error)
	// Invites lists the scope's invites, newest first.
	Invites(ctx context.Context, scope Scope) ([]*Invite, error)
	// UpdateInvite writes inv if still at inv.Version, and advances inv.Version.
	// Errors: ErrNotFound; ErrConflict when the version moved on (for example, two
	// people accepting the same invite at once: one wins).
	UpdateInvite(ctx context.Context, inv *Invite) error

	// CreateOrders stores new orders in one statement or a few bounded batches (an
	// import of 100k rows is one call), at Version 1, with one history event each
	// when events is not nil (events[i] belongs to orders[i]).
	// Errors: ErrConflict, naming the reference, when an order's Ref is already used
	// by another order of the same client.
	CreateOrders(ctx context.Context, orders []*Order, events []OrderEvent) error
	// ExistingRefs returns which of refs the client's orders already use.
	ExistingRefs(ctx context.Context, scope Scope, refs []string) ([]string, error)
	// Order returns one order in the scope. Errors: ErrNotFound.
	Order(ctx context.Context, scope Scope, id OrderID) (*Order, error)
	// Orders lists orders, newest first, a page at a time (keyset pagination).
	Orders(ctx context.Context, q OrderQuery) ([]*Order, error)
	// History returns an order's timeline, oldest first.
	History(ctx context.Context, scope Scope, id OrderID) ([]OrderEvent, error)
	// UpdateDraft writes the order's input fields if it is still a draft at
	// o.Version, and advances o.Version. Errors: ErrNotFound; ErrConflict when it
	// changed, left the drafts, or its new Ref is taken.
	UpdateDraft(ctx context.Context, o *Order) error
	// DeleteDraft deletes the order if it is still a draft at that version.
	// Errors: ErrNotFound; ErrConflict when it changed or left the drafts.
	DeleteDraft(ctx context.Context, scope Scope, id OrderID, version int) error
	// SetStatus is the compare-and-set of every status change: it writes p.Order's
	// status, depot, route, ETA, failure reason, proof and submitted time, at
	// p.Order.Version+1, only if the stored order is still at p.From and p.Version,
	// and appends p.Event to its history. Errors: ErrNotFound; ErrConflict when
	// another change got there first.
	SetStatus(ctx context.Context, p SetStatusParams) error
}

// OrderQuery selects orders for a list.
type OrderQuery struct {
	Scope    Scope
	Statuses []Status // empty: every status
	Depot    DepotID  // "": every depot
	// After continues a list after the last order of the previous page.
	After *OrderCursor
	// Limit is the page size; the Store returns at most Limit orders.
	Limit int
}

// OrderCursor is a position in a list of orders, newest first: the creation time and
// id of the last order seen. Ties on time are broken by id, so no order is skipped
// or repeated across pages.
type OrderCursor struct {
	CreatedAt time.Time
	ID        OrderID
}

// SetStatusParams is a compare-and-set status change.
type SetStatusParams struct {
	Scope   Scope
	From    Status // the status the order must still have
	Version int    // the version the order must still have
	Order   *Order // the new state; its Version is set to Version+1 on success
	Event   OrderEvent
}

// Mailer sends email.
type Mailer interface {
	// SendInvite sends an invitation. Errors: ErrUnavailable when it cannot be sent
	// now; ErrInvalid when the address is refused.
	SendInvite(ctx context.Context, m InviteMail) error
}

// InviteMail is an invitation to send.
type InviteMail struct {
	To         string
	Kind       InviteKind
	ClientName string
	Role       Role // member invites
	Link       string
	Token      string
	ExpiresAt  time.Time
	InvitedBy  string
}

// RouteSync is the host's stop list, as connect tells it what to route.
type RouteSync interface {
	// SyncStop tells the host that an order became routable (submitted) or stopped
	// being so (withdrawn, cancelled). The call may be repeated with the same Key
	// after a crash or a timeout: the host must do it once.
	// Errors: ErrUnavailable to have it retried later; any other error is retried
	// too and reported when retries run out.
	SyncStop(ctx context.Context, c StopChange) error
}

// StopChange is one change to the host's stop list.
type StopChange struct {
	Key   string // idempotency key: the same change always has the same key
	Event Event  // EventSubmit, EventWithdraw or EventCancel
	Order *Order
}

// Shopify is what the core needs of a client's Shopify store.
type Shopify interface {
	// UnfulfilledOrders lists the shop's open, unfulfilled orders, newest first, a
	// page at a time; after is the cursor of the previous page ("" for the first).
	// Errors: ErrForbidden when the store is not linked or revoked access;
	// ErrUnavailable when Shopify is down or throttling.
	UnfulfilledOrders(ctx context.Context, client ClientID, after string, limit int) (*ShopifyOrderPage, error)
	// LookupOrders fetches orders by id or name ("#1001"), in the order asked; refs
	// not found come back with a Problem. Errors as UnfulfilledOrders.
	LookupOrders(ctx context.Context, client ClientID, refs []string) ([]ShopifyOrder, error)
	// Fulfil marks the order fulfilled in Shopify, notifying the customer if asked.
	// An order already fulfilled is success. Errors as UnfulfilledOrders, and
	// ErrNotFound when the order is gone.
	Fulfil(ctx context.Context, client ClientID, p FulfilParams) error
}

// ShopifyOrderPage is one page of a shop's orders.
type ShopifyOrderPage struct {
	Orders []ShopifyOrder
	Next   string // cursor of the next page; "" on the last
}

// ShopifyOrder is a Shopify order as an order input, or the reason it cannot be one.
type ShopifyOrder struct {
	Ref       ShopifyRef
	Name      string // "#1001"
	CreatedAt time.Time
	Input     OrderInput
	// Problem says why the order cannot be imported ("has no shipping address",
	// "customer data withheld by Shopify"); "" when it can.
	Problem string
}

// FulfilParams says which order to fulfil and how.
type FulfilParams struct {
	Key            string // idempotency key
	Order          ShopifyRef
	NotifyCustomer bool
	TrackingURL    string // optional
}
