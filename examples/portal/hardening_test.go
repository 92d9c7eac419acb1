package main

// Tests of issue #17's findings about the demo host.

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dispatchkit/connect"
)

// postWebhook posts a webhook of the topic for the demo store signed with
// secret, with X-Shopify-Triggered-At unless triggered is zero.
func postWebhook(t *testing.T, th *testHost, secret, topic, body string, triggered time.Time) int {
	t.Helper()
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(body))
	req, _ := http.NewRequest(http.MethodPost, th.base+"/shopify/webhooks", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Shopify-Topic", topic)
	req.Header.Set("X-Shopify-Shop-Domain", demoShop)
	req.Header.Set("X-Shopify-Webhook-Id", fmt.Sprintf("wh-%d", time.Now().UnixNano()))
	req.Header.Set("X-Shopify-Hmac-Sha256", base64.StdEncoding.EncodeToString(m.Sum(nil)))
	if !triggered.IsZero() {
		req.Header.Set("X-Shopify-Triggered-At", triggered.UTC().Format(time.RFC3339Nano))
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

const redactBody = `{"shop_domain":"` + demoShop + `","customer":{"id":1,"email":"rita@example.com"},"orders_to_redact":[1001]}`

func TestTheFakeShopifySecretIsRandomPerDataDirectory(t *testing.T) {
	dir := t.TempDir()
	th := startHost(t, dir)
	if !th.shopifyDemo {
		t.Fatal("the host does not run the fake Shopify")
	}
	secret := th.state.ShopifySecret
	if len(secret) < 32 || secret == "test-client-secret" {
		t.Fatalf("the fake Shopify's secret is %q", secret)
	}
	if status := postWebhook(t, th, "test-client-secret", "customers/redact", redactBody, time.Now()); status != http.StatusUnauthorized {
		t.Fatalf("a webhook signed with the public test secret: %d, want 401", status)
	}
	if status := postWebhook(t, th, secret, "customers/redact", redactBody, time.Now()); status == http.StatusUnauthorized {
		t.Fatalf("a webhook signed with the data directory's secret was refused")
	}
	th.Close()
	if th2 := startHost(t, dir); th2.state.ShopifySecret != secret {
		t.Fatalf("the secret changed across restarts on the same data directory")
	}
	if other := startHost(t, t.TempDir()); other.state.ShopifySecret == secret {
		t.Fatalf("two data directories share the fake Shopify's secret")
	}
}

func TestDemoLoginNextStaysOnTheSite(t *testing.T) {
	th := startHost(t, t.TempDir())
	for _, next := range []string{"/%09/evil.example/", "//evil.example/", "/\\evil.example/", "/%5Cevil.example/",
		"/%0a/evil.example/", "https://evil.example/", "/%0d%0a/evil.example", "%2F%2Fevil.example"} {
		c := th.client()
		// The page carries next into its form; the form posts it back.
		if status, body := th.get(t, c, "/demo/login?next="+next); status != http.StatusOK || strings.Contains(body, "evil.example") {
			t.Errorf("login page with next=%s: %d, keeps the target: %v", next, status, strings.Contains(body, "evil.example"))
		}
		raw, _ := url.QueryUnescape(next)
		res := th.form(t, c, "/demo/login", url.Values{"email": {dispatcherEmail}, "password": {th.state.DispatcherPassword}, "next": {raw}})
		if loc := res.Header.Get("Location"); loc != "/dispatch/" {
			t.Errorf("next=%q: redirected to %q, want /dispatch/", raw, loc)
		}
	}
	c := th.client()
	res := th.form(t, c, "/demo/login", url.Values{"email": {dispatcherEmail}, "password": {th.state.DispatcherPassword}, "next": {"/demo/routes?x=1"}})
	if loc := res.Header.Get("Location"); loc != "/demo/routes?x=1" {
		t.Errorf("a local next: redirected to %q", loc)
	}
}

func TestTheDatabaseAndDataDirectoryAreTheOwnersOnly(t *testing.T) {
	dir := t.TempDir()
	th := startHost(t, dir)
	for path, want := range map[string]os.FileMode{
		filepath.Join(dir, "demo.db"):     0o600,
		filepath.Join(dir, "demo.db-wal"): 0o600,
		th.cfg.DataDir:                    0o700 | os.ModeDir,
	} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != want {
			t.Errorf("%s: mode %v, want %v", filepath.Base(path), fi.Mode(), want)
		}
	}
}

// linkDemoStore signs the seeded client's owner up and links the demo store
// through the install flow, as TestTheFakeShopifyLinksAStoreAndImportsItsOrders does.
func linkDemoStore(t *testing.T, th *testHost) connect.Actor {
	t.Helper()
	acc, err := th.svc.AcceptInvite(context.Background(), strings.TrimPrefix(th.inviteLink(), th.base+"/invite/"),
		connect.SignUp{Name: "Gina", Email: "gina@greengrocer.test", Password: "long enough password"})
	if err != nil {
		t.Fatal(err)
	}
	c := th.client()
	if r := th.form(t, c, "/signin", url.Values{"email": {"gina@greengrocer.test"}, "password": {"long enough password"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in: %d", r.StatusCode)
	}
	res, err := c.Get(th.base + "/shopify/install?shop=")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	callback := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(callback, "/shopify/callback?") {
		t.Fatalf("install: %d %q", res.StatusCode, callback)
	}
	if res, err = c.Get(th.base + callback); err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if shop := linkedShop(t, th, acc.Actor); shop != demoShop {
		t.Fatalf("linked shop %q", shop)
	}
	return acc.Actor
}

func linkedShop(t *testing.T, th *testHost, a connect.Actor) string {
	t.Helper()
	cl, err := th.svc.Client(context.Background(), a, a.Client)
	if err != nil {
		t.Fatal(err)
	}
	return cl.Shopify.Shop
}

func TestAnUninstallWithoutItsTimeDoesNotUndoALink(t *testing.T) {
	th := startHost(t, t.TempDir())
	owner := linkDemoStore(t, th)
	uninstall := `{"id":1,"name":"Green Grocer","myshopify_domain":"` + demoShop + `"}`
	// A captured delivery replayed without its X-Shopify-Triggered-At (the header is
	// not signed): it cannot be ordered against the link, so it changes nothing.
	postWebhook(t, th, th.state.ShopifySecret, "app/uninstalled", uninstall, time.Time{})
	if shop := linkedShop(t, th, owner); shop != demoShop {
		t.Fatalf("an uninstall without its time unlinked the store (linked to %q)", shop)
	}
	// One older than the link changes nothing either.
	postWebhook(t, th, th.state.ShopifySecret, "app/uninstalled", uninstall, time.Now().Add(-time.Hour))
	if shop := linkedShop(t, th, owner); shop != demoShop {
		t.Fatalf("an uninstall older than the link unlinked the store")
	}
	// Shopify's own, newer than the link, unlinks it.
	postWebhook(t, th, th.state.ShopifySecret, "app/uninstalled", uninstall, time.Now())
	if shop := linkedShop(t, th, owner); shop != "" {
		t.Fatalf("a timed uninstall left the store linked to %q", shop)
	}
}
