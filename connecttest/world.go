package connecttest

import (
	"context"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/storage"
)

// Password is the password the World signs people up with unless WithPassword
// says otherwise.
const Password = "correct horse battery staple"

// World is a connect.Service on a fresh Store of the test's own, with a fake clock
// and recording fakes of the ports, and the one-line fixtures a test builds on:
// clients with their teams (NewClient, Join) and orders in any status (Order).
// Everything it makes goes through the Service's own operations, as a host's
// users would make it; nothing is written to the Store behind the Service's back.
// What it opens is closed by t.Cleanup. New makes one.
type World struct {
	// Service is the Service under test.
	Service *connect.Service
	// Store is the Service's Store (unless a WithConfig edit wrapped it): for
	// checks that look under the Service, such as the outbox.
	Store *storage.Store
	// DSN opens the World's database again (storage.Open): a second Store on it is
	// another process's view (see OtherProcess).
	DSN string
	// Clock is the Service's clock; nil when WithNow (or a WithConfig edit of
	// Config.Now) gave it another.
	Clock *Clock
	// Mailer records the invitations the Service sends; nil when a WithConfig edit
	// replaced or removed Config.Mailer.
	Mailer *Mailer
	// RouteSync records the stop changes the outbox delivers (see DeliverOutbox);
	// nil when a WithConfig edit replaced or removed Config.RouteSync.
	RouteSync *RouteSync

	// Account is the host's account the World's fixtures work in ("acct-1" unless
	// WithAccount says otherwise); Dispatcher is a dispatcher of it, Host its
	// route sync (the actor of route events).
	Account    connect.AccountID
	Dispatcher connect.Actor
	Host       connect.Actor

	t        testing.TB
	now      func() time.Time
	password string
	seq      atomic.Int64 // for names, refs and event ids no other fixture uses
}

// Option changes how New builds a World.
type Option func(*options)

type options struct {
	dsn      string
	clock    *Clock
	now      func() time.Time
	account  connect.AccountID
	password string
	edits    []func(*connect.Config)
}

// WithDSN puts the World on the database dsn opens (storage.Open) instead of a
// SQLite file in the test's temporary directory: a PostgreSQL schema of the test's
// own (add search_path=… to the URL), so that one suite runs on both.
// "sqlite::memory:" works for most tests, but SQLite refuses a read of an
// in-memory database while another connection writes it, which the Service's
// pipelined imports (ImportStops) do: they fail as busy.
func WithDSN(dsn string) Option { return func(o *options) { o.dsn = dsn } }

// WithClock puts the Service on c instead of a clock at Start that steps 1 ms on
// every reading.
func WithClock(c *Clock) Option { return func(o *options) { o.clock, o.now = c, nil } }

// WithNow puts the Service on now (time.Now, or a clock another fake of the test
// already runs on) instead of a Clock; World.Clock is then nil.
func WithNow(now func() time.Time) Option { return func(o *options) { o.now, o.clock = now, nil } }

// WithAccount makes id the account of the World's dispatcher and fixtures.
func WithAccount(id connect.AccountID) Option { return func(o *options) { o.account = id } }

// WithPassword signs the people the fixtures make up with password instead of
// Password; "" signs them up without one (they can only follow invite links).
func WithPassword(password string) Option { return func(o *options) { o.password = password } }

// WithConfig edits the Service's Config before New makes the Service: to add a
// port (a Shopify fake, your own RouteSync adapter), remove one (Mailer = nil for
// a portal that cannot send email) or wrap the Store. The World's fields say what
// stayed wired.
func WithConfig(edit func(*connect.Config)) Option {
	return func(o *options) { o.edits = append(o.edits, edit) }
}

// New returns a World: a Service on a fresh SQLite Store in t.TempDir (see WithDSN),
// on a Clock at Start that steps 1 ms on every reading, with a recording Mailer
// and RouteSync, fast password hashing, and invite and tracking links under
// https://portal.example/. It fails t if the Store cannot be opened; the Service
// and the Store are closed when t ends.
func New(t testing.TB, opts ...Option) *World {
	t.Helper()
	o := options{account: "acct-1", password: Password}
	for _, opt := range opts {
		opt(&o)
	}
	if o.dsn == "" {
		o.dsn = "sqlite:" + filepath.Join(t.TempDir(), "connect.db")
	}
	st, err := storage.Open(context.Background(), o.dsn)
	if err != nil {
		t.Fatalf("connecttest: opening the store: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	w := &World{Store: st, DSN: o.dsn, Mailer: &Mailer{}, RouteSync: &RouteSync{},
		Account: o.account, Dispatcher: connect.AsDispatcher(o.account, "ana@dispatch.example"), Host: connect.AsRouteSync(o.account),
		t: t, password: o.password}
	switch {
	case o.now != nil:
		w.now = o.now
	case o.clock != nil:
		w.Clock, w.now = o.clock, o.clock.Now
	default:
		w.Clock = NewClock(Start)
		w.Clock.AutoAdvance(time.Millisecond)
		w.now = w.Clock.Now
	}
	cfg := connect.Config{
		Store: st, Mailer: w.Mailer, RouteSync: w.RouteSync,
		InviteURL:        func(token string) string { return "https://portal.example/invite/" + token },
		PasswordResetURL: func(token string) string { return "https://portal.example/reset/" + token },
		TrackingURL:      func(token string) string { return "https://portal.example/track/" + token },
		Passwords:        connect.PBKDF2{Iterations: 1000}, // fast; the default is 600,000
	}
	for _, edit := range o.edits {
		edit(&cfg)
	}
	if cfg.Now != nil {
		w.Clock, w.now = nil, cfg.Now
	}
	cfg.Now = w.now
	if cfg.Mailer != connect.Mailer(w.Mailer) {
		w.Mailer = nil
	}
	if cfg.RouteSync != connect.RouteSync(w.RouteSync) {
		w.RouteSync = nil
	}
	if w.Service, err = connect.New(cfg); err != nil {
		t.Fatalf("connecttest: %v", err)
	}
	t.Cleanup(func() { _ = w.Service.Close() })
	return w
}

// DispatcherOf returns a dispatcher of the account: the World's Dispatcher for its
// own, another person for another account (for tests of what one tenant must not
// see of another's).
func (w *World) DispatcherOf(account connect.AccountID) connect.Actor {
	if account == w.Account {
		return w.Dispatcher
	}
	return connect.AsDispatcher(account, "dispatcher@"+slug(string(account))+".example")
}

// OtherProcess returns a second Service on a Store of its own over the World's
// database (its own connections, as another process of the host would have), on
// the real clock and with no ports. It fails the test on an in-memory database
// (WithDSN("sqlite::memory:")), which no second Store can open.
func (w *World) OtherProcess() *connect.Service {
	w.t.Helper()
	if w.DSN == "sqlite::memory:" || w.DSN == "sqlite:" {
		w.t.Fatal("connecttest: OtherProcess needs a database two Stores can open (WithDSN)")
	}
	st, err := storage.Open(context.Background(), w.DSN)
	if err != nil {
		w.t.Fatalf("connecttest: opening a second store: %v", err)
	}
	w.t.Cleanup(func() { _ = st.Close() })
	svc, err := connect.New(connect.Config{Store: st})
	if err != nil {
		w.t.Fatalf("connecttest: %v", err)
	}
	w.t.Cleanup(func() { _ = svc.Close() })
	return svc
}

// DeliverOutbox delivers every outbox entry due on the World's clock, batch after
// batch, as a RunOutbox worker with the options would (the zero options are
// RunOutbox's defaults), and returns how many deliveries it tried. A delivery that
// failed waits for its backoff: advance the clock and call DeliverOutbox again. It
// fails the test when the outbox cannot be read.
func (w *World) DeliverOutbox(opts connect.OutboxOptions) int {
	w.t.Helper()
	tried := 0
	for {
		n, err := w.Service.DeliverOutbox(w.t.Context(), opts)
		if err != nil {
			w.t.Fatalf("connecttest: delivering the outbox: %v", err)
		}
		if n == 0 {
			return tried
		}
		tried += n
	}
}

// slug is s in lower case letters and digits only, for email addresses.
func slug(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}
