package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/dispatchkit/connect"
	"github.com/jackc/pgx/v5"
	"github.com/uptrace/bun"
)

// The hot statements on PostgreSQL (a page of orders, the batches of route
// events, a session with its member and client) run as prepared statements: bun writes values into the SQL text, so
// each would be parsed and planned anew (0.2-0.8 ms for a page of orders with the
// orders' indexes to weigh, more than the query itself), while pgx's statement
// cache plans a statement once per connection, its values sent apart.
//
// They still go through bun, so that its query hooks (a host's tracing) see them:
// bun runs the hooks around a query as around any other, and then hands its SQL
// text to the query's connection, which here is a cachedStatement that runs it
// with the pgx arguments.

// cachedStatement is the connection (bun.IConn) of a bun query whose arguments go
// to pgx, not into the SQL text. bun cannot carry them: it writes every argument
// into the text and calls the driver with the text alone (DB.QueryContext,
// RawQuery), which would make each distinct value a statement of its own. The
// text uses $n placeholders and no "?", which bun's formatting leaves as it is.
type cachedStatement struct {
	on   bun.IConn // the Store's *sql.DB or *sql.Tx, below bun
	args []any
}

func (c cachedStatement) with() []any {
	return append([]any{pgx.QueryExecModeCacheStatement}, c.args...)
}

func (c cachedStatement) QueryContext(ctx context.Context, query string, _ ...any) (*sql.Rows, error) {
	return c.on.QueryContext(ctx, query, c.with()...)
}

func (c cachedStatement) ExecContext(ctx context.Context, query string, _ ...any) (sql.Result, error) {
	return c.on.ExecContext(ctx, query, c.with()...)
}

func (c cachedStatement) QueryRowContext(ctx context.Context, query string, _ ...any) *sql.Row {
	return c.on.QueryRowContext(ctx, query, c.with()...)
}

// statementConn runs a statement as one pgx prepares and caches per connection
// (Store.statement).
func (d *postgresDialect) statementConn(s *Store, args []any) bun.IConn {
	var on bun.IConn = s.db.DB
	if s.tx != nil {
		on = s.tx.Tx
	}
	return cachedStatement{on: on, args: args}
}

// orders lists a page of orders as a cached statement. The shapes are few: with
// or without a client, a depot, a cursor, a limit, and the status list, which
// stays literal so that the planner matches it to the partial indexes. A status
// that is not one of connect's takes bun's way (which quotes it).
func (d *postgresDialect) orders(ctx context.Context, s *Store, scope connect.Scope, q connect.OrderQuery) ([]*connect.Order, error) {
	text, args, ok := preparedOrders(scope, q)
	if !ok {
		return s.selectOrders(ctx, scope, q)
	}
	var m orderScan
	if err := s.statement(text, args...).Scan(ctx, &m); err != nil {
		return nil, translate(ctx, err, "listing orders")
	}
	return ordersOf(m.rows)
}

// orderSelectList is the column list of orderRow.
var orderSelectList = strings.Join(orderCopyColumns, ", ")

// preparedOrders returns the parameterized query for q, or ok=false when q names a
// status that is not one of connect's (the bun path then quotes it).
func preparedOrders(scope connect.Scope, q connect.OrderQuery) (string, []any, bool) {
	var b strings.Builder
	args := []any{string(scope.Account)}
	param := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	b.WriteString("SELECT " + orderSelectList + " FROM orders WHERE account_id = $1")
	if scope.Client != "" {
		b.WriteString(" AND client_id = " + param(string(scope.Client)))
	}
	switch st := sortStatuses(q.Statuses); len(st) {
	case 0:
	case 1:
		if !connect.Status(st[0]).Valid() {
			return "", nil, false
		}
		b.WriteString(" AND status = '" + st[0] + "'")
	default:
		b.WriteString(" AND status IN (")
		for i, x := range st {
			if !connect.Status(x).Valid() {
				return "", nil, false
			}
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("'" + x + "'")
		}
		b.WriteString(")")
	}
	if q.Depot != "" {
		b.WriteString(" AND depot = " + param(string(q.Depot)))
	}
	if q.Source != "" {
		b.WriteString(" AND source = " + param(string(q.Source)))
	}
	if q.Import != "" {
		b.WriteString(" AND import_id = " + param(string(q.Import)))
	}
	if q.Search != "" {
		b.WriteString(" AND " + searchText(orderSearchColumns) + " LIKE " + param(likePattern(q.Search)))
	}
	if !q.CreatedFrom.IsZero() {
		b.WriteString(" AND created_at >= " + param(dbTime(q.CreatedFrom)) + "::timestamptz")
	}
	if !q.CreatedBefore.IsZero() {
		b.WriteString(" AND created_at < " + param(dbTime(q.CreatedBefore)) + "::timestamptz")
	}
	key, after := listKey(q)
	if q.After != nil {
		b.WriteString(" AND (" + key + ", id) < (" + param(dbTime(after)) + "::timestamptz, " +
			param(string(q.After.ID)) + ")")
	}
	b.WriteString(" ORDER BY " + key + " DESC, id DESC")
	if q.Limit > 0 {
		b.WriteString(" LIMIT " + param(int64(q.Limit)))
	}
	// (A list by completion reads orders_client_completed, in its order.)
	// (A list of one import reads orders_import, led by the import.)
	if scope.Client != "" && (q.Search != "" || q.Source != "") && q.Depot == "" && q.Import == "" && q.Sort != connect.OrderSortCompleted {
		// A search reads the client's orders until the page fills, most of them
		// not matching: find the page's ids in orders_client_search, which holds
		// every column the conditions name (an index-only scan), then read
		// those rows alone.
		return "SELECT " + orderSelectList + " FROM orders WHERE id = ANY(ARRAY(" +
			strings.Replace(b.String(), "SELECT "+orderSelectList+" ", "SELECT id ", 1) +
			")) ORDER BY created_at DESC, id DESC", args, true
	}
	return b.String(), args, true
}

// orderScan scans rows of orderCopyColumns straight into orderRows: a bun.Model
// that does what bun's own model does by looking every column up by name, for
// every row.
type orderScan struct {
	rows []orderRow

	r                              orderRow
	products, proof, importID      sql.NullString
	eta, routeEventAt, submittedAt sql.NullTime
	dests                          []any
}

var _ bun.Model = (*orderScan)(nil)

// ScanRows scans every row (bun.Model).
func (sc *orderScan) ScanRows(_ context.Context, rows *sql.Rows) (int, error) {
	n := 0
	for rows.Next() {
		sc.r = orderRow{} // a NULL leaves some scanners' old value in place
		if err := rows.Scan(sc.dest()...); err != nil {
			return n, err
		}
		sc.rows = append(sc.rows, sc.row())
		n++
	}
	return n, rows.Err()
}

// Value is what was scanned (bun.Model).
func (sc *orderScan) Value() any { return sc.rows }

func (sc *orderScan) dest() []any {
	if sc.dests == nil {
		r := &sc.r
		sc.dests = []any{
			&r.ID, &r.AccountID, &r.ClientID, &r.Ref, &r.Source, &r.ShopifyShop, &r.ShopifyOrderID,
			&r.Depot, &r.Status, &r.Version, &r.StopType, &r.AddressUnit, &r.AddressLine1,
			&r.AddressLine2, &r.City, &r.State, &r.Zip, &r.Country, &r.Latitude, &r.Longitude,
			&r.RecipientName, &r.RecipientEmail, &r.RecipientPhone, &r.Notes, &r.Size,
			&r.PackageCount, &sc.products, &r.RouteID, &r.RoutePosition, &sc.eta, &r.FailureReason,
			&sc.proof, &sc.routeEventAt, &r.CreatedAt, &r.UpdatedAt, &sc.submittedAt,
			&r.Fingerprint, &r.NotifyOptOut, &sc.importID,
		}
	}
	return sc.dests
}

// routeStateColumns are an order's route state (what ClaimHostEvents reads),
// in claimScan's order.
var routeStateColumns = []string{"id", "account_id", "client_id", "ref", "source", "shopify_shop",
	"shopify_order_id", "depot", "status", "version", "route_id", "route_position", "eta",
	"failure_reason", "proof", "route_event_at", "created_at", "updated_at", "submitted_at"}

// claimScan scans the rows of claimHostEvents: an order's route state, then
// the JSON list of the fresh event ids (on one row; NULL on the others).
type claimScan struct {
	orderScan
	fresh []string
	ids   sql.NullString
}

var _ bun.Model = (*claimScan)(nil)

// ScanRows scans every row (bun.Model).
func (sc *claimScan) ScanRows(_ context.Context, rows *sql.Rows) (int, error) {
	n := 0
	r := &sc.r
	dest := []any{&r.ID, &r.AccountID, &r.ClientID, &r.Ref, &r.Source, &r.ShopifyShop, &r.ShopifyOrderID,
		&r.Depot, &r.Status, &r.Version, &r.RouteID, &r.RoutePosition, &sc.eta, &r.FailureReason,
		&sc.proof, &sc.routeEventAt, &r.CreatedAt, &r.UpdatedAt, &sc.submittedAt, &sc.ids}
	for rows.Next() {
		sc.r, sc.ids = orderRow{}, sql.NullString{}
		if err := rows.Scan(dest...); err != nil {
			return n, err
		}
		sc.rows = append(sc.rows, sc.row())
		if sc.ids.Valid {
			var ids []string
			if err := json.Unmarshal([]byte(sc.ids.String), &ids); err != nil {
				return n, err
			}
			sc.fresh = append(sc.fresh, ids...)
		}
		n++
	}
	return n, rows.Err()
}

func (sc *orderScan) row() orderRow {
	r := sc.r
	r.Products, r.Proof, r.ImportID = sc.products.String, sc.proof.String, sc.importID.String
	r.ETA, r.RouteEventAt, r.SubmittedAt = sc.eta.Time, sc.routeEventAt.Time, sc.submittedAt.Time
	return r
}
