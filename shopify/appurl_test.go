package shopify_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/shopify/shopifytest"
)

const appURL = "https://portal.example/shopify/app"

// openApp runs the App URL handler on the URL Shopify opens.
func (r *rig) openApp(raw string) *httptest.ResponseRecorder {
	r.t.Helper()
	w := httptest.NewRecorder()
	r.install.App(w, httptest.NewRequest(http.MethodGet, raw, nil))
	return w
}

// linkPage runs the link page: GET, or POST to confirm, as the cookie's actor.
func (r *rig) linkPage(method, cookie, ticket string) *httptest.ResponseRecorder {
	r.t.Helper()
	req := httptest.NewRequest(method, appURL+"/link?"+url.Values{"ticket": {ticket}}.Encode(), nil)
	if cookie != "" {
		req.AddCookie(&http.Cookie{Name: "session", Value: cookie})
	}
	w := httptest.NewRecorder()
	r.install.Link(w, req)
	return w
}

// ticketOf reads the ticket of the App URL's redirect to the link page.
func ticketOf(t *testing.T, w *httptest.ResponseRecorder) string {
	t.Helper()
	loc, err := url.Parse(w.Header().Get("Location"))
	if w.Code != http.StatusSeeOther || err != nil || loc.Path != "/shopify/app/link" || loc.Query().Get("ticket") == "" {
		t.Fatalf("App answered %d, Location %q: %s; want 303 to /shopify/app/link with a ticket", w.Code, w.Header().Get("Location"), w.Body)
	}
	return loc.Query().Get("ticket")
}

// An install Shopify starts (the App Store, an install link) reaches the App
// URL; once its signature checks out, an owner signed in to the portal
// confirms the client, and the install goes on as one started in the portal.
func TestAppURLInstallLinksTheOwnersClient(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	ticket := ticketOf(t, r.openApp(r.srv.AppURL("acme.myshopify.com", appURL)))

	page := r.linkPage(http.MethodGet, "owner", ticket)
	if page.Code != http.StatusOK || !strings.Contains(page.Body.String(), "Link acme.myshopify.com to Client client-1?") ||
		!strings.Contains(page.Body.String(), `method="post"`) {
		t.Fatalf("link page answered %d: %s", page.Code, page.Body)
	}
	if n := len(r.links.linked()); n != 0 {
		t.Fatalf("showing the page linked %d stores", n)
	}
	w := r.callback("owner", r.approve(r.linkPage(http.MethodPost, "owner", ticket)))
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != returnURL {
		t.Fatalf("Callback answered %d, Location %q: %s", w.Code, w.Header().Get("Location"), w.Body)
	}
	if d := cmp.Diff([]linkCall{{r.owner, "acme.myshopify.com"}}, r.links.linked()); d != "" {
		t.Errorf("LinkShopify calls (-want +got):\n%s", d)
	}
	if shop, _ := r.storedToken(r.scope); shop != "acme.myshopify.com" {
		t.Errorf("the client's token is for %q", shop)
	}
	// Opening the app again from the admin goes to the portal.
	again := r.linkPage(http.MethodGet, "owner", ticketOf(t, r.openApp(r.srv.AppURL("acme.myshopify.com", appURL))))
	if again.Code != http.StatusSeeOther || again.Header().Get("Location") != returnURL {
		t.Errorf("the linked store's App URL answered %d, Location %q; want the portal", again.Code, again.Header().Get("Location"))
	}
}

// Every way the App URL or its link page can be wrong is refused with 403
// and links nothing: a request Shopify did not sign (or signed long ago), a
// ticket made up or expired, no session, a dispatcher, a plain member.
func TestAppURLRefusals(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.signIn("member", connect.AsMember("acct-1", "client-1", "member-2"))
	r.links.roles = map[connect.MemberID]connect.Role{"member-2": connect.RoleMember}
	r.signIn("dispatcher", connect.AsDispatcher("acct-1", "dana"))

	signed := r.srv.AppURL("acme.myshopify.com", appURL)
	tampered := strings.Replace(signed, "shop=acme", "shop=evil", 1)
	other := shopifytest.New(shopifytest.Config{Secret: "another-apps-secret", Now: r.clock.Now})
	t.Cleanup(other.Close)
	for name, raw := range map[string]string{
		"a tampered shop":            tampered,
		"no hmac":                    appURL + "?shop=acme.myshopify.com&timestamp=1",
		"another app's signature":    other.AppURL("acme.myshopify.com", appURL),
		"a signature of an hour ago": "",
	} {
		if raw == "" {
			old := r.srv.AppURL("acme.myshopify.com", appURL)
			r.clock.Advance(time.Hour)
			raw = old
		}
		if w := r.openApp(raw); w.Code != http.StatusForbidden || w.Header().Get("Location") != "" {
			t.Errorf("%s: App answered %d, Location %q; want 403", name, w.Code, w.Header().Get("Location"))
		}
	}

	ticket := ticketOf(t, r.openApp(r.srv.AppURL("acme.myshopify.com", appURL)))
	body, sig, _ := strings.Cut(ticket, ".")
	for name, try := range map[string]struct{ method, cookie, ticket, want string }{
		"no session":            {http.MethodPost, "", ticket, "sign in"},
		"a dispatcher":          {http.MethodPost, "dispatcher", ticket, "only the owner or an admin"},
		"a plain member":        {http.MethodPost, "member", ticket, "only the owner or an admin of Client client-1"},
		"a plain member's view": {http.MethodGet, "member", ticket, "only the owner or an admin"},
		"no ticket":             {http.MethodPost, "owner", "", "not one Shopify opened"},
		"a forged ticket":       {http.MethodPost, "owner", body + "x." + sig, "not one Shopify opened"},
	} {
		w := r.linkPage(try.method, try.cookie, try.ticket)
		if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), try.want) || w.Header().Get("Location") != "" {
			t.Errorf("%s: link page answered %d, Location %q: %s; want 403 saying %q", name, w.Code, w.Header().Get("Location"), w.Body, try.want)
		}
	}
	r.clock.Advance(31 * time.Minute)
	if w := r.linkPage(http.MethodPost, "owner", ticket); w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "expired") {
		t.Errorf("an expired ticket: %d %s", w.Code, w.Body)
	}
	if n := len(r.links.linked()); n != 0 {
		t.Errorf("%d stores linked", n)
	}
	if _, n := r.tokens.snapshot(); n != 0 {
		t.Errorf("%d tokens saved", n)
	}
}
