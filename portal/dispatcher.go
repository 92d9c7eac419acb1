package portal

import (
	"context"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/dispatchkit/connect"
)

// The dispatcher console: Settings → Clients, the unassigned stops by depot, and
// stop imports with a Client ID column. The host authenticates dispatchers
// (Config.Dispatchers); the Service scopes everything to their account.

func (s *server) consoleRoot(w http.ResponseWriter, r *http.Request, _ connect.Actor) error {
	s.redirect(w, r, s.path("/dispatch/clients"))
	return nil
}

// depots returns the account's depots, or none when the host does not list them.
func (s *server) depots(ctx context.Context, a connect.Actor) ([]Depot, error) {
	if s.cfg.Depots == nil {
		return nil, nil
	}
	return s.cfg.Depots(ctx, a.Account)
}

type clientsData struct {
	Clients []connect.ClientSummary
	Search  string // the search the page shows
	Next    string // the cursor of the next page
	Depots  []Depot
	Error   string
	Errors  map[string]string
	Values  map[string]string
	// Matching is how many clients the search selects in all (the change
	// form's "select all N matching").
	Matching int
}

func (s *server) clientsPage(w http.ResponseWriter, r *http.Request, a connect.Actor) error {
	return s.showClients(w, r, a, http.StatusOK, clientsData{})
}

func (s *server) showClients(w http.ResponseWriter, r *http.Request, a connect.Actor, status int, d clientsData) error {
	d.Search = strings.TrimSpace(r.URL.Query().Get("q"))
	list, err := s.svc.ClientsPage(r.Context(), a, connect.ClientsParams{Search: d.Search, Cursor: r.URL.Query().Get("cursor"), Count: true})
	if err != nil {
		return err
	}
	d.Clients, d.Next, d.Matching = list.Clients, list.Next, list.Matching
	if d.Depots, err = s.depots(r.Context(), a); err != nil {
		return err
	}
	s.render(w, r, status, "clients", &page{Title: s.t(r, "Clients"), Tab: "clients", Data: d})
	return nil
}

// exportClients writes the clients the list's search (q) selects, every page
// of them, as "csv" or "xlsx": each with its number, status, settings and
// orders by status.
func (s *server) exportClients(format string) dispatcherFunc {
	return func(w http.ResponseWriter, r *http.Request, a connect.Actor) error {
		if format == "xlsx" && s.cfg.Spreadsheets == nil {
			return errNoSpreadsheets
		}
		search := strings.TrimSpace(r.URL.Query().Get("q"))
		first, err := s.svc.ClientsPage(r.Context(), a, connect.ClientsParams{Search: search, Limit: 500})
		if err != nil {
			return err // before the file begins: an error page
		}
		header := []string{"Name", "Client ID", "Email", "Status", "May upload", "Default depot", "Created"}
		for _, st := range connect.Statuses() {
			header = append(header, capitalize(st.Label()))
		}
		rows := func(yield func([]string) bool) {
			page := first
			for {
				for _, c := range page.Clients {
					row := []string{c.Client.Name, string(c.Client.Number), c.Client.Email, string(c.Client.Status),
						yesNo(c.Client.Settings.AllowUpload), string(c.Client.Settings.DefaultDepot),
						c.Client.CreatedAt.UTC().Format(time.RFC3339)}
					for _, st := range connect.Statuses() {
						row = append(row, strconv.Itoa(c.Orders[st]))
					}
					if !yield(row) {
						return
					}
				}
				if page.Next == "" {
					return
				}
				if page, err = s.svc.ClientsPage(r.Context(), a, connect.ClientsParams{Search: search, Cursor: page.Next, Limit: 500}); err != nil {
					s.log.WarnContext(r.Context(), "portal: client export cut short", "err", err)
					return
				}
			}
		}
		return s.writeTable(w, format, fmt.Sprintf("clients-%s.%s", s.now().UTC().Format("2006-01-02"), format), header, rows)
	}
}

// yesNo writes a setting in an export.
func yesNo(on bool) string {
	if on {
		return "yes"
	}
	return "no"
}

// clientSettingsForm reads allow uploads, required fields and default depot.
func clientSettingsForm(r *http.Request) connect.ClientSettings {
	var fields []connect.Field
	for _, f := range r.PostForm["required"] {
		fields = append(fields, connect.Field(f))
	}
	return connect.ClientSettings{
		AllowUpload:      r.PostFormValue("allow_upload") != "",
		RequiredFields:   connect.RequireFields(fields...),
		DefaultDepot:     connect.DepotID(strings.TrimSpace(r.PostFormValue("depot"))),
		RequireTwoFactor: r.PostFormValue("require_two_factor") != "",
	}
}

func (s *server) inviteClient(w http.ResponseWriter, r *http.Request, a connect.Actor) error {
	if err := r.ParseForm(); err != nil {
		return connect.Errorf(connect.Invalid, "the form could not be read")
	}
	p := connect.InviteClientParams{
		Name: r.PostFormValue("name"), Email: r.PostFormValue("email"),
		Settings: clientSettingsForm(r), SendEmail: r.PostFormValue("send_email") != "",
	}
	issued, err := s.svc.InviteClient(r.Context(), a, p)
	if err != nil {
		if httpStatus(err) == http.StatusUnprocessableEntity {
			return s.showClients(w, r, a, http.StatusUnprocessableEntity, clientsData{Error: message(err),
				Errors: formErrors(err), Values: map[string]string{"name": p.Name, "email": p.Email}})
		}
		return err
	}
	s.setFlash(w, flash{Message: s.inviteMessage(r, issued, p.Email), Secret: s.inviteLink(issued)})
	s.redirect(w, r, s.path("/dispatch/clients"))
	return nil
}

type clientData struct {
	C       *connect.Client
	Members []*connect.Member
	Invites []*connect.Invite
	Counts  connect.StatusCounts
	Depots  []Depot
}

func (s *server) clientPage(w http.ResponseWriter, r *http.Request, a connect.Actor) error {
	id := connect.ClientID(r.PathValue("id"))
	c, err := s.svc.Client(r.Context(), a, id)
	if err != nil {
		return err
	}
	d := clientData{C: c}
	if c.Status != connect.ClientInvited {
		if d.Members, err = s.svc.Members(r.Context(), a, id); err != nil {
			return err
		}
	}
	if d.Invites, err = s.svc.Invites(r.Context(), a, id); err != nil {
		return err
	}
	// The client's own counts, not every client's summary (with every order
	// counted and every invite read) to pick one out.
	stats, err := s.svc.OrderStats(r.Context(), a, connect.OrderStatsParams{Client: id})
	if err != nil {
		return err
	}
	d.Counts = stats.Counts
	if d.Depots, err = s.depots(r.Context(), a); err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "client", &page{Title: s.t(r, "Client {{.Name}}", "Name", c.Name), Tab: "clients", Data: d})
	return nil
}

func (s *server) updateClient(w http.ResponseWriter, r *http.Request, a connect.Actor) error {
	if err := r.ParseForm(); err != nil {
		return connect.Errorf(connect.Invalid, "the form could not be read")
	}
	id := connect.ClientID(r.PathValue("id"))
	settings := clientSettingsForm(r)
	ch := connect.ClientChanges{Settings: &settings}
	if name := r.PostFormValue("name"); name != "" {
		ch.Name = &name
	}
	if _, ok := r.PostForm["email"]; ok {
		email := r.PostFormValue("email")
		ch.Email = &email
	}
	if _, err := s.svc.UpdateClient(r.Context(), a, id, ch); err != nil {
		return err
	}
	s.setFlash(w, flash{Message: s.t(r, "Client settings saved.")})
	s.redirect(w, r, s.path("/dispatch/clients/%s", id))
	return nil
}

func (s *server) disableClient(w http.ResponseWriter, r *http.Request, a connect.Actor) error {
	c, err := s.svc.DisableClient(r.Context(), a, connect.ClientID(r.PathValue("id")))
	if err != nil {
		return err
	}
	s.setFlash(w, flash{Message: s.t(r, "{{.Client}} is disabled: its team cannot use the portal.", "Client", c.Name)})
	s.redirect(w, r, s.path("/dispatch/clients/%s", c.ID))
	return nil
}

// resetClientMemberTwoFactor is the dispatcher's reset of a client's member's
// two-factor sign-in.
func (s *server) resetClientMemberTwoFactor(w http.ResponseWriter, r *http.Request, a connect.Actor) error {
	id := connect.ClientID(r.PathValue("id"))
	return s.resetTwoFactor(w, r, a, id, s.path("/dispatch/clients/%s", id))
}

func (s *server) enableClient(w http.ResponseWriter, r *http.Request, a connect.Actor) error {
	c, err := s.svc.EnableClient(r.Context(), a, connect.ClientID(r.PathValue("id")))
	if err != nil {
		return err
	}
	s.setFlash(w, flash{Message: s.t(r, "{{.Client}} is enabled again.", "Client", c.Name)})
	s.redirect(w, r, s.path("/dispatch/clients/%s", c.ID))
	return nil
}

func (s *server) resendClientInvite(w http.ResponseWriter, r *http.Request, a connect.Actor) error {
	issued, err := s.svc.ResendInvite(r.Context(), a, connect.InviteID(r.PathValue("id")))
	if err != nil {
		return err
	}
	s.setFlash(w, flash{Message: s.t(r, "A new invitation replaces the old one. Its link (shown only now):"), Secret: s.inviteLink(issued)})
	s.redirect(w, r, s.localNext(r.PostFormValue("next"), s.path("/dispatch/clients")))
	return nil
}

func (s *server) revokeClientInvite(w http.ResponseWriter, r *http.Request, a connect.Actor) error {
	if _, err := s.svc.RevokeInvite(r.Context(), a, connect.InviteID(r.PathValue("id"))); err != nil {
		return err
	}
	s.setFlash(w, flash{Message: s.t(r, "Invitation revoked.")})
	s.redirect(w, r, s.localNext(r.PostFormValue("next"), s.path("/dispatch/clients")))
	return nil
}

type stopsData struct {
	Depot  connect.DepotID
	Search string           // the list's search (reference, recipient, address)
	Import connect.ImportID // the stops of one import (a stops file's result links here)
	Query  template.URL     // depot, search and import, as a query string for the pages' links (url.Values.Encode)
	Depots []Depot
	Stops  []connect.UnassignedStop
	Next   string
	First  bool
	// Notices are the account's orders Shopify flagged (cancelled on a
	// route, changed after submission), newest first; Flagged marks the
	// unassigned stops among them.
	Notices []shopifyNotice
	Flagged map[connect.OrderID]*shopifyNotice
}

// shopifyNotice is a Shopify notice as the console shows it.
type shopifyNotice struct {
	connect.ShopifyNotice
	Label string // "Cancelled in Shopify", "Changed in Shopify"
}

// shopifyNotices reads the dispatcher's Shopify notices.
func (s *server) shopifyNotices(ctx context.Context, a connect.Actor) ([]shopifyNotice, map[connect.OrderID]*shopifyNotice, error) {
	list, err := s.svc.ShopifyNotices(ctx, a, 50)
	if err != nil {
		return nil, nil, err
	}
	out := make([]shopifyNotice, len(list))
	byOrder := make(map[connect.OrderID]*shopifyNotice, len(list))
	for i, n := range list {
		label := msg("Changed in Shopify")
		if n.Notice.Event == connect.EventShopifyCancel {
			label = msg("Cancelled in Shopify")
		}
		out[i] = shopifyNotice{ShopifyNotice: n, Label: label}
		byOrder[n.Order.ID] = &out[i]
	}
	return out, byOrder, nil
}

func (s *server) stopsPage(w http.ResponseWriter, r *http.Request, a connect.Actor) error {
	q := r.URL.Query()
	d := stopsData{Depot: connect.DepotID(q.Get("depot")), Search: strings.TrimSpace(q.Get("q")),
		Import: connect.ImportID(strings.TrimSpace(q.Get("import"))), First: q.Get("cursor") == ""}
	d.Query = template.URL(stopsQuery(d.Depot, d.Search, d.Import))
	var err error
	if d.Stops, d.Next, err = s.svc.StopsPage(r.Context(), a, connect.ListOrdersParams{Depot: d.Depot, Search: d.Search,
		Import: d.Import, Cursor: q.Get("cursor"), Limit: 100}); err != nil {
		return err
	}
	if d.Notices, d.Flagged, err = s.shopifyNotices(r.Context(), a); err != nil {
		return err
	}
	if d.Depots, err = s.depots(r.Context(), a); err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "stops", &page{Title: s.t(r, "Unassigned stops"), Tab: "stops", Data: d})
	return nil
}

func (s *server) moveStop(w http.ResponseWriter, r *http.Request, a connect.Actor) error {
	depot := connect.DepotID(strings.TrimSpace(r.PostFormValue("depot")))
	if _, err := s.svc.MoveToDepot(r.Context(), a, connect.OrderID(r.PathValue("id")), depot); err != nil {
		return err
	}
	s.setFlash(w, flash{Message: s.t(r, "Stop moved to depot {{.Depot}}.", "Depot", string(depot))})
	s.redirect(w, r, s.localNext(r.PostFormValue("next"), s.path("/dispatch/stops")))
	return nil
}

// stopsQuery is the stops list's filter as a query string.
func stopsQuery(depot connect.DepotID, search string, im connect.ImportID) string {
	v := url.Values{}
	if im != "" {
		v.Set("import", string(im))
	}
	if depot != "" {
		v.Set("depot", string(depot))
	}
	if search != "" {
		v.Set("q", search)
	}
	return v.Encode()
}

// cancelMatchingStops cancels every stop the posted filter (depot, q)
// selects, with the reason, once "Yes, cancel them" is ticked (no
// irreversible action without a confirmation, with or without JavaScript).
func (s *server) cancelMatchingStops(w http.ResponseWriter, r *http.Request, a connect.Actor) error {
	depot, search := connect.DepotID(r.PostFormValue("depot")), strings.TrimSpace(r.PostFormValue("q"))
	im := connect.ImportID(strings.TrimSpace(r.PostFormValue("import")))
	back := s.path("/dispatch/stops")
	if q := stopsQuery(depot, search, im); q != "" {
		back += "?" + q
	}
	if r.PostFormValue("confirm") != "cancel" {
		s.setFlash(w, flash{Message: s.t(r, "Tick “Yes, cancel them” to cancel every matching stop: it cannot be undone."), Error: true})
		s.redirect(w, r, back)
		return nil
	}
	res, err := s.svc.CancelMatching(r.Context(), a, connect.ListOrdersParams{Depot: depot, Search: search, Import: im},
		strings.TrimSpace(r.PostFormValue("reason")), connect.BulkOptions{})
	if err != nil && res == nil {
		return err
	}
	msg := fmt.Sprintf("%d stops cancelled.", res.Done)
	if res.Refused > 0 {
		msg += fmt.Sprintf(" %d left as they were (scheduled or changed meanwhile).", res.Refused)
	}
	if res.More {
		msg += " More stops matched than one run takes: cancel again for the rest."
	}
	if err != nil {
		msg += " It stopped before the end: " + message(err)
	}
	s.setFlash(w, flash{Message: msg})
	s.redirect(w, r, back)
	return nil
}

func (s *server) cancelStop(w http.ResponseWriter, r *http.Request, a connect.Actor) error {
	if _, err := s.svc.CancelOrder(r.Context(), a, connect.OrderID(r.PathValue("id")), strings.TrimSpace(r.PostFormValue("reason"))); err != nil {
		return err
	}
	s.setFlash(w, flash{Message: s.t(r, "Stop cancelled.")})
	s.redirect(w, r, s.localNext(r.PostFormValue("next"), s.path("/dispatch/stops")))
	return nil
}
