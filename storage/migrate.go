package storage

import (
	"context"
	"embed"
	"io/fs"

	"github.com/dispatchkit/connect"
	"github.com/uptrace/bun/migrate"
)

// migrationFiles holds the schema, one directory per dialect. Each file is
// NAME.tx.up.sql: bun/migrate runs it in a transaction, so a migration that fails
// leaves nothing behind and stays unapplied. Every statement is idempotent (IF NOT
// EXISTS, OR REPLACE): bun/migrate records a migration after its transaction, so
// a crash in between leaves it committed and unrecorded, and it runs again.
//
//go:embed migrations
var migrationFiles embed.FS

// The bookkeeping tables, named for connect so they never meet a host's own bun
// migrations in the same database.
const (
	migrationsTable = "connect_migrations"
	migrationLocks  = "connect_migration_locks"
)

// Migrations returns the schema's migrations of a dialect ("postgres" or
// "sqlite"), for a host whose own tool (goose, atlas, flyway, a deploy script)
// applies migrations: open the Store with SkipMigrate (or New) and apply the
// files in the order of their names, each in one transaction, its statements
// separated by lines that read "--bun:split". Every statement is idempotent,
// so applying a file again does no harm; Migrate does the same and records
// what it applied in connect_migrations. Errors: ErrInvalid for another
// dialect.
func Migrations(dialect string) (fs.FS, error) {
	switch dialect {
	case "postgres", "sqlite":
		return fs.Sub(migrationFiles, "migrations/"+dialect)
	}
	return nil, connect.Errorf(connect.Invalid, "storage: no migrations for %q (postgres or sqlite)", dialect)
}

// Migrate brings the schema up to date. Running it again is a no-op. Each
// migration runs in its own transaction and is recorded once it succeeded, so a
// failing one leaves the schema as it was and is tried again next time. On
// PostgreSQL, concurrent Migrate calls (several processes starting at once) take
// turns on an advisory lock of the schema.
// Errors: ErrUnavailable; ErrInternal when a migration fails.
func (s *Store) Migrate(ctx context.Context) error {
	sub, err := fs.Sub(migrationFiles, s.d.migrations())
	if err != nil {
		return connect.Errorf(connect.Internal, "storage: reading the migrations: %w", err)
	}
	return s.migrateFS(ctx, sub)
}

// migrateFS applies the migrations in fsys.
func (s *Store) migrateFS(ctx context.Context, fsys fs.FS) error {
	ms := migrate.NewMigrations()
	if err := ms.Discover(fsys); err != nil {
		return connect.Errorf(connect.Internal, "storage: reading the migrations: %w", err)
	}
	m := migrate.NewMigrator(s.db, ms,
		migrate.WithTableName(migrationsTable),
		migrate.WithLocksTableName(migrationLocks),
		migrate.WithMarkAppliedOnSuccess(true))

	unlock, err := s.d.lockMigrations(ctx, s.db)
	if err != nil {
		return err
	}
	defer unlock()
	if err := m.Init(ctx); err != nil {
		return translate(ctx, err, "migrating: creating the migration tables")
	}
	group, err := m.Migrate(ctx)
	if err != nil {
		return translate(ctx, err, "migrating")
	}
	for _, mig := range group.Migrations {
		s.log.InfoContext(ctx, "storage: migration applied", "name", mig.Name, "comment", mig.Comment)
	}
	return nil
}
