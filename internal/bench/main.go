// Command bench measures the storage targets of DESIGN.md on PostgreSQL, each
// beside its floor, in the same run:
//
//   - CreateOrders of 100k drafts (with their history events) against COPY of the
//     same rows into comparable tables: plain ones (pgx CopyFrom, and psql \copy
//     when psql is installed) and ones with the orders' indexes. Target: ≤ 1.5× the
//     plain COPY.
//   - A client's first page of active orders (50 rows, submitted, scheduled and en
//     route) out of 1M orders over 1k clients, through Store.Orders, against the
//     same query prepared and run raw through pgx. Target: p99 ≤ 1 ms.
//   - Route events through Service.ApplyRouteEvents, in batches of 500, against
//     the same UPDATE and history INSERT in raw SQL (routes.go). Target: ≥ 20k
//     events/s.
//   - With -scale, the portal's reads among the seeded orders (scale.go: lists,
//     search, filters, counts, the dispatcher's stops and client overview;
//     target p99 ≤ 10 ms at 10M orders over 10k clients), and imports and route
//     events before and after seeding (target: ≤ 20 % slower).
//
// It works in a schema of its own, dropped at the end (-keep leaves it):
//
//	go run ./internal/bench -db "$CONNECT_TEST_POSTGRES_URL"
//	go run ./internal/bench -skip-insert -scale -orders 10000000 -clients 10000
package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/storage"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/shopspring/decimal"
)

func main() {
	var (
		dsn     = flag.String("db", os.Getenv("CONNECT_TEST_POSTGRES_URL"), "PostgreSQL URL (default $CONNECT_TEST_POSTGRES_URL)")
		rows    = flag.Int("rows", 100_000, "orders per CreateOrders run")
		runs    = flag.Int("runs", 3, "runs of each insert measurement (the median is reported)")
		orders  = flag.Int("orders", 1_000_000, "orders in the table for the page benchmark")
		clients = flag.Int("clients", 1_000, "clients the orders belong to")
		pages   = flag.Int("pages", 2_000, "pages measured (each way)")
		keep    = flag.Bool("keep", false, "keep the benchmark's schema")
		skipIns = flag.Bool("skip-insert", false, "skip the insert benchmark")
		skipPg  = flag.Bool("skip-page", false, "skip the page benchmark")
		skipRt  = flag.Bool("skip-routes", false, "skip the route events benchmark")
		rtOrd   = flag.Int("route-orders", 20_000, "orders each route events run moves through schedule, start and complete")
		rtBatch = flag.Int("route-batch", 500, "route events per ApplyRouteEvents call")
		rtWork  = flag.Int("route-workers", 1, "concurrent host streams of route events through the Service")
		profile = flag.String("cpuprofile", "", "write a CPU profile of the page benchmark's measured loop (of the route events with -skip-page) to this file")
		scale   = flag.Bool("scale", false, "measure the portal's reads among the seeded orders, and imports and route events before and after seeding")
		reads   = flag.Int("scale-reads", 1000, "timed runs of each read with -scale")
		reuse   = flag.String("schema", "", "work in this existing schema, seeded by an earlier -keep run with the same -orders and -clients: migrated, not seeded again, and kept")
	)
	flag.Parse()
	cpuProfile = *profile
	if *dsn == "" {
		fmt.Fprintln(os.Stderr, "bench: give -db or set CONNECT_TEST_POSTGRES_URL")
		os.Exit(2)
	}
	b, err := setup(context.Background(), *dsn, *keep, *reuse)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	if *scale && *reuse == "" {
		fmt.Printf("\n== Writes on an empty orders table\n")
		err = b.importAt("on an empty table", 10_000, *runs)
		if err == nil {
			err = b.routes("bench-routes-empty", *rtOrd, *rtBatch, *rtWork)
		}
	}
	if err == nil {
		err = b.run(!*skipIns, !*skipPg || *scale, *rows, *runs, *orders, *clients, *pages)
	}
	if err == nil && *scale {
		if err = b.scaleReads(*orders, *clients, *reads); err == nil {
			fmt.Printf("\n== Writes among the seeded orders\n")
			if err = b.importAt("among the seeded orders", 10_000, *runs); err == nil {
				err = b.routes("bench-routes-seeded", *rtOrd, *rtBatch, *rtWork)
			}
		}
	} else if err == nil && !*skipRt {
		if *skipPg && cpuProfile != "" {
			stop, perr := startCPUProfile(cpuProfile)
			if perr != nil {
				fmt.Fprintln(os.Stderr, "bench:", perr)
				os.Exit(1)
			}
			defer stop()
		}
		if err = b.routes("bench-routes", *rtOrd, *rtBatch, *rtWork); err != nil {
			err = fmt.Errorf("routes: %w", err)
		}
	}
	b.close() // drops the schema, also after a failure
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func (b *bench) run(insert, page bool, rows, runs, orders, clients, pages int) error {
	if insert {
		if err := b.insert(rows, runs); err != nil {
			return fmt.Errorf("insert: %w", err)
		}
	}
	if page {
		if err := b.page(orders, clients, pages); err != nil {
			return fmt.Errorf("page: %w", err)
		}
	}
	return nil
}

var cpuProfile string

type bench struct {
	ctx    context.Context
	base   string
	dsn    string // with the schema on the search path
	schema string
	keep   bool
	reused bool      // an earlier run's schema: its orders are there already
	admin  *pgx.Conn // on the schema, for DDL, COPY floors and raw queries
	store  *storage.Store
}

func setup(ctx context.Context, base string, keep bool, reuse string) (*bench, error) {
	schema := fmt.Sprintf("connect_bench_%d", time.Now().Unix())
	if reuse != "" {
		schema, keep = reuse, true
	} else {
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			return nil, err
		}
		if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
			return nil, err
		}
		_ = conn.Close(ctx)
	}
	u, err := url.Parse(base)
	if err != nil {
		return nil, err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	b := &bench{ctx: ctx, base: base, dsn: u.String(), schema: schema, keep: keep, reused: reuse != ""}
	if b.admin, err = pgx.Connect(ctx, b.dsn); err != nil {
		return nil, err
	}
	if b.store, err = storage.Open(ctx, b.dsn); err != nil {
		return nil, err
	}
	var version string
	_ = b.admin.QueryRow(ctx, "SHOW server_version").Scan(&version)
	fmt.Printf("PostgreSQL %s, schema %s\n", version, schema)
	return b, nil
}

func (b *bench) close() {
	_ = b.store.Close()
	if b.keep {
		fmt.Printf("kept schema %s\n", b.schema)
	} else if _, err := b.admin.Exec(b.ctx, "DROP SCHEMA "+b.schema+" CASCADE"); err != nil {
		fmt.Fprintln(os.Stderr, "bench: dropping the schema:", err)
	}
	_ = b.admin.Close(b.ctx)
}

func (b *bench) exec(sql string) error {
	_, err := b.admin.Exec(b.ctx, sql)
	if err != nil {
		return fmt.Errorf("%s: %w", sql, err)
	}
	return nil
}

// drafts returns n drafts of a client, as an import makes them: a reference, an
// address, a recipient, a size and a product each, and their created events.
func drafts(client connect.ClientID, n int) ([]*connect.Order, []connect.OrderEvent) {
	now := time.Now().UTC().Truncate(time.Microsecond)
	orders := make([]*connect.Order, n)
	events := make([]connect.OrderEvent, n)
	for i := range orders {
		o := &connect.Order{
			OrderInput: connect.OrderInput{
				Ref: fmt.Sprintf("INV-%07d", i), StopType: connect.Delivery,
				Address: connect.Address{Line1: fmt.Sprintf("%d Main Street", i+1), City: "Springfield",
					State: "IL", Zip: fmt.Sprintf("%05d", 10000+i%90000), Country: "US"},
				Recipient: connect.Recipient{Name: "Pat Doe", Email: "pat@example.com", Phone: "+1 555 0100"},
				Notes:     "leave at the door",
				Size:      decimal.NewNullDecimal(decimal.New(int64(i%5000)+1, -2)),
				Products:  []connect.Product{{Name: "Box", Quantity: i%3 + 1, SKU: "BX-1"}},
			},
			ID: connect.OrderID(fmt.Sprintf("%s-%08d", client, i)), Account: "bench", Client: client,
			Source: connect.SourceSpreadsheet, Depot: "depot-1", Status: connect.StatusDraft, Version: 1,
			CreatedAt: now, UpdatedAt: now,
		}
		orders[i] = o
		events[i] = connect.OrderEvent{Order: o.ID, Event: "create", To: connect.StatusDraft, At: now, By: "member bench (owner)"}
	}
	return orders, events
}

// orderColumns and orderValues mirror what the Store writes for a draft, for the
// COPY floors.
var orderColumns = []string{"id", "account_id", "client_id", "ref", "source", "shopify_shop",
	"shopify_order_id", "depot", "status", "version", "stop_type", "address_unit", "address_line1",
	"address_line2", "city", "state", "zip", "country", "latitude", "longitude", "recipient_name",
	"recipient_email", "recipient_phone", "notes", "size", "package_count", "products", "route_id",
	"route_position", "eta", "failure_reason", "proof", "created_at", "updated_at", "submitted_at",
	"fingerprint"}

var eventColumns = []string{"account_id", "client_id", "order_id", "event", "from_status", "to_status",
	"occurred_at", "actor", "eta", "reason"}

func orderValues(o *connect.Order) []any {
	products := fmt.Sprintf(`[{"name":%q,"qty":%d,"sku":%q}]`, o.Products[0].Name, o.Products[0].Quantity, o.Products[0].SKU)
	size := pgtype.Numeric{Int: o.Size.Decimal.Coefficient(), Exp: o.Size.Decimal.Exponent(), Valid: true}
	return []any{string(o.ID), string(o.Account), string(o.Client), o.Ref, string(o.Source), "", "",
		string(o.Depot), string(o.Status), 1, string(o.StopType), o.Address.Unit, o.Address.Line1,
		o.Address.Line2, o.Address.City, o.Address.State, o.Address.Zip, o.Address.Country, nil, nil,
		o.Recipient.Name, o.Recipient.Email, o.Recipient.Phone, o.Notes, size, o.PackageCount,
		products, "", 0, nil, "", nil, o.CreatedAt, o.UpdatedAt, nil, o.Fingerprint}
}

func eventValues(o *connect.Order, e *connect.OrderEvent) []any {
	return []any{string(o.Account), string(o.Client), string(o.ID), string(e.Event), string(e.From),
		string(e.To), e.At, e.By, nil, e.Reason}
}

// csvFile writes rows as CSV into dir/name for psql \copy (NULL is \N).
func csvFile(dir, name string, rows [][]any) (string, error) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	rec := make([]string, len(rows[0]))
	for _, r := range rows {
		for i, v := range r {
			switch v := v.(type) {
			case nil:
				rec[i] = `\N`
			case string:
				rec[i] = v
			case int:
				rec[i] = strconv.Itoa(v)
			case pgtype.Numeric:
				rec[i] = decimal.NewFromBigInt(v.Int, v.Exp).String()
			case time.Time:
				rec[i] = v.Format(time.RFC3339Nano)
			default:
				return "", fmt.Errorf("csv: %T", v)
			}
		}
		if err := w.Write(rec); err != nil {
			return "", err
		}
	}
	w.Flush()
	path := filepath.Join(dir, name)
	return path, os.WriteFile(path, buf.Bytes(), 0o600)
}

func (b *bench) copyRows(table string, cols []string, rows [][]any) error {
	_, err := b.admin.CopyFrom(b.ctx, pgx.Identifier{table}, cols, pgx.CopyFromRows(rows))
	return err
}

// timed runs fn after a checkpoint, so that no run pays for another's dirty pages.
func (b *bench) timed(fn func() error) (time.Duration, error) {
	if err := b.exec("CHECKPOINT"); err != nil {
		return 0, err
	}
	start := time.Now()
	err := fn()
	return time.Since(start), err
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func (b *bench) insert(n, runs int) error {
	fmt.Printf("\n== CreateOrders of %d drafts with their events, against COPY of the same rows (median of %d runs)\n", n, runs)
	for _, sql := range []string{
		"CREATE TABLE orders_plain (LIKE orders INCLUDING DEFAULTS)", // the defaults fill the columns a draft leaves unset
		"CREATE TABLE events_plain (LIKE order_events INCLUDING IDENTITY INCLUDING DEFAULTS)",
		"CREATE TABLE orders_indexed (LIKE orders INCLUDING ALL)",
		"CREATE TABLE events_indexed (LIKE order_events INCLUDING ALL)",
	} {
		if err := b.exec(sql); err != nil {
			return err
		}
	}
	psql, _ := exec.LookPath("psql")
	dir, err := os.MkdirTemp("", "connect-bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	results := map[string][]time.Duration{}
	var names []string
	record := func(name string, d time.Duration) {
		if _, ok := results[name]; !ok {
			names = append(names, name)
		}
		results[name] = append(results[name], d)
	}
	for run := range runs {
		client := connect.ClientID(fmt.Sprintf("c%d", run))
		orders, events := drafts(client, n)
		orderRows := make([][]any, n)
		eventRows := make([][]any, n)
		for i, o := range orders {
			orderRows[i], eventRows[i] = orderValues(o), eventValues(o, &events[i])
		}
		csvPath, err := csvFile(dir, "orders.csv", orderRows)
		if err != nil {
			return err
		}
		eventsPath, err := csvFile(dir, "events.csv", eventRows)
		if err != nil {
			return err
		}
		if err := b.exec("TRUNCATE orders, order_events, orders_plain, events_plain, orders_indexed, events_indexed"); err != nil {
			return err
		}
		type step struct {
			name string
			prep string // run before, untimed
			fn   func() error
		}
		steps := []step{
			{"Store.CreateOrders (orders + events, indexed)", "",
				func() error { return b.store.CreateOrders(b.ctx, connect.Scope{Account: "bench"}, orders, events) }},
			{"COPY orders into a plain table (the floor)", "TRUNCATE orders_plain",
				func() error { return b.copyRows("orders_plain", orderColumns, orderRows) }},
			{"COPY orders + events into plain tables", "TRUNCATE orders_plain, events_plain", func() error {
				if err := b.copyRows("orders_plain", orderColumns, orderRows); err != nil {
					return err
				}
				return b.copyRows("events_plain", eventColumns, eventRows)
			}},
			{"COPY orders + events into tables with the same indexes", "", func() error {
				if err := b.copyRows("orders_indexed", orderColumns, orderRows); err != nil {
					return err
				}
				return b.copyRows("events_indexed", eventColumns, eventRows)
			}},
		}
		if psql != "" {
			copyCmd := func(table string, cols []string, path string) string {
				return fmt.Sprintf(`\copy %s.%s (%s) FROM '%s' WITH (FORMAT csv, NULL '\N')`,
					b.schema, table, strings.Join(cols, ", "), path)
			}
			runPsql := func(commands ...string) error {
				args := []string{"-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", b.base}
				for _, c := range commands {
					args = append(args, "-c", c)
				}
				if out, err := exec.Command(psql, args...).CombinedOutput(); err != nil {
					return fmt.Errorf("psql: %v: %s", err, out)
				}
				return nil
			}
			steps = append(steps,
				step{"psql \\copy orders into a plain table", "TRUNCATE orders_plain", func() error {
					return runPsql(copyCmd("orders_plain", orderColumns, csvPath))
				}},
				// The comparable table: the same columns and indexes as the Store's, so
				// the ratio is the Store's own cost, not that of the indexes the portal's
				// reads need (each secondary index of orders costs 75-85 ms per 100k rows).
				step{"psql \\copy orders + events into tables with the same indexes", "TRUNCATE orders_indexed, events_indexed", func() error {
					return runPsql(copyCmd("orders_indexed", orderColumns, csvPath), copyCmd("events_indexed", eventColumns, eventsPath))
				}},
			)
		}
		for _, st := range steps {
			if st.prep != "" {
				if err := b.exec(st.prep); err != nil {
					return err
				}
			}
			d, err := b.timed(st.fn)
			if err != nil {
				return fmt.Errorf("%s: %w", st.name, err)
			}
			record(st.name, d)
		}
	}
	floor := median(results["COPY orders into a plain table (the floor)"])
	floorAll := median(results["COPY orders + events into plain tables"])
	for _, name := range names {
		d := median(results[name])
		fmt.Printf("  %-64s %8.0f ms %9.0f rows/s  %4.2f× floor  %4.2f× orders+events floor\n",
			name, ms(d), float64(n)/d.Seconds(), d.Seconds()/floor.Seconds(), d.Seconds()/floorAll.Seconds())
	}
	store := median(results["Store.CreateOrders (orders + events, indexed)"])
	for _, name := range []string{"psql \\copy orders into a plain table", "psql \\copy orders + events into tables with the same indexes"} {
		if ds, ok := results[name]; ok {
			fmt.Printf("  Store.CreateOrders / %s: %.2f× (target ≤ 1.5×)\n", name, store.Seconds()/median(ds).Seconds())
		}
	}
	return nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// seed fills orders with n orders over the clients, fast: without the secondary
// indexes, which are rebuilt afterwards exactly as the migration made them.
func (b *bench) seed(n, clients int) error {
	rows, err := b.admin.Query(b.ctx, `SELECT indexname, indexdef FROM pg_indexes
		WHERE schemaname = $1 AND tablename = 'orders' AND indexname <> 'orders_pkey'`, b.schema)
	if err != nil {
		return err
	}
	defs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) ([2]string, error) {
		var d [2]string
		return d, r.Scan(&d[0], &d[1])
	})
	if err != nil {
		return err
	}
	if err := b.exec("TRUNCATE orders, order_events"); err != nil {
		return err
	}
	for _, d := range defs {
		if err := b.exec("DROP INDEX " + d[0]); err != nil {
			return err
		}
	}
	// Of every 100 orders: 5 drafts, 8 active (4 submitted, 2 scheduled, 2 en route),
	// 87 completed; created 31 s apart over about a year, so each client has ~1000
	// orders of which ~80 are active. Three in four came from spreadsheets, in
	// imports of 50 orders each (import_id); the rest were made by hand. A route
	// completed a delivered or failed order a day after it was made (route_event_at,
	// what the completed tab sorts by).
	err = b.exec(fmt.Sprintf(`INSERT INTO orders (id, account_id, client_id, ref, source, import_id, depot, status,
		version, stop_type, address_line1, city, zip, country, recipient_name, recipient_phone, notes,
		size, package_count, products, proof, created_at, updated_at, submitted_at, route_event_at)
	SELECT 'o' || lpad(i::text, 9, '0'), 'bench', 'c' || lpad((i %% %[1]d)::text, 5, '0'), 'INV-' || i,
		CASE WHEN imported THEN 'spreadsheet' ELSE 'manual' END,
		CASE WHEN imported THEN 'imp-' || lpad((i %% %[1]d)::text, 5, '0') || '-' || (i / (%[1]d * 50)) END,
		'depot-' || (i %% 5), st, 3, 'delivery', i || ' Main Street', 'Springfield',
		lpad((i %% 90000 + 10000)::text, 5, '0'), 'US', 'Pat Doe', '+1 555 0100', 'leave at the door',
		(i %% 5000 + 1) / 100.0, 1, '[{"name":"Box","qty":1,"sku":"BX-1"}]',
		CASE WHEN st = 'delivered' THEN '{"photos":["https://files.example/p/' || i || '.jpg"],"recipient":"Pat","lat":"-41.2865","lng":"174.7762","at":"2026-01-01T00:00:00Z"}' END,
		at, at, CASE WHEN st <> 'draft' THEN at END,
		CASE WHEN st IN ('delivered', 'failed') THEN at + interval '1 day' END
	FROM (
		SELECT i, timestamptz '2025-11-25 00:00:00+00' + i * interval '31 seconds' AS at,
			(i / %[1]d) %% 4 <> 3 AS imported,
			CASE WHEN h < 5 THEN 'draft' WHEN h < 9 THEN 'submitted' WHEN h < 11 THEN 'scheduled'
			     WHEN h < 13 THEN 'en_route' WHEN h < 90 THEN 'delivered' WHEN h < 95 THEN 'failed'
			     ELSE 'cancelled' END AS st
		FROM (SELECT i, (i::bigint * 7919 / %[1]d) %% 100 AS h FROM generate_series(1, %[2]d) i) g
	) s`, clients, n))
	if err != nil {
		return err
	}
	for _, d := range defs {
		if err := b.exec(d[1]); err != nil {
			return err
		}
	}
	return b.exec("VACUUM ANALYZE orders")
}

// pageSQL is the query Store.Orders makes for a client's first active page.
const pageSQL = `SELECT id, account_id, client_id, ref, source, shopify_shop, shopify_order_id, depot,
	status, version, stop_type, address_unit, address_line1, address_line2, city, state, zip, country,
	latitude, longitude, recipient_name, recipient_email, recipient_phone, notes, size, package_count,
	products, route_id, route_position, eta, failure_reason, proof, created_at, updated_at, submitted_at,
	fingerprint
FROM orders
WHERE account_id = $1 AND client_id = $2 AND status IN ('submitted', 'scheduled', 'en_route')
ORDER BY created_at DESC, id DESC LIMIT 50`

func (b *bench) page(n, clients, pages int) error {
	fmt.Printf("\n== A client's first page of active orders (50 rows) among %d orders of %d clients\n", n, clients)
	if !b.reused {
		start := time.Now()
		if err := b.seed(n, clients); err != nil {
			return fmt.Errorf("seeding: %w", err)
		}
		fmt.Printf("  seeded in %.1f s\n", time.Since(start).Seconds())
	}

	var plan strings.Builder
	rows, err := b.admin.Query(b.ctx, "EXPLAIN (ANALYZE, BUFFERS) "+strings.Replace(strings.Replace(pageSQL,
		"$1", "'bench'", 1), "$2", "'c00042'", 1))
	if err != nil {
		return err
	}
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return err
		}
		fmt.Fprintf(&plan, "    %s\n", line)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	fmt.Printf("  plan:\n%s", plan.String())

	if _, err := b.admin.Prepare(b.ctx, "page", pageSQL); err != nil {
		return err
	}
	client := func(r *rand.Rand) connect.ClientID {
		return connect.ClientID(fmt.Sprintf("c%05d", r.IntN(clients)))
	}
	viaStore := func(c connect.ClientID, after *connect.OrderCursor) (int, *connect.OrderCursor, error) {
		list, err := b.store.Orders(b.ctx, connect.Scope{Account: "bench", Client: c}, connect.OrderQuery{
			Statuses: connect.ViewActive.Statuses(), Limit: 50, After: after})
		if err != nil || len(list) == 0 {
			return len(list), nil, err
		}
		last := list[len(list)-1]
		return len(list), &connect.OrderCursor{CreatedAt: last.CreatedAt, ID: last.ID}, nil
	}
	raw := func(c connect.ClientID) (int, error) {
		rows, err := b.admin.Query(b.ctx, "page", "bench", string(c))
		if err != nil {
			return 0, err
		}
		defer rows.Close()
		k := 0
		for rows.Next() {
			if _, err := rows.Values(); err != nil {
				return 0, err
			}
			k++
		}
		return k, rows.Err()
	}

	r := rand.New(rand.NewPCG(1, 2))
	for range 300 { // warm up caches and connections
		c := client(r)
		if _, _, err := viaStore(c, nil); err != nil {
			return err
		}
		if _, err := raw(c); err != nil {
			return err
		}
	}
	if cpuProfile != "" {
		stop, err := startCPUProfile(cpuProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
	var tStore, tRaw, tNext []time.Duration
	got := 0
	for i := range pages {
		// Alternate which goes first: the second finds the client's pages cached.
		c := client(r)
		runStore := func() (*connect.OrderCursor, error) {
			t := time.Now()
			k, next, err := viaStore(c, nil)
			tStore = append(tStore, time.Since(t))
			got += k
			return next, err
		}
		runRaw := func() error {
			t := time.Now()
			_, err := raw(c)
			tRaw = append(tRaw, time.Since(t))
			return err
		}
		var next *connect.OrderCursor
		if i%2 == 0 {
			if next, err = runStore(); err == nil {
				err = runRaw()
			}
		} else if err = runRaw(); err == nil {
			next, err = runStore()
		}
		if err != nil {
			return err
		}
		if next != nil {
			t := time.Now()
			if _, _, err := viaStore(c, next); err != nil {
				return err
			}
			tNext = append(tNext, time.Since(t))
		}
	}
	fmt.Printf("  %d pages each way, %.1f orders a page\n", pages, float64(got)/float64(pages))
	for _, m := range []struct {
		name string
		ds   []time.Duration
	}{
		{"Store.Orders, first page", tStore},
		{"Store.Orders, second page (cursor)", tNext},
		{"raw prepared query through pgx", tRaw},
	} {
		slices.Sort(m.ds)
		q := func(p float64) float64 { return ms(m.ds[min(len(m.ds)-1, int(p*float64(len(m.ds))))]) }
		fmt.Printf("  %-36s p50 %.3f ms  p90 %.3f ms  p99 %.3f ms  max %.3f ms\n",
			m.name, q(0.50), q(0.90), q(0.99), ms(m.ds[len(m.ds)-1]))
	}
	return nil
}

// startCPUProfile profiles the process into path until stop is called.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}
