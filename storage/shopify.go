package storage

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
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

// redactMatch is the condition of the orders of the shop that p selects: the
// whole shop; or its orders among p.ShopifyIDs, or those whose recipient has
// p.Email (without case) or p.Phone. ok is false when p selects nothing.
func redactMatch(p connect.RedactParams) (cond string, args []any, ok bool) {
	if p.WholeShop {
		return "shopify_shop = ?", []any{p.Shop}, true
	}
	var or []string
	if len(p.ShopifyIDs) > 0 {
		or, args = append(or, "shopify_order_id IN (?)"), append(args, bun.List(p.ShopifyIDs))
	}
	if p.Email != "" {
		or, args = append(or, "lower(recipient_email) = lower(?)"), append(args, p.Email)
	}
	if p.Phone != "" {
		or, args = append(or, "recipient_phone = ?"), append(args, p.Phone)
	}
	if len(or) == 0 {
		return "", nil, false
	}
	return "shopify_shop = ? AND (" + strings.Join(or, " OR ") + ")", append([]any{p.Shop}, args...), true
}

// RedactOrders erases the personal fields of the scope's orders of the shop
// that p selects (see redactMatch): the recipient, the address but its state
// and country, the notes, and the proof of delivery (whose time the history
// keeps); and records the redaction, all or nothing. The orders' rows are read
// first, locked, for the proof files they hold. Each changed order's version
// moves on, so that a change prepared from the order as it was (an edit of a
// draft) cannot write the data back.
func (s *Store) RedactOrders(ctx context.Context, scope connect.Scope, p connect.RedactParams) (*connect.Redaction, error) {
	if p.Shop == "" {
		return nil, connect.Errorf(connect.Invalid, "storage: a redaction names its shop")
	}
	at := dbTime(p.At)
	if at.IsZero() {
		at = dbTime(time.Now())
	}
	var out *connect.Redaction
	err := s.atomic(ctx, func(tx *Store) error {
		out = &connect.Redaction{}
		erased := map[string]int{} // Shopify order id → the client's orders erased
		cond, args, ok := redactMatch(p)
		if ok {
			var rows []orderRow
			q := inScope(tx.idb.NewSelect().Model(&rows).Column("id", "proof", "shopify_order_id"), scope).Where(cond, args...).OrderExpr("created_at, id")
			if lock := tx.d.lockRows(); lock != "" {
				q = q.For(lock)
			}
			err := q.Scan(ctx)
			if err != nil && !isNoRows(err) {
				return translate(ctx, err, "reading the orders to redact of "+p.Shop)
			}
			for _, r := range rows {
				erased[r.ShopifyOrderID]++
				if r.Proof == "" {
					continue
				}
				var pr proofJSON
				if err := json.Unmarshal([]byte(r.Proof), &pr); err != nil {
					return connect.Errorf(connect.Internal, "reading the proof of order %s: %w", r.ID, err)
				}
				urls := slices.Clone(pr.PhotoURLs)
				if pr.SignatureURL != "" {
					urls = append(urls, pr.SignatureURL)
				}
				if len(urls) > 0 {
					out.Files = append(out.Files, connect.ProofFiles{Order: connect.OrderID(r.ID), URLs: urls})
				}
			}
			res, err := inScope(tx.idb.NewUpdate().Model((*orderRow)(nil)).
				Set("recipient_name = ''").Set("recipient_email = ''").Set("recipient_phone = ''").
				Set("address_unit = ''").Set("address_line1 = ''").Set("address_line2 = ''").
				Set("city = ''").Set("zip = ''").Set("latitude = NULL").Set("longitude = NULL").
				Set("notes = ''").Set("proof = NULL").
				Set("updated_at = ?", at).Set("version = version + 1"), scope).
				Where(cond, args...).Exec(ctx)
			m, err := rowsAffected(ctx, res, err, "redacting orders of "+p.Shop)
			if err != nil {
				return err
			}
			out.Orders = int(m)
		}
		_, err := tx.idb.NewInsert().Model(&redactionRow{
			AccountID: string(scope.Account), ClientID: string(scope.Client), Shop: p.Shop, Reason: p.Reason,
			Orders: out.Orders, At: at,
		}).Returning("NULL").Exec(ctx)
		if err != nil {
			return translate(ctx, err, "recording the redaction of "+p.Shop)
		}
		return tx.recordRedacted(ctx, scope, p, erased, at)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// redactedRow records a Shopify order whose personal data was erased
// (connect.ShopifyRedacted).
type redactedRow struct {
	bun.BaseModel `bun:"table:shopify_redacted_orders,alias:sro"`

	AccountID      string    `bun:"account_id,pk"`
	ClientID       string    `bun:"client_id,pk"`
	Shop           string    `bun:"shop,pk"`
	ShopifyOrderID string    `bun:"shopify_order_id,pk"`
	CustomerID     string    `bun:"customer_id"`
	Reason         string    `bun:"reason"`
	Orders         int       `bun:"orders"`
	At             time.Time `bun:"at"`
}

// redactedChunk bounds the rows of one insert of records (SQLite's limit on
// bound parameters is 32766: 8 a row).
const redactedChunk = 1000

// recordRedacted records the Shopify orders a redaction erased (erased: by id,
// how many of the client's orders) and those it names, for the scope's
// client. A record of an order already redacted takes the new reason and
// time, and keeps its customer unless the new request names one. A scope
// without a client holds no order: nothing is recorded.
func (s *Store) recordRedacted(ctx context.Context, scope connect.Scope, p connect.RedactParams, erased map[string]int, at time.Time) error {
	if scope.Client == "" {
		return nil
	}
	ids := make([]string, 0, len(erased)+len(p.ShopifyIDs))
	for id := range erased {
		if id != "" {
			ids = append(ids, id)
		}
	}
	for _, id := range p.ShopifyIDs {
		if _, ok := erased[id]; !ok && id != "" {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	for start := 0; start < len(ids); start += redactedChunk {
		chunk := ids[start:min(start+redactedChunk, len(ids))]
		rows := make([]redactedRow, len(chunk))
		for i, id := range chunk {
			rows[i] = redactedRow{AccountID: string(scope.Account), ClientID: string(scope.Client), Shop: p.Shop,
				ShopifyOrderID: id, CustomerID: p.CustomerID, Reason: p.Reason, Orders: erased[id], At: at}
		}
		_, err := s.idb.NewInsert().Model(&rows).
			On("CONFLICT (account_id, client_id, shop, shopify_order_id) DO UPDATE").
			Set("customer_id = CASE WHEN EXCLUDED.customer_id <> '' THEN EXCLUDED.customer_id ELSE sro.customer_id END").
			Set("reason = EXCLUDED.reason, at = EXCLUDED.at").
			Set("orders = CASE WHEN EXCLUDED.orders > 0 THEN EXCLUDED.orders ELSE sro.orders END").
			Returning("NULL").Exec(ctx)
		if err != nil {
			return translate(ctx, err, "recording the redacted orders of "+p.Shop)
		}
	}
	return nil
}

// RedactedShopifyOrders lists the scope's records of redacted Shopify orders
// of q.Shop among q.OrderIDs or of q.CustomerID, oldest first.
func (s *Store) RedactedShopifyOrders(ctx context.Context, scope connect.Scope, q connect.RedactedQuery) ([]connect.ShopifyRedacted, error) {
	if q.Shop == "" {
		return nil, connect.Errorf(connect.Invalid, "storage: redacted orders are of a shop")
	}
	var or []string
	var args []any
	if len(q.OrderIDs) > 0 {
		or, args = append(or, "shopify_order_id IN (?)"), append(args, bun.List(q.OrderIDs))
	}
	if q.CustomerID != "" {
		or, args = append(or, "(customer_id = ? AND customer_id <> '')"), append(args, q.CustomerID)
	}
	if len(or) == 0 {
		return nil, nil
	}
	var rows []redactedRow
	err := inScope(s.idb.NewSelect().Model(&rows), scope).Where("shop = ?", q.Shop).
		Where("("+strings.Join(or, " OR ")+")", args...).OrderExpr("at, shopify_order_id").Scan(ctx)
	if err != nil && !isNoRows(err) {
		return nil, translate(ctx, err, "listing the redacted orders of "+q.Shop)
	}
	out := make([]connect.ShopifyRedacted, len(rows))
	for i, r := range rows {
		out[i] = connect.ShopifyRedacted{Account: connect.AccountID(r.AccountID), Client: connect.ClientID(r.ClientID),
			Shop: r.Shop, OrderID: r.ShopifyOrderID, CustomerID: r.CustomerID, Reason: r.Reason, Orders: r.Orders, At: goTime(r.At)}
	}
	return out, nil
}

// shopifyNoticeEvents are the events ShopifyNotices lists; the partial index
// order_events_shopify_notices holds them.
const shopifyNoticeEvents = "e.event IN ('shopify_cancel', 'shopify_change')"

// ShopifyNotices lists the latest Shopify notice of each of the scope's
// orders now at one of statuses, newest first: one query over the partial
// index order_events_shopify_notices, each candidate checked against its
// order's newer notices (the history's key) and its order's status.
func (s *Store) ShopifyNotices(ctx context.Context, scope connect.Scope, statuses []connect.Status, limit int) ([]connect.OrderEvent, error) {
	if len(statuses) == 0 {
		return nil, nil
	}
	st := make([]string, len(statuses))
	for i, x := range statuses {
		st[i] = string(x)
	}
	var rows []eventRow
	q := inScopeAs(s.idb.NewSelect().Model(&rows), scope, "e.account_id", "e.client_id").
		Where(shopifyNoticeEvents).
		Where("NOT EXISTS (SELECT 1 FROM order_events n WHERE n.order_id = e.order_id AND n.id > e.id AND n.event IN ('shopify_cancel', 'shopify_change'))").
		Where("EXISTS (SELECT 1 FROM orders o WHERE o.id = e.order_id AND o.account_id = e.account_id AND o.client_id = e.client_id AND o.status IN (?))", bun.List(st)).
		OrderExpr("e.id DESC")
	if limit > 0 {
		q = q.Limit(int64(limit))
	}
	if err := q.Scan(ctx); err != nil && !isNoRows(err) {
		return nil, translate(ctx, err, "listing the Shopify notices")
	}
	out := make([]connect.OrderEvent, len(rows))
	for i := range rows {
		out[i] = rows[i].event()
	}
	return out, nil
}

// CustomerOrders lists the scope's orders of the shop that p selects, as
// RedactOrders would change them, oldest first.
func (s *Store) CustomerOrders(ctx context.Context, scope connect.Scope, p connect.RedactParams) ([]*connect.Order, error) {
	if p.Shop == "" {
		return nil, connect.Errorf(connect.Invalid, "storage: a customer's orders are of a shop")
	}
	cond, args, ok := redactMatch(p)
	if !ok {
		return nil, nil
	}
	var rows []orderRow
	err := inScope(s.idb.NewSelect().Model(&rows), scope).Where(cond, args...).OrderExpr("created_at, id").Scan(ctx)
	if err != nil && !isNoRows(err) {
		return nil, translate(ctx, err, "listing a customer's orders of "+p.Shop)
	}
	return ordersOf(rows)
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

// shopifyLinkRow is a client's link to the shop whose token it uses (the
// table's sealed column is left empty since tokens are kept per shop).
type shopifyLinkRow struct {
	bun.BaseModel `bun:"table:shopify_tokens,alias:st"`

	ClientID  string    `bun:"client_id,pk"`
	AccountID string    `bun:"account_id"`
	Shop      string    `bun:"shop"`
	Sealed    []byte    `bun:"sealed,type:bytea"`
	UpdatedAt time.Time `bun:"updated_at"`
}

// shopTokenRow is a shop's token, shared by every client linked to the shop.
type shopTokenRow struct {
	bun.BaseModel `bun:"table:shopify_shop_tokens,alias:sst"`

	Shop         string    `bun:"shop,pk"`
	Sealed       []byte    `bun:"sealed,type:bytea"`
	Version      int64     `bun:"version"`
	SavedAt      time.Time `bun:"saved_at"`
	ClaimedUntil time.Time `bun:"claimed_until,nullzero"`
	SealedFor    string    `bun:"sealed_for"`
}

func (r *shopTokenRow) token() *connect.ShopifyToken {
	return &connect.ShopifyToken{Shop: r.Shop, Sealed: r.Sealed, Version: r.Version, SavedAt: goTime(r.SavedAt),
		SealedFor: connect.ClientID(r.SealedFor)}
}

// linkedShop is the subquery of the shop the client is linked to.
func (s *Store) linkedShop(client connect.Scope) *bun.SelectQuery {
	return s.idb.NewSelect().Model((*shopifyLinkRow)(nil)).Column("shop").
		Where("account_id = ?", string(client.Account)).Where("client_id = ?", string(client.Client))
}

// SaveShopifyToken links the client to shop and stores sealed as the shop's
// token, at the next version, in one transaction. The link's foreign key to
// (account, client) refuses a client of another account, as a missing one:
// ErrNotFound.
func (s *Store) SaveShopifyToken(ctx context.Context, client connect.Scope, shop string, sealed []byte, at time.Time) (*connect.ShopifyToken, error) {
	if client.Client == "" {
		return nil, connect.Errorf(connect.NotFound, "client: not found")
	}
	if shop == "" {
		return nil, connect.Errorf(connect.Invalid, "storage: a Shopify token names its shop")
	}
	if sealed == nil {
		sealed = []byte{}
	}
	now := savedAt(at)
	var out *connect.ShopifyToken
	err := s.atomic(ctx, func(tx *Store) error {
		link := &shopifyLinkRow{ClientID: string(client.Client), AccountID: string(client.Account), Shop: shop,
			Sealed: []byte{}, UpdatedAt: now}
		res, err := tx.idb.NewInsert().Model(link).
			On("CONFLICT (client_id) DO UPDATE").
			Set("shop = EXCLUDED.shop, sealed = EXCLUDED.sealed, updated_at = EXCLUDED.updated_at").
			Where("st.account_id = EXCLUDED.account_id").
			Exec(ctx)
		n, err := rowsAffected(ctx, res, err, "linking client "+string(client.Client)+" to "+shop)
		if err != nil {
			return err
		}
		if n == 0 {
			return connect.Errorf(connect.NotFound, "client %s: not found", client.Client)
		}
		row := &shopTokenRow{Shop: shop, Sealed: sealed, Version: 1, SavedAt: now}
		err = tx.idb.NewInsert().Model(row).
			On("CONFLICT (shop) DO UPDATE").
			Set("sealed = EXCLUDED.sealed, version = sst.version + 1, saved_at = EXCLUDED.saved_at").
			Set("claimed_until = NULL, sealed_for = ''").
			Returning("*").Scan(ctx, row)
		if err != nil {
			return translate(ctx, err, "saving the Shopify token of "+shop)
		}
		out = row.token()
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// savedAt is when a token was saved: at, or now.
func savedAt(at time.Time) time.Time {
	if at.IsZero() {
		at = time.Now()
	}
	return dbTime(at)
}

// ShopifyToken returns the token of the shop the client is linked to.
func (s *Store) ShopifyToken(ctx context.Context, client connect.Scope) (*connect.ShopifyToken, error) {
	if client.Client == "" {
		return nil, connect.Errorf(connect.NotFound, "Shopify token: not found")
	}
	var row shopTokenRow
	err := s.idb.NewSelect().Model(&row).Where("shop = (?)", s.linkedShop(client)).Scan(ctx)
	if err != nil {
		return nil, translate(ctx, err, "Shopify token of client "+string(client.Client))
	}
	return row.token(), nil
}

// ClaimShopifyRefresh claims the refresh of the client's shop's token: one
// UPDATE that succeeds only at p.Version without a live claim.
func (s *Store) ClaimShopifyRefresh(ctx context.Context, client connect.Scope, p connect.ShopifyRefreshClaim) error {
	if client.Client == "" {
		return connect.Errorf(connect.NotFound, "Shopify token: not found")
	}
	res, err := s.idb.NewUpdate().Model((*shopTokenRow)(nil)).
		Set("claimed_until = ?", dbTime(p.Until)).
		Where("shop = (?)", s.linkedShop(client)).Where("version = ?", p.Version).
		Where("(claimed_until IS NULL OR claimed_until <= ?)", dbTime(p.Now)).
		Exec(ctx)
	n, err := rowsAffected(ctx, res, err, "claiming the refresh of client "+string(client.Client)+"'s Shopify token")
	if err != nil {
		return err
	}
	if n == 0 {
		return s.casMissed(ctx, s.idb.NewSelect().Model((*shopTokenRow)(nil)).Where("shop = (?)", s.linkedShop(client)),
			"Shopify token", "was refreshed, or is being refreshed, meanwhile")
	}
	return nil
}

// ReleaseShopifyRefresh ends the claim p made: one UPDATE that matches only
// while the token is at p.Version and claimed until p.Until.
func (s *Store) ReleaseShopifyRefresh(ctx context.Context, client connect.Scope, p connect.ShopifyRefreshClaim) error {
	if client.Client == "" {
		return nil
	}
	_, err := s.idb.NewUpdate().Model((*shopTokenRow)(nil)).
		Set("claimed_until = NULL").
		Where("shop = (?)", s.linkedShop(client)).Where("version = ?", p.Version).
		Where("claimed_until = ?", dbTime(p.Until)).
		Exec(ctx)
	return translate(ctx, err, "releasing the refresh claim of client "+string(client.Client)+"'s Shopify token")
}

// SwapShopifyToken stores sealed as the client's shop's token if it is still
// at version: one UPDATE … WHERE version = ?, never a read-then-write.
func (s *Store) SwapShopifyToken(ctx context.Context, client connect.Scope, version int64, sealed []byte, at time.Time) (*connect.ShopifyToken, error) {
	if client.Client == "" {
		return nil, connect.Errorf(connect.NotFound, "Shopify token: not found")
	}
	if sealed == nil {
		sealed = []byte{}
	}
	var rows []shopTokenRow
	err := s.idb.NewUpdate().Model((*shopTokenRow)(nil)).
		Set("sealed = ?", sealed).Set("version = version + 1").Set("saved_at = ?", savedAt(at)).
		Set("claimed_until = NULL").Set("sealed_for = ''").
		Where("shop = (?)", s.linkedShop(client)).Where("version = ?", version).
		Returning("*").Scan(ctx, &rows)
	if err != nil && !isNoRows(err) {
		return nil, translate(ctx, err, "swapping the Shopify token of client "+string(client.Client))
	}
	if len(rows) == 0 {
		return nil, s.casMissed(ctx, s.idb.NewSelect().Model((*shopTokenRow)(nil)).Where("shop = (?)", s.linkedShop(client)),
			"Shopify token", "was replaced meanwhile")
	}
	return rows[0].token(), nil
}

// DeleteShopifyToken unlinks the client from its shop's token, and forgets
// the token when no client is linked to it any more.
func (s *Store) DeleteShopifyToken(ctx context.Context, client connect.Scope) error {
	if client.Client == "" {
		return nil
	}
	return s.atomic(ctx, func(tx *Store) error {
		var shops []string
		err := tx.idb.NewDelete().Model((*shopifyLinkRow)(nil)).
			Where("account_id = ?", string(client.Account)).Where("client_id = ?", string(client.Client)).
			Returning("shop").Scan(ctx, &shops)
		if err != nil && !isNoRows(err) {
			return translate(ctx, err, "unlinking the Shopify token of client "+string(client.Client))
		}
		if len(shops) == 0 {
			return nil
		}
		_, err = tx.forgetShopToken(tx.idb.NewUpdate().Where("shop = ?", shops[0]).
			Where("NOT EXISTS (SELECT 1 FROM shopify_tokens WHERE shop = ?)", shops[0])).Exec(ctx)
		return translate(ctx, err, "forgetting the Shopify token of "+shops[0])
	})
}

// forgetShopToken is q (an UPDATE of the rows it selects) forgetting the
// shop's token: its sealed pair blanked, any claim ended, its version moved
// on. The row stays, holding nothing, so that the next install's token takes
// a version after every earlier one (SaveShopifyToken's upsert), and a
// refresh begun before the uninstall finds its version gone, never reused.
// No client is linked to it: ShopifyToken and the quiet list, which go
// through the links, do not see it.
func (s *Store) forgetShopToken(q *bun.UpdateQuery) *bun.UpdateQuery {
	return q.Model((*shopTokenRow)(nil)).Set("sealed = ?", []byte{}).Set("version = version + 1").
		Set("claimed_until = NULL").Set("sealed_for = ''")
}

// ForgetShopifyShopAnyAccount forgets the shop's token and every client's
// link to it.
func (s *Store) ForgetShopifyShopAnyAccount(ctx context.Context, shop string) (int, error) {
	var n int64
	err := s.atomic(ctx, func(tx *Store) error {
		res, err := tx.idb.NewDelete().Model((*shopifyLinkRow)(nil)).Where("shop = ?", shop).Exec(ctx)
		if n, err = rowsAffected(ctx, res, err, "unlinking the clients of "+shop); err != nil {
			return err
		}
		_, err = tx.forgetShopToken(tx.idb.NewUpdate().Where("shop = ?", shop)).Exec(ctx)
		return translate(ctx, err, "forgetting the Shopify token of "+shop)
	})
	if err != nil {
		return 0, err
	}
	return int(n), nil
}

// ShopifyTokensSavedBeforeAnyAccount lists the shops whose token was saved
// before t, oldest first, each with its first linked client by id.
func (s *Store) ShopifyTokensSavedBeforeAnyAccount(ctx context.Context, t time.Time, limit int) ([]connect.QuietShopifyShop, error) {
	if limit <= 0 {
		limit = 100
	}
	var rows []struct {
		Shop      string    `bun:"shop"`
		SavedAt   time.Time `bun:"saved_at"`
		AccountID string    `bun:"account_id"`
		ClientID  string    `bun:"client_id"`
	}
	err := s.idb.NewRaw(`SELECT sst.shop, sst.saved_at, st.account_id, st.client_id
FROM shopify_shop_tokens sst JOIN shopify_tokens st ON st.shop = sst.shop
WHERE sst.saved_at < ? AND st.client_id = (SELECT min(client_id) FROM shopify_tokens WHERE shop = sst.shop)
ORDER BY sst.saved_at, sst.shop LIMIT ?`, dbTime(t), limit).Scan(ctx, &rows)
	if err != nil && !isNoRows(err) {
		return nil, translate(ctx, err, "listing quiet Shopify shops")
	}
	out := make([]connect.QuietShopifyShop, len(rows))
	for i, r := range rows {
		out[i] = connect.QuietShopifyShop{Shop: r.Shop, SavedAt: goTime(r.SavedAt),
			Client: connect.Scope{Account: connect.AccountID(r.AccountID), Client: connect.ClientID(r.ClientID)}}
	}
	return out, nil
}
