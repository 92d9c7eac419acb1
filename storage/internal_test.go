package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"
	"testing/fstest"
	"time"

	"github.com/dispatchkit/connect"
	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5/pgconn"
)

// TestCopyColumnsMatchModel keeps the COPY column lists in step with the row
// models that the INSERT path writes.
func TestCopyColumnsMatchModel(t *testing.T) {
	s, err := Open(t.Context(), "sqlite::memory:", SkipMigrate())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	for _, tc := range []struct {
		model any
		cols  []string
		n     int
	}{
		{orderRow{}, orderCopyColumns, len((&orderRow{}).copyValues(nil))},
		{eventRow{}, eventCopyColumns, len((&eventRow{}).copyValues(nil))},
	} {
		var names []string
		for _, f := range s.db.Table(reflect.TypeOf(tc.model)).Fields {
			names = append(names, f.Name)
		}
		if d := cmp.Diff(names, tc.cols); d != "" {
			t.Errorf("%T: COPY columns (-model +copy):\n%s", tc.model, d)
		}
		if tc.n != len(tc.cols) {
			t.Errorf("%T: copyValues writes %d values for %d columns", tc.model, tc.n, len(tc.cols))
		}
	}
}

// TestFailingMigrationStaysUnapplied runs a migration that fails half-way: what it
// did is rolled back, it is not recorded, and it runs again (fixed) next time.
func TestFailingMigrationStaysUnapplied(t *testing.T) {
	ctx := t.Context()
	s, err := Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "m.db"), SkipMigrate())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	good := &fstest.MapFile{Data: []byte("CREATE TABLE one (id INTEGER);")}
	bad := &fstest.MapFile{Data: []byte("CREATE TABLE two (id INTEGER);\n--bun:split\nCREATE TABLE broken (;")}
	fixed := &fstest.MapFile{Data: []byte("CREATE TABLE two (id INTEGER);")}

	err = s.migrateFS(ctx, fstest.MapFS{"20260101000000_one.tx.up.sql": good, "20260102000000_two.tx.up.sql": bad})
	if connect.ErrorCode(err) != connect.Internal {
		t.Fatalf("a failing migration returned %v, want an internal error", err)
	}
	if !tableExists(t, s, "one") || tableExists(t, s, "two") {
		t.Fatal("want table one (applied) and no table two (rolled back)")
	}
	if got := applied(t, s); !reflect.DeepEqual(got, []string{"20260101000000"}) {
		t.Fatalf("applied migrations = %v, want only the first", got)
	}
	err = s.migrateFS(ctx, fstest.MapFS{"20260101000000_one.tx.up.sql": good, "20260102000000_two.tx.up.sql": fixed})
	if err != nil {
		t.Fatal(err)
	}
	if !tableExists(t, s, "two") {
		t.Fatal("the fixed migration did not run")
	}
	if got := applied(t, s); len(got) != 2 {
		t.Fatalf("applied migrations = %v, want both", got)
	}
}

func tableExists(t *testing.T, s *Store, name string) bool {
	t.Helper()
	n, err := s.db.NewSelect().TableExpr("sqlite_master").Where("type = 'table' AND name = ?", name).Count(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return n == 1
}

func applied(t *testing.T, s *Store) []string {
	t.Helper()
	var names []string
	if err := s.db.NewSelect().TableExpr(migrationsTable).Column("name").Order("name").Scan(t.Context(), &names); err != nil {
		t.Fatal(err)
	}
	return names
}

// TestTranslate checks the one function that reads driver errors.
func TestTranslate(t *testing.T) {
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	cases := []struct {
		name string
		ctx  context.Context
		err  error
		want connect.Code
		is   error
	}{
		{"no rows", context.Background(), sql.ErrNoRows, connect.NotFound, nil},
		{"already translated", context.Background(), connect.Errorf(connect.Conflict, "x"), connect.Conflict, nil},
		{"canceled", canceled, errors.New("driver gave up"), connect.Unavailable, context.Canceled},
		{"deadline", context.Background(), fmt.Errorf("q: %w", context.DeadlineExceeded), connect.Unavailable, context.DeadlineExceeded},
		{"pg unique", context.Background(), &pgconn.PgError{Code: "23505", ConstraintName: "clients_number"}, connect.Conflict, nil},
		{"pg foreign key", context.Background(), &pgconn.PgError{Code: "23503"}, connect.NotFound, nil},
		{"pg shutdown", context.Background(), &pgconn.PgError{Code: "57P01"}, connect.Unavailable, nil},
		{"pg serialization", context.Background(), &pgconn.PgError{Code: "40001"}, connect.Conflict, nil},
		{"pg syntax", context.Background(), &pgconn.PgError{Code: "42601"}, connect.Internal, nil},
		{"sqlite unique", context.Background(), errors.New("constraint failed: UNIQUE constraint failed: orders.client_id, orders.ref (2067)"), connect.Conflict, nil},
		{"bad conn", context.Background(), fmt.Errorf("x: %w", sql.ErrConnDone), connect.Unavailable, nil},
		{"other", context.Background(), errors.New("disk on fire"), connect.Internal, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := translate(tc.ctx, tc.err, "doing it")
			if code := connect.ErrorCode(got); code != tc.want {
				t.Fatalf("translate(%v) = %v (%s), want %s", tc.err, got, code, tc.want)
			}
			var ce *connect.Error
			if !errors.As(got, &ce) {
				t.Fatalf("translate returned %T", got)
			}
			if tc.is != nil && !errors.Is(got, tc.is) {
				t.Fatalf("translate(%v) = %v, which is not %v", tc.err, got, tc.is)
			}
		})
	}
	if name, ok := uniqueViolation(errors.New("constraint failed: UNIQUE constraint failed: index 'members_client_email' (2067)")); !ok || name != "members_client_email" {
		t.Errorf("uniqueViolation of an expression index = %q, %v", name, ok)
	}
	if name, ok := uniqueViolation(errors.New("constraint failed: UNIQUE constraint failed: orders.id (1555)")); !ok || name != "orders_pkey" {
		t.Errorf("uniqueViolation of a primary key = %q, %v", name, ok)
	}
	ref, ok := pgRefDetail(&pgconn.PgError{Code: "23505", Detail: "Key (client_id, lower(ref))=(c1, a, b) already exists."}, []string{"c0", "c1"})
	if !ok || ref != "a, b" {
		t.Errorf("pgRefDetail = %q, %v; want the ref with its comma", ref, ok)
	}
}

// TestOrderScanMatchesColumns keeps the prepared list's scan in step with its
// column list.
func TestOrderScanMatchesColumns(t *testing.T) {
	var sc orderScan
	if n := len(sc.dest()); n != len(orderCopyColumns) {
		t.Fatalf("orderScan scans %d columns of %d", n, len(orderCopyColumns))
	}
}

// TestASQLiteTransactionOutlivesABrokenWriterConnection: the connection kept for
// SQLite transactions is replaced when it breaks, and the next transaction runs.
func TestASQLiteTransactionOutlivesABrokenWriterConnection(t *testing.T) {
	s, err := Open(t.Context(), "sqlite:"+filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	create := func(id connect.ClientID) error {
		return s.Tx(t.Context(), func(tx connect.Store) error {
			return tx.CreateClient(t.Context(), connect.Scope{Account: "a"}, &connect.Client{ID: id, Account: "a", Name: string(id),
				Status: connect.ClientActive, CreatedAt: time.Now(), UpdatedAt: time.Now()})
		})
	}
	if err := create("first"); err != nil {
		t.Fatal(err)
	}
	w := s.d.(*sqliteDialect).writer
	broken := w.conn
	_ = broken.Close() // as database/sql does after the driver reports a bad connection
	if err := create("second"); err != nil {
		t.Fatalf("a transaction after the writer's connection broke: %v", err)
	}
	if w.conn == broken {
		t.Fatal("the broken connection was kept")
	}
	if _, err := s.Client(t.Context(), connect.Scope{Account: "a"}, "second"); err != nil {
		t.Fatal(err)
	}
}
