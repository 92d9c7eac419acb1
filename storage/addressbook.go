package storage

import (
	"context"
	"strings"
	"time"

	"github.com/dispatchkit/connect"
	"github.com/shopspring/decimal"
	"github.com/uptrace/bun"
)

type addressEntryRow struct {
	bun.BaseModel `bun:"table:address_entries,alias:ae"`

	ID             string    `bun:"id,pk"`
	AccountID      string    `bun:"account_id"`
	ClientID       string    `bun:"client_id"`
	Key            string    `bun:"key"`
	RecipientName  string    `bun:"recipient_name"`
	RecipientEmail string    `bun:"recipient_email"`
	RecipientPhone string    `bun:"recipient_phone"`
	Unit           string    `bun:"unit"`
	Line1          string    `bun:"line1"`
	Line2          string    `bun:"line2"`
	City           string    `bun:"city"`
	State          string    `bun:"state"`
	Zip            string    `bun:"zip"`
	Country        string    `bun:"country"`
	Latitude       string    `bun:"latitude"` // a decimal as text; "" when none
	Longitude      string    `bun:"longitude"`
	Search         string    `bun:"search"`
	LastUsedAt     time.Time `bun:"last_used_at"`
	Version        int       `bun:"version"`
	CreatedAt      time.Time `bun:"created_at"`
	UpdatedAt      time.Time `bun:"updated_at"`
}

// decimalText writes a coordinate as text, "" for none.
func decimalText(d decimal.NullDecimal) string {
	if !d.Valid {
		return ""
	}
	return d.Decimal.String()
}

// textDecimal reads decimalText back.
func textDecimal(s string) decimal.NullDecimal {
	if s == "" {
		return decimal.NullDecimal{}
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return decimal.NullDecimal{}
	}
	return decimal.NewNullDecimal(d)
}

func newAddressEntryRow(e *connect.AddressEntry) *addressEntryRow {
	a, r := e.Address, e.Recipient
	return &addressEntryRow{ID: string(e.ID), AccountID: string(e.Account), ClientID: string(e.Client), Key: e.Key,
		RecipientName: r.Name, RecipientEmail: r.Email, RecipientPhone: r.Phone, Unit: a.Unit, Line1: a.Line1,
		Line2: a.Line2, City: a.City, State: a.State, Zip: a.Zip, Country: a.Country,
		Latitude: decimalText(a.Latitude), Longitude: decimalText(a.Longitude), Search: connect.AddressSearchText(e),
		LastUsedAt: dbTime(e.LastUsedAt), Version: e.Version, CreatedAt: dbTime(e.CreatedAt), UpdatedAt: dbTime(e.UpdatedAt)}
}

func (r *addressEntryRow) entry() *connect.AddressEntry {
	return &connect.AddressEntry{ID: connect.AddressID(r.ID), Account: connect.AccountID(r.AccountID), Client: connect.ClientID(r.ClientID),
		Key: r.Key, Recipient: connect.Recipient{Name: r.RecipientName, Email: r.RecipientEmail, Phone: r.RecipientPhone},
		Address: connect.Address{Unit: r.Unit, Line1: r.Line1, Line2: r.Line2, City: r.City, State: r.State, Zip: r.Zip,
			Country: r.Country, Latitude: textDecimal(r.Latitude), Longitude: textDecimal(r.Longitude)},
		LastUsedAt: goTime(r.LastUsedAt), Version: r.Version, CreatedAt: goTime(r.CreatedAt), UpdatedAt: goTime(r.UpdatedAt)}
}

// addressColumns are what a save of a known key, or an edit, writes.
var addressColumns = []string{"recipient_name", "recipient_email", "recipient_phone", "unit", "line1", "line2",
	"city", "state", "zip", "country", "latitude", "longitude", "search"}

// SaveAddresses inserts the entries, or updates the client's entry of the
// same key (an upsert on address_entries_key).
func (s *Store) SaveAddresses(ctx context.Context, scope connect.Scope, entries []*connect.AddressEntry) error {
	for _, e := range entries {
		if _, err := within(scope, e.Account, e.Client, "address "+string(e.ID)); err != nil {
			return err
		}
	}
	return s.atomic(ctx, func(tx *Store) error {
		for _, e := range entries {
			row := newAddressEntryRow(e)
			row.Version = 1
			q := tx.idb.NewInsert().Model(row).On("CONFLICT (account_id, client_id, key) DO UPDATE")
			for _, c := range addressColumns {
				q = q.Set(c + " = EXCLUDED." + c)
			}
			// A late writer with an older time leaves the newer one.
			q = q.Set("last_used_at = CASE WHEN EXCLUDED.last_used_at > ae.last_used_at THEN EXCLUDED.last_used_at ELSE ae.last_used_at END").
				Set("updated_at = EXCLUDED.updated_at").Set("version = ae.version + 1")
			var id string
			if err := q.Returning("id").Scan(ctx, &id); err != nil {
				return translate(ctx, err, "saving address "+string(e.ID))
			}
			e.ID = connect.AddressID(id) // the stored entry's, when it had the key
		}
		return nil
	})
}

// AddressEntry returns one entry of the scope.
func (s *Store) AddressEntry(ctx context.Context, scope connect.Scope, id connect.AddressID) (*connect.AddressEntry, error) {
	var row addressEntryRow
	if err := inScope(s.idb.NewSelect().Model(&row), scope).Where("id = ?", string(id)).Scan(ctx); err != nil {
		return nil, translate(ctx, err, "address "+string(id))
	}
	return row.entry(), nil
}

// likeEscaper escapes LIKE's wildcards in a search.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// AddressEntries lists the scope's entries, most recently used first, through
// address_entries_used.
func (s *Store) AddressEntries(ctx context.Context, scope connect.Scope, q connect.AddressQuery) ([]*connect.AddressEntry, error) {
	var rows []addressEntryRow
	sel := inScope(s.idb.NewSelect().Model(&rows), scope)
	if q.Search != "" {
		sel = sel.Where(`search LIKE ? ESCAPE '\'`, "%"+likeEscaper.Replace(strings.ToLower(q.Search))+"%")
	}
	if q.AfterID != "" {
		at := dbTime(q.AfterUsed)
		sel = sel.Where("(last_used_at < ? OR (last_used_at = ? AND id < ?))", at, at, string(q.AfterID))
	}
	if q.Limit > 0 {
		sel = sel.Limit(int64(q.Limit))
	}
	if err := sel.OrderExpr("last_used_at DESC, id DESC").Scan(ctx); err != nil && !isNoRows(err) {
		return nil, translate(ctx, err, "listing addresses")
	}
	out := make([]*connect.AddressEntry, len(rows))
	for i := range rows {
		out[i] = rows[i].entry()
	}
	return out, nil
}

// UpdateAddressEntry writes e if it is still at e.Version.
func (s *Store) UpdateAddressEntry(ctx context.Context, scope connect.Scope, e *connect.AddressEntry) error {
	scope, err := within(scope, e.Account, e.Client, "address "+string(e.ID))
	if err != nil {
		return err
	}
	row := newAddressEntryRow(e)
	row.Version = e.Version + 1
	sel := inScope(s.idb.NewSelect().Model((*addressEntryRow)(nil)), scope).Where("id = ?", string(e.ID))
	res, err := inScope(s.idb.NewUpdate().Model(row).Column(append(addressColumns, "key", "version", "updated_at")...), scope).
		Where("id = ?", string(e.ID)).Where("version = ?", e.Version).Exec(ctx)
	n, err := rowsAffected(ctx, res, err, "updating address "+string(e.ID))
	if err != nil {
		return err
	}
	if n == 0 {
		return s.casMissed(ctx, sel, "address "+string(e.ID), "was changed by someone else meanwhile; reload it")
	}
	e.Version = row.Version
	return nil
}

// DeleteAddressEntry deletes an entry of the scope.
func (s *Store) DeleteAddressEntry(ctx context.Context, scope connect.Scope, id connect.AddressID) error {
	res, err := inScope(s.idb.NewDelete().Model((*addressEntryRow)(nil)), scope).Where("id = ?", string(id)).Exec(ctx)
	n, err := rowsAffected(ctx, res, err, "deleting address "+string(id))
	if err != nil {
		return err
	}
	if n == 0 {
		return connect.Errorf(connect.NotFound, "address %s: not found", id)
	}
	return nil
}
