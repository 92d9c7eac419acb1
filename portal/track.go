package portal

import "net/http"

// trackPage is the public page a tracking link opens: the order's status, ETA and
// proof of delivery, nothing else, without signing in.
func (s *server) trackPage(w http.ResponseWriter, r *http.Request) error {
	t, err := s.svc.Track(r.Context(), r.PathValue("token"))
	if err != nil {
		return err
	}
	t.Proof = s.trackedProof(r.PathValue("token"), t.Proof)
	s.render(w, r, http.StatusOK, "track", &page{Title: "Track your delivery", Data: t})
	return nil
}
