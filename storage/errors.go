package storage

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"regexp"
	"strings"
	"syscall"

	"github.com/dispatchkit/connect"
	"github.com/jackc/pgx/v5/pgconn"
)

// translate turns an error of the database into a *connect.Error. It is the one
// place that knows driver errors; nothing above the Store sees one. what names the
// operation for people ("creating client 0190…").
//
//   - an error that already is a *connect.Error passes unchanged;
//   - sql.ErrNoRows is NotFound;
//   - a unique violation is Conflict, saying which value is taken;
//   - a foreign-key violation is NotFound: the client named does not exist in the
//     account (an account mismatch looks exactly like a missing client);
//   - a canceled or expired context is Unavailable wrapping the context's error,
//     so errors.Is(err, context.Canceled) still holds;
//   - a database that cannot be reached, or is busy (SQLite's lock), is Unavailable;
//   - a serialization failure or deadlock is Conflict: retrying may succeed;
//   - anything else is Internal, wrapping the cause.
func translate(ctx context.Context, err error, what string) error {
	if err == nil {
		return nil
	}
	var ce *connect.Error
	if errors.As(err, &ce) {
		return err
	}
	if errors.Is(err, sql.ErrNoRows) {
		return connect.Errorf(connect.NotFound, "%s: not found", what)
	}
	if ctxErr := contextError(ctx, err); ctxErr != nil {
		return connect.Errorf(connect.Unavailable, "%s: %w", what, ctxErr)
	}
	if name, ok := uniqueViolation(err); ok {
		return &connect.Error{Code: connect.Conflict, Message: what + ": " + constraintMessage(name), Err: err}
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case pgErr.Code == "23503": // foreign_key_violation
			return &connect.Error{Code: connect.NotFound, Message: what + ": no such client in the account", Err: err}
		case pgErr.Code == "40001" || pgErr.Code == "40P01": // serialization_failure, deadlock_detected
			return &connect.Error{Code: connect.Conflict, Message: what + ": a concurrent change got in the way; try again", Err: err}
		case strings.HasPrefix(pgErr.Code, "08"), strings.HasPrefix(pgErr.Code, "53"),
			strings.HasPrefix(pgErr.Code, "57P"): // connection, resources, shutdown
			return &connect.Error{Code: connect.Unavailable, Message: what + ": the database is unavailable", Err: err}
		}
		return &connect.Error{Code: connect.Internal, Message: what + ": " + pgErr.Message, Err: err}
	}
	if code, ok := sqliteCode(err); ok {
		switch code & 0xff {
		case 5, 6: // SQLITE_BUSY, SQLITE_LOCKED
			return &connect.Error{Code: connect.Unavailable, Message: what + ": the database is busy; try again", Err: err}
		case 19: // SQLITE_CONSTRAINT
			if code == 787 || strings.Contains(err.Error(), "FOREIGN KEY constraint failed") {
				return &connect.Error{Code: connect.NotFound, Message: what + ": no such client in the account", Err: err}
			}
		}
	}
	if unreachable(err) {
		return &connect.Error{Code: connect.Unavailable, Message: what + ": the database is unavailable", Err: err}
	}
	return connect.Errorf(connect.Internal, "%s: %w", what, err)
}

// contextError returns the context's error when err is due to it.
func contextError(ctx context.Context, err error) error {
	switch {
	case errors.Is(err, context.Canceled):
		return context.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		return context.DeadlineExceeded
	case ctx != nil && ctx.Err() != nil:
		return ctx.Err()
	}
	return nil
}

// unreachable reports errors that mean the database could not be reached or the
// connection broke.
func unreachable(err error) bool {
	var connErr *pgconn.ConnectError
	var netErr net.Error
	return errors.As(err, &connErr) || errors.As(err, &netErr) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, driver.ErrBadConn) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, sql.ErrConnDone)
}

// sqliteCode returns the extended result code of a SQLite error (modernc.org/sqlite
// and mattn/go-sqlite3 both have a Code method).
func sqliteCode(err error) (int, bool) {
	var coder interface{ Code() int }
	if errors.As(err, &coder) {
		return coder.Code(), true
	}
	return 0, false
}

// uniqueViolation reports a unique violation and the name of the constraint (on
// SQLite, the name of the index as in the migrations).
func uniqueViolation(err error) (string, bool) {
	if err == nil {
		return "", false
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.ConstraintName, pgErr.Code == "23505"
	}
	if _, ok := sqliteCode(err); !ok && !strings.Contains(err.Error(), "constraint failed") {
		return "", false
	}
	m := sqliteUnique.FindStringSubmatch(err.Error())
	if m == nil {
		return "", false
	}
	if m[1] != "" {
		return m[1], true // an expression index names itself
	}
	cols := m[2]
	if name, ok := sqliteIndexes[cols]; ok {
		return name, true
	}
	if table, ok := strings.CutSuffix(cols, ".id"); ok && !strings.Contains(table, ",") {
		return table + "_pkey", true
	}
	return cols, true
}

var sqliteUnique = regexp.MustCompile(`(?:UNIQUE|PRIMARY KEY) constraint failed: (?:index '([^']+)'|([^()]+?))(?: \(|$)`)

// sqliteIndexes names SQLite's unique indexes by the columns its message lists.
var sqliteIndexes = map[string]string{
	"clients.number":                 "clients_number",
	"clients.account_id, clients.id": "clients_account_id",
	"invites.token_hash":             "invites_token_hash",
	"orders.client_id, orders.ref":   "orders_client_ref",
	"outbox.key":                     "outbox_key",
	"api_keys.hash":                  "api_keys_hash",
	"tracking_links.hash":            "tracking_links_hash",
	"used_once.key":                  "used_once_pkey",
}

// constraintMessage says, for people, what a unique constraint protects.
func constraintMessage(name string) string {
	switch name {
	case "clients_number":
		return "the client number is already taken"
	case "members_client_email":
		return "someone with this email is already on the team"
	case "invites_token_hash":
		return "an invite with this token already exists"
	case "orders_client_ref":
		return "the reference is already used by another order of the client"
	case "api_keys_hash":
		return "an API key with this token already exists"
	case "tracking_links_hash":
		return "a tracking link with this token already exists"
	case "used_once_pkey":
		return "it was already used"
	}
	if strings.HasSuffix(name, "_pkey") || name == "clients_account_id" {
		return "it already exists"
	}
	return "a value is already taken (" + name + ")"
}

// refViolation reports a unique violation of a client's order references.
func refViolation(err error) bool {
	name, ok := uniqueViolation(err)
	return ok && name == "orders_client_ref"
}

// pgRefDetail returns the reference a PostgreSQL unique violation of
// orders_client_ref names, given the clients the orders belong to. Its detail
// reads `Key (client_id, ref)=(CLIENT, REF) already exists.`
func pgRefDetail(err error, clients []string) (string, bool) {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return "", false
	}
	rest, ok := strings.CutPrefix(pgErr.Detail, "Key (client_id, ref)=(")
	if !ok {
		return "", false
	}
	rest, ok = strings.CutSuffix(rest, ") already exists.")
	if !ok {
		return "", false
	}
	for _, c := range clients {
		if ref, ok := strings.CutPrefix(rest, c+", "); ok {
			return ref, true
		}
	}
	return "", false
}

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }
