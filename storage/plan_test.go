package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/internal/pgtest"
	"github.com/uptrace/bun"
)

// queryLog records the SQL bun sends.
type queryLog struct {
	mu      sync.Mutex
	queries []string
}

func (l *queryLog) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context { return ctx }
func (l *queryLog) AfterQuery(_ context.Context, e *bun.QueryEvent) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.queries = append(l.queries, e.Query)
}

// saw reports whether a query that bun sent holds part.
func (l *queryLog) saw(part string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, q := range l.queries {
		if strings.Contains(q, part) {
			return true
		}
	}
	return false
}

// last is the last statement bun sent, but the end of a transaction.
func (l *queryLog) last() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := len(l.queries) - 1; i >= 0; i-- {
		if q := strings.ToUpper(l.queries[i]); !strings.HasPrefix(q, "COMMIT") && !strings.HasPrefix(q, "RELEASE") {
			return l.queries[i]
		}
	}
	return l.queries[len(l.queries)-1]
}

// unboundArgs are NULL values for the $n placeholders of a statement's text.
func unboundArgs(query string) []any {
	n := 0
	for _, m := range regexp.MustCompile(`\$([0-9]+)`).FindAllStringSubmatch(query, -1) {
		k, _ := strconv.Atoi(m[1])
		n = max(n, k)
	}
	return make([]any, n)
}

// planQueries are the portal's most frequent lists and the index each must use.
func planQueries() []struct {
	sc    connect.Scope
	q     connect.OrderQuery
	index string
} {
	client := connect.Scope{Account: "a", Client: "c"}
	after := &connect.OrderCursor{CreatedAt: time.Date(2026, 1, 1, 0, 3, 20, 0, time.UTC), ID: "o0200"}
	return []struct {
		sc    connect.Scope
		q     connect.OrderQuery
		index string
	}{
		{client, connect.OrderQuery{Statuses: connect.ViewActive.Statuses(), Limit: 51}, "orders_client_active"},
		{client, connect.OrderQuery{Statuses: connect.ViewActive.Statuses(), Limit: 51, After: after}, "orders_client_active"},
		{client, connect.OrderQuery{Statuses: []connect.Status{connect.StatusDraft}, Limit: 51}, "orders_client_status"},
		{connect.Scope{Account: "a"}, connect.OrderQuery{Statuses: []connect.Status{connect.StatusSubmitted}, Depot: "d1", Limit: 51}, "orders_unassigned"},
		{client, connect.OrderQuery{Statuses: connect.ViewCompleted.Statuses(), Sort: connect.OrderSortCompleted, Limit: 51}, "orders_client_completed"},
		{client, connect.OrderQuery{Statuses: connect.ViewCompleted.Statuses(), Sort: connect.OrderSortCompleted, Limit: 51,
			After: &connect.OrderCursor{CompletedAt: time.Date(2026, 1, 1, 0, 3, 20, 0, time.UTC), ID: "o0200"}}, "orders_client_completed"},
		{connect.Scope{Account: "a"}, connect.OrderQuery{Statuses: connect.ViewCompleted.Statuses(), Sort: connect.OrderSortCompleted, Limit: 51}, "orders_account_completed"},
		// The list narrowed to one import (of 10 the client has): led by the
		// import, on its own, with a tab, and over the account (a stops file).
		{client, connect.OrderQuery{Import: "ic3", Limit: 51}, "orders_import"},
		{client, connect.OrderQuery{Import: "ic3", Limit: 51, After: after}, "orders_import"},
		{client, connect.OrderQuery{Import: "ic3", Statuses: connect.ViewActive.Statuses(), Limit: 51}, "orders_import"},
		{client, connect.OrderQuery{Import: "ic3", Statuses: []connect.Status{connect.StatusDraft}, Limit: 51}, "orders_import"},
		{connect.Scope{Account: "a"}, connect.OrderQuery{Import: "ic3", Statuses: []connect.Status{connect.StatusSubmitted}, Limit: 51}, "orders_import"},
	}
}

// seedPlanOrders stores 300 orders of client c of account a, and 300 of another
// client, each client's in 10 imports (ic0…ic9, ix0…ix9), with their creation events; analyzed: and has the database gather
// statistics.
func seedPlanOrders(t *testing.T, s *Store, analyzed bool) {
	t.Helper()
	seedOrders(t, s, 300, func(o *connect.Order, i int) {
		o.Status = []connect.Status{connect.StatusDraft, connect.StatusDelivered, connect.StatusSubmitted}[i%3]
		o.Import = connect.ImportID(fmt.Sprintf("i%s%d", o.Client[:1], i/30))
		if o.Status == connect.StatusDelivered {
			o.ETA, o.RouteEventAt = o.CreatedAt.Add(time.Hour), o.CreatedAt.Add(time.Hour)
		}
	})
	if !analyzed {
		return
	}
	if _, err := s.db.ExecContext(t.Context(), "ANALYZE"); err != nil {
		t.Fatal(err)
	}
}

// seedOrders adds clients "c" and "x" of account "a", with n orders each
// (ids c0000…, refs r0…, a second apart, depot d1), each as edit leaves it.
func seedOrders(t *testing.T, s *Store, n int, edit func(o *connect.Order, i int)) {
	t.Helper()
	ctx := t.Context()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var (
		orders []*connect.Order
		events []connect.OrderEvent
	)
	for _, id := range []connect.ClientID{"c", "x"} {
		c := &connect.Client{ID: id, Account: "a", Name: string(id), Status: connect.ClientActive, CreatedAt: t0, UpdatedAt: t0}
		if err := s.CreateClient(ctx, connect.Scope{Account: c.Account}, c); err != nil {
			t.Fatal(err)
		}
		for i := range n {
			at := t0.Add(time.Duration(i) * time.Second)
			o := &connect.Order{ID: connect.OrderID(fmt.Sprintf("%s%04d", id[:1], i)), Account: "a", Client: id,
				OrderInput: connect.OrderInput{Ref: fmt.Sprintf("r%d", i)}, Version: 1, Depot: "d1", CreatedAt: at, UpdatedAt: at}
			edit(o, i)
			orders = append(orders, o)
			events = append(events, connect.OrderEvent{Order: o.ID, Account: "a", Client: id, Event: connect.EventCreate,
				To: connect.StatusDraft, At: at, By: "plan"})
		}
	}
	if err := s.CreateOrders(ctx, connect.Scope{Account: "a"}, orders, events); err != nil {
		t.Fatal(err)
	}
}

// TestSQLiteListsUseTheirIndexes asks SQLite how it runs the portal's lists,
// counts, histories and feeds, with statistics and without (nobody runs ANALYZE
// on an embedded file): each must be led by the client's or the order's index,
// never by the account's, which holds every client's orders.
func TestSQLiteListsUseTheirIndexes(t *testing.T) {
	t.Parallel()
	client := connect.Scope{Account: "a", Client: "c"}
	type planRead struct {
		name  string
		read  func(ctx context.Context, s *Store) error
		index string
	}
	reads := []planRead{
		{"counts", func(ctx context.Context, s *Store) error { _, err := s.CountOrders(ctx, client); return err }, "order_counts USING PRIMARY KEY"},
		{"on time", func(ctx context.Context, s *Store) error {
			_, _, err := s.CountOnTime(ctx, client, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
			return err
		}, "orders_client_status"},
		{"history", func(ctx context.Context, s *Store) error { _, err := s.History(ctx, client, "o0001"); return err }, "order_events_order"},
		{"feed", func(ctx context.Context, s *Store) error { _, _, err := s.Events(ctx, client, "1", 100); return err }, "order_events_client"},
		{"orders of a Shopify order", func(ctx context.Context, s *Store) error {
			_, err := s.OrdersFromShopify(ctx, client, "green.myshopify.com", []string{"gid://shopify/Order/1"})
			return err
		}, "orders_shopify_order"},
		{"an order's outbox", func(ctx context.Context, s *Store) error { _, err := s.OrderOutbox(ctx, client, "o0001"); return err }, "outbox_order"},
		{"refs", func(ctx context.Context, s *Store) error {
			_, err := s.ExistingRefs(ctx, client, []string{"r1", "r2"})
			return err
		}, "orders_client_ref"},
		// Its last statement: the deleted draft's history (a bulk delete makes
		// thousands of these).
		{"deleting a draft", func(ctx context.Context, s *Store) error { return s.DeleteDraft(ctx, client, "c0000", 1) }, "order_events_order"},
	}
	for _, tc := range planQueries() {
		reads = append(reads, planRead{fmt.Sprintf("list %v of %q", tc.q.Statuses, tc.sc.Client), func(ctx context.Context, s *Store) error {
			_, err := s.Orders(ctx, tc.sc, tc.q)
			return err
		}, tc.index})
	}
	for _, analyzed := range []bool{false, true} {
		t.Run(fmt.Sprintf("analyzed=%v", analyzed), func(t *testing.T) {
			base, err := Open(t.Context(), "sqlite:"+filepath.Join(t.TempDir(), "db"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = base.Close() })
			log := &queryLog{}
			s, err := New(base.db.WithQueryHook(log))
			if err != nil {
				t.Fatal(err)
			}
			seedPlanOrders(t, s, analyzed)
			for _, r := range reads {
				if err := r.read(t.Context(), s); err != nil {
					t.Fatalf("%s: %v", r.name, err)
				}
				query := log.last()
				// A prepared statement's values are not in its text: its plan is
				// the same with each left NULL.
				rows, err := s.db.DB.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+query, unboundArgs(query)...)
				if err != nil {
					t.Fatal(err)
				}
				if plan := planText(t, rows); !strings.Contains(plan, r.index+" ") {
					t.Errorf("%s: %s\nruns as\n%s\nwant index %s", r.name, query, plan, r.index)
				}
			}
		})
	}
}

// TestPostgresListsUseTheirIndexes asks PostgreSQL for the generic plan of each
// prepared list query (the plan its statement cache keeps).
func TestPostgresListsUseTheirIndexes(t *testing.T) {
	s := openPlanPostgres(t)
	ctx := t.Context()
	seedPlanOrders(t, s, true)

	conn, err := s.db.DB.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	// 300 rows fit a page or two: plan as for a big table, generically.
	for _, set := range []string{"SET enable_seqscan = off", "SET plan_cache_mode = force_generic_plan"} {
		if _, err := conn.ExecContext(ctx, set); err != nil {
			t.Fatal(err)
		}
	}
	client := connect.Scope{Account: "a", Client: "c"}
	pgOnly := []struct {
		sc    connect.Scope
		q     connect.OrderQuery
		index string
	}{
		{client, connect.OrderQuery{Search: "main", Limit: 51}, "orders_client_search"},
		{client, connect.OrderQuery{Source: connect.SourceShopify, Statuses: connect.ViewCompleted.Statuses(), Limit: 51}, "orders_client_search"},
		{client, connect.OrderQuery{Limit: 51}, "orders_client_search"},
	}
	for i, tc := range append(planQueries(), pgOnly...) {
		query, args, ok := preparedOrders(tc.sc, tc.q)
		if !ok {
			t.Fatalf("no prepared query for %+v", tc.q)
		}
		name := fmt.Sprintf("plan%d", i)
		if _, err := conn.ExecContext(ctx, "PREPARE "+name+" AS "+query); err != nil {
			t.Fatal(err)
		}
		rows, err := conn.QueryContext(ctx, "EXPLAIN EXECUTE "+name+"("+sqlLiterals(args)+")")
		if err != nil {
			t.Fatal(err)
		}
		if plan := planText(t, rows); !strings.Contains(plan, tc.index) {
			t.Errorf("%s\nruns as\n%s\nwant index %s", query, plan, tc.index)
		}
	}
}

// TestPostgresKnowsHowManyOrdersASearchMatches checks that PostgreSQL plans a
// search with the statistics of the text it reads (migration
// 20261208010000): a search that every order matches is estimated to match
// most of them, not PostgreSQL's guess of one in ten thousand, which made it
// plan a page found in the index's first entries as a costly scan (parallel
// workers and JIT: 141 ms instead of 0.3 ms at 10M orders). The statistics
// hold only for the very expression searchText writes.
func TestPostgresKnowsHowManyOrdersASearchMatches(t *testing.T) {
	s := openPlanPostgres(t)
	ctx := t.Context()
	// Two clients' 400 orders, three in four on a Main Street.
	seedOrders(t, s, 200, func(o *connect.Order, i int) {
		street := "Main Street"
		if i%4 == 3 {
			street = "Oak Avenue"
		}
		o.Status, o.Address = connect.StatusSubmitted, connect.Address{Line1: fmt.Sprintf("%d %s", i+1, street)}
	})
	if _, err := s.db.ExecContext(ctx, "ANALYZE orders"); err != nil {
		t.Fatal(err)
	}
	for _, sc := range []connect.Scope{{Account: "a"}, {Account: "a", Client: "c"}} {
		query, args, ok := preparedOrders(sc, connect.OrderQuery{Search: "Main Street", Limit: 51})
		if !ok {
			t.Fatal("no prepared query for a search")
		}
		var plan string
		if err := s.db.QueryRowContext(ctx, "EXPLAIN (FORMAT JSON) "+inlineArgs(query, args)).Scan(&plan); err != nil {
			t.Fatal(err)
		}
		want := 150 // of the client's 200
		if sc.Client == "" {
			want *= 2
		}
		if got := searchEstimate(t, plan); got < want/3 || got > want*3 {
			t.Errorf("%v: the planner expects the search to keep %d orders, %d match\n%s", sc, got, want, plan)
		}
	}
}

// searchEstimate is the largest Plan Rows of the nodes of an EXPLAIN (FORMAT
// JSON) that filter by the search text.
func searchEstimate(t *testing.T, plan string) int {
	t.Helper()
	var nodes []struct{ Plan planNode }
	if err := json.Unmarshal([]byte(plan), &nodes); err != nil {
		t.Fatal(err)
	}
	most := -1
	var walk func(n planNode)
	walk = func(n planNode) {
		if strings.Contains(n.Filter+n.IndexCond, "~~") {
			most = max(most, int(n.Rows))
		}
		for _, c := range n.Plans {
			walk(c)
		}
	}
	walk(nodes[0].Plan)
	if most < 0 {
		t.Fatalf("no node of the plan filters by the search:\n%s", plan)
	}
	return most
}

// planNode is a node of an EXPLAIN (FORMAT JSON).
type planNode struct {
	Rows      float64    `json:"Plan Rows"`
	Filter    string     `json:"Filter"`
	IndexCond string     `json:"Index Cond"`
	Plans     []planNode `json:"Plans"`
}

// sqlLiterals writes query arguments as SQL literals, for EXECUTE.
func sqlLiterals(args []any) string {
	params := make([]string, len(args))
	for j, a := range args {
		switch a := a.(type) {
		case time.Time:
			params[j] = "'" + a.Format(time.RFC3339Nano) + "'"
		case string:
			params[j] = "'" + strings.ReplaceAll(a, "'", "''") + "'"
		default:
			params[j] = fmt.Sprint(a)
		}
	}
	return strings.Join(params, ", ")
}

// inlineArgs puts the arguments in place of a query's $n, as the planner sees
// them in a custom plan.
func inlineArgs(query string, args []any) string {
	lits := strings.Split(sqlLiterals(args), ", ")
	for j := len(lits) - 1; j >= 0; j-- { // $10 before $1
		query = strings.ReplaceAll(query, fmt.Sprintf("$%d", j+1), lits[j])
	}
	return query
}

// openPlanPostgres opens a Store on a schema of its own, dropped after the test.
func openPlanPostgres(t *testing.T) *Store {
	t.Helper()
	dsn := pgtest.Schema(t)
	t.Parallel()
	s, err := Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// planText joins every column of every row of an EXPLAIN.
func planText(t *testing.T, rows *sql.Rows) string {
	t.Helper()
	defer func() { _ = rows.Close() }()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintln(&b, vals...)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}
