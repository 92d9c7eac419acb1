package portal

import (
	"net/http"
	"time"

	"github.com/dispatchkit/connect"
)

// trackData is the tracking page: what connect tells a tracking link's holder,
// the token the page polls with, and the link of its proof of delivery
// document once delivered.
type trackData struct {
	*connect.Tracked
	Token   string
	PDF     string
	Carrier string // the dispatcher's name (Config.Brand)
	zone    *time.Location
	brand   Brand
}

// Settled reports whether the order will not change any more: the page stops
// polling.
func (d trackData) Settled() bool {
	switch d.Status {
	case connect.StatusDelivered, connect.StatusFailed, connect.StatusCancelled:
		return true
	}
	return false
}

// trackPage is the public page a tracking link opens: the order's status, ETA and
// proof of delivery in the recipient's words, nothing else, without signing in.
func (s *server) trackPage(w http.ResponseWriter, r *http.Request) error {
	d, err := s.tracked(r)
	if err != nil {
		return err
	}
	loc := localeOf(s.language(r), d.zone)
	s.render(w, r, http.StatusOK, "track", &page{Title: loc.T("Track your delivery"), Data: d, Bare: true, Locale: loc, Brand: &d.brand})
	return nil
}

// trackLive is the tracking page's content, polled by the page until the order
// settles (a recipient's page holds no stream: there may be thousands).
func (s *server) trackLive(w http.ResponseWriter, r *http.Request) error {
	d, err := s.tracked(r)
	if err != nil {
		return err
	}
	return s.fragment(w, r, localeOf(s.language(r), d.zone), "track", "track-live", d)
}

func (s *server) tracked(r *http.Request) (trackData, error) {
	token := r.PathValue("token")
	t, err := s.svc.Track(r.Context(), token)
	if err != nil {
		return trackData{}, err
	}
	t.Proof = s.trackedProof(token, t.Proof)
	t.Timeline = recipientSteps(t.Timeline, t.StopType)
	b, err := s.brand(r.Context(), t.Account)
	if err != nil {
		return trackData{}, err
	}
	d := trackData{Tracked: t, Token: token, Carrier: b.Name, zone: b.Location, brand: b}
	if s.cfg.Documents != nil && t.Status == connect.StatusDelivered {
		d.PDF = s.path("/track/%s/proof.pdf", token)
	}
	return d, nil
}

// recipientSteps keeps the steps of a timeline that the recipient's words tell
// apart: a draft made and then submitted is one "Order received", not two.
func recipientSteps(steps []connect.TrackedStep, stop connect.StopType) []connect.TrackedStep {
	out := steps[:0:0]
	for _, st := range steps {
		if n := len(out); n > 0 && recipientStatus(out[n-1].Status, stop) == recipientStatus(st.Status, stop) {
			continue
		}
		out = append(out, st)
	}
	return out
}

// etaWindow is how far either side of the ETA the tracking page's window runs.
const etaWindow = 30 * time.Minute

// recipientStatus names a status as the person receiving the order would.
func recipientStatus(st connect.Status, stop connect.StopType) string {
	pickup := stop == connect.Pickup
	switch st {
	case connect.StatusDraft, connect.StatusSubmitted:
		return msg("Order received")
	case connect.StatusScheduled:
		if pickup {
			return msg("Pickup planned")
		}
		return msg("Delivery planned")
	case connect.StatusEnRoute:
		if pickup {
			return msg("Driver on the way")
		}
		return msg("Out for delivery")
	case connect.StatusDelivered:
		if pickup {
			return msg("Picked up")
		}
		return msg("Delivered")
	case connect.StatusFailed:
		if pickup {
			return msg("Pickup attempt failed")
		}
		return msg("Delivery attempt failed")
	case connect.StatusCancelled:
		return msg("Cancelled")
	}
	return string(st)
}
