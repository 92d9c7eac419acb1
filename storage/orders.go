package storage

import (
	"time"

	"context"
	"slices"
	"strings"

	"github.com/dispatchkit/connect"
	"github.com/uptrace/bun"
)

// insertBatch is the number of rows one multi-row INSERT carries: big enough that
// per-statement costs vanish, small enough that the SQL text stays a few hundred
// kilobytes (bun writes the values into it).
const insertBatch = 1000

// inputColumns are the columns of what a client gives (UpdateDraft writes them).
var inputColumns = []string{
	"ref", "stop_type", "address_unit", "address_line1", "address_line2", "city", "state",
	"zip", "country", "latitude", "longitude", "recipient_name", "recipient_email",
	"recipient_phone", "notes", "size", "package_count", "products", "notify_opt_out",
}

// CreateOrders stores new orders at Version 1 (and sets their Version), with one
// history event each when events is not nil, all or nothing: in batches of
// multi-row INSERTs, or on PostgreSQL with COPY once there are enough orders for it
// to pay. Errors: ErrConflict naming the reference when a Ref is taken, or given
// twice in orders (compared without case, as ExistingRefs); ErrInvalid when events does not match orders; ErrNotFound when
// an order is not in the scope.
func (s *Store) CreateOrders(ctx context.Context, scope connect.Scope, orders []*connect.Order, events []connect.OrderEvent) error {
	if len(orders) == 0 {
		return nil
	}
	if events != nil && len(events) != len(orders) {
		return connect.Errorf(connect.Invalid, "storage: %d events for %d orders; give one event per order, or none", len(events), len(orders))
	}
	type clientRef struct{ client, ref string }
	seen := make(map[clientRef]bool)
	for _, o := range orders {
		if _, err := within(scope, o.Account, o.Client, "client "+string(o.Client)); err != nil {
			return err
		}
		if o.Ref == "" {
			continue
		}
		k := clientRef{string(o.Client), lowerASCII(o.Ref)}
		if seen[k] {
			return connect.Errorf(connect.Conflict, "reference %q is given to more than one order", o.Ref)
		}
		seen[k] = true
	}

	err := s.atomic(ctx, func(tx *Store) error {
		return s.d.createOrders(ctx, tx, orders, events)
	})
	if refViolation(err) {
		return s.refTaken(ctx, err, orders)
	}
	if err != nil {
		return translate(ctx, err, "storing orders")
	}
	for _, o := range orders {
		o.Version = 1
	}
	return nil
}

// insertOrders writes orders and their events with multi-row INSERTs.
func (s *Store) insertOrders(ctx context.Context, orders []*connect.Order, events []connect.OrderEvent) error {
	rows := make([]orderRow, 0, min(len(orders), insertBatch))
	for start := 0; start < len(orders); start += insertBatch {
		batch := orders[start:min(start+insertBatch, len(orders))]
		rows = rows[:0]
		for _, o := range batch {
			r, err := orderToRow(o)
			if err != nil {
				return err
			}
			r.Version = 1
			rows = append(rows, *r)
		}
		if _, err := s.idb.NewInsert().Model(&rows).Returning("NULL").Exec(ctx); err != nil {
			return err
		}
	}
	if events == nil {
		return nil
	}
	evs := make([]eventRow, 0, min(len(events), insertBatch))
	for start := 0; start < len(events); start += insertBatch {
		evs = evs[:0]
		for i := start; i < min(start+insertBatch, len(events)); i++ {
			evs = append(evs, *eventToRow(orders[i], &events[i]))
		}
		if _, err := s.idb.NewInsert().Model(&evs).Returning("NULL").Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}

// refTaken turns a unique violation of a client's references into a Conflict that
// names the reference (when the dialect can tell which).
func (s *Store) refTaken(ctx context.Context, err error, orders []*connect.Order) error {
	if ref, ok := s.d.takenRef(ctx, s, err, orders); ok {
		return &connect.Error{Code: connect.Conflict, Err: err,
			Message: "reference " + quote(ref) + " is already used by another order of the client"}
	}
	return translate(ctx, err, "storing orders")
}

// lowerASCII folds ASCII letters only, as the databases' lower() does on
// references (SQLite's; PostgreSQL's under their "C" collation).
func lowerASCII(s string) string {
	return strings.Map(func(r rune) rune {
		if 'A' <= r && r <= 'Z' {
			return r + ('a' - 'A')
		}
		return r
	}, s)
}

// ExistingFingerprints counts the scope's orders with each of fps, looking them
// up insertBatch at a time through orders_client_fingerprint.
func (s *Store) ExistingFingerprints(ctx context.Context, scope connect.Scope, fps []string) (map[string]int, error) {
	counts := map[string]int{}
	for start := 0; start < len(fps); start += insertBatch {
		var got []struct {
			Fingerprint string `bun:"fingerprint"`
			N           int    `bun:"n"`
		}
		err := s.narrowScope(s.idb.NewSelect().TableExpr("orders").ColumnExpr("fingerprint, count(*) AS n"), scope, false).
			Where("fingerprint <> '' AND fingerprint IN (?)", bun.List(fps[start:min(start+insertBatch, len(fps))])).
			GroupExpr("fingerprint").
			Scan(ctx, &got)
		if err != nil && !isNoRows(err) {
			return nil, translate(ctx, err, "looking up fingerprints")
		}
		for _, g := range got {
			counts[g.Fingerprint] = g.N
		}
	}
	return counts, nil
}

func quote(s string) string { return `"` + s + `"` }

// ExistingRefs returns which of refs the scope's orders already use, compared
// without case (the database's lower() on both sides, which folds ASCII letters:
// SQLite's lower(), and PostgreSQL's under the "C" collation of references), as
// given in refs, in their order, each once.
func (s *Store) ExistingRefs(ctx context.Context, scope connect.Scope, refs []string) ([]string, error) {
	var wanted []string
	for _, r := range refs {
		if r != "" {
			wanted = append(wanted, r)
		}
	}
	if len(wanted) == 0 {
		return nil, nil
	}
	got, err := s.d.existingRefs(ctx, s, scope, wanted)
	if err != nil {
		return nil, err
	}
	found := make(map[string]bool, len(got))
	for _, r := range got {
		found[r] = true
	}
	var out []string
	for _, r := range refs {
		if found[r] {
			out = append(out, r)
			delete(found, r)
		}
	}
	return out, nil
}

// Order returns one order in the scope.
func (s *Store) Order(ctx context.Context, scope connect.Scope, id connect.OrderID) (*connect.Order, error) {
	var row orderRow
	err := inScope(s.idb.NewSelect().Model(&row), scope).Where("id = ?", string(id)).Scan(ctx)
	if err != nil {
		return nil, translate(ctx, err, "order "+string(id))
	}
	return row.order()
}

// Orders lists the query's orders newest first, by (created_at, id) descending,
// strictly after q.After, at most q.Limit of them (every one when Limit ≤ 0).
//
// The statuses are written in lifecycle order, so a query for the active view
// names exactly the predicate of the partial index orders_client_active (SQLite
// uses a partial index only for a literal match).
func (s *Store) Orders(ctx context.Context, scope connect.Scope, q connect.OrderQuery) ([]*connect.Order, error) {
	return s.d.orders(ctx, s, scope, q)
}

// selectOrders is Orders through bun's query builder.
func (s *Store) selectOrders(ctx context.Context, scope connect.Scope, q connect.OrderQuery) ([]*connect.Order, error) {
	var rows []orderRow
	sel := s.narrowScope(s.idb.NewSelect().Model(&rows), scope, false)
	st := sortStatuses(q.Statuses)
	if q.Import != "" {
		if byImport := s.d.importOrders(); byImport != "" {
			sel = sel.ModelTableExpr(byImport)
		}
	} else if active := s.d.activeOrders(); active != "" && scope.Client != "" && slices.Equal(st, sortStatuses(connect.ViewActive.Statuses())) {
		sel = sel.ModelTableExpr(active)
	}
	switch len(st) {
	case 0:
	case 1:
		sel = sel.Where("status = ?", st[0])
	default:
		sel = sel.Where("status IN (?)", bun.List(st))
	}
	if q.Depot != "" {
		sel = sel.Where("depot = ?", string(q.Depot))
	}
	if q.Source != "" {
		sel = sel.Where("source = ?", string(q.Source))
	}
	if q.Import != "" {
		sel = sel.Where("import_id = ?", string(q.Import))
	}
	if q.Search != "" {
		sel = sel.Where(searchText(orderSearchColumns)+" LIKE ? ESCAPE '\\'", likePattern(q.Search))
	}
	if !q.CreatedFrom.IsZero() {
		sel = sel.Where("created_at >= ?", dbTime(q.CreatedFrom))
	}
	if !q.CreatedBefore.IsZero() {
		sel = sel.Where("created_at < ?", dbTime(q.CreatedBefore))
	}
	key, after := listKey(q)
	if q.After != nil {
		sel = sel.Where("("+key+", id) < (?, ?)", dbTime(after), string(q.After.ID))
	}
	sel = sel.OrderExpr(key + " DESC, id DESC")
	if q.Limit > 0 {
		sel = sel.Limit(int64(q.Limit))
	}
	if err := sel.Scan(ctx); err != nil {
		return nil, translate(ctx, err, "listing orders")
	}
	return ordersOf(rows)
}

// completedAtSQL is connect.Order.CompletedAt of a completed order's row:
// the expression the completed lists are sorted by, and their indexes
// (orders_client_completed, orders_account_completed) hold.
const completedAtSQL = "(CASE WHEN status = 'cancelled' THEN updated_at ELSE coalesce(route_event_at, updated_at) END)"

// listKey is the SQL of the time a list of q's sort is ordered by (newest
// first, then by id), and the time of its cursor.
func listKey(q connect.OrderQuery) (string, time.Time) {
	var after connect.OrderCursor
	if q.After != nil {
		after = *q.After
	}
	if q.Sort == connect.OrderSortCompleted {
		return completedAtSQL, after.CompletedAt
	}
	return "created_at", after.CreatedAt
}

// orderSearchColumns are the columns an OrderQuery.Search looks in.
var orderSearchColumns = []string{"ref", "recipient_name", "recipient_email", "recipient_phone", "address_line1", "city", "zip"}

// searchText is the SQL of the text a search looks in: the columns lowered and
// joined by newlines, so that one LIKE per row tests them all (half the time
// of one case-blind comparison per column) and no match spans two columns (a
// search holds no newline). PostgreSQL keeps statistics of this very
// expression of orderSearchColumns (migration 20261208010000): change them
// together, or searches are planned blind again
// (TestPostgresKnowsHowManyOrdersASearchMatches).
func searchText(cols []string) string {
	return "lower(coalesce(" + strings.Join(cols, ", '') || '\n' || coalesce(") + ", ''))"
}

// likePattern returns the LIKE pattern of "contains search" for searchText:
// lowered, with LIKE's own characters (and the escape, a backslash) taken
// literally, and line breaks as spaces.
func likePattern(search string) string {
	search = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' {
			return ' '
		}
		return r
	}, strings.ToLower(search))
	return "%" + strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(search) + "%"
}

// ordersOf maps rows to orders.
func ordersOf(rows []orderRow) ([]*connect.Order, error) {
	out := make([]*connect.Order, len(rows))
	for i := range rows {
		o, err := rows[i].order()
		if err != nil {
			return nil, err
		}
		out[i] = o
	}
	return out, nil
}

// sortStatuses returns the statuses once each, in lifecycle order (unknown ones
// last, as given).
func sortStatuses(in []connect.Status) []string {
	if len(in) == 0 {
		return nil
	}
	var out []string
	for _, st := range connect.Statuses() {
		if slices.Contains(in, st) {
			out = append(out, string(st))
		}
	}
	for _, st := range in {
		if !st.Valid() && !slices.Contains(out, string(st)) {
			out = append(out, string(st))
		}
	}
	return out
}

// History returns the order's events, oldest first; none for an order outside the
// scope.
func (s *Store) History(ctx context.Context, scope connect.Scope, id connect.OrderID) ([]connect.OrderEvent, error) {
	var rows []eventRow
	// Found by the order's key (see narrowScope), then checked against the scope.
	q := s.d.historyOf(s.idb.NewSelect().Model(&rows), id)
	err := s.narrowScope(q, scope, true).
		OrderExpr("id ASC").
		Scan(ctx)
	if err != nil {
		return nil, translate(ctx, err, "reading the history of order "+string(id))
	}
	out := make([]connect.OrderEvent, len(rows))
	for i := range rows {
		out[i] = rows[i].event()
	}
	return out, nil
}

// UpdateDraft writes o's input fields if it is still a draft at o.Version, and
// advances o.Version. Errors: ErrNotFound when o is not in the scope.
func (s *Store) UpdateDraft(ctx context.Context, scope connect.Scope, o *connect.Order) error {
	what := "order " + orderName(o.Ref, o.ID)
	scope, err := within(scope, o.Account, o.Client, what)
	if err != nil {
		return err
	}
	row := &orderRow{UpdatedAt: dbTime(o.UpdatedAt)}
	if err := row.setInput(&o.OrderInput); err != nil {
		return connect.Errorf(connect.Internal, "encoding order %s: %w", o.ID, err)
	}
	res, err := inScope(s.idb.NewUpdate().Model(row).
		Column(append(slices.Clip(inputColumns), "updated_at")...).
		Set("version = ?", o.Version+1), scope).
		Where("id = ?", string(o.ID)).
		Where("status = ?", string(connect.StatusDraft)).
		Where("version = ?", o.Version).
		Exec(ctx)
	if refViolation(err) {
		return &connect.Error{Code: connect.Conflict, Err: err,
			Message: "reference " + quote(o.Ref) + " is already used by another order of the client"}
	}
	n, err := rowsAffected(ctx, res, err, "updating "+what)
	if err != nil {
		return err
	}
	if n == 0 {
		return s.casMissed(ctx, inScope(s.idb.NewSelect().Model((*orderRow)(nil)), scope).
			Where("id = ?", string(o.ID)), what, "was changed or submitted by someone else; reload it")
	}
	o.Version++
	return nil
}

// DeleteDraft deletes the order and its history if it is still a draft at version.
func (s *Store) DeleteDraft(ctx context.Context, scope connect.Scope, id connect.OrderID, version int) error {
	what := "order " + string(id)
	return s.atomic(ctx, func(tx *Store) error {
		res, err := inScope(tx.idb.NewDelete().Model((*orderRow)(nil)), scope).
			Where("id = ?", string(id)).
			Where("status = ?", string(connect.StatusDraft)).
			Where("version = ?", version).
			Exec(ctx)
		n, err := rowsAffected(ctx, res, err, "deleting "+what)
		if err != nil {
			return err
		}
		if n == 0 {
			return tx.casMissed(ctx, inScope(tx.idb.NewSelect().Model((*orderRow)(nil)), scope).
				Where("id = ?", string(id)), what, "was changed or submitted by someone else; reload it")
		}
		// A withdrawn draft may have told its recipient it was received.
		_, err = inScope(tx.idb.NewDelete().Model((*noticeRow)(nil)), scope).Where("order_id = ?", string(id)).Exec(ctx)
		if err != nil {
			return translate(ctx, err, "deleting the notices of "+what)
		}
		// Found by the order's index: named beside the account's, SQLite's
		// planner (which has no statistics) walked every event of the account,
		// 20 ms a draft at 40k events (7 minutes to delete 20k drafts).
		_, err = tx.idb.NewDelete().Model((*eventRow)(nil)).
			Where("id IN (SELECT id FROM order_events WHERE order_id = ?)", string(id)).
			Where("account_id = ?", string(scope.Account)).
			Exec(ctx)
		return translate(ctx, err, "deleting the history of "+what)
	})
}
