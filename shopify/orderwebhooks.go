package shopify

import (
	"context"
	"strconv"

	"github.com/dispatchkit/connect"
)

// The order topics: an order edited (address, items, note…) or cancelled in
// Shopify after it was imported.
const (
	TopicOrdersUpdated   = "orders/updated"
	TopicOrdersCancelled = "orders/cancelled"
)

// OrderWebhook is the part of the orders/updated and orders/cancelled payloads
// the handler reads: the order as Shopify's REST Order resource, which carries
// much more (line items, addresses, customer…). The handler reads the order
// again through the Admin API rather than trusting the rest of the payload:
// Shopify says webhooks may arrive late and out of order, and a payload's
// customer fields are as protected as the API's.
type OrderWebhook struct {
	ID                int64  `json:"id"`
	AdminGraphQLAPIID string `json:"admin_graphql_api_id"` // gid://shopify/Order/…
	Name              string `json:"name"`                 // "#1001"
	// CancelledAt is set once the order is cancelled; CancelReason says why:
	// customer, declined, fraud, inventory, staff or other.
	CancelledAt  *string `json:"cancelled_at"`
	CancelReason *string `json:"cancel_reason"`
}

// GID returns the order's GraphQL id: the payload's, or one made of its REST
// id. Errors: Invalid when the payload has neither.
func (o OrderWebhook) GID() (string, error) {
	if r := parseRef(o.AdminGraphQLAPIID); o.AdminGraphQLAPIID != "" && r.id == o.AdminGraphQLAPIID {
		return r.id, nil
	}
	if o.ID > 0 {
		return orderGID + strconv.FormatInt(o.ID, 10), nil
	}
	return "", connect.Errorf(connect.Invalid, "shopify: the order webhook names no order")
}

// orderChanged hands an orders/updated or orders/cancelled delivery to the
// core. An orders/updated about a cancelled order is left to orders/cancelled,
// which Shopify sends too.
func (h *WebhookHandler) orderChanged(ctx context.Context, wh Webhook) error {
	var p OrderWebhook
	if err := wh.Decode(&p); err != nil {
		return err
	}
	id, err := p.GID()
	if err != nil {
		return err
	}
	change := connect.ShopifyOrderChange{Shop: wh.Shop, OrderID: id, Name: p.Name}
	var res connect.ShopifySyncResult
	switch wh.Topic {
	case TopicOrdersCancelled:
		if p.CancelReason != nil {
			change.CancelReason = *p.CancelReason
		}
		res, err = h.svc.ShopifyOrderCancelled(ctx, connect.AsShopifyWebhook(), change)
	default:
		if p.CancelledAt != nil && *p.CancelledAt != "" {
			return nil
		}
		res, err = h.svc.ShopifyOrderUpdated(ctx, connect.AsShopifyWebhook(), change)
	}
	if err != nil {
		return err
	}
	h.a.log.InfoContext(ctx, "shopify: order webhook handled", "topic", wh.Topic, "shop", wh.Shop, "order", id,
		"updated", res.Updated, "deleted", res.Deleted, "withdrawn", res.Withdrawn, "noticed", res.Noticed)
	return nil
}
