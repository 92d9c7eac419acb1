// Package pgtest gives tests a PostgreSQL schema of their own, on the server that
// CONNECT_TEST_POSTGRES_URL names.
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the pgx database/sql driver
)

// URL returns CONNECT_TEST_POSTGRES_URL, or skips the test with one line.
func URL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("CONNECT_TEST_POSTGRES_URL")
	if u == "" {
		t.Skip("CONNECT_TEST_POSTGRES_URL is not set; skipping the PostgreSQL tests")
	}
	return u
}

// Schema creates a schema of the test's own and returns a DSN that uses it; the
// schema is dropped when the test ends. It skips the test when no server is set.
func Schema(t testing.TB) string {
	t.Helper()
	base := URL(t)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = admin.Close() })
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "connect_test_" + hex.EncodeToString(b)
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
