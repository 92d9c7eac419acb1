package shopifytest

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// mutationRoot runs fulfillmentCreate and fulfillmentEventCreate on the shop's
// data, with Shopify's user errors for what it refuses.
type mutationRoot struct {
	s   *Shop
	tok *token
}

func (mutationRoot) typeName() string { return "Mutation" }

func (m mutationRoot) field(name string, args map[string]any) (any, error) {
	if err := allowed(m.tok, name); err != nil {
		return nil, err
	}
	switch name {
	case "fulfillmentCreate":
		return m.s.fulfillmentCreate(args), nil
	case "fulfillmentEventCreate":
		return m.s.fulfillmentEventCreate(args), nil
	}
	return nil, notImplemented("Mutation", name)
}

// fulfillmentCreate fulfills the fulfillment orders given (all their remaining
// line items, or the quantities listed), closing those with nothing left.
// They must all be open and belong to one order.
func (s *Shop) fulfillmentCreate(args map[string]any) payload {
	p := payload{typ: "FulfillmentCreatePayload", result: "fulfillment"}
	in, _ := args["fulfillment"].(map[string]any)
	groups, _ := in["lineItemsByFulfillmentOrder"].([]any)
	if len(groups) == 0 {
		p.errs = append(p.errs, userError{[]string{"fulfillment", "lineItemsByFulfillmentOrder"}, "Line items by fulfillment order must not be empty."})
		return p
	}
	type want struct {
		fo    *FulfillmentOrder
		items map[string]int // fulfillment order line item id → quantity; nil: all
	}
	var order *Order
	var wants []want
	for i, g := range groups {
		g, _ := g.(map[string]any)
		at := []string{"fulfillment", "lineItemsByFulfillmentOrder", strconv.Itoa(i), "fulfillmentOrderId"}
		id := str(g["fulfillmentOrderId"])
		o := s.byID[id]
		var fo *FulfillmentOrder
		if o != nil {
			for j := range o.FulfillmentOrders {
				if o.FulfillmentOrders[j].ID == id {
					fo = &o.FulfillmentOrders[j]
				}
			}
		}
		switch {
		case fo == nil:
			p.errs = append(p.errs, userError{at, "Fulfillment order does not exist."})
			continue
		case fo.Status != "OPEN" && fo.Status != "IN_PROGRESS":
			p.errs = append(p.errs, userError{at, fmt.Sprintf("Fulfillment order %s has an unfulfillable status= %s.", id, strings.ToLower(fo.Status))})
			continue
		case s.refuseAt[fo.Location.Name] != "":
			p.errs = append(p.errs, userError{at, s.refuseAt[fo.Location.Name]})
			continue
		case order != nil && o != order:
			p.errs = append(p.errs, userError{at, "All fulfillment orders must belong to the same order."})
			continue
		}
		order = o
		w := want{fo: fo}
		if items, ok := g["fulfillmentOrderLineItems"].([]any); ok && len(items) > 0 {
			w.items = map[string]int{}
			for _, it := range items {
				it, _ := it.(map[string]any)
				w.items[str(it["id"])] = intArg(it["quantity"])
			}
		}
		wants = append(wants, w)
	}
	if len(p.errs) > 0 {
		return p
	}
	// Shopify fulfills one location at a time: fulfillment orders assigned
	// to two locations are refused together.
	var locs []string
	for _, w := range wants {
		if n := strconv.FormatInt(idNumber(w.fo.Location.ID), 10); !slices.Contains(locs, n) {
			locs = append(locs, n)
		}
	}
	if len(locs) > 1 {
		p.errs = append(p.errs, userError{[]string{"fulfillment"}, fmt.Sprintf(
			"All fulfillment orders must be assigned to a single location. Multiple locations with IDs [%s] were found", strings.Join(locs, ", "))})
		return p
	}

	f := Fulfillment{ID: s.srv.gid("Fulfillment"), Status: "SUCCESS", CreatedAt: s.srv.now()}
	f.NotifyCustomer, _ = in["notifyCustomer"].(bool)
	f.Message = str(args["message"])
	if t, ok := in["trackingInfo"].(map[string]any); ok {
		f.TrackingCompany = str(t["company"])
		f.TrackingNumbers = append(f.TrackingNumbers, strs(t["numbers"])...)
		if n := str(t["number"]); n != "" {
			f.TrackingNumbers = append(f.TrackingNumbers, n)
		}
		f.TrackingURLs = append(f.TrackingURLs, strs(t["urls"])...)
		if u := str(t["url"]); u != "" {
			f.TrackingURLs = append(f.TrackingURLs, u)
		}
	}
	for _, w := range wants {
		left := 0
		for i := range w.fo.LineItems {
			li := &w.fo.LineItems[i]
			n := li.Remaining
			if w.items != nil {
				n = min(w.items[li.ID], li.Remaining)
			}
			li.Remaining -= n
			left += li.Remaining
		}
		w.fo.Status = "IN_PROGRESS"
		if left == 0 {
			w.fo.Status = "CLOSED"
		}
		f.FulfillmentOrderIDs = append(f.FulfillmentOrderIDs, w.fo.ID)
	}
	order.Fulfillments = append(order.Fulfillments, f)
	s.index(order)
	p.value = fulfillmentObj{&order.Fulfillments[len(order.Fulfillments)-1]}
	return p
}

// fulfillmentEventCreate records an event on a fulfillment.
func (s *Shop) fulfillmentEventCreate(args map[string]any) payload {
	p := payload{typ: "FulfillmentEventCreatePayload", result: "fulfillmentEvent"}
	in, _ := args["fulfillmentEvent"].(map[string]any)
	id := str(in["fulfillmentId"])
	o := s.byID[id]
	var f *Fulfillment
	if o != nil {
		for i := range o.Fulfillments {
			if o.Fulfillments[i].ID == id {
				f = &o.Fulfillments[i]
			}
		}
	}
	if f == nil {
		p.errs = append(p.errs, userError{[]string{"fulfillmentEvent", "fulfillmentId"}, "Fulfillment does not exist."})
		return p
	}
	e := FulfillmentEvent{ID: s.srv.gid("FulfillmentEvent"), Status: str(in["status"]), Message: str(in["message"]), HappenedAt: s.srv.now()}
	if t, ok := timeArg(in["happenedAt"]); ok {
		e.HappenedAt = t
	}
	if t, ok := timeArg(in["estimatedDeliveryAt"]); ok {
		e.EstimatedDeliveryAt = t
	}
	f.Events = append(f.Events, e)
	s.index(o)
	p.value = eventObj{&f.Events[len(f.Events)-1]}
	return p
}
