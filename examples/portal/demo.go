package main

import (
	"bytes"
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dispatchkit/connect"
)

// The host's own pages, under /demo/: what a dispatch system owns and the portal
// does not. A dispatcher login, routes built from the unassigned stops, and a
// driver page that completes or fails stops with proof of delivery. Everything
// goes through the Service: as the dispatcher to read, as the host's route sync
// (connect.AsRouteSync) to report what happened on the routes.

//go:embed templates/*.html static/*
var demoFS embed.FS

var demoPages = template.Must(template.New("").Funcs(template.FuncMap{
	"time": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("15:04 UTC")
	},
	"status": func(s connect.Status) string { return s.Label() },
}).ParseFS(demoFS, "templates/*.html"))

const dispatcherCookie = "demo_dispatcher"

func (h *host) demoRoutes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /demo/login", h.loginPage)
	mux.HandleFunc("POST /demo/login", h.login)
	mux.HandleFunc("POST /demo/logout", h.logout)
	mux.HandleFunc("GET /demo/files/{name}", h.serveFile)
	mux.Handle("GET /demo/static/", http.StripPrefix("/demo/", http.FileServerFS(demoFS)))
	mux.Handle("GET /demo/routes", h.dispatcherOnly(h.routesPage))
	mux.Handle("POST /demo/routes", h.dispatcherOnly(h.buildRoute))
	mux.Handle("POST /demo/routes/{route}/start", h.dispatcherOnly(h.startRoute))
	mux.Handle("POST /demo/stops", h.dispatcherOnly(h.addHostStop))
	mux.Handle("GET /demo/stops/{id}", h.dispatcherOnly(h.hostStopPage))
	mux.Handle("POST /demo/stops/{id}/client", h.dispatcherOnly(h.linkStopToClient))
	mux.Handle("GET /demo/stops/{id}/new-client", h.dispatcherOnly(h.newClientPage))
	mux.Handle("POST /demo/stops/{id}/new-client", h.dispatcherOnly(h.inviteClientForStop))
	mux.Handle("GET /demo/driver/{route}", h.dispatcherOnly(h.driverPage))
	mux.Handle("POST /demo/driver/{route}/stops/{order}/complete", h.dispatcherOnly(h.completeStop))
	mux.Handle("POST /demo/driver/{route}/stops/{order}/fail", h.dispatcherOnly(h.failStop))
	mux.Handle("GET /demo/shopify", h.dispatcherOnly(h.shopifyAdminPage))
	mux.Handle("POST /demo/shopify/{action}", h.dispatcherOnly(h.shopifyAdminChange))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "no-referrer")
		if !strings.HasPrefix(r.URL.Path, "/demo/files/") && !strings.HasPrefix(r.URL.Path, "/demo/static/") {
			hd.Set("Cache-Control", "no-store")
		}
		r.Body = http.MaxBytesReader(w, r.Body, 20<<20)
		mux.ServeHTTP(w, r)
	})
}

// cookieMAC signs the dispatcher cookie with a key of its own.
func (h *host) cookieMAC(v string) string {
	key, _ := hex.DecodeString(h.state.SessionKey)
	m := hmac.New(sha256.New, append([]byte("demo dispatcher|"), key...))
	m.Write([]byte(v))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// dispatcher authenticates the demo dispatcher by her cookie: the host's own login,
// which the portal's console trusts through portal.Config.Dispatchers.
func (h *host) dispatcher(r *http.Request) (connect.Actor, bool) {
	c, err := r.Cookie(dispatcherCookie)
	if err != nil {
		return connect.Actor{}, false
	}
	v, mac, ok := strings.Cut(c.Value, ".")
	if !ok || !hmac.Equal([]byte(mac), []byte(h.cookieMAC(v))) {
		return connect.Actor{}, false
	}
	exp, err := strconv.ParseInt(v, 10, 64)
	if err != nil || time.Now().Unix() > exp {
		return connect.Actor{}, false
	}
	return dispatcherActor(), true
}

func (h *host) render(w http.ResponseWriter, status int, name string, data any) {
	var b bytes.Buffer
	if err := demoPages.ExecuteTemplate(&b, name, data); err != nil {
		h.log.Error("demo: rendering failed", "page", name, "err", err)
		http.Error(w, "rendering failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = b.WriteTo(w)
}

// safeNext keeps redirects on this site: next must be a path of its own, which a
// browser cannot read as another host. Browsers drop tabs and newlines from URLs
// and take a backslash for a slash, so "/\t/evil.example/" and "/\\evil" lead
// off-site: a path with any control character or backslash, or starting with two
// slashes, is refused, as is one that does not parse as a bare path.
func safeNext(next, def string) string {
	if !strings.HasPrefix(next, "/") || strings.ContainsFunc(next, func(r rune) bool {
		return r < 0x20 || r == 0x7f || r == '\\'
	}) || strings.HasPrefix(next, "//") {
		return def
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.Opaque != "" || u.User != nil ||
		strings.HasPrefix(u.Path, "//") {
		return def
	}
	return next
}

type loginData struct {
	Next, Error, Email string
}

func (h *host) loginPage(w http.ResponseWriter, r *http.Request) {
	h.render(w, http.StatusOK, "login.html", loginData{Next: safeNext(r.URL.Query().Get("next"), "/dispatch/")})
}

func (h *host) login(w http.ResponseWriter, r *http.Request) {
	email, password := strings.TrimSpace(r.PostFormValue("email")), r.PostFormValue("password")
	next := safeNext(r.PostFormValue("next"), "/dispatch/")
	okEmail := subtle.ConstantTimeCompare([]byte(strings.ToLower(email)), []byte(dispatcherEmail)) == 1
	okPassword := subtle.ConstantTimeCompare([]byte(password), []byte(h.state.DispatcherPassword)) == 1
	if !okEmail || !okPassword {
		time.Sleep(300 * time.Millisecond) // a demo's brake on guessing
		h.render(w, http.StatusUnauthorized, "login.html", loginData{Next: next, Email: email, Error: "The email or password is not right."})
		return
	}
	v := strconv.FormatInt(time.Now().Add(12*time.Hour).Unix(), 10)
	http.SetCookie(w, &http.Cookie{Name: dispatcherCookie, Value: v + "." + h.cookieMAC(v), Path: "/", HttpOnly: true,
		Secure: strings.HasPrefix(h.cfg.BaseURL, "https:"), SameSite: http.SameSiteLaxMode, MaxAge: 12 * 3600})
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (h *host) logout(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: dispatcherCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true})
	http.Redirect(w, r, "/demo/login", http.StatusSeeOther)
}

// dispatcherOnly serves a page to the signed-in dispatcher.
func (h *host) dispatcherOnly(fn func(w http.ResponseWriter, r *http.Request, a connect.Actor) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, ok := h.dispatcher(r)
		if !ok {
			http.Redirect(w, r, "/demo/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		if err := fn(w, r, a); err != nil {
			status := http.StatusInternalServerError
			switch connect.ErrorCode(err) {
			case connect.NotFound:
				status = http.StatusNotFound
			case connect.Invalid:
				status = http.StatusUnprocessableEntity
			case connect.Conflict:
				status = http.StatusConflict
			case connect.Forbidden:
				status = http.StatusForbidden
			}
			h.log.Warn("demo: request failed", "path", r.URL.Path, "err", err)
			h.render(w, status, "error.html", err.Error())
		}
	})
}

// route is a route of the demo host, as its orders say.
type route struct {
	ID    string
	Stops []*connect.Order
}

// Started reports whether the route started (any stop en route or done).
func (r route) Started() bool {
	return slices.ContainsFunc(r.Stops, func(o *connect.Order) bool { return o.Status != connect.StatusScheduled })
}

// routesOf reads the account's routes back from its orders: the orders keep their
// route and position, so the demo needs no route table of its own.
func (h *host) routesOf(ctx context.Context, a connect.Actor, statuses ...connect.Status) ([]route, error) {
	if len(statuses) == 0 {
		statuses = []connect.Status{connect.StatusScheduled, connect.StatusEnRoute, connect.StatusDelivered, connect.StatusFailed}
	}
	byID := map[string]*route{}
	var order []string
	cursor := ""
	for {
		p, err := h.svc.Orders(ctx, a, connect.ListOrdersParams{Statuses: statuses, Cursor: cursor, Limit: 500})
		if err != nil {
			return nil, err
		}
		for _, o := range p.Orders {
			id := o.Route.RouteID
			if id == "" {
				continue
			}
			if byID[id] == nil {
				byID[id] = &route{ID: id}
				order = append(order, id)
			}
			byID[id].Stops = append(byID[id].Stops, o)
		}
		if p.Next == "" || len(order) > 50 {
			break
		}
		cursor = p.Next
	}
	out := make([]route, 0, len(order))
	for _, id := range order {
		r := byID[id]
		slices.SortFunc(r.Stops, func(a, b *connect.Order) int { return cmp.Compare(a.Route.Position, b.Route.Position) })
		out = append(out, *r)
	}
	return out, nil
}

type routesData struct {
	Stops  []connect.UnassignedStop
	Routes []route
	Flash  string
	// NoClient are the host's own stops with no client yet.
	NoClient []hostStop
}

func (h *host) routesPage(w http.ResponseWriter, r *http.Request, a connect.Actor) error {
	stops, _, err := h.svc.UnassignedStops(r.Context(), a, connect.DepotID(r.URL.Query().Get("depot")), "", 200)
	if err != nil {
		return err
	}
	routes, err := h.routesOf(r.Context(), a, connect.StatusScheduled, connect.StatusEnRoute)
	if err != nil {
		return err
	}
	h.render(w, http.StatusOK, "routes.html", routesData{Stops: stops, Routes: routes, Flash: r.URL.Query().Get("msg"), NoClient: h.hostStops.list()})
	return nil
}

// buildRoute puts the selected unassigned stops on a new route, in the order
// listed: schedule events with the route and positions.
func (h *host) buildRoute(w http.ResponseWriter, r *http.Request, _ connect.Actor) error {
	if err := r.ParseForm(); err != nil {
		return connect.Errorf(connect.Invalid, "the form could not be read")
	}
	ids := r.PostForm["order"]
	if len(ids) == 0 {
		return connect.Errorf(connect.Invalid, "select the stops to put on the route")
	}
	routeID := "R-" + strings.ToUpper(randomHex(3))
	now := time.Now()
	events := make([]connect.RouteEvent, len(ids))
	for i, id := range ids {
		events[i] = connect.RouteEvent{ID: "schedule/" + routeID + "/" + id, Order: connect.OrderID(id),
			Event: connect.EventSchedule, At: now, Route: connect.RouteStop{RouteID: routeID, Position: i + 1}}
	}
	res, err := h.svc.ApplyRouteEvents(r.Context(), connect.AsRouteSync(demoAccount), events)
	if err != nil {
		return err
	}
	msg := fmt.Sprintf("Route %s built with %d stops.", routeID, res.Applied)
	if len(res.Errors)+res.Stale > 0 {
		msg += fmt.Sprintf(" %d stops could not be added (withdrawn or moved meanwhile).", len(res.Errors)+res.Stale)
	}
	http.Redirect(w, r, "/demo/routes?msg="+url.QueryEscape(msg), http.StatusSeeOther)
	return nil
}

// stopInterval spaces the demo's ETAs.
const stopInterval = 15 * time.Minute

// startRoute starts a route: its stops get ETAs, a quarter of an hour apart.
func (h *host) startRoute(w http.ResponseWriter, r *http.Request, a connect.Actor) error {
	id := r.PathValue("route")
	rt, err := h.route(r.Context(), a, id)
	if err != nil {
		return err
	}
	now := time.Now()
	var events []connect.RouteEvent
	for _, o := range rt.Stops {
		if o.Status == connect.StatusScheduled {
			events = append(events, connect.RouteEvent{ID: "start/" + id + "/" + string(o.ID), Order: o.ID,
				Event: connect.EventStart, At: now, ETA: now.Add(time.Duration(o.Route.Position) * stopInterval).Truncate(time.Minute)})
		}
	}
	if _, err := h.svc.ApplyRouteEvents(r.Context(), connect.AsRouteSync(demoAccount), events); err != nil {
		return err
	}
	http.Redirect(w, r, "/demo/driver/"+url.PathEscape(id), http.StatusSeeOther)
	return nil
}

func (h *host) route(ctx context.Context, a connect.Actor, id string) (route, error) {
	routes, err := h.routesOf(ctx, a)
	if err != nil {
		return route{}, err
	}
	for _, rt := range routes {
		if rt.ID == id {
			return rt, nil
		}
	}
	return route{}, connect.Errorf(connect.NotFound, "no route %s", id)
}

type driverData struct {
	Route route
	Nonce string
	Flash string
}

func (h *host) driverPage(w http.ResponseWriter, r *http.Request, a connect.Actor) error {
	rt, err := h.route(r.Context(), a, r.PathValue("route"))
	if err != nil {
		return err
	}
	h.render(w, http.StatusOK, "driver.html", driverData{Route: rt, Nonce: randomHex(8), Flash: r.URL.Query().Get("msg")})
	return nil
}

var fileName = regexp.MustCompile(`^[0-9a-f]{32}\.(png|jpg|gif|webp)$`)

func (h *host) serveFile(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if !fileName.MatchString(name) {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Cache-Control", "private, max-age=86400")
	http.ServeFile(w, r, filepath.Join(h.files, name))
}

// completeStop records a delivery with its proof: photo, signature, who took it.
func (h *host) completeStop(w http.ResponseWriter, r *http.Request, _ connect.Actor) error {
	if err := r.ParseMultipartForm(8 << 20); err != nil {
		return connect.Errorf(connect.Invalid, "the form could not be read: %v", err)
	}
	proof := &connect.ProofOfDelivery{RecipientName: strings.TrimSpace(r.FormValue("recipient")),
		Notes: strings.TrimSpace(r.FormValue("notes")), At: time.Now()}
	if f, _, err := r.FormFile("photo"); err == nil {
		data, err := io.ReadAll(io.LimitReader(f, 10<<20))
		f.Close()
		if err != nil {
			return err
		}
		if len(data) > 0 {
			u, err := h.keepProofFile(r, data)
			if err != nil {
				return err
			}
			proof.PhotoURLs = append(proof.PhotoURLs, u)
		}
	}
	if sig := r.FormValue("signature"); sig != "" {
		b64, ok := strings.CutPrefix(sig, "data:image/png;base64,")
		data, err := base64.StdEncoding.DecodeString(b64)
		if !ok || err != nil || http.DetectContentType(data) != "image/png" {
			return connect.Errorf(connect.Invalid, "the signature is not a PNG image")
		}
		if proof.SignatureURL, err = h.keepProofFile(r, data); err != nil {
			return err
		}
	}
	return h.report(w, r, connect.RouteEvent{Event: connect.EventComplete, Proof: proof}, "Delivered.")
}

// failStop records a failed attempt with its reason.
func (h *host) failStop(w http.ResponseWriter, r *http.Request, _ connect.Actor) error {
	reason := strings.TrimSpace(r.FormValue("reason"))
	if reason == "" {
		return connect.Errorf(connect.Invalid, "say why the stop failed")
	}
	return h.report(w, r, connect.RouteEvent{Event: connect.EventFail, Reason: reason,
		Proof: &connect.ProofOfDelivery{Notes: reason, At: time.Now()}}, "Marked failed.")
}

// keepProofFile hands a photo or signature of the stop's delivery to connect,
// which keeps it where every process can serve it (Config.Blobs), and returns
// its link. (Files of earlier demo runs stay under /demo/files/.)
func (h *host) keepProofFile(r *http.Request, data []byte) (string, error) {
	return h.svc.StoreProofFile(r.Context(), connect.AsRouteSync(demoAccount), connect.OrderID(r.PathValue("order")), bytes.NewReader(data))
}

// report sends one route event for the stop, as the host's route sync. The form's
// nonce makes the event id, so a form sent twice is applied once.
func (h *host) report(w http.ResponseWriter, r *http.Request, ev connect.RouteEvent, msg string) error {
	routeID, order := r.PathValue("route"), r.PathValue("order")
	ev.ID = string(ev.Event) + "/" + order + "/" + r.FormValue("nonce")
	ev.Order, ev.At = connect.OrderID(order), time.Now()
	res, err := h.svc.ApplyRouteEvents(r.Context(), connect.AsRouteSync(demoAccount), []connect.RouteEvent{ev})
	if err != nil {
		return err
	}
	if len(res.Errors) > 0 {
		return res.Errors[0].Err
	}
	if res.Stale > 0 {
		msg = "Nothing changed: the stop is no longer on this route."
	}
	http.Redirect(w, r, "/demo/driver/"+url.PathEscape(routeID)+"?msg="+url.QueryEscape(msg), http.StatusSeeOther)
	return nil
}
