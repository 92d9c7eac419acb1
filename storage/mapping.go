package storage

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/dispatchkit/connect"
	"github.com/shopspring/decimal"
)

// Mapping between connect's types and the row models. Times are stored in UTC at
// microsecond precision (the precision of both databases) and read back in UTC.

// dbTime returns t as stored: UTC, microseconds.
func dbTime(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Truncate(time.Microsecond)
}

// goTime returns a time read back: UTC, or the zero time for NULL.
func goTime(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}

func clientToRow(c *connect.Client) (*clientRow, error) {
	fields := ""
	if len(c.Settings.RequiredFields.Fields) > 0 {
		b, err := json.Marshal(c.Settings.RequiredFields.Fields)
		if err != nil {
			return nil, connect.Errorf(connect.Internal, "encoding the required fields of client %s: %w", c.ID, err)
		}
		fields = string(b)
	}
	mapping := ""
	if len(c.ImportMapping) > 0 {
		b, err := json.Marshal(c.ImportMapping)
		if err != nil {
			return nil, connect.Errorf(connect.Internal, "encoding the import mapping of client %s: %w", c.ID, err)
		}
		mapping = string(b)
	}
	return &clientRow{
		ID:               string(c.ID),
		AccountID:        string(c.Account),
		Name:             c.Name,
		Email:            c.Email,
		Status:           string(c.Status),
		Number:           string(c.Number),
		AllowUpload:      c.Settings.AllowUpload,
		RequireTwoFactor: c.Settings.RequireTwoFactor,
		RequiredFields:   fields,
		DefaultDepot:     string(c.Settings.DefaultDepot),
		ShopifyShop:      c.Shopify.Shop,
		ShopifyLinkedAt:  dbTime(c.Shopify.LinkedAt),
		AutoFulfill:      c.Fulfillment.AutoFulfill,
		NotifyCustomer:   c.Fulfillment.NotifyCustomer,
		FulfillMode:      string(c.Fulfillment.Mode),
		ImportMapping:    mapping,
		AddressBookOff:   c.AddressBook.Off,
		Version:          c.Version,
		CreatedAt:        dbTime(c.CreatedAt),
		UpdatedAt:        dbTime(c.UpdatedAt),
	}, nil
}

func (r *clientRow) client() (*connect.Client, error) {
	var fields []connect.Field
	if r.RequiredFields != "" {
		if err := json.Unmarshal([]byte(r.RequiredFields), &fields); err != nil {
			return nil, connect.Errorf(connect.Internal, "reading the required fields of client %s: %w", r.ID, err)
		}
	}
	var mapping map[string]connect.Field
	if r.ImportMapping != "" {
		if err := json.Unmarshal([]byte(r.ImportMapping), &mapping); err != nil {
			return nil, connect.Errorf(connect.Internal, "reading the import mapping of client %s: %w", r.ID, err)
		}
	}
	return &connect.Client{
		ID:      connect.ClientID(r.ID),
		Account: connect.AccountID(r.AccountID),
		Name:    r.Name,
		Email:   r.Email,
		Status:  connect.ClientStatus(r.Status),
		Number:  connect.ClientNumber(r.Number),
		Settings: connect.ClientSettings{
			AllowUpload:      r.AllowUpload,
			RequireTwoFactor: r.RequireTwoFactor,
			RequiredFields:   connect.RequiredFieldPolicy{Fields: fields},
			DefaultDepot:     connect.DepotID(r.DefaultDepot),
		},
		Shopify: connect.ShopifyLink{Shop: r.ShopifyShop, LinkedAt: goTime(r.ShopifyLinkedAt)},
		Fulfillment: connect.FulfillmentSettings{
			AutoFulfill:    r.AutoFulfill,
			NotifyCustomer: r.NotifyCustomer,
			Mode:           connect.FulfillMode(r.FulfillMode),
		},
		ImportMapping: mapping,
		AddressBook:   connect.AddressBookSettings{Off: r.AddressBookOff},
		Version:       r.Version,
		CreatedAt:     goTime(r.CreatedAt),
		UpdatedAt:     goTime(r.UpdatedAt),
	}, nil
}

func memberToRow(m *connect.Member) *memberRow {
	return &memberRow{
		ID:        string(m.ID),
		AccountID: string(m.Account),
		ClientID:  string(m.Client),
		Name:      m.Name,
		Email:     m.Email,
		Role:      string(m.Role),
		Language:  m.Language,
		Version:   m.Version,
		CreatedAt: dbTime(m.CreatedAt),
		UpdatedAt: dbTime(m.UpdatedAt),
	}
}

func (r *memberRow) member() *connect.Member {
	return &connect.Member{
		ID:        connect.MemberID(r.ID),
		Account:   connect.AccountID(r.AccountID),
		Client:    connect.ClientID(r.ClientID),
		Name:      r.Name,
		Email:     r.Email,
		Role:      connect.Role(r.Role),
		Language:  r.Language,
		Version:   r.Version,
		CreatedAt: goTime(r.CreatedAt),
		UpdatedAt: goTime(r.UpdatedAt),
	}
}

func inviteToRow(inv *connect.Invite) *inviteRow {
	return &inviteRow{
		ID:         string(inv.ID),
		AccountID:  string(inv.Account),
		ClientID:   string(inv.Client),
		Kind:       string(inv.Kind),
		Email:      inv.Email,
		Role:       string(inv.Role),
		TokenHash:  inv.TokenHash,
		ExpiresAt:  dbTime(inv.ExpiresAt),
		AcceptedAt: dbTime(inv.AcceptedAt),
		AcceptedBy: string(inv.AcceptedBy),
		RevokedAt:  dbTime(inv.RevokedAt),
		InvitedBy:  inv.InvitedBy,
		ReplacedBy: string(inv.ReplacedBy),
		Version:    inv.Version,
		CreatedAt:  dbTime(inv.CreatedAt),
	}
}

func (r *inviteRow) invite() *connect.Invite {
	return &connect.Invite{
		ID:         connect.InviteID(r.ID),
		Account:    connect.AccountID(r.AccountID),
		Client:     connect.ClientID(r.ClientID),
		Kind:       connect.InviteKind(r.Kind),
		Email:      r.Email,
		Role:       connect.Role(r.Role),
		TokenHash:  r.TokenHash,
		ExpiresAt:  goTime(r.ExpiresAt),
		AcceptedAt: goTime(r.AcceptedAt),
		AcceptedBy: connect.MemberID(r.AcceptedBy),
		RevokedAt:  goTime(r.RevokedAt),
		InvitedBy:  r.InvitedBy,
		ReplacedBy: connect.InviteID(r.ReplacedBy),
		Version:    r.Version,
		CreatedAt:  goTime(r.CreatedAt),
	}
}

// productJSON and proofJSON are the stored JSON shapes, with their own short,
// stable names: renaming a Go field must not change what is on disk.
type productJSON struct {
	Name     string `json:"name"`
	Quantity int    `json:"qty"`
	SKU      string `json:"sku,omitempty"`
}

type proofJSON struct {
	PhotoURLs     []string            `json:"photos,omitempty"`
	SignatureURL  string              `json:"signature,omitempty"`
	RecipientName string              `json:"recipient,omitempty"`
	Notes         string              `json:"notes,omitempty"`
	Latitude      decimal.NullDecimal `json:"lat"` // decimals as strings: exact
	Longitude     decimal.NullDecimal `json:"lng"`
	At            time.Time           `json:"at"`
}

// orderToRow returns the row of o. Decimals keep their exact value; products and
// proof become JSON.
func orderToRow(o *connect.Order) (*orderRow, error) {
	r := &orderRow{
		ID:             string(o.ID),
		AccountID:      string(o.Account),
		ClientID:       string(o.Client),
		Source:         string(o.Source),
		ShopifyShop:    o.Shopify.Shop,
		ShopifyOrderID: o.Shopify.OrderID,
		Depot:          string(o.Depot),
		Status:         string(o.Status),
		Version:        o.Version,
		RouteID:        o.Route.RouteID,
		RoutePosition:  o.Route.Position,
		ETA:            dbTime(o.ETA),
		FailureReason:  o.FailureReason,
		RouteEventAt:   dbTime(o.RouteEventAt),
		CreatedAt:      dbTime(o.CreatedAt),
		UpdatedAt:      dbTime(o.UpdatedAt),
		SubmittedAt:    dbTime(o.SubmittedAt),
		Fingerprint:    o.Fingerprint,
		ImportID:       string(o.Import),
	}
	if err := r.setInput(&o.OrderInput); err != nil {
		return nil, connect.Errorf(connect.Internal, "encoding order %s: %w", o.ID, err)
	}
	if err := r.setProof(o.Proof); err != nil {
		return nil, connect.Errorf(connect.Internal, "encoding the proof of order %s: %w", o.ID, err)
	}
	return r, nil
}

// setInput writes the fields a client gives (what UpdateDraft changes).
func (r *orderRow) setInput(in *connect.OrderInput) error {
	r.Ref = in.Ref
	r.StopType = string(in.StopType)
	r.AddressUnit = in.Address.Unit
	r.AddressLine1 = in.Address.Line1
	r.AddressLine2 = in.Address.Line2
	r.City = in.Address.City
	r.State = in.Address.State
	r.Zip = in.Address.Zip
	r.Country = in.Address.Country
	r.Latitude = in.Address.Latitude
	r.Longitude = in.Address.Longitude
	r.RecipientName = in.Recipient.Name
	r.RecipientEmail = in.Recipient.Email
	r.RecipientPhone = in.Recipient.Phone
	r.Notes = in.Notes
	r.Size = in.Size
	r.PackageCount = in.PackageCount
	r.NotifyOptOut = in.NotifyOptOut
	r.Products = ""
	if len(in.Products) > 0 {
		ps := make([]productJSON, len(in.Products))
		for i, p := range in.Products {
			ps[i] = productJSON{Name: p.Name, Quantity: p.Quantity, SKU: p.SKU}
		}
		b, err := json.Marshal(ps)
		if err != nil {
			return err
		}
		r.Products = string(b)
	}
	return nil
}

func (r *orderRow) setProof(p *connect.ProofOfDelivery) error {
	r.Proof = ""
	if p == nil {
		return nil
	}
	b, err := json.Marshal(proofJSON{
		PhotoURLs: p.PhotoURLs, SignatureURL: p.SignatureURL, RecipientName: p.RecipientName,
		Notes: p.Notes, Latitude: p.Latitude, Longitude: p.Longitude, At: dbTime(p.At),
	})
	if err != nil {
		return err
	}
	r.Proof = string(b)
	return nil
}

func (r *orderRow) order() (*connect.Order, error) {
	o := &connect.Order{
		OrderInput: connect.OrderInput{
			Ref:      r.Ref,
			StopType: connect.StopType(r.StopType),
			Address: connect.Address{
				Unit: r.AddressUnit, Line1: r.AddressLine1, Line2: r.AddressLine2, City: r.City,
				State: r.State, Zip: r.Zip, Country: r.Country,
				Latitude: r.Latitude, Longitude: r.Longitude,
			},
			Recipient:    connect.Recipient{Name: r.RecipientName, Email: r.RecipientEmail, Phone: r.RecipientPhone},
			Notes:        r.Notes,
			Size:         r.Size,
			PackageCount: r.PackageCount,
			NotifyOptOut: r.NotifyOptOut,
		},
		ID:            connect.OrderID(r.ID),
		Account:       connect.AccountID(r.AccountID),
		Client:        connect.ClientID(r.ClientID),
		Source:        connect.Source(r.Source),
		Shopify:       connect.ShopifyRef{Shop: r.ShopifyShop, OrderID: r.ShopifyOrderID},
		Depot:         connect.DepotID(r.Depot),
		Status:        connect.Status(r.Status),
		Version:       r.Version,
		Route:         connect.RouteStop{RouteID: r.RouteID, Position: r.RoutePosition},
		ETA:           goTime(r.ETA),
		FailureReason: r.FailureReason,
		RouteEventAt:  goTime(r.RouteEventAt),
		CreatedAt:     goTime(r.CreatedAt),
		UpdatedAt:     goTime(r.UpdatedAt),
		SubmittedAt:   goTime(r.SubmittedAt),
		Fingerprint:   r.Fingerprint,
		Import:        connect.ImportID(r.ImportID),
	}
	if r.Products != "" {
		var ps []productJSON
		if err := json.Unmarshal([]byte(r.Products), &ps); err != nil {
			return nil, connect.Errorf(connect.Internal, "reading the products of order %s: %w", r.ID, err)
		}
		o.Products = make([]connect.Product, len(ps))
		for i, p := range ps {
			o.Products[i] = connect.Product{Name: p.Name, Quantity: p.Quantity, SKU: p.SKU}
		}
	}
	if r.Proof != "" {
		var p proofJSON
		if err := json.Unmarshal([]byte(r.Proof), &p); err != nil {
			return nil, connect.Errorf(connect.Internal, "reading the proof of order %s: %w", r.ID, err)
		}
		o.Proof = &connect.ProofOfDelivery{
			PhotoURLs: p.PhotoURLs, SignatureURL: p.SignatureURL, RecipientName: p.RecipientName,
			Notes: p.Notes, Latitude: p.Latitude, Longitude: p.Longitude, At: goTime(p.At),
		}
	}
	return o, nil
}

// eventToRow returns the history row of ev, which belongs to order o.
func eventToRow(o *connect.Order, ev *connect.OrderEvent) *eventRow {
	return &eventRow{
		AccountID:  string(o.Account), // the order's tenant, whatever ev says
		ClientID:   string(o.Client),
		OrderID:    string(o.ID),
		Event:      string(ev.Event),
		FromStatus: string(ev.From),
		ToStatus:   string(ev.To),
		OccurredAt: dbTime(ev.At),
		Actor:      ev.By,
		ETA:        dbTime(ev.ETA),
		Reason:     ev.Reason,
	}
}

func (r *eventRow) event() connect.OrderEvent {
	return connect.OrderEvent{
		Order:   connect.OrderID(r.OrderID),
		Account: connect.AccountID(r.AccountID),
		Client:  connect.ClientID(r.ClientID),
		Event:   connect.Event(r.Event),
		From:    connect.Status(r.FromStatus),
		To:      connect.Status(r.ToStatus),
		At:      goTime(r.OccurredAt),
		By:      r.Actor,
		ETA:     goTime(r.ETA),
		Reason:  r.Reason,
	}
}

// orderName names an order in messages: its reference, else its id.
func orderName(ref string, id connect.OrderID) string {
	if ref != "" {
		return fmt.Sprintf("%q", ref)
	}
	return string(id)
}
