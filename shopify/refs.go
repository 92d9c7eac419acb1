package shopify

import (
	"strings"
)

// orderGID is the prefix of an order's global id.
const orderGID = "gid://shopify/Order/"

// minIDDigits tells an order id from an order number when a plain number is
// pasted: Shopify's order ids have 13 digits and more, order numbers far fewer.
const minIDDigits = 10

// orderRef is a reference to an order as pasted into Bulk import: its global
// id, its name, or both for a long number, which is tried as an id first.
type orderRef struct {
	id      string // gid://shopify/Order/…; "" when not an id
	name    string // the name without its leading "#"; "" when not a name
	problem string // why the reference can name no order
}

// parseRef reads one reference: a global id (gid://shopify/Order/123), an
// admin URL (…/orders/123), a plain number (an id when it is long enough, else
// a name), or a name ("#1001", "1001", "EN1001").
func parseRef(s string) orderRef {
	s = strings.TrimSpace(s)
	if rest, ok := strings.CutPrefix(s, "gid://shopify/"); ok {
		if n, ok := strings.CutPrefix(rest, "Order/"); ok && isDigits(n) {
			return orderRef{id: s}
		}
		return orderRef{problem: "is not an order id"}
	}
	if i := strings.LastIndex(s, "/orders/"); i >= 0 && (strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "http://")) {
		n, _, _ := strings.Cut(s[i+len("/orders/"):], "?")
		n = strings.TrimSuffix(n, "/")
		if isDigits(n) {
			return orderRef{id: orderGID + n}
		}
		return orderRef{problem: "is not a link to an order"}
	}
	name := strings.TrimPrefix(s, "#")
	if name == "" {
		return orderRef{problem: "is not an order name"}
	}
	r := orderRef{name: name}
	if isDigits(name) && len(name) >= minIDDigits && !strings.HasPrefix(s, "#") {
		r.id = orderGID + name
	}
	return r
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// sameName reports whether an order's name ("#1001") is the name asked for
// (without its "#"); Shopify compares names without case.
func sameName(orderName, asked string) bool {
	return strings.EqualFold(strings.TrimPrefix(orderName, "#"), asked)
}
