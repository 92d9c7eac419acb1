package portal

import (
	"net/http"

	"github.com/dispatchkit/connect"
)

// deliveriesData is the dispatcher's deliveries page: the account's outbox
// entries of one view, newest first.
type deliveriesData struct {
	View    connect.OutboxView
	Views   []connect.OutboxView
	Entries []connect.OutboxEntry
	Next    string
	First   bool
}

// deliveriesPage lists the account's deliveries (to the host's stop list and
// to Shopify) that failed, with retry and discard buttons; other views list the
// pending, dead, delivered and discarded ones.
func (s *server) deliveriesPage(w http.ResponseWriter, r *http.Request, a connect.Actor) error {
	q := r.URL.Query()
	d := deliveriesData{View: connect.OutboxView(q.Get("view")), First: q.Get("cursor") == "",
		Views: []connect.OutboxView{connect.OutboxViewProblems, connect.OutboxViewPending, connect.OutboxViewDead,
			connect.OutboxViewDone, connect.OutboxViewDiscarded}}
	if d.View == "" {
		d.View = connect.OutboxViewProblems
	}
	list, err := s.svc.Outbox(r.Context(), a, connect.ListOutboxParams{View: d.View, Cursor: q.Get("cursor"), Limit: 100})
	if err != nil {
		return err
	}
	d.Entries, d.Next = list.Entries, list.Next
	s.render(w, r, http.StatusOK, "deliveries", &page{Title: "Deliveries", Tab: "deliveries", Data: d})
	return nil
}

func (s *server) retryDelivery(w http.ResponseWriter, r *http.Request, a connect.Actor) error {
	if err := s.svc.RetryOutbox(r.Context(), a, r.PathValue("id")); err != nil {
		return err
	}
	s.setFlash(w, flash{Message: "Delivery retried: it goes out again now."})
	s.redirect(w, r, s.localNext(r.PostFormValue("next"), s.path("/dispatch/deliveries")))
	return nil
}

func (s *server) discardDelivery(w http.ResponseWriter, r *http.Request, a connect.Actor) error {
	if err := s.svc.DiscardOutbox(r.Context(), a, r.PathValue("id")); err != nil {
		return err
	}
	s.setFlash(w, flash{Message: "Delivery discarded: it will not be sent."})
	s.redirect(w, r, s.localNext(r.PostFormValue("next"), s.path("/dispatch/deliveries")))
	return nil
}
