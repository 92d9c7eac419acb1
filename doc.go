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
// AsMember, AsRouteSync) and refuses what that actor may not do; another tenant's objects
// are reported as not found. Service needs a Store (package storage provides one
// on PostgreSQL and on embedded SQLite) and optionally a Mailer, a RouteSync and a
// Shopify port. The lifecycle lives in one table (Next); errors are *Error values
// with a Code (ErrNotFound, ErrInvalid, ErrConflict, ErrForbidden, ErrUnavailable,
// ErrInternal) that errors.Is understands, and field-level details for forms and
// spreadsheet rows.
//
// # Where things are
//
//   - ports.go: every port the Service calls (Store, Mailer, RouteSync, Shopify,
//     ShopifyTokens, Privacy, Waker) and their parameter types; the mocks in
//     connecttest/mock are generated from it. blobs.go: the Blobs port (files
//     every process reads), kept by package storage or package disk.
//     spreadsheets.go: the Spreadsheets port the portal reads uploads through,
//     which package importer implements (importer.Spreadsheets).
//     documents.go: the Documents port the portal writes package labels,
//     proofs of delivery and statements through, which package pdf implements
//     (pdf.Documents), and the Service's reads of what they show
//     (PackageLabels, ProofDocument); statement.go (a client's month) and
//     proof_export.go (proof documents of many orders, one at a time).
//   - field.go: the order-field table (FieldSpecs): per field its column label,
//     synonyms, glossary text, whether a dispatcher may require it, and how it is
//     parsed and formatted. The importer, the template, the portal's forms and
//     messages, the exports and the JSON API all read it, so an export imports back
//     as the same orders.
//   - status.go and transition.go: the lifecycle table and its history events.
//   - subscribe.go and live.go: live updates, on internal/live (wake-ups, shared
//     reads, memos), whose contract is that a wake-up may be spurious and a commit
//     is never missed. AccessMemo is the request-scoped handle a portal passes in
//     an Actor to share access checks within one request.
//   - one file per area of the Service: manage_clients.go (the dispatcher's
//     clients), invite.go, team.go, import*.go, draft.go, order.go, routes.go (the
//     host's route events), stops.go, tracking.go, outbox.go, shopify.go,
//     password.go (sign-in, password change), session.go (sign-in sessions kept
//     in the Store: one read per request, checked again by every change and live
//     stream), password_reset.go ("forgot password" links), twofactor.go (TOTP
//     two-factor sign-in and recovery codes), shopify_sync.go
//     (orders edited or cancelled in Shopify after import),
//     privacy.go (customer data requests and their export).
//
// Tests of a host (and connect's own) build on package connecttest: a Service on
// a fresh Store with a fake clock and recording fakes, fixtures in one line, and
// gomock mocks of every port.
package connect
