package storage_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"testing"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/storage"
	"github.com/dispatchkit/connect/storage/storagetest"
	_ "github.com/jackc/pgx/v5/stdlib"
)

// postgresURL returns CONNECT_TEST_POSTGRES_URL, or skips the test.
func postgresURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("CONNECT_TEST_POSTGRES_URL")
	if u == "" {
		t.Skip("CONNECT_TEST_POSTGRES_URL is not set; skipping the PostgreSQL tests")
	}
	return u
}

// postgresSchema creates a schema of the test's own and returns a DSN that uses
// it; the schema is dropped when the test ends.
func postgresSchema(t testing.TB) string {
	t.Helper()
	base := postgresURL(t)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = admin.Close() })
	schema := fmt.Sprintf("connect_test_%d_%s", os.Getpid(), randomSuffix())
	if _, err := admin.ExecContext(context.Background(), "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("dropping schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// openPostgres opens a Store on a schema of the test's own.
func openPostgres(t *testing.T) *storage.Store {
	t.Helper()
	s, err := storage.Open(t.Context(), postgresSchema(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestPostgres(t *testing.T) {
	postgresURL(t)
	t.Parallel()
	storagetest.Run(t, func(t *testing.T) connect.Store { return openPostgres(t) })
}
