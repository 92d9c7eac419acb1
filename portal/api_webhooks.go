package portal

import (
	"net/http"
	"time"

	"github.com/dispatchkit/connect"
)

// The JSON API of a client's webhook endpoints (openapi.yaml, tag webhooks):
// owners and admins signed in to the portal manage them; API keys, which act
// with a member's rights, are refused.

// apiWebhook is an endpoint as the API writes it, never with its secret.
type apiWebhook struct {
	ID                      connect.WebhookID          `json:"id"`
	URL                     string                     `json:"url"`
	Description             string                     `json:"description,omitempty"`
	Events                  []connect.WebhookEventType `json:"events"`
	Paused                  bool                       `json:"paused"`
	PausedReason            string                     `json:"paused_reason,omitempty"`
	PausedAt                *time.Time                 `json:"paused_at,omitempty"`
	Failures                int                        `json:"failures"`
	FailingSince            *time.Time                 `json:"failing_since,omitempty"`
	PreviousSecretExpiresAt *time.Time                 `json:"previous_secret_expires_at,omitempty"`
	Version                 int                        `json:"version"`
	CreatedAt               time.Time                  `json:"created_at"`
	UpdatedAt               time.Time                  `json:"updated_at"`
}

func toAPIWebhook(w *connect.WebhookEndpoint) apiWebhook {
	return apiWebhook{ID: w.ID, URL: w.URL, Description: w.Description, Events: w.Events, Paused: w.Paused,
		PausedReason: w.PausedReason, PausedAt: timePtr(w.PausedAt), Failures: w.Failures, FailingSince: timePtr(w.FailingSince),
		PreviousSecretExpiresAt: timePtr(w.PreviousExpiresAt), Version: w.Version, CreatedAt: w.CreatedAt.UTC(), UpdatedAt: w.UpdatedAt.UTC()}
}

// apiWebhookInput is what a create or update sends.
type apiWebhookInput struct {
	URL         string                     `json:"url"`
	Description string                     `json:"description,omitempty"`
	Events      []connect.WebhookEventType `json:"events"`
	Paused      bool                       `json:"paused,omitempty"`
}

func (in apiWebhookInput) input() connect.WebhookInput {
	return connect.WebhookInput{URL: in.URL, Description: in.Description, Events: in.Events, Paused: in.Paused}
}

// apiIssuedWebhook is an endpoint with its new secret, shown once.
type apiIssuedWebhook struct {
	Webhook apiWebhook `json:"webhook"`
	Secret  string     `json:"secret"`
}

// apiWebhookDelivery is one attempt of the delivery log.
type apiWebhookDelivery struct {
	Message    string                   `json:"message"`
	Type       connect.WebhookEventType `json:"type"`
	Order      connect.OrderID          `json:"order,omitempty"`
	Attempt    int                      `json:"attempt"`
	At         time.Time                `json:"at"`
	Status     int                      `json:"status,omitempty"`
	DurationMS int64                    `json:"duration_ms"`
	Error      string                   `json:"error,omitempty"`
	Succeeded  bool                     `json:"succeeded"`
}

func (s *server) apiListWebhooks(w http.ResponseWriter, r *http.Request, a connect.Actor) error {
	hooks, err := s.svc.Webhooks(r.Context(), a)
	if err != nil {
		return err
	}
	out := struct {
		Webhooks []apiWebhook `json:"webhooks"`
	}{Webhooks: make([]apiWebhook, len(hooks))}
	for i, h := range hooks {
		out.Webhooks[i] = toAPIWebhook(h)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *server) apiCreateWebhook(w http.ResponseWriter, r *http.Request, a connect.Actor) error {
	var in apiWebhookInput
	if err := readJSON(r, &in); err != nil {
		return err
	}
	issued, err := s.svc.AddWebhook(r.Context(), a, in.input())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, apiIssuedWebhook{Webhook: toAPIWebhook(issued.Webhook), Secret: issued.Secret})
	return nil
}

func (s *server) apiGetWebhook(w http.ResponseWriter, r *http.Request, a connect.Actor) error {
	hook, err := s.svc.Webhook(r.Context(), a, connect.WebhookID(r.PathValue("id")))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toAPIWebhook(hook))
	return nil
}

func (s *server) apiUpdateWebhook(w http.ResponseWriter, r *http.Request, a connect.Actor) error {
	var in apiWebhookInput
	if err := readJSON(r, &in); err != nil {
		return err
	}
	hook, err := s.svc.UpdateWebhook(r.Context(), a, connect.WebhookID(r.PathValue("id")), in.input())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toAPIWebhook(hook))
	return nil
}

func (s *server) apiDeleteWebhook(w http.ResponseWriter, r *http.Request, a connect.Actor) error {
	if err := s.svc.DeleteWebhook(r.Context(), a, connect.WebhookID(r.PathValue("id"))); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *server) apiRotateWebhookSecret(w http.ResponseWriter, r *http.Request, a connect.Actor) error {
	var in struct {
		OverlapSeconds int64 `json:"overlap_seconds,omitempty"`
	}
	if r.ContentLength != 0 {
		if err := readJSON(r, &in); err != nil {
			return err
		}
	}
	issued, err := s.svc.RotateWebhookSecret(r.Context(), a, connect.WebhookID(r.PathValue("id")), time.Duration(in.OverlapSeconds)*time.Second)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, apiIssuedWebhook{Webhook: toAPIWebhook(issued.Webhook), Secret: issued.Secret})
	return nil
}

func (s *server) apiTestWebhook(w http.ResponseWriter, r *http.Request, a connect.Actor) error {
	msg, err := s.svc.SendTestWebhook(r.Context(), a, connect.WebhookID(r.PathValue("id")))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, struct {
		Message string `json:"message"`
	}{msg})
	return nil
}

func (s *server) apiWebhookDeliveries(w http.ResponseWriter, r *http.Request, a connect.Actor) error {
	log, err := s.svc.WebhookDeliveries(r.Context(), a, connect.WebhookID(r.PathValue("id")))
	if err != nil {
		return err
	}
	out := struct {
		Deliveries []apiWebhookDelivery `json:"deliveries"`
	}{Deliveries: make([]apiWebhookDelivery, len(log))}
	for i, d := range log {
		out.Deliveries[i] = apiWebhookDelivery{Message: d.Message, Type: d.Type, Order: d.Order, Attempt: d.Attempt,
			At: d.At.UTC(), Status: d.Status, DurationMS: d.Duration.Milliseconds(), Error: d.Error, Succeeded: d.Succeeded}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
