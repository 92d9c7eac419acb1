package connect

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"
)

// RouteEvent is something the host reports about a stop on one of its routes.
type RouteEvent struct {
	// ID is the host's id of the event: an event with an ID already applied is a
	// replay and does nothing.
	ID    string  `json:"id"`
	Order OrderID `json:"order"`
	// Event is EventSchedule (added to a route), EventUnschedule (removed),
	// EventStart (the route started; ETA set), EventETA (the ETA moved),
	// EventComplete (delivered, with Proof), EventFail (attempted, with Reason
	// and Proof) or EventRetry (a failed order back to the stops list).
	Event  Event            `json:"event"`
	At     time.Time        `json:"at"`               // when it happened at the host
	Route  RouteStop        `json:"route,omitzero"`   // EventSchedule: the route and position
	ETA    time.Time        `json:"eta,omitzero"`     // EventStart, EventETA
	Reason string           `json:"reason,omitempty"` // EventFail: why
	Proof  *ProofOfDelivery `json:"proof,omitempty"`
}

// RouteEventsResult says what became of a batch of route events.
type RouteEventsResult struct {
	Applied  int `json:"applied"`  // events that changed an order
	Replayed int `json:"replayed"` // events already applied earlier (same ID)
	// Stale counts events that came too late to matter: older than what the order
	// already shows, or leading nowhere from its status (an ETA after delivery).
	// They change nothing: an order never moves backwards.
	Stale int `json:"stale"`
	// Errors lists events refused as malformed or for unknown orders, by event ID.
	Errors []RouteEventError `json:"errors,omitempty"`
}

// RouteEventError is one refused route event.
type RouteEventError struct {
	ID  string
	Err error
}

// MarshalJSON writes the event's id with its error's code and message, as the
// portal's JSON API writes errors: {"id":"e1","code":"not_found","message":"…"}.
func (e RouteEventError) MarshalJSON() ([]byte, error) {
	out := struct {
		ID      string `json:"id"`
		Code    Code   `json:"code"`
		Message string `json:"message"`
	}{ID: e.ID, Code: ErrorCode(e.Err)}
	var ce *Error
	switch {
	case errors.As(e.Err, &ce):
		out.Message = ce.Message
	case e.Err != nil:
		out.Message = e.Err.Error()
	}
	return json.Marshal(out)
}

// hostEvents are the events RouteEvent may carry.
var hostEvents = []Event{EventSchedule, EventUnschedule, EventStart, EventETA, EventComplete, EventFail, EventRetry}

// catchUp lists the forward steps that a later event may imply when an earlier
// one was lost or has not arrived: a route start implies the stop was scheduled.
var catchUp = []Event{EventSchedule, EventStart}

// maxRouteBatch bounds one call, so that one transaction stays short.
const maxRouteBatch = 5000

// ApplyRouteEvents applies a batch of the host's route events in one transaction,
// idempotently: replays do nothing, late and out-of-order events never move an
// order backwards, and a lost intermediate event is implied by a later one (a stop
// completed before the schedule arrived is scheduled, then delivered). Only the
// host's route sync may. Errors: ErrForbidden; ErrInvalid for a batch over 5000
// events. Malformed events and unknown orders are reported in the result, not as
// an error, so that one bad event does not hold back the rest.
func (s *Service) ApplyRouteEvents(ctx context.Context, a Actor, events []RouteEvent) (res *RouteEventsResult, err error) {
	ctx, span := s.tel.start(ctx, "connect.route_events.apply")
	defer func(started time.Time) { s.tel.routeEventsApplied(ctx, span, started, res, err) }(time.Now())
	c, err := s.authorize(ctx, a, actReportRoutes)
	if err != nil {
		return nil, err
	}
	if callerAttrs(span, c); span.IsRecording() {
		span.SetAttributes(AttrRouteEvents.Int(len(events)))
	}
	if len(events) > maxRouteBatch {
		return nil, Errorf(Invalid, "send at most %d route events at once (got %d)", maxRouteBatch, len(events))
	}
	var touched []Scope
	for attempt := 1; ; attempt++ {
		if span.IsRecording() {
			span.SetAttributes(AttrAttempts.Int(attempt))
		}
		res, touched = &RouteEventsResult{}, nil
		err = s.store.Tx(ctx, func(tx Store) error { return s.applyRouteEvents(ctx, tx, c, events, res, &touched) })
		// A client withdrawing an order at the same moment makes the batch lose its
		// compare-and-set; run it again on fresh rows (its host events unrecorded).
		if isConflict(err) && attempt < 3 {
			continue
		}
		break
	}
	if err != nil {
		return nil, err
	}
	s.committed(touched...)
	return res, nil
}

// applyRouteEvents applies a batch in tx, and sets touched to the scopes of the
// orders it changed.
func (s *Service) applyRouteEvents(ctx context.Context, tx Store, c caller, events []RouteEvent, res *RouteEventsResult, touched *[]Scope) error {
	valid := make([]RouteEvent, 0, len(events))
	claims := make([]HostEvent, 0, len(events))
	for _, ev := range events {
		if err := checkRouteEvent(ev); err != nil {
			res.Errors = append(res.Errors, RouteEventError{ID: ev.ID, Err: err})
			continue
		}
		valid = append(valid, ev)
		claims = append(claims, HostEvent{ID: ev.ID, Order: ev.Order})
	}
	// The orders, and which events are not replays, in one round trip. An
	// event for an order this account does not have (not linked yet, or
	// another's) is refused without recording its id: sent again once the
	// order is there, it applies instead of counting as a replay.
	loaded, fresh, err := tx.ClaimHostEvents(ctx, c.scope(), claims)
	if err != nil {
		return err
	}
	type pending struct {
		order   *Order
		from    Status
		version int
		events  []OrderEvent
		outbox  []OutboxEntry
		queued  bool // in changed
		whole   bool // read whole (its changes may be told outside)
	}
	byID := make(map[OrderID]*pending, len(loaded))
	for _, o := range loaded {
		byID[o.ID] = &pending{order: o, from: o.Status, version: o.Version}
	}
	known := valid[:0]
	for _, ev := range valid {
		if byID[ev.Order] == nil {
			res.Errors = append(res.Errors, RouteEventError{ID: ev.ID, Err: Errorf(NotFound, "order %s not found", ev.Order)})
			continue
		}
		known = append(known, ev)
	}
	isFresh := make(map[string]bool, len(fresh))
	for _, id := range fresh {
		isFresh[id] = true
	}
	todo := known[:0]
	for _, ev := range known {
		if !isFresh[ev.ID] {
			res.Replayed++
			continue
		}
		isFresh[ev.ID] = false // a second copy in the same batch is a replay too
		todo = append(todo, ev)
	}
	// Apply in the order things happened, whatever order they were sent in.
	sort.SliceStable(todo, func(i, j int) bool { return todo[i].At.Before(todo[j].At) })

	clients := map[ClientID]*Client{}
	set := s.newEffectSet(tx, c.scope())
	if set != nil {
		ids := make([]ClientID, len(todo))
		for i, ev := range todo {
			ids[i] = byID[ev.Order].order.Client
		}
		if err := set.load(ctx, s, ids...); err != nil { // one read for the batch
			return err
		}
		// The claim read the orders' route state; a webhook or a notice carries
		// the whole order: read those the batch may tell of, in one more read.
		var whole []OrderID
		for _, ev := range todo {
			if p := byID[ev.Order]; !p.whole && set.tellsOf(p.order.Client) {
				p.whole, whole = true, append(whole, p.order.ID)
			}
		}
		if len(whole) > 0 {
			full, err := tx.OrdersByID(ctx, c.scope(), whole)
			if err != nil {
				return err
			}
			for _, o := range full {
				p := byID[o.ID]
				p.order, p.from, p.version = o, o.Status, o.Version
			}
		}
	}
	var changed []*pending
	for _, ev := range todo {
		p := byID[ev.Order]
		steps, ok := routeSteps(p.order.Status, ev)
		if !ok || ev.At.Before(p.order.RouteEventAt) {
			res.Stale++
			continue
		}
		for _, step := range steps {
			to, _ := Next(p.order.Status, step, ActorRouteSync)
			from := p.order.Status
			p.order.Status = to
			reason := ""
			if step != ev.Event {
				reason = fmt.Sprintf("implied by %s", ev.Event)
			} else {
				applyRouteEvent(p.order, ev)
				reason = ev.Reason
			}
			p.order.UpdatedAt, p.order.RouteEventAt = s.clock(), ev.At
			p.events = append(p.events, OrderEvent{Order: p.order.ID, Account: p.order.Account, Client: p.order.Client,
				Event: step, From: from, To: to, At: p.order.UpdatedAt, By: c.history(), ETA: p.order.ETA, Reason: reason})
			// Only a Shopify order's side effects depend on its client's settings:
			// look the client up for those alone (a round trip per client a batch).
			var cl *Client
			if p.order.Source == SourceShopify && s.shopify != nil {
				if cl = clients[p.order.Client]; cl == nil {
					if cl, err = tx.Client(ctx, c.scope(), p.order.Client); err != nil {
						return err
					}
					clients[cl.ID] = cl
				}
			}
			p.outbox = append(p.outbox, s.sideEffects(cl, set, p.order, step, from, reason, p.version, len(p.events))...)
		}
		if !p.queued {
			changed, p.queued = append(changed, p), true
		}
		res.Applied++
	}
	if len(changed) == 0 {
		return nil
	}
	params := make([]SetStatusParams, len(changed))
	var outbox []OutboxEntry
	for _, p := range changed {
		if sc := (Scope{Account: c.Account, Client: p.order.Client}); !slices.Contains(*touched, sc) {
			*touched = append(*touched, sc)
		}
	}
	for i, p := range changed {
		params[i] = SetStatusParams{From: p.from,
			Version: p.version, Order: p.order, Events: p.events}
		outbox = append(outbox, p.outbox...)
	}
	if err := tx.SetStatuses(ctx, c.scope(), params); err != nil {
		return err
	}
	if len(outbox) > 0 {
		if err := tx.AddOutbox(ctx, c.scope(), outbox); err != nil {
			return err
		}
	}
	return set.flush(ctx)
}

// checkRouteEvent refuses what no order could accept.
func checkRouteEvent(ev RouteEvent) error {
	var errs []FieldError
	if ev.ID == "" {
		errs = append(errs, FieldError{Field: "id", Reason: "is required"})
	}
	if ev.Order == "" {
		errs = append(errs, FieldError{Field: "order", Reason: "is required"})
	}
	if !slices.Contains(hostEvents, ev.Event) {
		errs = append(errs, FieldError{Field: "event", Reason: fmt.Sprintf("%q is not a route event", ev.Event)})
	}
	if ev.At.IsZero() {
		errs = append(errs, FieldError{Field: "at", Reason: "is required"})
	}
	if (ev.Event == EventStart || ev.Event == EventETA) && ev.ETA.IsZero() {
		errs = append(errs, FieldError{Field: "eta", Reason: "is required when a route starts or an ETA moves"})
	}
	if ev.Event == EventSchedule && ev.Route.RouteID == "" {
		errs = append(errs, FieldError{Field: "route", Reason: "is required to schedule a stop"})
	}
	if len(errs) > 0 {
		return InvalidFields(errs)
	}
	return nil
}

// routeSteps returns the events to fire, in order, for ev to apply to an order at
// status st: ev alone when the table allows it, else the forward catch-up steps
// that lead to a status from which it does. false: ev cannot apply (stale).
func routeSteps(st Status, ev RouteEvent) ([]Event, bool) {
	if _, err := Next(st, ev.Event, ActorRouteSync); err == nil {
		return []Event{ev.Event}, true
	}
	var steps []Event
	for _, step := range catchUp {
		to, err := Next(st, step, ActorRouteSync)
		if err != nil {
			continue
		}
		steps, st = append(steps, step), to
		if _, err := Next(st, ev.Event, ActorRouteSync); err == nil {
			return append(steps, ev.Event), true
		}
	}
	return nil, false
}

// applyRouteEvent sets what the event says on the order, besides its status.
func applyRouteEvent(o *Order, ev RouteEvent) {
	switch ev.Event {
	case EventSchedule:
		o.Route = ev.Route
	case EventUnschedule, EventRetry:
		o.Route, o.ETA = RouteStop{}, time.Time{}
	case EventStart, EventETA:
		o.ETA = ev.ETA
	case EventComplete:
		o.Proof, o.FailureReason = ev.Proof, ""
	case EventFail:
		o.Proof, o.FailureReason = ev.Proof, ev.Reason
	}
}

// UnassignedStop is a submitted order in the dispatcher's stops list, with the
// client it is for.
type UnassignedStop struct {
	Order        *Order       `json:"order"`
	ClientName   string       `json:"client_name"`
	ClientNumber ClientNumber `json:"client_number"`
}

// UnassignedStops lists the account's submitted orders at a depot ("" for every
// depot), newest first, a page at a time, each with its client's name and number.
// Only dispatchers may. Errors: ErrForbidden; ErrInvalid for a bad cursor.
func (s *Service) UnassignedStops(ctx context.Context, a Actor, depot DepotID, cursor string, limit int) ([]UnassignedStop, string, error) {
	return s.StopsPage(ctx, a, ListOrdersParams{Depot: depot, Cursor: cursor, Limit: limit})
}

// StopsPage lists the account's unassigned stops (submitted orders) that p
// selects as Orders does (its Depot, Client, Search, Source and creation
// dates; its View and Statuses are not read), newest first, a page at a time,
// each with its client's name and number. Only dispatchers may.
// Errors: ErrForbidden; ErrInvalid for a bad filter or cursor.
func (s *Service) StopsPage(ctx context.Context, a Actor, p ListOrdersParams) ([]UnassignedStop, string, error) {
	c, err := s.authorizeRead(ctx, a, actManageOrders)
	if err != nil {
		return nil, "", err
	}
	p.View, p.Statuses, p.Sort = "", []Status{StatusSubmitted}, ""
	page, err := s.Orders(ctx, c.Actor, p)
	if err != nil {
		return nil, "", err
	}
	clients := map[ClientID]*Client{}
	out := make([]UnassignedStop, len(page.Orders))
	for i, o := range page.Orders {
		cl := clients[o.Client]
		if cl == nil {
			if cl, err = s.store.Client(ctx, c.scope(), o.Client); err != nil {
				return nil, "", err
			}
			clients[o.Client] = cl
		}
		out[i] = UnassignedStop{Order: o, ClientName: cl.Name, ClientNumber: cl.Number}
	}
	return out, page.Next, nil
}

// MoveToDepot moves a submitted order to another depot's stops list. Only
// dispatchers may. Errors: ErrNotFound; ErrForbidden; ErrConflict when it is no
// longer submitted.
func (s *Service) MoveToDepot(ctx context.Context, a Actor, id OrderID, depot DepotID) (*Order, error) {
	c, err := s.authorize(ctx, a, actManageOrders)
	if err != nil {
		return nil, err
	}
	if depot == "" {
		return nil, InvalidFields([]FieldError{{Field: "depot", Reason: "is required"}})
	}
	o, err := s.store.Order(ctx, c.scope(), id)
	if err != nil {
		return nil, err
	}
	if o.Status != StatusSubmitted {
		return nil, Errorf(Conflict, "order %s is %s; only unassigned stops move between depots", orderName(o), o.Status.Label())
	}
	if o.Depot == depot {
		return o, nil
	}
	from, version := o.Depot, o.Version
	o.Depot, o.UpdatedAt = depot, s.clock()
	ev := OrderEvent{Order: o.ID, Account: o.Account, Client: o.Client, Event: EventMoveDepot, From: o.Status, To: o.Status,
		At: o.UpdatedAt, By: c.history(), Reason: fmt.Sprintf("from depot %q to %q", from, depot)}
	err = s.store.SetStatuses(ctx, c.scope(), []SetStatusParams{{From: o.Status, Version: version, Order: o, Events: []OrderEvent{ev}}})
	if err != nil {
		return nil, err
	}
	s.committed(Scope{Account: o.Account, Client: o.Client})
	return o, nil
}
