package connect

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"log/slog"
	"runtime"
	"runtime/debug"
	"sync"
	"time"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/dispatchkit/connect/internal/live"
)

// Config is what New needs. The zero value of every optional field is a working
// default, documented beside it.
type Config struct {
	Store Store // required

	// Mailer sends invitations and password reset links. nil: invites are links
	// only, and asking to send an email invite is refused with ErrInvalid.
	Mailer Mailer
	// MailKey sends the Mailer's mails through the outbox (RunOutbox, with
	// retries): an invite is created, and a reset link stored, even when the
	// mail server is down, and the mail follows when it is back. The mail
	// carries the token, of which the Store keeps only the hash, so the outbox
	// entry keeps it sealed with this key (AES-256-GCM) until the mail is sent,
	// then deletes it: 32 random bytes the host keeps outside the database, the
	// same in every process. nil: mails are sent inside the request, and an
	// invite whose mail fails is not created.
	MailKey []byte
	// RouteSync receives the stops the host must route. nil: nothing is pushed; the
	// host lists unassigned stops itself.
	RouteSync RouteSync
	// Shopify reaches clients' Shopify stores. nil: Shopify features answer
	// ErrUnavailable.
	Shopify Shopify
	// Privacy is the host's side of Shopify's privacy requests: it erases the
	// proof-of-delivery files a redaction names, and sends the merchant the
	// export a customer data request produces. nil: redactions erase what the
	// Store holds only (the host's files stay), and data requests are logged.
	Privacy Privacy

	// InviteURL turns an invite token into the link people open. nil: invites carry
	// the token only, and the host builds the link.
	InviteURL func(token string) string
	// InviteTTL is how long an invite stays valid. 0: 7 days.
	InviteTTL time.Duration
	// PasswordResetURL turns a password reset token into the link people open
	// (portal.Links.PasswordReset). nil: the reset email carries the token only.
	PasswordResetURL func(token string) string
	// Blobs keeps the proof-of-delivery files the host hands to StoreProofFile,
	// where every process can read them (storage.Store is one, in the
	// database; package disk a directory). nil: proof files stay with the host,
	// which puts its own links in ProofOfDelivery.
	Blobs Blobs
	// ProofFileURL turns an order and the name of one of its proof files into
	// the link a ProofOfDelivery carries (portal.Links.ProofFile). Needed with
	// Blobs.
	ProofFileURL func(order OrderID, file string) string
	// TrackingURL turns a tracking link token into the page a recipient opens.
	// nil: tracking links carry the token only, and Shopify fulfillments carry no
	// tracking URL.
	TrackingURL func(token string) string
	// TrackingKey keeps each tracking link's token sealed in the Store
	// (AES-256-GCM, bound to its link) beside its hash, so that the team can
	// copy an active link again (TrackingLinks fills Token and URL): 32 random
	// bytes the host keeps outside the database, the same in every process.
	// nil: only the hash is kept, and a link is shown once, when it is made.
	TrackingKey []byte
	// Passwords hashes and checks members' passwords. nil: PBKDF2-SHA256 with
	// 600,000 iterations (OWASP 2023), from the standard library.
	Passwords PasswordHasher
	// CommonPasswords are passwords members may not choose (compared without
	// case), such as SecLists' 10-million-password-list-top-100000.txt read by
	// ReadPasswordList. nil: the built-in list, the 100,000 passwords most
	// often found in breaches (the UK NCSC's PwnedPasswordsTop100k, from Have I
	// Been Pwned). Repeated and sequential characters, and passwords made
	// of the member's email, name or company name, are refused whatever the list.
	CommonPasswords *PasswordList
	// PasswordConcurrency bounds the passwords hashed or checked at once in this
	// process; more wait their turn (sign-in floods queue instead of taking every
	// CPU). 0: GOMAXPROCS.
	PasswordConcurrency int
	// TwoFactorIssuer names the portal in members' authenticator apps (the
	// issuer of the otpauth URL of TOTP enrollment). "": "Delivery portal".
	TwoFactorIssuer string
	// TwoFactorKey seals members' TOTP secrets in the Store (AES-256-GCM): 32
	// random bytes the host keeps outside the database. nil: the secrets are
	// stored as they are (never shown again, but readable in a copy of the
	// database). Secrets stored before a key was set keep working.
	TwoFactorKey []byte
	// Webhooks posts clients' webhooks (package webhooks). nil: webhooks are
	// not offered; their methods answer ErrUnavailable and no event is queued.
	Webhooks WebhookSender
	// WebhookKey seals webhook endpoints' signing secrets in the Store
	// (AES-256-GCM, each bound to its endpoint): 32 random bytes the host
	// keeps outside the database, the same in every process. nil: the secrets
	// are stored as they are (never shown again, but readable in a copy of the
	// database). Secrets stored before a key was set keep working.
	WebhookKey []byte
	// WebhookPause says when an endpoint that keeps failing is paused. Zero:
	// the defaults written on WebhookPausePolicy.
	WebhookPause WebhookPausePolicy
	// AccountLocation gives an account's time zone: where its days, months,
	// quiet hours and schedules begin and end. nil, or a nil Location: UTC.
	AccountLocation func(ctx context.Context, account AccountID) (*time.Location, error)

	// Notices writes recipient notices in their language (package notices).
	// nil: recipient notifications are not offered; their methods answer
	// ErrUnavailable and no notice is queued.
	Notices NoticeTexts
	// SMS sends recipient notices by text message. nil: clients cannot choose
	// SMS. Email notices need a Mailer that is a RecipientMailer.
	SMS SMSSender
	// AccountBrand gives the dispatcher's name recipient notices carry beside
	// the client's ("delivered by …"). nil: the client's name alone.
	AccountBrand func(ctx context.Context, account AccountID) (string, error)

	// TracerProvider makes the spans of the Service's significant operations
	// (imports, submissions, withdrawals, cancellations, route events, each
	// outbox delivery, Shopify order webhooks). Spans carry ids and counts,
	// never personal data. nil: no spans (OpenTelemetry's no-op provider, not
	// the global one).
	TracerProvider trace.TracerProvider
	// MeterProvider records the Service's metrics (connect.outbox.deliveries,
	// connect.import.rows, connect.route_events, connect.live.subscribers and
	// the durations beside them; see README "Telemetry"). nil: nothing is
	// measured (not the global provider).
	MeterProvider metric.MeterProvider

	Logger *slog.Logger     // nil: silent
	Now    func() time.Time // nil: time.Now
	// NewID returns a new unique id for clients, members, invites and orders.
	// nil: time-ordered UUIDv7 strings.
	NewID func() string
}

// Service is the client portal: every operation of the help article, each taking
// the Actor who calls and refusing what that actor may not do.
type Service struct {
	store           Store
	mailer          Mailer
	routeSync       RouteSync
	shopify         Shopify
	privacy         Privacy
	blobs           Blobs                        // Config.Blobs: proof files
	proofURL        func(OrderID, string) string // Config.ProofFileURL
	inviteURL       func(string) string
	resetURL        func(string) string
	issuer          string                                                   // Config.TwoFactorIssuer
	secretSeal      cipher.AEAD                                              // Config.TwoFactorKey; nil: none
	mailSeal        cipher.AEAD                                              // Config.MailKey; nil: mails are sent in the request
	webhooks        WebhookSender                                            // Config.Webhooks; nil: no webhooks
	webhookPause    WebhookPausePolicy                                       // Config.WebhookPause, with its defaults
	webhookSeal     cipher.AEAD                                              // Config.WebhookKey; nil: secrets stored as they are
	trackingSeal    cipher.AEAD                                              // Config.TrackingKey; nil: tokens are not kept
	accountLocation func(context.Context, AccountID) (*time.Location, error) // Config.AccountLocation
	notices         NoticeTexts                                              // Config.Notices; nil: no recipient notices
	sms             SMSSender                                                // Config.SMS
	brand           func(context.Context, AccountID) (string, error)         // Config.AccountBrand
	inviteTTL       time.Duration
	tracking        func(string) string
	passwords       PasswordHasher
	commonPasswords *PasswordList
	hashSlots       chan struct{} // Config.PasswordConcurrency
	dummy           func() string // dummyHash's, made once
	log             *slog.Logger
	now             func() time.Time
	newID           func() string
	tel             telemetry           // Config.TracerProvider and MeterProvider
	backlogGauges   metric.Registration // the outbox's gauges (telemetry.observeOutbox); nil without a MeterProvider

	// Live updates (see live.go): wake-ups for subscribers and outbox workers,
	// and the Store's cross-process wake-ups relayed to them.
	liveClock     live.Clock // Config.Now, and timers: the subscribers' poll, the relay's backoff
	subscribers   *live.Broadcaster
	outboxWorkers *live.Broadcaster
	feedReads     *live.Shared[eventsPage] // subscriptions' Store reads (see sharedEvents)
	accessReads   *live.Shared[struct{}]   // subscriptions' checks of their callers (see sharedRecheck)
	stats         *live.Memo[*OrderStats]  // OrderStats' counts by scope
	relay         *live.Relay              // the Store's wake-ups, if it is a Waker
	followers     *followers               // Follow's subscriptions, and their reading goroutines
}

// New returns a Service. Errors: ErrInvalid when cfg.Store is nil.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil {
		return nil, Errorf(Invalid, "connect.New: Config.Store is required")
	}
	s := &Service{
		store: cfg.Store, mailer: cfg.Mailer, routeSync: cfg.RouteSync, shopify: cfg.Shopify, privacy: cfg.Privacy,
		blobs: cfg.Blobs, proofURL: cfg.ProofFileURL,
		inviteURL: cfg.InviteURL, resetURL: cfg.PasswordResetURL, inviteTTL: cfg.InviteTTL, tracking: cfg.TrackingURL, passwords: cfg.Passwords,
		log: cfg.Logger, now: cfg.Now, newID: cfg.NewID, issuer: cfg.TwoFactorIssuer,
		webhooks: cfg.Webhooks, webhookPause: cfg.WebhookPause.withDefaults(), accountLocation: cfg.AccountLocation,
		notices: cfg.Notices, sms: cfg.SMS, brand: cfg.AccountBrand,
	}
	var err error
	if s.tel, err = newTelemetry(cfg.TracerProvider, cfg.MeterProvider); err != nil {
		return nil, err
	}
	if s.backlogGauges, err = s.tel.observeOutbox(cfg.Store.OutboxBacklogAnyAccount, func() time.Time { return s.now() }); err != nil {
		return nil, err
	}
	if s.issuer == "" {
		s.issuer = "Delivery portal"
	}
	if s.secretSeal, err = newSeal("TwoFactorKey", cfg.TwoFactorKey); err != nil {
		return nil, err
	}
	if s.mailSeal, err = newSeal("MailKey", cfg.MailKey); err != nil {
		return nil, err
	}
	if s.webhookSeal, err = newSeal("WebhookKey", cfg.WebhookKey); err != nil {
		return nil, err
	}
	if s.trackingSeal, err = newSeal("TrackingKey", cfg.TrackingKey); err != nil {
		return nil, err
	}
	if s.passwords == nil {
		s.passwords = PBKDF2{}
	}
	if n := cfg.PasswordConcurrency; n > 0 {
		s.hashSlots = make(chan struct{}, n)
	} else {
		s.hashSlots = make(chan struct{}, runtime.GOMAXPROCS(0))
	}
	if s.commonPasswords = cfg.CommonPasswords; s.commonPasswords == nil {
		s.commonPasswords = builtinPasswords()
	}
	if s.inviteTTL <= 0 {
		s.inviteTTL = 7 * 24 * time.Hour
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.newID == nil {
		s.newID = func() string { return newTimeOrderedID(s.now()) }
	}
	s.dummy = sync.OnceValue(func() string { h, _ := s.passwords.Hash("connect-dummy-password"); return h })
	s.startLive(live.SystemClock(s.now))
	return s, nil
}

// newSeal returns the AES-256-GCM of a key of the Config (nil for none).
func newSeal(field string, k []byte) (cipher.AEAD, error) {
	if k == nil {
		return nil, nil
	}
	block, err := aes.NewCipher(k)
	if err != nil || len(k) != 32 {
		return nil, Errorf(Invalid, "connect.New: Config.%s must be 32 bytes", field)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, Errorf(Internal, "connect.New: %w", err)
	}
	return aead, nil
}

// WithStore returns a Service that does its work through st and shares
// everything else with s (ports, settings, live updates): for work that must
// commit or roll back with the host's own writes, st being connect's Store bound
// to the host's transaction (storage's Store.WithTx). Route events and stop
// imports through it are then atomic with the host's moves of its stops.
// Subscribers hear of its changes when the host commits (on PostgreSQL through
// the Store's notifications; on SQLite at their next poll). Use it for the
// transaction's length only.
func (s *Service) WithStore(st Store) *Service {
	c := *s
	c.store = st
	return &c
}

// Close stops what the Service started in the background (the Store wake-up
// listener) and waits until it has let go of the Store, so that the host may
// close the Store next. Subscriptions and RunOutbox end with their own contexts.
func (s *Service) Close() error {
	s.relay.Close()
	if s.backlogGauges != nil {
		return s.backlogGauges.Unregister()
	}
	return nil
}

// clock returns the current time at the precision every store keeps (microseconds),
// so a value read back equals the value written.
func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// recovered, deferred by a goroutine the Service starts, turns its panic (a bug
// in a Store, a source or connect itself) into an Internal error in *err, logged
// with its stack: the host's process goes on, and the work it was doing fails
// as a whole (an import's transaction rolls back).
func (s *Service) recovered(ctx context.Context, what string, err *error) {
	if p := recover(); p != nil {
		s.log.ErrorContext(ctx, "connect: "+what+" panicked", "panic", p, "stack", string(debug.Stack()))
		*err = Errorf(Internal, "%s failed unexpectedly; nothing was lost", what)
	}
}
