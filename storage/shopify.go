package storage

import (
	"context"
	"time"

	"github.com/dispatchkit/connect"
	"github.com/uptrace/bun"
)

var _ connect.ShopifyTokens = (*Store)(nil)

// ClientsByShopAnyAccount lists the clients, in any account, linked to the shop or holding
// orders that came from it (a privacy request arrives after the uninstall).
func (s *Store) ClientsByShopAnyAccount(ctx context.Context, shop string) ([]*connect.Client, error) {
	if shop == "" {
		return nil, nil
	}
	var rows []clientRow
	err := s.idb.NewSelect().Model(&rows).Where("shopify_shop = ? OR id IN (SELECT client_id FROM orders WHERE shopify_shop = ?)", shop, shop).OrderExpr("account_id, id").Scan(ctx)
	if err != nil {
		return nil, translate(ctx, err, "listing the clients of shop "+shop)
	}
	out := make([]*connect.Client, len(rows))
	for i := range rows {
		if out[i], err = rows[i].client(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

type redactionRow struct {
	bun.BaseModel `bun:"table:redactions"`

	AccountID string    `bun:"account_id"`
	ClientID  string    `bun:"client_id"`
	Shop      string    `bun:"shop"`
	Reason    string    `bun:"reason"`
	Orders    int       `bun:"orders"`
	At        time.Time `bun:"at"`
}

// RedactOrders blanks the recipient and notes of the scope's orders of the shop
// that p selects (the whole shop; or its orders among p.ShopifyIDs; or those whose
// recipient has p.Email, without case, or p.Phone), and records the redaction,
// both or neither. Each changed order's version moves on, so that a change
// prepared from the order as it was (an edit of a draft) cannot write the data
// back.
func (s *Store) RedactOrders(ctx context.Context, scope connect.Scope, p connect.RedactParams) (int, error) {
	if p.Shop == "" {
		return 0, connect.Errorf(connect.Invalid, "storage: a redaction names its shop")
	}
	at := dbTime(p.At)
	if at.IsZero() {
		at = dbTime(time.Now())
	}
	var n int
	err := s.atomic(ctx, func(tx *Store) error {
		n = 0
		match := p.WholeShop || len(p.ShopifyIDs) > 0 || p.Email != "" || p.Phone != ""
		if match {
			q := inScope(tx.idb.NewUpdate().Model((*orderRow)(nil)).
				Set("recipient_name = ''").Set("recipient_email = ''").Set("recipient_phone = ''").
				Set("notes = ''").Set("updated_at = ?", at).Set("version = version + 1"), scope).
				Where("shopify_shop = ?", p.Shop)
			if !p.WholeShop {
				q = q.WhereGroup(" AND ", func(q *bun.UpdateQuery) *bun.UpdateQuery {
					if len(p.ShopifyIDs) > 0 {
						q = q.WhereOr("shopify_order_id IN (?)", bun.List(p.ShopifyIDs))
					}
					if p.Email != "" {
						q = q.WhereOr("lower(recipient_email) = lower(?)", p.Email)
					}
					if p.Phone != "" {
						q = q.WhereOr("recipient_phone = ?", p.Phone)
					}
					return q
				})
			}
			res, err := q.Exec(ctx)
			m, err := rowsAffected(ctx, res, err, "redacting orders of "+p.Shop)
			if err != nil {
				return err
			}
			n = int(m)
		}
		_, err := tx.idb.NewInsert().Model(&redactionRow{
			AccountID: string(scope.Account), ClientID: string(scope.Client), Shop: p.Shop, Reason: p.Reason,
			Orders: n, At: at,
		}).Returning("NULL").Exec(ctx)
		return translate(ctx, err, "recording the redaction of "+p.Shop)
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// OrdersFromShopify returns the scope's orders imported from the shop's orders
// among ids, in one query led by the partial index orders_shopify_order (a
// Shopify order id names one order of one shop, so the index finds the few
// rows, and the scope and the shop filter them): the query repeats the index's
// condition, which neither database infers from the ids, and keeps the tenant's
// keys from leading (narrowScope), or SQLite walks the client's orders.
func (s *Store) OrdersFromShopify(ctx context.Context, scope connect.Scope, shop string, ids []string) ([]*connect.Order, error) {
	if shop == "" || len(ids) == 0 {
		return nil, nil
	}
	var rows []orderRow
	err := s.narrowScope(s.idb.NewSelect().Model(&rows), scope, true).
		Where("shopify_order_id IN (?)", bun.List(ids)).
		Where("shopify_order_id <> ''").
		Where("shopify_shop = ?", shop).
		OrderExpr("id").
		Scan(ctx)
	if err != nil {
		return nil, translate(ctx, err, "reading the orders of Shopify orders of "+shop)
	}
	return ordersOf(rows)
}

// usedOnceSweep is how many UseOnce calls pass between deletions of expired keys.
const usedOnceSweep = 256

// UseOnce records key as used until expires: one INSERT that takes over the row of
// an expired key (ON CONFLICT DO UPDATE … WHERE expired) and returns nothing when
// the key is still live. Now and then it deletes expired keys.
func (s *Store) UseOnce(ctx context.Context, key string, expires time.Time) error {
	if key == "" {
		return connect.Errorf(connect.Invalid, "storage: UseOnce needs a key")
	}
	now := dbTime(time.Now())
	if s.onceCalls.Add(1)%usedOnceSweep == 0 {
		_, err := s.idb.NewRaw("DELETE FROM used_once WHERE key IN (SELECT key FROM used_once WHERE expires_at <= ? LIMIT 1000)", now).Exec(ctx)
		if err != nil {
			return translate(ctx, err, "forgetting expired keys")
		}
	}
	var got []string
	err := s.idb.NewRaw(`INSERT INTO used_once (key, expires_at) VALUES (?, ?)
ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at WHERE used_once.expires_at <= ?
RETURNING key`, key, dbTime(expires), now).Scan(ctx, &got)
	if err != nil && !isNoRows(err) {
		return translate(ctx, err, "using "+key)
	}
	if len(got) == 0 {
		return connect.Errorf(connect.Conflict, "%s was already used", key)
	}
	return nil
}

// ForgetOnce forgets key, as if UseOnce had never taken it: a webhook whose
// handling failed after its id was recorded is then handled when it comes again.
// Forgetting an unknown key is fine.
func (s *Store) ForgetOnce(ctx context.Context, key string) error {
	if _, err := s.idb.NewRaw("DELETE FROM used_once WHERE key = ?", key).Exec(ctx); err != nil {
		return translate(ctx, err, "forgetting "+key)
	}
	return nil
}

type shopifyTokenRow struct {
	bun.BaseModel `bun:"table:shopify_tokens,alias:st"`

	ClientID  string    `bun:"client_id,pk"`
	AccountID string    `bun:"account_id"`
	Shop      string    `bun:"shop"`
	Sealed    []byte    `bun:"sealed,type:bytea"`
	UpdatedAt time.Time `bun:"updated_at"`
}

// SaveShopifyToken stores or replaces the client's sealed token. The row's
// foreign key to (account, client) refuses a client of another account, as a
// missing one: ErrNotFound.
func (s *Store) SaveShopifyToken(ctx context.Context, client connect.Scope, shop string, sealed []byte) error {
	if client.Client == "" {
		return connect.Errorf(connect.NotFound, "client: not found")
	}
	row := &shopifyTokenRow{ClientID: string(client.Client), AccountID: string(client.Account), Shop: shop,
		Sealed: sealed, UpdatedAt: dbTime(time.Now())}
	if row.Sealed == nil {
		row.Sealed = []byte{}
	}
	res, err := s.idb.NewInsert().Model(row).
		On("CONFLICT (client_id) DO UPDATE").
		Set("shop = EXCLUDED.shop, sealed = EXCLUDED.sealed, updated_at = EXCLUDED.updated_at").
		Where("st.account_id = EXCLUDED.account_id").
		Exec(ctx)
	n, err := rowsAffected(ctx, res, err, "saving the Shopify token of client "+string(client.Client))
	if err != nil {
		return err
	}
	if n == 0 {
		return connect.Errorf(connect.NotFound, "client %s: not found", client.Client)
	}
	return nil
}

// ShopifyToken returns the client's shop and sealed token.
func (s *Store) ShopifyToken(ctx context.Context, client connect.Scope) (string, []byte, error) {
	if client.Client == "" {
		return "", nil, connect.Errorf(connect.NotFound, "Shopify token: not found")
	}
	var row shopifyTokenRow
	err := s.idb.NewSelect().Model(&row).
		Where("account_id = ?", string(client.Account)).Where("client_id = ?", string(client.Client)).
		Scan(ctx)
	if err != nil {
		return "", nil, translate(ctx, err, "Shopify token of client "+string(client.Client))
	}
	return row.Shop, row.Sealed, nil
}

// DeleteShopifyToken forgets the client's token.
func (s *Store) DeleteShopifyToken(ctx context.Context, client connect.Scope) error {
	if client.Client == "" {
		return nil
	}
	_, err := s.idb.NewDelete().Model((*shopifyTokenRow)(nil)).
		Where("account_id = ?", string(client.Account)).Where("client_id = ?", string(client.Client)).
		Exec(ctx)
	return translate(ctx, err, "deleting the Shopify token of client "+string(client.Client))
}
