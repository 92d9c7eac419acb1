package storage

import (
	"context"
	"testing"
	"time"

	"github.com/dispatchkit/connect"
	"github.com/google/go-cmp/cmp"
)

// openSessionFixture opens a SQLite Store with a client, its owner and a session
// of theirs (token hash "hash"), its queries logged.
func openSessionFixture(t testing.TB) (*Store, *queryLog, connect.Scope) {
	t.Helper()
	ctx := context.Background()
	s, err := Open(ctx, "sqlite:"+t.TempDir()+"/prepared.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	log := &queryLog{}
	s.db = s.db.WithQueryHook(log)
	s.idb = s.db
	sc := connect.Scope{Account: "a", Client: "c"}
	now := time.Now().UTC().Truncate(time.Microsecond)
	if err := s.CreateClient(ctx, connect.Scope{Account: "a"}, &connect.Client{ID: "c", Account: "a", Status: connect.ClientActive, Name: "C"}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateMember(ctx, sc, &connect.Member{ID: "m", Account: "a", Client: "c", Email: "m@example.com", Role: connect.RoleOwner, CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	sess := &connect.Session{ID: "s", Account: "a", Client: "c", Member: "m", TokenHash: []byte("hash"),
		CreatedAt: now, SeenAt: now, Idle: time.Hour, ExpiresAt: now.Add(24 * time.Hour)}
	if err := s.CreateSession(ctx, sc, sess); err != nil {
		t.Fatal(err)
	}
	return s, log, sc
}

// TestSQLiteReadsSessionsAsPreparedStatements: a session read runs as a
// statement prepared once per text (with its values bound, not written into
// it), in and out of a transaction, reads what bun's query read, goes through
// bun's hooks, and fails cleanly once the Store is closed.
func TestSQLiteReadsSessionsAsPreparedStatements(t *testing.T) {
	s, log, sc := openSessionFixture(t)
	ctx := t.Context()
	want, err := s.Session(ctx, sc, "s")
	if err != nil {
		t.Fatal(err)
	}
	if want.Session.ID != "s" || want.Member == nil || want.Member.ID != "m" || want.Client == nil || want.Client.Name != "C" {
		t.Fatalf("Session read %+v", want)
	}
	reads := map[string]func(s *Store) (*connect.SessionMember, error){
		"of the client": func(s *Store) (*connect.SessionMember, error) { return s.Session(ctx, sc, "s") },
		"of the account": func(s *Store) (*connect.SessionMember, error) {
			return s.Session(ctx, connect.Scope{Account: "a"}, "s")
		},
		"by token": func(s *Store) (*connect.SessionMember, error) {
			return s.SessionByTokenHashAnyAccount(ctx, []byte("hash"))
		},
	}
	for name, read := range reads {
		for range 3 {
			got, err := read(s)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Fatalf("%s (-bun's query +prepared):\n%s", name, d)
			}
		}
		err := s.Tx(ctx, func(tx connect.Store) error {
			got, err := read(tx.(*Store))
			if d := cmp.Diff(want, got); err == nil && d != "" {
				t.Fatalf("%s in a transaction (-bun's query +prepared):\n%s", name, d)
			}
			return err
		})
		if err != nil {
			t.Fatalf("%s in a transaction: %v", name, err)
		}
	}
	if _, err := s.Session(ctx, connect.Scope{Account: "a", Client: "other"}, "s"); connect.ErrorCode(err) != connect.NotFound {
		t.Fatalf("a session read in another client's scope: %v, want not found", err)
	}
	stmts := s.d.(*sqliteDialect).stmts
	stmts.mu.Lock()
	prepared := len(stmts.byText)
	stmts.mu.Unlock()
	if prepared != 3 {
		t.Fatalf("%d statements prepared for three kinds of session read, want 3", prepared)
	}
	if !log.saw(`WHERE (s.id = $1) AND (s.account_id = $2) AND (s.client_id = $3)`) {
		t.Fatal("the prepared session read did not reach bun's query hook")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Session(ctx, sc, "s"); connect.ErrorCode(err) != connect.Unavailable {
		t.Fatalf("a closed Store's session read: %v, want unavailable", err)
	}
}

// BenchmarkSessionRead reads a session with its member and client on SQLite,
// as every request and every live stream's check of its caller does.
func BenchmarkSessionRead(b *testing.B) {
	s, _, sc := openSessionFixture(b)
	for b.Loop() {
		if _, err := s.Session(b.Context(), sc, "s"); err != nil {
			b.Fatal(err)
		}
	}
}
