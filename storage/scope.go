package storage

import (
	"github.com/dispatchkit/connect"
	"github.com/uptrace/bun"
)

// wherer is a bun query that takes WHERE conditions (select, update, delete).
type wherer[Q any] interface {
	Where(query string, args ...any) Q
}

// inScope limits q to the scope's tenant: the account always, the client when set.
// Every query of this package about tenant data goes through it (or narrowScope,
// or names the account and client itself).
func inScope[Q wherer[Q]](q Q, sc connect.Scope) Q {
	return inScopeAs(q, sc, "account_id", "client_id")
}

// inScopeAs is inScope with the account's and the client's terms written as given.
func inScopeAs[Q wherer[Q]](q Q, sc connect.Scope, account, client string) Q {
	q = q.Where(account+" = ?", string(sc.Account))
	if sc.Client != "" {
		q = q.Where(client+" = ?", string(sc.Client))
	}
	return q
}

// The frequent reads of orders and their events must be led by the narrowest key
// they have: the client's indexes when the scope names a client, the order's
// index for an order's history. Without statistics (a new table, autovacuum
// behind or off, and nobody runs ANALYZE on an embedded SQLite file) both
// databases rate the account's index as selective as the client's: PostgreSQL
// ANDs the two, SQLite takes the account's, and either reads every order of the
// account (100k) to list or count one client's. The tenant stays in the SQL all
// the same; only the index choice is steered:
//   - on SQLite by narrowScope, which writes the terms that must not lead as
//     +account_id: its planner never answers a term with a unary + from an index
//     (SQLite's documented way to disqualify a term), and by INDEXED BY;
//   - on PostgreSQL by a fence in the FROM (selectOrdersOf, History), a subquery
//     behind OFFSET 0 that the planner does not see through.
//
// Each dialect's file writes its own (narrowScope, ordersOf, historyOf,
// activeOrders).

// narrowScope limits q to the scope as inScope does, for a query of orders or
// order events that the client's key (or, with byOrder, the order's key, which q
// sets) must lead.
func (s *Store) narrowScope(q *bun.SelectQuery, sc connect.Scope, byOrder bool) *bun.SelectQuery {
	return s.d.narrowScope(q, sc, byOrder)
}

// selectOrdersOf starts a select of the scope's orders that the client's index
// must lead, with narrowScope's conditions.
func (s *Store) selectOrdersOf(sc connect.Scope) *bun.SelectQuery {
	return s.narrowScope(s.d.ordersOf(s.idb.NewSelect(), sc), sc, false)
}

// within returns the tenant of an object given to a Create or Update method (its
// own account and client) when it lies in the scope, and ErrNotFound, as for a
// missing object, when it names another account, or another client than the
// scope's. The methods then write in the object's own tenant, which the scope
// contains.
func within(scope connect.Scope, account connect.AccountID, client connect.ClientID, what string) (connect.Scope, error) {
	if scope.Account == "" || account != scope.Account || (scope.Client != "" && client != scope.Client) {
		return connect.Scope{}, connect.Errorf(connect.NotFound, "%s: not found", what)
	}
	return connect.Scope{Account: account, Client: client}, nil
}

// clientsIn limits q, a query of clients, to the scope: the account's clients, or
// the one client the scope names.
func clientsIn[Q wherer[Q]](q Q, sc connect.Scope) Q {
	return inScopeAs(q, sc, "account_id", "id")
}
