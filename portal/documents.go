package portal

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/dispatchkit/connect"
)

// Documents clients print and forward (Config.Documents): package labels of an
// order, of a selection of drafts and of what an import just made; an order's
// proof of delivery, to its team, its account's dispatchers, the API and, once
// delivered, a tracking link's holder.

// Brand is how the dispatcher's documents present it: its name at the top of a
// proof of delivery and the time zone its times are written in.
type Brand struct {
	Name string
	// Location is the account's time zone; nil: UTC, which the documents say.
	Location *time.Location
}

// errNoDocuments answers document features when no connect.Documents port is set.
var errNoDocuments = connect.Errorf(connect.Unavailable, "this portal does not make documents")

// brand returns the account's Brand (Config.Brand), or the portal's name in UTC.
func (s *server) brand(ctx context.Context, account connect.AccountID) (Brand, error) {
	if s.cfg.Brand != nil {
		b, err := s.cfg.Brand(ctx, account)
		if err != nil {
			return Brand{}, err
		}
		if b.Name != "" {
			return b, nil
		}
		return Brand{Name: s.name, Location: b.Location}, nil
	}
	return Brand{Name: s.name}, nil
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
	for i := range labels {
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
	d.Brand, d.Location = b.Name, b.Location
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
