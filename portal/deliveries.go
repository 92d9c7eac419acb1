package portal

import (
	"context"
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
	s.render(w, r, http.StatusOK, "deliveries", &page{Title: s.t(r, "Deliveries"), Tab: "deliveries", Data: d})
	return nil
}

// retryDelivery and discardDelivery act on one delivery of the account.
func (s *server) retryDelivery(w http.ResponseWriter, r *http.Request, a connect.Actor) error {
	return s.actOnDelivery(w, r, a, s.svc.RetryOutbox, msg("Delivery retried: it goes out again now."))
}

func (s *server) discardDelivery(w http.ResponseWriter, r *http.Request, a connect.Actor) error {
	return s.actOnDelivery(w, r, a, s.svc.DiscardOutbox, msg("Delivery discarded: it will not be sent."))
}

func (s *server) actOnDelivery(w http.ResponseWriter, r *http.Request, a connect.Actor,
	act func(context.Context, connect.Actor, string) error, done string) error {
	if err := act(r.Context(), a, r.PathValue("id")); err != nil {
		return err
	}
	s.setFlash(w, flash{Message: s.t(r, done)})
	s.redirect(w, r, s.localNext(r.PostFormValue("next"), s.path("/dispatch/deliveries")))
	return nil
}
