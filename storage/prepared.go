package storage

import (
	"context"
	"database/sql"
	"strconv"
	"strings"

	"github.com/dispatchkit/connect"
	"github.com/jackc/pgx/v5"
)

// The portal's hottest query, a page of orders, runs on PostgreSQL as a prepared
// statement: bun writes values into the SQL text, so each page would be parsed and
// planned anew (0.2-0.8 ms with the orders' indexes to weigh, more than the query
// itself), while pgx's statement cache plans a query shape once per connection.
// The shapes are few: with or without a client, a depot, a cursor, a limit, and the
// status list, which stays literal so that the planner matches it to the partial
// indexes.

// orderSelectList is the column list of orderRow.
var orderSelectList = strings.Join(orderCopyColumns, ", ")

// preparedOrders returns the parameterized query for q, or ok=false when q names a
// status that is not one of connect's (the bun path then quotes it).
func preparedOrders(q connect.OrderQuery) (string, []any, bool) {
	var b strings.Builder
	args := []any{pgx.QueryExecModeCacheStatement, string(q.Scope.Account)}
	param := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args)-1)
	}
	b.WriteString("SELECT " + orderSelectList + " FROM orders WHERE account_id = $1")
	if q.Scope.Client != "" {
		b.WriteString(" AND client_id = " + param(string(q.Scope.Client)))
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
	if q.After != nil {
		b.WriteString(" AND (created_at, id) < (" + param(dbTime(q.After.CreatedAt)) + "::timestamptz, " +
			param(string(q.After.ID)) + ")")
	}
	b.WriteString(" ORDER BY created_at DESC, id DESC")
	if q.Limit > 0 {
		b.WriteString(" LIMIT " + param(int64(q.Limit)))
	}
	return b.String(), args, true
}

// scanOrders runs a query on the Store's database or transaction, past bun's
// formatting, and scans the rows with bun.
func (s *Store) scanOrders(ctx context.Context, dest *[]orderRow, query string, args []any) ([]*connect.Order, error) {
	var (
		rows *sql.Rows
		err  error
	)
	if s.tx != nil {
		rows, err = s.tx.Tx.QueryContext(ctx, query, args...)
	} else {
		rows, err = s.db.DB.QueryContext(ctx, query, args...)
	}
	if err != nil {
		return nil, translate(ctx, err, "listing orders")
	}
	defer func() { _ = rows.Close() }()
	var sc orderScan
	for rows.Next() {
		sc.r = orderRow{} // a NULL leaves some scanners' old value in place
		if err := rows.Scan(sc.dest()...); err != nil {
			return nil, translate(ctx, err, "listing orders")
		}
		*dest = append(*dest, sc.row())
	}
	if err := rows.Err(); err != nil {
		return nil, translate(ctx, err, "listing orders")
	}
	return ordersOf(*dest)
}

// orderScan scans a row of orderCopyColumns straight into an orderRow (what bun
// does by looking every column up by name, for every row).
type orderScan struct {
	r                              orderRow
	products, proof                sql.NullString
	eta, routeEventAt, submittedAt sql.NullTime
	dests                          []any
}

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
		}
	}
	return sc.dests
}

func (sc *orderScan) row() orderRow {
	r := sc.r
	r.Products, r.Proof = sc.products.String, sc.proof.String
	r.ETA, r.RouteEventAt, r.SubmittedAt = sc.eta.Time, sc.routeEventAt.Time, sc.submittedAt.Time
	return r
}
