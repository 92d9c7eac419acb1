package disk_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/connecttest"
	"github.com/dispatchkit/connect/disk"
)

func TestDiskMeetsTheBlobsContract(t *testing.T) {
	connecttest.RunBlobs(t, func(t *testing.T) connect.Blobs {
		b, err := disk.New(filepath.Join(t.TempDir(), "blobs"))
		if err != nil {
			t.Fatal(err)
		}
		return b
	})
}

// TestDiskFilesArePrivate: blobs hold clients' files (uploads, signatures):
// only the process's user may read them.
func TestDiskFilesArePrivate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "blobs")
	b, err := disk.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.PutBlob(t.Context(), "uploads/acct-1/c-1/u1.csv", strings.NewReader("a,b\n")); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]os.FileMode{
		dir: 0o700, filepath.Join(dir, "uploads", "acct-1"): 0o700, filepath.Join(dir, "uploads", "acct-1", "c-1", "u1.csv"): 0o600,
	} {
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := st.Mode().Perm(); got != want {
			t.Errorf("%s is %v, want %v", path, got, want)
		}
	}
	// A temporary file's name is no key.
	if _, err := b.PutBlob(t.Context(), "uploads/.put-123", strings.NewReader("x")); connect.ErrorCode(err) != connect.Invalid {
		t.Errorf("a key named like a temporary file: %v", err)
	}
}
