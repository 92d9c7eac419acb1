package connect

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

// LinkShopify marks the caller's client's Shopify store linked. The Shopify
// adapter calls it from its install callback, once it has checked the callback and
// sealed the store's access token away. Owners and admins may.
// Errors: ErrForbidden; ErrInvalid for an empty shop.
func (s *Service) LinkShopify(ctx context.Context, a Actor, shop string) (*Client, error) {
	c, err := s.authorize(ctx, a, actManageIntegrations)
	if err != nil {
		return nil, err
	}
	if shop = strings.TrimSpace(shop); shop == "" {
		return nil, InvalidFields([]FieldError{{Field: "shop", Reason: "is required"}})
	}
	return s.changeClient(ctx, c, c.Actor.Client, func(cl *Client) error {
		cl.Shopify = ShopifyLink{Shop: shop, LinkedAt: s.clock()}
		return nil
	})
}

// UnlinkShopify forgets the caller's client's Shopify store, and tells the
// Shopify port, if it can let go of the client's link to the shop's token
// (ShopifyUnlinker). Owners and admins may. Errors: ErrForbidden.
func (s *Service) UnlinkShopify(ctx context.Context, a Actor) (*Client, error) {
	c, err := s.authorize(ctx, a, actManageIntegrations)
	if err != nil {
		return nil, err
	}
	cl, err := s.changeClient(ctx, c, c.Actor.Client, func(cl *Client) error {
		cl.Shopify = ShopifyLink{}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if u, ok := s.shopify.(ShopifyUnlinker); ok {
		// The client is unlinked either way; a link left behind is replaced by
		// the next install, and keeps no other client from the shop's token.
		if err := u.UnlinkShopify(ctx, c.scope()); err != nil {
			s.log.WarnContext(ctx, "shopify: the client is unlinked, but the port kept its link to the shop's token", "client", c.Actor.Client, "err", err)
		}
	}
	return cl, nil
}

// ShopifyUninstalled unlinks every client linked to the shop, which uninstalled the
// app. Only Shopify's webhooks may (AsShopifyWebhook): the Shopify adapter's webhook
// handler calls it after checking the webhook's signature. It returns how many
// clients it unlinked. Errors: ErrForbidden.
func (s *Service) ShopifyUninstalled(ctx context.Context, a Actor, shop string) (int, error) {
	if _, err := s.authorize(ctx, a, actShopifyWebhooks); err != nil {
		return 0, err
	}
	clients, err := s.store.ClientsByShopAnyAccount(ctx, shop)
	if err != nil {
		return 0, err
	}
	unlinked := 0
	for _, cl := range clients {
		if cl.Shopify.Shop != shop {
			continue // its orders came from the shop, but it is linked elsewhere now
		}
		unlinked++
		c := caller{Actor: AsDispatcher(cl.Account, "shopify")}
		if _, err := s.changeClient(ctx, c, cl.ID, func(cl *Client) error {
			cl.Shopify = ShopifyLink{}
			return nil
		}); err != nil {
			return 0, err
		}
	}
	s.log.InfoContext(ctx, "shopify app uninstalled", "shop", shop, "clients", unlinked)
	return unlinked, nil
}

// RedactShopifyData erases the personal data of the orders a Shopify privacy
// request names (recipient, address, notes, proof of delivery; see
// Store.RedactOrders), in every client linked to p.Shop or holding its orders,
// and records that it did, order by order (ShopifyRedacted: the orders
// p.ShopifyIDs names are recorded even when a client does not hold them yet),
// so that no later webhook or import brings the data back. The proof files the orders held go to the host to
// erase (Privacy.EraseProofFiles, through the outbox, written in the same
// transaction). Only Shopify's webhooks may (AsShopifyWebhook): the Shopify
// adapter's webhook handler calls it after checking the webhook's signature. It
// returns how many orders it changed. Errors: ErrForbidden; ErrInvalid without
// a shop.
func (s *Service) RedactShopifyData(ctx context.Context, a Actor, p RedactParams) (int, error) {
	if _, err := s.authorize(ctx, a, actShopifyWebhooks); err != nil {
		return 0, err
	}
	if p.Shop == "" {
		return 0, Errorf(Invalid, "the shop is required")
	}
	if p.At.IsZero() {
		p.At = s.clock()
	}
	clients, err := s.store.ClientsByShopAnyAccount(ctx, p.Shop)
	if err != nil {
		return 0, err
	}
	total, files := 0, 0
	for _, cl := range clients {
		scope := Scope{Account: cl.Account, Client: cl.ID}
		err := s.store.Tx(ctx, func(tx Store) error {
			r, err := tx.RedactOrders(ctx, scope, p)
			if err != nil {
				return err
			}
			total += r.Orders
			if len(r.Files) == 0 {
				return nil
			}
			if s.privacy == nil && s.blobs == nil {
				s.log.WarnContext(ctx, "shopify redaction: proof files stay with the host, as no Privacy port is configured",
					"shop", p.Shop, "client", cl.ID, "orders", len(r.Files))
				return nil
			}
			entries := make([]OutboxEntry, len(r.Files))
			for i, f := range r.Files {
				payload, err := json.Marshal(erasePayload{URLs: f.URLs})
				if err != nil {
					return Errorf(Internal, "%w", err)
				}
				entries[i] = OutboxEntry{
					Key:     fmt.Sprintf("%s/erase-proof-files/%d", f.Order, p.At.UnixNano()),
					Account: cl.Account, Client: cl.ID, Order: f.Order, Kind: OutboxEraseProofFiles,
					Payload: payload, State: OutboxPending, NextAt: p.At, CreatedAt: p.At, UpdatedAt: p.At,
				}
				files += len(f.URLs)
			}
			return tx.AddOutbox(ctx, scope, entries)
		})
		if err != nil {
			return total, err
		}
	}
	s.log.InfoContext(ctx, "shopify data redacted", "shop", p.Shop, "orders", total, "proof_files", files, "reason", p.Reason)
	return total, nil
}

// shopifyFor returns the Shopify port, or why the caller's client cannot use it.
func (s *Service) shopifyFor(c caller) (Shopify, error) {
	if s.shopify == nil {
		return nil, Errorf(Unavailable, "this portal is not connected to Shopify")
	}
	if !c.client.Shopify.Linked() {
		return nil, Errorf(Forbidden, "link your Shopify store first (Settings → Integrations)")
	}
	return s.shopify, nil
}

// ShopifyOrders lists the open, unfulfilled orders of the caller's linked store,
// newest first, a page at a time, each marked Imported when the client already has
// it. Team members who may upload may. Errors: ErrForbidden (no store linked,
// uploads off); ErrUnavailable (Shopify down or throttling).
func (s *Service) ShopifyOrders(ctx context.Context, a Actor, cursor string, limit int) (*ShopifyOrderPage, error) {
	c, err := s.authorizeUploadRead(ctx, a)
	if err != nil {
		return nil, err
	}
	shop, err := s.shopifyFor(c)
	if err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 250 {
		limit = 50
	}
	page, err := shop.UnfulfilledOrders(ctx, c.scope(), cursor, limit)
	if err != nil {
		return nil, err
	}
	refs := make([]string, 0, len(page.Orders))
	for _, o := range page.Orders {
		refs = append(refs, o.Input.Ref)
	}
	existing, err := s.store.ExistingRefs(ctx, c.scope(), refs)
	if err != nil {
		return nil, err
	}
	if err := s.refuseRedacted(ctx, c.scope(), page.Orders); err != nil {
		return nil, err
	}
	for i := range page.Orders {
		for _, r := range existing {
			if page.Orders[i].Input.Ref == r {
				page.Orders[i].Imported = true
			}
		}
	}
	return page, nil
}

// maxShopifyImport bounds one bulk import by order ids or names.
const maxShopifyImport = 5000

// shopifyLookupChunk is how many refs one LookupOrders call asks for: a bulk
// import reports its progress (ImportOptions.Progress) after each.
const shopifyLookupChunk = 250

// ImportShopifyOrders imports orders of the caller's linked store, by id or name
// ("#1001", as pasted in Bulk import), as drafts, through the same checks as a
// spreadsheet: each refused order is reported with why (no shipping address,
// already imported, a field the client must give, customer data withheld by
// Shopify, customer data erased on a privacy request: see ShopifyRedacted).
// The orders are read from Shopify shopifyLookupChunk at a time,
// before the import's transaction: opts.Progress hears Read grow as they are
// read (a bulk import of thousands takes a while: the portal runs it as a
// background job), then Stored as the drafts are stored. Team members who may
// upload may.
// Errors: ErrForbidden; ErrUnavailable; ErrInvalid (no refs, too many).
func (s *Service) ImportShopifyOrders(ctx context.Context, a Actor, refs []string, opts ImportOptions) (res *ImportResult, err error) {
	ctx, span := s.tel.start(ctx, "connect.import")
	defer func(started time.Time) { s.tel.imported(ctx, span, "shopify", started, res, err) }(time.Now())
	c, err := s.authorizeUpload(ctx, a)
	if err != nil {
		return nil, err
	}
	callerAttrs(span, c)
	shop, err := s.shopifyFor(c)
	if err != nil {
		return nil, err
	}
	refs = ShopifyRefs(refs)
	switch {
	case len(refs) == 0:
		return nil, Errorf(Invalid, "give the ids or names of the orders to import")
	case len(refs) > maxShopifyImport:
		return nil, Errorf(Invalid, "import at most %d Shopify orders at once", maxShopifyImport)
	}
	orders := make([]ShopifyOrder, 0, len(refs))
	for start := 0; start < len(refs); start += shopifyLookupChunk {
		chunk := refs[start:min(start+shopifyLookupChunk, len(refs))]
		got, err := shop.LookupOrders(ctx, c.scope(), chunk)
		if err != nil {
			return nil, err
		}
		if len(got) != len(chunk) {
			return nil, Errorf(Internal, "the Shopify port answered %d orders for %d", len(got), len(chunk))
		}
		if err := s.refuseRedacted(ctx, c.scope(), got); err != nil {
			return nil, err
		}
		orders = append(orders, got...)
		if opts.Progress != nil {
			opts.Progress(ImportProgress{Read: len(orders)})
		}
	}
	if progress := opts.Progress; progress != nil {
		// Every order is read by now; the import reports what it stores.
		opts.Progress = func(p ImportProgress) { progress(ImportProgress{Read: len(orders), Stored: p.Stored}) }
	}
	src := &shopifySource{orders: orders}
	drafts := s.draftBuilder(c, SourceShopify)
	build := func(ctx context.Context, row ImportRow, in OrderInput) (*Order, []FieldError, error) {
		o, problems, err := drafts(ctx, row, in)
		if o != nil {
			o.Shopify = orders[row.Number-1].Ref
		}
		return o, problems, err
	}
	opts.Source = SourceShopify
	if opts.Name == "" {
		opts.Name = "Shopify"
	}
	res, err = s.importRows(ctx, c, src, opts, build)
	if err == nil {
		s.log.InfoContext(ctx, "shopify orders imported", "client", c.Actor.Client, "imported", res.Imported, "refused", res.Refused)
	}
	return res, err
}

// refuseRedacted gives each order whose customer's personal data a privacy
// request erased (ShopifyRedacted) the Problem that refuses its import: an
// import would bring the data back.
func (s *Service) refuseRedacted(ctx context.Context, scope Scope, orders []ShopifyOrder) error {
	byShop := map[string][]string{}
	for _, o := range orders {
		if o.Problem == "" && o.Ref.OrderID != "" {
			byShop[o.Ref.Shop] = append(byShop[o.Ref.Shop], o.Ref.OrderID)
		}
	}
	for shop, ids := range byShop {
		redacted, err := s.redactedShopify(ctx, scope, shop, ids)
		if err != nil {
			return err
		}
		for i := range orders {
			if r, ok := redacted[orders[i].Ref.OrderID]; ok && orders[i].Ref.Shop == shop && orders[i].Problem == "" {
				orders[i].Problem = redactedProblem(r)
			}
		}
	}
	return nil
}

// ShopifyRefs reads the ids and names pasted into a Bulk import as
// ImportShopifyOrders does: split on commas, semicolons, spaces and new lines,
// without empties and repeats.
func ShopifyRefs(refs []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, r := range refs {
		for _, f := range strings.FieldsFunc(r, func(c rune) bool { return c == ',' || c == ';' || c == '\n' || c == '\r' || c == '\t' || c == ' ' }) {
			if !seen[f] {
				seen[f] = true
				out = append(out, f)
			}
		}
	}
	return out
}

// shopifySource reads looked-up Shopify orders as import rows: row n is the n-th
// ref asked for, and an order Shopify could not give is a refused row.
type shopifySource struct {
	orders []ShopifyOrder
	next   int
}

func (s *shopifySource) Header() []string { return []string{"Shopify order"} }

func (s *shopifySource) Column(f Field) string {
	if f == FieldRef {
		return "Shopify order"
	}
	return f.Label()
}

func (s *shopifySource) Next(context.Context) (ImportRow, error) {
	if s.next == len(s.orders) {
		return ImportRow{}, io.EOF
	}
	o := s.orders[s.next]
	s.next++
	row := ImportRow{Number: s.next, Cells: []string{o.Name}, Input: o.Input}
	if o.Problem != "" {
		row.Problems = []FieldError{{Column: "Shopify order", Reason: o.Name + ": " + o.Problem}}
	}
	for _, n := range o.Notes {
		row.Warnings = append(row.Warnings, FieldError{Row: row.Number, Column: "Shopify order", Reason: o.Name + ": " + n})
	}
	return row, nil
}
