// Package portal is the web portal of connect as an http.Handler a host mounts: the
// client portal (sign up from an invite, sign in, orders from draft to proof of
// delivery, spreadsheet imports, team and integrations), the dispatcher console
// (clients, unassigned stops, stop imports), a JSON API for clients' own systems
// under /api/v1/ (documented in openapi.yaml), Server-Sent Events for live updates,
// and the public tracking page.
//
// The portal talks to the connect.Service alone, always as the actor of the request:
// a member signed in with a session cookie, a client's API key, or a dispatcher the
// host authenticated (Config.Dispatchers). What it needs from other adapters reaches
// it through Config: reading spreadsheets (connect.Spreadsheets, which the host wires from
// package importer), writing documents (connect.Documents, from package pdf), the
// Shopify install and webhook handlers, the account's depots and brand.
//
//	h, err := portal.New(portal.Config{
//		Service: svc, BaseURL: "https://portal.example.com", SessionKey: key,
//		Dispatchers: hostAuth, Spreadsheets: sheets,
//	})
//	mux.Handle("/", h)
//
// Security: sessions are kept in the Store (connect.Session), so every process
// agrees on them; the cookie (HttpOnly, SameSite=Lax, Secure when BaseURL is
// https) carries a random token whose hash the Store keeps, read with the member
// and client in one query per request, so sign-out, a password change (other
// sessions), a removed member or a disabled client is out at once, live streams
// included; they end after Config.SessionIdle unused (2 hours) and
// Config.SessionTTL in all (12 hours); members list and end their sessions on
// the account page; state-changing requests pass http.CrossOriginProtection;
// sign-in and invite acceptance are rate limited per network (IPv4 address, IPv6
// /64), with a delay per email and network, in ways no one can turn into a
// lockout of someone else (RateLimits); every
// response carries a strict Content-Security-Policy (no inline scripts) and the
// usual hardening headers; request bodies are bounded; links are built from
// BaseURL, never from the Host header.
package portal

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"golang.org/x/sync/semaphore"

	"github.com/dispatchkit/connect"
)

// Config is what New needs. Zero values of optional fields are documented defaults.
type Config struct {
	// Service is the portal's only way to the data. Required.
	Service *connect.Service
	// BaseURL is the absolute URL the portal is reached at, with the path it is
	// mounted at if any ("https://dispatch.example.com/connect"). Every absolute
	// link (invites, tracking links, the API's documented server) is built from
	// it, never from the request's Host header. Required.
	BaseURL string
	// Prefix is the path the host mounts the handler at; "" takes BaseURL's path
	// ("/connect" above, or the root). Set it only when a proxy in front strips
	// part of BaseURL's path. The handler expects the full path: do not strip
	// the prefix.
	Prefix string
	// SessionKey signs and seals the portal's other cookies (HMAC-SHA256,
	// AES-256-GCM): flash messages, the team choice at sign-in, trusted devices.
	// At least 32 random bytes, the same in every process serving the portal.
	// Required. (Sessions are kept in the Store; their cookie is a random token.)
	SessionKey []byte
	// SessionTTL is how long a sign-in lasts at most, however active. 0: 12 hours
	// (connect.DefaultSessionTTL).
	SessionTTL time.Duration
	// SessionIdle ends a sign-in unused for that long (the Store notes its use,
	// at most every connect.SessionTouchEvery). 0: 2 hours
	// (connect.DefaultSessionIdle).
	SessionIdle time.Duration

	// Dispatchers authenticates the host's dispatchers for the console under
	// /dispatch/. nil: the console is not served.
	Dispatchers Dispatchers
	// DispatcherLoginURL is where an unauthenticated dispatcher is sent (with
	// ?next=); "": the console answers 401.
	DispatcherLoginURL string
	// DispatcherSignOutURL is where the console's Sign out button posts: the
	// host's sign-out, which ends the dispatcher's session (the host signs
	// dispatchers in, see Dispatchers). "": no Sign out in the console.
	DispatcherSignOutURL string
	// DispatcherLinks are extra links in the console's navigation: the host's own
	// pages (routes, drivers).
	DispatcherLinks []Link
	// ClientMembers is the host's own sign-in of clients' members (its SSO, its
	// own session): a request it identifies is that member's, checked through
	// the Service on every request (connect.Service.IdentifyMember), and needs no
	// portal session; one it does not goes on to a session cookie, then to sign
	// in. nil: members sign in with the portal's own password sign-in only.
	// The portal's two-factor sign-in is then the host's to do.
	ClientMembers ClientMembers
	// ClientLoginURL is where a person nothing identifies is sent (with ?next=
	// for a GET): the host's own sign-in. "": the portal's sign-in page.
	ClientLoginURL string
	// ClientLogoutURL is where the portal's Sign out sends a person the host
	// signed in (ClientMembers): the host's sign-out, which ends its session.
	// "": the portal's sign-in page, and the host's session goes on.
	ClientLogoutURL string
	// NoPasswordSignIn turns the portal's own sign-in off, for a host whose
	// members sign in through ClientMembers only: the sign-in, second step and
	// password reset pages send a GET to ClientLoginURL and refuse the rest
	// (403), and accepting an invite asks for no password and starts no
	// session (the new member signs in through the host).
	NoPasswordSignIn bool
	// Depots lists an account's depots, for default depots and moving stops. nil:
	// depots are typed as ids.
	Depots func(ctx context.Context, account connect.AccountID) ([]Depot, error)

	// Spreadsheets reads uploaded spreadsheets and writes the template and refused
	// rows files. nil: spreadsheet import answers 503.
	Spreadsheets connect.Spreadsheets
	// Documents writes package labels and proofs of delivery as PDF files
	// (package pdf: pdf.Documents{}). nil: they answer 503 and their links are
	// not shown.
	Documents connect.Documents
	// Brand is the account's dispatcher as its clients see it: its name and
	// logo in the client portal's, the console's and the tracking page's
	// header and on its documents, its colour behind them, and the time zone
	// the tracking page and documents write times in. nil: Name, in UTC, in the
	// portal's colours.
	Brand func(ctx context.Context, account connect.AccountID) (Brand, error)
	// ShopifyInstall, when set, is mounted at Prefix+"/shopify/" for signed-in
	// members (ActorFromContext gives the member's actor; anyone else is sent to
	// sign in). Settings → Integrations' "Connect store" is a GET form to
	// Prefix+"/shopify/install" with the store's domain as "shop"; the handler
	// serves its OAuth callback under the same mount. It must leave the role check
	// to the Service (LinkShopify refuses members). GET Prefix+"/shopify/app" alone
	// reaches it without a session: the App URL Shopify opens for installs it
	// starts, whose signature the handler checks (shopify.InstallHandler.App)
	// before sending the merchant on to a page under the mount, where the portal
	// asks them to sign in first.
	ShopifyInstall http.Handler
	// ShopifyWebhooks, when set, is mounted at Prefix+"/shopify/webhooks",
	// without a session: it checks Shopify's HMAC itself.
	ShopifyWebhooks http.Handler

	// UploadDir keeps uploaded spreadsheets between the import's steps (at most an
	// hour), with the rows their previews and imports refused. "": a directory
	// under os.TempDir. Directories left there by processes gone for an hour are
	// deleted at start.
	UploadDir string
	// Blobs keeps what an import's steps share: the uploaded spreadsheet, its
	// settings, the rows its preview and import refused, the import's progress
	// and result; so that any process serving the portal can take the next
	// step. Each process reads a spreadsheet from a working copy under
	// UploadDir. nil: a directory under UploadDir, seen only by the processes
	// sharing it. Several processes share one (storage.Store is one, in the
	// database) together with Once.
	Blobs connect.Blobs
	// Once claims an import's start across processes, so that a double click
	// that reaches two of them imports once. nil: claims within this process.
	// Set it with Blobs (storage.Store is one).
	Once Once
	// UploadQuota bounds the disk one client's pending uploads take, with the
	// rows their previews and imports refused (compressed); an upload past it is
	// answered 413. 0: 200 MB.
	UploadQuota int64
	// ImportMemory is the memory this process lets spreadsheets being read take
	// at once, as estimated from their sizes (16 MB and 8 times the file's size
	// each): more wait their turn, up to 30 seconds (then 503); a file whose
	// estimate alone is over it is refused (413). 0: 1 GB.
	ImportMemory int64
	// RateLimits bound sign-in and invite acceptance attempts. Zero: see RateLimits.
	RateLimits RateLimits
	// Limits keeps the counts RateLimits are checked against. nil: this
	// process's memory, each process counting its own. Several processes share
	// one (storage.Store is one) so that a guesser spread over them by a load
	// balancer meets the same limits.
	Limits Limits
	// ClientIP returns the address rate limits count by. nil: the request's
	// RemoteAddr (set this when the portal is behind a proxy you trust).
	ClientIP func(r *http.Request) string
	// Name is the product name in page titles. "": "Connect".
	Name string

	// TracerProvider makes a server span per request, named for the route it
	// matched ("GET /connect/orders/{id}"), the child of the span in the
	// request's context; the Service's spans (connect.Config.TracerProvider)
	// nest under it. nil: no spans (not the global provider).
	TracerProvider trace.TracerProvider
	// MeterProvider records http.server.request.duration by method, route and
	// status. nil: nothing is measured (not the global provider).
	MeterProvider metric.MeterProvider
	// Propagator, when set, reads the caller's trace context from the request's
	// headers (propagation.TraceContext{} for W3C traceparent), for a host
	// whose own middleware does not. nil: none.
	Propagator propagation.TextMapPropagator

	Logger *slog.Logger     // nil: silent
	Now    func() time.Time // nil: time.Now
}

// Dispatchers is the host's own authentication of its dispatchers.
type Dispatchers interface {
	// Authenticate returns the dispatcher actor of the request (usually
	// connect.AsDispatcher), and false when the request is not a dispatcher's.
	Authenticate(r *http.Request) (connect.Actor, bool)
}

// DispatchersFunc adapts a function to Dispatchers.
type DispatchersFunc func(r *http.Request) (connect.Actor, bool)

// Authenticate calls f.
func (f DispatchersFunc) Authenticate(r *http.Request) (connect.Actor, bool) { return f(r) }

// Link is a link in a navigation bar.
type Link struct {
	Label string
	URL   string
}

// Depot is one of an account's depots, as the host names it.
type Depot struct {
	ID   connect.DepotID
	Name string
}

// Links builds the portal's absolute links, for connect.Config.InviteURL,
// PasswordResetURL and TrackingURL: the host makes the Service before the
// portal. Give it the same BaseURL (and Prefix, if any) as the portal's Config.
type Links struct {
	BaseURL string
	Prefix  string // added to BaseURL unless BaseURL's path is it already
}

// Invite returns the sign-up link of an invite token.
func (l Links) Invite(token string) string { return l.abs("/invite/" + url.PathEscape(token)) }

// PasswordReset returns the page that sets a new password with a reset token
// (connect.Config.PasswordResetURL).
func (l Links) PasswordReset(token string) string { return l.abs("/reset/" + url.PathEscape(token)) }

// Tracking returns the tracking page of a tracking link token.
func (l Links) Tracking(token string) string { return l.abs("/track/" + url.PathEscape(token)) }

func (l Links) abs(p string) string {
	base, prefix := strings.TrimRight(l.BaseURL, "/"), cleanPrefix(l.Prefix)
	if u, err := url.Parse(base); err == nil && cleanPrefix(u.Path) == prefix {
		prefix = "" // BaseURL names the mount already
	}
	return base + prefix + p
}

// cleanPrefix returns "" or "/x" (no trailing slash).
func cleanPrefix(p string) string {
	p = strings.TrimRight(strings.TrimSpace(p), "/")
	if p != "" && !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	return p
}

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Body limits.
const (
	maxFormBytes   = 1 << 20  // forms and JSON
	maxUploadBytes = 50 << 20 // spreadsheets
)

// server is the portal handler.
type server struct {
	cfg    Config
	svc    *connect.Service
	prefix string
	links  Links
	secure bool
	origin string // scheme://host of BaseURL
	log    *slog.Logger
	now    func() time.Time
	name   string
	mux    *http.ServeMux
	routes []string                      // every pattern registered, for the OpenAPI test
	pages  map[string]*template.Template // parsed, never executed: see pagesFor
	// localized are the pages' clones by language and time zone (pagesFor).
	localized  sync.Map
	localizedN atomic.Int64
	cop        *http.CrossOriginProtection
	keys       sessionKeys
	limits     *rateLimits
	uploads    *uploads
	// importMem is the import memory budget (Config.ImportMemory) as a weighted
	// semaphore of bytes.
	importMem    *semaphore.Weighted
	importBudget int64
	static       http.Handler
	csp          string
	// streamsDone ends when Close is called: every event stream's context
	// derives from it too (streamContext).
	streamsDone  context.Context
	closeStreams context.CancelFunc
	hub          *streamHub // the HTTP/1 order streams taken over from net/http
	tel          telemetry  // Config.TracerProvider, MeterProvider, Propagator
}

// Portal is the portal's HTTP handler, which New makes. Mount it on the host's
// router, and call Close when the host's server shuts down.
type Portal struct{ s *server }

// New returns the portal handler. Errors: ErrInvalid for a Config that is missing
// what it requires.
func New(cfg Config) (*Portal, error) {
	s, err := newServer(cfg)
	if err != nil {
		return nil, err
	}
	return &Portal{s: s}, nil
}

// ServeHTTP serves the portal (http.Handler).
func (p *Portal) ServeHTTP(w http.ResponseWriter, r *http.Request) { p.s.ServeHTTP(w, r) }

// Close ends the portal's open event streams (live order updates, import
// progress) at once, and any opened after: http.Server.Shutdown waits for
// every request to end, and a stream never would. Browsers reconnect on their
// own, to another instance behind a load balancer, and miss nothing (they resume
// from their last event). Register it with the server:
//
//	srv.RegisterOnShutdown(p.Close)
//
// Other requests are served as before; imports already running go on in the
// background until they finish (an import cut short by the process's exit
// stores nothing, and its upload can be imported again). Close may be called
// more than once.
func (p *Portal) Close() { p.s.closeStreams() }

func newServer(cfg Config) (*server, error) {
	if cfg.Service == nil {
		return nil, connect.Errorf(connect.Invalid, "portal.New: Config.Service is required")
	}
	if len(cfg.SessionKey) < 32 {
		return nil, connect.Errorf(connect.Invalid, "portal.New: Config.SessionKey must have at least 32 bytes")
	}
	base, err := url.Parse(strings.TrimRight(cfg.BaseURL, "/"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, connect.Errorf(connect.Invalid, "portal.New: Config.BaseURL must be an absolute http(s) URL (got %q)", cfg.BaseURL)
	}
	prefix := cleanPrefix(cfg.Prefix)
	if prefix == "" {
		prefix = cleanPrefix(base.Path)
	}
	s := &server{
		cfg: cfg, svc: cfg.Service, prefix: prefix,
		secure: base.Scheme == "https", origin: base.Scheme + "://" + base.Host,
		log: cfg.Logger, now: cfg.Now, name: cfg.Name,
	}
	s.links = Links{BaseURL: base.String(), Prefix: s.prefix}
	if s.tel, err = newTelemetry(cfg); err != nil {
		return nil, err
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.name == "" {
		s.name = "Connect"
	}
	if s.cfg.SessionTTL <= 0 {
		s.cfg.SessionTTL = connect.DefaultSessionTTL
	}
	if s.cfg.SessionIdle <= 0 {
		s.cfg.SessionIdle = connect.DefaultSessionIdle
	}
	s.csp = s.contentSecurityPolicy()
	s.keys = newSessionKeys(cfg.SessionKey)
	s.limits = newRateLimits(cfg.RateLimits, cfg.Limits, s.now)
	s.streamsDone, s.closeStreams = context.WithCancel(context.Background())
	s.hub = newStreamHub(s.streamsDone)
	dir := cfg.UploadDir
	if dir == "" {
		dir = os.TempDir()
	}
	quota := cfg.UploadQuota
	if quota <= 0 {
		quota = defaultUploadQuota
	}
	if s.importBudget = cfg.ImportMemory; s.importBudget <= 0 {
		s.importBudget = defaultImportMemory
	}
	s.importMem = semaphore.NewWeighted(s.importBudget)
	if s.uploads, err = newUploads(dir, quota, cfg.Blobs, cfg.Once, s.log, s.now); err != nil {
		return nil, connect.Errorf(connect.Internal, "portal.New: upload directory: %w", err)
	}
	if s.pages, err = parsePages(s); err != nil {
		return nil, connect.Errorf(connect.Internal, "portal.New: templates: %w", err)
	}
	sub, _ := fs.Sub(staticFS, "static")
	s.static = http.StripPrefix(s.prefix+"/static/", http.FileServerFS(sub))

	s.cop = http.NewCrossOriginProtection()
	if err := s.cop.AddTrustedOrigin(s.origin); err != nil {
		return nil, connect.Errorf(connect.Invalid, "portal.New: %w", err)
	}
	s.cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, connect.Errorf(connect.Forbidden, "cross-origin request refused"))
	}))
	if cfg.ShopifyWebhooks != nil {
		// Shopify's servers post webhooks; they carry no session and check their own HMAC.
		s.cop.AddInsecureBypassPattern("POST " + s.prefix + "/shopify/webhooks")
	}
	s.mux = http.NewServeMux()
	s.register()
	return s, nil
}

// ServeHTTP applies the security middleware, then the routes.
func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.headers(w)
	if !safeMethod(r.Method) && !s.keyOnly(r) {
		// A request with an API key carries no ambient credential: a browser cannot
		// send one cross-origin without a CORS preflight, which the portal never
		// allows. Every other state change must come from the portal's own pages.
		if err := s.cop.Check(r); err != nil {
			s.fail(w, r, connect.Errorf(connect.Forbidden, "cross-origin request refused"))
			return
		}
	}
	s.mux.ServeHTTP(w, r)
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// handle registers a pattern ("GET /orders") under the prefix.
func (s *server) handle(pattern string, h http.Handler) {
	method, path, ok := strings.Cut(pattern, " ")
	if !ok {
		path, method = method, ""
	}
	full := s.prefix + path
	if method != "" {
		full = method + " " + full
	}
	s.routes = append(s.routes, full)
	s.mux.Handle(full, s.tel.traced(full, h))
}

// path returns an absolute path under the prefix, for links and redirects.
func (s *server) path(p string, args ...any) string {
	if len(args) > 0 {
		esc := make([]any, len(args))
		for i, a := range args {
			esc[i] = url.PathEscape(fmt.Sprint(a))
		}
		p = fmt.Sprintf(p, esc...)
	}
	return s.prefix + p
}

// redirect answers 303 See Other to a path under the prefix.
func (s *server) redirect(w http.ResponseWriter, r *http.Request, p string) {
	http.Redirect(w, r, p, http.StatusSeeOther)
}

// localNext returns next when it is a path under the prefix on this site, else def.
func (s *server) localNext(next, def string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return def
	}
	if s.prefix != "" && next != s.prefix && !strings.HasPrefix(next, s.prefix+"/") {
		return def
	}
	if u, err := url.Parse(next); err != nil || u.Host != "" || u.Scheme != "" {
		return def
	}
	return next
}

// errNoSpreadsheets answers spreadsheet features when no connect.Spreadsheets port is set.
var errNoSpreadsheets = connect.Errorf(connect.Unavailable, "this portal cannot read spreadsheets")

// isCode reports whether err carries the code.
func isCode(err error, code connect.Code) bool {
	var e *connect.Error
	return errors.As(err, &e) && e.Code == code
}
