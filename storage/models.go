package storage

import (
	"time"

	"github.com/shopspring/decimal"
	"github.com/uptrace/bun"
)

// The row models: one per table, the same on both dialects. Only this package sees
// them; mapping.go turns them into connect's types and back. Optional strings and
// times are `nullzero`, so "" and the zero time are stored as NULL and read back as
// "" and the zero time. Decimals are written as their exact string (numeric on
// PostgreSQL, TEXT on SQLite) and scanned back from it.

type clientRow struct {
	bun.BaseModel `bun:"table:clients,alias:c"`

	ID               string    `bun:"id,pk"`
	AccountID        string    `bun:"account_id"`
	Name             string    `bun:"name"`
	Email            string    `bun:"email"`
	Status           string    `bun:"status"`
	Number           string    `bun:"number,nullzero"` // NULL while invited
	AllowUpload      bool      `bun:"allow_upload"`
	RequireTwoFactor bool      `bun:"require_two_factor"`
	RequiredFields   string    `bun:"required_fields"` // JSON array; "" when none
	DefaultDepot     string    `bun:"default_depot"`
	ShopifyShop      string    `bun:"shopify_shop"`
	ShopifyLinkedAt  time.Time `bun:"shopify_linked_at,nullzero"`
	AutoFulfill      bool      `bun:"auto_fulfil"`
	NotifyCustomer   bool      `bun:"notify_customer"`
	FulfillMode      string    `bun:"fulfil_mode"`
	ImportMapping    string    `bun:"import_mapping"` // JSON object; "" when none
	AddressBookOff   bool      `bun:"address_book_off"`
	Version          int       `bun:"version"`
	CreatedAt        time.Time `bun:"created_at"`
	UpdatedAt        time.Time `bun:"updated_at"`
}

type memberRow struct {
	bun.BaseModel `bun:"table:members,alias:m"`

	ID        string    `bun:"id,pk"`
	AccountID string    `bun:"account_id"`
	ClientID  string    `bun:"client_id"`
	Name      string    `bun:"name"`
	Email     string    `bun:"email"`
	Role      string    `bun:"role"`
	Language  string    `bun:"language"`
	Version   int       `bun:"version"`
	CreatedAt time.Time `bun:"created_at"`
	UpdatedAt time.Time `bun:"updated_at"`
}

type inviteRow struct {
	bun.BaseModel `bun:"table:invites,alias:i"`

	ID         string    `bun:"id,pk"`
	AccountID  string    `bun:"account_id"`
	ClientID   string    `bun:"client_id"`
	Kind       string    `bun:"kind"`
	Email      string    `bun:"email"`
	Role       string    `bun:"role"`
	TokenHash  []byte    `bun:"token_hash,type:bytea"`
	ExpiresAt  time.Time `bun:"expires_at"`
	AcceptedAt time.Time `bun:"accepted_at,nullzero"`
	AcceptedBy string    `bun:"accepted_by"`
	RevokedAt  time.Time `bun:"revoked_at,nullzero"`
	InvitedBy  string    `bun:"invited_by"`
	ReplacedBy string    `bun:"replaced_by"`
	Version    int       `bun:"version"`
	CreatedAt  time.Time `bun:"created_at"`
}

type orderRow struct {
	bun.BaseModel `bun:"table:orders,alias:o"`

	ID             string              `bun:"id,pk"`
	AccountID      string              `bun:"account_id"`
	ClientID       string              `bun:"client_id"`
	Ref            string              `bun:"ref"`
	Source         string              `bun:"source"`
	ShopifyShop    string              `bun:"shopify_shop"`
	ShopifyOrderID string              `bun:"shopify_order_id"`
	Depot          string              `bun:"depot"`
	Status         string              `bun:"status"`
	Version        int                 `bun:"version"`
	StopType       string              `bun:"stop_type"`
	AddressUnit    string              `bun:"address_unit"`
	AddressLine1   string              `bun:"address_line1"`
	AddressLine2   string              `bun:"address_line2"`
	City           string              `bun:"city"`
	State          string              `bun:"state"`
	Zip            string              `bun:"zip"`
	Country        string              `bun:"country"`
	Latitude       decimal.NullDecimal `bun:"latitude"`
	Longitude      decimal.NullDecimal `bun:"longitude"`
	RecipientName  string              `bun:"recipient_name"`
	RecipientEmail string              `bun:"recipient_email"`
	RecipientPhone string              `bun:"recipient_phone"`
	Notes          string              `bun:"notes"`
	Size           decimal.NullDecimal `bun:"size"`
	PackageCount   int                 `bun:"package_count"`
	Products       string              `bun:"products,nullzero"` // JSON array
	RouteID        string              `bun:"route_id"`
	RoutePosition  int                 `bun:"route_position"`
	ETA            time.Time           `bun:"eta,nullzero"`
	FailureReason  string              `bun:"failure_reason"`
	Proof          string              `bun:"proof,nullzero"` // JSON object
	RouteEventAt   time.Time           `bun:"route_event_at,nullzero"`
	CreatedAt      time.Time           `bun:"created_at"`
	UpdatedAt      time.Time           `bun:"updated_at"`
	SubmittedAt    time.Time           `bun:"submitted_at,nullzero"`
	Fingerprint    string              `bun:"fingerprint"`
	NotifyOptOut   bool                `bun:"notify_opt_out"`
	ImportID       string              `bun:"import_id,nullzero"` // NULL for an order made another way
}

// eventRow is one entry of an order's history. The id column (identity on
// PostgreSQL, the rowid on SQLite) is filled in by the database and orders the
// history; the model leaves it out so inserts never name it, as it does the
// transaction id of PostgreSQL's tx column (see feed.go).
type eventRow struct {
	bun.BaseModel `bun:"table:order_events,alias:e"`

	AccountID  string    `bun:"account_id"`
	ClientID   string    `bun:"client_id"`
	OrderID    string    `bun:"order_id"`
	Event      string    `bun:"event"`
	FromStatus string    `bun:"from_status"`
	ToStatus   string    `bun:"to_status"`
	OccurredAt time.Time `bun:"occurred_at"`
	Actor      string    `bun:"actor"`
	ETA        time.Time `bun:"eta,nullzero"`
	Reason     string    `bun:"reason"`
}

// importRow is the record of one import (connect.ImportRecord). ClientID is ""
// for a dispatcher's stops file.
type importRow struct {
	bun.BaseModel `bun:"table:imports,alias:im"`

	ID        string    `bun:"id,pk"`
	AccountID string    `bun:"account_id"`
	ClientID  string    `bun:"client_id"`
	Name      string    `bun:"name"`
	Source    string    `bun:"source"`
	Orders    int       `bun:"orders"`
	Refused   int       `bun:"refused"`
	By        string    `bun:"by_actor"`
	CreatedAt time.Time `bun:"created_at"`
}
