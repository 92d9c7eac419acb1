package storage_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"io"
	"io/fs"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/internal/pgtest"
	"github.com/dispatchkit/connect/storage"
)

// TestWithSchemaKeepsTheTablesApart: WithSchema creates its schema, migrates
// into it and works there; the DSN's own schema (public) gets none of
// connect's tables; opening again is a no-op.
func TestWithSchemaKeepsTheTablesApart(t *testing.T) {
	t.Parallel()
	base := pgtest.Schema(t) // the "host's" schema, as public would be
	admin, err := sql.Open("pgx", pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "connect_own_" + hex.EncodeToString(b)
	t.Cleanup(func() { _, _ = admin.ExecContext(context.Background(), "DROP SCHEMA IF EXISTS "+schema+" CASCADE") })
	for range 2 {
		s, err := storage.Open(t.Context(), base, storage.WithSchema(schema))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.PutBlob(t.Context(), "a/b.txt", strings.NewReader("in its own schema")); err != nil {
			t.Fatal(err)
		}
		s.Close()
	}
	tables := func(schema string) []string {
		rows, err := admin.QueryContext(t.Context(), "SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1", schema)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var n string
			_ = rows.Scan(&n)
			out = append(out, n)
		}
		return out
	}
	own := tables(schema)
	for _, want := range []string{"orders", "clients", "outbox", "blobs", "connect_migrations"} {
		if !slices.Contains(own, want) {
			t.Errorf("schema %s lacks %s: %v", schema, want, own)
		}
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	hostSchema := u.Query().Get("search_path")
	if got := tables(hostSchema); len(got) != 0 {
		t.Errorf("the DSN's own schema %s got tables %v", hostSchema, got)
	}
}

func TestWithSchemaRefusesWhatItCannotUse(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"Connect", "1connect", "pg_connect", "con-nect", "con nect", "x;drop", strings.Repeat("a", 64)} {
		if _, err := storage.Open(t.Context(), "postgres://127.0.0.1:1/none", storage.WithSchema(name)); connect.ErrorCode(err) != connect.Invalid {
			t.Errorf("WithSchema(%q): %v, want invalid", name, err)
		}
	}
	if _, err := storage.Open(t.Context(), "sqlite::memory:", storage.WithSchema("connect")); connect.ErrorCode(err) != connect.Invalid {
		t.Errorf("WithSchema on SQLite: %v, want invalid", err)
	}
	if _, err := storage.Migrations("mysql"); connect.ErrorCode(err) != connect.Invalid {
		t.Errorf("Migrations(mysql): %v, want invalid", err)
	}
}

// TestMigrationsApplyByHand: a host's own tool applying the exported migrations
// as documented (files in name order, one transaction each, statements split at
// "--bun:split") makes the schema Migrate makes: the same tables and columns,
// and a Store opened on it with SkipMigrate works.
func TestMigrationsApplyByHand(t *testing.T) {
	t.Parallel()
	byHand, byMigrate := pgtest.Schema(t), pgtest.Schema(t)
	migs, err := storage.Migrations("postgres")
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("pgx", byHand)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	names, err := fs.Glob(migs, "*.sql")
	if err != nil || len(names) == 0 {
		t.Fatalf("migrations %v, %v", names, err)
	}
	slices.Sort(names)
	for _, name := range names {
		text, err := fs.ReadFile(migs, name)
		if err != nil {
			t.Fatal(err)
		}
		tx, err := db.BeginTx(t.Context(), nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, stmt := range strings.Split(string(text), "--bun:split") {
			if strings.TrimSpace(stmt) == "" {
				continue
			}
			if _, err := tx.ExecContext(t.Context(), stmt); err != nil {
				t.Fatalf("%s: %v\n%s", name, err, stmt)
			}
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	s, err := storage.Open(t.Context(), byHand, storage.SkipMigrate())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.PutBlob(t.Context(), "x/y", bytes.NewReader([]byte("ok"))); err != nil {
		t.Fatal(err)
	}
	rc, _, err := s.OpenBlob(t.Context(), "x/y")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if string(got) != "ok" {
		t.Fatalf("read back %q", got)
	}
	m, err := storage.Open(t.Context(), byMigrate)
	if err != nil {
		t.Fatal(err)
	}
	m.Close()
	columns := func(dsn string) []string {
		c, err := sql.Open("pgx", dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		rows, err := c.QueryContext(t.Context(), `SELECT table_name || '.' || column_name || ' ' || data_type
			FROM information_schema.columns WHERE table_schema = current_schema() AND table_name NOT LIKE 'connect_migration%'
			UNION ALL SELECT 'index ' || indexname || ': ' || regexp_replace(indexdef, ' ON [^ ]+\.', ' ON ')
			FROM pg_indexes WHERE schemaname = current_schema() AND tablename NOT LIKE 'connect_migration%' ORDER BY 1`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var s string
			_ = rows.Scan(&s)
			out = append(out, s)
		}
		return out
	}
	hand, migrated := columns(byHand), columns(byMigrate)
	if len(hand) < 50 || !slices.Equal(hand, migrated) {
		t.Fatalf("by hand: %d columns and indexes, by Migrate: %d; they differ", len(hand), len(migrated))
	}
}
