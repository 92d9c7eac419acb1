// Command portal is an example host: a tiny dispatch system that embeds the client
// portal. It opens storage (SQLite in a local file by default, or PostgreSQL),
// makes the connect.Service with a mailer and a RouteSync of its own, runs the
// outbox worker, mounts portal.New under "/", and adds what a real dispatch system
// owns: a dispatcher login, routes built from unassigned stops, and a driver page
// that completes stops with a photo and a signature.
//
//	go run ./examples/portal
//
// On first start it seeds a demo account with two depots and a client invitation,
// and prints the URL, the dispatcher login and the invite link. Data survives a
// restart: the database, and beside it a data directory with the demo's secrets and
// the proof-of-delivery files.
//
// Flags (each also read from the environment variable in brackets):
//
//	-addr            listen address [CONNECT_ADDR] (127.0.0.1:8080)
//	-db              sqlite:FILE or postgres://… [CONNECT_DB] (sqlite:connect-demo.db)
//	-base-url        the URL people open [CONNECT_BASE_URL] (http://ADDR)
//	-data            data directory [CONNECT_DATA] (connect-demo.db.files)
//	-smtp-addr       SMTP server host:port [CONNECT_SMTP_ADDR]; unset: invites are logged
//	-smtp-user, -smtp-password, -smtp-from [CONNECT_SMTP_USER, CONNECT_SMTP_PASSWORD, CONNECT_SMTP_FROM]
//	-shopify-client-id, -shopify-secret  a Shopify app's credentials
//	                 [CONNECT_SHOPIFY_CLIENT_ID, CONNECT_SHOPIFY_SECRET]; unset: a fake
//	                 Shopify runs in-process (package shopifytest), so linking a store
//	                 and importing its orders works offline; its admin page
//	                 (/demo/shopify) edits or cancels an order and sends the
//	                 portal orders/updated or orders/cancelled
//	-shopify-api-url a base URL (http://127.0.0.1:PORT) that receives every request
//	                 for a *.myshopify.com host instead of Shopify, such as a
//	                 shopifytest server in another process [CONNECT_SHOPIFY_API_URL];
//	                 use with the fake's credentials
//	-route-sync-url  push stop changes as JSON POSTs to this URL (see
//	                 httpRouteSync) [CONNECT_ROUTE_SYNC_URL]; unset: the demo's own
//	                 in-memory stop list
//	-webhooks-loopback  let clients' webhook endpoints be http:// and on this
//	                 machine (127.0.0.1, localhost), to try webhooks with a local
//	                 receiver [CONNECT_WEBHOOKS_LOOPBACK=1]; never in production:
//	                 unset, endpoints must be https:// on public addresses
//	-outbox-poll, -outbox-lease, -outbox-retry  the outbox worker's poll interval,
//	                 claim lease and a fixed delay between retries
//	                 [CONNECT_OUTBOX_POLL, CONNECT_OUTBOX_LEASE, CONNECT_OUTBOX_RETRY];
//	                 unset: connect.OutboxOptions's defaults
//	-s3-endpoint     keep proof-of-delivery files and uploads waiting for their
//	                 preview in an S3-compatible bucket (package s3), at
//	                 https://HOST or http://HOST:PORT [CONNECT_S3_ENDPOINT]; unset:
//	                 in the database
//	-s3-bucket, -s3-region, -s3-prefix  the bucket (it must exist), its region
//	                 (unset: asked of the endpoint) and the start of the objects'
//	                 names (connect/) [CONNECT_S3_BUCKET, CONNECT_S3_REGION,
//	                 CONNECT_S3_PREFIX]
//	-s3-access-key, -s3-secret-key  [CONNECT_S3_ACCESS_KEY, CONNECT_S3_SECRET_KEY];
//	                 unset: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY,
//	                 ~/.aws/credentials, or the machine's IAM role
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

// config is the host's settings.
type config struct {
	Addr    string
	DB      string
	BaseURL string
	DataDir string

	SMTPAddr, SMTPUser, SMTPPassword, SMTPFrom string

	ShopifyClientID, ShopifySecret string
	ShopifyAPIURL                  string // "": Shopify itself

	RouteSyncURL string // "": the demo's in-memory route sync

	S3 s3Config // Endpoint "": files in the database

	// WebhooksLoopback allows clients' webhooks to http:// and loopback
	// addresses (webhooks.Config.AllowLoopback).
	WebhooksLoopback bool

	// The outbox worker's settings; 0: connect.OutboxOptions's defaults.
	OutboxPoll, OutboxLease, OutboxRetry time.Duration

	// Test settings (not flags).
	PasswordIterations int // 0: the Service's default
}

func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}

func parseFlags(args []string) (config, error) {
	var c config
	fs := flag.NewFlagSet("portal", flag.ContinueOnError)
	fs.StringVar(&c.Addr, "addr", env("CONNECT_ADDR", "127.0.0.1:8080"), "listen address")
	fs.StringVar(&c.DB, "db", env("CONNECT_DB", "sqlite:connect-demo.db"), "database: sqlite:FILE or postgres://…")
	fs.StringVar(&c.BaseURL, "base-url", env("CONNECT_BASE_URL", ""), "the URL people open (default http://ADDR)")
	fs.StringVar(&c.DataDir, "data", env("CONNECT_DATA", "connect-demo.db.files"), "data directory (secrets, proof files)")
	fs.StringVar(&c.SMTPAddr, "smtp-addr", env("CONNECT_SMTP_ADDR", ""), "SMTP server host:port (unset: invites are logged)")
	fs.StringVar(&c.SMTPUser, "smtp-user", env("CONNECT_SMTP_USER", ""), "SMTP user")
	fs.StringVar(&c.SMTPPassword, "smtp-password", env("CONNECT_SMTP_PASSWORD", ""), "SMTP password")
	fs.StringVar(&c.SMTPFrom, "smtp-from", env("CONNECT_SMTP_FROM", "connect@localhost"), "sender of invitations")
	fs.StringVar(&c.ShopifyClientID, "shopify-client-id", env("CONNECT_SHOPIFY_CLIENT_ID", ""), "Shopify app client id (unset: a fake Shopify)")
	fs.StringVar(&c.ShopifySecret, "shopify-secret", env("CONNECT_SHOPIFY_SECRET", ""), "Shopify app secret")
	fs.StringVar(&c.ShopifyAPIURL, "shopify-api-url", env("CONNECT_SHOPIFY_API_URL", ""), "send Shopify requests to this base URL (a fake Shopify)")
	fs.StringVar(&c.RouteSyncURL, "route-sync-url", env("CONNECT_ROUTE_SYNC_URL", ""), "POST stop changes to this URL (unset: the demo's in-memory stop list)")
	fs.StringVar(&c.S3.Endpoint, "s3-endpoint", env("CONNECT_S3_ENDPOINT", ""), "keep files in this S3-compatible endpoint, https://HOST or http://HOST:PORT (unset: in the database)")
	fs.StringVar(&c.S3.Bucket, "s3-bucket", env("CONNECT_S3_BUCKET", ""), "S3 bucket of the files (it must exist)")
	fs.StringVar(&c.S3.Region, "s3-region", env("CONNECT_S3_REGION", ""), "S3 region (unset: asked of the endpoint)")
	fs.StringVar(&c.S3.AccessKey, "s3-access-key", env("CONNECT_S3_ACCESS_KEY", ""), "S3 access key (unset: AWS_ACCESS_KEY_ID, ~/.aws/credentials or the IAM role)")
	fs.StringVar(&c.S3.SecretKey, "s3-secret-key", env("CONNECT_S3_SECRET_KEY", ""), "S3 secret key")
	fs.StringVar(&c.S3.Prefix, "s3-prefix", env("CONNECT_S3_PREFIX", "connect/"), "start of the files' object names (\"\": none)")
	fs.BoolVar(&c.WebhooksLoopback, "webhooks-loopback", env("CONNECT_WEBHOOKS_LOOPBACK", "") != "", "allow webhooks to http:// and 127.0.0.1 (a local receiver; never in production)")
	for _, d := range []struct {
		p         *time.Duration
		name, env string
		usage     string
	}{
		{&c.OutboxPoll, "outbox-poll", "CONNECT_OUTBOX_POLL", "outbox worker: how often to look for due entries (0: 1s)"},
		{&c.OutboxLease, "outbox-lease", "CONNECT_OUTBOX_LEASE", "outbox worker: how long a claimed entry is exclusive (0: 1m)"},
		{&c.OutboxRetry, "outbox-retry", "CONNECT_OUTBOX_RETRY", "outbox worker: fixed delay before a retry (0: exponential from 1s)"},
	} {
		var def time.Duration
		if v := env(d.env, ""); v != "" {
			var err error
			if def, err = time.ParseDuration(v); err != nil {
				err = fmt.Errorf("%s: %w", d.env, err)
				fmt.Fprintln(fs.Output(), err)
				return c, err
			}
		}
		fs.DurationVar(d.p, d.name, def, d.usage)
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if c.ShopifyAPIURL != "" && (c.ShopifyClientID == "" || c.ShopifySecret == "") {
		err := errors.New("-shopify-api-url needs -shopify-client-id and -shopify-secret (the fake's)")
		fmt.Fprintln(fs.Output(), err)
		return c, err
	}
	if c.S3.Endpoint != "" && c.S3.Bucket == "" {
		err := errors.New("-s3-endpoint needs -s3-bucket")
		fmt.Fprintln(fs.Output(), err)
		return c, err
	}
	if c.BaseURL == "" {
		c.BaseURL = "http://" + c.Addr
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	return c, nil
}

func main() {
	cfg, err := parseFlags(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	} else if err != nil {
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	if err := run(ctx, cfg, log, os.Stdout); err != nil {
		log.Error("portal stopped", "err", err)
		os.Exit(1)
	}
}

// run serves the host until ctx ends, then shuts down gracefully.
func run(ctx context.Context, cfg config, log *slog.Logger, out io.Writer) error {
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	h, err := newHost(ctx, cfg, log)
	if err != nil {
		ln.Close()
		return err
	}
	defer h.Close()
	h.printWelcome(out)
	return serve(ctx, ln, h, log)
}

// serve runs an HTTP server on ln until ctx ends, then drains it: the portal's
// long-lived event streams end when it closes (Portal.Close on shutdown).
func serve(ctx context.Context, ln net.Listener, h *host, log *slog.Logger) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       5 * time.Minute, // spreadsheets up to 50 MB on slow links
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	srv.RegisterOnShutdown(h.portal.Close)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := srv.Shutdown(shutdownCtx)
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return err
}

// printWelcome says how to start.
func (h *host) printWelcome(out io.Writer) {
	fmt.Fprintf(out, "\nConnect demo portal: %s/\n", h.cfg.BaseURL)
	fmt.Fprintf(out, "  Dispatcher console: %s/dispatch/  (sign in as %s, password %s)\n", h.cfg.BaseURL, dispatcherEmail, h.state.DispatcherPassword)
	if link := h.pendingInvite(); link != "" {
		fmt.Fprintf(out, "  Client invite link: %s\n", link)
	}
	if h.shopifyDemo {
		fmt.Fprintf(out, "  Shopify: a fake store runs in-process; link %s from Settings → Integrations\n", demoShop)
		fmt.Fprintf(out, "           its order noted %q is fulfilled from two locations (Settings → Integrations: fulfil when the route starts)\n", twoLocationOrder)
		fmt.Fprintf(out, "           edit or cancel its orders as the merchant at %s/demo/shopify: Shopify's webhooks reach the portal\n", h.cfg.BaseURL)
	}
	fmt.Fprintln(out)
}
