package connect

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"
	"unicode"
)

// AddressID identifies an entry of a client's address book.
type AddressID string

// AddressEntry is one recipient at one address in a client's address book: saved
// from the orders the client's team adds by hand, edited on the Addresses page,
// suggested while typing an order, and the start of a new one.
type AddressEntry struct {
	ID        AddressID `json:"id"`
	Account   AccountID `json:"account"`
	Client    ClientID  `json:"client"`
	Recipient Recipient `json:"recipient"`
	Address   Address   `json:"address"`
	// Key is AddressKey of the recipient and address: two orders to the same
	// person at the same place, spelt with other case, spaces or punctuation,
	// are one entry.
	Key        string    `json:"-"`
	LastUsedAt time.Time `json:"last_used_at"` // the last order saved to it
	Version    int       `json:"version"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// OrderInput returns a new order's fields filled from the entry: where an order
// that starts from it begins.
func (e *AddressEntry) OrderInput() OrderInput {
	return OrderInput{StopType: Delivery, Address: e.Address, Recipient: e.Recipient}
}

// AddressEntryInput is what a person edits of an entry.
type AddressEntryInput struct {
	Recipient Recipient `json:"recipient"`
	Address   Address   `json:"address"`
}

// AddressBookParams selects entries of the caller's address book: the most
// recently used first, a page at a time.
type AddressBookParams struct {
	// Search keeps the entries whose name, email, phone or address contain it
	// (without case). "": every entry.
	Search string
	// Limit is the page size; 0: 50, at most 200.
	Limit int
	// After is the last entry of the previous page (keyset pagination); nil:
	// the first page.
	After *AddressEntry
}

// AddressQuery is what AddressBookStore.AddressEntries selects.
type AddressQuery struct {
	Search string // lower case; "" for every entry
	Limit  int    // > 0
	// AfterUsed and AfterID continue after that entry (LastUsedAt, ID) in the
	// listing's order; zero: from the start.
	AfterUsed time.Time
	AfterID   AddressID
}

// AddressKey is the normalised recipient and address that dedupes an address
// book: the name and every address line, in lower case, with punctuation and
// runs of spaces made one space. Email and phone are left out, so that a new
// phone number updates the entry instead of adding one. A hash, so that the
// index stays small.
func AddressKey(r Recipient, a Address) string {
	norm := func(s string) string {
		var b strings.Builder
		space := false
		for _, c := range strings.ToLower(s) {
			if unicode.IsLetter(c) || unicode.IsDigit(c) {
				if space && b.Len() > 0 {
					b.WriteByte(' ')
				}
				b.WriteRune(c)
				space = false
			} else {
				space = true
			}
		}
		return b.String()
	}
	parts := []string{r.Name, a.Unit, a.Line1, a.Line2, a.City, a.State, a.Zip, a.Country}
	for i, p := range parts {
		parts[i] = norm(p)
	}
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x1f")))
	return hex.EncodeToString(sum[:16])
}

// AddressSearchText is what an entry is searched by (AddressQuery.Search): its
// recipient and address in lower case, one line.
func AddressSearchText(e *AddressEntry) string {
	a, r := e.Address, e.Recipient
	return strings.ToLower(strings.Join([]string{r.Name, r.Email, r.Phone, a.Unit, a.Line1, a.Line2, a.City, a.State, a.Zip, a.Country}, " "))
}

// addressEntryFrom returns a new entry of the caller's client for an order's
// recipient and address, used at now.
func (s *Service) addressEntryFrom(c caller, in OrderInput, now time.Time) *AddressEntry {
	return &AddressEntry{ID: AddressID(s.newID()), Account: c.Account, Client: c.Actor.Client,
		Recipient: in.Recipient, Address: in.Address, Key: AddressKey(in.Recipient, in.Address),
		LastUsedAt: now, Version: 1, CreatedAt: now, UpdatedAt: now}
}

// saveAddress keeps an order's recipient and address in the client's address
// book, through tx (the order's transaction), unless the client turned saving
// off or the order has no address to save.
func (s *Service) saveAddress(ctx context.Context, tx Store, c caller, in OrderInput) error {
	if c.client == nil || c.client.AddressBook.Off || in.Address.Line1 == "" {
		return nil
	}
	return tx.SaveAddresses(ctx, c.scope(), []*AddressEntry{s.addressEntryFrom(c, in, s.clock())})
}

// AddressBook lists the caller's client's address book, most recently used
// first. Team members may. Errors: ErrForbidden.
func (s *Service) AddressBook(ctx context.Context, a Actor, p AddressBookParams) ([]*AddressEntry, error) {
	c, err := s.authorizeRead(ctx, a, actEditOrders)
	if err != nil {
		return nil, err
	}
	q := AddressQuery{Search: strings.ToLower(strings.TrimSpace(p.Search)), Limit: p.Limit}
	if q.Limit <= 0 {
		q.Limit = 50
	}
	q.Limit = min(q.Limit, 200)
	if len(q.Search) > maxTextLen {
		return nil, Errorf(Invalid, "the search is longer than %d characters", maxTextLen)
	}
	if p.After != nil {
		q.AfterUsed, q.AfterID = p.After.LastUsedAt, p.After.ID
	}
	return s.store.AddressEntries(ctx, c.scope(), q)
}

// AddressEntry returns one entry of the caller's client's address book.
// Errors: ErrNotFound; ErrForbidden.
func (s *Service) AddressEntry(ctx context.Context, a Actor, id AddressID) (*AddressEntry, error) {
	c, err := s.authorizeRead(ctx, a, actEditOrders)
	if err != nil {
		return nil, err
	}
	return s.store.AddressEntry(ctx, c.scope(), id)
}

// AddAddressEntry adds an entry by hand (or, when the book has the same
// recipient and address, updates that one). Team members may.
// Errors: ErrForbidden; ErrInvalid.
func (s *Service) AddAddressEntry(ctx context.Context, a Actor, in AddressEntryInput) (*AddressEntry, error) {
	c, oi, err := s.authorizeAddressInput(ctx, a, in)
	if err != nil {
		return nil, err
	}
	e := s.addressEntryFrom(c, oi, s.clock())
	if err := s.store.SaveAddresses(ctx, c.scope(), []*AddressEntry{e}); err != nil {
		return nil, err
	}
	return s.store.AddressEntry(ctx, c.scope(), e.ID)
}

// authorizeAddressInput admits a team member who writes an entry, and trims
// the entry's fields and checks them as an order's.
func (s *Service) authorizeAddressInput(ctx context.Context, a Actor, in AddressEntryInput) (caller, OrderInput, error) {
	c, err := s.authorize(ctx, a, actEditOrders)
	if err != nil {
		return caller{}, OrderInput{}, err
	}
	oi := normalizeInput(OrderInput{Address: in.Address, Recipient: in.Recipient})
	if errs := (RequiredFieldPolicy{}).Check(oi); len(errs) > 0 {
		return caller{}, OrderInput{}, InvalidFields(errs)
	}
	return c, oi, nil
}

// UpdateAddressEntry replaces an entry's recipient and address. version is the
// version the caller saw (0: whatever is current). Team members may.
// Errors: ErrNotFound; ErrForbidden; ErrInvalid; ErrConflict when it changed
// meanwhile, or the book already has that recipient at that address.
func (s *Service) UpdateAddressEntry(ctx context.Context, a Actor, id AddressID, version int, in AddressEntryInput) (*AddressEntry, error) {
	c, oi, err := s.authorizeAddressInput(ctx, a, in)
	if err != nil {
		return nil, err
	}
	e, err := s.store.AddressEntry(ctx, c.scope(), id)
	if err != nil {
		return nil, err
	}
	if version != 0 && version != e.Version {
		return nil, Errorf(Conflict, "this address was changed by someone else; reload it")
	}
	e.Recipient, e.Address, e.UpdatedAt = oi.Recipient, oi.Address, s.clock()
	e.Key = AddressKey(e.Recipient, e.Address)
	if err := s.store.UpdateAddressEntry(ctx, c.scope(), e); err != nil {
		return nil, err
	}
	return e, nil
}

// DeleteAddressEntry deletes an entry of the caller's client's address book.
// Orders made from it keep their addresses. Team members may.
// Errors: ErrNotFound; ErrForbidden.
func (s *Service) DeleteAddressEntry(ctx context.Context, a Actor, id AddressID) error {
	c, err := s.authorize(ctx, a, actEditOrders)
	if err != nil {
		return err
	}
	return s.store.DeleteAddressEntry(ctx, c.scope(), id)
}

// SetAddressBookSaving turns on or off the saving of the recipients of the
// orders the client's team adds by hand (on unless turned off). Owners and
// admins may. Errors: ErrForbidden.
func (s *Service) SetAddressBookSaving(ctx context.Context, a Actor, on bool) (*Client, error) {
	c, err := s.authorize(ctx, a, actManageAddressBook)
	if err != nil {
		return nil, err
	}
	return s.changeClient(ctx, c, c.Actor.Client, func(cl *Client) error {
		cl.AddressBook.Off = !on
		return nil
	})
}
