package main

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/dispatchkit/connect"
)

// An install Shopify starts opens shopify.app.toml's application_url: the
// portal checks Shopify's signature, asks the merchant to sign in and comes
// back, and the owner confirms the client the store links to. A request
// Shopify did not sign, a dispatcher and a plain member link nothing.
func TestAppURLInstallThroughThePortal(t *testing.T) {
	th := startHost(t, t.TempDir())
	if th.shopifyFake == nil {
		t.Fatal("no fake Shopify")
	}
	ctx := context.Background()
	const shop = "corner-shop.myshopify.com"
	owner, err := th.svc.AcceptInvite(ctx, strings.TrimPrefix(th.inviteLink(), th.base+"/invite/"),
		connect.SignUp{Name: "Gina", Email: "gina@greengrocer.test", Password: "long enough password"})
	if err != nil {
		t.Fatal(err)
	}
	inv, err := th.svc.InviteMember(ctx, owner.Actor, connect.InviteMemberParams{Email: "max@greengrocer.test", Role: connect.RoleMember})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := th.svc.AcceptInvite(ctx, inv.Token, connect.SignUp{Name: "Max", Email: "max@greengrocer.test", Password: "long enough password"}); err != nil {
		t.Fatal(err)
	}
	linked := func() string {
		t.Helper()
		cl, err := th.svc.Client(ctx, owner.Actor, owner.Client.ID)
		if err != nil {
			t.Fatal(err)
		}
		return cl.Shopify.Shop
	}
	// open follows the App URL to the link page's address.
	open := func(c *http.Client, raw string) string {
		t.Helper()
		u, _ := url.Parse(raw)
		res, err := c.Get(th.base + u.RequestURI())
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		loc := res.Header.Get("Location")
		if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/shopify/app/link?ticket=") {
			t.Fatalf("App URL: %d %q", res.StatusCode, loc)
		}
		return loc
	}
	appURL := th.shopifyFake.AppURL(shop, th.cfg.BaseURL+"/shopify/app")

	t.Run("a request Shopify did not sign is refused before sign-in", func(t *testing.T) {
		u, _ := url.Parse(strings.Replace(appURL, "corner-shop", "other-shop", 1))
		status, _ := th.get(t, th.client(), u.RequestURI())
		if status != http.StatusForbidden {
			t.Errorf("tampered App URL: %d; want 403", status)
		}
	})

	t.Run("a dispatcher is sent to the portal's sign-in", func(t *testing.T) {
		c := th.client()
		th.form(t, c, "/demo/login", url.Values{"email": {dispatcherEmail}, "password": {th.state.DispatcherPassword}})
		link := open(c, appURL)
		res := th.form(t, c, link, nil)
		if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/signin") {
			t.Errorf("dispatcher's POST to the link page: %d %q; want the portal's sign-in", res.StatusCode, res.Header.Get("Location"))
		}
	})

	t.Run("a plain member may not link", func(t *testing.T) {
		c := th.client()
		th.form(t, c, "/signin", url.Values{"email": {"max@greengrocer.test"}, "password": {"long enough password"}})
		link := open(c, appURL)
		if res := th.form(t, c, link, nil); res.StatusCode != http.StatusForbidden {
			t.Errorf("member's POST to the link page: %d; want 403", res.StatusCode)
		}
	})
	if got := linked(); got != "" {
		t.Fatalf("linked %q before the owner confirmed", got)
	}

	c := th.client()
	link := open(c, appURL)
	res, err := c.Get(th.base + link)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	signIn, _ := url.Parse(res.Header.Get("Location"))
	if res.StatusCode != http.StatusSeeOther || signIn.Path != "/signin" || signIn.Query().Get("next") != link {
		t.Fatalf("link page without a session: %d %q; want sign-in coming back", res.StatusCode, res.Header.Get("Location"))
	}
	res = th.form(t, c, "/signin", url.Values{"email": {"gina@greengrocer.test"}, "password": {"long enough password"}, "next": {link}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != link {
		t.Fatalf("sign-in: %d %q; want back to the link page", res.StatusCode, res.Header.Get("Location"))
	}
	status, page := th.get(t, c, link)
	if status != http.StatusOK || !strings.Contains(page, "Link "+shop+" to "+owner.Client.Name+"?") {
		t.Fatalf("link page: %d\n%s", status, page)
	}
	res = th.form(t, c, link, nil)
	callback := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(callback, "/shopify/callback?") {
		t.Fatalf("confirm: %d %q", res.StatusCode, callback)
	}
	res, err = c.Get(th.base + callback)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != th.base+"/settings/integrations" {
		t.Fatalf("callback: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	if got := linked(); got != shop {
		t.Fatalf("linked %q; want %s", got, shop)
	}
}
