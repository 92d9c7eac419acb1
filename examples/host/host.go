// Command host is a dispatch system that embeds connect as a Go team would: its
// own pgx pool, its own chi router, its own sign-in for dispatchers and for its
// clients' people (sso.go), its own stop list in its own table, and the portal
// mounted under /connect/. It is a module of its own, so that it builds against
// connect's public API only.
//
//	CONNECT_HOST_DB=postgres://localhost/dispatch CONNECT_HOST_CLIENT_USERS=gina@example.com=pass go run .
//
// CONNECT_HOST_TELEMETRY=stdout writes connect's traces and metrics to stdout
// (OpenTelemetry's stdout exporters), as a host would send them to its collector.
package main

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/importer"
	"github.com/dispatchkit/connect/pdf"
	"github.com/dispatchkit/connect/portal"
	"github.com/dispatchkit/connect/storage"
)

// config is what the host reads from its environment.
type config struct {
	DB         string // PostgreSQL URL
	Addr       string // where to listen
	BaseURL    string // the host's own URL; the portal is under BaseURL/connect
	SessionKey []byte // at least 32 bytes, the same in every process
	Password   string // the dispatchers' shared password (a real host has its own sign-in)
	// Telemetry receives connect's traces and metrics (CONNECT_HOST_TELEMETRY=stdout);
	// nil: none.
	Telemetry *telemetry
	// ClientUsers are the host's own credentials of its clients' people, by
	// email (a stand-in for its SSO): they sign in at /login, and the portal
	// takes the host's word for who they are (sso.go).
	ClientUsers map[string]string
}

// host is the dispatch system: its pool, its router, and connect inside it.
type host struct {
	log    *slog.Logger
	pool   *pgxpool.Pool
	store  *storage.Store
	svc    *connect.Service
	portal *portal.Portal
	stops  *stopTable
	router chi.Router
	cfg    config
}

// account is the dispatch company this host runs for.
const account connect.AccountID = "acme"

// newHost opens the host's pool and wires connect onto it.
func newHost(ctx context.Context, cfg config, log *slog.Logger) (*host, error) {
	pool, err := pgxpool.New(ctx, cfg.DB)
	if err != nil {
		return nil, err
	}
	h := &host{log: log, pool: pool, cfg: cfg}
	// connect's Store on the host's own pool: pgx's database/sql face of it.
	db := bun.NewDB(stdlib.OpenDBFromPool(pool), pgdialect.New())
	if cfg.Telemetry != nil {
		db.AddQueryHook(storage.QueryHook(cfg.Telemetry.traces)) // a span per SQL statement
	}
	if h.store, err = storage.New(db); err != nil {
		pool.Close()
		return nil, err
	}
	if err := h.store.Migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	if h.stops, err = newStopTable(ctx, pool); err != nil {
		pool.Close()
		return nil, err
	}
	mount := strings.TrimRight(cfg.BaseURL, "/") + "/connect"
	links := portal.Links{BaseURL: mount}
	svcCfg := connect.Config{Store: h.store, RouteSync: h.stops, Logger: log,
		InviteURL: links.Invite, TrackingURL: links.Tracking, PasswordResetURL: links.PasswordReset}
	portalCfg := portal.Config{BaseURL: mount, SessionKey: cfg.SessionKey,
		Dispatchers:   portal.DispatchersFunc(h.dispatcher),
		ClientMembers: portal.ClientMembersFunc(h.clientMember), ClientLoginURL: strings.TrimRight(cfg.BaseURL, "/") + "/login",
		ClientLogoutURL: strings.TrimRight(cfg.BaseURL, "/") + "/logout",
		Spreadsheets:    importer.Spreadsheets{}, Documents: pdf.Documents{}, UploadDir: os.TempDir(), Logger: log}
	if t := cfg.Telemetry; t != nil {
		svcCfg.TracerProvider, svcCfg.MeterProvider = t.traces, t.metrics
		portalCfg.TracerProvider, portalCfg.MeterProvider = t.traces, t.metrics
	}
	if h.svc, err = connect.New(svcCfg); err != nil {
		pool.Close()
		return nil, err
	}
	portalCfg.Service = h.svc
	if h.portal, err = portal.New(portalCfg); err != nil {
		pool.Close()
		return nil, err
	}
	r := chi.NewRouter()
	r.Get("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "Acme dispatch. Client portal: %s/\n", mount)
	})
	r.Get("/stops", h.listStops)
	r.Get("/login", h.login)
	r.Post("/login", h.login)
	r.Get("/logout", h.logout)
	r.Mount("/connect", h.portal) // the portal sees the full path, as it expects
	h.router = r
	return h, nil
}

// dispatcher is the host's own sign-in for its dispatchers: here HTTP basic
// auth with one shared password; a real host asks its own session.
func (h *host) dispatcher(r *http.Request) (connect.Actor, bool) {
	user, pass, ok := r.BasicAuth()
	if !ok || sha256.Sum256([]byte(pass)) != sha256.Sum256([]byte(h.cfg.Password)) {
		return connect.Actor{}, false
	}
	return connect.AsDispatcher(account, user), true
}

// listStops shows the host's own stop list.
func (h *host) listStops(w http.ResponseWriter, r *http.Request) {
	if _, ok := h.dispatcher(r); !ok {
		w.Header().Set("WWW-Authenticate", `Basic realm="acme"`)
		http.Error(w, "sign in", http.StatusUnauthorized)
		return
	}
	stops, err := h.stops.list(r.Context())
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	for _, s := range stops {
		fmt.Fprintf(w, "%s\t%s\t%s\n", s.order, s.status, s.address)
	}
}

// serve runs the host until ctx ends, then shuts down within 10 s: the
// portal's streams end at once (Portal.Close), the outbox worker stops, the pool
// closes.
func (h *host) serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{Handler: h.router, ReadHeaderTimeout: 10 * time.Second}
	srv.RegisterOnShutdown(h.portal.Close)
	work, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	outbox := make(chan error, 1)
	go func() { outbox <- h.svc.RunOutbox(work, connect.OutboxOptions{}) }()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	var err error
	select {
	case err = <-served:
	case <-ctx.Done():
		shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err = srv.Shutdown(shutdown)
		cancel()
		if serr := <-served; !errors.Is(serr, http.ErrServerClosed) && err == nil {
			err = serr
		}
	}
	stopWork()
	<-outbox
	_ = h.svc.Close()
	_ = h.store.Close()
	h.pool.Close()
	return err
}

// parseUsers reads "email=password,email=password".
func parseUsers(s string) map[string]string {
	users := map[string]string{}
	for pair := range strings.SplitSeq(s, ",") {
		if email, password, ok := strings.Cut(strings.TrimSpace(pair), "="); ok {
			users[strings.ToLower(email)] = password
		}
	}
	return users
}

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	cfg := config{DB: os.Getenv("CONNECT_HOST_DB"), Addr: "127.0.0.1:8090", BaseURL: "http://127.0.0.1:8090",
		SessionKey: []byte(os.Getenv("CONNECT_HOST_SESSION_KEY")), Password: os.Getenv("CONNECT_HOST_PASSWORD"),
		ClientUsers: parseUsers(os.Getenv("CONNECT_HOST_CLIENT_USERS"))}
	if cfg.DB == "" || len(cfg.SessionKey) < 32 || cfg.Password == "" {
		fmt.Fprintln(os.Stderr, "set CONNECT_HOST_DB, CONNECT_HOST_SESSION_KEY (32+ bytes) and CONNECT_HOST_PASSWORD")
		os.Exit(2)
	}
	if os.Getenv("CONNECT_HOST_TELEMETRY") == "stdout" {
		t, err := newTelemetry(os.Stdout, 30*time.Second)
		if err != nil {
			log.Error("telemetry", "err", err)
			os.Exit(1)
		}
		defer t.shutdown(context.Background())
		cfg.Telemetry = t
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	h, err := newHost(ctx, cfg, log)
	if err != nil {
		log.Error("starting", "err", err)
		os.Exit(1)
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		log.Error("listening", "err", err)
		os.Exit(1)
	}
	log.Info("serving", "url", cfg.BaseURL)
	if err := h.serve(ctx, ln); err != nil {
		log.Error("serving", "err", err)
		os.Exit(1)
	}
}
