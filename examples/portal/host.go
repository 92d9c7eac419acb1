package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/importer"
	"github.com/dispatchkit/connect/notices"
	"github.com/dispatchkit/connect/pdf"
	"github.com/dispatchkit/connect/portal"
	"github.com/dispatchkit/connect/shopify"
	"github.com/dispatchkit/connect/shopify/shopifytest"
	"github.com/dispatchkit/connect/storage"
	"github.com/dispatchkit/connect/webhooks"
)

// The demo account, its depots and its dispatcher.
const demoAccount connect.AccountID = "demo-account"

const (
	dispatcherEmail = "dispatcher@demo.test"
	demoClientName  = "Green Grocer"
)

var demoDepots = []portal.Depot{{ID: "north", Name: "North depot"}, {ID: "south", Name: "South depot"}}

// demoLocation is the demo dispatcher's time zone (UTC where the machine has
// no time zone database).
func demoLocation(context.Context, connect.AccountID) (*time.Location, error) {
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		return time.UTC, nil
	}
	return loc, nil
}

// demoBrand is the demo dispatcher's brand: its name, logo (served by the host
// itself: the pages load nothing from elsewhere) and colour on the portal, the
// tracking page and its documents, and its time zone.
func demoBrand(ctx context.Context, account connect.AccountID) (portal.Brand, error) {
	loc, err := demoLocation(ctx, account)
	return portal.Brand{Name: "Swift Couriers (demo)", Location: loc,
		LogoURL: "/demo/static/swift-logo.svg", Accent: "#1f5fa8"}, err
}

// host is the example dispatch system with the portal mounted in it.
type host struct {
	cfg         config
	log         *slog.Logger
	store       *storage.Store
	svc         *connect.Service
	state       *demoState
	hostStops   *hostStops // the host's own stops with no client
	routes      *routeSync
	portal      *portal.Portal
	mux         *http.ServeMux
	files       string // proof-of-delivery files
	cop         *http.CrossOriginProtection
	shopifyDemo bool
	shopifyFake *shopifytest.Server // the fake Shopify of the demo; nil with a real app
	// shopifyWebhooks is the portal's Shopify webhook handler, which the fake
	// Shopify's admin page delivers orders/updated and orders/cancelled to.
	shopifyWebhooks http.Handler
	stop            context.CancelFunc
	done            sync.WaitGroup
	closers         []func()
}

// demoState is what the demo keeps beside the database: its secrets and the link
// of the seeded invitation (an invite's token cannot be read back).
type demoState struct {
	SessionKey         string `json:"session_key"`
	DispatcherPassword string `json:"dispatcher_password"`
	ShopifyKey         string `json:"shopify_key"`
	// TwoFactorKey seals members' TOTP secrets in the database
	// (connect.Config.TwoFactorKey).
	TwoFactorKey string `json:"two_factor_key"`
	// WebhookKey seals clients' webhook signing secrets in the database
	// (connect.Config.WebhookKey).
	WebhookKey string `json:"webhook_key"`
	// TrackingKey keeps tracking links' tokens sealed, so that a team copies
	// an active link again (connect.Config.TrackingKey).
	TrackingKey string `json:"tracking_key"`
	// ShopifySecret is the app secret of the in-process fake Shopify (without a
	// real app's credentials): random per data directory, since anyone who knows
	// it can sign webhooks the demo believes (a customers/redact erasing orders).
	ShopifySecret string `json:"shopify_secret"`
	// InviteToken opens the seeded invitation; its link is built from the base URL
	// of each run.
	InviteToken string `json:"invite_token,omitempty"`
	path        string
}

func loadState(dir string) (*demoState, error) {
	st := &demoState{path: filepath.Join(dir, "demo-state.json")}
	b, err := os.ReadFile(st.path)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return nil, err
	default:
		if err := json.Unmarshal(b, st); err != nil {
			return nil, fmt.Errorf("%s: %w", st.path, err)
		}
	}
	changed := false
	if st.SessionKey == "" {
		st.SessionKey, changed = randomHex(32), true
	}
	if st.ShopifyKey == "" {
		st.ShopifyKey, changed = randomHex(32), true
	}
	if st.TrackingKey == "" {
		st.TrackingKey, changed = randomHex(32), true
	}
	if st.WebhookKey == "" {
		st.WebhookKey, changed = randomHex(32), true
	}
	if st.TwoFactorKey == "" {
		st.TwoFactorKey, changed = randomHex(32), true
	}
	if st.DispatcherPassword == "" {
		st.DispatcherPassword, changed = randomHex(6), true
	}
	if st.ShopifySecret == "" {
		st.ShopifySecret, changed = randomHex(32), true
	}
	if changed {
		return st, st.save()
	}
	return st, nil
}

func (st *demoState) save() error {
	b, _ := json.MarshalIndent(st, "", "  ")
	return os.WriteFile(st.path, b, 0o600)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// newHost opens the database, makes the Service and the portal, and seeds the
// demo on first start.
func newHost(ctx context.Context, cfg config, log *slog.Logger) (h *host, err error) {
	if err := os.MkdirAll(filepath.Join(cfg.DataDir, "files"), 0o700); err != nil {
		return nil, err
	}
	h = &host{cfg: cfg, log: log, files: filepath.Join(cfg.DataDir, "files")}
	defer func() {
		if err != nil {
			h.Close()
		}
	}()
	if h.state, err = loadState(cfg.DataDir); err != nil {
		return nil, err
	}
	if h.hostStops, err = loadHostStops(cfg.DataDir); err != nil {
		return nil, err
	}
	if h.store, err = storage.Open(ctx, cfg.DB); err != nil {
		return nil, fmt.Errorf("opening %s: %w", cfg.DB, err)
	}
	h.closers = append(h.closers, func() { h.store.Close() })

	// Files (proof photos and signatures, uploads waiting for their preview)
	// live in the database, or in an S3 bucket.
	var blobs connect.Blobs = h.store
	if cfg.S3.Endpoint != "" {
		if blobs, err = openS3(ctx, cfg.S3, log); err != nil {
			return nil, err
		}
	}

	links := portal.Links{BaseURL: cfg.BaseURL}
	h.routes = &routeSync{log: log}
	var rs connect.RouteSync = h.routes
	if cfg.RouteSyncURL != "" {
		rs = newHTTPRouteSync(cfg.RouteSyncURL)
	}
	svcCfg := connect.Config{
		Store: h.store, Mailer: newMailer(cfg, log), RouteSync: rs,
		InviteURL: links.Invite, TrackingURL: links.Tracking, PasswordResetURL: links.PasswordReset, Logger: log,
		// Proof photos and signatures from the driver page.
		Blobs: blobs, ProofFileURL: links.ProofFile,
		Privacy: &demoPrivacy{files: h.files, exports: filepath.Join(cfg.DataDir, "privacy-exports"), baseURL: cfg.BaseURL, log: log},
		// Clients' webhooks, over HTTPS to public addresses only (SSRF), unless
		// -webhooks-loopback lets a local receiver take them.
		Webhooks: webhooks.New(webhooks.Config{AllowLoopback: cfg.WebhooksLoopback}),
		// Days, months and schedules begin at the dispatcher's midnight.
		AccountLocation: demoLocation,
		// Recipients' notices in the client's language: emails the way the
		// other mails go, SMS to the log.
		Notices: notices.New(), SMS: logSMS{log: log},
		AccountBrand: func(ctx context.Context, account connect.AccountID) (string, error) {
			b, err := demoBrand(ctx, account)
			return b.Name, err
		},
	}
	if svcCfg.TrackingKey, err = hex.DecodeString(h.state.TrackingKey); err != nil {
		return nil, fmt.Errorf("tracking key: %w", err)
	}
	if svcCfg.WebhookKey, err = hex.DecodeString(h.state.WebhookKey); err != nil {
		return nil, fmt.Errorf("webhook key: %w", err)
	}
	if svcCfg.TwoFactorKey, err = hex.DecodeString(h.state.TwoFactorKey); err != nil {
		return nil, fmt.Errorf("two-factor key: %w", err)
	}
	if cfg.PasswordIterations > 0 {
		svcCfg.Passwords = connect.PBKDF2{Iterations: cfg.PasswordIterations}
	}
	// Three steps: the adapters, the Service on them, the handlers on the Service.
	shop, err := h.shopifyAdapter(ctx)
	if err != nil {
		return nil, err
	}
	svcCfg.Shopify = shop.adapter
	if h.svc, err = connect.New(svcCfg); err != nil {
		return nil, err
	}
	h.closers = append(h.closers, func() { h.svc.Close() })
	shopifyInstall, shopifyWebhooks, err := shop.handlers(h.svc)
	if err != nil {
		return nil, err
	}
	h.shopifyWebhooks = shopifyWebhooks
	consoleLinks := []portal.Link{{Label: "Routes (demo)", URL: "/demo/routes"}}
	if h.shopifyFake != nil {
		consoleLinks = append(consoleLinks, portal.Link{Label: "Fake Shopify (demo)", URL: "/demo/shopify"})
	}

	key, _ := hex.DecodeString(h.state.SessionKey)
	pcfg := portal.Config{
		Service: h.svc, BaseURL: cfg.BaseURL, SessionKey: key,
		Dispatchers:          portal.DispatchersFunc(h.dispatcher),
		DispatcherLoginURL:   "/demo/login",
		DispatcherLinks:      consoleLinks,
		DispatcherSignOutURL: "/demo/logout",
		Depots: func(context.Context, connect.AccountID) ([]portal.Depot, error) {
			return demoDepots, nil
		},
		Spreadsheets:    importer.Spreadsheets{},
		Documents:       pdf.Documents{Name: "Connect demo"},
		Brand:           demoBrand,
		ShopifyInstall:  shopifyInstall,
		ShopifyWebhooks: shopifyWebhooks,
		UploadDir:       filepath.Join(cfg.DataDir, "uploads"),
		Name:            "Connect demo",
		Logger:          log,
	}
	if strings.HasPrefix(cfg.DB, "postgres") {
		// Several demo processes on one PostgreSQL share imports through it
		// (the files, through the bucket with S3).
		pcfg.Blobs, pcfg.Once, pcfg.Limits = blobs, h.store, h.store
	} else if cfg.S3.Endpoint != "" {
		pcfg.Blobs = blobs
	}
	if h.portal, err = portal.New(pcfg); err != nil {
		return nil, err
	}
	if err := h.seed(ctx); err != nil {
		return nil, fmt.Errorf("seeding the demo: %w", err)
	}

	h.cop = http.NewCrossOriginProtection()
	if err := h.cop.AddTrustedOrigin(cfg.BaseURL); err != nil {
		return nil, err
	}
	h.mux = http.NewServeMux()
	h.mux.Handle("/", h.portal)
	h.mux.Handle("/demo/", h.cop.Handler(h.demoRoutes()))

	// The outbox worker pushes submitted, withdrawn and cancelled orders to the
	// route sync (and fulfills Shopify orders), with retries.
	workCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	h.stop = stop
	h.done.Add(1)
	go func() {
		defer h.done.Done()
		_ = h.svc.RunOutbox(workCtx, cfg.outboxOptions())
	}()
	// The scheduler makes the orders of clients' recurring schedules at their
	// local times; every process runs one, and each occurrence is made once.
	h.done.Add(1)
	go func() {
		defer h.done.Done()
		_ = h.svc.RunScheduler(workCtx, connect.ScheduleOptions{})
	}()
	// Once a day, the tokens of shops nobody used for a month are refreshed,
	// so that their refresh tokens (which Shopify lets expire after 90 idle
	// days) stay good. Several processes may run it: one refreshes each shop.
	h.done.Add(1)
	go func() {
		defer h.done.Done()
		refreshQuietShops(workCtx, shop.adapter, log, 24*time.Hour)
	}()
	return h, nil
}

// refreshQuietShops runs adapter.RefreshQuietShops every interval until ctx
// ends, the first time at once.
func refreshQuietShops(ctx context.Context, adapter *shopify.Adapter, log *slog.Logger, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		n, err := adapter.RefreshQuietShops(ctx, 0)
		if err != nil && ctx.Err() == nil {
			log.WarnContext(ctx, "refreshing quiet Shopify shops", "refreshed", n, "err", err)
		} else if n > 0 {
			log.InfoContext(ctx, "refreshed quiet Shopify shops", "refreshed", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// outboxOptions are the outbox worker's settings from the flags.
func (c config) outboxOptions() connect.OutboxOptions {
	opts := connect.OutboxOptions{Poll: c.OutboxPoll, Lease: c.OutboxLease}
	if d := c.OutboxRetry; d > 0 {
		opts.Backoff = func(int) time.Duration { return d }
	}
	return opts
}

// ServeHTTP serves the portal and the host's own pages.
func (h *host) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// Close stops the outbox worker and closes the Service and the database.
func (h *host) Close() {
	if h.stop != nil {
		h.stop()
		h.done.Wait()
	}
	for i := len(h.closers) - 1; i >= 0; i-- {
		h.closers[i]()
	}
	h.closers = nil
}

// dispatcherActor is the demo dispatcher as the Service knows her.
func dispatcherActor() connect.Actor { return connect.AsDispatcher(demoAccount, dispatcherEmail) }

// seed invites the demo client on first start.
func (h *host) seed(ctx context.Context) error {
	clients, err := h.svc.Clients(ctx, dispatcherActor())
	if err != nil {
		return err
	}
	if len(clients) > 0 {
		return nil
	}
	issued, err := h.svc.InviteClient(ctx, dispatcherActor(), connect.InviteClientParams{
		Name: demoClientName, Email: "gina@greengrocer.test",
		Settings: connect.ClientSettings{AllowUpload: true, DefaultDepot: "north",
			RequiredFields: connect.RequireFields(connect.FieldCity, connect.FieldRecipientName)},
	})
	if err != nil {
		return err
	}
	h.state.InviteToken = issued.Token
	// A stop of the host's own with no client: the help article's first way
	// to invite starts from one.
	if err := h.hostStops.add(hostStop{ID: "hs-" + randomHex(6), Ref: "WALK-IN-1", Recipient: "Harbour Café",
		Line1: "3 Quay Street", City: "Springfield", Postcode: "SP1 4QS", Depot: "north", CreatedAt: time.Now().UTC()}); err != nil {
		return err
	}
	h.log.Info("demo seeded", "account", demoAccount, "client", demoClientName)
	return h.state.save()
}

// inviteLink is the seeded invitation's link.
func (h *host) inviteLink() string {
	if h.state.InviteToken == "" {
		return ""
	}
	return portal.Links{BaseURL: h.cfg.BaseURL}.Invite(h.state.InviteToken)
}

// pendingInvite returns the seeded invitation's link while it is still pending.
func (h *host) pendingInvite() string {
	if h.state.InviteToken == "" {
		return ""
	}
	clients, err := h.svc.Clients(context.Background(), dispatcherActor())
	if err != nil {
		return ""
	}
	for _, c := range clients {
		if c.Client.Name == demoClientName && c.PendingInvite != nil {
			return h.inviteLink()
		}
	}
	return ""
}
