package storage_test

import (
	"testing"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/internal/pgtest"
	"github.com/dispatchkit/connect/storage"
	"github.com/dispatchkit/connect/storage/storagetest"
	_ "github.com/jackc/pgx/v5/stdlib"
)

// openPostgres opens a Store on a schema of the test's own.
func openPostgres(t *testing.T) *storage.Store {
	t.Helper()
	s, err := storage.Open(t.Context(), pgtest.Schema(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestPostgres(t *testing.T) {
	pgtest.URL(t)
	t.Parallel()
	storagetest.Run(t, func(t *testing.T) connect.Store { return openPostgres(t) })
}
