// Package connect gives a last-mile delivery dispatch system a client portal.
//
// A dispatcher (an account of the host dispatch system) invites its business clients
// by email or by a link it shares, and decides per client whether it may upload
// orders, which order fields are required (the address always is) and the depot its
// orders go to. A client signs up from the invite, becomes its team's owner and gets
// a unique client number; it invites team members, who work with orders but see
// settings read-only. The team adds orders as drafts (from a spreadsheet, a linked
// Shopify store or by hand), submits them for delivery, and follows them through the
// lifecycle until proof of delivery:
//
//	draft → submitted → scheduled → en route (ETA) → delivered | failed
//
// Submitted orders can no longer be edited but can be withdrawn until they are on a
// route. A dispatcher who does not let a client upload can still link its own stops
// to the client by client number, so the client tracks them in the portal.
//
// # Shape
//
// Service is the portal: every operation takes the Actor who calls (AsDispatcher,
// AsMember, AsHost) and refuses what that actor may not do; another tenant's objects
// are reported as not found. Service needs a Store (package storage provides one
// on PostgreSQL and on embedded SQLite) and optionally a Mailer, a RouteSync and a
// Shopify port. The lifecycle lives in one table (Next); errors are *Error values
// with a Code (ErrNotFound, ErrInvalid, ErrConflict, ErrForbidden, ErrUnavailable,
// ErrInternal) that errors.Is understands, and field-level details for forms and
// spreadsheet rows.
package connect
