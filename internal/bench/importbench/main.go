// Command importbench measures a spreadsheet import end to end (importer.OpenSource
// into connect.Service.Import, stored as drafts on PostgreSQL) beside the floors
// measured in the same run on the same rows:
//
//   - CSV (copy-csv): psql's \copy of the same file into a table of the same 18
//     columns with a unique index on the Id (the orders table has a unique index on
//     the client's references);
//   - CSV, the schema's own floor (copy-orders): psql's \copy of the orders and
//     events the import stored back into the same tables, with all their indexes;
//   - XLSX (read-xlsx): excelize's bare Rows iteration of the same workbook.
//
// It also times the importer's share alone (source-csv, source-xlsx: reading and
// parsing every row through a Source, storing nothing), and, for the imports, the
// time spent in each Store call.
//
// Each measurement runs in a child process of its own (this program, re-executed),
// so that its peak memory is its own: the child reports its wall time and VmHWM, the
// peak resident set size from /proc/self/status. Every import gets a fresh schema.
//
//	CONNECT_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test?sslmode=disable \
//		go run ./internal/bench/importbench -rows 100000 -runs 3
//
// With -cpuprofile DIR each import child writes a CPU profile to DIR.
package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/importer"
	"github.com/dispatchkit/connect/storage"
	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/xuri/excelize/v2"
)

// readAhead is importer.SourceOptions.ReadAhead for every Source.
var readAhead int

// measurement is what a child reports.
type measurement struct {
	Mode    string        `json:"mode"`
	Rows    int           `json:"rows"`
	Elapsed time.Duration `json:"elapsed"`
	HWMKiB  int64         `json:"hwm_kib"` // VmHWM: peak resident set size
	CPU     time.Duration `json:"cpu"`     // user and system time of the whole child
	// Store is the time an import spent in Store calls, by method; "Other" is the
	// rest of the transaction: reading, checking, committing.
	Store map[string]time.Duration `json:"store,omitempty"`
}

func main() {
	rows := flag.Int("rows", 100_000, "rows in the generated files")
	runs := flag.Int("runs", 3, "runs of each measurement; the fastest is reported")
	dir := flag.String("dir", "", "directory for the generated files (default: a temporary one)")
	child := flag.String("child", "", "internal: run one measurement (mode) and report it as JSON")
	file := flag.String("file", "", "internal: the file a child reads")
	schema := flag.String("schema", "", "internal: the schema a child imports into")
	cpuprofile := flag.String("cpuprofile", "", "directory to write the import children's CPU profiles to")
	flag.IntVar(&readAhead, "readahead", 0, "rows the Source reads ahead (importer.SourceOptions.ReadAhead)")
	flag.Parse()
	log.SetFlags(0)

	dsn := os.Getenv("CONNECT_TEST_POSTGRES_URL")
	if *child != "" {
		m, err := runChild(*child, *file, withSearchPath(dsn, *schema), *cpuprofile)
		if err != nil {
			log.Fatalf("%s: %v", *child, err)
		}
		_ = json.NewEncoder(os.Stdout).Encode(m)
		return
	}
	if dsn == "" {
		log.Print("CONNECT_TEST_POSTGRES_URL is not set; nothing to measure")
		return
	}
	if err := run(dsn, *rows, *runs, *dir, *cpuprofile); err != nil {
		log.Fatal(err)
	}
}

// run generates the files, runs every measurement in children and prints the table.
func run(dsn string, rows, runs int, dir, cpuprofile string) error {
	if dir == "" {
		d, err := os.MkdirTemp("", "importbench")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	csvPath, xlsxPath := filepath.Join(dir, "orders.csv"), filepath.Join(dir, "orders.xlsx")
	if err := writeCSV(csvPath, rows); err != nil {
		return err
	}
	if err := writeXLSX(xlsxPath, rows); err != nil {
		return err
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return err
	}
	defer db.Close()

	// The fastest run of each, and the least peak memory of any run: other work on
	// the machine only ever adds to either.
	best := map[string]measurement{}
	keep := func(m measurement) {
		b, ok := best[m.Mode]
		if !ok {
			best[m.Mode] = m
			return
		}
		hwm := min(b.HWMKiB, m.HWMKiB)
		if m.Elapsed < b.Elapsed {
			b = m
		}
		b.HWMKiB = hwm
		best[m.Mode] = b
	}
	schemas := 0
	for i := range runs {
		copyFloor, err := psqlCopy(db, dsn, csvPath, rows, i)
		if err != nil {
			return err
		}
		keep(copyFloor)
		for _, c := range []struct{ mode, file string }{
			{"read-xlsx", xlsxPath}, {"source-csv", csvPath}, {"source-xlsx", xlsxPath},
			{"import-csv", csvPath}, {"import-xlsx", xlsxPath},
		} {
			schema := ""
			if strings.HasPrefix(c.mode, "import") {
				schemas++
				schema = fmt.Sprintf("importbench_%d_%d", os.Getpid(), schemas)
				if _, err := db.Exec("CREATE SCHEMA " + schema); err != nil {
					return err
				}
			}
			m, err := spawn(c.mode, c.file, schema, cpuprofile)
			if err == nil && c.mode == "import-csv" {
				var floor measurement
				floor, err = psqlCopyOrders(dsn, schema, dir, rows)
				keep(floor)
			}
			if schema != "" {
				if _, err := db.Exec("DROP SCHEMA " + schema + " CASCADE"); err != nil {
					return err
				}
			}
			if err != nil {
				return err
			}
			keep(m)
		}
	}

	csvInfo, _ := os.Stat(csvPath)
	xlsxInfo, _ := os.Stat(xlsxPath)
	fmt.Printf("%d rows; CSV %.1f MiB, XLSX %.1f MiB; fastest of %d runs (CPU: the child's user+system time in that run);\n"+
		"memory: the least VmHWM (peak RSS) of the child process in any run\n\n",
		rows, mib(csvInfo.Size()), mib(xlsxInfo.Size()), runs)
	fmt.Printf("%-12s %10s %10s %12s %10s\n", "measurement", "time", "CPU", "rows/s", "peak RSS")
	for _, mode := range []string{"copy-csv", "copy-orders", "import-csv", "source-csv", "read-xlsx", "import-xlsx", "source-xlsx"} {
		m := best[mode]
		rss := "-"
		if m.HWMKiB > 0 {
			rss = fmt.Sprintf("%.0f MiB", float64(m.HWMKiB)/1024)
		}
		cpu := "-"
		if m.CPU > 0 {
			cpu = m.CPU.Round(time.Millisecond).String()
		}
		fmt.Printf("%-12s %10s %10s %12.0f %10s\n", mode, m.Elapsed.Round(time.Millisecond), cpu,
			float64(m.Rows)/m.Elapsed.Seconds(), rss)
	}
	ratio := func(a, b string) float64 { return best[a].Elapsed.Seconds() / best[b].Elapsed.Seconds() }
	for _, mode := range []string{"import-csv", "import-xlsx"} {
		fmt.Printf("%s transaction:", mode)
		for _, k := range []string{"ExistingRefs", "CreateOrders", "Other"} {
			fmt.Printf(" %s %s;", k, best[mode].Store[k].Round(time.Millisecond))
		}
		fmt.Println()
	}
	fmt.Println("(Other: the rest of the transaction: reading and checking rows, committing)")
	fmt.Printf("\nCSV import / psql \\copy:      %.2f× (target ≤ 1.5×)\n", ratio("import-csv", "copy-csv"))
	fmt.Printf("CSV import / \\copy of the stored orders and events: %.2f×\n", ratio("import-csv", "copy-orders"))
	fmt.Printf("XLSX import / bare Rows read:  %.2f× (target ≤ 1.2×)\n", ratio("import-xlsx", "read-xlsx"))
	fmt.Printf("XLSX import peak RSS / read:   %.2f× (target ≤ 2×)\n",
		float64(best["import-xlsx"].HWMKiB)/float64(best["read-xlsx"].HWMKiB))
	return nil
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }

// spawn runs one measurement in a child process.
func spawn(mode, file, schema, cpuprofile string) (measurement, error) {
	self, err := os.Executable()
	if err != nil {
		return measurement{}, err
	}
	cmd := exec.Command(self, "-child", mode, "-file", file, "-schema", schema, "-cpuprofile", cpuprofile,
		"-readahead", strconv.Itoa(readAhead))
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return measurement{}, fmt.Errorf("child %s: %w", mode, err)
	}
	var m measurement
	if err := json.Unmarshal(out, &m); err != nil {
		return measurement{}, fmt.Errorf("child %s said %q: %w", mode, out, err)
	}
	m.CPU = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	return m, nil
}

// runChild is a child process: one measurement.
func runChild(mode, file, dsn, cpuprofile string) (measurement, error) {
	ctx := context.Background()
	m := measurement{Mode: mode}
	if cpuprofile != "" && mode != "read-xlsx" {
		f, err := os.Create(filepath.Join(cpuprofile, mode+".pprof"))
		if err != nil {
			return m, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return m, err
		}
		defer pprof.StopCPUProfile()
	}
	var (
		svc   *connect.Service
		owner connect.Actor
		timed *timedStore
	)
	if strings.HasPrefix(mode, "import") {
		// Setting up the store and the client is not part of the import.
		st, err := storage.Open(ctx, dsn)
		if err != nil {
			return m, err
		}
		defer st.Close()
		timed = &timedStore{Store: st, spent: map[string]time.Duration{}}
		if svc, owner, err = newClient(ctx, timed); err != nil {
			return m, err
		}
		clear(timed.spent)
	}
	f, err := os.Open(file)
	if err != nil {
		return m, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return m, err
	}

	start := time.Now()
	switch mode {
	case "read-xlsx":
		m.Rows, err = bareRead(f, info.Size())
	case "source-csv", "source-xlsx":
		m.Rows, err = readSource(ctx, f, info.Size())
	case "import-csv", "import-xlsx":
		m.Rows, err = importFile(ctx, svc, owner, f, info.Size())
	default:
		err = fmt.Errorf("unknown mode %q", mode)
	}
	m.Elapsed = time.Since(start)
	if err != nil {
		return m, err
	}
	if timed != nil {
		m.Store = timed.spent
		m.Store["Other"] = m.Store["Tx"] - m.Store["CreateOrders"] - m.Store["ExistingRefs"]
		delete(m.Store, "Tx")
	}
	m.HWMKiB, err = peakRSS()
	return m, err
}

// timedStore adds up the time spent in the Store calls an import makes.
type timedStore struct {
	connect.Store
	spent map[string]time.Duration // shared with the stores of transactions
}

func (s *timedStore) since(method string, start time.Time) { s.spent[method] += time.Since(start) }

func (s *timedStore) Tx(ctx context.Context, fn func(tx connect.Store) error) error {
	defer s.since("Tx", time.Now())
	return s.Store.Tx(ctx, func(tx connect.Store) error {
		return fn(&timedStore{Store: tx, spent: s.spent})
	})
}

func (s *timedStore) CreateOrders(ctx context.Context, scope connect.Scope, orders []*connect.Order, events []connect.OrderEvent) error {
	defer s.since("CreateOrders", time.Now())
	return s.Store.CreateOrders(ctx, scope, orders, events)
}

func (s *timedStore) ExistingRefs(ctx context.Context, scope connect.Scope, refs []string) ([]string, error) {
	defer s.since("ExistingRefs", time.Now())
	return s.Store.ExistingRefs(ctx, scope, refs)
}

// newClient sets up a service on st with one client that may upload, and returns
// its owner.
func newClient(ctx context.Context, st connect.Store) (*connect.Service, connect.Actor, error) {
	svc, err := connect.New(connect.Config{Store: st})
	if err != nil {
		return nil, connect.Actor{}, err
	}
	disp := connect.AsDispatcher("acct-bench", "bench@dispatch.example")
	inv, err := svc.InviteClient(ctx, disp, connect.InviteClientParams{Name: "Bench Foods",
		Settings: connect.ClientSettings{AllowUpload: true, RequiredFields: connect.RequireFields(connect.FieldZip, connect.FieldRef)}})
	if err != nil {
		return nil, connect.Actor{}, err
	}
	acc, err := svc.AcceptInvite(ctx, inv.Token, connect.SignUp{Name: "Bench Owner", Email: "owner@bench.example"})
	if err != nil {
		return nil, connect.Actor{}, err
	}
	return svc, acc.Actor, nil
}

// importFile imports the file as drafts and returns the rows imported.
func importFile(ctx context.Context, svc *connect.Service, owner connect.Actor, r io.ReaderAt, size int64) (int, error) {
	src, err := importer.OpenSource(r, size, "", importer.SourceOptions{ReadAhead: readAhead})
	if err != nil {
		return 0, err
	}
	defer src.Close()
	res, err := svc.Import(ctx, owner, src, connect.ImportOptions{})
	if err != nil {
		return 0, err
	}
	if res.Refused > 0 {
		return 0, fmt.Errorf("%d rows refused: %v", res.Refused, res.Errors[:min(3, len(res.Errors))])
	}
	return res.Imported, nil
}

// readSource reads the file through a Source (reading, mapping and parsing) and
// stores nothing: the importer's own share of an import.
func readSource(ctx context.Context, r io.ReaderAt, size int64) (int, error) {
	src, err := importer.OpenSource(r, size, "", importer.SourceOptions{ReadAhead: readAhead})
	if err != nil {
		return 0, err
	}
	defer src.Close()
	n := 0
	for {
		row, err := src.Next(ctx)
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		if len(row.Problems) > 0 {
			return n, fmt.Errorf("row %d: %v", row.Number, row.Problems)
		}
		n++
	}
}

// bareRead is the XLSX floor: excelize's Rows iteration and nothing else.
func bareRead(r io.ReaderAt, size int64) (int, error) {
	f, err := excelize.OpenReader(io.NewSectionReader(r, 0, size))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	rows, err := f.Rows(f.GetSheetName(0))
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	n := -1 // the header
	for rows.Next() {
		if _, err := rows.Columns(); err != nil {
			return 0, err
		}
		n++
	}
	return n, rows.Error()
}

// psqlCopy is the CSV floor: psql's \copy of the file into a table of the same
// columns, in a fresh schema.
func psqlCopy(db *sql.DB, dsn, csvPath string, rows, run int) (measurement, error) {
	schema := fmt.Sprintf("importbench_copy_%d_%d", os.Getpid(), run)
	ddl := `CREATE SCHEMA ` + schema + `;
CREATE TABLE ` + schema + `.orders (
	unit text, address_line1 text, address_line2 text, city text, state text, zip text,
	country text, notes text, size numeric, recipient_name text, stop_type text,
	recipient_email text, recipient_phone text, ref text, package_count integer,
	products text, latitude numeric, longitude numeric);
CREATE UNIQUE INDEX ON ` + schema + `.orders (ref) WHERE ref <> '';`
	if _, err := db.Exec(ddl); err != nil {
		return measurement{}, err
	}
	defer db.Exec("DROP SCHEMA " + schema + " CASCADE")
	start := time.Now()
	cmd := exec.Command("psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", dsn,
		"-c", `\copy `+schema+`.orders from '`+csvPath+`' with (format csv, header true, encoding 'UTF8')`)
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return measurement{}, fmt.Errorf("psql \\copy: %w", err)
	}
	return measurement{Mode: "copy-csv", Rows: rows, Elapsed: time.Since(start)}, nil
}

// psqlCopyOrders is the floor of the schema: psql's \copy of the orders and their
// events, as an import stored them in schema, back into the same tables (emptied)
// in one transaction. It is what any import of these rows into these tables, with
// their indexes, costs at least.
func psqlCopyOrders(dsn, schema, dir string, rows int) (measurement, error) {
	const events = `order_events (account_id, client_id, order_id, event, from_status, to_status, occurred_at, actor, eta, reason)`
	ordersFile, eventsFile := filepath.Join(dir, "orders-table.csv"), filepath.Join(dir, "events-table.csv")
	psql := func(script string) error {
		cmd := exec.Command("psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", dsn)
		cmd.Stdin = strings.NewReader(script)
		cmd.Stderr = os.Stderr
		return cmd.Run()
	}
	export := fmt.Sprintf("\\copy %s.orders to '%s' with (format csv)\n\\copy %s.%s to '%s' with (format csv)\n",
		schema, ordersFile, schema, events, eventsFile)
	if err := psql(export); err != nil {
		return measurement{}, fmt.Errorf("psql exporting the orders: %w", err)
	}
	load := fmt.Sprintf("BEGIN;\nTRUNCATE %s.orders, %s.order_events;\n", schema, schema) +
		strings.ReplaceAll(export, " to '", " from '") + "COMMIT;\n"
	start := time.Now()
	if err := psql(load); err != nil {
		return measurement{}, fmt.Errorf("psql loading the orders: %w", err)
	}
	return measurement{Mode: "copy-orders", Rows: rows, Elapsed: time.Since(start)}, nil
}

// peakRSS returns this process's VmHWM in KiB.
func peakRSS() (int64, error) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		}
	}
	return 0, fmt.Errorf("no VmHWM in /proc/self/status")
}

// withSearchPath returns dsn using schema (dsn itself when schema is "").
func withSearchPath(dsn, schema string) string {
	if schema == "" {
		return dsn
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return dsn
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// header is the help article's column list, as the template writes it.
func header() []string {
	var h []string
	for _, f := range connect.OrderFields() {
		h = append(h, f.Label())
	}
	return h
}

var cities = []string{"London", "Bristol", "Leeds", "Oxford", "York", "Bath"}

// row returns the i-th generated order: every column filled, as a busy client's
// export is. Numbers are float64 or int when numbers is set (for XLSX).
func row(i int, numbers bool) []any {
	num := func(text string, v any) any {
		if numbers {
			return v
		}
		return text
	}
	lat := 51 + float64(i%9000)/10000
	lng := -0.5 + float64(i%7000)/10000
	stop := "Delivery"
	if i%5 == 0 {
		stop = "Pickup"
	}
	unit := ""
	if i%3 == 0 {
		unit = "Flat " + strconv.Itoa(i%40+1)
	}
	return []any{
		unit, strconv.Itoa(i%300+1) + " High Street", "", cities[i%len(cities)], "England",
		fmt.Sprintf("AB%d %dCD", i%90+10, i%9+1), "United Kingdom", "Leave at the door",
		num("2.5", 2.5), fmt.Sprintf("Customer %d", i), stop, fmt.Sprintf("c%d@example.com", i),
		fmt.Sprintf("020 7946 %04d", i%10000), fmt.Sprintf("ORD-%07d", i), num("2", 2),
		"Veg box x2; Bread [SKU: BR-1]",
		num(strconv.FormatFloat(lat, 'f', -1, 64), lat), num(strconv.FormatFloat(lng, 'f', -1, 64), lng),
	}
}

func writeCSV(path string, rows int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	w := importer.NewCSVWriter(f)
	if err := w.Write(header()); err != nil {
		return err
	}
	cells := make([]string, len(header()))
	for i := range rows {
		for j, c := range row(i, false) {
			cells[j] = c.(string)
		}
		if err := w.Write(cells); err != nil {
			return err
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}

func writeXLSX(path string, rows int) error {
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		return err
	}
	h := header()
	hv := make([]any, len(h))
	for i, c := range h {
		hv[i] = c
	}
	if err := sw.SetRow("A1", hv); err != nil {
		return err
	}
	for i := range rows {
		cells := row(i, true)
		for j, c := range cells {
			if c == "" {
				cells[j] = nil
			}
		}
		if err := sw.SetRow("A"+strconv.Itoa(i+2), cells); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	return f.SaveAs(path)
}
