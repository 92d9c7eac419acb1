package shopify

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/Khan/genqlient/graphql"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/dispatchkit/connect"
)

// APIVersion is the Admin API version every request names. Shopify supports a
// version for at least 12 months; moving to a newer one means cutting a new
// schema.graphql, regenerating, and changing this constant, nothing else.
const APIVersion = "2026-04"

// GraphQLPath is the path of the Admin GraphQL endpoint on a shop's host.
const GraphQLPath = "/admin/api/" + APIVersion + "/graphql.json"

// ClientConfig configures a [Client] for one shop. The zero value of every optional
// field is a working default.
type ClientConfig struct {
	// Shop is the shop's myshopify.com host name, as [ValidShopDomain] returns it.
	// Required.
	Shop string
	// Token returns the shop's access token; it is called before every request so
	// an expiring token can be refreshed behind it. Required; see [StaticToken].
	Token func(ctx context.Context) (string, error)
	// BaseURL replaces "https://" + Shop, for tests against a local server.
	BaseURL string
	// HTTPClient sends the requests. nil: a client with a 30 s timeout.
	HTTPClient *http.Client
	// Buckets is where the client keeps its estimate of the shop's rate-limit
	// bucket. Share one among all clients of a process so that clients for the
	// same shop wait for each other. nil: this client's own.
	Buckets *Buckets
	// MaxAttempts bounds the tries of one request that meets throttling, HTTP
	// 429 or 5xx, or a network error. 0: 5.
	MaxAttempts int
	// Backoff is the wait before the second try; it doubles for each further
	// one, up to 30 s. 0: 500 ms.
	Backoff time.Duration
	// Logger hears about retries and throttling. nil: silent.
	Logger *slog.Logger
	// TracerProvider makes a client span per operation ("shopify.graphql
	// FulfillmentOrders") with its requested and actual cost, tries, and
	// events for rate-limit waits and retries. nil: no spans (not the global
	// provider). The HTTP requests themselves are the HTTPClient's: give it an
	// instrumented Transport (otelhttp) for a span per try.
	TracerProvider trace.TracerProvider
	// MeterProvider records connect.shopify.request.duration,
	// connect.shopify.throttle.wait and connect.shopify.retries. nil: nothing
	// is measured.
	MeterProvider metric.MeterProvider
	// Now and Sleep are the clock; tests replace them with a fake one. Sleep must
	// return early with ctx's error when ctx ends. nil: the real clock.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
}

// Client sends GraphQL operations to one shop's Admin API. It implements
// genqlient's graphql.Client, so the generated functions take it:
//
//	page, err := shopify.ListOrders(ctx, client, 50, "", shopify.OpenUnfulfilled, ...)
//
// It is safe for concurrent use.
type Client struct {
	shop     string
	endpoint string
	token    func(ctx context.Context) (string, error)
	http     *http.Client
	bucket   *bucket
	attempts int
	backoff  time.Duration
	log      *slog.Logger
	now      func() time.Time
	sleep    func(ctx context.Context, d time.Duration) error
	tel      *telemetry

	versionWarned atomic.Bool // the served API version differed once: warned
}

var _ graphql.Client = (*Client)(nil)

// NewClient returns a client for the shop in c.
// Errors: Invalid when the shop is not a myshopify.com host name or Token is nil.
func NewClient(c ClientConfig) (*Client, error) {
	tel, err := newTelemetry(c.TracerProvider, c.MeterProvider)
	if err != nil {
		return nil, err
	}
	return newClient(c, tel)
}

// newClient is NewClient with the telemetry made already (an Adapter's, shared
// by its sessions).
func newClient(c ClientConfig, tel *telemetry) (*Client, error) {
	shop, err := ValidShopDomain(c.Shop)
	if err != nil {
		return nil, err
	}
	if c.Token == nil {
		return nil, connect.Errorf(connect.Invalid, "shopify: ClientConfig.Token is required")
	}
	base := strings.TrimSuffix(c.BaseURL, "/")
	if base == "" {
		base = "https://" + shop
	}
	cl := &Client{
		shop:     shop,
		endpoint: base + GraphQLPath,
		token:    c.Token,
		http:     c.HTTPClient,
		attempts: c.MaxAttempts,
		backoff:  c.Backoff,
		log:      c.Logger,
		now:      c.Now,
		sleep:    c.Sleep,
		tel:      tel,
	}
	if cl.http == nil {
		cl.http = &http.Client{Timeout: 30 * time.Second}
	}
	if cl.attempts <= 0 {
		cl.attempts = 5
	}
	if cl.backoff <= 0 {
		cl.backoff = 500 * time.Millisecond
	}
	if cl.log == nil {
		cl.log = slog.New(slog.DiscardHandler)
	}
	if cl.now == nil {
		cl.now = time.Now
	}
	if cl.sleep == nil {
		cl.sleep = sleep
	}
	buckets := c.Buckets
	if buckets == nil {
		buckets = NewBuckets()
	}
	cl.bucket = buckets.of(shop)
	return cl, nil
}

// Shop returns the shop's host name.
func (c *Client) Shop() string { return c.shop }

// Throttle returns the client's current estimate of the shop's rate-limit
// bucket, and false before the first answer told it anything.
func (c *Client) Throttle() (ThrottleStatus, bool) { return c.bucket.status(c.now()) }

// StaticToken returns a ClientConfig.Token that always gives the same token, for
// non-expiring tokens and tests.
func StaticToken(token string) func(context.Context) (string, error) {
	return func(context.Context) (string, error) { return token, nil }
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
