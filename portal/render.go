package portal

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"slices"
	"strings"
	"time"

	"golang.org/x/text/language"

	"github.com/dispatchkit/connect"
	"github.com/shopspring/decimal"
)

// page is what every page template gets.
type page struct {
	Title string
	Tab   string // the active navigation item
	Data  any

	// Filled by render.
	Site   *site
	Locale *locale // the reader's language and the account's time zone; nil: the request's
	// Brand is the dispatcher's in the header; nil: the account's, for a
	// member or a dispatcher (Config.Brand).
	Brand      *Brand
	V          *viewer
	Dispatcher *connect.Actor
	Flash      *flash
	Signed     bool // a session is present (public pages)
	// Bare leaves the navigation out: a page for people who never sign in (the
	// tracking page's recipient).
	Bare bool
}

// site is what templates need to know about the portal itself.
type site struct {
	Prefix          string
	Name            string
	Spreadsheets    bool
	Documents       bool
	ShopifyInstall  bool
	Console         bool
	DispatcherLinks []Link
	// DispatcherSignOutURL is Config.DispatcherSignOutURL.
	DispatcherSignOutURL string
}

func (s *server) site() *site {
	return &site{Prefix: s.prefix, Name: s.name, Spreadsheets: s.cfg.Spreadsheets != nil,
		Documents:      s.cfg.Documents != nil,
		ShopifyInstall: s.cfg.ShopifyInstall != nil, Console: s.cfg.Dispatchers != nil,
		DispatcherLinks: s.cfg.DispatcherLinks, DispatcherSignOutURL: s.cfg.DispatcherSignOutURL}
}

// Templates speak through the request's locale (i18n.go). The convention, for
// every page and partial: each piece of text a person reads goes through a
// translating func, never as bare text or attribute:
//
//	<h1>{{t "Orders"}}</h1>
//	<input placeholder="{{t "Order number, recipient, address, email or phone"}}">
//	<p>{{t "Order {{.Ref}}" "Ref" (ref .O)}}</p>        arguments as name, value pairs
//	<button>{{tn "Import {{.Count}} order" "Import {{.Count}} orders" .N}}</button>
//	{{when .O.CreatedAt}}                               a <time> in the account's zone
//	{{num .N}}                                          20,000 · 20 000 · 20.000
//
// Whole sentences are one message (arguments inside, never split around them);
// an argument may be template.HTML (when gives one) and is kept as is. Then add
// the English text's French, German and Spanish to locales/active.*.toml:
// TestTemplatesTranslateEveryText fails on text outside t and on a message
// without its translations. Go code says s.t(r, "…") (flashes, titles) and
// msg("…") in tables translated where shown.

// parsePages parses each page template with the layout and the partials. These
// are never executed: each locale gets clones (pagesFor).
func parsePages(s *server) (map[string]*template.Template, error) {
	files, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	funcs := s.funcs(localeOf(language.English, time.UTC))
	pages := map[string]*template.Template{}
	for _, f := range files {
		name := strings.TrimSuffix(path.Base(f), ".html")
		if name == "layout" || strings.HasPrefix(name, "partials") {
			continue
		}
		// partials-*.html are the partials of one feature, shared like partials.html.
		t, err := template.New(name).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/partials*.html", f)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		pages[name] = t
	}
	return pages, nil
}

// localizedKey names a set of clones: one language in one time zone.
type localizedKey struct{ lang, zone string }

// maxLocalized bounds the clones kept (languages × the accounts' zones); past
// it a page is cloned for its request alone.
const maxLocalized = 256

// pagesFor returns the page templates speaking the locale: clones of the parsed
// pages with the locale's funcs, made once per language and zone.
func (s *server) pagesFor(l *locale) map[string]*template.Template {
	key := localizedKey{l.tag.String(), l.zone.String()}
	if v, ok := s.localized.Load(key); ok {
		return v.(map[string]*template.Template)
	}
	funcs := s.funcs(l)
	set := make(map[string]*template.Template, len(s.pages))
	for name, t := range s.pages {
		c, err := t.Clone()
		if err != nil { // only an executed template refuses: s.pages never are
			panic(err)
		}
		set[name] = c.Funcs(funcs)
	}
	if s.localizedN.Add(1) <= maxLocalized {
		v, _ := s.localized.LoadOrStore(key, set)
		return v.(map[string]*template.Template)
	}
	return set
}

// render writes a page with the layout.
func (s *server) render(w http.ResponseWriter, r *http.Request, status int, name string, p *page) {
	loc := p.Locale
	if loc == nil {
		loc = s.loc(r)
	}
	t := s.pagesFor(loc)[name]
	if t == nil {
		http.Error(w, "no template "+name, http.StatusInternalServerError)
		return
	}
	p.Locale = loc
	p.Site = s.site()
	p.V = viewerFrom(r.Context())
	p.Dispatcher = dispatcherFrom(r.Context())
	if p.V == nil && p.Dispatcher == nil {
		_, p.Signed = s.sessionActor(r)
	}
	if p.Flash == nil {
		p.Flash = s.takeFlash(w, r)
	}
	if p.Brand == nil && s.cfg.Brand != nil {
		var account connect.AccountID
		if p.V != nil {
			account = p.V.Actor.Account
		} else if p.Dispatcher != nil {
			account = p.Dispatcher.Account
		}
		if account != "" {
			if b, err := s.brand(r.Context(), account); err == nil {
				p.Brand = &b
			} else {
				s.log.WarnContext(r.Context(), "portal: the account's brand", "err", err)
			}
		}
	}
	s.keepLanguage(w, r)
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		s.log.ErrorContext(r.Context(), "portal: rendering failed", "page", name, "err", err)
		http.Error(w, "rendering the page failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Language", loc.Lang())
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

// fragment writes one named template of a page set, without the layout (for live
// updates), in the locale (nil: the request's).
func (s *server) fragment(w http.ResponseWriter, r *http.Request, loc *locale, set, name string, data any) error {
	if loc == nil {
		loc = s.loc(r)
	}
	t := s.pagesFor(loc)[set]
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, name, data); err != nil {
		return connect.Errorf(connect.Internal, "rendering %s: %w", name, err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Language", loc.Lang())
	_, _ = buf.WriteTo(w)
	return nil
}

func (s *server) funcs(l *locale) template.FuncMap {
	return template.FuncMap{
		"t": func(id string, args ...any) template.HTML { return l.HTML(id, "", nil, args) },
		"tn": func(one, other string, n any, args ...any) template.HTML {
			return l.HTML(other, one, n, args)
		},
		"lang":   l.Lang,
		"strong": strong,
		"join":   strings.Join,
		"list":   func(s ...string) []string { return s },
		"code": func(s string) template.HTML {
			return template.HTML("<code>" + template.HTMLEscapeString(s) + "</code>")
		},
		"codeList": func(names []string) template.HTML {
			parts := make([]string, len(names))
			for i, n := range names {
				parts[i] = "<code>" + template.HTMLEscapeString(n) + "</code>"
			}
			return template.HTML(strings.Join(parts, ", "))
		},
		"downloadLink": func(href, id string, text any) template.HTML {
			return template.HTML(`<a href="` + template.HTMLEscapeString(href) + `" id="` + template.HTMLEscapeString(id) + `" download>` + string(htmlText(text)) + "</a>")
		},
		"link": func(href string, text any) template.HTML {
			u := template.HTMLEscapeString(href)
			if !strings.HasPrefix(href, "/") && !strings.HasPrefix(href, "https://") {
				u = "#" // only the portal's own paths and https links
			}
			return template.HTML(`<a href="` + u + `">` + string(htmlText(text)) + "</a>")
		},
		"strongList": func(names []string) template.HTML {
			parts := make([]string, len(names))
			for i, n := range names {
				parts[i] = string(strong("", n))
			}
			return template.HTML(strings.Join(parts, ", "))
		},
		"strongFields": func(fs []connect.Field) template.HTML {
			parts := make([]string, len(fs))
			for i, f := range fs {
				parts[i] = string(strong("", fieldLabel(l, f)))
			}
			return template.HTML(strings.Join(parts, ", "))
		},
		"skippedRows": func(rows []connect.SkippedRow) string {
			parts := make([]string, len(rows))
			for i, r := range rows {
				parts[i] = l.T("row {{.Row}} “{{.Text}}”", "Row", r.Row, "Text", r.Text)
			}
			return strings.Join(parts, "; ")
		},
		"path":        func(p string, args ...any) string { return s.path(p, args...) },
		"statusLabel": func(st connect.Status) string { return statusLabel(l, st) },
		"fieldLabel":  func(f connect.Field) string { return fieldLabel(l, f) },
		"sourceLabel": func(src connect.Source) string { return l.T(sourceLabels[src]) },
		"roleLabel":   func(r connect.Role) string { return roleLabel(l, r) },
		"stopLabel": func(st connect.StopType) string {
			if st == connect.Pickup {
				return l.T("Pickup")
			}
			return l.T("Delivery")
		},
		"fields":          connect.OrderFields,
		"statuses":        connect.Statuses,
		"recipientStatus": func(st connect.Status, stop connect.StopType) string { return l.T(recipientStatus(st, stop)) },
		"ask":             func(route string) string { return askText(l, route) },
		"etaFrom":         func(t time.Time) time.Time { return t.Add(-etaWindow) },
		"etaTo":           func(t time.Time) time.Time { return t.Add(etaWindow) },
		"sources":         connect.Sources,
		"time":            l.Time,
		"date":            l.Date,
		"clock":           l.Clock,
		"when":            func(t time.Time) template.HTML { return when(l, t) },
		"timeISO": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return t.UTC().Format(time.RFC3339)
		},
		"dec": func(d decimal.NullDecimal) string {
			if !d.Valid {
				return ""
			}
			return d.Decimal.String()
		},
		"products": connect.FormatProducts,
		"fulfillmentLabel": func(s connect.ShopifyFulfillmentState) string {
			switch s {
			case connect.ShopifyFulfilled:
				return l.T("fulfilled")
			case connect.ShopifyFulfillPending:
				return l.T("waiting to be sent to Shopify")
			case connect.ShopifyFulfillFailed:
				return l.T("failed")
			}
			return l.T("not fulfilled in Shopify (yet)")
		},
		"progressLabel": func(p connect.FulfillmentStatus) string { return strings.ReplaceAll(string(p), "_", " ") },
		"eventLabel": func(e connect.Event) string {
			if id, ok := eventLabels[e]; ok {
				return l.T(id)
			}
			return string(e)
		},
		"specs": connect.FieldSpecs,
		"spec": func(f connect.Field) connect.FieldSpec {
			spec, _ := f.Spec()
			return spec
		},
		"count": func(c connect.StatusCounts, st connect.Status) int {
			return c[st]
		},
		"percent": func(n, d int) string {
			if d == 0 {
				return "–"
			}
			return l.p.Sprintf("%.0f%%", 100*float64(n)/float64(d))
		},
		"add":   func(a, b int) int { return a + b },
		"num":   l.Num,
		"bytes": func(n int64) string { return fileSize(l, n) },
		"roles": func() []connect.Role { return []connect.Role{connect.RoleAdmin, connect.RoleMember} },
		"contains": func(list []connect.Field, f connect.Field) bool {
			for _, x := range list {
				if x == f {
					return true
				}
			}
			return false
		},
		"ferr":        func(errs map[string]string, name string) string { return errs[name] },
		"ref":         orderName,
		"who":         func(people map[connect.MemberID]string, by string) string { return who(l, people, by) },
		"completedAt": (*connect.Order).CompletedAt,
		"row": func(o *connect.Order, view connect.View, v *viewer) rowData {
			return rowData{O: o, View: view, V: v}
		},
		"noFields": func() []connect.Field { return nil },
		"depotSel": func(depots []Depot, current connect.DepotID) depotSel {
			return depotSel{Depots: depots, Current: current}
		},
		"inviteState": func(inv *connect.Invite) connect.InviteState { return inv.State(s.now()) },
		"expired":     func(inv *connect.Invite) bool { return inv.State(s.now()) == connect.InviteExpired },
		"lbl": func(p *page, name string) formLabel {
			d, _ := p.Data.(orderFormData)
			f := connect.Field(name)
			return formLabel{Name: f, Required: slices.Contains(d.Required, f)}
		},
		"addressFields": addressFields,
		"addressLabel":  addressLabel,
		"fieldIn": func(p *page, name, typ string) formInput {
			d, _ := p.Data.(orderFormData)
			f := connect.Field(name)
			return formInput{L: formLabel{Name: f, Required: slices.Contains(d.Required, f)}, Type: typ,
				Value: d.Values[name], Err: d.Errors[name]}
		},
		// Recipient notifications (notifications.go).
		"notifyEventLabel": func(e connect.NotifyEvent) string { return l.T(notifyEventLabel(e)) },
		"languageLabel":    languageLabel,
		"clientStatus":     func(st connect.ClientStatus) string { return word(l, string(st)) },
		"inviteKind":       func(k connect.InviteKind) string { return word(l, "invite "+string(k)) },
		"inviteStateLabel": func(st connect.InviteState) string { return word(l, string(st)) },
		"deliveryState":    func(st connect.OutboxState) string { return word(l, string(st)) },
		"deliveryView": func(v connect.OutboxView) string {
			if v == connect.OutboxViewProblems {
				return l.T("Failing and dead")
			}
			return word(l, string(v))
		},
		"languages": func() []languageOption {
			out := make([]languageOption, len(languages))
			for i, t := range languages {
				out[i] = languageOption{Tag: t.String(), Name: languageNames[t]}
			}
			return out
		},
	}
}

// words are the states the console names in one word, translated where shown
// (an unknown state shows as it is).
var words = map[string]string{
	"invited": msg("invited"), "active": msg("active"), "disabled": msg("disabled"),
	"pending": msg("pending"), "accepted": msg("accepted"), "revoked": msg("revoked"), "expired": msg("expired"),
	"done": msg("done"), "dead": msg("dead"), "discarded": msg("discarded"),
	"invite client": msg("client"), "invite member": msg("member"),
}

func word(l *locale, s string) string {
	if id, ok := words[s]; ok {
		return l.T(id)
	}
	return s
}

// languageOption is a language in the member's selector.
type languageOption struct{ Tag, Name string }

type depotSel struct {
	Depots  []Depot
	Current connect.DepotID
}

type formLabel struct {
	Name     connect.Field
	Required bool
}

type formInput struct {
	L     formLabel
	Type  string
	Value string
	Err   string
}

// when is a time for people in the locale's zone, as a <time> element.
func when(l *locale, t time.Time) template.HTML {
	if t.IsZero() {
		return ""
	}
	return template.HTML(`<time datetime="` + t.UTC().Format(time.RFC3339) + `">` + template.HTMLEscapeString(l.Time(t)) + `</time>`)
}

// htmlText is a link's text: HTML as it is (a translation), anything else
// escaped.
func htmlText(text any) template.HTML {
	if h, ok := text.(template.HTML); ok {
		return h
	}
	return template.HTML(template.HTMLEscapeString(fmt.Sprint(text)))
}

// strong is a value in bold, as an argument of a translated sentence (id: its
// element's id, if any).
func strong(id string, v any) template.HTML {
	open := "<strong>"
	if id != "" {
		open = `<strong id="` + template.HTMLEscapeString(id) + `">`
	}
	return template.HTML(open + template.HTMLEscapeString(fmt.Sprint(v)) + "</strong>")
}

// statusLabel names an order's status for people.
func statusLabel(l *locale, st connect.Status) string {
	if st == "" {
		return ""
	}
	if id, ok := statusLabels[st]; ok {
		return l.T(id)
	}
	return string(st)
}

var statusLabels = map[connect.Status]string{
	connect.StatusDraft:     msg("Draft"),
	connect.StatusSubmitted: msg("Submitted"),
	connect.StatusScheduled: msg("Scheduled"),
	connect.StatusEnRoute:   msg("En route"),
	connect.StatusDelivered: msg("Delivered"),
	connect.StatusFailed:    msg("Failed"),
	connect.StatusCancelled: msg("Cancelled"),
}

// fieldLabel names an order field for people (spreadsheets keep the English
// column names connect matches).
func fieldLabel(l *locale, f connect.Field) string {
	if id, ok := fieldLabels[f]; ok {
		return l.T(id)
	}
	return f.Label()
}

var fieldLabels = map[connect.Field]string{
	connect.FieldClientNumber:   msg("Client ID"),
	connect.FieldUnit:           msg("Unit"),
	connect.FieldAddressLine1:   msg("Address Line 1"),
	connect.FieldAddressLine2:   msg("Address Line 2"),
	connect.FieldCity:           msg("City"),
	connect.FieldState:          msg("State"),
	connect.FieldZip:            msg("Zip"),
	connect.FieldCountry:        msg("Country"),
	connect.FieldNotes:          msg("Notes"),
	connect.FieldSize:           msg("Size"),
	connect.FieldRecipientName:  msg("Recipient Name"),
	connect.FieldStopType:       msg("Type of stop"),
	connect.FieldRecipientEmail: msg("Recipient Email Address"),
	connect.FieldRecipientPhone: msg("Recipient Phone Number"),
	connect.FieldRef:            msg("Order Id"), // go-i18n reserves "Id" as a key
	connect.FieldPackageCount:   msg("Package Count"),
	connect.FieldProducts:       msg("Products"),
	connect.FieldLatitude:       msg("Latitude"),
	connect.FieldLongitude:      msg("Longitude"),
}

var sourceLabels = map[connect.Source]string{
	connect.SourceSpreadsheet: msg("Spreadsheet"),
	connect.SourceShopify:     msg("Shopify"),
	connect.SourceManual:      msg("Added by hand"),
	connect.SourceDispatcher:  msg("From the dispatcher"),
}

// roleLabel names a team role for people.
func roleLabel(l *locale, r connect.Role) string {
	switch r {
	case connect.RoleOwner:
		return l.T("owner")
	case connect.RoleAdmin:
		return l.T("admin")
	case connect.RoleMember:
		return l.T("member")
	}
	return string(r)
}

var eventLabels = map[connect.Event]string{
	connect.EventCreate:           msg("Created"),
	connect.EventSubmit:           msg("Submitted for delivery"),
	connect.EventWithdraw:         msg("Withdrawn to drafts"),
	connect.EventSchedule:         msg("Scheduled on a route"),
	connect.EventUnschedule:       msg("Taken off its route"),
	connect.EventStart:            msg("Route started"),
	connect.EventETA:              msg("ETA updated"),
	connect.EventComplete:         msg("Delivered"),
	connect.EventFail:             msg("Delivery failed"),
	connect.EventRetry:            msg("Back to the stops list"),
	connect.EventCancel:           msg("Cancelled"),
	connect.EventMoveDepot:        msg("Moved to another depot"),
	connect.EventShopifyUpdate:    msg("Updated from Shopify"),
	connect.EventShopifyChange:    msg("Changed in Shopify after submission"),
	connect.EventShopifyCancel:    msg("Cancelled in Shopify"),
	connect.EventShopifyFulfilled: msg("Fulfilled in Shopify"),
	connect.EventShopifyProgress:  msg("Progress sent to Shopify"),
	connect.EventShopifyFailed:    msg("Shopify refused"),
}

// fileSize writes a file's size for people: bytes, KB or MB (of 1024).
func fileSize(l *locale, n int64) string {
	switch {
	case n < 1<<10:
		return l.T("{{.N}} bytes", "N", int(n))
	case n < 1<<20:
		return l.p.Sprintf("%.0f KB", float64(n)/(1<<10))
	}
	return l.p.Sprintf("%.1f MB", float64(n)/(1<<20))
}
