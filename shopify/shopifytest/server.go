// Package shopifytest is a fake Shopify for tests: an httptest.Server that
// installs the app (OAuth with expiring tokens), answers the Admin GraphQL API
// of version shopify.APIVersion over in-memory shops, and sends signed webhooks.
//
// It behaves like Shopify where the adapter depends on it: it validates every
// query against the committed schema.graphql and refuses invalid ones, charges
// each query its requested cost against a leaky bucket per shop (2000 points,
// 100 restored a second, on an injectable clock), answers THROTTLED when the
// bucket is short and MAX_COST_EXCEEDED over 1000 points, reports
// extensions.cost on every answer, hides orders older than 60 days from a
// token without read_all_orders (null, as for an order that does not exist),
// and can play an app without approval for protected customer data.
//
// Point code at it with [Server.Client], whose transport sends every request for
// a *.myshopify.com host to the fake, so URLs stay Shopify's own:
//
//	srv := shopifytest.New(shopifytest.Config{})
//	t.Cleanup(srv.Close)
//	shop := srv.Shop("acme.myshopify.com")
//	shop.Seed(600)
//	client, _ := shopify.NewClient(shopify.ClientConfig{Shop: shop.Domain(),
//		Token: shopify.StaticToken(shop.IssueToken()), HTTPClient: srv.Client()})
package shopifytest

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Config configures the fake. The zero value works.
type Config struct {
	// ClientID and Secret are the app's credentials. "": "test-client-id" and
	// "test-client-secret".
	ClientID, Secret string
	// Now is the clock of buckets, tokens and timestamps. nil: time.Now. Tests
	// share a Clock with the client under test.
	Now func() time.Time
	// BucketSize and RestoreRate shape every shop's rate-limit bucket. 0: 2000
	// points and 100 points a second (a Standard plan).
	BucketSize, RestoreRate float64
	// ServedVersion is the API version the fake says it served
	// (X-Shopify-API-Version), as Shopify answers a request for a version it
	// no longer supports with its oldest supported one. "": the one asked.
	ServedVersion string
	// TokenTTL and RefreshTTL are the lifetimes of expiring access and refresh
	// tokens. 0: one hour and 90 days.
	TokenTTL, RefreshTTL time.Duration
	// FieldCosts gives fields ("Order.shippingAddress", "Query.orders") their
	// own cost in place of the default (0 for a scalar, 1 for an object, 2 for
	// a connection before its nodes), as Shopify assigns some fields theirs:
	// the adapter's estimate is then wrong, as it can be against Shopify.
	FieldCosts map[string]int
}

// Server is a fake Shopify. Its methods are safe for concurrent use.
type Server struct {
	cfg  Config
	http *httptest.Server

	mu     sync.Mutex
	seq    int64
	shops  map[string]*Shop
	costs  map[string]int   // Config.FieldCosts and SetFieldCost
	codes  map[string]grant // authorization code → what it grants
	tokens map[string]*token
}

// New starts a fake Shopify. Close it when done.
func New(cfg Config) *Server {
	if cfg.ClientID == "" {
		cfg.ClientID = "test-client-id"
	}
	if cfg.Secret == "" {
		cfg.Secret = "test-client-secret"
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.BucketSize <= 0 {
		cfg.BucketSize = 2000
	}
	if cfg.RestoreRate <= 0 {
		cfg.RestoreRate = 100
	}
	if cfg.TokenTTL <= 0 {
		cfg.TokenTTL = time.Hour
	}
	if cfg.RefreshTTL <= 0 {
		cfg.RefreshTTL = 90 * 24 * time.Hour
	}
	srv := &Server{
		cfg:    cfg,
		seq:    5_900_000_000_000, // ids as long as Shopify's
		shops:  map[string]*Shop{},
		costs:  map[string]int{},
		codes:  map[string]grant{},
		tokens: map[string]*token{},
	}
	for f, c := range cfg.FieldCosts {
		srv.costs[f] = c
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /admin/oauth/authorize", srv.authorize)
	mux.HandleFunc("POST /admin/oauth/access_token", srv.accessToken)
	mux.HandleFunc("POST /admin/api/{version}/graphql.json", srv.graphql)
	srv.http = httptest.NewServer(mux)
	return srv
}

// Close shuts the server down.
func (srv *Server) Close() { srv.http.Close() }

// URL is the server's base URL (http://127.0.0.1:port). Requests to it that do
// not name a shop in their Host go to the shop DefaultShop.
func (srv *Server) URL() string { return srv.http.URL }

// ClientID and Secret are the app's credentials the fake expects.
func (srv *Server) ClientID() string { return srv.cfg.ClientID }

// Secret is the app's secret: the fake signs callbacks and webhooks with it.
func (srv *Server) Secret() string { return srv.cfg.Secret }

// SetFieldCost gives a field ("Type.field") its own cost in place of the
// default, from the next query on; see Config.FieldCosts.
func (srv *Server) SetFieldCost(field string, cost int) {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	srv.costs[field] = cost
}

// DefaultShop is the shop that requests without a *.myshopify.com Host reach.
const DefaultShop = "test-shop.myshopify.com"

// Shop returns the shop with this domain, creating it empty on first use.
func (srv *Server) Shop(domain string) *Shop {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	return srv.shop(domain)
}

func (srv *Server) shop(domain string) *Shop {
	domain = strings.ToLower(domain)
	if s := srv.shops[domain]; s != nil {
		return s
	}
	s := &Shop{
		srv:    srv,
		domain: domain,
		byID:   map[string]*Order{},
		level:  2,
		fields: []string{"name", "email", "phone", "address"},
		bucket: bucket{max: srv.cfg.BucketSize, rate: srv.cfg.RestoreRate, level: srv.cfg.BucketSize, at: srv.cfg.Now()},
	}
	s.stats.LowestAvailable = srv.cfg.BucketSize
	srv.shops[domain] = s
	return s
}

// shopOf returns the shop a request is for, by its Host.
func (srv *Server) shopOf(r *http.Request) *Shop {
	host := r.Host
	if h, _, ok := strings.Cut(host, ":"); ok {
		host = h
	}
	if !strings.HasSuffix(strings.ToLower(host), ".myshopify.com") {
		host = DefaultShop
	}
	return srv.shop(host)
}

func (srv *Server) now() time.Time { return srv.cfg.Now() }

// Client returns an HTTP client that sends requests for any *.myshopify.com
// host to the fake (over plain HTTP, keeping the Host), and others to the
// network as usual.
func (srv *Server) Client() *http.Client {
	target, _ := url.Parse(srv.http.URL)
	return &http.Client{Transport: RedirectShops(target, srv.http.Client().Transport), Timeout: 30 * time.Second}
}

// RedirectShops returns a RoundTripper that sends requests for *.myshopify.com
// hosts to target (a fake Shopify, perhaps in another process), keeping the
// shop's name in the Host header, where the fake reads it; other requests go to
// next as they are.
func RedirectShops(target *url.URL, next http.RoundTripper) http.RoundTripper {
	return rewrite{target: target, next: next}
}

type rewrite struct {
	target *url.URL
	next   http.RoundTripper
}

func (t rewrite) RoundTrip(r *http.Request) (*http.Response, error) {
	if !strings.HasSuffix(strings.ToLower(r.URL.Hostname()), ".myshopify.com") {
		return t.next.RoundTrip(r)
	}
	r2 := r.Clone(r.Context())
	r2.URL.Scheme, r2.URL.Host = t.target.Scheme, t.target.Host
	r2.Host = r.URL.Host
	return t.next.RoundTrip(r2)
}
