package connect

import "time"

// ShopifyFulfilment is Shopify's side of an order imported from Shopify, as
// the outbox delivered it (or failed to): whether the order was fulfilled in
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

// shopifyFulfilment reads an order's outbox entries (oldest first) as
// Shopify's side of it: ShopifyNotFulfilled when none is about Shopify.
func shopifyFulfilment(entries []OutboxEntry) *ShopifyFulfilment {
	var f *ShopifyFulfilment
	var fulfilErr, progressErr string
	var fulfilRetry, progressRetry bool
	for _, e := range entries {
		if e.Kind != OutboxFulfil && e.Kind != OutboxFulfilmentEvent {
			continue
		}
		if f == nil {
			f = &ShopifyFulfilment{}
		}
		switch e.Kind {
		case OutboxFulfil:
			f.NotifyCustomer = e.NotifyCustomer
			fulfilErr, fulfilRetry = "", false
			switch e.State {
			case OutboxDone:
				f.State, f.FulfilledAt = ShopifyFulfilled, e.UpdatedAt
			case OutboxDead:
				f.State, fulfilErr = ShopifyFulfilFailed, e.LastError
			default:
				f.State, fulfilErr, fulfilRetry = ShopifyFulfilPending, e.LastError, e.LastError != ""
			}
		case OutboxFulfilmentEvent:
			switch e.State {
			case OutboxDone:
				f.Progress, f.ProgressAt = fulfilmentStatus(e.Event), e.UpdatedAt
				progressErr, progressRetry = "", false
			case OutboxDead:
				progressErr, progressRetry = e.LastError, false
			default:
				if e.LastError != "" {
					progressErr, progressRetry = e.LastError, true
				}
			}
		}
	}
	if f == nil {
		return &ShopifyFulfilment{}
	}
	if fulfilErr != "" {
		f.Error, f.Retrying = fulfilErr, fulfilRetry
	} else if progressErr != "" {
		f.Error, f.Retrying = "delivery progress: "+progressErr, progressRetry
	}
	return f
}
