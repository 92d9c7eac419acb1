package portal

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/dispatchkit/connect"
)

// Documents clients print and forward (Config.Documents): package labels of an
// order, of a selection of drafts and of what an import just made; an order's
// proof of delivery, to its team, its account's dispatchers, the API and, once
// delivered, a tracking link's holder.

// Brand is how the dispatcher presents itself: its name and logo in the client
// portal's header, on the tracking page and at the top of its documents, its
// colour behind them, and the time zone its times are written in.
type Brand struct {
	Name string
	// Location is the account's time zone; nil: UTC, which the pages and the
	// documents say.
	Location *time.Location
	// LogoURL is the dispatcher's logo (an https URL, or a path on the host):
	// beside its name in the portal's header and on the tracking page. "":
	// the name alone.
	LogoURL string
	// Accent is the dispatcher's colour as #rrggbb: the header's background
	// and the documents' masthead rule. The text on it is white or black,
	// whichever contrasts more (at least 4.58:1, over WCAG's 4.5:1). "" or
	// anything but #rrggbb: the portal's own colours.
	Accent string
}

// validAccent reports whether s is a colour as #rrggbb.
func validAccent(s string) bool {
	if len(s) != 7 || s[0] != '#' {
		return false
	}
	for _, c := range s[1:] {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// TextOn returns the text colour for the accent: white or black, whichever
// has the higher contrast ratio with it (WCAG 2.2's relative luminance).
func TextOn(accent string) string {
	if ContrastRatio(accent, "#ffffff") >= ContrastRatio(accent, "#000000") {
		return "#ffffff"
	}
	return "#000000"
}

// ContrastRatio is WCAG 2.2's contrast ratio of two colours #rrggbb (from 1:1
// to 21:1; body text wants 4.5:1).
func ContrastRatio(a, b string) float64 {
	la, lb := luminance(a), luminance(b)
	return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)
}

// luminance is the relative luminance of a colour #rrggbb.
func luminance(hex string) float64 {
	var c [3]float64
	for i := range c {
		v, _ := strconv.ParseUint(hex[1+2*i:3+2*i], 16, 8)
		s := float64(v) / 255
		if s <= 0.04045 {
			c[i] = s / 12.92
		} else {
			c[i] = math.Pow((s+0.055)/1.055, 2.4)
		}
	}
	return 0.2126*c[0] + 0.7152*c[1] + 0.0722*c[2]
}

// errNoDocuments answers document features when no connect.Documents port is set.
var errNoDocuments = connect.Errorf(connect.Unavailable, "this portal does not make documents")

// brand returns the account's Brand (Config.Brand), or the portal's name in
// UTC. An accent that is not #rrggbb, or a logo that is neither https nor a
// path, is left out (and logged).
func (s *server) brand(ctx context.Context, account connect.AccountID) (Brand, error) {
	if s.cfg.Brand == nil {
		return Brand{Name: s.name}, nil
	}
	b, err := s.cfg.Brand(ctx, account)
	if err != nil {
		return Brand{}, err
	}
	if b.Name == "" {
		b.Name = s.name
	}
	if b.Accent != "" && !validAccent(b.Accent) {
		s.log.WarnContext(ctx, "portal: Brand.Accent is not #rrggbb: left out", "account", account, "accent", b.Accent)
		b.Accent = ""
	}
	b.Accent = strings.ToLower(b.Accent)
	if b.LogoURL != "" && !strings.HasPrefix(b.LogoURL, "https://") && !(strings.HasPrefix(b.LogoURL, "/") && !strings.HasPrefix(b.LogoURL, "//")) {
		s.log.WarnContext(ctx, "portal: Brand.LogoURL is neither https nor a path: left out", "account", account)
		b.LogoURL = ""
	}
	return b, nil
}

// brandCSS serves the colours of a brand's accent (GET /brand/{rrggbb}.css):
// a stylesheet, as the Content-Security-Policy allows no inline style.
func (s *server) brandCSS(w http.ResponseWriter, r *http.Request) {
	hex, ok := strings.CutSuffix(r.PathValue("file"), ".css")
	if !ok || !validAccent("#"+hex) {
		http.NotFound(w, r)
		return
	}
	accent := "#" + strings.ToLower(hex)
	text := TextOn(accent)
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	fmt.Fprintf(w, "header.top.branded{background:%[1]s;color:%[2]s;border-color:%[1]s}\n"+
		"header.top.branded a,header.top.branded .brand,header.top.branded .who,header.top.branded .client-name,header.top.branded button.link{color:%[2]s}\n"+
		"header.top.branded nav a[aria-current]{color:%[2]s;border-bottom-color:%[2]s}\n", accent, text)
}

// sheetOf is the label sheet a request asks for ("sheet"): 4×6 unless A4.
func sheetOf(r *http.Request) (connect.LabelSheet, error) {
	sheet := connect.LabelSheet(r.FormValue("sheet"))
	if sheet == "" {
		return connect.LabelSheet4x6, nil
	}
	if !sheet.Valid() {
		return "", connect.Errorf(connect.Invalid, "labels are printed on %q or %q sheets, not %q", connect.LabelSheet4x6, connect.LabelSheetA4, sheet)
	}
	return sheet, nil
}

// writeLabels writes the labels of the orders as a PDF named name.
func (s *server) writeLabels(w http.ResponseWriter, r *http.Request, a connect.Actor, ids []connect.OrderID, name string) error {
	if s.cfg.Documents == nil {
		return errNoDocuments
	}
	sheet, err := sheetOf(r)
	if err != nil {
		return err
	}
	labels, err := s.svc.PackageLabels(r.Context(), a, ids)
	if err != nil {
		return err
	}
	depots, err := s.depots(r.Context(), a)
	if err != nil {
		return err
	}
	lang := s.language(r).String() // the labels speak the reader's language
	for i := range labels {
		labels[i].Language = lang
		for _, d := range depots {
			if d.ID == labels[i].Depot {
				labels[i].DepotName = d.Name
			}
		}
	}
	var b bytes.Buffer
	if err := s.cfg.Documents.WriteLabels(&b, sheet, labels); err != nil {
		return err
	}
	return writePDF(w, b.Bytes(), fmt.Sprintf("%s-%s.pdf", name, sheet), "inline")
}

// writePDF answers a PDF made whole before the first byte, so that a failure
// is answered as an error page, not half a file.
func writePDF(w http.ResponseWriter, pdf []byte, name, disposition string) error {
	h := w.Header()
	h.Set("Content-Type", "application/pdf")
	h.Set("Content-Length", strconv.Itoa(len(pdf)))
	h.Set("Content-Disposition", fmt.Sprintf(`%s; filename="%s"`, disposition, name))
	h.Set("Cache-Control", "private, no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(pdf) // a reader gone mid-file: nothing more to say to it
	return nil
}

// orderLabels serves the labels of one order.
func (s *server) orderLabels(w http.ResponseWriter, r *http.Request, v *viewer) error {
	id := connect.OrderID(r.PathValue("id"))
	return s.writeLabels(w, r, v.Actor, []connect.OrderID{id}, "labels-"+fileSafe(string(id)))
}

// selectionLabels serves the labels of the orders selected in a list (id=…,
// as many as chosen).
func (s *server) selectionLabels(w http.ResponseWriter, r *http.Request, v *viewer) error {
	q := r.URL.Query()["id"]
	ids := make([]connect.OrderID, 0, len(q))
	for _, id := range q {
		ids = append(ids, connect.OrderID(id))
	}
	return s.writeLabels(w, r, v.Actor, ids, "labels")
}

// importLabels serves the labels of the drafts an import made: the client's
// spreadsheet drafts created since the upload, newest first, as many as it
// imported (a draft another member adds by spreadsheet meanwhile may take the
// place of one of them).
func (s *server) importLabels(w http.ResponseWriter, r *http.Request, v *viewer) error {
	u, job, err := s.jobOf(r, v)
	if err != nil {
		return err
	}
	st, _ := job.state()
	job.mu.Lock()
	res := job.result
	job.mu.Unlock()
	if !st.Finished || res == nil || res.Imported == 0 {
		return connect.Errorf(connect.Conflict, "the import made no orders to label")
	}
	want := min(res.Imported, connect.MaxLabelOrders)
	since := u.Created.Add(-time.Second) // the Service's clock may be a little behind the portal's
	var ids []connect.OrderID
	for cursor := ""; len(ids) < want; {
		page, err := s.svc.Orders(r.Context(), v.Actor, connect.ListOrdersParams{View: connect.ViewDrafts,
			Source: connect.SourceSpreadsheet, CreatedFrom: since, Limit: 500, Cursor: cursor})
		if err != nil {
			return err
		}
		for _, o := range page.Orders {
			if len(ids) < want {
				ids = append(ids, o.ID)
			}
		}
		if page.Next == "" {
			break
		}
		cursor = page.Next
	}
	if len(ids) == 0 {
		return connect.Errorf(connect.Conflict, "the orders of this import are no longer drafts: print their labels from their pages")
	}
	return s.writeLabels(w, r, v.Actor, ids, "labels-import")
}

// proofPDF writes the proof-of-delivery document; a is the team member or
// dispatcher asking (none for a tracking link's holder), whose team's members
// the timeline names.
func (s *server) proofPDF(w http.ResponseWriter, r *http.Request, a *connect.Actor, d *connect.ProofDocument, err error) error {
	if err != nil {
		return err
	}
	if s.cfg.Documents == nil {
		return errNoDocuments
	}
	b, err := s.brand(r.Context(), d.Order.Account)
	if err != nil {
		return err
	}
	d.Brand, d.Location, d.BrandColor, d.Language = b.Name, b.Location, b.Accent, s.language(r).String()
	if a != nil {
		people, err := s.people(r.Context(), *a, d.Order.Client)
		if err != nil {
			return err
		}
		nameMembers(d, people)
	}
	var out bytes.Buffer
	if err := s.cfg.Documents.WriteProof(&out, d); err != nil {
		return err
	}
	return writePDF(w, out.Bytes(), "proof-of-delivery-"+fileSafe(orderName(d.Order))+".pdf", "attachment")
}

// orderProof serves an order's proof of delivery to its team.
func (s *server) orderProof(w http.ResponseWriter, r *http.Request, v *viewer) error {
	if s.cfg.Documents == nil {
		return errNoDocuments
	}
	d, err := s.svc.ProofDocument(r.Context(), v.Actor, connect.OrderID(r.PathValue("id")))
	return s.proofPDF(w, r, &v.Actor, d, err)
}

// trackedProof serves the proof of delivery to a tracking link's holder.
func (s *server) trackedProofPDF(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.Documents == nil {
		return errNoDocuments
	}
	d, err := s.svc.TrackedProofDocument(r.Context(), r.PathValue("token"))
	return s.proofPDF(w, r, nil, d, err)
}

// nameMembers writes the team's members in the document's timeline by name,
// as the order's page does.
func nameMembers(d *connect.ProofDocument, people map[connect.MemberID]string) {
	for i := range d.Order.History {
		if by := d.Order.History[i].By; by != "" {
			d.Order.History[i].By = who(english, people, by) // documents are written in English
		}
	}
}

// fileSafe keeps the letters, digits and "-_." of s, for a file name.
func fileSafe(s string) string {
	b := make([]byte, 0, len(s))
	for _, c := range []byte(s) {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' {
			b = append(b, c)
		}
	}
	if len(b) == 0 {
		return "order"
	}
	return string(b)
}

// apiProof serves an order's proof of delivery to an actor the portal did
// not sign in: the client's systems (API), the account's dispatchers (the
// console).
func (s *server) apiProof(w http.ResponseWriter, r *http.Request, a connect.Actor) error {
	if s.cfg.Documents == nil {
		return errNoDocuments
	}
	d, err := s.svc.ProofDocument(r.Context(), a, connect.OrderID(r.PathValue("id")))
	return s.proofPDF(w, r, &a, d, err)
}

// apiLabels serves an order's package labels to the client's systems, and to
// the account's dispatchers (a depot labelling what a client brought).
func (s *server) apiLabels(w http.ResponseWriter, r *http.Request, a connect.Actor) error {
	id := connect.OrderID(r.PathValue("id"))
	return s.writeLabels(w, r, a, []connect.OrderID{id}, "labels-"+fileSafe(string(id)))
}
