package portal

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
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
func (s *server) proofExportParams(q url.Values, loc *time.Location, client connect.ClientID) (connect.ProofExportParams, error) {
	if loc == nil {
		loc = time.UTC
	}
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

// writeProofExport streams the ZIP as the answer to the request.
func (s *server) writeProofExport(w http.ResponseWriter, r *http.Request, a connect.Actor, client connect.ClientID) error {
	b, p, err := s.proofExportOf(r, r.URL.Query(), a, client)
	if err != nil {
		return err
	}
	_, err = s.writeProofZip(r.Context(), a, p, b, s.language(r).String(), func() io.Writer {
		h := w.Header()
		h.Set("Content-Type", "application/zip")
		h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s"`, s.proofZipName()))
		h.Set("Cache-Control", "private, no-store")
		w.WriteHeader(http.StatusOK)
		return w
	})
	return err
}

// proofExportOf reads the export q asks for, with the brand its documents
// carry. Errors: ErrUnavailable without Config.Documents; ErrInvalid for a
// bad day.
func (s *server) proofExportOf(r *http.Request, q url.Values, a connect.Actor, client connect.ClientID) (Brand, connect.ProofExportParams, error) {
	if s.cfg.Documents == nil {
		return Brand{}, connect.ProofExportParams{}, errNoDocuments
	}
	b, err := s.brand(r.Context(), a.Account)
	if err != nil {
		return Brand{}, connect.ProofExportParams{}, err
	}
	p, err := s.proofExportParams(q, b.Location, client)
	return b, p, err
}

// proofZipName is the file name of an export made now.
func (s *server) proofZipName() string {
	return fmt.Sprintf("proofs-%s.zip", s.now().UTC().Format("2006-01-02"))
}

// proofZipOutcome is what a written export holds.
type proofZipOutcome struct {
	Orders int   `json:"orders"`         // proofs in it
	Size   int64 `json:"size,omitempty"` // bytes, once stored (a job's)
	More   bool  `json:"more,omitempty"` // it stopped at connect.MaxProofExport
	// Cut says why it stopped before its end, as its EXPORT-INCOMPLETE.txt does.
	Cut string `json:"cut,omitempty"`
}

// writeProofZip writes the export's ZIP to the writer open returns, calling
// open before the first byte: an error before then (nothing written) is
// returned, for an error page; one after it ends the file with
// EXPORT-INCOMPLETE.txt saying why, and is in the outcome's Cut.
func (s *server) writeProofZip(ctx context.Context, a connect.Actor, p connect.ProofExportParams, b Brand, lang string, open func() io.Writer) (proofZipOutcome, error) {
	var (
		out     proofZipOutcome
		zw      *zip.Writer
		summary bytes.Buffer // a line per order: 10k orders make about 2 MB
		names   = map[string]bool{}
	)
	sum := csv.NewWriter(&summary)
	_ = sum.Write([]string{"File", "Id", "Connect order ID", "Status", "Recipient", "Received by", "Completed", "Failure reason"})
	start := func() {
		if zw == nil {
			zw = zip.NewWriter(open())
		}
	}
	var pdf bytes.Buffer
	var people map[connect.MemberID]string // the team's, read with the first document
	more, err := s.svc.ProofDocuments(ctx, a, p, func(d *connect.ProofDocument) error {
		d.Brand, d.Location, d.BrandColor, d.Language = b.Name, b.Location, b.Accent, lang
		if people == nil {
			var err error
			if people, err = s.people(ctx, a, d.Order.Client); err != nil {
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
		out.Orders++
		o, received := d.Order, ""
		if o.Proof != nil {
			received = o.Proof.RecipientName
		}
		return sum.Write(escapeCells([]string{name, o.Ref, string(o.ID), o.Status.Label(), o.Recipient.Name, received,
			o.CompletedAt().UTC().Format(time.RFC3339), o.FailureReason}))
	})
	if err != nil && zw == nil {
		return out, err // nothing written yet: an error page
	}
	start()
	out.More = more
	if err != nil {
		// The file has begun: say in it why it stops here.
		s.log.ErrorContext(ctx, "portal: proof export cut short", "err", err)
		out.Cut = message(err)
		if f, ferr := zw.Create("EXPORT-INCOMPLETE.txt"); ferr == nil {
			fmt.Fprintf(f, "The export stopped before its end: %s\nExport again, or a shorter range.\n", out.Cut)
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
		s.log.WarnContext(ctx, "portal: proof export not finished", "err", cerr)
		if out.Cut == "" {
			out.Cut = "the file could not be finished"
		}
	}
	return out, nil
}

func (s *server) proofExport(w http.ResponseWriter, r *http.Request, v *viewer) error {
	return s.writeProofExport(w, r, v.Actor, "")
}

func (s *server) clientProofExport(w http.ResponseWriter, r *http.Request, a connect.Actor) error {
	return s.writeProofExport(w, r, a, connect.ClientID(r.PathValue("id")))
}

// startProofExport makes the export the orders page's form asks for (from,
// to, or id) in the background: a job every process can follow, whose ZIP
// is written to the job's blob as it is made, and which the member downloads
// from its result page.
func (s *server) startProofExport(w http.ResponseWriter, r *http.Request, v *viewer) error {
	b, p, err := s.proofExportOf(r, r.PostForm, v.Actor, "")
	if err != nil {
		return err
	}
	total := len(p.IDs)
	if total == 0 && p.From.IsZero() && p.To.IsZero() {
		if h, err := s.stats(r.Context(), v.Actor); err == nil {
			total = h.Counts[connect.StatusDelivered] + h.Counts[connect.StatusFailed]
		}
	}
	u, err := s.uploads.exportJob(r.Context(), v.Actor, "proofs", proofExportName(p, b.Location))
	if err != nil {
		return err
	}
	job := newImportJob(total)
	p.Progress = job.exportProgressed
	a, lang := v.Actor, s.language(r).String() // the reader's, read before the request ends
	a.AccessMemo = nil                         // the request's, which ends before the job
	s.runJob(r.Context(), u, job, func(ctx context.Context) {
		out, err := s.proofZipToBlob(ctx, u, a, p, b, lang)
		job.exportFinished(out, err)
		if err != nil {
			s.log.WarnContext(ctx, "portal: proof export failed", "client", a.Client, "err", err)
		}
	})
	s.redirect(w, r, s.path("/imports/%s/progress", u.ID))
	return nil
}

// proofExportName says what an export holds, for its pages.
func proofExportName(p connect.ProofExportParams, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	day := func(t time.Time) string { return t.In(loc).Format("2 Jan 2006") }
	switch {
	case len(p.IDs) > 0:
		return fmt.Sprintf("the proofs of delivery of %d chosen orders", len(p.IDs))
	case !p.From.IsZero() && !p.To.IsZero():
		return "the proofs of delivery of orders created " + day(p.From) + " to " + day(p.To.AddDate(0, 0, -1))
	case !p.From.IsZero():
		return "the proofs of delivery of orders created since " + day(p.From)
	case !p.To.IsZero():
		return "the proofs of delivery of orders created until " + day(p.To.AddDate(0, 0, -1))
	}
	return "every proof of delivery"
}

// proofZipToBlob writes the export's ZIP into u's export blob as it is made
// (a pipe: bounded memory, whatever its size). Errors: the export's before
// anything was written, and the Blobs'; the blob is then not stored.
func (s *server) proofZipToBlob(ctx context.Context, u *upload, a connect.Actor, p connect.ProofExportParams, b Brand, lang string) (*proofZipOutcome, error) {
	pr, pw := io.Pipe()
	type put struct {
		size int64
		err  error
	}
	stored := make(chan put, 1)
	go func() {
		n, err := s.uploads.blobs.PutBlob(ctx, u.prefix()+blobExport, pr)
		pr.CloseWithError(err) // a write waiting on a failed put fails too
		stored <- put{n, err}
	}()
	out, err := s.writeProofZip(ctx, a, p, b, lang, func() io.Writer { return pw })
	if err != nil {
		pw.CloseWithError(err) // nothing is stored
		<-stored
		return nil, err
	}
	pw.Close()
	res := <-stored
	if res.err != nil {
		return nil, connect.Errorf(connect.ErrorCode(res.err), "the export could not be stored: %w", res.err)
	}
	out.Size = res.size
	return &out, nil
}

// exportProgressPage is the progress page of an export.
func (s *server) exportProgressPage(w http.ResponseWriter, r *http.Request, u *upload, st jobState) {
	s.render(w, r, http.StatusOK, "bulk-progress", &page{Title: s.t(r, "Exporting"), Tab: "orders",
		Data: bulkData{U: u, Act: bulkAction{Verb: "Exporting", Progress: msg("Exporting {{.File}}")}, St: st}})
}

// exportResultPage is the result page of a finished export: its file to
// download, or why there is none.
func (s *server) exportResultPage(w http.ResponseWriter, r *http.Request, u *upload, job *importJob) error {
	job.mu.Lock()
	out, jerr := job.export, job.err
	job.mu.Unlock()
	if out == nil {
		return jerr
	}
	s.render(w, r, http.StatusOK, "export-result", &page{Title: s.t(r, "Export ready"), Tab: "orders", Data: struct {
		U   *upload
		Out *proofZipOutcome
		Max int
	}{u, out, connect.MaxProofExport}})
	return nil
}

// exportFile answers a finished export's ZIP, from the blob any process
// reads.
func (s *server) exportFile(w http.ResponseWriter, r *http.Request, v *viewer) error {
	u, job, err := s.jobOf(r, v)
	if err != nil {
		return err
	}
	if u.export == "" {
		return errNoUpload()
	}
	if st, _ := job.state(); !st.Finished {
		return connect.Errorf(connect.Conflict, "the export is not finished yet")
	}
	f, info, err := s.uploads.blobs.OpenBlob(r.Context(), u.prefix()+blobExport)
	if err != nil {
		return err
	}
	defer f.Close()
	h := w.Header()
	h.Set("Content-Type", "application/zip")
	h.Set("Content-Length", strconv.FormatInt(info.Size, 10))
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="proofs-%s.zip"`, u.Created.UTC().Format("2006-01-02")))
	h.Set("Cache-Control", "private, no-store")
	if _, err := io.Copy(w, f); err != nil {
		s.log.WarnContext(r.Context(), "portal: sending an export cut short", "upload", u.ID, "err", err)
	}
	return nil
}

// apiProofExport streams the client's proof export to its systems, as the
// orders page's GET link does.
func (s *server) apiProofExport(w http.ResponseWriter, r *http.Request, a connect.Actor) error {
	return s.writeProofExport(w, r, a, "")
}
