package main

// Tests of issue #17's findings about the demo host.

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// postWebhook posts a customers/redact webhook for the demo store signed with secret.
func postWebhook(t *testing.T, th *testHost, secret string) int {
	t.Helper()
	body := `{"shop_domain":"` + demoShop + `","customer":{"id":1,"email":"rita@example.com"},"orders_to_redact":[1001]}`
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(body))
	req, _ := http.NewRequest(http.MethodPost, th.base+"/shopify/webhooks", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Shopify-Topic", "customers/redact")
	req.Header.Set("X-Shopify-Shop-Domain", demoShop)
	req.Header.Set("X-Shopify-Webhook-Id", "wh-"+secret[:4])
	req.Header.Set("X-Shopify-Hmac-Sha256", base64.StdEncoding.EncodeToString(m.Sum(nil)))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

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
	if status := postWebhook(t, th, "test-client-secret"); status != http.StatusUnauthorized {
		t.Fatalf("a webhook signed with the public test secret: %d, want 401", status)
	}
	if status := postWebhook(t, th, secret); status == http.StatusUnauthorized {
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
