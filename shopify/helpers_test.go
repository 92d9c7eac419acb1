package shopify_test

import (
	"testing"

	"github.com/dispatchkit/connect/shopify"
	"github.com/dispatchkit/connect/shopify/shopifytest"
)

// fixture is a fake Shopify with one shop, and a client for it, on a fake
// clock shared by both: waiting for the bucket takes no real time.
type fixture struct {
	srv    *shopifytest.Server
	shop   *shopifytest.Shop
	clock  *shopifytest.Clock
	client *shopify.Client
}

func newFixture(t *testing.T, edit ...func(*shopify.ClientConfig)) *fixture {
	t.Helper()
	f := &fixture{clock: &shopifytest.Clock{}}
	f.srv = shopifytest.New(shopifytest.Config{Now: f.clock.Now})
	t.Cleanup(f.srv.Close)
	f.shop = f.srv.Shop("acme.myshopify.com")
	cfg := shopify.ClientConfig{
		Shop:       f.shop.Domain(),
		Token:      shopify.StaticToken(f.shop.IssueToken()),
		HTTPClient: f.srv.Client(),
		Now:        f.clock.Now,
		Sleep:      f.clock.Sleep,
	}
	for _, e := range edit {
		e(&cfg)
	}
	c, err := shopify.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	f.client = c
	return f
}
