package connect

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// Orders edited or cancelled in Shopify after they were imported. Shopify's
// orders/updated and orders/cancelled webhooks reach the Service through the
// Shopify adapter's webhook handler (as AsShopifyWebhook), and what happens to
// each order imported from that Shopify order depends on where it is:
//
//   - A draft is still the client's alone: orders/updated imports it again
//     from the Shopify order as it is now (read again through the Shopify
//     port, as Shopify advises, since webhooks may come late or out of order),
//     through the same mapping as the import. Shopify's side wins for the
//     fields it gives (address lines, city, state, zip, country and
//     coordinates; recipient; notes; products, with the package count they
//     make); what Shopify does not give stays as the client set it (reference,
//     stop type, unit, size, and the package count while the products are
//     unchanged). A field that did not change in Shopify is not written, so
//     an orders/updated about something else (a tag, a payment) changes
//     nothing. The history says which fields were imported again
//     (EventShopifyUpdate). orders/cancelled deletes the draft, as a client
//     deletes a draft it will not send: Shopify will not have it delivered,
//     and an import would refuse it now.
//   - A submitted order, or one on a route, is never changed silently:
//     orders/updated leaves it as submitted and records what changed in
//     Shopify (EventShopifyChange), for the client and the dispatcher to see
//     in its history and live events. orders/cancelled withdraws a submitted
//     order that is not on a route yet (the lifecycle's withdraw, so the host's
//     RouteSync hears it, and the order is a draft again with the reason in its
//     history); one that is scheduled, en route or failed stays as it is and
//     the dispatcher is told (EventShopifyCancel), since only the dispatcher
//     may take an order off a route.
//   - Delivered and cancelled orders are history: nothing is recorded.
//
// A Shopify order whose customer's personal data a privacy request erased
// (customers/redact, shop/redact: see ShopifyRedacted) keeps it erased, as
// Shopify's privacy-law compliance requires of an app: orders/updated takes
// only its non-personal fields from Shopify (products, the state and the
// country), never the recipient, the street address, the city, the zip, the
// coordinates or the notes, and its history says so; an import of it (one
// order, or a bulk import) refuses it, saying why. A new Shopify order of the
// same customer is a new order and imports as usual.

// ShopifyOrderChange is what Shopify's orders/updated or orders/cancelled
// webhook says of one order.
type ShopifyOrderChange struct {
	Shop    string // the shop's myshopify.com domain
	OrderID string // the order's GraphQL id, gid://shopify/Order/…
	Name    string // its name ("#1001"), for messages; "" when not known
	// CancelReason is why it was cancelled (orders/cancelled): customer,
	// declined, fraud, inventory, staff or other, as Shopify says it.
	CancelReason string
}

// ShopifySyncResult counts what a Shopify order webhook did to the orders
// imported from that order.
type ShopifySyncResult struct {
	Updated   int // drafts imported again from the changed Shopify order
	Deleted   int // drafts deleted, their Shopify order cancelled
	Withdrawn int // submitted orders withdrawn, their Shopify order cancelled
	Noticed   int // orders left as they were, with an event saying what happened in Shopify
}

// ShopifyOrderUpdated acts on Shopify's orders/updated webhook: the drafts
// imported from the order are imported again from it, the submitted orders
// get an event saying what changed (see the comment above ShopifyOrderChange).
// Only Shopify's webhooks may (AsShopifyWebhook). A client no longer linked to
// the shop cannot read the order again: its orders are left as they are.
// Errors: ErrForbidden; ErrInvalid without a shop or an order id;
// ErrUnavailable when Shopify cannot be read now; ErrConflict when a draft
// changed while it was imported again (the webhook is to be retried).
func (s *Service) ShopifyOrderUpdated(ctx context.Context, a Actor, p ShopifyOrderChange) (res ShopifySyncResult, err error) {
	ctx, span := s.tel.start(ctx, "connect.shopify.sync")
	defer func() { shopifySynced(span, "updated", res, err) }()
	groups, err := s.shopifyImports(ctx, a, p)
	if err != nil {
		return res, err
	}
	for _, g := range groups {
		if s.shopify == nil || g.client.Shopify.Shop != p.Shop {
			s.log.InfoContext(ctx, "shopify order changed, but the client is no longer linked to the shop: its orders are left as they are",
				"shop", p.Shop, "order", p.OrderID, "client", g.client.ID)
			continue
		}
		scope := Scope{Account: g.client.Account, Client: g.client.ID}
		got, err := s.shopify.LookupOrders(ctx, scope, []string{p.OrderID})
		if ErrorCode(err) == Forbidden {
			s.log.WarnContext(ctx, "shopify order changed, but the store cannot be read: its orders are left as they are",
				"shop", p.Shop, "order", p.OrderID, "client", g.client.ID, "err", err)
			continue
		}
		if err != nil {
			return res, err
		}
		if len(got) != 1 {
			return res, Errorf(Internal, "the Shopify port answered %d orders for one", len(got))
		}
		so := got[0]
		if so.Cancelled {
			continue // orders/cancelled says what to do
		}
		name := firstNonEmpty(so.Name, p.Name, p.OrderID)
		in := normalizeInput(so.Input)
		redacted, err := s.redactedShopify(ctx, scope, p.Shop, []string{p.OrderID})
		if err != nil {
			return res, err
		}
		kept := ""
		if r, ok := redacted[p.OrderID]; ok {
			in = withoutPersonalData(in)
			kept = fmt.Sprintf(" (its customer's personal data, erased on %s on a privacy request, was not imported again)", r.At.UTC().Format(time.DateOnly))
		}
		err = s.syncTx(ctx, scope, name, "updated", func(tx Store) error {
			for _, o := range g.orders {
				switch {
				case o.Status == StatusDraft && so.Problem == "":
					changed := shopifyChanges(o.OrderInput, in)
					if len(changed) == 0 {
						continue
					}
					reimport(o, in, changed)
					o.UpdatedAt = s.clock()
					if err := tx.UpdateDraft(ctx, scope, o); err != nil {
						return err
					}
					reason := fmt.Sprintf("imported again from Shopify order %s, which changed there: %s%s", name, strings.Join(changed, ", "), kept)
					if err := s.notice(ctx, tx, scope, o, EventShopifyUpdate, reason); err != nil {
						return err
					}
					res.Updated++
				case o.Status == StatusDelivered || o.Status == StatusCancelled:
				default:
					var reason string
					if so.Problem != "" {
						reason = fmt.Sprintf("Shopify order %s changed (%s); this order was left as it is", name, so.Problem)
						if o.Status == StatusDraft {
							reason = fmt.Sprintf("Shopify order %s changed and cannot be imported again (%s); this draft was left as it is", name, so.Problem)
						}
					} else {
						changed := shopifyChanges(o.OrderInput, in)
						if len(changed) == 0 {
							continue
						}
						reason = fmt.Sprintf("Shopify order %s changed after submission (%s); this order keeps what was submitted", name, strings.Join(changed, ", "))
					}
					if err := s.noticeOnce(ctx, tx, scope, o, EventShopifyChange, reason, &res.Noticed); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			return res, err
		}
	}
	if res != (ShopifySyncResult{}) {
		s.log.InfoContext(ctx, "shopify order updated", "shop", p.Shop, "order", p.OrderID,
			"updated", res.Updated, "noticed", res.Noticed)
	}
	return res, nil
}

// ShopifyOrderCancelled acts on Shopify's orders/cancelled webhook: the drafts
// imported from the order are deleted, the submitted orders not on a route are
// withdrawn, and those on a route stay there with an event telling the
// dispatcher (see the comment above ShopifyOrderChange). Only Shopify's
// webhooks may (AsShopifyWebhook).
//
// The webhook's word is not taken for it: a delivery may be late, repeated
// after the merchant restored the order, or, signed with a leaked secret,
// forged. Each client's orders are acted on only once the order, read again
// from Shopify through the client's link (the Shopify port), says it is
// cancelled now (its cancelledAt); an order Shopify says is open, or no
// longer has, changes nothing. A client no longer linked to the shop, or whose
// store no longer lets it read, cannot check: its orders are left as they
// are, and the log says so. Errors: ErrForbidden; ErrInvalid without a shop or
// an order id; ErrUnavailable when Shopify cannot be read now (the webhook
// answers 5xx and Shopify delivers it again, so nothing is done on a guess).
func (s *Service) ShopifyOrderCancelled(ctx context.Context, a Actor, p ShopifyOrderChange) (res ShopifySyncResult, err error) {
	ctx, span := s.tel.start(ctx, "connect.shopify.sync")
	defer func() { shopifySynced(span, "cancelled", res, err) }()
	groups, err := s.shopifyImports(ctx, a, p)
	if err != nil {
		return res, err
	}
	name := firstNonEmpty(p.Name, p.OrderID)
	why := "cancelled in Shopify"
	if p.CancelReason != "" {
		why += " (reason: " + strings.ToLower(p.CancelReason) + ")"
	}
	for _, g := range groups {
		cl := g.client
		scope := Scope{Account: cl.Account, Client: cl.ID}
		if ok, err := s.cancelledInShopify(ctx, scope, cl, p); err != nil {
			return res, err
		} else if !ok {
			continue
		}
		c := caller{Actor: Actor{Kind: ActorShopify, Account: cl.Account, Client: cl.ID}, client: cl}
		withdraw := change{event: EventWithdraw, reason: fmt.Sprintf("Shopify order %s was %s", name, why),
			apply: func(o *Order) { o.SubmittedAt = time.Time{} }}
		deleted := false
		err := s.syncTx(ctx, scope, name, "cancelled", func(tx Store) error {
			for _, o := range g.orders {
				switch o.Status {
				case StatusDraft:
					if err := tx.DeleteDraft(ctx, scope, o.ID, o.Version); err != nil {
						return err
					}
					deleted = true
					res.Deleted++
				case StatusSubmitted:
					if _, err := s.transition(ctx, tx, c, o.ID, withdraw); err != nil {
						return err
					}
					res.Withdrawn++
				case StatusScheduled, StatusEnRoute, StatusFailed:
					reason := fmt.Sprintf("Shopify order %s was %s while this order was %s; it stays as it is until the dispatcher takes it off its route or cancels it",
						name, why, o.Status.Label())
					if err := s.noticeOnce(ctx, tx, scope, o, EventShopifyCancel, reason, &res.Noticed); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			return res, err
		}
		if deleted {
			s.touched(scope)
		}
	}
	s.log.InfoContext(ctx, "shopify order cancelled", "shop", p.Shop, "order", p.OrderID, "reason", p.CancelReason,
		"drafts_deleted", res.Deleted, "withdrawn", res.Withdrawn, "noticed", res.Noticed)
	return res, nil
}

// cancelledInShopify reads the order again from Shopify, as the client, and
// reports whether Shopify says it is cancelled now. It is false, and logged,
// when the client cannot read it (unlinked, access revoked): nothing is to be
// done on the webhook's word. Errors: those of the Shopify port but
// ErrForbidden (ErrUnavailable when Shopify cannot be read now).
func (s *Service) cancelledInShopify(ctx context.Context, scope Scope, cl *Client, p ShopifyOrderChange) (bool, error) {
	if s.shopify == nil || cl.Shopify.Shop != p.Shop {
		s.log.InfoContext(ctx, "shopify order cancelled, but the client is no longer linked to the shop, which cannot confirm it: its orders are left as they are",
			"shop", p.Shop, "order", p.OrderID, "client", cl.ID)
		return false, nil
	}
	got, err := s.shopify.LookupOrders(ctx, scope, []string{p.OrderID})
	if ErrorCode(err) == Forbidden {
		s.log.WarnContext(ctx, "shopify order cancelled, but the store cannot be read to confirm it: its orders are left as they are",
			"shop", p.Shop, "order", p.OrderID, "client", cl.ID, "err", err)
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if len(got) != 1 {
		return false, Errorf(Internal, "the Shopify port answered %d orders for one", len(got))
	}
	if !got[0].Cancelled {
		s.log.WarnContext(ctx, "shopify order cancelled says the webhook, but Shopify says it is not (restored, or the delivery is not Shopify's): nothing done",
			"shop", p.Shop, "order", p.OrderID, "client", cl.ID, "problem", got[0].Problem)
		return false, nil
	}
	return true, nil
}

// ShopifyNotice is an order in the dispatcher's hands that Shopify's webhooks
// flagged: cancelled in Shopify while on a route (EventShopifyCancel), or
// changed there after it was submitted (EventShopifyChange). Nothing changed
// the order itself: the dispatcher decides (takes it off its route, cancels
// it, calls the client).
type ShopifyNotice struct {
	Order        *Order
	Notice       OrderEvent // the order's latest such event: what happened, when, why
	ClientName   string
	ClientNumber ClientNumber
}

// shopifyNoticeStatuses are the statuses at which a Shopify notice still asks
// the dispatcher to act.
var shopifyNoticeStatuses = []Status{StatusSubmitted, StatusScheduled, StatusEnRoute, StatusFailed}

// maxShopifyNotices bounds one list of notices.
const maxShopifyNotices = 200

// ShopifyNotices lists the Shopify notices of the dispatcher's account: its
// orders, still submitted, scheduled, en route or failed, whose Shopify order
// was cancelled or changed after submission, each with its latest notice and
// its client, newest notice first, at most limit (≤ 0: 50; at most 200).
// Only dispatchers may. Errors: ErrForbidden.
func (s *Service) ShopifyNotices(ctx context.Context, a Actor, limit int) ([]ShopifyNotice, error) {
	c, err := s.authorizeRead(ctx, a, actManageOrders)
	if err != nil {
		return nil, err
	}
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, maxShopifyNotices)
	events, err := s.store.ShopifyNotices(ctx, c.scope(), shopifyNoticeStatuses, limit)
	if err != nil {
		return nil, err
	}
	clients := map[ClientID]*Client{}
	out := make([]ShopifyNotice, 0, len(events))
	for _, ev := range events {
		o, err := s.store.Order(ctx, c.scope(), ev.Order)
		if errors.Is(err, ErrNotFound) {
			continue // deleted since
		}
		if err != nil {
			return nil, err
		}
		cl := clients[o.Client]
		if cl == nil {
			if cl, err = s.store.Client(ctx, c.scope(), o.Client); err != nil {
				return nil, err
			}
			clients[o.Client] = cl
		}
		out = append(out, ShopifyNotice{Order: o, Notice: ev, ClientName: cl.Name, ClientNumber: cl.Number})
	}
	return out, nil
}

// shopifyImport is one client's orders imported from one Shopify order.
type shopifyImport struct {
	client *Client
	orders []*Order
}

// shopifyImports finds the orders imported from the Shopify order, in every
// client (of any account) linked to its shop or holding orders from it, for
// Shopify's webhooks only.
func (s *Service) shopifyImports(ctx context.Context, a Actor, p ShopifyOrderChange) ([]shopifyImport, error) {
	if _, err := s.authorize(ctx, a, actShopifyWebhooks); err != nil {
		return nil, err
	}
	if p.Shop == "" || p.OrderID == "" {
		return nil, Errorf(Invalid, "the shop and the order id are required")
	}
	clients, err := s.store.ClientsByShopAnyAccount(ctx, p.Shop)
	if err != nil {
		return nil, err
	}
	var out []shopifyImport
	for _, cl := range clients {
		orders, err := s.store.OrdersFromShopify(ctx, Scope{Account: cl.Account, Client: cl.ID}, p.Shop, []string{p.OrderID})
		if err != nil {
			return nil, err
		}
		if len(orders) > 0 {
			slices.SortFunc(orders, func(a, b *Order) int { return strings.Compare(string(a.ID), string(b.ID)) })
			out = append(out, shopifyImport{client: cl, orders: orders})
		}
	}
	return out, nil
}

// notice appends an event that changes no status to the order's history (and
// the live feed), moving its version on.
func (s *Service) notice(ctx context.Context, tx Store, scope Scope, o *Order, ev Event, reason string) error {
	now := s.clock()
	o.UpdatedAt = now
	e := OrderEvent{Order: o.ID, Account: o.Account, Client: o.Client, Event: ev, From: o.Status, To: o.Status,
		At: now, By: AsShopifyWebhook().String(), ETA: o.ETA, Reason: reason}
	return tx.SetStatuses(ctx, scope, []SetStatusParams{{From: o.Status, Version: o.Version, Order: o, Events: []OrderEvent{e}}})
}

// noticeOnce is notice, counted in *n, unless the order's last event of that
// kind says the same already: Shopify sends orders/updated for every change of
// the order (tags, payments), and each would repeat what the client was told.
func (s *Service) noticeOnce(ctx context.Context, tx Store, scope Scope, o *Order, ev Event, reason string, n *int) error {
	h, err := tx.History(ctx, scope, o.ID)
	if err != nil {
		return err
	}
	for i := len(h) - 1; i >= 0; i-- {
		if h[i].Event == ev {
			if h[i].Reason == reason {
				return nil
			}
			break
		}
	}
	if err := s.notice(ctx, tx, scope, o, ev, reason); err != nil {
		return err
	}
	*n++
	return nil
}

// syncTx runs one client's changes for a Shopify order webhook in a
// transaction, and wakes the client's subscribers. Errors: ErrConflict when an
// order changed meanwhile (scheduled, edited): Shopify delivers the webhook
// again, and the order is then where it now is.
func (s *Service) syncTx(ctx context.Context, scope Scope, name, what string, fn func(tx Store) error) error {
	err := s.store.Tx(ctx, fn)
	if isConflict(err) {
		return Errorf(Conflict, "an order imported from Shopify order %s changed while it was %s; try again", name, what)
	}
	if err != nil {
		return err
	}
	s.committed(scope)
	return nil
}

// redactedShopify returns the scope's records of the shop's redacted orders
// among ids, by order id.
func (s *Service) redactedShopify(ctx context.Context, scope Scope, shop string, ids []string) (map[string]ShopifyRedacted, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	recs, err := s.store.RedactedShopifyOrders(ctx, scope, RedactedQuery{Shop: shop, OrderIDs: ids})
	if err != nil {
		return nil, err
	}
	out := make(map[string]ShopifyRedacted, len(recs))
	for _, r := range recs {
		out[r.OrderID] = r
	}
	return out, nil
}

// withoutPersonalData is a Shopify order's mapping without what a privacy
// request erases (Store.RedactOrders): the recipient, the address but its
// state and country, the notes.
func withoutPersonalData(in OrderInput) OrderInput {
	in.Recipient = Recipient{}
	in.Address = Address{State: in.Address.State, Country: in.Address.Country}
	in.Notes = ""
	return in
}

// redactedProblem is why an import refuses a Shopify order whose customer's
// personal data was erased.
func redactedProblem(r ShopifyRedacted) string {
	return fmt.Sprintf("its customer's personal data was erased on %s on a privacy request (Shopify customers/redact or shop/redact), so it is not imported again",
		r.At.UTC().Format(time.DateOnly))
}

// shopifyChanges names the fields Shopify gives (address, recipient, notes,
// products) that differ between an order's input and the same order as
// Shopify maps it now.
func shopifyChanges(have, now OrderInput) []string {
	var out []string
	a, b := have.Address, now.Address
	if a.Line1 != b.Line1 || a.Line2 != b.Line2 || a.City != b.City || a.State != b.State || a.Zip != b.Zip ||
		a.Country != b.Country || !sameDecimal(a.Latitude, b.Latitude) || !sameDecimal(a.Longitude, b.Longitude) {
		out = append(out, "address")
	}
	if have.Recipient != now.Recipient {
		out = append(out, "recipient")
	}
	if have.Notes != now.Notes {
		out = append(out, "notes")
	}
	if !slices.Equal(have.Products, now.Products) {
		out = append(out, "products")
	}
	return out
}

// reimport writes the changed fields of Shopify's mapping into a draft; what
// Shopify does not give (the unit, the stop type, the size, the reference)
// stays as the client set it, and the package count follows the products.
func reimport(o *Order, now OrderInput, changed []string) {
	for _, f := range changed {
		switch f {
		case "address":
			unit := o.Address.Unit
			o.Address = now.Address
			o.Address.Unit = unit
		case "recipient":
			o.Recipient = now.Recipient
		case "notes":
			o.Notes = now.Notes
		case "products":
			o.Products, o.PackageCount = now.Products, now.PackageCount
		}
	}
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// sameDecimal reports whether two optional decimals are both absent or equal.
func sameDecimal(a, b decimal.NullDecimal) bool {
	return a.Valid == b.Valid && (!a.Valid || a.Decimal.Equal(b.Decimal))
}
