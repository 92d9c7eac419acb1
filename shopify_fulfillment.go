package connect

import (
	"context"
	"strings"
	"time"
)

// ShopifyFulfillment is Shopify's side of an order imported from Shopify, as
// the outbox delivered it (or failed to), kept in the order's history
// (EventShopifyFulfilled, EventShopifyProgress, EventShopifyFailed) and, while
// a delivery is still to come, its outbox entry: whether the order was fulfilled in
// Shopify and when, whether Shopify was asked to notify the customer, the last
// delivery progress Shopify took (fulfill-on-start mode), or why the last try
// failed. Service.Order fills it in for orders from Shopify.
type ShopifyFulfillment struct {
	State ShopifyFulfillmentState `json:"state"`
	// NotifyCustomer is whether Shopify is (or was) asked to tell the customer:
	// the client's setting when the fulfillment was asked for.
	NotifyCustomer bool      `json:"notify_customer"`
	FulfilledAt    time.Time `json:"fulfilled_at,omitzero"` // when Shopify took the fulfillment; zero until then
	// Progress is the last delivery progress Shopify took ("" none), and
	// ProgressAt when.
	Progress   FulfillmentStatus `json:"progress,omitempty"`
	ProgressAt time.Time         `json:"progress_at,omitzero"`
	// Error is why the last failed try failed: of the fulfillment, else of a
	// progress event; Retrying says whether it will be tried again.
	Error    string `json:"error,omitempty"`
	Retrying bool   `json:"retrying"`
}

// ShopifyFulfillmentState is where an order's fulfillment in Shopify is.
type ShopifyFulfillmentState string

// The fulfillment states.
const (
	// ShopifyNotFulfilled: nothing was asked of Shopify (yet): automatic
	// fulfillment is off, or the order is not delivered (or on its route, in
	// fulfill-on-start mode).
	ShopifyNotFulfilled   ShopifyFulfillmentState = ""
	ShopifyFulfillPending ShopifyFulfillmentState = "pending"   // to be sent; again when Error is set
	ShopifyFulfilled      ShopifyFulfillmentState = "fulfilled" // Shopify took it
	ShopifyFulfillFailed  ShopifyFulfillmentState = "failed"    // retries ran out: Error says why
)

// The reasons of the Shopify outcome events, as the timeline shows them and
// shopifyFulfillment reads them back.
const (
	reasonNotified    = "the customer was notified by Shopify"
	reasonNotNotified = "the customer was not notified"
	reasonProgress    = "delivery progress posted in Shopify: "
	reasonFulfillFail = "fulfilment: "
	reasonEventFail   = "delivery progress: "
)

// progressText is a delivery progress as people read it.
func progressText(p FulfillmentStatus) string { return strings.ReplaceAll(string(p), "_", " ") }

// shopifyOutcome is the history event recording a delivery to Shopify that
// is over (done, or dead): the outbox deletes delivered entries after a few
// days, the order's history keeps them. ok is false for an entry that is not
// Shopify's or not over.
func shopifyOutcome(e OutboxEntry, state OutboxState, lastError string) (ev Event, reason string, ok bool) {
	switch {
	case e.Kind == OutboxFulfill && state == OutboxDone && e.NotifyCustomer:
		return EventShopifyFulfilled, reasonNotified, true
	case e.Kind == OutboxFulfill && state == OutboxDone:
		return EventShopifyFulfilled, reasonNotNotified, true
	case e.Kind == OutboxFulfillmentEvent && state == OutboxDone:
		return EventShopifyProgress, reasonProgress + progressText(fulfillmentStatus(e.Event)), true
	case e.Kind == OutboxFulfill && state == OutboxDead:
		return EventShopifyFailed, reasonFulfillFail + lastError, true
	case e.Kind == OutboxFulfillmentEvent && state == OutboxDead:
		return EventShopifyFailed, reasonEventFail + lastError, true
	}
	return "", "", false
}

// recordShopifyOutcome appends the outcome of a finished Shopify delivery to
// the order's history (a compare-and-set, tried again if the order moved on
// meanwhile). A failure is logged: the delivery itself is done.
func (s *Service) recordShopifyOutcome(ctx context.Context, e OutboxEntry, fin FinishOutboxParams) {
	ev, reason, ok := shopifyOutcome(e, fin.State, fin.LastError)
	if !ok {
		return
	}
	scope := Scope{Account: e.Account, Client: e.Client}
	var err error
	for range 3 {
		var o *Order
		if o, err = s.store.Order(ctx, scope, e.Order); err != nil {
			break
		}
		version := o.Version
		o.UpdatedAt = fin.Now
		rec := OrderEvent{Order: o.ID, Account: o.Account, Client: o.Client, Event: ev, From: o.Status, To: o.Status,
			At: fin.Now, By: AsShopifyWebhook().String(), ETA: o.ETA, Reason: reason}
		err = s.store.SetStatuses(ctx, scope, []SetStatusParams{{From: o.Status, Version: version, Order: o, Events: []OrderEvent{rec}}})
		if !isConflict(err) {
			break
		}
	}
	if err != nil {
		s.log.ErrorContext(ctx, "outbox: recording a Shopify outcome in the order's history failed", "key", e.Key, "event", ev, "err", err)
		return
	}
	s.committed(scope)
}

// shopifyFulfillment reads an order's history (the Shopify deliveries that are
// over) and its outbox entries (those still to come, oldest first) as
// Shopify's side of it: ShopifyNotFulfilled when nothing was asked of Shopify.
func shopifyFulfillment(history []OrderEvent, entries []OutboxEntry) *ShopifyFulfillment {
	f := &ShopifyFulfillment{}
	var fulfillErr, progressErr string
	for _, ev := range history {
		switch ev.Event {
		case EventShopifyFulfilled:
			f.State, f.FulfilledAt, f.NotifyCustomer, fulfillErr = ShopifyFulfilled, ev.At, ev.Reason == reasonNotified, ""
		case EventShopifyProgress:
			f.ProgressAt, progressErr = ev.At, ""
			for _, p := range []FulfillmentStatus{FulfillmentOutForDelivery, FulfillmentDelivered, FulfillmentAttemptedDelivery} {
				if ev.Reason == reasonProgress+progressText(p) {
					f.Progress = p
				}
			}
		case EventShopifyFailed:
			if msg, ok := strings.CutPrefix(ev.Reason, reasonFulfillFail); ok {
				if f.State != ShopifyFulfilled {
					f.State, fulfillErr = ShopifyFulfillFailed, msg
				}
			} else {
				progressErr = strings.TrimPrefix(ev.Reason, reasonEventFail)
			}
		}
	}
	var fulfillRetry, progressRetry bool
	for _, e := range entries {
		if e.State != OutboxPending {
			continue // over: the history has it
		}
		switch e.Kind {
		case OutboxFulfill:
			if f.State == ShopifyFulfilled {
				continue
			}
			f.State, f.NotifyCustomer = ShopifyFulfillPending, e.NotifyCustomer
			fulfillErr, fulfillRetry = e.LastError, e.LastError != ""
		case OutboxFulfillmentEvent:
			if e.LastError != "" {
				progressErr, progressRetry = e.LastError, true
			}
		}
	}
	switch {
	case fulfillErr != "":
		f.Error, f.Retrying = fulfillErr, fulfillRetry
	case progressErr != "":
		f.Error, f.Retrying = "delivery progress: "+progressErr, progressRetry
	}
	return f
}
