package shopify

import (
	"context"
	"errors"
	"net/url"
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

// Fulfill marks the order fulfilled in Shopify: for every location with
// fulfillment orders still open (OPEN or IN_PROGRESS) that Shopify lets the
// app fulfill, one fulfillment of all their remaining line items (Shopify
// refuses fulfillment orders of two locations in one fulfillmentCreate),
// notifying the customer if asked, with the tracking number and link when
// there is one.
//
// It reads the order's state before changing anything, so it is idempotent
// whatever the key: a location with nothing left open (fulfilled by an earlier
// try whose answer was lost, or by the merchant, or cancelled) is skipped, and
// an order with nothing left open anywhere is success with nothing created.
// Shopify's fulfillmentCreate takes no idempotency key.
//
// When some locations are fulfilled and another is refused, the error says
// which were fulfilled and why the others were not (a retry fulfills only
// those left).
//
// Errors: Forbidden (no store linked, access revoked, a scope missing, or the
// order is of another shop); NotFound when the order is gone; Conflict when
// part of the order is on hold or scheduled in Shopify (the rest is fulfilled;
// a retry after the merchant releases it fulfills that part), or when Shopify
// refuses the fulfillment for the order's state, and Invalid for other
// refusals (with Shopify's message); Unavailable.
func (a *Adapter) Fulfill(ctx context.Context, client connect.Scope, p connect.FulfillParams) error {
	s, err := a.orderSession(ctx, client, p.Order)
	if err != nil {
		return err
	}
	var fos *FulfillmentOrdersResponse
	err = s.do(ctx, func() (err error) {
		fos, err = FulfillmentOrders(ctx, s.gql, p.Order.OrderID, maxFulfillmentOrders)
		return err
	})
	if err != nil {
		return wholeAnswer(err)
	}
	if fos.Order == nil {
		return s.gone(p.Order.OrderID)
	}
	groups, held := openByLocation(fos.Order.FulfillmentOrders.Nodes)
	if len(groups) == 0 {
		if held > 0 {
			return heldError(p.Order.OrderID, held)
		}
		a.log.InfoContext(ctx, "shopify: nothing left to fulfil", "shop", s.shop, "order", p.Order.OrderID,
			"status", fos.Order.DisplayFulfillmentStatus, "key", p.Key)
		return nil
	}
	var done []string
	for _, g := range groups {
		in := FulfillmentInput{LineItemsByFulfillmentOrder: g.orders, NotifyCustomer: p.NotifyCustomer}
		if p.TrackingURL != "" {
			in.TrackingInfo = &FulfillmentTrackingInput{Url: p.TrackingURL, Number: trackingNumber(p), Company: a.cfg.TrackingCompany}
		}
		var created *FulfillmentCreateResponse
		err = s.do(ctx, func() (err error) {
			created, err = FulfillmentCreate(ctx, s.gql, in, "")
			return err
		})
		if err == nil {
			err = userErrors(p.Order.OrderID, created.FulfillmentCreate.UserErrors)
		}
		if err != nil {
			return partlyFulfilled(wholeAnswer(err), done, g.name)
		}
		id := ""
		if f := created.FulfillmentCreate.Fulfillment; f != nil {
			id = f.Id
		}
		done = append(done, g.name)
		a.log.InfoContext(ctx, "shopify: order fulfilled at a location", "shop", s.shop, "order", p.Order.OrderID,
			"location", g.name, "fulfillment", id, "notify", p.NotifyCustomer, "key", p.Key)
	}
	if held > 0 {
		return heldError(p.Order.OrderID, held)
	}
	return nil
}

// locationGroup is the open fulfillment orders of one location.
type locationGroup struct {
	key, name string
	orders    []FulfillmentOrderLineItemsInput
}

// openByLocation groups the fulfillment orders the app may fulfill now by their
// assigned location, in the order Shopify listed them, and counts those on
// hold or scheduled.
func openByLocation(fos []FulfillmentOrder) (groups []*locationGroup, held int) {
	byKey := map[string]*locationGroup{}
	for _, fo := range fos {
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
		key := "name:" + fo.AssignedLocation.Name
		if l := fo.AssignedLocation.Location; l != nil && l.Id != "" {
			key = l.Id
		}
		g := byKey[key]
		if g == nil {
			g = &locationGroup{key: key, name: fo.AssignedLocation.Name}
			if g.name == "" {
				g.name = key
			}
			byKey[key] = g
			groups = append(groups, g)
		}
		g.orders = append(g.orders, FulfillmentOrderLineItemsInput{FulfillmentOrderId: fo.Id})
	}
	return groups, held
}

// partlyFulfilled adds to the error of a location's fulfillment the locations
// fulfilled before it, keeping its code: the client sees what Shopify has.
func partlyFulfilled(err error, done []string, failed string) error {
	if len(done) == 0 {
		return err
	}
	e := connect.Errorf(connect.ErrorCode(err), "shopify: fulfilled at %s; not at %s: %s", strings.Join(done, ", "), failed, strings.TrimPrefix(errMessage(err), "shopify: "))
	e.Err = err
	return e
}

// errMessage is the message of a library error, or the error's text.
func errMessage(err error) string {
	var e *connect.Error
	if errors.As(err, &e) {
		return e.Message
	}
	return err.Error()
}

// heldError says that part of an order waits in Shopify: a try once the
// merchant releases it fulfills the rest.
func heldError(order string, held int) error {
	return connect.Errorf(connect.Conflict, "shopify: order %s: %d fulfillment order(s) on hold or scheduled in Shopify; they are fulfilled once the merchant releases them", order, held)
}

// FulfillmentEvent posts the order's delivery progress (out for delivery,
// delivered, attempted delivery) on every fulfillment of the order, one per
// location it was fulfilled from, with the estimated delivery time when
// known, so the shopper sees it on Shopify's order status page whichever
// parcel they look at.
//
// It is idempotent: a fulfillment whose latest event is this progress already
// has it, and is not posted again. (A repeat of a status after another, such
// as out for delivery again after a failed attempt, is posted.) When it is
// posted on some fulfillments and refused on another, the error says which.
//
// Errors as [Adapter.Fulfill]; Conflict when the order has no fulfillment yet
// (the fulfillment is still to be delivered: retry later); Invalid for an
// unknown status.
func (a *Adapter) FulfillmentEvent(ctx context.Context, client connect.Scope, p connect.FulfillmentEventParams) error {
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
		return s.gone(p.Order.OrderID)
	}
	var active []OrderFulfillment
	for _, f := range fs.Order.Fulfillments {
		if f.Status == FulfillmentStatusSuccess || f.Status == FulfillmentStatusOpen || f.Status == FulfillmentStatusPending {
			active = append(active, f)
		}
	}
	if len(active) == 0 {
		return connect.Errorf(connect.Conflict, "shopify: order %s has no fulfillment in %s to post delivery progress on yet", p.Order.OrderID, s.shop)
	}
	var posted []string
	for _, f := range active {
		if ev := f.Events.Nodes; len(ev) > 0 && ev[0].Status == status {
			a.log.InfoContext(ctx, "shopify: delivery progress already posted", "shop", s.shop, "order", p.Order.OrderID,
				"fulfillment", f.Id, "status", status, "key", p.Key)
			continue
		}
		now := a.now()
		in := FulfillmentEventInput{FulfillmentId: f.Id, Status: status, HappenedAt: &now}
		if !p.ETA.IsZero() && p.Status != connect.FulfillmentDelivered {
			eta := p.ETA
			in.EstimatedDeliveryAt = &eta
		}
		var created *FulfillmentEventCreateResponse
		err = s.do(ctx, func() (err error) {
			created, err = FulfillmentEventCreate(ctx, s.gql, in)
			return err
		})
		if err == nil {
			err = userErrors(p.Order.OrderID, created.FulfillmentEventCreate.UserErrors)
		}
		if err != nil {
			err = wholeAnswer(err)
			if len(posted) == 0 {
				return err
			}
			e := connect.Errorf(connect.ErrorCode(err), "shopify: order %s: progress posted on %d of %d fulfillments; not on %s: %s",
				p.Order.OrderID, len(posted), len(active), f.Id, strings.TrimPrefix(errMessage(err), "shopify: "))
			e.Err = err
			return e
		}
		posted = append(posted, f.Id)
		a.log.InfoContext(ctx, "shopify: delivery progress posted", "shop", s.shop, "order", p.Order.OrderID,
			"fulfillment", f.Id, "status", status, "key", p.Key)
	}
	return nil
}

// trackingNumber is the number a fulfillment's tracking link is filed under
// in Shopify: the link's last path segment (the tracking link's id), which
// Shopify shows beside the link.
func trackingNumber(p connect.FulfillParams) string {
	u, err := url.Parse(p.TrackingURL)
	if err != nil {
		return ""
	}
	path := strings.TrimRight(u.Path, "/")
	return path[strings.LastIndexByte(path, '/')+1:]
}

// eventStatus is the Shopify event status of each progress connect posts.
var eventStatus = map[connect.FulfillmentStatus]FulfillmentEventStatus{
	connect.FulfillmentOutForDelivery:    FulfillmentEventStatusOutForDelivery,
	connect.FulfillmentDelivered:         FulfillmentEventStatusDelivered,
	connect.FulfillmentAttemptedDelivery: FulfillmentEventStatusAttemptedDelivery,
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
