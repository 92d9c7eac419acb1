package main

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/dispatchkit/connect"
)

// The reads and writes of issue 19 at scale: after page has seeded the orders
// (10M over 10k clients with -orders 10000000 -clients 10000), each read of the
// portal through the Store, p50/p90/p99 over many random clients, beside the
// same query in raw SQL where one applies; then imports and route events, to be
// compared with the same measurements before seeding (target: reads p99 ≤ 10 ms;
// writes no more than 20 % slower than on an empty database).

// orderColumnList selects every column of orders, as the Store's lists do.
var orderColumnList = strings.Join(orderColumns, ", ")

// latencies is a named set of timings.
type latencies struct {
	name string
	ds   []time.Duration
}

func (l latencies) print() {
	s := slices.Clone(l.ds)
	slices.Sort(s)
	q := func(p float64) float64 { return ms(s[min(len(s)-1, int(p*float64(len(s))))]) }
	fmt.Printf("  %-58s p50 %6.3f ms  p90 %6.3f ms  p99 %6.3f ms  max %7.3f ms\n",
		l.name, q(0.50), q(0.90), q(0.99), ms(s[len(s)-1]))
}

// measure runs fn n times (after n/10 unmeasured warm-up runs) and returns the
// timings.
func measure(name string, n int, fn func(r *rand.Rand) error) (latencies, error) {
	r := rand.New(rand.NewPCG(7, 11))
	for range n / 10 {
		if err := fn(r); err != nil {
			return latencies{}, fmt.Errorf("%s: %w", name, err)
		}
	}
	l := latencies{name: name}
	for range n {
		t := time.Now()
		if err := fn(r); err != nil {
			return latencies{}, fmt.Errorf("%s: %w", name, err)
		}
		l.ds = append(l.ds, time.Since(t))
	}
	return l, nil
}

// seedClients adds the clients the seeded orders belong to (c00000…), so the
// dispatcher's overview has them to list.
func (b *bench) seedClients(clients int) error {
	return b.exec(fmt.Sprintf(`INSERT INTO clients (id, account_id, name, email, status, number, allow_upload,
		default_depot, version, created_at, updated_at)
	SELECT 'c' || lpad(i::text, 5, '0'), 'bench', 'Client ' || lpad(i::text, 5, '0'), 'ops' || i || '@example.com',
		'active', 'N' || lpad(i::text, 6, '0'), true, 'depot-' || (i %% 5), 1, now(), now()
	FROM generate_series(0, %d) i ON CONFLICT DO NOTHING`, clients-1))
}

// scaleReads measures the portal's reads over the seeded orders.
func (b *bench) scaleReads(orders, clients, n int) error {
	fmt.Printf("\n== The portal's reads among the seeded orders, through the Store (%d each, random clients)\n", n)
	if err := b.seedClients(clients); err != nil {
		return err
	}
	if err := b.exec("VACUUM ANALYZE clients"); err != nil {
		return err
	}
	ctx := b.ctx
	client := func(r *rand.Rand) connect.Scope {
		return connect.Scope{Account: "bench", Client: connect.ClientID(fmt.Sprintf("c%05d", r.IntN(clients)))}
	}
	// An order number of the client: the seed gives client k the orders i ≡ k (mod clients).
	refOf := func(r *rand.Rand, sc connect.Scope) string {
		var k int
		_, _ = fmt.Sscanf(string(sc.Client), "c%d", &k)
		return fmt.Sprintf("INV-%d", k+clients*(1+r.IntN(500)))
	}
	list := func(q func(r *rand.Rand) (connect.Scope, connect.OrderQuery)) func(r *rand.Rand) error {
		return func(r *rand.Rand) error {
			sc, oq := q(r)
			_, err := b.store.Orders(ctx, sc, oq)
			return err
		}
	}
	monthAgo := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	// An import of the client: the seed numbers them 0…imports-1 per client.
	imports := max(1, orders/clients/50)
	importOf := func(r *rand.Rand, sc connect.Scope) connect.ImportID {
		return connect.ImportID(fmt.Sprintf("imp-%s-%d", sc.Client[1:], r.IntN(imports)))
	}
	reads := []struct {
		name string
		fn   func(r *rand.Rand) error
		runs int // 0: n; fewer for a read that scans the account
	}{
		{"client: active, first page", list(func(r *rand.Rand) (connect.Scope, connect.OrderQuery) {
			return client(r), connect.OrderQuery{Statuses: connect.ViewActive.Statuses(), Limit: 51}
		}), 0},
		{"client: completed, first page", list(func(r *rand.Rand) (connect.Scope, connect.OrderQuery) {
			return client(r), connect.OrderQuery{Statuses: connect.ViewCompleted.Statuses(), Limit: 51}
		}), 0},
		{"client: drafts, first page", list(func(r *rand.Rand) (connect.Scope, connect.OrderQuery) {
			return client(r), connect.OrderQuery{Statuses: connect.ViewDrafts.Statuses(), Limit: 51}
		}), 0},
		{"client: search for one of its order numbers", list(func(r *rand.Rand) (connect.Scope, connect.OrderQuery) {
			sc := client(r)
			return sc, connect.OrderQuery{Search: refOf(r, sc), Limit: 51}
		}), 0},
		{"client: search that matches nothing (reads all its orders)", list(func(r *rand.Rand) (connect.Scope, connect.OrderQuery) {
			return client(r), connect.OrderQuery{Search: "no such text", Limit: 51}
		}), 0},
		{"client: completed, most recently completed first", list(func(r *rand.Rand) (connect.Scope, connect.OrderQuery) {
			return client(r), connect.OrderQuery{Statuses: connect.ViewCompleted.Statuses(), Sort: connect.OrderSortCompleted, Limit: 51}
		}), 0},
		{"client: one of its imports (the import filter)", list(func(r *rand.Rand) (connect.Scope, connect.OrderQuery) {
			sc := client(r)
			return sc, connect.OrderQuery{Import: importOf(r, sc), Limit: 51}
		}), 0},
		{"client: completed, source and last month", list(func(r *rand.Rand) (connect.Scope, connect.OrderQuery) {
			return client(r), connect.OrderQuery{Statuses: connect.ViewCompleted.Statuses(), Source: connect.SourceSpreadsheet,
				CreatedFrom: monthAgo, Limit: 51}
		}), 0},
		{"client: its counts (home)", func(r *rand.Rand) error { _, err := b.store.CountOrders(ctx, client(r)); return err }, 0},
		{"dispatcher: unassigned stops at a depot, first page", list(func(r *rand.Rand) (connect.Scope, connect.OrderQuery) {
			return connect.Scope{Account: "bench"}, connect.OrderQuery{Statuses: []connect.Status{connect.StatusSubmitted},
				Depot: connect.DepotID(fmt.Sprintf("depot-%d", r.IntN(5))), Limit: 51}
		}), 0},
		{"dispatcher: unassigned stops, every depot, first page", list(func(r *rand.Rand) (connect.Scope, connect.OrderQuery) {
			return connect.Scope{Account: "bench"}, connect.OrderQuery{Statuses: []connect.Status{connect.StatusSubmitted}, Limit: 51}
		}), 0},
		{"dispatcher: every order, first page", list(func(r *rand.Rand) (connect.Scope, connect.OrderQuery) {
			return connect.Scope{Account: "bench"}, connect.OrderQuery{Limit: 51}
		}), 0},
		{"dispatcher: completed, most recently completed first", list(func(r *rand.Rand) (connect.Scope, connect.OrderQuery) {
			return connect.Scope{Account: "bench"}, connect.OrderQuery{Statuses: connect.ViewCompleted.Statuses(),
				Sort: connect.OrderSortCompleted, Limit: 51}
		}), 0},
		{"dispatcher: one client's import", list(func(r *rand.Rand) (connect.Scope, connect.OrderQuery) {
			return connect.Scope{Account: "bench"}, connect.OrderQuery{Import: importOf(r, client(r)), Limit: 51}
		}), 0},
		{"dispatcher: search for one order number (the account)", list(func(r *rand.Rand) (connect.Scope, connect.OrderQuery) {
			return connect.Scope{Account: "bench"}, connect.OrderQuery{Search: refOf(r, client(r)), Limit: 51}
		}), 10},
		{"dispatcher: search for a street name (many match)", list(func(r *rand.Rand) (connect.Scope, connect.OrderQuery) {
			return connect.Scope{Account: "bench"}, connect.OrderQuery{Search: "main street", Limit: 51}
		}), 0},
		{"dispatcher: client overview page (50 clients + counts)", func(r *rand.Rand) error {
			var after *connect.ClientCursor
			if k := r.IntN(clients - 50); k > 0 {
				id := fmt.Sprintf("c%05d", k)
				after = &connect.ClientCursor{Name: "Client " + id[1:], ID: connect.ClientID(id)}
			}
			page, err := b.store.ClientsPage(ctx, connect.Scope{Account: "bench"}, connect.ClientQuery{After: after, Limit: 51})
			if err != nil {
				return err
			}
			ids := make([]connect.ClientID, len(page))
			for i, c := range page {
				ids[i] = c.ID
			}
			_, err = b.store.CountClientOrders(ctx, connect.Scope{Account: "bench"}, ids)
			return err
		}, 0},
		{"dispatcher: client overview searched by name", func(r *rand.Rand) error {
			_, err := b.store.ClientsPage(ctx, connect.Scope{Account: "bench"},
				connect.ClientQuery{Search: fmt.Sprintf("%05d", r.IntN(clients)), Limit: 51})
			return err
		}, 0},
		{"dispatcher: every client's counts (the whole account)", func(r *rand.Rand) error {
			_, err := b.store.CountOrders(ctx, connect.Scope{Account: "bench"})
			return err
		}, 0},
	}
	for _, rd := range reads {
		runs := n
		if rd.runs > 0 {
			runs = min(n, rd.runs)
		}
		l, err := measure(rd.name, runs, rd.fn)
		if err != nil {
			return err
		}
		l.print()
	}
	// Raw floors beside two of them: the same SQL prepared through pgx.
	floors := []struct{ name, sql string }{
		{"raw: completed, first page", `SELECT ` + orderColumnList + ` FROM orders WHERE account_id = 'bench' AND client_id = $1
			AND status IN ('delivered', 'failed', 'cancelled') ORDER BY created_at DESC, id DESC LIMIT 51`},
		{"raw: counts of 50 clients from order_counts", `SELECT client_id, status, n FROM order_counts
			WHERE account_id = 'bench' AND client_id = ANY($1::text[]) AND n > 0`},
	}
	for i, f := range floors {
		stmt := fmt.Sprintf("floor%d", i)
		if _, err := b.admin.Prepare(ctx, stmt, f.sql); err != nil {
			return err
		}
		l, err := measure(f.name, n, func(r *rand.Rand) error {
			var arg any = fmt.Sprintf("c%05d", r.IntN(clients))
			if i == 1 {
				ids, from := make([]string, 50), r.IntN(clients-50)
				for k := range ids {
					ids[k] = fmt.Sprintf("c%05d", from+k)
				}
				arg = ids
			}
			rows, err := b.admin.Query(ctx, stmt, arg)
			if err != nil {
				return err
			}
			for rows.Next() {
			}
			rows.Close()
			return rows.Err()
		})
		if err != nil {
			return err
		}
		l.print()
	}
	return nil
}

// importAt measures CreateOrders of n drafts for a client of its own, the median
// of runs, labelled by where the table stands.
func (b *bench) importAt(label string, n, runs int) error {
	var ds []time.Duration
	for run := range runs {
		client := connect.ClientID(fmt.Sprintf("imp-%s-%d", label, run))
		orders, events := drafts(client, n)
		d, err := b.timed(func() error { return b.store.CreateOrders(b.ctx, connect.Scope{Account: "bench"}, orders, events) })
		if err != nil {
			return err
		}
		ds = append(ds, d)
	}
	d := median(ds)
	fmt.Printf("  import of %d drafts (CreateOrders, median of %d), %-22s %8.0f ms %9.0f rows/s\n", n, runs, label+":", ms(d), float64(n)/d.Seconds())
	return nil
}
