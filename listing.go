package connect

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// ListOrdersParams selects a page of orders.
type ListOrdersParams struct {
	// View picks a tab (drafts, active, completed); Statuses picks statuses
	// directly. Neither: every status.
	View     View
	Statuses []Status
	// Client narrows a dispatcher's list to one client; members always see their
	// own client only.
	Client ClientID
	Depot  DepotID
	Source Source
	// Import keeps the orders one import stored (ImportResult.Import,
	// ImportRecord.ID).
	Import ImportID
	// Search, CreatedFrom and CreatedBefore filter as OrderQuery's do. Search is
	// trimmed, at most 200 characters.
	Search                     string
	CreatedFrom, CreatedBefore time.Time
	// Sort orders the list: "" sorts the completed view by completion
	// (OrderSortCompleted) and every other list by creation; completion sorts
	// only lists of completed statuses.
	Sort OrderSort
	// Cursor continues after the previous page (its OrderPage.Next).
	Cursor string
	// Limit is the page size: 0 means 50, at most 500.
	Limit int
}

// OrderPage is one page of orders, newest (or most recently completed) first.
type OrderPage struct {
	Orders []*Order `json:"orders"`
	// Next is the cursor of the next page; "" when this is the last.
	Next string `json:"next,omitempty"`
}

// Page sizes.
const (
	defaultPageSize = 50
	maxPageSize     = 500
	maxSearch       = 200 // characters of a search
)

// pageSize returns the page size a list asked for as Limit: 0 or less means
// the default, more than maxPageSize means maxPageSize.
func pageSize(limit int) int {
	switch {
	case limit <= 0:
		return defaultPageSize
	case limit > maxPageSize:
		return maxPageSize
	}
	return limit
}

// checkSearch returns a list's search trimmed. Errors: ErrInvalid when it is
// longer than maxSearch characters.
func checkSearch(search string) (string, error) {
	search = strings.TrimSpace(search)
	if utf8.RuneCountInString(search) > maxSearch {
		return "", InvalidFields([]FieldError{{Field: "search", Reason: fmt.Sprintf("is longer than %d characters", maxSearch)}})
	}
	return search, nil
}

// Orders lists orders newest first, a page at a time: a member's client's, or any of
// the dispatcher's account (one client's with Client set).
// Errors: ErrForbidden; ErrInvalid for a bad view, status or cursor.
func (s *Service) Orders(ctx context.Context, a Actor, p ListOrdersParams) (*OrderPage, error) {
	c, err := s.authorizeRead(ctx, a, actViewOrders)
	if err != nil {
		return nil, err
	}
	scope, q, err := c.orderQuery(p)
	if err != nil {
		return nil, err
	}
	limit := q.Limit
	q.Limit++ // one more tells whether there is a next page
	orders, err := s.store.Orders(ctx, scope, q)
	if err != nil {
		return nil, err
	}
	page := &OrderPage{Orders: orders}
	if len(orders) > limit {
		page.Orders = orders[:limit]
		page.Next = cursorAfter(page.Orders[limit-1], q.Sort).Encode()
	}
	return page, nil
}

// orderQuery turns a list's params into the Store's scope and query: a
// dispatcher's narrowed to p.Client, a member's to its own client. The page size
// and cursor are read too. Errors: ErrInvalid for a bad view, status, source,
// date range, search or cursor.
func (c caller) orderQuery(p ListOrdersParams) (Scope, OrderQuery, error) {
	scope := c.scope()
	if c.Kind == ActorDispatcher {
		scope.Client = p.Client
	}
	search, err := checkSearch(p.Search)
	if err != nil {
		return Scope{}, OrderQuery{}, err
	}
	q := OrderQuery{Statuses: p.Statuses, Depot: p.Depot, Source: p.Source, Import: p.Import, Search: search,
		CreatedFrom: p.CreatedFrom, CreatedBefore: p.CreatedBefore, Limit: p.Limit}
	if len(q.Import) > maxImportID {
		return Scope{}, OrderQuery{}, Errorf(Invalid, "unknown import %.20q…", q.Import)
	}
	if q.Source != "" && !q.Source.Valid() {
		return Scope{}, OrderQuery{}, Errorf(Invalid, "unknown source %q", q.Source)
	}
	if !q.CreatedFrom.IsZero() && !q.CreatedBefore.IsZero() && !q.CreatedFrom.Before(q.CreatedBefore) {
		return Scope{}, OrderQuery{}, Errorf(Invalid, "the date range ends before it starts")
	}
	if p.View != "" {
		if q.Statuses = p.View.Statuses(); q.Statuses == nil {
			return Scope{}, OrderQuery{}, Errorf(Invalid, "unknown view %q", p.View)
		}
	}
	for _, st := range q.Statuses {
		if !st.Valid() {
			return Scope{}, OrderQuery{}, Errorf(Invalid, "unknown status %q", st)
		}
	}
	if q.Sort, err = sortOf(p, q.Statuses); err != nil {
		return Scope{}, OrderQuery{}, err
	}
	q.Limit = pageSize(q.Limit)
	if p.Cursor != "" {
		cur, err := DecodeCursor(p.Cursor)
		if err != nil {
			return Scope{}, OrderQuery{}, err
		}
		if cur.CompletedAt.IsZero() != (q.Sort != OrderSortCompleted) {
			return Scope{}, OrderQuery{}, Errorf(Invalid, "the page cursor is of another order of the list; start from the first page")
		}
		q.After = &cur
	}
	return scope, q, nil
}

// sortOf is the Store's sort of a list. Errors: ErrInvalid for an unknown
// sort, or completion for statuses that are not all completed ones.
func sortOf(p ListOrdersParams, statuses []Status) (OrderSort, error) {
	switch p.Sort {
	case "":
		if p.View == ViewCompleted {
			return OrderSortCompleted, nil
		}
		return OrderSortCreated, nil
	case OrderSortCreated:
		return OrderSortCreated, nil
	case OrderSortCompleted:
		if len(statuses) == 0 {
			return "", Errorf(Invalid, "only completed orders are sorted by completion: ask for the completed view or their statuses")
		}
		for _, st := range statuses {
			if !st.Final() {
				return "", Errorf(Invalid, "only completed orders are sorted by completion, not %s ones", st)
			}
		}
		return OrderSortCompleted, nil
	}
	return "", Errorf(Invalid, "unknown sort %q: %q or %q", p.Sort, OrderSortCreated, OrderSortCompleted)
}

// cursorAfter is the cursor of the page that follows o in a list of the sort.
func cursorAfter(o *Order, sort OrderSort) OrderCursor {
	if sort == OrderSortCompleted {
		return OrderCursor{CompletedAt: o.CompletedAt(), ID: o.ID}
	}
	return OrderCursor{CreatedAt: o.CreatedAt, ID: o.ID}
}

// Order returns one order with its history: a member's client's, or any of the
// dispatcher's account. Errors: ErrNotFound; ErrForbidden.
func (s *Service) Order(ctx context.Context, a Actor, id OrderID) (*Order, error) {
	c, err := s.authorizeRead(ctx, a, actViewOrders)
	if err != nil {
		return nil, err
	}
	o, err := s.store.Order(ctx, c.scope(), id)
	if err != nil {
		return nil, err
	}
	if o.History, err = s.store.History(ctx, c.scope(), id); err != nil {
		return nil, err
	}
	if o.Source == SourceShopify {
		entries, err := s.store.OrderOutbox(ctx, c.scope(), id)
		if err != nil {
			return nil, err
		}
		o.ShopifyFulfillment = shopifyFulfillment(o.History, entries)
	}
	return o, nil
}

// Encode returns the cursor as an opaque URL-safe string.
func (c OrderCursor) Encode() string {
	raw := strconv.FormatInt(c.CreatedAt.UnixMicro(), 10) + ":" + string(c.ID)
	if !c.CompletedAt.IsZero() {
		raw = "c" + strconv.FormatInt(c.CompletedAt.UnixMicro(), 10) + ":" + string(c.ID)
	}
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// Encode returns the cursor as an opaque string for the next page's link.
func (c ClientCursor) Encode() string {
	return base64.RawURLEncoding.EncodeToString([]byte(string(c.ID) + "\x00" + c.Name))
}

// DecodeClientCursor reads a cursor made by ClientCursor.Encode. Errors: ErrInvalid.
func DecodeClientCursor(s string) (ClientCursor, error) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	id, name, ok := strings.Cut(string(raw), "\x00")
	if err != nil || !ok || id == "" {
		return ClientCursor{}, Errorf(Invalid, "the page cursor is not valid; start from the first page")
	}
	return ClientCursor{Name: name, ID: ClientID(id)}, nil
}

// DecodeCursor reads a cursor made by Encode. Errors: ErrInvalid.
func DecodeCursor(s string) (OrderCursor, error) {
	bad := Errorf(Invalid, "the page cursor is not valid; start from the first page")
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return OrderCursor{}, bad
	}
	completed := len(raw) > 0 && raw[0] == 'c'
	if completed {
		raw = raw[1:]
	}
	micros, id, ok := strings.Cut(string(raw), ":")
	if !ok || id == "" {
		return OrderCursor{}, bad
	}
	n, err := strconv.ParseInt(micros, 10, 64)
	if err != nil || completed && n == 0 {
		return OrderCursor{}, bad
	}
	if completed {
		return OrderCursor{CompletedAt: time.UnixMicro(n).UTC(), ID: OrderID(id)}, nil
	}
	return OrderCursor{CreatedAt: time.UnixMicro(n).UTC(), ID: OrderID(id)}, nil
}
