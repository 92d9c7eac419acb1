package shopifytest

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// The GraphQL objects of a fake shop. Each answers the fields schema.graphql
// has for its type; a field the schema gains without a resolver here fails
// loudly, so the fake never answers a wrong shape.

func notImplemented(typ, field string) error {
	return fmt.Errorf("shopifytest: %s.%s is not implemented by the fake", typ, field)
}

type queryRoot struct {
	s   *Shop
	tok *token
}

func (queryRoot) typeName() string { return "QueryRoot" }

// needs is the scope each root field requires.
var needs = map[string]string{
	"orders": "read_orders", "order": "read_orders", "nodes": "read_orders",
	"fulfillmentCreate":      "write_merchant_managed_fulfillment_orders",
	"fulfillmentEventCreate": "write_fulfillments",
}

// accessDenied is Shopify's refusal of a field the token's scopes do not
// grant: the field is null, with an ACCESS_DENIED error naming the scope.
type accessDenied struct{ field, scope string }

func (e accessDenied) Error() string {
	return fmt.Sprintf("Access denied for %s field. Required access: `%s` access scope.", e.field, e.scope)
}

// allowed returns the refusal of a root field the token may not use, or nil.
func allowed(tok *token, field string) error {
	if sc := needs[field]; sc != "" && !tok.hasScope(sc) {
		return accessDenied{field, sc}
	}
	return nil
}

// orderObjectDenied is Shopify's answer to an app at protected customer
// data level 0 asking for orders.
type orderObjectDenied struct{}

func (orderObjectDenied) Error() string {
	return "This app is not approved to access the Order object. See https://shopify.dev/docs/apps/launch/protected-customer-data for more details."
}

func (q queryRoot) field(name string, args map[string]any) (any, error) {
	if err := allowed(q.tok, name); err != nil {
		return nil, err
	}
	if q.s.level == 0 && (name == "orders" || name == "order" || name == "nodes") {
		return nil, orderObjectDenied{}
	}
	switch name {
	case "orders":
		return q.s.ordersConnection(args)
	case "order":
		if o := q.s.byID[str(args["id"])]; o != nil && o.ID == str(args["id"]) && q.s.visible(o) {
			return orderObj{q.s, o}, nil
		}
		return nil, nil
	case "nodes":
		ids, _ := args["ids"].([]any)
		if len(ids) > 250 {
			return nil, apiError("The ids argument accepts at most 250 ids")
		}
		out := make([]any, len(ids))
		for i, id := range ids {
			out[i] = q.s.node(str(id))
		}
		return out, nil
	}
	return nil, notImplemented("QueryRoot", name)
}

// ordersWindow is how far back an app without read_all_orders sees orders.
const ordersWindow = 60 * 24 * time.Hour

// visible reports whether the calling token may see the order: Shopify shows
// only the last 60 days' orders to an app without read_all_orders, and answers
// null for an older one, as for one that does not exist.
func (s *Shop) visible(o *Order) bool {
	if s.caller != nil && s.caller.hasScope("read_all_orders") {
		return true
	}
	return o.CreatedAt.After(s.srv.now().Add(-ordersWindow))
}

// node returns the object with this global id, or nil.
func (s *Shop) node(id string) any {
	o := s.byID[id]
	if o == nil || !s.visible(o) {
		return nil
	}
	if o.ID == id {
		return orderObj{s, o}
	}
	if a := o.ShippingAddress; a != nil && a.ID == id {
		return addressObj{s, a, o.Withheld}
	}
	for i := range o.LineItems {
		if o.LineItems[i].ID == id {
			return lineItemObj{&o.LineItems[i]}
		}
	}
	for i := range o.FulfillmentOrders {
		fo := &o.FulfillmentOrders[i]
		if fo.ID == id {
			return fulfillmentOrderObj{fo}
		}
		for j := range fo.LineItems {
			if fo.LineItems[j].ID == id {
				return foLineItemObj{&fo.LineItems[j]}
			}
		}
	}
	for i := range o.Fulfillments {
		f := &o.Fulfillments[i]
		if f.ID == id {
			return fulfillmentObj{f}
		}
		for j := range f.Events {
			if f.Events[j].ID == id {
				return eventObj{&f.Events[j]}
			}
		}
	}
	return nil
}

type orderObj struct {
	s *Shop
	o *Order
}

func (orderObj) typeName() string { return "Order" }

func (v orderObj) field(name string, args map[string]any) (any, error) {
	o := v.o
	switch name {
	case "id":
		return o.ID, nil
	case "name":
		return o.Name, nil
	case "createdAt":
		return o.CreatedAt, nil
	case "note":
		return optional(o.Note), nil
	case "email":
		return v.s.protect(optional(o.Email), o.Withheld, "email"), nil
	case "phone":
		return v.s.protect(optional(o.Phone), o.Withheld, "phone"), nil
	case "displayFulfillmentStatus":
		return o.DisplayFulfillmentStatus(), nil
	case "closed":
		return o.Closed, nil
	case "cancelledAt":
		if !o.Cancelled {
			return nil, nil
		}
		if !o.CancelledAt.IsZero() {
			return o.CancelledAt, nil
		}
		return o.CreatedAt, nil // set by hand, without a time
	case "fulfillments":
		out := []any{}
		for i := range o.Fulfillments {
			out = append(out, fulfillmentObj{&o.Fulfillments[i]})
		}
		if args["first"] != nil {
			out = out[:min(len(out), max(intArg(args["first"]), 0))]
		}
		return out, nil
	case "shippingAddress":
		if o.ShippingAddress == nil {
			return nil, nil
		}
		return addressObj{v.s, o.ShippingAddress, o.Withheld}, nil
	case "lineItems":
		items := make([]object, len(o.LineItems))
		for i := range o.LineItems {
			items[i] = lineItemObj{&o.LineItems[i]}
		}
		return paginate("LineItem", items, args)
	case "fulfillmentOrders":
		var items []object
		for i := range o.FulfillmentOrders {
			// Without a fulfillment-order scope, an app sees none of them.
			if !v.s.caller.hasScope("read_merchant_managed_fulfillment_orders") {
				break
			}
			items = append(items, fulfillmentOrderObj{&o.FulfillmentOrders[i]})
		}
		return paginate("FulfillmentOrder", items, args)
	}
	return nil, notImplemented("Order", name)
}

// protect withholds v, a value of the protected customer data field (name,
// email, phone, address), when the shop plays an app without approval for
// it, or the order's data is withheld on its own. A field that is null anyway
// stays plain null.
func (s *Shop) protect(v any, order bool, field string) any {
	if v != nil && (s.withhold || order || s.level < 2 || !slices.Contains(s.fields, field)) {
		return withheld{}
	}
	return v
}

type addressObj struct {
	s        *Shop
	a        *Address
	withheld bool // the order's customer data is withheld
}

func (addressObj) typeName() string { return "MailingAddress" }

func (v addressObj) field(name string, _ map[string]any) (any, error) {
	a := v.a
	p := func(x any, field string) any { return v.s.protect(x, v.withheld, field) }
	switch name {
	case "id":
		return a.ID, nil
	case "name":
		return p(optional(a.Name()), "name"), nil
	case "firstName":
		return p(optional(a.FirstName), "name"), nil
	case "lastName":
		return p(optional(a.LastName), "name"), nil
	case "company":
		return p(optional(a.Company), "name"), nil
	case "address1":
		return p(optional(a.Address1), "address"), nil
	case "address2":
		return p(optional(a.Address2), "address"), nil
	case "phone":
		return p(optional(a.Phone), "phone"), nil
	case "latitude":
		return p(optionalFloat(a.Latitude), "address"), nil
	case "longitude":
		return p(optionalFloat(a.Longitude), "address"), nil
	case "city":
		return optional(a.City), nil
	case "province":
		return optional(a.Province), nil
	case "provinceCode":
		return optional(a.ProvinceCode), nil
	case "zip":
		return optional(a.Zip), nil
	case "country":
		return optional(a.Country), nil
	case "countryCodeV2":
		return optional(a.CountryCode), nil
	}
	return nil, notImplemented("MailingAddress", name)
}

type lineItemObj struct{ li *LineItem }

func (lineItemObj) typeName() string { return "LineItem" }

func (v lineItemObj) field(name string, _ map[string]any) (any, error) {
	switch name {
	case "id":
		return v.li.ID, nil
	case "name":
		return v.li.Name, nil
	case "sku":
		return optional(v.li.SKU), nil
	case "quantity":
		return v.li.Quantity, nil
	case "currentQuantity":
		return v.li.CurrentQuantity(), nil
	case "requiresShipping":
		return !v.li.NoShipping, nil
	}
	return nil, notImplemented("LineItem", name)
}

type fulfillmentOrderObj struct{ fo *FulfillmentOrder }

func (fulfillmentOrderObj) typeName() string { return "FulfillmentOrder" }

func (v fulfillmentOrderObj) field(name string, args map[string]any) (any, error) {
	switch name {
	case "id":
		return v.fo.ID, nil
	case "status":
		return v.fo.Status, nil
	case "supportedActions":
		var out []any
		if v.fo.Status == "OPEN" || v.fo.Status == "IN_PROGRESS" {
			for _, a := range []string{"CREATE_FULFILLMENT", "MOVE", "HOLD"} {
				out = append(out, actionObj(a))
			}
		}
		return append([]any{}, out...), nil
	case "lineItems":
		items := make([]object, len(v.fo.LineItems))
		for i := range v.fo.LineItems {
			items[i] = foLineItemObj{&v.fo.LineItems[i]}
		}
		return paginate("FulfillmentOrderLineItem", items, args)
	case "assignedLocation":
		return assignedLocationObj{v.fo.Location}, nil
	}
	return nil, notImplemented("FulfillmentOrder", name)
}

// assignedLocationObj is a fulfillment order's assigned location: its name,
// and the location itself. The fake's locations have no address.
type assignedLocationObj struct{ l Location }

func (assignedLocationObj) typeName() string { return "FulfillmentOrderAssignedLocation" }

func (v assignedLocationObj) field(name string, _ map[string]any) (any, error) {
	switch name {
	case "name":
		return v.l.Name, nil
	case "location":
		return locationObj(v.l), nil
	case "address1", "address2", "city", "phone", "province", "zip":
		return nil, nil
	}
	return nil, notImplemented("FulfillmentOrderAssignedLocation", name)
}

type locationObj Location

func (locationObj) typeName() string { return "Location" }

func (v locationObj) field(name string, _ map[string]any) (any, error) {
	switch name {
	case "id":
		return v.ID, nil
	case "name":
		return v.Name, nil
	}
	return nil, notImplemented("Location", name)
}

type actionObj string

func (actionObj) typeName() string { return "FulfillmentOrderSupportedAction" }

func (v actionObj) field(name string, _ map[string]any) (any, error) {
	if name == "action" {
		return string(v), nil
	}
	return nil, notImplemented("FulfillmentOrderSupportedAction", name)
}

type foLineItemObj struct{ li *FulfillmentOrderLineItem }

func (foLineItemObj) typeName() string { return "FulfillmentOrderLineItem" }

func (v foLineItemObj) field(name string, _ map[string]any) (any, error) {
	switch name {
	case "id":
		return v.li.ID, nil
	case "sku":
		return optional(v.li.SKU), nil
	case "totalQuantity":
		return v.li.Total, nil
	case "remainingQuantity":
		return v.li.Remaining, nil
	}
	return nil, notImplemented("FulfillmentOrderLineItem", name)
}

type fulfillmentObj struct{ f *Fulfillment }

func (fulfillmentObj) typeName() string { return "Fulfillment" }

func (v fulfillmentObj) field(name string, args map[string]any) (any, error) {
	switch name {
	case "id":
		return v.f.ID, nil
	case "status":
		return v.f.Status, nil
	case "createdAt":
		return v.f.CreatedAt, nil
	case "events":
		events := make([]*FulfillmentEvent, len(v.f.Events))
		for i := range v.f.Events {
			events[i] = &v.f.Events[i]
		}
		if key := str(args["sortKey"]); key == "" || key == "HAPPENED_AT" {
			slices.SortStableFunc(events, func(a, b *FulfillmentEvent) int { return a.HappenedAt.Compare(b.HappenedAt) })
		}
		if reverse, _ := args["reverse"].(bool); reverse {
			slices.Reverse(events)
		}
		items := make([]object, len(events))
		for i, e := range events {
			items[i] = eventObj{e}
		}
		return paginate("FulfillmentEvent", items, args)
	}
	return nil, notImplemented("Fulfillment", name)
}

type eventObj struct{ e *FulfillmentEvent }

func (eventObj) typeName() string { return "FulfillmentEvent" }

func (v eventObj) field(name string, _ map[string]any) (any, error) {
	switch name {
	case "id":
		return v.e.ID, nil
	case "status":
		return v.e.Status, nil
	case "message":
		return optional(v.e.Message), nil
	case "happenedAt":
		return v.e.HappenedAt, nil
	}
	return nil, notImplemented("FulfillmentEvent", name)
}

// userError is a mutation's userErrors entry.
type userError struct {
	path    []string
	message string
}

func (userError) typeName() string { return "UserError" }

func (v userError) field(name string, _ map[string]any) (any, error) {
	switch name {
	case "field":
		if v.path == nil {
			return nil, nil
		}
		out := make([]any, len(v.path))
		for i, f := range v.path {
			out[i] = f
		}
		return out, nil
	case "message":
		return v.message, nil
	}
	return nil, notImplemented("UserError", name)
}

// payload is a mutation's payload: its one result field and its userErrors.
type payload struct {
	typ    string
	result string // the result field's name
	value  any    // object or nil
	errs   []userError
}

func (p payload) typeName() string { return p.typ }

func (p payload) field(name string, _ map[string]any) (any, error) {
	switch name {
	case p.result:
		return p.value, nil
	case "userErrors":
		out := make([]any, len(p.errs))
		for i, e := range p.errs {
			out[i] = e
		}
		return out, nil
	}
	return nil, notImplemented(p.typ, name)
}

// optional is nil for "", as Shopify answers null for a missing string.
func optional(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func optionalFloat(f *float64) any {
	if f == nil {
		return nil
	}
	return *f
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func strs(v any) []string {
	items, _ := v.([]any)
	out := make([]string, 0, len(items))
	for _, x := range items {
		out = append(out, str(x))
	}
	return out
}

func timeArg(v any) (time.Time, bool) {
	t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(str(v)))
	return t, err == nil
}
