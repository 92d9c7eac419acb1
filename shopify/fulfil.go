package shopify

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/dispatchkit/connect"
)

// maxFulfillmentOrders bounds how many fulfillment orders (one per location
// and delivery method) of an order are read: far more than an order has.
const maxFulfillmentOrders = 50

// maxFulfillments bounds how many fulfillments of an order are read to find
// the one to post progress on.
const maxFulfillments = 50

// Fulfil marks the order fulfilled in Shopify: one fulfillment for every
// fulfillment order still open (OPEN or IN_PROGRESS) that Shopify lets the
// app fulfil, with all their remaining line items, notifying the customer if
// asked, with the tracking link when there is one.
//
// It reads the order's state before changing anything, so it is idempotent
// whatever the key: an order with nothing left open (fulfilled by an earlier
// try whose answer was lost, or by the merchant, or cancelled) is success and
// nothing is created. Shopify's fulfillmentCreate takes no idempotency key.
//
// Errors: Forbidden (no store linked, access revoked, or the order is of
// another shop); NotFound when the order is gone; Conflict when part of the
// order is on hold or scheduled in Shopify (the rest is fulfilled; a retry
// after the merchant releases it fulfils that part), or when Shopify refuses
// the fulfillment for the order's state, and Invalid for other refusals (with
// Shopify's message); Unavailable.
func (a *Adapter) Fulfil(ctx context.Context, client connect.Scope, p connect.FulfilParams) error {
	s, err := a.orderSession(ctx, client, p.Order)
	if err != nil {
		return err
	}
	var fos *FulfillmentOrdersResponse
	err = s.do(ctx, func() (err error) {
		fos, err = FulfillmentOrders(ctx, s.gql, p.Order.OrderID, maxFulfillmentOrders, 0)
		return err
	})
	if err != nil {
		return wholeAnswer(err)
	}
	if fos.Order == nil {
		return connect.Errorf(connect.NotFound, "shopify: order %s is no longer in %s", p.Order.OrderID, s.shop)
	}
	var open []FulfillmentOrderLineItemsInput
	held := 0
	for _, fo := range fos.Order.FulfillmentOrders.Nodes {
		if fo.Status == FulfillmentOrderStatusOnHold || fo.Status == FulfillmentOrderStatusScheduled {
			held++
			continue
		}
		if fo.Status != FulfillmentOrderStatusOpen && fo.Status != FulfillmentOrderStatusInProgress {
			continue
		}
		if !slices.ContainsFunc(fo.SupportedActions, func(sa FulfillmentOrderSupportedAction) bool {
			return sa.Action == FulfillmentOrderActionCreateFulfillment
		}) {
			continue
		}
		open = append(open, FulfillmentOrderLineItemsInput{FulfillmentOrderId: fo.Id})
	}
	if len(open) == 0 {
		if held > 0 {
			return heldError(p.Order.OrderID, held)
		}
		a.log.InfoContext(ctx, "shopify: nothing left to fulfil", "shop", s.shop, "order", p.Order.OrderID,
			"status", fos.Order.DisplayFulfillmentStatus, "key", p.Key)
		return nil
	}
	in := FulfillmentInput{LineItemsByFulfillmentOrder: open, NotifyCustomer: p.NotifyCustomer}
	if p.TrackingURL != "" {
		in.TrackingInfo = &FulfillmentTrackingInput{Url: p.TrackingURL, Company: a.cfg.TrackingCompany}
	}
	var created *FulfillmentCreateResponse
	err = s.do(ctx, func() (err error) {
		created, err = FulfillmentCreate(ctx, s.gql, in, "")
		return err
	})
	if err != nil {
		return wholeAnswer(err)
	}
	if err := userErrors(p.Order.OrderID, created.FulfillmentCreate.UserErrors); err != nil {
		return err
	}
	id := ""
	if f := created.FulfillmentCreate.Fulfillment; f != nil {
		id = f.Id
	}
	a.log.InfoContext(ctx, "shopify: order fulfilled", "shop", s.shop, "order", p.Order.OrderID,
		"fulfillment", id, "notify", p.NotifyCustomer, "key", p.Key)
	if held > 0 {
		return heldError(p.Order.OrderID, held)
	}
	return nil
}

// heldError says that part of an order waits in Shopify: a try once the
// merchant releases it fulfils the rest.
func heldError(order string, held int) error {
	return connect.Errorf(connect.Conflict, "shopify: order %s: %d fulfillment order(s) on hold or scheduled in Shopify; they are fulfilled once the merchant releases them", order, held)
}

// FulfilmentEvent posts the order's delivery progress on its latest
// fulfillment (out for delivery, delivered, attempted delivery), with the
// estimated delivery time when known, so the shopper sees it on Shopify's
// order status page.
//
// It is idempotent: progress equal to the fulfillment's latest event is
// already there, and is not posted again. (A repeat of a status after another,
// such as out for delivery again after a failed attempt, is posted.)
//
// Errors as [Adapter.Fulfil]; Conflict when the order has no fulfillment yet
// (the fulfilment is still to be delivered: retry later); Invalid for an
// unknown status.
func (a *Adapter) FulfilmentEvent(ctx context.Context, client connect.Scope, p connect.FulfilmentEventParams) error {
	status, ok := eventStatus[p.Status]
	if !ok {
		return connect.Errorf(connect.Invalid, "shopify: unknown fulfilment status %q", p.Status)
	}
	s, err := a.orderSession(ctx, client, p.Order)
	if err != nil {
		return err
	}
	var fs *OrderFulfillmentsResponse
	err = s.do(ctx, func() (err error) {
		fs, err = OrderFulfillments(ctx, s.gql, p.Order.OrderID, maxFulfillments)
		return err
	})
	if err != nil {
		return wholeAnswer(err)
	}
	if fs.Order == nil {
		return connect.Errorf(connect.NotFound, "shopify: order %s is no longer in %s", p.Order.OrderID, s.shop)
	}
	var latest *OrderFulfillment
	for i, f := range fs.Order.Fulfillments {
		if f.Status != FulfillmentStatusSuccess && f.Status != FulfillmentStatusOpen && f.Status != FulfillmentStatusPending {
			continue
		}
		if latest == nil || !f.CreatedAt.Before(latest.CreatedAt) {
			latest = &fs.Order.Fulfillments[i]
		}
	}
	if latest == nil {
		return connect.Errorf(connect.Conflict, "shopify: order %s has no fulfillment in %s to post delivery progress on yet", p.Order.OrderID, s.shop)
	}
	if ev := latest.Events.Nodes; len(ev) > 0 && ev[0].Status == status {
		a.log.InfoContext(ctx, "shopify: delivery progress already posted", "shop", s.shop, "order", p.Order.OrderID, "status", status, "key", p.Key)
		return nil
	}
	now := a.now()
	in := FulfillmentEventInput{FulfillmentId: latest.Id, Status: status, HappenedAt: &now}
	if !p.ETA.IsZero() && p.Status != connect.FulfilmentDelivered {
		eta := p.ETA
		in.EstimatedDeliveryAt = &eta
	}
	var created *FulfillmentEventCreateResponse
	err = s.do(ctx, func() (err error) {
		created, err = FulfillmentEventCreate(ctx, s.gql, in)
		return err
	})
	if err != nil {
		return wholeAnswer(err)
	}
	if err := userErrors(p.Order.OrderID, created.FulfillmentEventCreate.UserErrors); err != nil {
		return err
	}
	a.log.InfoContext(ctx, "shopify: delivery progress posted", "shop", s.shop, "order", p.Order.OrderID, "status", status, "key", p.Key)
	return nil
}

// eventStatus is the Shopify event status of each progress connect posts.
var eventStatus = map[connect.FulfilmentStatus]FulfillmentEventStatus{
	connect.FulfilmentOutForDelivery:    FulfillmentEventStatusOutForDelivery,
	connect.FulfilmentDelivered:         FulfillmentEventStatusDelivered,
	connect.FulfilmentAttemptedDelivery: FulfillmentEventStatusAttemptedDelivery,
}

// orderSession opens the client's session for an order of its shop.
func (a *Adapter) orderSession(ctx context.Context, client connect.Scope, ref connect.ShopifyRef) (*session, error) {
	if !strings.HasPrefix(ref.OrderID, orderGID) {
		return nil, connect.Errorf(connect.Invalid, "shopify: %q is not a Shopify order id", ref.OrderID)
	}
	s, err := a.session(ctx, client)
	if err != nil {
		return nil, err
	}
	if ref.Shop != "" && !strings.EqualFold(ref.Shop, s.shop) {
		return nil, connect.Errorf(connect.Forbidden, "shopify: the order is from %s, but the store linked now is %s", ref.Shop, s.shop)
	}
	return s, nil
}

// userErrors turns a mutation's user errors into one error with Shopify's
// messages: Conflict when the order's state forbids the change (already
// fulfilled, closed, cancelled, on hold), Invalid otherwise.
func userErrors(order string, errs []UserError) error {
	if len(errs) == 0 {
		return nil
	}
	msgs := make([]string, len(errs))
	code := connect.Invalid
	for i, e := range errs {
		msgs[i] = e.Message
		m := strings.ToLower(e.Message)
		for _, w := range []string{"status", "already", "closed", "cancel", "hold", "unfulfillable"} {
			if strings.Contains(m, w) {
				code = connect.Conflict
			}
		}
	}
	return connect.Errorf(code, "shopify: order %s: %s", order, strings.Join(msgs, "; "))
}

// wholeAnswer turns a partial answer, which an operation that needs all of its
// answer cannot use, into an error of the library's.
func wholeAnswer(err error) error {
	var partial *PartialError
	if errors.As(err, &partial) {
		return connect.Errorf(connect.Internal, "shopify: %w", partial)
	}
	return err
}
