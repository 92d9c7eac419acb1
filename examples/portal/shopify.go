package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"time"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/portal"
	"github.com/dispatchkit/connect/shopify"
	"github.com/dispatchkit/connect/shopify/shopifytest"
)

// demoShop is the fake store the demo links when no Shopify app is configured.
const demoShop = "green-grocer.myshopify.com"

// shopifyWiring is the Shopify adapter and what its handlers need besides the
// Service: the fake Shopify when the demo runs one.
type shopifyWiring struct {
	adapter *shopify.Adapter
	fake    *shopifytest.Server // nil with a real app's credentials
}

// shopifyAdapter makes the Shopify adapter, the first of the three steps of the
// wiring (adapter, Service, handlers). With an app's credentials it talks to
// Shopify; without, it runs package shopifytest's fake Shopify in this process,
// with a store of demo orders, so that linking a store and importing its orders
// works offline.
func (h *host) shopifyAdapter(ctx context.Context) (*shopifyWiring, error) {
	key, _ := hex.DecodeString(h.state.ShopifyKey)
	sealer, err := shopify.NewSealer(key)
	if err != nil {
		return nil, err
	}
	acfg := shopify.Config{
		ClientID: h.cfg.ShopifyClientID, Secret: h.cfg.ShopifySecret,
		Tokens: h.store, Sealer: sealer, Once: h.store, Clients: h.store,
		Session:         func(r *http.Request) (connect.Actor, bool) { return portal.ActorFromContext(r.Context()) },
		RedirectURL:     h.cfg.BaseURL + "/shopify/callback",
		ReturnURL:       h.cfg.BaseURL + "/settings/integrations",
		TrackingCompany: "Demo Deliveries",
		Logger:          h.log,
	}
	var fake *shopifytest.Server
	if h.cfg.ShopifyAPIURL != "" {
		target, err := url.Parse(h.cfg.ShopifyAPIURL)
		if err != nil || target.Host == "" {
			return nil, fmt.Errorf("-shopify-api-url %q is not a base URL", h.cfg.ShopifyAPIURL)
		}
		acfg.HTTPClient = &http.Client{Timeout: 30 * time.Second, Transport: shopifytest.RedirectShops(target, http.DefaultTransport)}
	} else if acfg.ClientID == "" || acfg.Secret == "" {
		fake = shopifytest.New(shopifytest.Config{Secret: h.state.ShopifySecret})
		h.closers = append(h.closers, fake.Close)
		fake.Shop(demoShop).Seed(25)
		addTwoLocationOrder(fake.Shop(demoShop))
		acfg.ClientID, acfg.Secret, acfg.HTTPClient = fake.ClientID(), fake.Secret(), fake.Client()
		h.shopifyDemo, h.shopifyFake = true, fake
	}
	adapter, err := shopify.New(acfg)
	if err != nil {
		return nil, err
	}
	if fake != nil {
		if err := h.relinkDemoShop(ctx, fake, sealer); err != nil {
			return nil, err
		}
	}
	return &shopifyWiring{adapter: adapter, fake: fake}, nil
}

// handlers returns what the portal mounts for Shopify, acting through the
// Service: the install flow under /shopify/ and the webhooks.
func (sw *shopifyWiring) handlers(svc *connect.Service) (install, webhooks http.Handler, err error) {
	wh, err := sw.adapter.WebhookHandler(svc)
	if err != nil {
		return nil, nil, err
	}
	ih, err := sw.adapter.InstallHandler(svc)
	if err != nil {
		return nil, nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/shopify/install", func(w http.ResponseWriter, r *http.Request) {
		if sw.fake == nil {
			ih.Start(w, r)
			return
		}
		if r.FormValue("shop") == "" {
			r.Form.Set("shop", demoShop) // FormValue parsed the form: Start reads it from there
		}
		demoApprove(w, r, ih.Start, sw.fake)
	})
	mux.HandleFunc("GET /shopify/callback", ih.Callback)
	// Installs Shopify starts (the App Store, an install link) open the App
	// URL (shopify.app.toml's application_url), which sends the merchant on to
	// the link page once signed in.
	mux.HandleFunc("GET /shopify/app", ih.App)
	mux.HandleFunc("/shopify/app/link", func(w http.ResponseWriter, r *http.Request) {
		if sw.fake == nil || r.Method != http.MethodPost {
			ih.Link(w, r)
			return
		}
		demoApprove(w, r, ih.Link, sw.fake)
	})
	return mux, wh, nil
}

// demoApprove plays the merchant approving the app on the fake Shopify: the
// install starts as it would (start: a signed state, Shopify's approval URL),
// the fake approves at once, and the browser goes straight to the callback
// Shopify would send it to, which checks everything as in production.
func demoApprove(w http.ResponseWriter, r *http.Request, start http.HandlerFunc, fake *shopifytest.Server) {
	rec := httptest.NewRecorder()
	start(rec, r)
	approve := rec.Header().Get("Location")
	if rec.Code != http.StatusSeeOther || approve == "" {
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = rec.Body.WriteTo(w)
		return
	}
	c := fake.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	res, err := c.Get(approve)
	if err != nil {
		http.Error(w, "the fake Shopify did not answer: "+err.Error(), http.StatusBadGateway)
		return
	}
	res.Body.Close()
	callback, err := url.Parse(res.Header.Get("Location"))
	if err != nil || res.StatusCode != http.StatusFound {
		http.Error(w, "the fake Shopify refused the install", http.StatusBadGateway)
		return
	}
	http.Redirect(w, r, callback.RequestURI(), http.StatusSeeOther)
}

// twoLocationOrder is the note of the demo store's order stocked at two
// locations: Shopify fulfills it one location at a time, and the demo shows
// both fulfillments and their delivery progress.
const twoLocationOrder = "Stocked at two locations: fulfilled from each"

// addTwoLocationOrder adds to the demo store an order whose items are stocked
// at two locations, one fulfillment order each.
func addTwoLocationOrder(shop *shopifytest.Shop) shopifytest.Order {
	return shop.AddOrder(shopifytest.Order{
		Email: "olivia.hart@example.com", Phone: "+15125550187", Note: twoLocationOrder,
		ShippingAddress: &shopifytest.Address{FirstName: "Olivia", LastName: "Hart", Address1: "2200 Lake Austin Blvd",
			City: "Austin", Province: "Texas", ProvinceCode: "TX", Zip: "78703", CountryCode: "US"},
		LineItems: []shopifytest.LineItem{
			{Name: "Sourdough loaf", SKU: "BREAD-SD", Quantity: 2, Location: shopifytest.DefaultLocation},
			{Name: "Olive oil 1 l", SKU: "OIL-1L", Quantity: 1, Location: "East warehouse"},
		},
	})
}

// relinkDemoShop gives clients linked to the demo store a token of the fake
// started now: the fake keeps its tokens in memory, so those of a previous run
// are unknown to it.
func (h *host) relinkDemoShop(ctx context.Context, fake *shopifytest.Server, sealer *shopify.Sealer) error {
	clients, err := h.store.ClientsByShopAnyAccount(ctx, demoShop)
	if err != nil {
		return err
	}
	if len(clients) == 0 {
		return nil
	}
	// One token for the shop, shared by its clients, as Shopify keeps one.
	tok, _ := json.Marshal(shopify.Token{AccessToken: fake.Shop(demoShop).IssueToken(), Scopes: shopify.Scopes()})
	sealed := sealer.SealShop(demoShop, tok)
	for _, c := range clients {
		if _, err := h.store.SaveShopifyToken(ctx, connect.Scope{Account: c.Account, Client: c.ID}, demoShop, sealed, time.Now()); err != nil {
			return err
		}
	}
	return nil
}
