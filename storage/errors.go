package storage

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/dispatchkit/connect"
)

// diskFull is what a write the database's disk has no room for says: nothing of
// it was stored, and it can be tried again once there is room.
const diskFull = "the database's disk is full; nothing was stored: free some space, then try again"

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
//   - a full disk is Unavailable, saying so;
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
	if e, ok := pgError(err, what); ok {
		return e
	}
	if e, ok := sqliteError(err, what); ok {
		return e
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
	var netErr net.Error
	return unreachablePG(err) || errors.As(err, &netErr) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, driver.ErrBadConn) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, sql.ErrConnDone)
}

// uniqueViolation reports a unique violation and the name of the constraint (on
// SQLite, the name of the index as in the migrations).
func uniqueViolation(err error) (string, bool) {
	if err == nil {
		return "", false
	}
	if name, violation, isPG := pgUniqueViolation(err); isPG {
		return name, violation
	}
	return sqliteUniqueViolation(err)
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
	case "address_entries_key":
		return "the address book already has this recipient at this address"
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

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }
