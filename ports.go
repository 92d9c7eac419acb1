package connect

// Mocks of every port a host implements, for hosts' tests and ours (package
// connecttest/mock). A new port is one more name in the list.
//go:generate go tool mockgen -typed -destination=connecttest/mock/ports.go -package=mock github.com/dispatchkit/connect Store,Mailer,RouteSync,Shopify,ShopifyTokens,Privacy,PasswordHasher,Waker,ImportSource,Blobs,WebhookSender,WebhookMailer,Documents,NoticeTexts,SMSSender,RecipientMailer

import (
	"context"
	"time"
)

// Store persists clients, their teams, invites and orders, and everything the
// portal keeps beside them. It is composed of small role interfaces, one per
// concern, so that a reader (and an adapter author) finds each contract in one
// place; storagetest.Run checks all of them, storagetest.Run<Role> one.
//
// Tenancy: every method that reads or changes a tenant's rows takes the tenant as
// a Scope, its argument right after ctx (the account always; a client when the
// caller acts for one). It never reads or changes a row outside that scope: a row
// of another account or client is reported as ErrNotFound, exactly as a missing
// one, and an object given to a Create or Update method that names another tenant
// than the scope is refused the same way. The few global methods say so in their
// names: lookups by a credential's hash (InviteByTokenHash, APIKeyByHash,
// TrackingLinkByHash, SessionByTokenHashAnyAccount, PasswordResetByTokenHashAnyAccount) or by the email a sign-in form gives (CredentialsByEmail),
// and the work of every account at once (…AnyAccount).
//
// Inside Tx, a failed call may doom the transaction (PostgreSQL): fn should return
// the error. Methods not listing ErrConflict or ErrNotFound return only
// ErrInternal (and ErrUnavailable when the database cannot be reached).
type Store interface {
	// Tx runs fn in one transaction: if fn returns an error, or panics, nothing it
	// did is kept. The Store fn receives is bound to the transaction; calling Tx on
	// it runs the inner fn in the same transaction.
	Tx(ctx context.Context, fn func(tx Store) error) error

	ClientStore
	TeamStore
	InviteStore
	OrderStore
	StatusStore
	RouteEventStore
	OutboxStore
	FeedStore
	CredentialStore
	APIKeyStore
	TrackingLinkStore
	ShopifyStore
	SessionStore
	PasswordResetStore
	TwoFactorStore
	WebhookStore
	AddressBookStore
	ScheduleStore
	NoticeStore
	ImportStore
}

// ClientStore keeps an account's clients.
type ClientStore interface {
	// CreateClient stores a new client of the scope's account at Version 1 (and
	// sets c.Version). Errors: ErrConflict when its Number is already taken (any
	// account); ErrNotFound when c is not in the scope (another account, or
	// another client than the scope's).
	CreateClient(ctx context.Context, scope Scope, c *Client) error
	// Client returns one client in the scope. Errors: ErrNotFound.
	Client(ctx context.Context, scope Scope, id ClientID) (*Client, error)
	// ClientByNumber returns the scope's client with that number. Errors: ErrNotFound.
	ClientByNumber(ctx context.Context, scope Scope, n ClientNumber) (*Client, error)
	// Clients lists the scope's clients by name (the account's, or the one client
	// the scope names).
	Clients(ctx context.Context, scope Scope) ([]*Client, error)
	// ClientsPage lists the scope's clients that q selects by name, then id, a
	// page at a time (keyset pagination), so a dispatcher with thousands of
	// clients reads one page.
	ClientsPage(ctx context.Context, scope Scope, q ClientQuery) ([]*Client, error)
	// CountClients counts the scope's clients that q's Search selects (its
	// After and Limit are not read): how many a "select all matching" takes.
	CountClients(ctx context.Context, scope Scope, q ClientQuery) (int, error)
	// UpdateClient writes c if the stored client is in the scope and still at
	// version c.Version, and sets c.Version to the next version. Errors:
	// ErrNotFound (also when c names another tenant than the scope); ErrConflict
	// when the version moved on, or the new Number is taken.
	UpdateClient(ctx context.Context, scope Scope, c *Client) error
}

// TeamStore keeps the members of clients' teams.
type TeamStore interface {
	// CreateMember stores a new member of a client in the scope at Version 1.
	// Emails compare without case. Errors: ErrConflict when the client already has
	// a member with that email; ErrNotFound when m is not in the scope, or m.Client
	// is not a client of m.Account.
	CreateMember(ctx context.Context, scope Scope, m *Member) error
	// Member returns one member of the client. Errors: ErrNotFound.
	Member(ctx context.Context, scope Scope, id MemberID) (*Member, error)
	// Members lists the client's members, owner first, then by name.
	Members(ctx context.Context, scope Scope) ([]*Member, error)
	// UpdateMember writes m if it is in the scope and still at m.Version, and
	// advances m.Version. Errors: ErrNotFound; ErrConflict when the version moved
	// on.
	UpdateMember(ctx context.Context, scope Scope, m *Member) error
	// DeleteMember removes one member of the client, with its two-factor
	// enrollment and recovery codes. Errors: ErrNotFound.
	DeleteMember(ctx context.Context, scope Scope, id MemberID) error
}

// InviteStore keeps invitations: of a new client's first owner, and of members.
type InviteStore interface {
	// CreateInvite stores a new invite in the scope at Version 1. Errors:
	// ErrConflict when its token hash exists; ErrNotFound when inv is not in the
	// scope, or inv.Client is not a client of inv.Account.
	CreateInvite(ctx context.Context, scope Scope, inv *Invite) error
	// Invite returns one invite of the account. Errors: ErrNotFound.
	Invite(ctx context.Context, scope Scope, id InviteID) (*Invite, error)
	// InviteByTokenHash finds the invite a token opens, in any account: the token is
	// the caller's only credential. Errors: ErrNotFound.
	InviteByTokenHash(ctx context.Context, hash []byte) (*Invite, error)
	// Invites lists the scope's invites, newest first.
	Invites(ctx context.Context, scope Scope) ([]*Invite, error)
	// UpdateInvite writes inv if it is in the scope and still at inv.Version, and
	// advances inv.Version. Errors: ErrNotFound; ErrConflict when the version moved
	// on (for example, two people accepting the same invite at once: one wins).
	UpdateInvite(ctx context.Context, scope Scope, inv *Invite) error
}

// OrderStore keeps orders as clients create them, edit their drafts and read
// them back, and counts them.
type OrderStore interface {
	// CreateOrders stores new orders of the scope in one statement or a few
	// bounded batches (an import of 100k rows is one call), at Version 1, with one
	// history event each when events is not nil (events[i] belongs to orders[i]).
	// Errors: ErrConflict, naming the reference, when an order's Ref is already
	// used by another order of the same client; ErrNotFound when an order is not
	// in the scope (then none is stored).
	CreateOrders(ctx context.Context, scope Scope, orders []*Order, events []OrderEvent) error
	// ExistingRefs returns which of refs the scope's orders already use, compared
	// without case at least for ASCII letters ("abc-1" is used when "ABC-1" is
	// stored: re-importing an order is a duplicate), each as given in refs.
	ExistingRefs(ctx context.Context, scope Scope, refs []string) ([]string, error)
	// ExistingFingerprints counts the scope's orders with each of fps (their
	// Order.Fingerprint), leaving out those none has.
	ExistingFingerprints(ctx context.Context, scope Scope, fps []string) (map[string]int, error)
	// Order returns one order in the scope. Errors: ErrNotFound.
	Order(ctx context.Context, scope Scope, id OrderID) (*Order, error)
	// Orders lists the scope's orders that q selects, newest first, a page at a
	// time (keyset pagination).
	Orders(ctx context.Context, scope Scope, q OrderQuery) ([]*Order, error)
	// OrdersByID returns the scope's orders among ids, in no particular order; ids
	// not found (or not in scope) are left out.
	OrdersByID(ctx context.Context, scope Scope, ids []OrderID) ([]*Order, error)
	// History returns an order's timeline, oldest first.
	History(ctx context.Context, scope Scope, id OrderID) ([]OrderEvent, error)
	// UpdateDraft writes the order's input fields if it is in the scope and still
	// a draft at o.Version, and advances o.Version. Errors: ErrNotFound;
	// ErrConflict when it changed, left the drafts, or its new Ref is taken.
	UpdateDraft(ctx context.Context, scope Scope, o *Order) error
	// DeleteDraft deletes the order if it is still a draft at that version.
	// Errors: ErrNotFound; ErrConflict when it changed or left the drafts.
	DeleteDraft(ctx context.Context, scope Scope, id OrderID, version int) error
	// CountOrders counts the account's orders per client and status (a dispatcher's
	// overview), or one client's when scope.Client is set.
	CountOrders(ctx context.Context, scope Scope) (map[ClientID]StatusCounts, error)
	// CountClientOrders counts the orders of the scope's clients among ids, per
	// client and status: a page of the dispatcher's overview.
	CountClientOrders(ctx context.Context, scope Scope, ids []ClientID) (map[ClientID]StatusCounts, error)
	// CountOnTime counts the scope's delivered orders that had an ETA and whose
	// delivery (their last route event) came at or after since, and of those the
	// ones delivered by their ETA.
	CountOnTime(ctx context.Context, scope Scope, since time.Time) (onTime, withETA int, err error)
}

// StatusStore changes orders' statuses: the one compare-and-set behind every
// step of the lifecycle (status.go).
type StatusStore interface {
	// SetStatuses is the compare-and-set of every status change, for one order or
	// a batch: for each p it writes p.Order's status, depot, route, ETA, failure
	// reason, proof, route event time and submitted time, at p.Order.Version+1
	// (and sets p.Order.Version), only if the stored order is still at p.From and
	// p.Version, and appends p.Events to its history; all or nothing, in a few
	// round trips however many changes there are. Every order must be in the
	// scope (a route sync's batch names the account; a member's change, the
	// client), and in the batch once.
	// Errors: ErrNotFound (also for an order outside the scope); ErrConflict when
	// any change lost its race to another (then none is applied); ErrInvalid
	// for a batch naming an order twice.
	SetStatuses(ctx context.Context, scope Scope, changes []SetStatusParams) error
}

// HostEvent names one of the host's route events and the order it is for
// (RouteEventStore.ClaimHostEvents).
type HostEvent struct {
	ID    string
	Order OrderID
}

// RouteEventStore remembers which of the host's route events were applied, so
// that a batch the host sends again is applied once.
type RouteEventStore interface {
	// RecordHostEvents remembers the host's route event ids for the scope's
	// account (route events belong to an account; the scope's client, if any,
	// plays no part) and returns those it had not seen before; the rest are
	// replays.
	RecordHostEvents(ctx context.Context, scope Scope, ids []string) (fresh []string, err error)
	// ClaimHostEvents starts a batch of route events: it returns the scope's
	// orders the events name, as OrdersByID does but with at least their route
	// state (what a route event reads and SetStatuses writes: ID, Account,
	// Client, Ref, Source, Shopify, Depot, Status, Version, Route, ETA,
	// FailureReason, Proof, RouteEventAt, CreatedAt, UpdatedAt, SubmittedAt;
	// a Store may leave the other fields zero), and records the ids of the
	// events whose order it found, as RecordHostEvents does (an event of an
	// order it did not find is not recorded: sent again once the order is
	// there, it applies). fresh are the recorded ids it had not seen before.
	// One round trip where the database allows it.
	ClaimHostEvents(ctx context.Context, scope Scope, events []HostEvent) (orders []*Order, fresh []string, err error)
	// ForgetHostEventsAnyAccount forgets the route event ids of every account
	// recorded before the time, and returns how many.
	ForgetHostEventsAnyAccount(ctx context.Context, before time.Time) (int, error)
}

// OutboxStore keeps the side effects to deliver (outbox.go): written in the same
// transaction as the change they follow, claimed and finished by workers.
type OutboxStore interface {
	// AddOutbox stores entries of the scope to deliver. An entry whose Key is
	// already stored is left out: adding the same side effect twice does it once.
	// Errors: ErrNotFound when an entry is not in the scope (then none is stored).
	AddOutbox(ctx context.Context, scope Scope, entries []OutboxEntry) error
	// ClaimOutboxAnyAccount leases up to p.Limit pending entries of every account
	// that are due (NextAt ≤ p.Now and no live lease), oldest first, for p.Lease:
	// until then no other claim returns them. Each claimed entry's Attempts is one
	// more than before. Several processes may claim at once; each entry goes to
	// one of them at a time.
	ClaimOutboxAnyAccount(ctx context.Context, p ClaimOutboxParams) ([]OutboxEntry, error)
	// FinishOutbox records the outcome of delivering an entry of the scope (a
	// worker names the claimed entry's account): done, dead (no more tries) or
	// pending again from NextAt, with LastError. Errors: ErrNotFound;
	// ErrConflict when p.Attempts is set and the entry is no longer pending at that
	// many attempts (claimed again, or finished).
	FinishOutbox(ctx context.Context, scope Scope, p FinishOutboxParams) error
	// OutboxEntries lists the scope's entries that q selects, newest first, a
	// page at a time.
	OutboxEntries(ctx context.Context, scope Scope, q OutboxQuery) ([]OutboxEntry, error)
	// RequeueOutbox makes a dead entry of the scope, or a pending one waiting to
	// be retried, due at p.Now with no attempts counted (a fresh set of
	// retries), keeping its LastError. Errors: ErrNotFound; ErrConflict when it
	// was delivered or discarded, or a worker holds it now (leased).
	RequeueOutbox(ctx context.Context, scope Scope, p RequeueOutboxParams) error
	// DiscardOutbox gives up a dead or pending entry of the scope
	// (OutboxDiscarded), and deletes its payload, which nothing reads again (a
	// sealed mail among them). Errors: ErrNotFound; ErrConflict when it was
	// delivered, or a worker holds it now.
	DiscardOutbox(ctx context.Context, scope Scope, id string, now time.Time) error
	// PurgeOutboxAnyAccount deletes the entries of every account delivered or
	// discarded before the time, and returns how many.
	PurgeOutboxAnyAccount(ctx context.Context, before time.Time) (int, error)
	// OutboxBacklogAnyAccount counts the entries of every account still to
	// deliver (pending), the oldest of them, and the dead ones: what the
	// outbox's depth and age metrics report.
	OutboxBacklogAnyAccount(ctx context.Context) (OutboxBacklog, error)
	// OrderOutbox lists the entries of one order of the scope, in every state,
	// oldest first: what the portal shows of the order's fulfillment in Shopify.
	// An order outside the scope has none.
	OrderOutbox(ctx context.Context, scope Scope, order OrderID) ([]OutboxEntry, error)
}

// FeedStore reads the feed of order events that live updates follow.
type FeedStore interface {
	// Events returns the scope's order events after the cursor (from the first
	// when after is ""), in an order that never changes and misses nothing, at
	// most limit, each with its Cursor, and the cursor to read on from. An event
	// appears only once its transaction has committed, and never after a
	// later-committed one was returned: reading on from the returned cursor
	// misses nothing, whatever transactions were in flight.
	// Errors: ErrInvalid for a cursor the Store did not make.
	Events(ctx context.Context, scope Scope, after string, limit int) ([]OrderEvent, string, error)
	// EventsHead returns a cursor after every event committed so far: a position
	// in the feed, which names no tenant and reads none of its rows.
	EventsHead(ctx context.Context) (string, error)
}

// CredentialStore keeps members' password hashes, for signing in.
type CredentialStore interface {
	// SetPassword stores the hash of the member's password (PasswordHasher's
	// format; "" removes it). Errors: ErrNotFound.
	SetPassword(ctx context.Context, scope Scope, id MemberID, hash string) error
	// CredentialsByEmail returns every member with that email (case-insensitive),
	// in any account, with their password hashes: the sign-in form names no tenant.
	CredentialsByEmail(ctx context.Context, email string) ([]Credential, error)
}

// APIKeyStore keeps clients' API keys (hashes only).
type APIKeyStore interface {
	// CreateAPIKey stores a new API key of a client in the scope. Errors:
	// ErrConflict when its hash exists; ErrNotFound when k is not in the scope, or
	// k.Client is not a client of k.Account.
	CreateAPIKey(ctx context.Context, scope Scope, k *APIKey) error
	// APIKeyByHash finds the key a token opens, in any account. Errors: ErrNotFound.
	APIKeyByHash(ctx context.Context, hash []byte) (*APIKey, error)
	// APIKeys lists the client's keys, newest first.
	APIKeys(ctx context.Context, scope Scope) ([]*APIKey, error)
	// UpdateAPIKey writes k's RevokedAt and LastUsedAt if k is in the scope.
	// Errors: ErrNotFound.
	UpdateAPIKey(ctx context.Context, scope Scope, k *APIKey) error
}

// TrackingLinkStore keeps the links a recipient follows an order with (hashes
// only).
type TrackingLinkStore interface {
	// CreateTrackingLink stores a new tracking link for an order in the scope.
	// Errors: ErrConflict when its hash exists; ErrNotFound when l is not in the
	// scope, or l.Order is not an order of l's client.
	CreateTrackingLink(ctx context.Context, scope Scope, l *TrackingLink) error
	// TrackingLinkByHash finds the link a token opens, in any account.
	// Errors: ErrNotFound.
	TrackingLinkByHash(ctx context.Context, hash []byte) (*TrackingLink, error)
	// TrackingLinks lists an order's links, newest first.
	TrackingLinks(ctx context.Context, scope Scope, order OrderID) ([]*TrackingLink, error)
	// UpdateTrackingLink writes l's RevokedAt if l is in the scope.
	// Errors: ErrNotFound.
	UpdateTrackingLink(ctx context.Context, scope Scope, l *TrackingLink) error
}

// ShopifyStore is what Shopify's webhooks, and the notices they leave for the
// dispatcher, need of the Store. (Access tokens and
// single-use keys are the Shopify adapter's own ports, ShopifyTokens and
// shopify.Once, which a storage adapter implements beside the Store.)
type ShopifyStore interface {
	// ClientsByShopAnyAccount lists the clients, in any account, linked to the
	// Shopify shop now or holding orders that came from it (a privacy request
	// arrives after the store unlinked).
	ClientsByShopAnyAccount(ctx context.Context, shop string) ([]*Client, error)
	// RedactOrders erases every personal field of the scope's orders that match
	// p: the recipient (name, email, phone), the address but its state and
	// country (unit, lines, city, zip, coordinates), the notes, and the proof
	// of delivery but its time (photos, signature, recipient name, notes,
	// place); and records that it did: the redaction, and each Shopify order
	// it erased or p.ShopifyIDs names (erased now or not held yet) as a
	// ShopifyRedacted of the scope's client, with p.CustomerID, p.Reason and
	// p.At (a later redaction of the same order replaces its record), all in
	// one transaction. It returns how many orders it changed and the proof
	// files (URLs) they held, for the host to erase.
	RedactOrders(ctx context.Context, scope Scope, p RedactParams) (*Redaction, error)
	// RedactedShopifyOrders lists the scope's records of Shopify orders of
	// q.Shop whose personal data was erased (RedactOrders): those among
	// q.OrderIDs, and those of q.CustomerID; oldest first, each once. None
	// when q names no order and no customer.
	RedactedShopifyOrders(ctx context.Context, scope Scope, q RedactedQuery) ([]ShopifyRedacted, error)
	// ShopifyNotices lists the newest events telling that the scope's orders
	// were cancelled or changed in Shopify (EventShopifyCancel,
	// EventShopifyChange), of orders now at one of statuses: the latest such
	// event of each order, newest first, at most limit (all when limit ≤ 0).
	ShopifyNotices(ctx context.Context, scope Scope, statuses []Status, limit int) ([]OrderEvent, error)
	// CustomerOrders lists the scope's orders that match p, as RedactOrders
	// selects them, oldest first (a customer data request).
	CustomerOrders(ctx context.Context, scope Scope, p RedactParams) ([]*Order, error)
	// OrdersFromShopify returns the scope's orders imported from the shop's
	// orders among ids (their GraphQL ids, gid://shopify/Order/…), in no
	// particular order; an order that two clients of the scope imported comes
	// back once for each. Ids that name no order of the scope are left out.
	OrdersFromShopify(ctx context.Context, scope Scope, shop string, ids []string) ([]*Order, error)
}

// RedactedQuery selects records of redacted Shopify orders.
type RedactedQuery struct {
	Shop       string   // required
	OrderIDs   []string // Shopify order ids (gid://shopify/Order/…)
	CustomerID string   // a Shopify customer's id ("" ignores it)
}

// ShopifyRedacted records that a privacy request erased the personal data a
// client held of one Shopify order. While it stands, nothing brings that data
// back: Service.ShopifyOrderUpdated keeps only the order's non-personal fields,
// and imports refuse the order (see the comment above ShopifyOrderChange).
type ShopifyRedacted struct {
	Account    AccountID
	Client     ClientID
	Shop       string
	OrderID    string    // gid://shopify/Order/…
	CustomerID string    // the Shopify customer a customers/redact named; "" for shop/redact
	Reason     string    // "Shopify customers/redact for customer 7 (webhook …)"
	Orders     int       // how many of the client's orders it erased (0: none held then)
	At         time.Time // when it was erased
}

// Redaction is what RedactOrders erased.
type Redaction struct {
	Orders int          // orders changed
	Files  []ProofFiles // proof files the orders held, per order that held any
}

// ProofFiles are the proof-of-delivery files of one order, by the URLs the
// host gave with the proof.
type ProofFiles struct {
	Order OrderID
	URLs  []string
}

// SessionStore keeps members' sign-in sessions (session.go), so that every
// process serving the portal agrees on which are open: ending one ends it
// everywhere at once. Only a token's hash is stored.
type SessionStore interface {
	// CreateSession stores a new session of a member of the scope. Errors:
	// ErrConflict when its id or token hash exists; ErrNotFound when s is not in
	// the scope, or s.Member is not a member of s's client.
	CreateSession(ctx context.Context, scope Scope, s *Session) error
	// SessionByTokenHashAnyAccount finds the session a token opens, in any
	// account (the token is the caller's only credential), with its member and
	// client as they are now, in one indexed read: the read every request of a
	// signed-in member makes. Member is nil when the member was removed. It
	// returns ended sessions too: the caller checks the times.
	// Errors: ErrNotFound.
	SessionByTokenHashAnyAccount(ctx context.Context, hash []byte) (*SessionMember, error)
	// Session is SessionByTokenHashAnyAccount by id, in the scope: one indexed
	// read, which checks a live stream's or a change's session anew.
	// Errors: ErrNotFound.
	Session(ctx context.Context, scope Scope, id SessionID) (*SessionMember, error)
	// TouchSession writes s.SeenAt (the session was used), if s is in the scope.
	// Errors: ErrNotFound.
	TouchSession(ctx context.Context, scope Scope, s *Session) error
	// Sessions lists the sessions of a member of the scope, last seen first,
	// ended ones included until they are removed.
	Sessions(ctx context.Context, scope Scope, member MemberID) ([]*Session, error)
	// EndSession removes one session of the scope. Errors: ErrNotFound.
	EndSession(ctx context.Context, scope Scope, id SessionID) error
	// EndSessions removes every session of a member of the scope but keep ("":
	// none kept), and returns how many it removed.
	EndSessions(ctx context.Context, scope Scope, member MemberID, keep SessionID) (int, error)
	// EndExpiredSessionsAnyAccount removes up to limit sessions, of every
	// account, that ended by now (idle or past their expiry), and returns how
	// many.
	EndExpiredSessionsAnyAccount(ctx context.Context, now time.Time, limit int) (int, error)
}

// TwoFactorStore keeps members' TOTP enrollments and their recovery codes
// (twofactor.go), one enrollment per member. Every method is scoped.
type TwoFactorStore interface {
	// SetTwoFactor stores a pending enrollment of a member of the scope (its
	// ConfirmedAt zero), replacing a pending one. Errors: ErrNotFound when the
	// member is not in the scope; ErrConflict when the member's is confirmed.
	SetTwoFactor(ctx context.Context, scope Scope, tf *TwoFactor) error
	// TwoFactor returns the member's enrollment, with RecoveryLeft counted.
	// Errors: ErrNotFound.
	TwoFactor(ctx context.Context, scope Scope, member MemberID) (*TwoFactor, error)
	// ConfirmTwoFactor confirms the member's pending enrollment at `at`, if it is
	// still pending and its LastStep is before step (compare-and-set), notes
	// step as used, and stores the recovery codes' hashes. Errors: ErrNotFound;
	// ErrConflict when it was confirmed, or the step used, meanwhile.
	ConfirmTwoFactor(ctx context.Context, scope Scope, member MemberID, step int64, at time.Time, recovery [][]byte) error
	// UseTwoFactorStep notes step as the member's last used one, if the
	// enrollment is confirmed and its LastStep is before step (compare-and-set):
	// a code is accepted once. Errors: ErrNotFound when the member has no
	// confirmed enrollment; ErrConflict when the step is not after LastStep.
	UseTwoFactorStep(ctx context.Context, scope Scope, member MemberID, step int64) error
	// UseRecoveryCode marks the member's recovery code of that hash used at
	// `at`, if it is unused (compare-and-set). Errors: ErrNotFound when the
	// member has no such code; ErrConflict when it was used.
	UseRecoveryCode(ctx context.Context, scope Scope, member MemberID, hash []byte, at time.Time) error
	// DeleteTwoFactor removes the member's enrollment and recovery codes.
	// Errors: ErrNotFound when there is none.
	DeleteTwoFactor(ctx context.Context, scope Scope, member MemberID) error
}

// PasswordResetStore keeps the links of "forgot password" (password_reset.go):
// the token's hash only, each usable once.
type PasswordResetStore interface {
	// CreatePasswordReset stores a new reset of a member of the scope. Errors:
	// ErrConflict when its id or token hash exists; ErrNotFound when r is not in
	// the scope, or r.Member is not a member of r's client.
	CreatePasswordReset(ctx context.Context, scope Scope, r *PasswordReset) error
	// PasswordResetByTokenHashAnyAccount finds the reset a token opens, in any
	// account (the token is the caller's only credential), used or not.
	// Errors: ErrNotFound.
	PasswordResetByTokenHashAnyAccount(ctx context.Context, hash []byte) (*PasswordReset, error)
	// UsePasswordResetAnyAccount marks the reset the token opens used at now, if
	// it is unused and expires after now: a compare-and-set, so of two uses at
	// once one wins. It returns the reset as marked. Errors: ErrNotFound when no
	// reset has the hash; ErrConflict when it was used, or has expired.
	UsePasswordResetAnyAccount(ctx context.Context, hash []byte, now time.Time) (*PasswordReset, error)
	// EndExpiredPasswordResetsAnyAccount removes up to limit resets, of every
	// account, that expired by now, and returns how many.
	EndExpiredPasswordResetsAnyAccount(ctx context.Context, now time.Time, limit int) (int, error)
}

// Credential is a member with its password hash, for signing in.
type Credential struct {
	Member       *Member
	PasswordHash string // "" when the member has no password
}

// RedactParams selects the orders whose recipient data a privacy request erases.
type RedactParams struct {
	Shop       string   // the Shopify shop the orders came from
	ShopifyIDs []string // the shop's order ids (gid://shopify/Order/…); empty: by Email/Phone, or the whole shop
	Email      string   // recipient email to match ("" ignores it)
	Phone      string   // recipient phone to match ("" ignores it)
	WholeShop  bool     // every order of the shop (shop/redact)
	CustomerID string   // the Shopify customer a customers/redact names ("" for shop/redact), recorded with the orders
	Reason     string   // recorded with the redaction ("customers/redact request 123")
	At         time.Time
}

// OrderQuery selects orders for a list (of the scope given to Store.Orders).
type OrderQuery struct {
	Statuses []Status // empty: every status
	Depot    DepotID  // "": every depot
	Source   Source   // "": every source
	// Import keeps the orders that one import stored (Order.Import); "": every
	// order.
	Import ImportID
	// Search keeps the orders whose reference, recipient (name, email, phone) or
	// address (first line, city, postcode) contains it, compared without case at
	// least for ASCII letters; "%" and "_" are plain characters. "": every order.
	Search string
	// CreatedFrom and CreatedBefore keep the orders created in [CreatedFrom,
	// CreatedBefore); a zero time leaves that end open.
	CreatedFrom, CreatedBefore time.Time
	// Sort orders the list: newest created first (""), or most recently
	// completed first (OrderSortCompleted, for completed statuses only).
	Sort OrderSort
	// After continues a list after the last order of the previous page (a
	// cursor of the same Sort).
	After *OrderCursor
	// Limit is the page size; the Store returns at most Limit orders (all when
	// Limit ≤ 0).
	Limit int
}

// OrderSort is the order of a list of orders. Ties are broken by id.
type OrderSort string

const (
	// OrderSortCreated lists the newest created first (the default).
	OrderSortCreated OrderSort = "created"
	// OrderSortCompleted lists the most recently completed first (see
	// Order.CompletedAt), for lists of completed statuses only.
	OrderSortCompleted OrderSort = "completed"
)

// ClientQuery selects a page of clients for ClientStore.ClientsPage.
type ClientQuery struct {
	// Search keeps the clients whose name, email or number contains it, compared
	// without case at least for ASCII letters; "%" and "_" are plain characters.
	Search string
	// After continues a list after the last client of the previous page.
	After *ClientCursor
	// Limit is the page size; all when ≤ 0.
	Limit int
}

// ClientCursor is a position in a list of clients by name: the name and id of
// the last client seen.
type ClientCursor struct {
	Name string
	ID   ClientID
}

// OrderCursor is a position in a list of orders, newest first: the creation time and
// id of the last order seen (its completion time in a list by completion). Ties on
// time are broken by id, so no order is skipped or repeated across pages.
type OrderCursor struct {
	CreatedAt time.Time
	ID        OrderID
	// CompletedAt is set instead of CreatedAt in a list by completion
	// (OrderSortCompleted).
	CompletedAt time.Time
}

// SetStatusParams is a compare-and-set status change (of the scope given to
// Store.SetStatuses).
type SetStatusParams struct {
	From    Status // the status the order must still have
	Version int    // the version the order must still have
	Order   *Order // the new state; its Version is set to Version+1 on success
	Events  []OrderEvent
}

// Mailer sends email.
type Mailer interface {
	// SendInvite sends an invitation. Errors: ErrUnavailable when it cannot be sent
	// now; ErrInvalid when the address is refused.
	SendInvite(ctx context.Context, m InviteMail) error
	// SendPasswordReset sends a member the link that sets a new password.
	// Errors as SendInvite.
	SendPasswordReset(ctx context.Context, m PasswordResetMail) error
}

// PasswordResetMail is a password reset link to send: one per membership of the
// email (a person on the teams of two clients gets two, each naming its client).
type PasswordResetMail struct {
	To         string
	Name       string // the member's name
	ClientName string
	Link       string // "" when no Config.PasswordResetURL is set
	Token      string
	ExpiresAt  time.Time
	// Key is the outbox entry's idempotency key when the mail goes through the
	// outbox (Config.MailKey): the same on every retry of one mail, so a Mailer
	// that can may send it once. "" when it is sent inside the request.
	Key string
}

// InviteMail is an invitation to send.
type InviteMail struct {
	To         string
	Kind       InviteKind
	ClientName string
	Role       Role // member invites
	Link       string
	Token      string
	ExpiresAt  time.Time
	InvitedBy  string
	// Key is as PasswordResetMail's.
	Key string
}

// RouteSync is the host's stop list, as connect tells it what to route.
type RouteSync interface {
	// SyncStop tells the host that an order became routable (submitted) or stopped
	// being so (withdrawn, cancelled). The call may be repeated with the same Key
	// after a crash or a timeout: the host must do it once. Changes of one order
	// may arrive out of order (a crashed worker's entries wait for its lease while
	// later ones go out): the host should follow c.Order.Status and Version, which
	// are the order as it is when the change is delivered, not replay c.Event:
	// keep the newest Version seen per order, also after its stop is removed, and
	// apply a change only when its order is newer (Status.InStopList says whether
	// it is a stop). connecttest.StopList does so; connecttest.RunRouteSync checks
	// a host's RouteSync against this contract.
	// Errors: ErrUnavailable to have it retried later; any other error is retried
	// too and reported when retries run out.
	SyncStop(ctx context.Context, c StopChange) error
}

// StopChange is one change to the host's stop list.
type StopChange struct {
	Key   string `json:"key"`   // idempotency key: the same change always has the same key
	Event Event  `json:"event"` // EventSubmit, EventWithdraw or EventCancel
	Order *Order `json:"order"` // as stored when the change is delivered, which may be later than Event
}

// ShopifyTokens keeps Shopify access tokens for the Shopify adapter, sealed
// (encrypted) by it: the core never reads them. Shopify gives an app one active
// token per shop (a new install, or a refresh, revokes the earlier ones), so the
// token is kept per shop and shared by every client linked to it, in any
// account; which shop a client uses is kept per client. The storage adapter
// implements it beside Store; the host wires it into the Shopify adapter.
//
// Every method but the …AnyAccount ones takes a client's scope and reaches only
// the token of the shop that client is linked to.
type ShopifyTokens interface {
	// SaveShopifyToken links the client to shop and stores sealed as the shop's
	// token, saved at at (zero: now), replacing the shop's token for every
	// client linked to it (Shopify revoked the earlier one when it issued this
	// one). The token's Version moves on and any refresh claim ends.
	// Errors: ErrNotFound when the client is not in scope.
	SaveShopifyToken(ctx context.Context, client Scope, shop string, sealed []byte, at time.Time) (*ShopifyToken, error)
	// ShopifyToken returns the token of the shop the client is linked to.
	// Errors: ErrNotFound when the client has none.
	ShopifyToken(ctx context.Context, client Scope) (*ShopifyToken, error)
	// ClaimShopifyRefresh claims the refresh of the token of the client's shop
	// until p.Until, so that one process at a time trades its refresh token: it
	// succeeds when the token is still at p.Version and no other claim is live
	// at p.Now. Errors: ErrConflict when the token moved on or another claim is
	// live (reload it, and wait for the claimant's token); ErrNotFound.
	ClaimShopifyRefresh(ctx context.Context, client Scope, p ShopifyRefreshClaim) error
	// ReleaseShopifyRefresh ends the claim p made, at once, if it still
	// stands (the token at p.Version, claimed until p.Until): a refresh that
	// failed lets the next process try without waiting for the claim to run
	// out. A claim that ended, or a token that moved on, is left as it is.
	ReleaseShopifyRefresh(ctx context.Context, client Scope, p ShopifyRefreshClaim) error
	// SwapShopifyToken stores sealed as the token of the client's shop, saved
	// at at (zero: now), if the token is still at version (compare-and-set: a
	// refreshed pair replaces the pair it was refreshed from, never a newer
	// one), ending any claim, and returns the stored token with its new
	// Version. Errors: ErrConflict when the token moved on (reload it and use
	// the winner's); ErrNotFound when the client is linked to no token any
	// more (the shop uninstalled the app meanwhile: the pair is not stored).
	SwapShopifyToken(ctx context.Context, client Scope, version int64, sealed []byte, at time.Time) (*ShopifyToken, error)
	// DeleteShopifyToken unlinks the client from its shop's token; the token
	// itself is forgotten once no client is linked to it (none is fine).
	//
	// A forgotten token's Version still moves on, and the next token saved
	// for the shop (a new install) takes a Version after it: a shop's versions
	// never repeat, so that a refresh begun on the forgotten token (claimed
	// at its Version) can neither claim nor swap onto the new one.
	DeleteShopifyToken(ctx context.Context, client Scope) error
	// ForgetShopifyShopAnyAccount forgets the shop's token and unlinks every
	// client, in any account, from it (the shop uninstalled the app, which
	// revoked it), its Version moving on as DeleteShopifyToken's does. It
	// returns how many clients it unlinked.
	ForgetShopifyShopAnyAccount(ctx context.Context, shop string) (int, error)
	// ShopifyTokensSavedBeforeAnyAccount lists, in any account, up to limit
	// shops whose token was last saved before t, oldest first, each with one
	// client linked to it (its scope reaches the token), so that a quiet shop's
	// refresh token is traded before it expires.
	ShopifyTokensSavedBeforeAnyAccount(ctx context.Context, t time.Time, limit int) ([]QuietShopifyShop, error)
}

// ShopifyToken is a shop's sealed access token as stored.
type ShopifyToken struct {
	Shop   string
	Sealed []byte
	// Version moves on with every save; SwapShopifyToken compares it.
	Version int64
	SavedAt time.Time // when it was issued or refreshed, on the saver's clock
	// SealedFor is the client a token stored before tokens were kept per shop
	// was sealed for; "" for a token sealed for its shop (every token saved
	// since).
	SealedFor ClientID
}

// ShopifyRefreshClaim is a claim on refreshing a shop's token.
type ShopifyRefreshClaim struct {
	Version int64     // the token's version the claimant read
	Now     time.Time // the claimant's clock: a claim ending by then is over
	Until   time.Time // the claim ends then, should the claimant never swap
}

// QuietShopifyShop is a shop whose token has not been saved for a while, and
// one client linked to it.
type QuietShopifyShop struct {
	Shop    string
	Client  Scope
	SavedAt time.Time
}

// Privacy is the host's side of privacy requests (Shopify's compliance
// webhooks): what connect does not hold itself. Both calls come through the
// outbox, with retries: a call may be repeated with the same Key, and the host
// must do it once. Errors: any error has the call retried later.
type Privacy interface {
	// EraseProofFiles deletes proof-of-delivery files (photos, signatures) the
	// host stored, by the URLs it gave with the proof: a redaction erased them
	// from the order. A file already gone is fine.
	EraseProofFiles(ctx context.Context, e ProofFilesErasure) error
	// SendCustomerData hands the host what connect holds of one customer of a
	// client's shop (Shopify's customers/data_request), for it to send to the
	// client, the merchant, who answers the customer.
	SendCustomerData(ctx context.Context, x CustomerDataExport) error
}

// ProofFilesErasure names the proof files of one redacted order.
type ProofFilesErasure struct {
	Key     string // idempotency key
	Account AccountID
	Client  ClientID
	Order   OrderID
	URLs    []string
}

// CustomerDataExport is what connect holds of one customer of a client's
// shop, as JSON (CustomerData describes it).
type CustomerDataExport struct {
	Key       string // idempotency key
	Account   AccountID
	Client    ClientID
	Shop      string
	RequestID string // Shopify's data request id
	Orders    int    // how many orders the export holds
	JSON      []byte // application/json: a CustomerData
}

// Shopify is what the core needs of a client's Shopify store. Every method takes
// the client's scope (account and client).
type Shopify interface {
	// UnfulfilledOrders lists the shop's open, unfulfilled orders, newest first, a
	// page at a time; after is the cursor of the previous page ("" for the first).
	// Errors: ErrForbidden when the store is not linked or revoked access;
	// ErrUnavailable when Shopify is down or throttling.
	UnfulfilledOrders(ctx context.Context, client Scope, after string, limit int) (*ShopifyOrderPage, error)
	// LookupOrders fetches orders by id or name ("#1001"), in the order asked; refs
	// not found come back with a Problem. Errors as UnfulfilledOrders.
	LookupOrders(ctx context.Context, client Scope, refs []string) ([]ShopifyOrder, error)
	// Fulfill marks the order fulfilled in Shopify, notifying the customer if asked.
	// An order already fulfilled is success. Errors as UnfulfilledOrders, and
	// ErrNotFound when the order is gone.
	Fulfill(ctx context.Context, client Scope, p FulfillParams) error
	// FulfillmentEvent posts the order's delivery progress to its fulfillment, so
	// the shopper sees it on Shopify's order status page (fulfill-on-start mode).
	// Errors as Fulfill.
	FulfillmentEvent(ctx context.Context, client Scope, p FulfillmentEventParams) error
}

// ShopifyUnlinker is an optional capability of a Shopify port: letting go of
// what it keeps for a client whose store was unlinked (its link to the shop's
// token, which other clients linked to the shop go on using).
// Service.UnlinkShopify calls it once the client is unlinked.
type ShopifyUnlinker interface {
	// UnlinkShopify forgets the client's link to its shop (none is fine).
	UnlinkShopify(ctx context.Context, client Scope) error
}

// ShopifyOrderPage is one page of a shop's orders.
type ShopifyOrderPage struct {
	Orders []ShopifyOrder
	Next   string // cursor of the next page; "" on the last
}

// ShopifyOrder is a Shopify order as an order input, or the reason it cannot be one.
type ShopifyOrder struct {
	Ref       ShopifyRef
	Name      string // "#1001"
	CreatedAt time.Time
	Input     OrderInput
	// Problem says why the order cannot be imported ("has no shipping address",
	// "customer data withheld by Shopify"); "" when it can.
	Problem string
	// Notes says what of an importable order is left out and why, without
	// refusing it (lines that are not delivered, such as tips and gift cards;
	// customer fields Shopify withheld); imports show them as warnings.
	Notes []string
	// Imported is set by Service.ShopifyOrders when the client already has it.
	Imported bool
	// Cancelled is set when the order was cancelled in Shopify (its Problem
	// says so too).
	Cancelled bool
}

// FulfillmentStatus is the delivery progress shown to a Shopify shopper.
type FulfillmentStatus string

// The fulfillment statuses connect posts.
const (
	FulfillmentOutForDelivery    FulfillmentStatus = "out_for_delivery"
	FulfillmentDelivered         FulfillmentStatus = "delivered"
	FulfillmentAttemptedDelivery FulfillmentStatus = "attempted_delivery"
)

// FulfillmentEventParams says what progress to post.
type FulfillmentEventParams struct {
	Key    string // idempotency key
	Order  ShopifyRef
	Status FulfillmentStatus
	ETA    time.Time // zero when unknown
}

// FulfillParams says which order to fulfill and how.
type FulfillParams struct {
	Key            string // idempotency key
	Order          ShopifyRef
	NotifyCustomer bool
	TrackingURL    string // optional
}

// WebhookStore keeps clients' webhook endpoints (webhook.go) and the log of
// their deliveries.
type WebhookStore interface {
	// CreateWebhook stores a new endpoint of a client in the scope at Version 1
	// (and sets w.Version). Errors: ErrNotFound when w is not in the scope, or
	// w.Client is not a client of w.Account; ErrConflict when its id exists.
	CreateWebhook(ctx context.Context, scope Scope, w *WebhookEndpoint) error
	// Webhook returns one endpoint of the scope, secrets included. Errors:
	// ErrNotFound.
	Webhook(ctx context.Context, scope Scope, id WebhookID) (*WebhookEndpoint, error)
	// Webhooks lists the scope's endpoints that q selects, oldest first,
	// secrets included.
	Webhooks(ctx context.Context, scope Scope, q WebhookQuery) ([]*WebhookEndpoint, error)
	// UpdateWebhook writes w (all but its id, tenant and CreatedAt) if the
	// stored endpoint is in the scope and still at w.Version, and sets
	// w.Version to the next. Errors: ErrNotFound; ErrConflict when the version
	// moved on.
	UpdateWebhook(ctx context.Context, scope Scope, w *WebhookEndpoint) error
	// DeleteWebhook deletes an endpoint of the scope and its delivery log.
	// Errors: ErrNotFound.
	DeleteWebhook(ctx context.Context, scope Scope, id WebhookID) error
	// PauseWebhook pauses an endpoint of the scope that is not paused, with
	// the reason, at the time, moving its version on; it reports whether it
	// did (false: already paused). Errors: ErrNotFound.
	PauseWebhook(ctx context.Context, scope Scope, id WebhookID, reason string, at time.Time) (bool, error)
	// RecordWebhookDelivery adds an attempt to its endpoint's log, keeps the
	// newest p.Keep of the endpoint's attempts, and with p.Count adds the
	// outcome to the endpoint's Failures and FailingSince, atomically
	// (concurrent attempts each count), without moving its version. It returns
	// the endpoint as it is then. Errors: ErrNotFound when the endpoint is not
	// in the scope (nothing is recorded).
	RecordWebhookDelivery(ctx context.Context, scope Scope, p RecordWebhookDeliveryParams) (*WebhookEndpoint, error)
	// WebhookDeliveries lists the newest attempts of an endpoint of the scope,
	// newest first, at most limit (all when ≤ 0). An endpoint outside the scope
	// has none.
	WebhookDeliveries(ctx context.Context, scope Scope, id WebhookID, limit int) ([]WebhookDelivery, error)
}

// WebhookSender posts webhook requests to clients' endpoints (package webhooks
// implements it over HTTPS, refusing private addresses).
type WebhookSender interface {
	// CheckWebhookURL reports whether the sender would post to the URL, as far
	// as the URL alone tells (scheme, a host, no address it refuses): Errors:
	// ErrInvalid, with a message for people.
	CheckWebhookURL(url string) error
	// SendWebhook posts r.Body with r.Header to r.URL once, and returns the
	// response's status code, whatever it is. Errors: any, when no response
	// came (refused address, timeout, connection failure); the outbox retries.
	SendWebhook(ctx context.Context, r WebhookRequest) (WebhookResponse, error)
}

// WebhookMailer is an optional capability of a Mailer: telling a client's
// owner that one of its webhook endpoints was paused for failing. Without it
// the pause shows on the client's settings page only.
type WebhookMailer interface {
	// SendWebhookPaused sends the mail. Errors as Mailer.SendInvite.
	SendWebhookPaused(ctx context.Context, m WebhookPausedMail) error
}

// WebhookPausedMail tells a client's owner that an endpoint was paused.
type WebhookPausedMail struct {
	To         string    `json:"to"`
	Name       string    `json:"name"` // the owner's
	ClientName string    `json:"client_name"`
	URL        string    `json:"url"`    // the endpoint's
	Reason     string    `json:"reason"` // why it was paused
	PausedAt   time.Time `json:"paused_at"`
	// Key identifies the mail, the same on every try (the outbox entry's key).
	Key string `json:"-"`
}

// AddressBookStore keeps clients' address books (addressbook.go).
type AddressBookStore interface {
	// SaveAddresses stores entries of the scope, each at Version 1 unless the
	// client already has an entry with its Key: then that entry takes the
	// given recipient and address (the newest spelling), LastUsedAt and
	// UpdatedAt, and moves its version on; the entry's ID stays the stored
	// one, which SaveAddresses sets on e. Errors: ErrNotFound when an entry is not in the scope (then none is
	// stored).
	SaveAddresses(ctx context.Context, scope Scope, entries []*AddressEntry) error
	// AddressEntry returns one entry of the scope. Errors: ErrNotFound.
	AddressEntry(ctx context.Context, scope Scope, id AddressID) (*AddressEntry, error)
	// AddressEntries lists the scope's entries that q selects, the most
	// recently used first (then by id, descending), at most q.Limit.
	AddressEntries(ctx context.Context, scope Scope, q AddressQuery) ([]*AddressEntry, error)
	// UpdateAddressEntry writes e's recipient, address, key and UpdatedAt if
	// the stored entry is in the scope and still at e.Version, and sets
	// e.Version to the next. Errors: ErrNotFound; ErrConflict when the version
	// moved on, or another entry of the client has the new Key.
	UpdateAddressEntry(ctx context.Context, scope Scope, e *AddressEntry) error
	// DeleteAddressEntry deletes an entry of the scope. Errors: ErrNotFound.
	DeleteAddressEntry(ctx context.Context, scope Scope, id AddressID) error
}

// ImportStore keeps the record of each import that stored orders (see
// ImportRecord).
type ImportStore interface {
	// CreateImport stores the record of an import of the scope. A record with
	// no Client (a dispatcher's stops file) belongs to the account alone.
	// Errors: ErrNotFound when r is not in the scope (another account, or
	// another client than the scope's); ErrConflict when its id exists.
	CreateImport(ctx context.Context, scope Scope, r *ImportRecord) error
	// Imports lists the scope's imports newest first (by CreatedAt, then id):
	// the client's when the scope names one, else every one of the account,
	// with and without a client. At most q.Limit (all when ≤ 0).
	Imports(ctx context.Context, scope Scope, q ImportQuery) ([]*ImportRecord, error)
}

// ScheduleStore keeps clients' recurring order schedules (schedule.go) and the
// record of their runs, one per occurrence.
type ScheduleStore interface {
	// CreateSchedule stores a new schedule of the scope at Version 1 (and sets
	// sc.Version). Errors: ErrNotFound when sc is not in the scope, or its
	// client is not a client of its account; ErrConflict when its id exists.
	CreateSchedule(ctx context.Context, scope Scope, sc *Schedule) error
	// Schedule returns one schedule of the scope. Errors: ErrNotFound.
	Schedule(ctx context.Context, scope Scope, id ScheduleID) (*Schedule, error)
	// Schedules lists the scope's schedules, oldest first.
	Schedules(ctx context.Context, scope Scope) ([]*Schedule, error)
	// UpdateSchedule writes sc (all but its id, tenant, CreatedBy and
	// CreatedAt) if the stored schedule is in the scope and still at
	// sc.Version, and sets sc.Version to the next. Errors: ErrNotFound;
	// ErrConflict when the version moved on.
	UpdateSchedule(ctx context.Context, scope Scope, sc *Schedule) error
	// DeleteSchedule deletes a schedule of the scope and its runs.
	// Errors: ErrNotFound.
	DeleteSchedule(ctx context.Context, scope Scope, id ScheduleID) error
	// DueSchedulesAnyAccount lists the schedules of every account that are not
	// paused and whose NextAt is set and at or before now, the most overdue
	// first, at most limit.
	DueSchedulesAnyAccount(ctx context.Context, now time.Time, limit int) ([]*Schedule, error)
	// AdvanceSchedule moves a schedule of the scope from NextAt from to NextAt
	// to (zero: none left), without moving its version (a person's change
	// meanwhile stays valid), and reports whether it did: false when NextAt
	// is no longer from (another process advanced it). Errors: ErrNotFound.
	AdvanceSchedule(ctx context.Context, scope Scope, id ScheduleID, from, to time.Time) (bool, error)
	// AddScheduleRun records an occurrence's run if no run of the same
	// schedule and Occurrence is recorded, and reports whether it did: the
	// claim that makes each occurrence once. A second caller with the same
	// occurrence waits for the first one's transaction, then gets false.
	// Errors: ErrNotFound when the run or its schedule is not in the scope.
	AddScheduleRun(ctx context.Context, scope Scope, run ScheduleRun) (bool, error)
	// ScheduleRuns lists the newest runs of a schedule of the scope, newest
	// occurrence first, at most limit (all when ≤ 0). A schedule outside the
	// scope has none.
	ScheduleRuns(ctx context.Context, scope Scope, id ScheduleID, limit int) ([]ScheduleRun, error)
}

// NoticeStore keeps clients' recipient notification settings (notify.go) and
// the log of each order's notices.
type NoticeStore interface {
	// NotifySettings returns the stored settings of those of clients that are
	// in the scope and have any, in no particular order (a client that never
	// set them is left out).
	NotifySettings(ctx context.Context, scope Scope, clients []ClientID) ([]*NotifySettings, error)
	// SetNotifySettings stores n as its client's settings, replacing any.
	// Errors: ErrNotFound when n is not in the scope, or n.Client is not a
	// client of n.Account.
	SetNotifySettings(ctx context.Context, scope Scope, n *NotifySettings) error
	// AddNotices adds notices to their orders' logs; a notice whose Key is
	// already logged is left as it is (a change applied once logs once).
	// Errors: ErrNotFound when a notice is not in the scope (then none is
	// added).
	AddNotices(ctx context.Context, scope Scope, notices []Notice) error
	// UpdateNotice sets the state and reason of a logged notice of the scope
	// (and its SentAt, when p.State is NoticeSent). Errors: ErrNotFound.
	UpdateNotice(ctx context.Context, scope Scope, p UpdateNoticeParams) error
	// Notices lists the logged notices of an order of the scope, oldest first
	// (then by key). An order outside the scope has none.
	Notices(ctx context.Context, scope Scope, order OrderID) ([]Notice, error)
}

// NoticeTexts writes recipient notices in their language. Package notices
// implements it (notices.New); a host wires it into Config.Notices.
type NoticeTexts interface {
	// WriteNotice returns the notice's text for its channel: a subject and a
	// plain-text body for email, a body alone (Subject "") for SMS. Errors:
	// ErrInvalid for a language, event or channel it cannot write.
	WriteNotice(n *RecipientNotice) (NoticeText, error)
}

// SMSSender sends text messages to recipients; the host implements it over
// its SMS provider. Sends come through the outbox, with retries: a message may
// be handed over again with the same Key (a worker that crashed after sending),
// and the host must send it once.
type SMSSender interface {
	// SendSMS sends m.Body to m.To. Errors: any has the message retried later.
	SendSMS(ctx context.Context, m SMS) error
}

// RecipientMailer is an optional capability of a Mailer: emailing a client's
// recipients their notices. Without it recipients are told by SMS only.
type RecipientMailer interface {
	// SendRecipientNotice sends the mail, once per m.Key. Errors as
	// Mailer.SendInvite.
	SendRecipientNotice(ctx context.Context, m RecipientMail) error
}
