package portal

import (
	"context"
	"encoding/csv"
	"fmt"
	"iter"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dispatchkit/connect"
)

// homeData is the home page: counts by status and the on-time rate.
type homeData struct {
	Counts connect.StatusCounts
	Views  map[string]int
	// OnTime of WithETA orders delivered in the last 30 days arrived at or before
	// their ETA.
	OnTime, WithETA int
}

// stats counts the client's orders by status and view, and its on-time rate over
// the last 30 days.
func (s *server) stats(ctx context.Context, a connect.Actor) (*homeData, error) {
	// The default window (the last 30 days): a Since of our own would differ on
	// every call, and the homes of one client could no longer share their counts.
	st, err := s.svc.OrderStats(ctx, a, connect.OrderStatsParams{})
	if err != nil {
		return nil, err
	}
	h := &homeData{Counts: st.Counts, Views: map[string]int{}, OnTime: st.OnTime, WithETA: st.WithETA}
	for _, v := range []connect.View{connect.ViewDrafts, connect.ViewActive, connect.ViewCompleted} {
		for _, status := range v.Statuses() {
			h.Views[string(v)] += h.Counts[status]
		}
	}
	return h, nil
}

func (s *server) home(w http.ResponseWriter, r *http.Request, v *viewer) error {
	h, err := s.stats(r.Context(), v.Actor)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "home", &page{Title: s.t(r, "Home"), Tab: "home", Data: h})
	return nil
}

// ordersData is the orders page: one tab, one page.
type ordersData struct {
	View   connect.View
	Filter orderFilter
	Orders []*connect.Order
	Next   string
	First  bool
	Error  string
	Errors []connect.FieldError
	// Matching is what the bulk actions beyond the page's rows would take.
	Matching matching
	// Imports are the team's recent imports, for the import filter; Import
	// is the one filtered on, when it is not among them.
	Imports []*connect.ImportRecord
	Import  *connect.ImportRecord
}

func viewOf(r *http.Request) connect.View {
	switch v := connect.View(r.URL.Query().Get("view")); v {
	case connect.ViewDrafts, connect.ViewActive, connect.ViewCompleted:
		return v
	}
	return connect.ViewActive
}

func (s *server) ordersPage(w http.ResponseWriter, r *http.Request, v *viewer) error {
	return s.showOrders(w, r, v, viewOf(r), http.StatusOK, nil)
}

func (s *server) showOrders(w http.ResponseWriter, r *http.Request, v *viewer, view connect.View, status int, failure error) error {
	cursor := r.URL.Query().Get("cursor")
	filter := filterOf(r.URL.Query())
	params := connect.ListOrdersParams{View: view, Cursor: cursor}
	p := &connect.OrderPage{}
	err := filter.apply(&params)
	if err == nil {
		p, err = s.svc.Orders(r.Context(), v.Actor, params)
	}
	if err != nil {
		// A filter that is not one is said beside the form, over an empty list.
		if httpStatus(err) != http.StatusUnprocessableEntity || !filter.Any() {
			return err
		}
		status, failure, p = http.StatusUnprocessableEntity, err, &connect.OrderPage{}
	}
	d := ordersData{View: view, Orders: p.Orders, Next: p.Next, First: cursor == "", Filter: filter}
	if v.CanUpload() && len(p.Orders) > 0 && (view == connect.ViewDrafts || view == connect.ViewActive) {
		d.Matching = matching{More: p.Next != "" || cursor != "", Count: s.countMatching(r.Context(), v, view, filter)}
	}
	if d.Imports, err = s.svc.Imports(r.Context(), v.Actor, connect.ImportsParams{}); err != nil {
		return err
	}
	if filter.Import != "" && !slices.ContainsFunc(d.Imports, func(im *connect.ImportRecord) bool { return im.ID == filter.Import }) {
		d.Import = &connect.ImportRecord{ID: filter.Import} // older than the list, or none: still shown as chosen
	}
	if failure != nil {
		d.Error, d.Errors = message(failure), fieldErrors(failure)
	}
	s.render(w, r, status, "orders", &page{Title: s.t(r, "Orders"), Tab: "orders", Data: d})
	return nil
}

// submitOrders submits the selected drafts; all or nothing.
func (s *server) submitOrders(w http.ResponseWriter, r *http.Request, v *viewer) error {
	if err := r.ParseForm(); err != nil {
		return connect.Errorf(connect.Invalid, "the form could not be read")
	}
	ids := make([]connect.OrderID, 0, len(r.PostForm["id"]))
	for _, id := range r.PostForm["id"] {
		ids = append(ids, connect.OrderID(id))
	}
	out, err := s.svc.SubmitOrders(r.Context(), v.Actor, ids)
	if err != nil {
		if st := httpStatus(err); st == http.StatusUnprocessableEntity || st == http.StatusConflict {
			return s.showOrders(w, r, v, connect.ViewDrafts, st, err)
		}
		return err
	}
	s.setFlash(w, flash{Message: s.tn(r, "{{.Count}} order submitted for delivery.", "{{.Count}} orders submitted for delivery.", len(out))})
	s.redirect(w, r, s.path("/orders?view=active"))
	return nil
}

// orderFormData is the add and edit forms.
type orderFormData struct {
	Action   string
	Order    *connect.Order
	Version  int
	Values   map[string]string
	Errors   map[string]string
	Error    string
	Required []connect.Field
	// A new order may start from an address book entry (addressbook.go):
	// From is the one it starts from, Recent the ones offered.
	From   *connect.AddressEntry
	Recent []*connect.AddressEntry
}

func (s *server) newOrderPage(w http.ResponseWriter, r *http.Request, v *viewer) error {
	if !v.CanUpload() {
		return connect.Errorf(connect.Forbidden, "your dispatcher has not enabled order uploads for %s", v.Client.Name)
	}
	d := orderFormData{Action: s.path("/orders/new"), Values: map[string]string{string(connect.FieldStopType): "delivery"},
		Required: v.Client.Settings.RequiredFields.Required()}
	if err := s.startFrom(r, v, &d); err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "order-form", &page{Title: s.t(r, "Add an order"), Tab: "orders", Data: d})
	return nil
}

// formFailure re-shows the order form with the errors, or returns err when it is
// not about the input.
func (s *server) formFailure(w http.ResponseWriter, r *http.Request, v *viewer, d orderFormData, err error) error {
	st := httpStatus(err)
	if st != http.StatusUnprocessableEntity && st != http.StatusConflict {
		return err
	}
	d.Errors = formErrors(err)
	d.Error = message(err)
	if len(d.Errors) > 0 {
		d.Error = s.t(r, "Please correct the fields marked below.")
	}
	d.Required = v.Client.Settings.RequiredFields.Required()
	title := s.t(r, "Add an order")
	if d.Order != nil {
		title = s.t(r, "Edit order")
	}
	s.render(w, r, st, "order-form", &page{Title: title, Tab: "orders", Data: d})
	return nil
}

func (s *server) createOrder(w http.ResponseWriter, r *http.Request, v *viewer) error {
	in, values, problems := parseOrderForm(r)
	d := orderFormData{Action: s.path("/orders/new"), Values: values}
	if len(problems) > 0 {
		return s.formFailure(w, r, v, d, connect.InvalidFields(problems))
	}
	o, err := s.svc.CreateOrder(r.Context(), v.Actor, in)
	if err != nil {
		return s.formFailure(w, r, v, d, err)
	}
	s.setFlash(w, flash{Message: s.t(r, "Draft order added. Submit it for delivery when it is ready.")})
	s.redirect(w, r, s.path("/orders/%s", o.ID))
	return nil
}

func (s *server) editOrderPage(w http.ResponseWriter, r *http.Request, v *viewer) error {
	o, err := s.svc.Order(r.Context(), v.Actor, connect.OrderID(r.PathValue("id")))
	if err != nil {
		return err
	}
	if o.Status != connect.StatusDraft {
		return connect.Errorf(connect.Conflict, "only drafts can be edited; this order is %s", o.Status.Label())
	}
	s.render(w, r, http.StatusOK, "order-form", &page{Title: s.t(r, "Edit order"), Tab: "orders", Data: orderFormData{
		Action: s.path("/orders/%s/edit", o.ID), Order: o, Version: o.Version, Values: orderValues(o.OrderInput),
		Required: v.Client.Settings.RequiredFields.Required()}})
	return nil
}

func (s *server) updateOrder(w http.ResponseWriter, r *http.Request, v *viewer) error {
	id := connect.OrderID(r.PathValue("id"))
	o, err := s.svc.Order(r.Context(), v.Actor, id)
	if err != nil {
		return err
	}
	version, _ := strconv.Atoi(r.PostFormValue("version"))
	in, values, problems := parseOrderForm(r)
	d := orderFormData{Action: s.path("/orders/%s/edit", id), Order: o, Version: version, Values: values}
	if len(problems) > 0 {
		return s.formFailure(w, r, v, d, connect.InvalidFields(problems))
	}
	if _, err := s.svc.UpdateDraft(r.Context(), v.Actor, id, version, in); err != nil {
		return s.formFailure(w, r, v, d, err)
	}
	s.setFlash(w, flash{Message: s.t(r, "Draft order saved.")})
	s.redirect(w, r, s.path("/orders/%s", id))
	return nil
}

func (s *server) deleteOrder(w http.ResponseWriter, r *http.Request, v *viewer) error {
	version, _ := strconv.Atoi(r.PostFormValue("version"))
	if err := s.svc.DeleteDraft(r.Context(), v.Actor, connect.OrderID(r.PathValue("id")), version); err != nil {
		return err
	}
	s.setFlash(w, flash{Message: s.t(r, "Draft order deleted.")})
	s.redirect(w, r, s.path("/orders?view=drafts"))
	return nil
}

func (s *server) submitOrder(w http.ResponseWriter, r *http.Request, v *viewer) error {
	id := connect.OrderID(r.PathValue("id"))
	if _, err := s.svc.SubmitOrders(r.Context(), v.Actor, []connect.OrderID{id}); err != nil {
		return err
	}
	s.setFlash(w, flash{Message: s.t(r, "Order submitted for delivery.")})
	s.redirect(w, r, s.path("/orders/%s", id))
	return nil
}

func (s *server) withdrawOrder(w http.ResponseWriter, r *http.Request, v *viewer) error {
	id := connect.OrderID(r.PathValue("id"))
	if _, err := s.svc.Withdraw(r.Context(), v.Actor, id); err != nil {
		return err
	}
	s.setFlash(w, flash{Message: s.t(r, "Order withdrawn: it is a draft again.")})
	s.redirect(w, r, s.localNext(r.PostFormValue("next"), s.path("/orders/%s", id)))
	return nil
}

// orderData is an order's page and its live section.
type orderData struct {
	O     *connect.Order
	Links []*connect.TrackingLink
	V     *viewer
	// People names the team's members by id, for the timeline.
	People map[connect.MemberID]string
	// Documents is set when the portal makes documents (Config.Documents).
	Documents bool
	// Base is where the order's own pages are: s.path("/orders/<id>") for
	// its team, "/dispatch/orders/<id>" in the console.
	Base string
	// Console is set on the dispatcher's page of the order: no team actions,
	// no tracking links, no live updates (they are the team's stream).
	Console bool
	// Client names the order's client on the console's page.
	Client *connect.Client
	// Notices are the order's recipient notices (none when the portal sends
	// none).
	Notices []noticeRow
}

// Withdrawable reports whether the order can be withdrawn now.
func (d orderData) Withdrawable() bool { return withdrawable(d.O, d.V) }

// withdrawable reports whether the team may take the order back: a submitted
// order it uploaded itself (not a stop the dispatcher linked to it), off a route.
func withdrawable(o *connect.Order, v *viewer) bool {
	return o.Status == connect.StatusSubmitted && o.Source != connect.SourceDispatcher && v != nil && v.CanUpload()
}

func (s *server) loadOrder(r *http.Request, v *viewer) (orderData, error) {
	o, err := s.svc.Order(r.Context(), v.Actor, connect.OrderID(r.PathValue("id")))
	if err != nil {
		return orderData{}, err
	}
	links, err := s.svc.TrackingLinks(r.Context(), v.Actor, o.ID)
	if err != nil {
		return orderData{}, err
	}
	for _, l := range links {
		if l.URL == "" && l.Token != "" {
			l.URL = s.links.Tracking(l.Token) // the host set no Config.TrackingURL
		}
	}
	people, err := s.people(r.Context(), v.Actor, "")
	if err != nil {
		return orderData{}, err
	}
	notices, err := s.orderNotices(r, v.Actor, o.ID)
	if err != nil {
		return orderData{}, err
	}
	return orderData{O: o, Links: links, V: v, People: people, Documents: s.cfg.Documents != nil, Base: s.path("/orders/%s", o.ID),
		Notices: notices}, nil
}

// consoleOrderPage is an order as its account's dispatchers see it (a stop
// row's link): its details, state, proof and timeline, its proof and labels
// as PDF, and its client.
func (s *server) consoleOrderPage(w http.ResponseWriter, r *http.Request, a connect.Actor) error {
	o, err := s.svc.Order(r.Context(), a, connect.OrderID(r.PathValue("id")))
	if err != nil {
		return err
	}
	people, err := s.people(r.Context(), a, o.Client)
	if err != nil {
		return err
	}
	cl, err := s.svc.Client(r.Context(), a, o.Client)
	if err != nil {
		return err
	}
	notices, err := s.orderNotices(r, a, o.ID)
	if err != nil {
		return err
	}
	d := orderData{O: o, People: people, Documents: s.cfg.Documents != nil, Base: s.path("/dispatch/orders/%s", o.ID),
		Console: true, Client: cl, Notices: notices}
	s.render(w, r, http.StatusOK, "order", &page{Title: s.t(r, "Order {{.Ref}}", "Ref", orderName(o)), Tab: "stops", Data: d})
	return nil
}

func (s *server) orderPage(w http.ResponseWriter, r *http.Request, v *viewer) error {
	d, err := s.loadOrder(r, v)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "order", &page{Title: s.t(r, "Order {{.Ref}}", "Ref", orderName(d.O)), Tab: "orders", Data: d})
	return nil
}

// orderLive is the order page's live section, fetched again on each event.
func (s *server) orderLive(w http.ResponseWriter, r *http.Request, v *viewer) error {
	d, err := s.loadOrder(r, v)
	if err != nil {
		return err
	}
	return s.fragment(w, r, nil, "order", "order-live", d)
}

// rowData is one row of an orders list.
type rowData struct {
	O    *connect.Order
	View connect.View
	V    *viewer
}

// Withdrawable reports whether the row offers Withdraw.
func (d rowData) Withdrawable() bool { return withdrawable(d.O, d.V) }

// orderRow is one row of a list, fetched again on each event.
func (s *server) orderRow(w http.ResponseWriter, r *http.Request, v *viewer) error {
	o, err := s.svc.Order(r.Context(), v.Actor, connect.OrderID(r.PathValue("id")))
	if err != nil {
		return err
	}
	return s.fragment(w, r, nil, "orders", "order-row", rowData{O: o, View: viewOf(r), V: v})
}

// people names the members of the actor's team (a dispatcher's: the client's)
// by id, for timelines.
func (s *server) people(ctx context.Context, a connect.Actor, client connect.ClientID) (map[connect.MemberID]string, error) {
	members, err := s.svc.Members(ctx, a, client)
	if err != nil {
		return nil, err
	}
	people := make(map[connect.MemberID]string, len(members))
	for _, m := range members {
		people[m.ID] = m.Name
	}
	return people, nil
}

// who names the author of a history event for people: a member of the team by
// name ("member 0190… (owner)" reads "Gina (owner)").
func who(l *locale, people map[connect.MemberID]string, by string) string {
	rest, ok := strings.CutPrefix(by, "member ")
	if !ok {
		return by
	}
	id, role, _ := strings.Cut(rest, " ")
	if name, ok := people[connect.MemberID(id)]; ok {
		return strings.TrimSpace(name + " " + role)
	}
	return strings.TrimSpace(l.T("a former member") + " " + role)
}

func orderName(o *connect.Order) string {
	if o.Ref != "" {
		return o.Ref
	}
	id := string(o.ID)
	if len(id) > 8 {
		id = id[len(id)-8:]
	}
	return "…" + id
}

func (s *server) createTrackingLink(w http.ResponseWriter, r *http.Request, v *viewer) error {
	id := connect.OrderID(r.PathValue("id"))
	l, err := s.svc.CreateTrackingLink(r.Context(), v.Actor, id)
	if err != nil {
		return err
	}
	link := l.URL
	if link == "" {
		link = s.links.Tracking(l.Token)
	}
	msg := s.t(r, "Tracking link created. Share it with the recipient; it is shown only now.")
	if len(l.Link.Sealed) > 0 {
		msg = s.t(r, "Tracking link created. Share it with the recipient; you can copy it again below while it is active.")
	}
	s.setFlash(w, flash{Message: msg, Secret: link})
	s.redirect(w, r, s.path("/orders/%s", id))
	return nil
}

func (s *server) revokeTrackingLink(w http.ResponseWriter, r *http.Request, v *viewer) error {
	id := connect.OrderID(r.PathValue("id"))
	if _, err := s.svc.RevokeTrackingLink(r.Context(), v.Actor, id, connect.TrackingLinkID(r.PathValue("link"))); err != nil {
		return err
	}
	s.setFlash(w, flash{Message: s.t(r, "Tracking link revoked: it no longer opens.")})
	s.redirect(w, r, s.path("/orders/%s", id))
	return nil
}

// maxExport bounds an export.
const maxExport = 100_000

// exportOrders writes a tab of orders, every page of it, as "csv" or "xlsx" (through
// Config.Spreadsheets): each order field as the order-field table labels and writes
// it, so that the file imports back as the same orders, then what the portal knows
// of the order besides.
func (s *server) exportOrders(format string) memberFunc {
	return func(w http.ResponseWriter, r *http.Request, v *viewer) error {
		if format == "xlsx" && s.cfg.Spreadsheets == nil {
			return errNoSpreadsheets
		}
		view := viewOf(r)
		if r.URL.Query().Get("view") == "" {
			view = ""
		}
		params := connect.ListOrdersParams{View: view, Limit: 500}
		if err := filterOf(r.URL.Query()).apply(&params); err != nil {
			return err
		}
		first, err := s.svc.Orders(r.Context(), v.Actor, params)
		if err != nil {
			return err
		}
		name := "orders"
		if view != "" {
			name += "-" + string(view)
		}
		header := make([]string, len(exportColumns))
		for i, c := range exportColumns {
			header[i] = c.label
		}
		return s.writeTable(w, format, fmt.Sprintf("%s-%s.%s", name, s.now().UTC().Format("2006-01-02"), format),
			header, s.exportRows(r, v, params, first))
	}
}

// writeTable answers a table as a file to download, name, of the format:
// "xlsx" through Config.Spreadsheets, else CSV (written here), every cell
// passed through EscapeFormula.
func (s *server) writeTable(w http.ResponseWriter, format, name string, header []string, rows iter.Seq[[]string]) error {
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s"`, name))
	if format == "xlsx" {
		w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		if err := s.cfg.Spreadsheets.WriteTable(w, format, header, rows); err != nil {
			w.Header().Del("Content-Disposition") // the error is shown as a page
			return err
		}
		return nil
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	cw := csv.NewWriter(w)
	_ = cw.Write(escapeCells(header))
	for row := range rows {
		_ = cw.Write(escapeCells(row))
	}
	cw.Flush()
	return cw.Error()
}

// escapeCells passes every cell of row through connect.EscapeFormula.
func escapeCells(row []string) []string {
	for i, c := range row {
		row[i] = connect.EscapeFormula(c)
	}
	return row
}

// exportRows yields the export's rows of the orders the list params select, starting with the page
// first, up to maxExport. A page that cannot be read ends the export there (logged):
// the file has already begun.
func (s *server) exportRows(r *http.Request, v *viewer, params connect.ListOrdersParams, first *connect.OrderPage) iter.Seq[[]string] {
	return func(yield func([]string) bool) {
		page, n := first, 0
		for {
			for _, o := range page.Orders {
				row := make([]string, len(exportColumns))
				for i, c := range exportColumns {
					row[i] = c.value(o)
				}
				if !yield(row) {
					return
				}
				n++
			}
			if page.Next == "" || n >= maxExport {
				return
			}
			var err error
			params.Cursor = page.Next
			if page, err = s.svc.Orders(r.Context(), v.Actor, params); err != nil {
				s.log.ErrorContext(r.Context(), "portal: export cut short", "err", err)
				return
			}
		}
	}
}

// exportColumn is a column of an orders export.
type exportColumn struct {
	label string
	value func(o *connect.Order) string
}

// fieldColumn is the column of an order field, as the order-field table labels and
// writes it.
func fieldColumn(f connect.Field) exportColumn {
	spec, _ := f.Spec()
	return exportColumn{label: spec.Label, value: func(o *connect.Order) string { return spec.Format(&o.OrderInput) }}
}

// exportColumns are the export's columns: every field of the order-field table
// under its label (the Id and the type of stop first, beside the status), then
// what the portal knows of the order besides, under names the importer maps to
// no field (TestExportHeaderIsTheFieldTable), so that it leaves them out.
var exportColumns = func() []exportColumn {
	ts := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	}
	first := []connect.Field{connect.FieldRef, connect.FieldStopType}
	cols := []exportColumn{
		fieldColumn(connect.FieldRef),
		{"Status", func(o *connect.Order) string { return o.Status.Label() }},
		fieldColumn(connect.FieldStopType),
	}
	// Every other field of the table, in its order: a field added to the table
	// is exported (and so imports back) with nothing to change here.
	for _, f := range connect.OrderFields() {
		if !slices.Contains(first, f) {
			cols = append(cols, fieldColumn(f))
		}
	}
	return append(cols,
		exportColumn{"Created", func(o *connect.Order) string { return ts(o.CreatedAt) }},
		exportColumn{"Submitted", func(o *connect.Order) string { return ts(o.SubmittedAt) }},
		exportColumn{"ETA", func(o *connect.Order) string { return ts(o.ETA) }},
		exportColumn{"Completed", func(o *connect.Order) string { return ts(o.CompletedAt()) }},
		exportColumn{"Failure reason", func(o *connect.Order) string { return o.FailureReason }},
		exportColumn{"Received by", func(o *connect.Order) string {
			if o.Proof != nil {
				return o.Proof.RecipientName
			}
			return ""
		}},
		exportColumn{"Source", func(o *connect.Order) string { return string(o.Source) }},
		exportColumn{"Connect order ID", func(o *connect.Order) string { return string(o.ID) }},
	)
}()

// template serves the spreadsheet template to fill in.
func (s *server) template(format string) memberFunc {
	return func(w http.ResponseWriter, r *http.Request, v *viewer) error {
		if s.cfg.Spreadsheets == nil {
			return errNoSpreadsheets
		}
		ct := "text/csv; charset=utf-8"
		if format == "xlsx" {
			ct = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
		}
		w.Header().Set("Content-Type", ct)
		w.Header().Set("Content-Disposition", `attachment; filename="orders-template.`+format+`"`)
		return s.cfg.Spreadsheets.WriteTemplate(w, format, v.Client.Settings.RequiredFields)
	}
}

type glossaryData struct {
	Required []connect.Field
}

func (s *server) glossaryPage(w http.ResponseWriter, r *http.Request) error {
	d := glossaryData{Required: connect.RequiredFieldPolicy{}.Required()}
	if a, ok := s.sessionActor(r); ok {
		if cl, err := s.svc.Client(r.Context(), a, a.Client); err == nil {
			d.Required = cl.Settings.RequiredFields.Required()
		}
	}
	s.render(w, r, http.StatusOK, "glossary", &page{Title: s.t(r, "Spreadsheet glossary"), Data: d})
	return nil
}
