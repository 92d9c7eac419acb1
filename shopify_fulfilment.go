package connect

import (
	"context"
	"strings"
	"time"
)

// ShopifyFulfilment is Shopify's side of an order imported from Shopify, as
// the outbox delivered it (or failed to), kept in the order's history
// (EventShopifyFulfilled, EventShopifyProgress, EventShopifyFailed) and, while
// a delivery is still to come, its outbox entry: whether the order was fulfilled in
// Shopify and when, whether Shopify was asked to notify the customer, the last
// delivery progress Shopify took (fulfil-on-start mode), or why the last try
// failed. Service.Order fills it in for orders from Shopify.
type ShopifyFulfilment struct {
	State ShopifyFulfilmentState
	// NotifyCustomer is whether Shopify is (or was) asked to tell the customer:
	// the client's setting when the fulfilment was asked for.
	NotifyCustomer bool
	FulfilledAt    time.Time // when Shopify took the fulfilment; zero until then
	// Progress is the last delivery progress Shopify took ("" none), and
	// ProgressAt when.
	Progress   FulfilmentStatus
	ProgressAt time.Time
	// Error is why the last failed try failed: of the fulfilment, else of a
	// progress event; Retrying says whether it will be tried again.
	Error    string
	Retrying bool
}

// ShopifyFulfilmentState is where an order's fulfilment in Shopify is.
type ShopifyFulfilmentState string

// The fulfilment states.
const (
	// ShopifyNotFulfilled: nothing was asked of Shopify (yet): automatic
	// fulfilment is off, or the order is not delivered (or on its route, in
	// fulfil-on-start mode).
	ShopifyNotFulfilled  ShopifyFulfilmentState = ""
	ShopifyFulfilPending ShopifyFulfilmentState = "pending"   // to be sent; again when Error is set
	ShopifyFulfilled     ShopifyFulfilmentState = "fulfilled" // Shopify took it
	ShopifyFulfilFailed  ShopifyFulfilmentState = "failed"    // retries ran out: Error says why
)

// The reasons of the Shopify outcome events, as the timeline shows them and
// shopifyFulfilment reads them back.
const (
	reasonNotified    = "the customer was notified by Shopify"
	reasonNotNotified = "the customer was not notified"
	reasonProgress    = "delivery progress posted in Shopify: "
	reasonFulfilFail  = "fulfilment: "
	reasonEventFail   = "delivery progress: "
)

// progressText is a delivery progress as people read it.
func progressText(p FulfilmentStatus) string { return strings.ReplaceAll(string(p), "_", " ") }

// shopifyOutcome is the history event recording a delivery to Shopify that
// is over (done, or dead): the outbox deletes delivered entries after a few
// days, the order's history keeps them. ok is false for an entry that is not
// Shopify's or not over.
func shopifyOutcome(e OutboxEntry, state OutboxState, lastError string) (ev Event, reason string, ok bool) {
	switch {
	case e.Kind == OutboxFulfil && state == OutboxDone && e.NotifyCustomer:
		return EventShopifyFulfilled, reasonNotified, true
	case e.Kind == OutboxFulfil && state == OutboxDone:
		return EventShopifyFulfilled, reasonNotNotified, true
	case e.Kind == OutboxFulfilmentEvent && state == OutboxDone:
		return EventShopifyProgress, reasonProgress + progressText(fulfilmentStatus(e.Event)), true
	case e.Kind == OutboxFulfil && state == OutboxDead:
		return EventShopifyFailed, reasonFulfilFail + lastError, true
	case e.Kind == OutboxFulfilmentEvent && state == OutboxDead:
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

// shopifyFulfilment reads an order's history (the Shopify deliveries that are
// over) and its outbox entries (those still to come, oldest first) as
// Shopify's side of it: ShopifyNotFulfilled when nothing was asked of Shopify.
func shopifyFulfilment(history []OrderEvent, entries []OutboxEntry) *ShopifyFulfilment {
	f := &ShopifyFulfilment{}
	var fulfilErr, progressErr string
	for _, ev := range history {
		switch ev.Event {
		case EventShopifyFulfilled:
			f.State, f.FulfilledAt, f.NotifyCustomer, fulfilErr = ShopifyFulfilled, ev.At, ev.Reason == reasonNotified, ""
		case EventShopifyProgress:
			f.ProgressAt, progressErr = ev.At, ""
			for _, p := range []FulfilmentStatus{FulfilmentOutForDelivery, FulfilmentDelivered, FulfilmentAttemptedDelivery} {
				if ev.Reason == reasonProgress+progressText(p) {
					f.Progress = p
				}
			}
		case EventShopifyFailed:
			if msg, ok := strings.CutPrefix(ev.Reason, reasonFulfilFail); ok {
				if f.State != ShopifyFulfilled {
					f.State, fulfilErr = ShopifyFulfilFailed, msg
				}
			} else {
				progressErr = strings.TrimPrefix(ev.Reason, reasonEventFail)
			}
		}
	}
	var fulfilRetry, progressRetry bool
	for _, e := range entries {
		if e.State != OutboxPending {
			continue // over: the history has it
		}
		switch e.Kind {
		case OutboxFulfil:
			if f.State == ShopifyFulfilled {
				continue
			}
			f.State, f.NotifyCustomer = ShopifyFulfilPending, e.NotifyCustomer
			fulfilErr, fulfilRetry = e.LastError, e.LastError != ""
		case OutboxFulfilmentEvent:
			if e.LastError != "" {
				progressErr, progressRetry = e.LastError, true
			}
		}
	}
	switch {
	case fulfilErr != "":
		f.Error, f.Retrying = fulfilErr, fulfilRetry
	case progressErr != "":
		f.Error, f.Retrying = "delivery progress: "+progressErr, progressRetry
	}
	return f
}
