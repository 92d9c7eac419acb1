package connect

import "slices"

// Status is where an order is in its lifecycle.
type Status string

// The statuses, in lifecycle order.
const (
	StatusDraft     Status = "draft"     // the client is still working on it
	StatusSubmitted Status = "submitted" // in the dispatcher's unassigned stops
	StatusScheduled Status = "scheduled" // on a route that has not started
	StatusEnRoute   Status = "en_route"  // the route started; ETA known
	StatusDelivered Status = "delivered" // completed, with proof of delivery
	StatusFailed    Status = "failed"    // attempted and failed, with a reason
	StatusCancelled Status = "cancelled" // cancelled by the dispatcher
)

// Statuses lists every status in lifecycle order.
func Statuses() []Status {
	return []Status{StatusDraft, StatusSubmitted, StatusScheduled, StatusEnRoute,
		StatusDelivered, StatusFailed, StatusCancelled}
}

// Valid reports whether s is a known status.
func (s Status) Valid() bool { return slices.Contains(Statuses(), s) }

// Final reports whether nothing can follow s but a retry.
func (s Status) Final() bool {
	return s == StatusDelivered || s == StatusFailed || s == StatusCancelled
}

// InStopList reports whether an order at s belongs in the host's stop list (see
// RouteSync): from its submission on, unless it went back to a draft (withdrawn)
// or was cancelled.
func (s Status) InStopList() bool { return s != StatusDraft && s != StatusCancelled }

// View groups statuses the way the portal's tabs do.
type View string

// The portal's order views.
const (
	ViewDrafts    View = "drafts"    // draft
	ViewActive    View = "active"    // submitted, scheduled, en route
	ViewCompleted View = "completed" // delivered, failed, cancelled
)

// Statuses returns the statuses a view shows, or nil for an unknown view.
func (v View) Statuses() []Status {
	switch v {
	case ViewDrafts:
		return []Status{StatusDraft}
	case ViewActive:
		return []Status{StatusSubmitted, StatusScheduled, StatusEnRoute}
	case ViewCompleted:
		return []Status{StatusDelivered, StatusFailed, StatusCancelled}
	}
	return nil
}

// Event is something that happens to an order and may change its status.
type Event string

// The events of the lifecycle.
const (
	EventSubmit     Event = "submit"     // client: draft → submitted
	EventWithdraw   Event = "withdraw"   // client (or Shopify, for an order cancelled there): submitted → draft, only off a route
	EventSchedule   Event = "schedule"   // host: added to a route
	EventUnschedule Event = "unschedule" // host: removed from its route
	EventStart      Event = "start"      // host: the driver started the route (ETA)
	EventETA        Event = "eta"        // host: the ETA moved
	EventComplete   Event = "complete"   // host: delivered, with proof
	EventFail       Event = "fail"       // host: attempted and failed, with a reason
	EventRetry      Event = "retry"      // dispatcher or host: a failed order goes back to the stops list
	EventCancel     Event = "cancel"     // dispatcher: the account will not deliver it
)

// The events an order's history records that are not transitions: they have no row
// in the lifecycle table and change no status.
const (
	EventCreate    Event = "create"     // the order was created (imported, added by hand, or a dispatcher's stop)
	EventMoveDepot Event = "move_depot" // the dispatcher moved a submitted order to another depot
	// EventShopifyUpdate: the draft was imported again from its Shopify order,
	// which changed in Shopify; the reason names the fields that changed.
	EventShopifyUpdate Event = "shopify_update"
	// EventShopifyChange: the Shopify order changed after the order was
	// submitted; the order was left as submitted (the reason says what changed).
	EventShopifyChange Event = "shopify_change"
	// EventShopifyCancel: the Shopify order was cancelled while the order was on
	// a route (or failed); the order was left as it is, for the dispatcher to
	// decide.
	EventShopifyCancel Event = "shopify_cancel"
	// EventShopifyFulfilled: Shopify took the order's fulfillment; the reason
	// says whether the customer was notified.
	EventShopifyFulfilled Event = "shopify_fulfilled"
	// EventShopifyProgress: Shopify took a delivery progress event (out for
	// delivery, delivered, attempted delivery: the reason).
	EventShopifyProgress Event = "shopify_progress"
	// EventShopifyFailed: Shopify refused the fulfillment (or a progress event)
	// until the retries ran out; the reason says why.
	EventShopifyFailed Event = "shopify_failed"
)

// Events lists every event of the lifecycle (those with a row in its table).
func Events() []Event {
	return []Event{EventSubmit, EventWithdraw, EventSchedule, EventUnschedule, EventStart,
		EventETA, EventComplete, EventFail, EventRetry, EventCancel}
}

// transition is one row of the lifecycle table.
type transition struct {
	from []Status
	to   Status
	by   []ActorKind
}

// transitions is the lifecycle: the one place that says what may follow what, and who
// may make it happen. A status change elsewhere in the code goes through this table.
var transitions = map[Event]transition{
	EventSubmit:     {from: []Status{StatusDraft}, to: StatusSubmitted, by: []ActorKind{ActorMember}},
	EventWithdraw:   {from: []Status{StatusSubmitted}, to: StatusDraft, by: []ActorKind{ActorMember, ActorShopify}},
	EventSchedule:   {from: []Status{StatusSubmitted}, to: StatusScheduled, by: []ActorKind{ActorRouteSync}},
	EventUnschedule: {from: []Status{StatusScheduled, StatusEnRoute}, to: StatusSubmitted, by: []ActorKind{ActorRouteSync}},
	EventStart:      {from: []Status{StatusScheduled}, to: StatusEnRoute, by: []ActorKind{ActorRouteSync}},
	EventETA:        {from: []Status{StatusEnRoute}, to: StatusEnRoute, by: []ActorKind{ActorRouteSync}},
	EventComplete:   {from: []Status{StatusScheduled, StatusEnRoute}, to: StatusDelivered, by: []ActorKind{ActorRouteSync}},
	EventFail:       {from: []Status{StatusScheduled, StatusEnRoute}, to: StatusFailed, by: []ActorKind{ActorRouteSync}},
	EventRetry:      {from: []Status{StatusFailed}, to: StatusSubmitted, by: []ActorKind{ActorDispatcher, ActorRouteSync}},
	EventCancel:     {from: []Status{StatusSubmitted, StatusScheduled, StatusFailed}, to: StatusCancelled, by: []ActorKind{ActorDispatcher}},
}

// Next returns the status that event e leads to from status s when fired by an actor
// of kind k. Errors: ErrInvalid for an unknown event; ErrForbidden when k may not fire
// e; ErrConflict, naming the current status, when e cannot happen from s.
func Next(s Status, e Event, k ActorKind) (Status, error) {
	t, ok := transitions[e]
	if !ok {
		return "", Errorf(Invalid, "unknown order event %q", e)
	}
	if !slices.Contains(t.by, k) {
		return "", Errorf(Forbidden, "a %s cannot %s an order", k, e)
	}
	if !slices.Contains(t.from, s) {
		return "", Errorf(Conflict, "cannot %s an order that is %s", e, s.Label())
	}
	return t.to, nil
}

// Label returns the status as people read it.
func (s Status) Label() string {
	switch s {
	case StatusEnRoute:
		return "en route"
	case "":
		return "unknown"
	}
	return string(s)
}
