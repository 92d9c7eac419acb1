package storage_test

import (
	"path/filepath"
	"testing"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/storage"
	"github.com/dispatchkit/connect/storage/storagetest"
)

// openSQLite opens a Store on a fresh SQLite file of the test's own.
func openSQLite(t *testing.T) *storage.Store {
	t.Helper()
	s, err := storage.Open(t.Context(), "sqlite:"+filepath.Join(t.TempDir(), "connect.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestSQLite(t *testing.T) {
	t.Parallel()
	storagetest.Run(t, func(t *testing.T) connect.Store { return openSQLite(t) })
}

// TestSQLiteInMemoryConforms runs the suite on private in-memory databases.
func TestSQLiteInMemoryConforms(t *testing.T) {
	t.Parallel()
	storagetest.Run(t, func(t *testing.T) connect.Store {
		s, err := storage.Open(t.Context(), "sqlite::memory:")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s
	})
}
