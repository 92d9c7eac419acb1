package shopifytest

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
)

// connection is one page of a Relay connection.
type connection struct {
	node    string // the node type: "Order" makes OrderConnection and OrderEdge
	nodes   []object
	cursors []string
	hasNext bool
	hasPrev bool
}

func (c *connection) typeName() string { return c.node + "Connection" }

func (c *connection) field(name string, _ map[string]any) (any, error) {
	switch name {
	case "nodes":
		out := make([]any, len(c.nodes))
		for i, n := range c.nodes {
			out[i] = n
		}
		return out, nil
	case "edges":
		out := make([]any, len(c.nodes))
		for i, n := range c.nodes {
			out[i] = edge{c.node + "Edge", n, c.cursors[i]}
		}
		return out, nil
	case "pageInfo":
		pi := pageInfo{hasNext: c.hasNext, hasPrev: c.hasPrev}
		if len(c.cursors) > 0 {
			pi.start, pi.end = c.cursors[0], c.cursors[len(c.cursors)-1]
		}
		return pi, nil
	}
	return nil, notImplemented(c.typeName(), name)
}

type edge struct {
	typ    string
	node   object
	cursor string
}

func (e edge) typeName() string { return e.typ }

func (e edge) field(name string, _ map[string]any) (any, error) {
	switch name {
	case "node":
		return e.node, nil
	case "cursor":
		return e.cursor, nil
	}
	return nil, notImplemented(e.typ, name)
}

type pageInfo struct {
	hasNext, hasPrev bool
	start, end       string
}

func (pageInfo) typeName() string { return "PageInfo" }

func (p pageInfo) field(name string, _ map[string]any) (any, error) {
	switch name {
	case "hasNextPage":
		return p.hasNext, nil
	case "hasPreviousPage":
		return p.hasPrev, nil
	case "startCursor":
		return optional(p.start), nil
	case "endCursor":
		return optional(p.end), nil
	}
	return nil, notImplemented("PageInfo", name)
}

// page cuts one page out of items (already filtered and sorted), whose
// cursors are given, by Shopify's rules for first, last, after and before:
// one of first and last is required, and neither may exceed 250. after and
// before give the index where items after (before) a cursor start.
func page(node string, items []object, cursors []string, args map[string]any,
	after, before func(cursor string) (int, error)) (*connection, error) {
	first, hasFirst := args["first"]
	last, hasLast := args["last"]
	if (!hasFirst || first == nil) && (!hasLast || last == nil) {
		return nil, errors.New("you must provide one of first or last")
	}
	lo, hi := 0, len(items)
	if c := str(args["after"]); c != "" {
		i, err := after(c)
		if err != nil {
			return nil, err
		}
		lo = max(lo, i)
	}
	if c := str(args["before"]); c != "" {
		i, err := before(c)
		if err != nil {
			return nil, err
		}
		hi = min(hi, i)
	}
	if hi < lo {
		hi = lo
	}
	conn := &connection{node: node, hasPrev: lo > 0, hasNext: hi < len(items)}
	if first != nil {
		n := intArg(first)
		if n < 0 || n > 250 {
			return nil, errorf("The first argument must be between 0 and 250, not %d", n)
		}
		if hi-lo > n {
			hi, conn.hasNext = lo+n, true
		}
	}
	if last != nil {
		n := intArg(last)
		if n < 0 || n > 250 {
			return nil, errorf("The last argument must be between 0 and 250, not %d", n)
		}
		if hi-lo > n {
			lo, conn.hasPrev = hi-n, true
		}
	}
	conn.nodes, conn.cursors = items[lo:hi], cursors[lo:hi]
	return conn, nil
}

// paginate pages through a fixed list (an order's line items, its fulfillment
// orders), with cursors that are positions.
func paginate(node string, items []object, args map[string]any) (*connection, error) {
	cursors := make([]string, len(items))
	for i := range items {
		cursors[i] = base64.RawURLEncoding.EncodeToString([]byte("pos:" + strconv.Itoa(i)))
	}
	pos := func(c string) (int, error) {
		b, err := base64.RawURLEncoding.DecodeString(c)
		n, ok := strings.CutPrefix(string(b), "pos:")
		i, err2 := strconv.Atoi(n)
		if err != nil || !ok || err2 != nil {
			return 0, errorf("Invalid cursor %q", c)
		}
		return i, nil
	}
	return page(node, items, cursors, args,
		func(c string) (int, error) { i, err := pos(c); return i + 1, err },
		pos)
}

// orderCursor is what an order cursor encodes: the order's sort value and id, so
// that a page continues after it even if orders were added or fulfilled since.
type orderCursor struct {
	Key int64 `json:"k"`
	ID  int64 `json:"id"`
}

func (s *Shop) ordersConnection(args map[string]any) (*connection, error) {
	q, err := parseSearch(str(args["query"]))
	if err != nil {
		return nil, err
	}
	sortKey := str(args["sortKey"])
	key := func(o *Order) int64 {
		switch sortKey {
		case "ID":
			return idNumber(o.ID)
		case "ORDER_NUMBER":
			return int64(o.Number)
		default: // CREATED_AT, PROCESSED_AT, UPDATED_AT, RELEVANCE...: all creation order here
			return o.CreatedAt.UnixNano()
		}
	}
	less := func(a, b orderCursor) int { return cmp.Or(cmp.Compare(a.Key, b.Key), cmp.Compare(a.ID, b.ID)) }
	reverse, _ := args["reverse"].(bool)
	if reverse {
		less = func(a, b orderCursor) int { return -cmp.Or(cmp.Compare(a.Key, b.Key), cmp.Compare(a.ID, b.ID)) }
	}

	var matched []*Order
	for _, o := range s.orders {
		if q.matches(o) && s.visible(o) {
			matched = append(matched, o)
		}
	}
	at := func(o *Order) orderCursor { return orderCursor{key(o), idNumber(o.ID)} }
	slices.SortFunc(matched, func(a, b *Order) int { return less(at(a), at(b)) })

	items := make([]object, len(matched))
	cursors := make([]string, len(matched))
	for i, o := range matched {
		items[i] = orderObj{s, o}
		b, _ := json.Marshal(at(o))
		cursors[i] = base64.RawURLEncoding.EncodeToString(b)
	}
	decode := func(c string) (orderCursor, error) {
		var oc orderCursor
		b, err := base64.RawURLEncoding.DecodeString(c)
		if err != nil || json.Unmarshal(b, &oc) != nil {
			return oc, errorf("Invalid cursor %q", c)
		}
		return oc, nil
	}
	after := func(c string) (int, error) {
		oc, err := decode(c)
		if err != nil {
			return 0, err
		}
		i, _ := slices.BinarySearchFunc(matched, oc, func(o *Order, t orderCursor) int {
			if less(at(o), t) <= 0 {
				return -1
			}
			return 1
		})
		return i, nil
	}
	before := func(c string) (int, error) {
		oc, err := decode(c)
		if err != nil {
			return 0, err
		}
		i, _ := slices.BinarySearchFunc(matched, oc, func(o *Order, t orderCursor) int {
			if less(at(o), t) < 0 {
				return -1
			}
			return 1
		})
		return i, nil
	}
	return page("Order", items, cursors, args, after, before)
}

// idNumber is the number at the end of a global id.
func idNumber(gid string) int64 {
	n, _ := strconv.ParseInt(gid[strings.LastIndexByte(gid, '/')+1:], 10, 64)
	return n
}
