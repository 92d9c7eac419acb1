package shopify

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"time"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/dispatchkit/connect"
)

// Config configures an [Adapter]: the app's credentials, where shops' tokens
// are kept, and, for the install and webhook handlers, what they need of the
// portal. The zero value of every optional field is a working default,
// documented beside it.
type Config struct {
	// ClientID and Secret are the app's credentials from Shopify's Partner
	// Dashboard. Required. The secret signs install states and verifies
	// callbacks and webhooks.
	ClientID, Secret string
	// PreviousSecret is the secret being rotated out, accepted beside Secret
	// on callbacks and webhooks while Shopify still signs with it (a rotation
	// signs with the old secret until the new one is in effect). "": none.
	PreviousSecret string
	// Scopes are the access scopes an install asks for. nil: [Scopes].
	Scopes []string
	// ReadAllOrders asks installs for read_all_orders too, beside Scopes:
	// without it Shopify shows the app only the last 60 days' orders, and an
	// older one is not found (nor fulfilled, should its delivery come later).
	// Shopify grants it only to an app it approved for it (Partner Dashboard,
	// the app's API access: "Read all orders"). Stores linked before need
	// linking again to grant it.
	ReadAllOrders bool
	// Tokens keeps each shop's sealed access token, shared by the clients
	// linked to it. Required.
	Tokens connect.ShopifyTokens
	// Sealer seals tokens before they reach Tokens, bound to the client. Required.
	Sealer *Sealer

	// HTTPClient sends every request to Shopify (GraphQL and OAuth); tests route
	// it to shopifytest. nil: a client with a 30 s timeout.
	HTTPClient *http.Client
	// Buckets holds the rate-limit estimates of every shop. nil: the adapter's
	// own; share one if a process has several adapters.
	Buckets *Buckets
	// LineItems is how many line items of each order the first read asks for;
	// an order with more is read again with all of them. Fewer means more
	// orders a query (see [OrdersPageSize]). 0: 5.
	LineItems int
	// TrackingCompany names the carrier on fulfillments with a tracking link,
	// as shoppers see it ("Green Grocer Deliveries"). "": none.
	TrackingCompany string

	// Session returns the portal's signed-in actor of a request, for the install
	// handler: only a member of a client's team may link its store. Required by
	// [Adapter.InstallHandler].
	Session func(r *http.Request) (connect.Actor, bool)
	// Once records single-use keys: install states, and webhook ids so a
	// delivery Shopify repeats is handled once. A connect.Store implements it.
	// Required by both handlers.
	Once Once
	// Clients lists the clients linked to a shop, so that the uninstall
	// webhook forgets the shop's token. A connect.Store implements it. nil: the
	// tokens stay (Shopify has revoked them anyway) until the client links again.
	Clients ShopClients
	// RedirectURL is the absolute URL of the install callback, as listed in the
	// app's allowed redirection URLs. Required by [Adapter.InstallHandler].
	RedirectURL string
	// ReturnURL is where the install callback sends the merchant once the
	// store is linked. "": "/".
	ReturnURL string
	// StateTTL is how long an install may take from Start to Callback. 0: 10
	// minutes.
	StateTTL time.Duration
	// CallbackMaxAge is how old a callback's timestamp may be. 0:
	// [DefaultCallbackAge].
	CallbackMaxAge time.Duration
	// MaxWebhookBody bounds a webhook's body. 0: [DefaultMaxWebhookBody].
	MaxWebhookBody int64

	// Logger hears about refreshed tokens, fulfillments and webhooks. nil: silent.
	Logger *slog.Logger
	// TracerProvider and MeterProvider receive the spans and metrics of every
	// GraphQL operation (see ClientConfig). The install and webhook handlers
	// are traced by the portal that mounts them. nil: none (not the global
	// providers).
	TracerProvider trace.TracerProvider
	MeterProvider  metric.MeterProvider
	// Now and Sleep are the clock; tests share a fake one with shopifytest.
	// Sleep must return early with ctx's error when ctx ends. nil: the real clock.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
}

// secrets are the secrets a signature Shopify made may use: Secret, and
// PreviousSecret during a rotation.
func (a *Adapter) secrets() []string {
	if a.cfg.PreviousSecret == "" || a.cfg.PreviousSecret == a.cfg.Secret {
		return []string{a.cfg.Secret}
	}
	return []string{a.cfg.Secret, a.cfg.PreviousSecret}
}

// Once records keys that may be used once, until they expire.
type Once interface {
	// UseOnce records key as used until expires: the first call succeeds, any
	// other before expires fails with connect.ErrConflict.
	UseOnce(ctx context.Context, key string, expires time.Time) error
}

// OnceForgetter is an optional capability of a [Once]: forgetting a key, so a
// webhook whose handling failed after its id was recorded is handled when
// Shopify delivers it again. Without it such a delivery is answered 5xx, and
// its retry is taken for a duplicate (and logged as lost).
type OnceForgetter interface {
	// ForgetOnce forgets key, as if it had never been used. None is fine.
	ForgetOnce(ctx context.Context, key string) error
}

// ShopClients lists the clients linked to a shop.
type ShopClients interface {
	// ClientsByShopAnyAccount lists the clients, in any account, linked to the shop.
	ClientsByShopAnyAccount(ctx context.Context, shop string) ([]*connect.Client, error)
}

// Adapter is the Shopify port of the core (connect.Shopify): it reaches each
// client's linked store with the client's own token, refreshed before it
// expires. It also makes the install and webhook handlers a portal mounts. It
// is safe for concurrent use.
type Adapter struct {
	cfg       Config
	log       *slog.Logger
	now       func() time.Time
	sleep     func(ctx context.Context, d time.Duration) error
	pageSize  int // orders a query with cfg.LineItems line items each
	stateTTL  time.Duration
	returnURL string

	locks  sync.Map // shop → *sync.Mutex: one token refresh at a time per shop in this process
	spares sync.Map // shop → Token: a refreshed pair that lost its swap (see session.refreshClaimed)
	tel    *telemetry
}

var (
	_ connect.Shopify         = (*Adapter)(nil)
	_ connect.ShopifyUnlinker = (*Adapter)(nil)
)

// UnlinkShopify forgets the client's link to its shop's token; the token
// stays for the other clients linked to the shop, and goes with the last.
// Service.UnlinkShopify calls it (connect.ShopifyUnlinker).
func (a *Adapter) UnlinkShopify(ctx context.Context, client connect.Scope) error {
	return a.cfg.Tokens.DeleteShopifyToken(ctx, client)
}

// New returns an adapter.
// Errors: Invalid when ClientID, Secret, Tokens or Sealer is missing.
func New(cfg Config) (*Adapter, error) {
	switch {
	case cfg.ClientID == "":
		return nil, connect.Errorf(connect.Invalid, "shopify: Config.ClientID is required")
	case cfg.Secret == "":
		return nil, connect.Errorf(connect.Invalid, "shopify: Config.Secret is required")
	case cfg.Tokens == nil:
		return nil, connect.Errorf(connect.Invalid, "shopify: Config.Tokens is required")
	case cfg.Sealer == nil:
		return nil, connect.Errorf(connect.Invalid, "shopify: Config.Sealer is required")
	}
	if cfg.Scopes == nil {
		cfg.Scopes = Scopes()
	}
	if cfg.ReadAllOrders && !slices.Contains(cfg.Scopes, ScopeReadAllOrders) {
		cfg.Scopes = append(slices.Clip(cfg.Scopes), ScopeReadAllOrders)
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if cfg.Buckets == nil {
		cfg.Buckets = NewBuckets()
	}
	if cfg.LineItems <= 0 {
		cfg.LineItems = 5
	}
	cfg.LineItems = min(cfg.LineItems, MaxPageSize)
	tel, err := newTelemetry(cfg.TracerProvider, cfg.MeterProvider)
	if err != nil {
		return nil, err
	}
	a := &Adapter{cfg: cfg, log: cfg.Logger, now: cfg.Now, sleep: cfg.Sleep, tel: tel,
		pageSize: OrdersPageSize(cfg.LineItems), stateTTL: cfg.StateTTL, returnURL: cfg.ReturnURL}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	if a.now == nil {
		a.now = time.Now
	}
	if a.sleep == nil {
		a.sleep = sleep
	}
	if a.stateTTL <= 0 {
		a.stateTTL = 10 * time.Minute
	}
	if a.returnURL == "" {
		a.returnURL = "/"
	}
	return a, nil
}
