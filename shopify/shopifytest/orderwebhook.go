package shopifytest

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// Edit changes an order as a merchant's order edit does (note, email, phone,
// shipping address; line items' quantities, or new line items, which get ids
// and a line in their location's open fulfillment order), and stamps its
// UpdatedAt. Units taken out of an order are better removed with Refund, which
// also cuts its fulfillment orders. It reports whether the order exists.
func (s *Shop) Edit(orderID string, edit func(o *Order)) bool {
	s.srv.mu.Lock()
	defer s.srv.mu.Unlock()
	o := s.byID[orderID]
	if o == nil {
		return false
	}
	known := len(o.LineItems)
	edit(o)
	if o.ShippingAddress != nil && o.ShippingAddress.ID == "" {
		o.ShippingAddress.ID = s.srv.gid("MailingAddress")
	}
	for i := range o.LineItems {
		if o.LineItems[i].ID == "" || i >= known {
			s.stock(o, &o.LineItems[i])
		}
	}
	o.UpdatedAt = s.srv.now()
	s.index(o)
	return true
}

// Cancel cancels the order as the merchant does in the admin, with a reason
// as Shopify's REST payloads write it (customer, declined, fraud, inventory,
// staff, other; "": other): cancelledAt is set, and the order leaves
// status:open searches. (Its fulfillment orders are left as they are.) It
// reports whether the order exists.
func (s *Shop) Cancel(orderID, reason string) bool {
	s.srv.mu.Lock()
	defer s.srv.mu.Unlock()
	o := s.byID[orderID]
	if o == nil {
		return false
	}
	if reason == "" {
		reason = "other"
	}
	now := s.srv.now()
	o.Cancelled, o.CancelledAt, o.CancelReason, o.UpdatedAt = true, now, strings.ToLower(reason), now
	return true
}

// OrderPayload returns the order as Shopify's orders/* webhooks carry it: the
// REST Order resource (the fields the fake has), with the customer data the
// app is not approved for left out as Shopify redacts it. It reports whether
// the order exists.
func (s *Shop) OrderPayload(orderID string) ([]byte, bool) {
	s.srv.mu.Lock()
	defer s.srv.mu.Unlock()
	o := s.byID[orderID]
	if o == nil {
		return nil, false
	}
	keep := func(v string, field string) any {
		if s.protect(optional(v), o.Withheld, field) == (withheld{}) {
			return nil
		}
		return optional(v)
	}
	updated := o.UpdatedAt
	if updated.IsZero() {
		updated = o.CreatedAt
	}
	p := map[string]any{
		"id":                   restID(o.ID),
		"admin_graphql_api_id": o.ID,
		"name":                 o.Name,
		"order_number":         o.Number,
		"note":                 optional(o.Note),
		"email":                keep(o.Email, "email"),
		"phone":                keep(o.Phone, "phone"),
		"created_at":           restTime(o.CreatedAt),
		"updated_at":           restTime(updated),
		"cancelled_at":         nil,
		"cancel_reason":        nil,
		"closed_at":            nil,
		"fulfillment_status":   nil,
	}
	if o.Cancelled {
		at := o.CancelledAt
		if at.IsZero() {
			at = o.CreatedAt
		}
		p["cancelled_at"], p["cancel_reason"] = restTime(at), firstOf(o.CancelReason, "other")
	}
	if o.Closed {
		p["closed_at"] = restTime(updated)
	}
	switch o.DisplayFulfillmentStatus() {
	case "FULFILLED":
		p["fulfillment_status"] = "fulfilled"
	case "PARTIALLY_FULFILLED":
		p["fulfillment_status"] = "partial"
	}
	if a := o.ShippingAddress; a != nil {
		p["shipping_address"] = map[string]any{
			"first_name": keep(a.FirstName, "name"), "last_name": keep(a.LastName, "name"),
			"name": keep(a.Name(), "name"), "company": keep(a.Company, "name"),
			"address1": keep(a.Address1, "address"), "address2": keep(a.Address2, "address"),
			"city": optional(a.City), "province": optional(a.Province), "province_code": optional(a.ProvinceCode),
			"zip": optional(a.Zip), "country": optional(a.Country), "country_code": optional(a.CountryCode),
			"phone": keep(a.Phone, "phone"), "latitude": optionalFloat(a.Latitude), "longitude": optionalFloat(a.Longitude),
		}
		if keep("x", "address") == nil {
			p["shipping_address"].(map[string]any)["latitude"] = nil
			p["shipping_address"].(map[string]any)["longitude"] = nil
		}
	}
	items := []any{}
	for _, li := range o.LineItems {
		fulfillable := 0
		for _, fo := range o.FulfillmentOrders {
			for _, fli := range fo.LineItems {
				if fli.LineItemID == li.ID && (fo.Status == "OPEN" || fo.Status == "IN_PROGRESS") {
					fulfillable += fli.Remaining
				}
			}
		}
		items = append(items, map[string]any{
			"id": restID(li.ID), "admin_graphql_api_id": li.ID, "name": li.Name, "title": li.Name, "sku": optional(li.SKU),
			"quantity": li.Quantity, "current_quantity": li.CurrentQuantity(), "fulfillable_quantity": fulfillable,
			"requires_shipping": !li.NoShipping,
		})
	}
	p["line_items"] = items
	body, err := json.Marshal(p)
	if err != nil {
		return nil, false
	}
	return body, true
}

// SendOrderWebhook delivers topic (orders/updated, orders/cancelled…) about
// the shop's order to url, as Shopify does after the order changed: the
// order's payload (OrderPayload) signed, with fresh webhook and event ids (see
// NewWebhookRequest). It returns the receiver's HTTP status; 0 and no error
// when the order does not exist.
func (srv *Server) SendOrderWebhook(ctx context.Context, url string, shop *Shop, topic, orderID string) (int, error) {
	body, ok := shop.OrderPayload(orderID)
	if !ok {
		return 0, nil
	}
	return srv.SendWebhook(ctx, url, shop.Domain(), topic, body)
}

// restID is the number a REST payload gives for a global id
// (gid://shopify/Order/123 → 123).
func restID(gid string) int64 {
	n, _ := strconv.ParseInt(gid[strings.LastIndex(gid, "/")+1:], 10, 64)
	return n
}

// restTime writes a time as Shopify's REST payloads do (RFC 3339, seconds).
func restTime(t time.Time) string { return t.Format(time.RFC3339) }

func firstOf(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
