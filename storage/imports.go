package storage

import (
	"context"

	"github.com/dispatchkit/connect"
)

// CreateImport stores the record of an import of the scope.
func (s *Store) CreateImport(ctx context.Context, scope connect.Scope, r *connect.ImportRecord) error {
	if _, err := within(scope, r.Account, r.Client, "import "+string(r.ID)); err != nil {
		return err
	}
	if r.ID == "" {
		return connect.Errorf(connect.Invalid, "storage: an import needs an id")
	}
	row := &importRow{ID: string(r.ID), AccountID: string(r.Account), ClientID: string(r.Client), Name: r.Name,
		Source: string(r.Source), Orders: r.Orders, Refused: r.Refused, By: r.By, CreatedAt: dbTime(r.CreatedAt)}
	if _, err := s.idb.NewInsert().Model(row).Returning("NULL").Exec(ctx); err != nil {
		return translate(ctx, err, "recording import "+string(r.ID))
	}
	return nil
}

// Imports lists the scope's imports newest first, through imports_client (a
// client's) or imports_account (an account's).
func (s *Store) Imports(ctx context.Context, scope connect.Scope, q connect.ImportQuery) ([]*connect.ImportRecord, error) {
	var rows []importRow
	sel := inScope(s.idb.NewSelect().Model(&rows), scope).OrderExpr("created_at DESC, id DESC")
	if q.Limit > 0 {
		sel = sel.Limit(int64(q.Limit))
	}
	if err := sel.Scan(ctx); err != nil && !isNoRows(err) {
		return nil, translate(ctx, err, "listing imports")
	}
	out := make([]*connect.ImportRecord, len(rows))
	for i, r := range rows {
		out[i] = &connect.ImportRecord{ID: connect.ImportID(r.ID), Account: connect.AccountID(r.AccountID),
			Client: connect.ClientID(r.ClientID), Name: r.Name, Source: connect.Source(r.Source), Orders: r.Orders,
			Refused: r.Refused, By: r.By, CreatedAt: goTime(r.CreatedAt)}
	}
	return out, nil
}
