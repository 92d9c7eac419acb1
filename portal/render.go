package portal

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dispatchkit/connect"
	"github.com/shopspring/decimal"
)

// page is what every page template gets.
type page struct {
	Title string
	Tab   string // the active navigation item
	Data  any

	// Filled by render.
	Site       *site
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

// parsePages parses each page template with the layout and the partials.
func parsePages(s *server) (map[string]*template.Template, error) {
	files, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	funcs := s.funcs()
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

// render writes a page with the layout.
func (s *server) render(w http.ResponseWriter, r *http.Request, status int, name string, p *page) {
	t := s.pages[name]
	if t == nil {
		http.Error(w, "no template "+name, http.StatusInternalServerError)
		return
	}
	p.Site = s.site()
	p.V = viewerFrom(r.Context())
	p.Dispatcher = dispatcherFrom(r.Context())
	if p.V == nil && p.Dispatcher == nil {
		_, p.Signed = s.sessionActor(r)
	}
	if p.Flash == nil {
		p.Flash = s.takeFlash(w, r)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		s.log.ErrorContext(r.Context(), "portal: rendering failed", "page", name, "err", err)
		http.Error(w, "rendering the page failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

// fragment writes one named template of a page set, without the layout (for live
// updates).
func (s *server) fragment(w http.ResponseWriter, r *http.Request, set, name string, data any) error {
	t := s.pages[set]
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, name, data); err != nil {
		return connect.Errorf(connect.Internal, "rendering %s: %w", name, err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = buf.WriteTo(w)
	return nil
}

func (s *server) funcs() template.FuncMap {
	return template.FuncMap{
		"path": func(p string, args ...any) string { return s.path(p, args...) },
		"statusLabel": func(st connect.Status) string {
			switch st {
			case connect.StatusEnRoute:
				return "En route"
			case "":
				return ""
			}
			l := st.Label()
			return strings.ToUpper(l[:1]) + l[1:]
		},
		"fieldLabel":      func(f connect.Field) string { return f.Label() },
		"fields":          connect.OrderFields,
		"statuses":        connect.Statuses,
		"recipientStatus": recipientStatus,
		"ask":             askText,
		"etaFrom":         func(t time.Time) time.Time { return t.Add(-etaWindow) },
		"etaTo":           func(t time.Time) time.Time { return t.Add(etaWindow) },
		"sources":         connect.Sources,
		"time":            fmtTime,
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
				return "fulfilled"
			case connect.ShopifyFulfillPending:
				return "waiting to be sent to Shopify"
			case connect.ShopifyFulfillFailed:
				return "failed"
			}
			return "not fulfilled in Shopify (yet)"
		},
		"progressLabel": func(p connect.FulfillmentStatus) string { return strings.ReplaceAll(string(p), "_", " ") },
		"eventLabel": func(e connect.Event) string {
			if l, ok := eventLabels[e]; ok {
				return l
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
			return fmt.Sprintf("%.0f%%", 100*float64(n)/float64(d))
		},
		"add":   func(a, b int) int { return a + b },
		"num":   groupDigits,
		"bytes": fileSize,
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
		"who":         who,
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
		"notifyEventLabel": notifyEventLabel,
		"languageLabel":    languageLabel,
	}
}

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

// fmtTime shows a time for people, in UTC (the page's script turns it local).
func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2 Jan 2006 15:04 UTC")
}

var eventLabels = map[connect.Event]string{
	connect.EventCreate:           "Created",
	connect.EventSubmit:           "Submitted for delivery",
	connect.EventWithdraw:         "Withdrawn to drafts",
	connect.EventSchedule:         "Scheduled on a route",
	connect.EventUnschedule:       "Taken off its route",
	connect.EventStart:            "Route started",
	connect.EventETA:              "ETA updated",
	connect.EventComplete:         "Delivered",
	connect.EventFail:             "Delivery failed",
	connect.EventRetry:            "Back to the stops list",
	connect.EventCancel:           "Cancelled",
	connect.EventMoveDepot:        "Moved to another depot",
	connect.EventShopifyUpdate:    "Updated from Shopify",
	connect.EventShopifyChange:    "Changed in Shopify after submission",
	connect.EventShopifyCancel:    "Cancelled in Shopify",
	connect.EventShopifyFulfilled: "Fulfilled in Shopify",
	connect.EventShopifyProgress:  "Progress sent to Shopify",
	connect.EventShopifyFailed:    "Shopify refused",
}

// groupDigits writes n with its thousands grouped: 20000 reads "20,000".
func groupDigits(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// fileSize writes a file's size for people: bytes, KB or MB (of 1024).
func fileSize(n int64) string {
	switch {
	case n < 1<<10:
		return fmt.Sprintf("%d bytes", n)
	case n < 1<<20:
		return fmt.Sprintf("%.0f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
}
