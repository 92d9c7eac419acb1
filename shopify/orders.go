package shopify

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/dispatchkit/connect"
)

// maxSearchLength bounds the order search of one OrdersByName query. Shopify
// documents no limit; this one is well within what it accepts, and above what
// the cost limit lets a query ask for with short names anyway.
const maxSearchLength = 2000

// UnfulfilledOrders lists the shop's open, unfulfilled orders, newest first,
// limit at a time (0: 50; at most 250), after the cursor of the previous page.
// A page takes as many queries as the cost limit needs (about 110 orders a
// query with the default LineItems); orders with more line items are read
// again whole. Orders Shopify gave without their customer data come with a
// Problem, the rest of the page as usual.
// Errors: Forbidden when no store is linked or it revoked access; Unavailable
// when Shopify is down or keeps throttling; Invalid for a cursor Shopify did
// not make.
func (a *Adapter) UnfulfilledOrders(ctx context.Context, client connect.Scope, after string, limit int) (*connect.ShopifyOrderPage, error) {
	s, err := a.session(ctx, client)
	if err != nil {
		return nil, err
	}
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, MaxPageSize)
	var got []*read
	page := &connect.ShopifyOrderPage{}
	cursor := after
	size := a.pageSize
	for len(got) < limit {
		first := min(limit-len(got), size)
		var resp *ListOrdersResponse
		err := s.do(ctx, func() (err error) {
			resp, err = ListOrders(ctx, s.gql, first, cursor, OpenUnfulfilled, OrderSortKeysCreatedAt, true, a.cfg.LineItems)
			return err
		})
		if errors.Is(err, ErrMaxCostExceeded) {
			if size, err = s.smallerPage(first, err); err != nil {
				return nil, err
			}
			continue
		}
		problems, withheld, err := nodeProblems(err)
		if err != nil {
			if cursor != "" && connect.ErrorCode(err) == connect.Internal && strings.Contains(strings.ToLower(err.Error()), "cursor") {
				return nil, connect.Errorf(connect.Invalid, "shopify: the page cursor is not valid; start again from the first page")
			}
			return nil, err
		}
		for i := range resp.Orders.Nodes {
			got = append(got, &read{fields: &resp.Orders.Nodes[i], problem: problems[i], withheld: withheld[i]})
		}
		page.Next = ""
		if !resp.Orders.PageInfo.HasNextPage || resp.Orders.PageInfo.EndCursor == "" {
			break
		}
		cursor = resp.Orders.PageInfo.EndCursor
		page.Next = cursor
	}
	if err := s.readAllLineItems(ctx, got); err != nil {
		return nil, err
	}
	page.Orders = make([]connect.ShopifyOrder, len(got))
	for i, r := range got {
		page.Orders[i] = toShopifyOrder(s.shop, r.fields, r.problem, r.withheld)
	}
	return page, nil
}

// LookupOrders fetches orders by reference, in the order asked: global ids
// (gid://shopify/Order/…), links to orders in the Shopify admin, long plain
// numbers (ids, or names when no order has that id) and names ("#1001",
// "1001"). Ids are read with nodes(ids:) and names with an order search
// ("name:1001 OR name:1002 …"), each in as few queries as the cost limit (and
// the search's length) allows. A reference that names no order comes back
// with Problem ProblemNotFound; an order that cannot be imported, with its
// own Problem. Errors as [Adapter.UnfulfilledOrders].
func (a *Adapter) LookupOrders(ctx context.Context, client connect.Scope, refs []string) ([]connect.ShopifyOrder, error) {
	s, err := a.session(ctx, client)
	if err != nil {
		return nil, err
	}
	parsed := make([]orderRef, len(refs))
	var ids, names []string
	seen := map[string]bool{}
	for i, ref := range refs {
		parsed[i] = parseRef(ref)
		if id := parsed[i].id; id != "" && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	byID, err := s.ordersByID(ctx, ids, a.cfg.LineItems)
	if err != nil {
		return nil, err
	}
	for _, r := range parsed {
		if r.name == "" || byID[r.id] != nil {
			continue
		}
		if key := "name:" + strings.ToLower(r.name); !seen[key] {
			seen[key] = true
			names = append(names, key[len("name:"):])
		}
	}
	byName, err := s.ordersByName(ctx, names, a.cfg.LineItems)
	if err != nil {
		return nil, err
	}
	all := make([]*read, 0, len(byID)+len(byName))
	for _, r := range byID {
		all = append(all, r)
	}
	for _, r := range byName {
		all = append(all, r)
	}
	if err := s.readAllLineItems(ctx, all); err != nil {
		return nil, err
	}

	missing := ProblemNotFound
	if !s.seesAllOrders() {
		missing = ProblemNeedsReadAllOrders
	}
	out := make([]connect.ShopifyOrder, len(refs))
	for i, r := range parsed {
		ref := strings.TrimSpace(refs[i])
		found := byID[r.id]
		if found == nil && r.name != "" {
			found = byName[strings.ToLower(r.name)]
		}
		switch {
		case r.problem != "":
			out[i] = notFound(s.shop, ref, r.problem)
		case found == nil:
			out[i] = notFound(s.shop, ref, missing)
		default:
			out[i] = toShopifyOrder(s.shop, found.fields, found.problem, found.withheld)
		}
	}
	return out, nil
}

// read is an order as Shopify answered it, why it cannot be imported when
// the answer itself says so, and the customer data Shopify withheld.
type read struct {
	fields   *OrderFields
	problem  string
	withheld []string // "name", "email", "phone", "address"
}

// ordersByID reads orders by global id, as many a query as the cost limit
// allows, and returns those found by id.
func (s *session) ordersByID(ctx context.Context, ids []string, lineItems int) (map[string]*read, error) {
	out := map[string]*read{}
	size := OrdersPageSize(lineItems)
	for len(ids) > 0 {
		chunk := ids[:min(size, len(ids))]
		var resp *OrdersByIDResponse
		err := s.do(ctx, func() (err error) {
			resp, err = OrdersByID(ctx, s.gql, chunk, lineItems)
			return err
		})
		if errors.Is(err, ErrMaxCostExceeded) {
			if size, err = s.smallerPage(len(chunk), err); err != nil {
				return nil, err
			}
			continue
		}
		ids = ids[len(chunk):]
		problems, withheld, err := nodeProblems(err)
		if err != nil {
			return nil, err
		}
		for i, n := range resp.Nodes {
			if o, ok := n.(*OrdersByIDNodesOrder); ok && o != nil {
				out[o.Id] = &read{fields: &o.OrderFields, problem: problems[i], withheld: withheld[i]}
			}
		}
	}
	return out, nil
}

// ordersByName finds orders by name (lower case, without "#"), as many names
// a search as the cost limit and the search's length allow, and returns those
// found by name.
func (s *session) ordersByName(ctx context.Context, names []string, lineItems int) (map[string]*read, error) {
	out := map[string]*read{}
	size := OrdersPageSize(lineItems)
	retried := map[string]bool{}
	for pending := names; len(pending) > 0; {
		n := 1
		for n < len(pending) && n < size && len(NameQuery(pending[:n+1])) <= maxSearchLength {
			n++
		}
		chunk := pending[:n]
		var resp *OrdersByNameResponse
		err := s.do(ctx, func() (err error) {
			resp, err = OrdersByName(ctx, s.gql, NameQuery(chunk), len(chunk), lineItems)
			return err
		})
		if errors.Is(err, ErrMaxCostExceeded) {
			if size, err = s.smallerPage(len(chunk), err); err != nil {
				return nil, err
			}
			continue
		}
		pending = pending[n:]
		problems, withheld, err := nodeProblems(err)
		if err != nil {
			return nil, err
		}
		for i := range resp.Orders.Nodes {
			o := &resp.Orders.Nodes[i]
			for _, name := range chunk {
				if out[name] == nil && sameName(o.Name, name) {
					out[name] = &read{fields: o, problem: problems[i], withheld: withheld[i]}
				}
			}
		}
		// A full page may hold orders whose names only resemble those asked
		// for (Shopify's search is not exact), leaving some out: ask again for
		// those, once.
		if len(resp.Orders.Nodes) == len(chunk) {
			for _, name := range chunk {
				if out[name] == nil && !retried[name] {
					retried[name] = true
					pending = append(pending, name)
				}
			}
		}
	}
	return out, nil
}

// smallerPage is the page size to try after Shopify refused a page of n
// orders as over its cost limit (err): half of it. Shopify charges some fields
// more than the documented rules say, so the estimate that sized the page can
// be short. A single order over the limit is an error: the query itself must
// ask for less (fewer line items: Config.LineItems).
func (s *session) smallerPage(n int, err error) (int, error) {
	if n <= 1 {
		return 0, connect.Errorf(connect.Internal, "shopify: Shopify refuses to read even one order of %s in a query, as over its cost limit of %d points; ask for fewer line items a query (Config.LineItems): %w",
			s.shop, MaxQueryCost, err)
	}
	s.a.log.Warn("shopify: Shopify charged a page of orders more than estimated; reading half as many a query", "shop", s.shop, "page", n, "err", err)
	return n / 2, nil
}

// lineItemSteps are the line items asked for when orders are read again
// because they have more than the first read asked for: a middling number
// first (25: 34 orders a query), so a shop of six-item orders does not pay the
// price of the rare huge one (250: 3 orders a query).
var lineItemSteps = []int{25, MaxPageSize}

// readAllLineItems reads again, with more line items, the orders that have
// more than the first read asked for, until they have all of them.
func (s *session) readAllLineItems(ctx context.Context, reads []*read) error {
	for _, lineItems := range lineItemSteps {
		var ids []string
		seen := map[string]bool{}
		for _, r := range reads {
			if id := r.fields.Id; r.problem == "" && r.fields.LineItems.PageInfo.HasNextPage && !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
		if len(ids) == 0 {
			return nil
		}
		whole, err := s.ordersByID(ctx, ids, lineItems)
		if err != nil {
			return err
		}
		for _, r := range reads {
			if w := whole[r.fields.Id]; w != nil && r.problem == "" {
				r.fields, r.problem, r.withheld = w.fields, w.problem, w.withheld
			}
		}
	}
	return nil
}

// nodeProblems reads a partial answer: for each order (by its index in the
// answer's nodes) that came with errors, why it cannot be imported, or which
// of its customer data Shopify withheld (ACCESS_DENIED on a field, for an app
// not approved for that protected customer data field: the rest of the order
// is there). Any other error, or one not about an order, is returned.
func nodeProblems(err error) (map[int]string, map[int][]string, error) {
	var partial *PartialError
	if err == nil || !errors.As(err, &partial) {
		return nil, nil, err
	}
	problems, withheld := map[int]string{}, map[int][]string{}
	for _, e := range partial.Errors {
		i, rest, ok := nodeIndex(e.Path)
		if !ok {
			return nil, nil, connect.Errorf(connect.Internal, "shopify: %w", partial)
		}
		switch {
		case errorCode(e) == codeAccessDenied && protectedField(rest) != "":
			if f := protectedField(rest); !slices.Contains(withheld[i], f) {
				withheld[i] = append(withheld[i], f)
			}
		case errorCode(e) == codeAccessDenied:
			problems[i] = ProblemWithheld
		case problems[i] == "":
			problems[i] = problemPartialAnswer + e.Message
		}
	}
	return problems, withheld, nil
}

// protectedField names the protected customer data a withheld field of an
// order is (by its path below the order), as Shopify's approval lists them:
// name, email, phone, address; "" for anything else.
func protectedField(path []string) string {
	switch strings.Join(path, ".") {
	case "email":
		return "email"
	case "phone", "shippingAddress.phone":
		return "phone"
	case "shippingAddress.name", "shippingAddress.firstName", "shippingAddress.lastName", "shippingAddress.company":
		return "name"
	case "shippingAddress.address1", "shippingAddress.address2", "shippingAddress.latitude", "shippingAddress.longitude":
		return "address"
	}
	return ""
}

// nodeIndex finds the order an error's path is about: the index after the
// first "nodes" (orders.nodes[3].email, nodes[3].shippingAddress.phone), and
// the field names below it.
func nodeIndex(path ast.Path) (int, []string, bool) {
	for j := 0; j+1 < len(path); j++ {
		if name, ok := path[j].(ast.PathName); ok && name == "nodes" {
			if i, ok := path[j+1].(ast.PathIndex); ok {
				var rest []string
				for _, el := range path[j+2:] {
					if n, ok := el.(ast.PathName); ok {
						rest = append(rest, string(n))
					}
				}
				return int(i), rest, true
			}
		}
	}
	return 0, nil, false
}
