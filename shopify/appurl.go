package shopify

import (
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/dispatchkit/connect"
)

// AppLinkTTL is how long the merchant has, after Shopify opened the App URL,
// to sign in to the portal and choose the client the store links to.
const AppLinkTTL = 30 * time.Minute

// appTicket is what the App URL hands on to the link page once Shopify's
// signature checked out: that Shopify opened the app for this shop, until
// when. It is signed with the app's secret, as the install state is.
type appTicket struct {
	Shop    string `json:"s"`
	Expires int64  `json:"e"` // Unix seconds
}

// ticketContext separates the ticket's MAC from the install state's and
// Shopify's own.
const ticketContext = "dispatchkit/connect shopify app ticket v1\x00"

// App serves the App URL (shopify.app.toml's application_url): the page
// Shopify opens, with shop, hmac, timestamp and host (and sometimes more),
// when a merchant installs the app from the App Store or an install link, or
// opens it from the Shopify admin. It checks Shopify's signature over the
// form-encoded query (constant time) and the timestamp's freshness, then sends
// the merchant to the link page, the App URL's path with "/link" appended
// (/shopify/app → /shopify/app/link), with a ticket naming the shop, good for
// AppLinkTTL. It needs no session and changes nothing: a host mounts it where
// anyone may reach it, and the link page where the portal asks people to sign
// in first (and back). A request Shopify did not sign is refused with 403.
func (h *InstallHandler) App(w http.ResponseWriter, r *http.Request) {
	a := h.a
	now := a.now()
	q := r.URL.Query()
	if err := verifyCallback(q, now, a.cfg.CallbackMaxAge, a.secrets()...); err != nil {
		refuseErr(r.Context(), a, w, err)
		return
	}
	shop, _ := ValidShopDomain(q.Get("shop")) // checked by verifyCallback
	ticket := a.sign(ticketContext, appTicket{Shop: shop, Expires: now.Add(AppLinkTTL).Unix()})
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, strings.TrimSuffix(r.URL.Path, "/")+"/link?"+url.Values{"ticket": {ticket}}.Encode(), http.StatusSeeOther)
}

// Link is the link page the App URL sends the merchant to, signed in to the
// portal. GET shows which client the store will link to: the client of the
// signed-in membership (a person on several teams chose one when signing in;
// to choose another, they sign out and in again). POST starts the install for
// that client as Start does, on to Shopify's approval page and back to
// Callback. Only the owner or an admin of a client may: a member, a dispatcher
// or a request without a session is refused with 403, and nothing is linked.
// A store already linked to the client goes straight to Config.ReturnURL.
func (h *InstallHandler) Link(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := h.a
	t, err := a.openTicket(r.FormValue("ticket"), a.now())
	if err != nil {
		refuseErr(ctx, a, w, err)
		return
	}
	actor, ok := a.cfg.Session(r)
	if !ok {
		refuse(w, http.StatusForbidden, "sign in to the portal first, then open the app from your Shopify admin again")
		return
	}
	if actor.Kind != connect.ActorMember || actor.Client == "" {
		refuse(w, http.StatusForbidden, "only the owner or an admin of a client's team can link a Shopify store to the client")
		return
	}
	client, member, err := h.svc.Membership(ctx, actor)
	if err != nil {
		refuseErr(ctx, a, w, err)
		return
	}
	if member.Role != connect.RoleOwner && member.Role != connect.RoleAdmin {
		refuse(w, http.StatusForbidden, "only the owner or an admin of "+client.Name+" can link a Shopify store to it; ask them to open the app from Shopify")
		return
	}
	if client.Shopify.Shop == t.Shop {
		http.Redirect(w, r, a.returnURL, http.StatusSeeOther)
		return
	}
	if r.Method == http.MethodPost {
		h.begin(w, r, actor, t.Shop)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_ = linkPage.Execute(w, map[string]string{
		"Shop": t.Shop, "Client": client.Name, "Current": client.Shopify.Shop, "Ticket": r.FormValue("ticket"),
	})
}

// linkPage asks the owner or admin to confirm the client the store links to.
var linkPage = template.Must(template.New("link").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Link your Shopify store</title></head>
<body><main>
<h1>Link {{.Shop}} to {{.Client}}?</h1>
<p>Orders of the Shopify store {{.Shop}} can then be imported as deliveries for {{.Client}}, and fulfilled in Shopify when they are delivered. Shopify asks you to approve the app next.</p>
{{if .Current}}<p>{{.Client}} is linked to {{.Current}} now: linking this store replaces it.</p>{{end}}
<form method="post"><input type="hidden" name="ticket" value="{{.Ticket}}"><button type="submit">Link store to {{.Client}}</button></form>
<p>To link the store to another team you belong to, sign out, sign in choosing that team, and open the app from your Shopify admin again.</p>
</main></body></html>
`))

// begin sends the member to Shopify to approve the app on shop for their
// client, with a state Callback checks.
func (h *InstallHandler) begin(w http.ResponseWriter, r *http.Request, actor connect.Actor, shop string) {
	state := h.a.newState(actor, shop, h.a.now())
	http.Redirect(w, r, InstallURL(shop, h.a.cfg.ClientID, h.a.cfg.Scopes, h.a.cfg.RedirectURL, state), http.StatusSeeOther)
}

// openTicket checks a ticket's signature and expiry.
// Errors: Forbidden, with a message for the merchant.
func (a *Adapter) openTicket(s string, now time.Time) (appTicket, error) {
	var t appTicket
	if !a.open(ticketContext, s, &t) {
		return appTicket{}, connect.Errorf(connect.Forbidden, "this link is not one Shopify opened; open the app from your Shopify admin again")
	}
	if _, err := ValidShopDomain(t.Shop); err != nil {
		return appTicket{}, connect.Errorf(connect.Forbidden, "this link is not one Shopify opened; open the app from your Shopify admin again")
	}
	if !now.Before(time.Unix(t.Expires, 0)) {
		return appTicket{}, connect.Errorf(connect.Forbidden, "this link has expired; open the app from your Shopify admin again")
	}
	return t, nil
}
