package storage_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/internal/pgtest"
	"github.com/dispatchkit/connect/storage"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	"github.com/uptrace/bun/driver/sqliteshim"
)

// dialects runs fn against SQLite and, when configured, PostgreSQL.
func dialects(t *testing.T, fn func(t *testing.T, open func(t *testing.T) *storage.Store)) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		fn(t, openSQLite)
	})
	t.Run("postgres", func(t *testing.T) {
		pgtest.URL(t)
		t.Parallel()
		fn(t, openPostgres)
	})
}

var t0 = time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC)

func newClient(t *testing.T, s connect.Store, account, id string) *connect.Client {
	t.Helper()
	c := &connect.Client{ID: connect.ClientID(id), Account: connect.AccountID(account), Name: id,
		Status: connect.ClientActive, CreatedAt: t0, UpdatedAt: t0}
	if err := s.CreateClient(t.Context(), connect.Scope{Account: c.Account}, c); err != nil {
		t.Fatal(err)
	}
	return c
}

func newOrder(c *connect.Client, id, ref string, st connect.Status, at time.Time) *connect.Order {
	return &connect.Order{OrderInput: connect.OrderInput{Ref: ref, Address: connect.Address{Line1: "1 Main St"}},
		ID: connect.OrderID(id), Account: c.Account, Client: c.ID, Status: st, Version: 1,
		Depot: "d1", CreatedAt: at, UpdatedAt: at}
}

func wantCode(t *testing.T, what string, err error, code connect.Code) {
	t.Helper()
	if got := connect.ErrorCode(err); got != code {
		t.Fatalf("%s: got %v, want code %s", what, err, code)
	}
}

func TestOpenRefusesAnUnknownDSN(t *testing.T) {
	t.Parallel()
	for _, dsn := range []string{"", "mysql://x", "portal.db", "file:portal.db"} {
		_, err := storage.Open(t.Context(), dsn)
		wantCode(t, fmt.Sprintf("Open(%q)", dsn), err, connect.Invalid)
	}
}

func TestOpenReportsAnUnreachableDatabase(t *testing.T) {
	t.Parallel()
	_, err := storage.Open(t.Context(), "postgres://nobody:secret@127.0.0.1:1/none?sslmode=disable&connect_timeout=2")
	wantCode(t, "Open of a closed port", err, connect.Unavailable)
	if strings.Contains(err.Error(), "secret") {
		t.Fatalf("the error shows the password: %v", err)
	}
	_, err = storage.Open(t.Context(), "sqlite:"+filepath.Join(t.TempDir(), "no", "such", "dir", "db"))
	if err == nil {
		t.Fatal("Open of a file in a missing directory succeeded")
	}
}

// migrations is the number of migrations of each dialect: its files.
var migrations = map[string]int64{"sqlite": migrationFiles("sqlite"), "postgres": migrationFiles("postgres")}

func migrationFiles(dialect string) int64 {
	files, _ := filepath.Glob(filepath.Join("migrations", dialect, "*.up.sql"))
	return int64(len(files))
}

func TestMigrateAgainIsANoOp(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, open func(t *testing.T) *storage.Store) {
		s := open(t)
		for range 2 {
			if err := s.Migrate(t.Context()); err != nil {
				t.Fatal(err)
			}
		}
		n, err := s.DB().NewSelect().TableExpr("connect_migrations").Count(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		want := migrations[path.Base(t.Name())]
		if n != want {
			t.Fatalf("%d migration records, want %d", n, want)
		}
	})
}

// TestSavepointUndoesOnlyTheInnerTx: a nested Tx whose fn fails is rolled back to
// its savepoint, and the outer transaction goes on, even after a failed statement.
func TestSavepointUndoesOnlyTheInnerTx(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, open func(t *testing.T) *storage.Store) {
		s := open(t)
		ctx := t.Context()
		taken := newClient(t, s, "a", "taken")
		err := s.Tx(ctx, func(tx connect.Store) error {
			newClient(t, tx, "a", "outer")
			err := tx.Tx(ctx, func(tx connect.Store) error {
				newClient(t, tx, "a", "inner")
				dup := *taken
				return tx.CreateClient(ctx, connect.Scope{Account: dup.Account}, &dup) // a failed statement
			})
			wantCode(t, "the inner Tx", err, connect.Conflict)
			newClient(t, tx, "a", "after")
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for id, want := range map[string]bool{"outer": true, "inner": false, "after": true} {
			_, err := s.Client(ctx, connect.Scope{Account: "a"}, connect.ClientID(id))
			if got := err == nil; got != want {
				t.Errorf("client %s stored = %v, want %v (%v)", id, got, want, err)
			}
		}
	})
}

// TestFailedBulkInsertInsideTxLeavesNothing: CreateOrders inside a caller's
// transaction fails in its second batch; even if the caller ignores the error
// and commits, no order of the call is kept.
func TestFailedBulkInsertInsideTxLeavesNothing(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, open func(t *testing.T) *storage.Store) {
		s := open(t)
		ctx := t.Context()
		c := newClient(t, s, "a", "c")
		if err := s.CreateOrders(ctx, connect.Scope{Account: c.Account}, []*connect.Order{newOrder(c, "o-taken", "R-taken", connect.StatusDraft, t0)}, nil); err != nil {
			t.Fatal(err)
		}
		var batch []*connect.Order
		for i := range 50 {
			batch = append(batch, newOrder(c, fmt.Sprintf("o-%03d", i), fmt.Sprintf("R-%03d", i), connect.StatusDraft, t0))
		}
		batch[40].Ref = "R-taken"
		err := s.Tx(ctx, func(tx connect.Store) error {
			err := tx.CreateOrders(ctx, connect.Scope{Account: c.Account}, batch, nil)
			wantCode(t, "CreateOrders with a taken ref", err, connect.Conflict)
			if !strings.Contains(err.Error(), "R-taken") {
				t.Errorf("the conflict does not name the ref: %v", err)
			}
			return nil // ignore it and commit
		})
		if err != nil && connect.ErrorCode(err) != connect.Conflict {
			t.Fatalf("commit after a failed statement: %v", err)
		}
		counts, err := s.CountOrders(ctx, connect.Scope{Account: "a"})
		if err != nil {
			t.Fatal(err)
		}
		if n := counts[c.ID].Total(); n != 1 {
			t.Fatalf("%d orders stored, want only the one before", n)
		}
	})
}

func TestMemberEmailIgnoresCase(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, open func(t *testing.T) *storage.Store) {
		s := open(t)
		c := newClient(t, s, "a", "c")
		m := &connect.Member{ID: "m1", Account: "a", Client: c.ID, Name: "Ann", Email: "Ann@Example.com",
			Role: connect.RoleOwner, CreatedAt: t0, UpdatedAt: t0}
		if err := s.CreateMember(t.Context(), connect.Scope{Account: m.Account}, m); err != nil {
			t.Fatal(err)
		}
		m2 := *m
		m2.ID, m2.Email = "m2", "ann@example.COM"
		wantCode(t, "the same email in other case", s.CreateMember(t.Context(), connect.Scope{Account: m2.Account}, &m2), connect.Conflict)
	})
}

// TestNothingJoinsAnotherAccountsClient: a member or invite naming a client of
// another account is refused by the schema's (account, client) foreign keys.
func TestNothingJoinsAnotherAccountsClient(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, open func(t *testing.T) *storage.Store) {
		s := open(t)
		c := newClient(t, s, "a", "c")
		m := &connect.Member{ID: "m1", Account: "b", Client: c.ID, Name: "Eve", Email: "eve@example.com",
			Role: connect.RoleOwner, CreatedAt: t0, UpdatedAt: t0}
		wantCode(t, "CreateMember across accounts", s.CreateMember(t.Context(), connect.Scope{Account: m.Account}, m), connect.NotFound)
		inv := &connect.Invite{ID: "i1", Account: "b", Client: c.ID, Kind: connect.InviteMember,
			TokenHash: []byte("h"), ExpiresAt: t0, CreatedAt: t0}
		wantCode(t, "CreateInvite across accounts", s.CreateInvite(t.Context(), connect.Scope{Account: inv.Account}, inv), connect.NotFound)
	})
}

func TestCanceledContext(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, open func(t *testing.T) *storage.Store) {
		s := open(t)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		_, err := s.Clients(ctx, connect.Scope{Account: "a"})
		if !errors.Is(err, context.Canceled) || connect.ErrorCode(err) != connect.Unavailable {
			t.Fatalf("Clients with a canceled context = %v", err)
		}
		err = s.Tx(ctx, func(connect.Store) error { return nil })
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Tx with a canceled context = %v", err)
		}
	})
}

// TestSQLiteInMemory checks that a "sqlite::memory:" store is one database for
// every connection of its pool, and private to the Store.
func TestSQLiteInMemory(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	open := func() *storage.Store {
		s, err := storage.Open(ctx, "sqlite::memory:")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s
	}
	s, other := open(), open()
	c := newClient(t, s, "a", "c")
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			if i%2 == 0 {
				if _, err := s.Client(ctx, connect.Scope{Account: "a"}, c.ID); err != nil {
					t.Error(err)
				}
				return
			}
			err := s.Tx(ctx, func(tx connect.Store) error {
				return tx.CreateOrders(ctx, connect.Scope{Account: c.Account}, []*connect.Order{newOrder(c, fmt.Sprintf("o%d", i), "", connect.StatusDraft, t0)}, nil)
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	counts, err := s.CountOrders(ctx, connect.Scope{Account: "a"})
	if err != nil {
		t.Fatal(err)
	}
	if n := counts[c.ID].Total(); n != 8 {
		t.Fatalf("%d orders, want 8", n)
	}
	_, err = other.Client(ctx, connect.Scope{Account: "a"}, c.ID)
	wantCode(t, "another in-memory store", err, connect.NotFound)
}

// TestNewOnAHostsDB wraps a bun.DB the host opened itself.
func TestNewOnAHostsDB(t *testing.T) {
	t.Parallel()
	dsn := "file:" + filepath.Join(t.TempDir(), "host.db") + "?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_txlock=immediate"
	sqldb, err := sql.Open(sqliteshim.ShimName, dsn)
	if err != nil {
		t.Fatal(err)
	}
	db := bun.NewDB(sqldb, sqlitedialect.New())
	t.Cleanup(func() { _ = db.Close() })
	s, err := storage.New(db)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	newClient(t, s, "a", "c")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.PingContext(t.Context()); err != nil {
		t.Fatalf("Close closed the host's database: %v", err)
	}
}

// TestSQLiteDSNSettingsWin: a pragma the DSN sets itself is kept, not overridden.
func TestSQLiteDSNSettingsWin(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "db")
	s, err := storage.Open(t.Context(), "sqlite:"+path+"?_pragma=busy_timeout(1234)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	var timeout int
	var mode string
	if err := s.DB().QueryRowContext(t.Context(), "PRAGMA busy_timeout").Scan(&timeout); err != nil {
		t.Fatal(err)
	}
	if err := s.DB().QueryRowContext(t.Context(), "PRAGMA journal_mode").Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if timeout != 1234 || mode != "wal" {
		t.Fatalf("busy_timeout %d, journal_mode %s; want 1234 and wal", timeout, mode)
	}
}

// TestMigrationMovesTokensToTheirShop: the per-shop migration moves, of the
// tokens clients kept per client before, the newest of each shop (the one
// Shopify still honours) to the shop's row, sealed for the client it came
// from, links every client to it, and moves nothing twice when it runs again.
func TestMigrationMovesTokensToTheirShop(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, open func(t *testing.T) *storage.Store) {
		s := open(t)
		ctx := t.Context()
		older, newer, alone := newClient(t, s, "a", "c-older"), newClient(t, s, "b", "c-newer"), newClient(t, s, "a", "c-alone")
		for _, r := range []struct {
			c      *connect.Client
			shop   string
			sealed string
			at     time.Time
		}{
			{older, "shared.myshopify.com", "old-token", t0},
			{newer, "shared.myshopify.com", "new-token", t0.Add(time.Hour)},
			{alone, "alone.myshopify.com", "alone-token", t0},
		} {
			if _, err := s.DB().NewRaw("INSERT INTO shopify_tokens (client_id, account_id, shop, sealed, updated_at) VALUES (?, ?, ?, ?, ?)",
				string(r.c.ID), string(r.c.Account), r.shop, []byte(r.sealed), r.at).Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
		for range 2 {
			if _, err := s.DB().NewDelete().TableExpr("connect_migrations").Where("name = ?", "20261204140000").Exec(ctx); err != nil {
				t.Fatal(err)
			}
			if err := s.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			for _, w := range []struct {
				c         *connect.Client
				sealed    string
				sealedFor connect.ClientID
			}{{older, "new-token", newer.ID}, {newer, "new-token", newer.ID}, {alone, "alone-token", alone.ID}} {
				got, err := s.ShopifyToken(ctx, connect.Scope{Account: w.c.Account, Client: w.c.ID})
				if err != nil {
					t.Fatalf("%s: %v", w.c.ID, err)
				}
				if string(got.Sealed) != w.sealed || got.SealedFor != w.sealedFor || got.Version != 1 {
					t.Fatalf("%s's token after the migration: %+v, want %q sealed for %s", w.c.ID, got, w.sealed, w.sealedFor)
				}
			}
		}
	})
}
