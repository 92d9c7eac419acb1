package storage

import (
	"context"
	"time"

	"github.com/dispatchkit/connect"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/shopspring/decimal"
)

// COPY of orders and their events on PostgreSQL, through pgx.

// defaultCopyAt is the number of orders from which CreateOrders uses COPY on
// PostgreSQL. Below it, a multi-row INSERT is as fast (COPY costs a round trip to
// describe the table); from about 50 rows on COPY wins, by 1.4× at 50, 4× at 1000
// and 8× at 10k (BenchmarkCreateOrders).
const defaultCopyAt = 20

// orderCopyColumns are the columns of orderRow, in its field order, which is the
// order copyValues writes them in (TestCopyColumnsMatchModel keeps them so).
var orderCopyColumns = []string{
	"id", "account_id", "client_id", "ref", "source", "shopify_shop", "shopify_order_id",
	"depot", "status", "version", "stop_type", "address_unit", "address_line1",
	"address_line2", "city", "state", "zip", "country", "latitude", "longitude",
	"recipient_name", "recipient_email", "recipient_phone", "notes", "size",
	"package_count", "products", "route_id", "route_position", "eta", "failure_reason",
	"proof", "route_event_at", "created_at", "updated_at", "submitted_at", "fingerprint",
	"notify_opt_out", "import_id",
}

// eventCopyColumns are the columns of eventRow, in its field order.
var eventCopyColumns = []string{
	"account_id", "client_id", "order_id", "event", "from_status", "to_status",
	"occurred_at", "actor", "eta", "reason",
}

// copyValues returns the row's values for COPY, in orderCopyColumns order; dst is
// reused.
func (r *orderRow) copyValues(dst []any) []any {
	return append(dst[:0],
		r.ID, r.AccountID, r.ClientID, r.Ref, r.Source, r.ShopifyShop, r.ShopifyOrderID,
		r.Depot, r.Status, r.Version, r.StopType, r.AddressUnit, r.AddressLine1,
		r.AddressLine2, r.City, r.State, r.Zip, r.Country, numeric(r.Latitude), numeric(r.Longitude),
		r.RecipientName, r.RecipientEmail, r.RecipientPhone, r.Notes, numeric(r.Size),
		r.PackageCount, nullString(r.Products), r.RouteID, r.RoutePosition, nullTime(r.ETA), r.FailureReason,
		nullString(r.Proof), nullTime(r.RouteEventAt), r.CreatedAt, r.UpdatedAt, nullTime(r.SubmittedAt),
		r.Fingerprint, r.NotifyOptOut, nullString(r.ImportID),
	)
}

// copyValues returns the event's values for COPY, in eventCopyColumns order.
func (r *eventRow) copyValues(dst []any) []any {
	return append(dst[:0],
		r.AccountID, r.ClientID, r.OrderID, r.Event, r.FromStatus, r.ToStatus,
		r.OccurredAt, r.Actor, nullTime(r.ETA), r.Reason,
	)
}

// numeric returns a decimal as pgx encodes numeric, exactly: coefficient and
// exponent, no float on the way.
func numeric(d decimal.NullDecimal) any {
	if !d.Valid {
		return nil
	}
	return pgtype.Numeric{Int: d.Decimal.Coefficient(), Exp: d.Decimal.Exponent(), Valid: true}
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// pgxConn is what pgx's stdlib driver connection offers.
type pgxConn interface{ Conn() *pgx.Conn }

// copyOrders writes orders and events with COPY on the transaction's connection,
// past bun: COPY is no query bun can run, and so the one statement of the package
// that bun's query hooks do not see.
func (s *Store) copyOrders(ctx context.Context, orders []*connect.Order, events []connect.OrderEvent) error {
	if s.conn == nil {
		return connect.Errorf(connect.Internal, "storage: COPY outside a transaction")
	}
	return s.conn.Raw(func(dc any) error {
		pc, ok := dc.(pgxConn)
		if !ok {
			return connect.Errorf(connect.Internal, "storage: COPY on %T, not a pgx connection", dc)
		}
		conn := pc.Conn()
		vals := make([]any, 0, len(orderCopyColumns))
		_, err := conn.CopyFrom(ctx, pgx.Identifier{"orders"}, orderCopyColumns,
			pgx.CopyFromSlice(len(orders), func(i int) ([]any, error) {
				r, err := orderToRow(orders[i])
				if err != nil {
					return nil, err
				}
				r.Version = 1
				vals = r.copyValues(vals)
				return vals, nil
			}))
		if err != nil || events == nil {
			return err
		}
		_, err = conn.CopyFrom(ctx, pgx.Identifier{"order_events"}, eventCopyColumns,
			pgx.CopyFromSlice(len(events), func(i int) ([]any, error) {
				vals = eventToRow(orders[i], &events[i]).copyValues(vals)
				return vals, nil
			}))
		return err
	})
}
