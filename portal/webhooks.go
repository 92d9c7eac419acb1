package portal

import (
	"fmt"
	"net/http"
	"time"

	"github.com/dispatchkit/connect"
)

// Settings → Integrations → Webhooks: a client's owner and admins register
// endpoints, send a test event, pause, rotate the secret, and read each
// endpoint's delivery log. Members see nothing of them (the Service refuses).

// webhooksData is the Webhooks section of the integrations page.
type webhooksData struct {
	Hooks  []*connect.WebhookEndpoint
	Notice string // why there are no webhooks here (not offered on this portal)
	Events []connect.WebhookEventType
}

// webhooksSection reads the section for the viewer: nil when the viewer may
// not manage webhooks.
func (s *server) webhooksSection(r *http.Request, v *viewer) (*webhooksData, error) {
	if !v.CanManage() {
		return nil, nil
	}
	d := &webhooksData{Events: connect.WebhookEventTypes()}
	hooks, err := s.svc.Webhooks(r.Context(), v.Actor)
	switch {
	case isCode(err, connect.Unavailable):
		d.Notice = message(err)
	case err != nil:
		return nil, err
	}
	d.Hooks = hooks
	return d, nil
}

// webhookInput reads the add and edit form.
func webhookInput(r *http.Request) connect.WebhookInput {
	in := connect.WebhookInput{URL: r.PostFormValue("url"), Description: r.PostFormValue("description"),
		Paused: r.PostFormValue("paused") != ""}
	for _, e := range r.PostForm["events"] {
		in.Events = append(in.Events, connect.WebhookEventType(e))
	}
	return in
}

func (s *server) addWebhook(w http.ResponseWriter, r *http.Request, v *viewer) error {
	issued, err := s.svc.AddWebhook(r.Context(), v.Actor, webhookInput(r))
	if err != nil {
		return err
	}
	s.setFlash(w, flash{Message: s.t(r, "Webhook endpoint {{.URL}} added. Copy its signing secret now: it is shown only once.", "URL", issued.Webhook.URL),
		Secret: issued.Secret})
	s.redirect(w, r, s.path("/settings/integrations/webhooks/%s", issued.Webhook.ID))
	return nil
}

// webhookPageData is one endpoint and its delivery log.
type webhookPageData struct {
	Hook   *connect.WebhookEndpoint
	Log    []connect.WebhookDelivery
	Events []connect.WebhookEventType
}

// Chose reports whether the endpoint chose the event type.
func (d webhookPageData) Chose(t connect.WebhookEventType) bool {
	for _, e := range d.Hook.Events {
		if e == t {
			return true
		}
	}
	return false
}

// Millis writes a response time in milliseconds.
func (webhookPageData) Millis(d time.Duration) string {
	return fmt.Sprintf("%d ms", d.Milliseconds())
}

func (s *server) webhookPage(w http.ResponseWriter, r *http.Request, v *viewer) error {
	id := connect.WebhookID(r.PathValue("id"))
	hook, err := s.svc.Webhook(r.Context(), v.Actor, id)
	if err != nil {
		return err
	}
	log, err := s.svc.WebhookDeliveries(r.Context(), v.Actor, id)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "webhook", &page{Title: s.t(r, "Webhook endpoint"), Tab: "settings",
		Data: webhookPageData{Hook: hook, Log: log, Events: connect.WebhookEventTypes()}})
	return nil
}

func (s *server) updateWebhook(w http.ResponseWriter, r *http.Request, v *viewer) error {
	hook, err := s.svc.UpdateWebhook(r.Context(), v.Actor, connect.WebhookID(r.PathValue("id")), webhookInput(r))
	if err != nil {
		return err
	}
	msg := s.t(r, "Webhook endpoint saved.")
	if hook.Paused {
		msg = s.t(r, "Webhook endpoint saved; it is paused.")
	}
	s.setFlash(w, flash{Message: msg})
	s.redirect(w, r, s.path("/settings/integrations/webhooks/%s", hook.ID))
	return nil
}

func (s *server) testWebhook(w http.ResponseWriter, r *http.Request, v *viewer) error {
	id := connect.WebhookID(r.PathValue("id"))
	msg, err := s.svc.SendTestWebhook(r.Context(), v.Actor, id)
	if err != nil {
		return err
	}
	s.setFlash(w, flash{Message: s.t(r, "Test event {{.Event}} is on its way; its outcome shows in the log below.", "Event", msg)})
	s.redirect(w, r, s.path("/settings/integrations/webhooks/%s", id))
	return nil
}

func (s *server) rotateWebhook(w http.ResponseWriter, r *http.Request, v *viewer) error {
	issued, err := s.svc.RotateWebhookSecret(r.Context(), v.Actor, connect.WebhookID(r.PathValue("id")), 0)
	if err != nil {
		return err
	}
	s.setFlash(w, flash{Message: s.t(r, "New signing secret. Copy it now: it is shown only once. The old one signs beside it for 24 hours."),
		Secret: issued.Secret})
	s.redirect(w, r, s.path("/settings/integrations/webhooks/%s", issued.Webhook.ID))
	return nil
}

func (s *server) deleteWebhook(w http.ResponseWriter, r *http.Request, v *viewer) error {
	if err := s.svc.DeleteWebhook(r.Context(), v.Actor, connect.WebhookID(r.PathValue("id"))); err != nil {
		return err
	}
	s.setFlash(w, flash{Message: s.t(r, "Webhook endpoint deleted.")})
	s.redirect(w, r, s.path("/settings/integrations"))
	return nil
}
