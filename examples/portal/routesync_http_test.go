package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/shopify/shopifytest"
)

func TestHTTPRouteSyncPostsEachChangeWithItsKey(t *testing.T) {
	var got []StopPush
	var keys []string
	fail := false
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if fail {
			http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
			return
		}
		var p StopPush
		if err := json.NewDecoder(r.Body).Decode(&p); err != nil || r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
			http.Error(w, "bad push", http.StatusBadRequest)
			return
		}
		got, keys = append(got, p), append(keys, r.Header.Get("Idempotency-Key"))
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)

	rs := newHTTPRouteSync(srv.URL)
	o := &connect.Order{ID: "o1", Account: "acc", Client: "c1", Depot: "north", Status: connect.StatusSubmitted, Version: 2,
		OrderInput: connect.OrderInput{Ref: "R-1", Address: connect.Address{Line1: "1 Main St", City: "Springfield"}}}
	if err := rs.SyncStop(context.Background(), connect.StopChange{Key: "o1/1/0/route_sync", Event: connect.EventSubmit, Order: o}); err != nil {
		t.Fatal(err)
	}
	want := []StopPush{{Key: "o1/1/0/route_sync", Event: connect.EventSubmit, Order: "o1", Status: connect.StatusSubmitted, Version: 2, Account: "acc", Client: "c1",
		Ref: "R-1", Depot: "north", Address: "1 Main St", City: "Springfield"}}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("pushes (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"o1/1/0/route_sync"}, keys); d != "" {
		t.Fatalf("Idempotency-Key headers (-want +got):\n%s", d)
	}

	// A receiver that is down is a failure the outbox retries.
	fail = true
	err := rs.SyncStop(context.Background(), connect.StopChange{Key: "o1/2/0/route_sync", Event: connect.EventWithdraw, Order: o})
	if connect.ErrorCode(err) != connect.Unavailable {
		t.Fatalf("push to a receiver that is down: %v, want unavailable", err)
	}
}

func TestShopifyRequestsGoToTheGivenBaseURL(t *testing.T) {
	var host, path string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, path = r.Host, r.URL.Path
	}))
	t.Cleanup(srv.Close)
	target, _ := url.Parse(srv.URL)
	c := &http.Client{Timeout: 5 * time.Second, Transport: shopifytest.RedirectShops(target, http.DefaultTransport)}
	res, err := c.Post("https://acme.myshopify.com/admin/api/2026-04/graphql.json", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if host != "acme.myshopify.com" || path != "/admin/api/2026-04/graphql.json" {
		t.Fatalf("the fake saw Host %q, path %q", host, path)
	}
}

func TestFlagsPointTheHostAtExternalServices(t *testing.T) {
	t.Setenv("CONNECT_OUTBOX_LEASE", "3s")
	cfg, err := parseFlags([]string{"-route-sync-url", "http://127.0.0.1:9/stops", "-shopify-api-url", "http://127.0.0.1:9",
		"-shopify-client-id", "id", "-shopify-secret", "secret", "-outbox-poll", "50ms", "-outbox-retry", "200ms"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.RouteSyncURL != "http://127.0.0.1:9/stops" || cfg.ShopifyAPIURL != "http://127.0.0.1:9" {
		t.Fatalf("config %+v", cfg)
	}
	opts := cfg.outboxOptions()
	if opts.Poll != 50*time.Millisecond || opts.Lease != 3*time.Second || opts.Backoff == nil || opts.Backoff(7) != 200*time.Millisecond {
		t.Fatalf("outbox options %+v", opts)
	}

	// Unset or empty, the worker runs with connect's defaults; a bad duration is refused.
	t.Setenv("CONNECT_OUTBOX_LEASE", "")
	if cfg, err = parseFlags(nil); err != nil || cfg.outboxOptions().Lease != 0 || cfg.outboxOptions().Backoff != nil {
		t.Fatalf("defaults: %+v %v", cfg, err)
	}
	t.Setenv("CONNECT_OUTBOX_LEASE", "soon")
	if _, err = parseFlags(nil); err == nil {
		t.Fatal("CONNECT_OUTBOX_LEASE=soon was taken")
	}
	// A fake Shopify needs its credentials.
	if _, err = parseFlags([]string{"-shopify-api-url", "http://127.0.0.1:9"}); err == nil {
		t.Fatal("-shopify-api-url without credentials was taken")
	}
}

func TestTheDemoStopListSurvivesChangesOutOfOrder(t *testing.T) {
	r := &routeSync{log: slog.New(slog.DiscardHandler)}
	ctx := context.Background()
	// Submitted (version 1 → 2), then withdrawn (2 → 3); after a crash the
	// withdrawal arrives first and the submission after it, both carrying the
	// order as it is now: a draft.
	now := &connect.Order{ID: "o1", Status: connect.StatusDraft, Version: 3}
	for _, c := range []connect.StopChange{
		{Key: "o1/2/1/route_sync", Event: connect.EventWithdraw, Order: now},
		{Key: "o1/1/1/route_sync", Event: connect.EventSubmit, Order: now},
	} {
		if err := r.SyncStop(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	if r.count() != 0 {
		t.Fatalf("the demo holds %d stops for a withdrawn order", r.count())
	}
	// In order, a submitted order is a stop.
	if err := r.SyncStop(ctx, connect.StopChange{Key: "o2/1/1/route_sync", Event: connect.EventSubmit,
		Order: &connect.Order{ID: "o2", Status: connect.StatusSubmitted, Version: 2}}); err != nil || r.count() != 1 {
		t.Fatalf("after a submission: %d stops, %v", r.count(), err)
	}
}
