package storage_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/connecttest"
)

// TestAFullDiskGivesAClearErrorAndKeepsTheDatabase fills the disk under a SQLite
// database (a 16 MB tmpfs of the test's own) while orders are imported: the
// import that does not fit fails as unavailable, saying the disk is full, and
// stores nothing; what was committed before is all there; the database passes
// SQLite's integrity check; and once there is room again, the same import goes
// through. Where tmpfs cannot be mounted (not root, no privilege), SQLite's own
// limit on the database's pages stands in for the disk: it fails the same way
// (SQLITE_FULL).
func TestAFullDiskGivesAClearErrorAndKeepsTheDatabase(t *testing.T) {
	dir := t.TempDir()
	dsn := "sqlite:" + filepath.Join(dir, "connect.db")
	filler := filepath.Join(dir, "filler")
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", dir).CombinedOutput(); err == nil {
		t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
		t.Log("on a 16 MB tmpfs")
	} else {
		// 16 MB of 4 KiB pages, as a limit of SQLite's.
		t.Logf("no tmpfs (%s): SQLite's max_page_count stands in for the disk", strings.TrimSpace(string(out)))
		dsn += "?_pragma=max_page_count(4096)"
		filler = ""
	}
	w := connecttest.New(t, connecttest.WithDSN(dsn), connecttest.WithNow(time.Now))
	ctx := context.Background()
	tm := w.NewClient("Green Grocer", connect.ClientSettings{AllowUpload: true})
	if filler != "" {
		// Leave about 3 MB free: a few batches fit, then the disk is full.
		var fs syscall.Statfs_t
		if err := syscall.Statfs(dir, &fs); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filler, make([]byte, max(0, int64(fs.Bavail)*fs.Bsize-3<<20)), 0o600); err != nil {
			t.Fatal(err)
		}
	}

	batch := func(n int) []connect.OrderInput {
		ins := make([]connect.OrderInput, 500)
		for i := range ins {
			ins[i] = connect.OrderInput{Ref: fmt.Sprintf("B%03d-%03d", n, i), Address: connect.Address{Line1: strings.Repeat("1 Long Street ", 20)},
				Notes: strings.Repeat("Leave it with the neighbour. ", 20)}
		}
		return ins
	}
	committed, failedAt := 0, -1
	var full error
	for n := 0; n < 200; n++ {
		if _, err := w.Service.Import(ctx, tm.Owner.Actor, &inputs{rows: batch(n)}, connect.ImportOptions{AllOrNothing: true}); err != nil {
			full, failedAt = err, n
			break
		}
		committed += 500
	}
	if full == nil {
		t.Fatal("the disk never filled")
	}
	t.Logf("after %d orders: %v", committed, full)
	if !errors.Is(full, connect.ErrUnavailable) || !strings.Contains(full.Error(), "full") {
		t.Fatalf("a full disk: %v, want unavailable, saying the disk is full", full)
	}
	db, err := sql.Open("sqlite", strings.TrimPrefix(strings.SplitN(dsn, "?", 2)[0], "sqlite:"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	count := func() int {
		var n int
		if err := db.QueryRow("SELECT count(*) FROM orders").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if got := count(); got != committed {
		t.Fatalf("%d orders after the full disk, want the %d committed before", got, committed)
	}
	var check string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity check: %q, %v", check, err)
	}

	if filler == "" {
		return // SQLite's limit cannot be lifted on an open database
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Service.Import(ctx, tm.Owner.Actor, &inputs{rows: batch(failedAt)}, connect.ImportOptions{AllOrNothing: true}); err != nil {
		t.Fatalf("the same import with room again: %v", err)
	}
	if got := count(); got != committed+500 {
		t.Fatalf("%d orders, want %d", got, committed+500)
	}
}

// inputs is an ImportSource of orders as typed, with the columns Id, Address
// Line 1 and Notes.
type inputs struct {
	rows []connect.OrderInput
	next int
}

func (s *inputs) Header() []string { return []string{"Id", "Address Line 1", "Notes"} }

func (s *inputs) Column(f connect.Field) string {
	return map[connect.Field]string{connect.FieldRef: "Id", connect.FieldAddressLine1: "Address Line 1", connect.FieldNotes: "Notes"}[f]
}

func (s *inputs) Next(context.Context) (connect.ImportRow, error) {
	if s.next >= len(s.rows) {
		return connect.ImportRow{}, io.EOF
	}
	in := s.rows[s.next]
	s.next++
	return connect.ImportRow{Number: s.next + 1, Cells: []string{in.Ref, in.Address.Line1, in.Notes}, Input: in}, nil
}
