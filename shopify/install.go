package shopify

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/dispatchkit/connect"
)

// Linker is what the install handler needs of the core; *connect.Service
// implements it.
type Linker interface {
	// LinkShopify marks the actor's client's store linked.
	LinkShopify(ctx context.Context, a connect.Actor, shop string) (*connect.Client, error)
	// Membership returns the member's client and membership (its role), for
	// the App URL's link page. Errors: Forbidden for anyone but a member.
	Membership(ctx context.Context, a connect.Actor) (*connect.Client, *connect.Member, error)
}

// InstallHandler links a client's Shopify store by installing the app on it
// (OAuth's authorization code grant). The portal mounts its two steps:
//
//	mux.HandleFunc("POST /settings/shopify/install", install.Start)
//	mux.HandleFunc("GET /shopify/callback", install.Callback) // Config.RedirectURL
//
// and, for installs Shopify starts (the App Store, an install link), the App
// URL and its link page (see [InstallHandler.App]):
//
//	mux.HandleFunc("GET /shopify/app", install.App) // application_url, no session needed
//	mux.HandleFunc("/shopify/app/link", install.Link) // signed in
//
// Start sends the signed-in member to Shopify to approve the app; Shopify
// sends them back to Callback, which checks everything, keeps the store's
// token sealed, links the store, and sends them on to Config.ReturnURL. A
// refused request is answered 400 or 403 with what went wrong, and changes
// nothing.
type InstallHandler struct {
	a   *Adapter
	svc Linker
}

// InstallHandler returns the install handler, linking stores through svc.
// Errors: Invalid when Config lacks Session, Once or an absolute RedirectURL.
func (a *Adapter) InstallHandler(svc Linker) (*InstallHandler, error) {
	u, err := url.Parse(a.cfg.RedirectURL)
	switch {
	case svc == nil:
		return nil, connect.Errorf(connect.Invalid, "shopify: InstallHandler needs the Service")
	case a.cfg.Session == nil:
		return nil, connect.Errorf(connect.Invalid, "shopify: Config.Session is required for installs")
	case a.cfg.Once == nil:
		return nil, connect.Errorf(connect.Invalid, "shopify: Config.Once is required for installs")
	case err != nil || !u.IsAbs() || u.Host == "":
		return nil, connect.Errorf(connect.Invalid, "shopify: Config.RedirectURL must be the callback's absolute URL, not %q", a.cfg.RedirectURL)
	}
	return &InstallHandler{a: a, svc: svc}, nil
}

// Start begins an install for the signed-in member's client on the shop named
// by the form value "shop" ("acme", "acme.myshopify.com", or the store's
// admin URL): it redirects to Shopify's approval page with a state that binds
// the install to the client, the shop and the next StateTTL, signed with the
// app's secret. GET and POST both work; Start changes nothing.
func (h *InstallHandler) Start(w http.ResponseWriter, r *http.Request) {
	actor, ok := h.a.cfg.Session(r)
	if !ok {
		refuse(w, http.StatusForbidden, "sign in to the portal first")
		return
	}
	if actor.Kind != connect.ActorMember || actor.Client == "" {
		refuse(w, http.StatusForbidden, "only a member of a client's team can link the client's Shopify store")
		return
	}
	shop, err := ShopDomain(r.FormValue("shop"))
	if err != nil {
		refuse(w, http.StatusBadRequest, "enter your store's myshopify.com address, such as acme.myshopify.com")
		return
	}
	h.begin(w, r, actor, shop)
}

// Callback finishes an install: it checks Shopify's signature on the query
// (constant time), the shop and the timestamp; that the state is one Start
// signed, unexpired, for this shop and the signed-in member's client, and
// unused (recorded through Once); then trades the code for the store's
// expiring offline token, saves it sealed as the shop's token (shared by every
// client linked to the shop: Shopify revoked the shop's earlier token), links
// the store through the Service, and redirects to ReturnURL. A member whose
// role may not link is refused before the code is traded.
func (h *InstallHandler) Callback(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := h.a
	now := a.now()
	q := r.URL.Query()
	if err := verifyCallback(q, now, a.cfg.CallbackMaxAge, a.secrets()...); err != nil {
		refuseErr(ctx, a, w, err)
		return
	}
	shop, _ := ValidShopDomain(q.Get("shop")) // checked by VerifyCallback
	actor, ok := a.cfg.Session(r)
	if !ok {
		refuse(w, http.StatusForbidden, "sign in to the portal, then start linking your store again")
		return
	}
	st, err := a.openState(q.Get("state"), now)
	if err != nil {
		refuseErr(ctx, a, w, err)
		return
	}
	if st.Shop != shop {
		refuse(w, http.StatusForbidden, "this install was started for another store; start again from Settings → Integrations")
		return
	}
	if st.Account != actor.Account || st.Client != actor.Client {
		refuse(w, http.StatusForbidden, "this install was started by someone else; start again from Settings → Integrations")
		return
	}
	code := q.Get("code")
	if code == "" {
		refuse(w, http.StatusBadRequest, "Shopify sent no authorization code; start again from Settings → Integrations")
		return
	}
	// Refused before the code is traded: a new token revokes the shop's
	// current one, which other clients linked to the shop may be using.
	if _, err := h.mayLink(ctx, actor); err != nil {
		refuseErr(ctx, a, w, err)
		return
	}
	if err := a.cfg.Once.UseOnce(ctx, "shopify/install-state/"+st.Nonce, time.Unix(st.Expires, 0)); err != nil {
		if errors.Is(err, connect.ErrConflict) {
			refuse(w, http.StatusForbidden, "this install link was already used; start again from Settings → Integrations")
			return
		}
		refuseErr(ctx, a, w, err)
		return
	}

	tok, err := exchangeCode(ctx, a.cfg.HTTPClient, a.now, shop, a.cfg.ClientID, a.cfg.Secret, code)
	if err != nil {
		refuseErr(ctx, a, w, err)
		return
	}
	scope := connect.Scope{Account: actor.Account, Client: actor.Client}
	prev, prevErr := a.cfg.Tokens.ShopifyToken(ctx, scope)
	if prevErr != nil && !errors.Is(prevErr, connect.ErrNotFound) {
		refuseErr(ctx, a, w, prevErr)
		return
	}
	// The new token is the shop's only good one now (Shopify revoked the
	// earlier), for every client linked to the shop: it is kept even should
	// the link be refused below.
	if err := a.saveToken(ctx, scope, shop, tok); err != nil {
		refuseErr(ctx, a, w, err)
		return
	}
	if _, err := h.svc.LinkShopify(ctx, actor, shop); err != nil {
		// The refusal leaves the client as it was: linked to the same shop,
		// or unlinked from it. (A link to another shop is not restored: the
		// client links that store again.)
		if prevErr != nil || prev.Shop != shop {
			if undo := a.cfg.Tokens.DeleteShopifyToken(context.WithoutCancel(ctx), scope); undo != nil {
				a.log.ErrorContext(ctx, "shopify: install refused, and the client could not be unlinked from the shop's token", "client", actor.Client, "err", undo)
			}
			if prevErr == nil {
				a.log.WarnContext(ctx, "shopify: install refused; the client's link to its previous store is gone", "client", actor.Client, "previous", prev.Shop)
			}
		}
		refuseErr(ctx, a, w, err)
		return
	}
	a.log.InfoContext(ctx, "shopify: store linked", "shop", shop, "account", actor.Account, "client", actor.Client, "by", actor.String())
	http.Redirect(w, r, a.afterInstall(ctx, shop, tok), http.StatusSeeOther)
}

// MissingScopesParam is the query parameter the install callback adds to
// Config.ReturnURL when Shopify granted fewer scopes than the install asked
// for: the missing ones, comma-separated, so the page tells the owner what
// will not work (such as delivery progress without write_fulfillments).
const MissingScopesParam = "shopify_missing_scopes"

// afterInstall is where the callback sends the merchant: ReturnURL, naming
// the scopes Shopify did not grant, if any.
func (a *Adapter) afterInstall(ctx context.Context, shop string, tok Token) string {
	missing := MissingScopes(a.cfg.Scopes, tok.Scopes)
	if len(missing) == 0 {
		return a.returnURL
	}
	a.log.WarnContext(ctx, "shopify: the store granted fewer scopes than asked", "shop", shop, "missing", missing, "granted", tok.Scopes)
	u, err := url.Parse(a.returnURL)
	if err != nil {
		return a.returnURL
	}
	q := u.Query()
	q.Set(MissingScopesParam, strings.Join(missing, ","))
	u.RawQuery = q.Encode()
	return u.String()
}

// MissingScopes returns the scopes the install asked for that the client's
// stored token was not granted (none when it has them all), so a page can
// say what the owner must grant by linking the store again.
// Errors: Forbidden when no store is linked; Internal when the token does
// not open.
func (a *Adapter) MissingScopes(ctx context.Context, client connect.Scope) ([]string, error) {
	_, tok, err := a.loadToken(ctx, client)
	if err != nil {
		return nil, err
	}
	return MissingScopes(a.cfg.Scopes, tok.Scopes), nil
}

// ShopDomain reads the store a merchant typed: "acme", "acme.myshopify.com",
// or a URL on it ("https://acme.myshopify.com/admin"), and returns its
// myshopify.com host name. Errors: Invalid, as [ValidShopDomain].
func ShopDomain(input string) (string, error) {
	s := strings.TrimSpace(input)
	for _, scheme := range []string{"https://", "http://"} {
		if len(s) >= len(scheme) && strings.EqualFold(s[:len(scheme)], scheme) {
			s = s[len(scheme):]
			break
		}
	}
	s, _, _ = strings.Cut(s, "/")
	if s != "" && !strings.Contains(s, ".") {
		s += ".myshopify.com"
	}
	return ValidShopDomain(s)
}

// refuse answers a refused request with a message for the merchant.
func refuse(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Cache-Control", "no-store")
	http.Error(w, msg, status)
}

// refuseErr answers with the status that err's code calls for, and its message
// when it is one for people; a failure of ours is logged and not shown.
func refuseErr(ctx context.Context, a *Adapter, w http.ResponseWriter, err error) {
	status, msg := http.StatusInternalServerError, "something went wrong on our side; try again later"
	switch connect.ErrorCode(err) {
	case connect.Invalid:
		status = http.StatusBadRequest
	case connect.Forbidden, connect.NotFound:
		status = http.StatusForbidden
	case connect.Conflict:
		status = http.StatusConflict
	case connect.Unavailable:
		status, msg = http.StatusServiceUnavailable, "Shopify or the portal is not answering; try again in a minute"
	}
	var e *connect.Error
	if status < 500 && errors.As(err, &e) {
		msg = strings.TrimPrefix(e.Message, "shopify: ")
	}
	if status >= 500 {
		a.log.ErrorContext(ctx, "shopify: install failed", "err", err)
	}
	refuse(w, status, msg)
}

// mayLink returns the actor's client if the actor may link a store to it:
// its owner or an admin. Errors: Forbidden.
func (h *InstallHandler) mayLink(ctx context.Context, actor connect.Actor) (*connect.Client, error) {
	client, member, err := h.svc.Membership(ctx, actor)
	if err != nil {
		return nil, err
	}
	if member.Role != connect.RoleOwner && member.Role != connect.RoleAdmin {
		return client, connect.Errorf(connect.Forbidden, "only the owner or an admin of %s can link a Shopify store to it", client.Name)
	}
	return client, nil
}
