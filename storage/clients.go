package storage

import (
	"context"
	"database/sql"
	"time"

	"github.com/dispatchkit/connect"
	"github.com/uptrace/bun"
)

// casMissed explains a compare-and-set that changed no row: ErrConflict when the
// row exists in the scope (it moved on), else ErrNotFound.
func (s *Store) casMissed(ctx context.Context, q *bun.SelectQuery, what, conflict string) error {
	ok, err := q.Exists(ctx)
	if err != nil {
		return translate(ctx, err, what)
	}
	if ok {
		return connect.Errorf(connect.Conflict, "%s %s", what, conflict)
	}
	return connect.Errorf(connect.NotFound, "%s: not found", what)
}

// rowsAffected returns the number of rows a statement changed.
func rowsAffected(ctx context.Context, res sql.Result, err error, what string) (int64, error) {
	if err != nil {
		return 0, translate(ctx, err, what)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, translate(ctx, err, what)
	}
	return n, nil
}

// CreateClient stores a new client of the scope at Version 1 and sets c.Version.
func (s *Store) CreateClient(ctx context.Context, scope connect.Scope, c *connect.Client) error {
	if _, err := within(scope, c.Account, c.ID, "client "+string(c.ID)); err != nil {
		return err
	}
	row, err := clientToRow(c)
	if err != nil {
		return err
	}
	row.Version = 1
	if _, err := s.idb.NewInsert().Model(row).Returning("NULL").Exec(ctx); err != nil {
		return translate(ctx, err, "creating client "+string(c.ID))
	}
	c.Version = 1
	return nil
}

// Client returns one client in the scope.
func (s *Store) Client(ctx context.Context, scope connect.Scope, id connect.ClientID) (*connect.Client, error) {
	var row clientRow
	err := clientsIn(s.idb.NewSelect().Model(&row), scope).Where("id = ?", string(id)).Scan(ctx)
	if err != nil {
		return nil, translate(ctx, err, "client "+string(id))
	}
	return row.client()
}

// ClientByNumber returns the scope's client with that number.
func (s *Store) ClientByNumber(ctx context.Context, scope connect.Scope, n connect.ClientNumber) (*connect.Client, error) {
	if n == "" {
		return nil, connect.Errorf(connect.NotFound, "no client has an empty number")
	}
	var row clientRow
	err := clientsIn(s.idb.NewSelect().Model(&row), scope).Where("number = ?", string(n)).Scan(ctx)
	if err != nil {
		return nil, translate(ctx, err, "client number "+string(n))
	}
	return row.client()
}

// Clients lists the scope's clients by name.
func (s *Store) Clients(ctx context.Context, scope connect.Scope) ([]*connect.Client, error) {
	return s.ClientsPage(ctx, scope, connect.ClientQuery{})
}

// ClientsPage lists the scope's clients that q selects, by name and id, read
// along clients_account_name.
func (s *Store) ClientsPage(ctx context.Context, scope connect.Scope, q connect.ClientQuery) ([]*connect.Client, error) {
	var rows []clientRow
	sel := searchClients(clientsIn(s.idb.NewSelect().Model(&rows), scope), q.Search)
	if q.After != nil {
		sel = sel.Where("(name, id) > (?, ?)", q.After.Name, string(q.After.ID))
	}
	sel = sel.OrderExpr("name ASC, id ASC")
	if q.Limit > 0 {
		sel = sel.Limit(int64(q.Limit))
	}
	if err := sel.Scan(ctx); err != nil {
		return nil, translate(ctx, err, "listing clients")
	}
	out := make([]*connect.Client, len(rows))
	for i := range rows {
		var err error
		if out[i], err = rows[i].client(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// searchClients keeps the clients whose name, email or number contains search.
func searchClients(sel *bun.SelectQuery, search string) *bun.SelectQuery {
	if search == "" {
		return sel
	}
	return sel.Where(searchText([]string{"name", "email", "number"})+" LIKE ? ESCAPE '\\'", likePattern(search))
}

// CountClients counts the scope's clients that q's Search selects.
func (s *Store) CountClients(ctx context.Context, scope connect.Scope, q connect.ClientQuery) (int, error) {
	n, err := searchClients(clientsIn(s.idb.NewSelect().Model((*clientRow)(nil)), scope), q.Search).Count(ctx)
	if err != nil {
		return 0, translate(ctx, err, "counting clients")
	}
	return int(n), nil
}

// UpdateClient writes c if it is in the scope and still at c.Version, and
// advances c.Version.
func (s *Store) UpdateClient(ctx context.Context, scope connect.Scope, c *connect.Client) error {
	what := "client " + string(c.ID)
	if _, err := within(scope, c.Account, c.ID, what); err != nil {
		return err
	}
	row, err := clientToRow(c)
	if err != nil {
		return err
	}
	res, err := s.idb.NewUpdate().Model(row).
		Column("name", "email", "status", "number", "allow_upload", "require_two_factor", "required_fields",
			"default_depot", "shopify_shop", "shopify_linked_at", "auto_fulfil",
			"notify_customer", "fulfil_mode", "import_mapping", "address_book_off", "updated_at").
		Set("version = ?", c.Version+1).
		Where("account_id = ?", string(c.Account)).Where("id = ?", string(c.ID)).
		Where("version = ?", c.Version).
		Exec(ctx)
	n, err := rowsAffected(ctx, res, err, "updating "+what)
	if err != nil {
		return err
	}
	if n == 0 {
		return s.casMissed(ctx, s.idb.NewSelect().Model((*clientRow)(nil)).
			Where("account_id = ?", string(c.Account)).Where("id = ?", string(c.ID)),
			what, "was changed by someone else; reload it")
	}
	c.Version++
	return nil
}

// CountOrders counts the scope's orders per client and status. It reads the
// counts the orders' triggers keep (order_counts, by primary key), so it costs a
// few rows per client however many orders there are.
func (s *Store) CountOrders(ctx context.Context, scope connect.Scope) (map[connect.ClientID]connect.StatusCounts, error) {
	return s.orderCounts(ctx, inScope(s.idb.NewSelect().Table("order_counts"), scope))
}

// CountClientOrders counts the orders of the scope's clients among ids from
// order_counts.
func (s *Store) CountClientOrders(ctx context.Context, scope connect.Scope, ids []connect.ClientID) (map[connect.ClientID]connect.StatusCounts, error) {
	if len(ids) == 0 {
		return map[connect.ClientID]connect.StatusCounts{}, nil
	}
	return s.orderCounts(ctx, inScope(s.idb.NewSelect().Table("order_counts"), scope).
		Where("client_id IN (?)", bun.List(ids)))
}

// orderCounts reads the counts that sel, a select of order_counts, keeps.
func (s *Store) orderCounts(ctx context.Context, sel *bun.SelectQuery) (map[connect.ClientID]connect.StatusCounts, error) {
	var rows []struct {
		ClientID string `bun:"client_id"`
		Status   string `bun:"status"`
		N        int    `bun:"n"`
	}
	if err := sel.Column("client_id", "status", "n").Where("n > 0").Scan(ctx, &rows); err != nil {
		return nil, translate(ctx, err, "counting orders")
	}
	out := map[connect.ClientID]connect.StatusCounts{}
	for _, r := range rows {
		c := out[connect.ClientID(r.ClientID)]
		if c == nil {
			c = connect.StatusCounts{}
			out[connect.ClientID(r.ClientID)] = c
		}
		c[connect.Status(r.Status)] = r.N
	}
	return out, nil
}

// CountOnTime counts the scope's orders delivered with an ETA since since, and of
// them those delivered by it. It reads the client's delivered orders through
// orders_client_status (a dispatcher's, the account's), testing each row's times.
func (s *Store) CountOnTime(ctx context.Context, scope connect.Scope, since time.Time) (onTime, withETA int, err error) {
	var r struct {
		OnTime  int `bun:"on_time"`
		WithETA int `bun:"with_eta"`
	}
	err = s.selectOrdersOf(scope).
		ColumnExpr("count(CASE WHEN route_event_at <= eta THEN 1 END) AS on_time").
		ColumnExpr("count(*) AS with_eta").
		Where("status = ?", string(connect.StatusDelivered)).
		Where("eta IS NOT NULL").
		Where("route_event_at >= ?", dbTime(since)).
		Scan(ctx, &r)
	if err != nil {
		return 0, 0, translate(ctx, err, "counting orders delivered on time")
	}
	return r.OnTime, r.WithETA, nil
}
