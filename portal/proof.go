package portal

import (
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/dispatchkit/connect"
)

// Proof-of-delivery files connect keeps (connect.Config.Blobs) are served here,
// from whichever process a request reaches: /proof/{order}/{file} to the
// order's client team and the account's dispatchers, /track/{token}/proof/{file}
// to a tracking link's holder. The Service serves a file only while the
// order's proof names it.

// ProofFile returns the link of an order's proof file kept by connect
// (connect.Config.ProofFileURL).
func (l Links) ProofFile(order connect.OrderID, file string) string {
	return l.abs("/proof/" + url.PathEscape(string(order)) + "/" + url.PathEscape(file))
}

// proofFile serves a proof file to a member of the order's client or a
// dispatcher of its account; anyone else is sent to sign in.
func (s *server) proofFile(w http.ResponseWriter, r *http.Request) error {
	a, ok := r.Context().Value(actorKey).(connect.Actor)
	if !ok && s.cfg.Dispatchers != nil {
		if d, isDispatcher := s.cfg.Dispatchers.Authenticate(r); isDispatcher && d.Kind == connect.ActorDispatcher {
			a, ok = d, true
		}
	}
	if !ok {
		s.toSignIn(w, r)
		return nil
	}
	f, err := s.svc.OpenProofFile(r.Context(), a, connect.OrderID(r.PathValue("order")), r.PathValue("file"))
	if err != nil {
		return err
	}
	return writeProofFile(w, f)
}

// trackedProofFile serves a proof file to a tracking link's holder.
func (s *server) trackedProofFile(w http.ResponseWriter, r *http.Request) error {
	f, err := s.svc.OpenTrackedProofFile(r.Context(), r.PathValue("token"), r.PathValue("file"))
	if err != nil {
		return err
	}
	return writeProofFile(w, f)
}

func writeProofFile(w http.ResponseWriter, f *connect.ProofFile) error {
	defer f.Body.Close()
	h := w.Header()
	h.Set("Content-Type", f.ContentType)
	h.Set("Content-Length", strconv.FormatInt(f.Size, 10))
	h.Set("Content-Disposition", "inline")
	// Private: the file is the order's; it never changes under its name.
	h.Set("Cache-Control", "private, max-age=86400, immutable")
	w.WriteHeader(http.StatusOK)
	_, _ = io.Copy(w, f.Body) // a reader gone mid-file: nothing more to say to it
	return nil
}

// trackedProof returns the proof a tracking page shows, its files kept by
// connect linked through the tracking link (whose holder has no session).
func (s *server) trackedProof(token string, p *connect.ProofOfDelivery) *connect.ProofOfDelivery {
	if p == nil {
		return nil
	}
	out := *p
	out.PhotoURLs = make([]string, len(p.PhotoURLs))
	for i, u := range p.PhotoURLs {
		out.PhotoURLs[i] = s.trackedProofURL(token, u)
	}
	out.SignatureURL = s.trackedProofURL(token, p.SignatureURL)
	return &out
}

// trackedProofURL is u, or, for a link of this portal's /proof/, its
// counterpart under the tracking link.
func (s *server) trackedProofURL(token, u string) string {
	rest, ours := strings.CutPrefix(u, Links{BaseURL: s.cfg.BaseURL, Prefix: s.prefix}.abs("/proof/"))
	if !ours {
		return u
	}
	_, file, ok := strings.Cut(rest, "/")
	if !ok || strings.Contains(file, "/") {
		return u
	}
	return s.path("/track/%s/proof/%s", token, file)
}
