package storagetest

import (
	"testing"

	"github.com/dispatchkit/connect"
)

// RunImports runs the tests of connect.ImportStore, and of the orders' import
// (Order.Import, OrderQuery.Import).
func RunImports(t *testing.T, open func(t *testing.T) connect.Store) {
	run(t, open, []test{
		{"ImportsRoundTripNewestFirstPerScope", testImportRecords},
		{"OrdersFilterByImport", testOrdersByImport},
		{"ImportsStayInTheirTenant", testImportsIsolation},
	})
}

// importRecord returns (without storing) an import of the client ("" for an
// account-wide stops file of account), created at f.at(n).
func (f *fixture) importRecord(account connect.AccountID, client connect.ClientID, n int) *connect.ImportRecord {
	return &connect.ImportRecord{ID: connect.ImportID(f.id("im")), Account: account, Client: client,
		Name: "orders.xlsx", Source: connect.SourceSpreadsheet, Orders: 120, Refused: 3, By: "member m1 (owner)", CreatedAt: f.at(n)}
}

// testImportRecords: records round-trip; a client's list holds its own, newest
// first, up to the limit; the account's list holds every one of the account,
// its stops files (no client) among them; an id in use is a conflict.
func testImportRecords(t *testing.T, f *fixture) {
	account := f.account()
	c, d := f.client(account), f.client(account)
	older, newer := f.importRecord(account, c.ID, 1), f.importRecord(account, c.ID, 3)
	newer.Name, newer.Source, newer.Refused = "Shopify", connect.SourceShopify, 0
	ofD := f.importRecord(account, d.ID, 2)
	stops := f.importRecord(account, "", 4)
	stops.Source, stops.By = connect.SourceDispatcher, "dispatcher ana@example.com"
	for _, r := range []*connect.ImportRecord{older, newer, ofD} {
		must(t, f.s.CreateImport(f.ctx, connect.Scope{Account: account, Client: r.Client}, r))
	}
	must(t, f.s.CreateImport(f.ctx, connect.Scope{Account: account}, stops))

	same(t, "the client's imports, newest first", []*connect.ImportRecord{newer, older},
		second2(f.s.Imports(f.ctx, scopeOf(c), connect.ImportQuery{})))
	same(t, "the client's newest import", []*connect.ImportRecord{newer},
		second2(f.s.Imports(f.ctx, scopeOf(c), connect.ImportQuery{Limit: 1})))
	same(t, "the account's imports, newest first", []*connect.ImportRecord{stops, newer, ofD, older},
		second2(f.s.Imports(f.ctx, connect.Scope{Account: account}, connect.ImportQuery{})))
	wantCode(t, "CreateImport with an id in use", f.s.CreateImport(f.ctx, scopeOf(c), older), connect.Conflict)
}

// testOrdersByImport: the import round-trips on its orders (by COPY too, on a
// database that copies big batches); a list of one import holds its orders
// alone, newest first, page after page, with the other filters, in the
// client's scope and the account's.
func testOrdersByImport(t *testing.T, f *fixture) {
	account := f.account()
	c, d := f.client(account), f.client(account)
	im, other := connect.ImportID(f.id("im")), connect.ImportID(f.id("im"))
	var mine, all []*connect.Order
	for i := range 40 {
		o := f.order(c, connect.StatusDraft, i)
		switch {
		case i%4 == 3:
			o.Import = other
		case i%8 == 5:
			// made another way: no import
		default:
			o.Import = im
			if i%3 == 0 {
				o.Status, o.SubmittedAt = connect.StatusSubmitted, o.CreatedAt
			}
			mine = append(mine, o)
		}
		all = append(all, o)
	}
	stop := f.order(d, connect.StatusSubmitted, 50) // the same (stops) import, another client
	stop.Import = im
	f.store(append(all, stop)...)

	got := f.reload(mine[0])
	if got.Import != im {
		t.Fatalf("an order read back has Import %q; want %q", got.Import, im)
	}
	if got := f.reload(all[5]); got.Import != "" {
		t.Fatalf("an order of no import reads back with Import %q", got.Import)
	}
	same(t, "the import's orders", ids(newestFirst(mine)), ids(second2(f.s.Orders(f.ctx, scopeOf(c), connect.OrderQuery{Import: im}))))

	var paged []*connect.Order
	q := connect.OrderQuery{Import: im, Limit: 7}
	for {
		page := second2(f.s.Orders(f.ctx, scopeOf(c), q))
		paged = append(paged, page...)
		if len(page) < q.Limit {
			break
		}
		last := page[len(page)-1]
		q.After = &connect.OrderCursor{CreatedAt: last.CreatedAt, ID: last.ID}
	}
	same(t, "the import's orders page by page", ids(newestFirst(mine)), ids(paged))

	var drafts []*connect.Order
	for _, o := range mine {
		if o.Status == connect.StatusDraft {
			drafts = append(drafts, o)
		}
	}
	same(t, "the import's drafts", ids(newestFirst(drafts)),
		ids(second2(f.s.Orders(f.ctx, scopeOf(c), connect.OrderQuery{Import: im, Statuses: []connect.Status{connect.StatusDraft}}))))
	same(t, "the import's orders over the account", ids(newestFirst(append(append([]*connect.Order(nil), mine...), stop))),
		ids(second2(f.s.Orders(f.ctx, connect.Scope{Account: account}, connect.OrderQuery{Import: im}))))
	same(t, "the import's orders of the other client", ids([]*connect.Order{stop}),
		ids(second2(f.s.Orders(f.ctx, scopeOf(d), connect.OrderQuery{Import: im}))))
	if got := second2(f.s.Orders(f.ctx, scopeOf(c), connect.OrderQuery{Import: "no-such-import"})); len(got) != 0 {
		t.Fatalf("an unknown import lists %d orders", len(got))
	}
}

// testImportsIsolation: another client, or another account, neither lists a
// client's imports nor reaches its orders by its import's id; a record naming
// another tenant than the scope is refused as not found.
func testImportsIsolation(t *testing.T, f *fixture) {
	account := f.account()
	c, neighbour := f.client(account), f.client(account)
	foreign := f.client(f.account())
	r := f.importRecord(account, c.ID, 1)
	must(t, f.s.CreateImport(f.ctx, scopeOf(c), r))
	o := f.order(c, connect.StatusDraft, 2)
	o.Import = r.ID
	f.store(o)

	for _, sc := range []connect.Scope{scopeOf(neighbour), scopeOf(foreign), {Account: foreign.Account},
		{Account: foreign.Account, Client: c.ID}} {
		if got := second2(f.s.Imports(f.ctx, sc, connect.ImportQuery{})); len(got) != 0 {
			t.Errorf("scope %+v lists %d imports of another tenant", sc, len(got))
		}
		if got := second2(f.s.Orders(f.ctx, sc, connect.OrderQuery{Import: r.ID})); len(got) != 0 {
			t.Errorf("scope %+v lists %d orders of another tenant's import", sc, len(got))
		}
	}
	wantCode(t, "CreateImport of another client", f.s.CreateImport(f.ctx, scopeOf(neighbour), f.importRecord(account, c.ID, 3)), connect.NotFound)
	wantCode(t, "CreateImport of the account in a client's scope", f.s.CreateImport(f.ctx, scopeOf(c), f.importRecord(account, "", 3)), connect.NotFound)
	wantCode(t, "CreateImport of another account", f.s.CreateImport(f.ctx, scopeOf(foreign), f.importRecord(account, foreign.ID, 3)), connect.NotFound)
}
