package portal

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/dispatchkit/connect"
)

// The bulk proof export: a ZIP of the proof-of-delivery PDFs of a date range's
// (or a selection's) delivered and failed orders, with summary.csv listing
// them. It is streamed as it is made: one order's files and PDF in memory at
// a time, whatever the number of orders (at most connect.MaxProofExport).

// proofExportParams reads ?from=2026-10-01&to=2026-10-31 (days, both included,
// in the account's time zone) or id=… (a selection).
func (s *server) proofExportParams(r *http.Request, loc *time.Location, client connect.ClientID) (connect.ProofExportParams, error) {
	if loc == nil {
		loc = time.UTC
	}
	q := r.URL.Query()
	p := connect.ProofExportParams{Client: client}
	for _, id := range q["id"] {
		p.IDs = append(p.IDs, connect.OrderID(id))
	}
	day := func(name string) (time.Time, error) {
		v := q.Get(name)
		if v == "" {
			return time.Time{}, nil
		}
		t, err := time.ParseInLocation("2006-01-02", v, loc)
		if err != nil {
			return time.Time{}, connect.Errorf(connect.Invalid, "a day is written like 2026-10-31, not %q", v)
		}
		return t, nil
	}
	var err error
	if p.From, err = day("from"); err != nil {
		return p, err
	}
	if p.To, err = day("to"); err != nil {
		return p, err
	}
	if !p.To.IsZero() {
		p.To = p.To.AddDate(0, 0, 1) // the last day is included
	}
	return p, nil
}

// writeProofExport streams the ZIP.
func (s *server) writeProofExport(w http.ResponseWriter, r *http.Request, a connect.Actor, client connect.ClientID) error {
	if s.cfg.Documents == nil {
		return errNoDocuments
	}
	b, err := s.brand(r.Context(), a.Account)
	if err != nil {
		return err
	}
	p, err := s.proofExportParams(r, b.Location, client)
	if err != nil {
		return err
	}
	var (
		zw      *zip.Writer
		summary bytes.Buffer // a line per order: 10k orders make about 2 MB
		names   = map[string]bool{}
	)
	sum := csv.NewWriter(&summary)
	_ = sum.Write([]string{"File", "Id", "Connect order ID", "Status", "Recipient", "Received by", "Completed", "Failure reason"})
	start := func() {
		if zw != nil {
			return
		}
		h := w.Header()
		h.Set("Content-Type", "application/zip")
		h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="proofs-%s.zip"`, s.now().UTC().Format("2006-01-02")))
		h.Set("Cache-Control", "private, no-store")
		w.WriteHeader(http.StatusOK)
		zw = zip.NewWriter(w)
	}
	var pdf bytes.Buffer
	var people map[connect.MemberID]string // the team's, read with the first document
	more, err := s.svc.ProofDocuments(r.Context(), a, p, func(d *connect.ProofDocument) error {
		d.Brand, d.Location = b.Name, b.Location
		if people == nil {
			var err error
			if people, err = s.people(r.Context(), a, d.Order.Client); err != nil {
				return err
			}
		}
		nameMembers(d, people)
		pdf.Reset()
		if err := s.cfg.Documents.WriteProof(&pdf, d); err != nil {
			return err
		}
		start()
		name := "proof-of-delivery-" + fileSafe(orderName(d.Order))
		if names[name] {
			name += "-" + fileSafe(string(d.Order.ID))
		}
		names[name] = true
		name += ".pdf"
		// PDF streams are compressed already: stored, not deflated again.
		f, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store, Modified: d.Made})
		if err != nil {
			return err
		}
		if _, err := f.Write(pdf.Bytes()); err != nil {
			return err
		}
		o, received := d.Order, ""
		if o.Proof != nil {
			received = o.Proof.RecipientName
		}
		return sum.Write(escapeCells([]string{name, o.Ref, string(o.ID), o.Status.Label(), o.Recipient.Name, received,
			completedAt(o).UTC().Format(time.RFC3339), o.FailureReason}))
	})
	if err != nil && zw == nil {
		return err // nothing written yet: an error page
	}
	start()
	if err != nil {
		// The file has begun: say in it why it stops here.
		s.log.ErrorContext(r.Context(), "portal: proof export cut short", "err", err)
		if f, ferr := zw.Create("EXPORT-INCOMPLETE.txt"); ferr == nil {
			fmt.Fprintf(f, "The export stopped before its end: %s\nExport again, or a shorter range.\n", message(err))
		}
	} else if more {
		if f, ferr := zw.Create("MORE-ORDERS.txt"); ferr == nil {
			fmt.Fprintf(f, "An export holds at most %d orders: these are the newest. Export the earlier days again.\n", connect.MaxProofExport)
		}
	}
	sum.Flush()
	// Stored too: a ZIP's readers show it at once, and tests read it as it is.
	if f, ferr := zw.CreateHeader(&zip.FileHeader{Name: "summary.csv", Method: zip.Store, Modified: s.now()}); ferr == nil {
		_, _ = f.Write(summary.Bytes())
	}
	if cerr := zw.Close(); cerr != nil && !strings.Contains(cerr.Error(), "closed") {
		s.log.WarnContext(r.Context(), "portal: proof export not finished", "err", cerr)
	}
	return nil
}

func (s *server) proofExport(w http.ResponseWriter, r *http.Request, v *viewer) error {
	return s.writeProofExport(w, r, v.Actor, "")
}

func (s *server) clientProofExport(w http.ResponseWriter, r *http.Request, a connect.Actor) error {
	return s.writeProofExport(w, r, a, connect.ClientID(r.PathValue("id")))
}
