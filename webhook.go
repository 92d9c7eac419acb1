package connect

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Outbound webhooks: a client's own systems are told of its orders' progress.
// An owner or admin registers HTTPS endpoints, each with the event types it
// wants; every status change of an order that an endpoint wants writes one
// outbox entry per endpoint, in the change's transaction (webhook_events.go),
// and RunOutbox posts it through the WebhookSender, signed the Standard Webhooks
// way (https://www.standardwebhooks.com), in order per order and endpoint, with
// the outbox's retries, then dead. Each attempt is kept in the endpoint's
// delivery log; an endpoint that keeps failing is paused (WebhookPausePolicy).

// WebhookID identifies a client's webhook endpoint.
type WebhookID string

// WebhookEventType names what a webhook tells, as its payload's "type".
type WebhookEventType string

// The webhook event types: one per order status change a client's systems
// follow, and the test event that "send a test event" posts.
const (
	WebhookOrderSubmitted  WebhookEventType = "order.submitted"   // submitted for delivery (again: off a route, or retried)
	WebhookOrderScheduled  WebhookEventType = "order.scheduled"   // on a route
	WebhookOrderEnRoute    WebhookEventType = "order.en_route"    // the route started; with the ETA
	WebhookOrderETAChanged WebhookEventType = "order.eta_changed" // the ETA moved
	WebhookOrderDelivered  WebhookEventType = "order.delivered"   // with the proof's links
	WebhookOrderFailed     WebhookEventType = "order.failed"      // with the reason
	WebhookOrderCancelled  WebhookEventType = "order.cancelled"   // by the dispatcher
	WebhookOrderWithdrawn  WebhookEventType = "order.withdrawn"   // back to draft
	// WebhookTest is the event "send a test event" posts: to the endpoint it
	// names, whatever types the endpoint chose.
	WebhookTest WebhookEventType = "webhook.test"
)

// WebhookEventTypes lists the order event types an endpoint may choose.
func WebhookEventTypes() []WebhookEventType {
	return []WebhookEventType{WebhookOrderSubmitted, WebhookOrderScheduled, WebhookOrderEnRoute,
		WebhookOrderETAChanged, WebhookOrderDelivered, WebhookOrderFailed, WebhookOrderCancelled, WebhookOrderWithdrawn}
}

// webhookEventType is the type a lifecycle event is told as ("" for none).
func webhookEventType(ev Event) WebhookEventType {
	switch ev {
	case EventSubmit, EventUnschedule, EventRetry:
		// Back in the stops list: taken off its route, or a failed order tried
		// again (previous_status tells which).
		return WebhookOrderSubmitted
	case EventSchedule:
		return WebhookOrderScheduled
	case EventStart:
		return WebhookOrderEnRoute
	case EventETA:
		return WebhookOrderETAChanged
	case EventComplete:
		return WebhookOrderDelivered
	case EventFail:
		return WebhookOrderFailed
	case EventCancel:
		return WebhookOrderCancelled
	case EventWithdraw:
		return WebhookOrderWithdrawn
	}
	return ""
}

// WebhookEndpoint is one URL of a client's that webhooks are posted to.
type WebhookEndpoint struct {
	ID          WebhookID          `json:"id"`
	Account     AccountID          `json:"account"`
	Client      ClientID           `json:"client"`
	URL         string             `json:"url"`
	Description string             `json:"description,omitempty"`
	Events      []WebhookEventType `json:"events"`
	// Paused endpoints are posted nothing: new events are not queued for them,
	// and queued ones are dropped. An owner or admin pauses and resumes them;
	// the Service pauses one that keeps failing, saying why in PausedReason.
	Paused       bool      `json:"paused"`
	PausedReason string    `json:"paused_reason,omitempty"`
	PausedAt     time.Time `json:"paused_at,omitzero"`
	// Secret signs every request ("whsec_" and base64, as Standard Webhooks
	// writes it). After a rotation PreviousSecret signs too, beside it, until
	// PreviousExpiresAt, so the receiver can switch at its own pace. Shown to
	// people when the endpoint is added and when its secret is rotated, never in
	// lists.
	Secret            string    `json:"-"`
	PreviousSecret    string    `json:"-"`
	PreviousExpiresAt time.Time `json:"previous_secret_expires_at,omitzero"`
	// Failures counts the failed deliveries since the last one that succeeded,
	// the first of which was at FailingSince (zero while none failed).
	Failures     int       `json:"failures"`
	FailingSince time.Time `json:"failing_since,omitzero"`
	Version      int       `json:"version"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// Wants reports whether the endpoint is posted events of type t: test events
// always, the others while it is not paused and chose them.
func (w *WebhookEndpoint) Wants(t WebhookEventType) bool {
	if t == WebhookTest {
		return true
	}
	return !w.Paused && slices.Contains(w.Events, t)
}

// secrets returns the secrets that sign a request at now: the current one, and
// the previous one until it expires.
func (w *WebhookEndpoint) secrets(now time.Time) []string {
	out := []string{w.Secret}
	if w.PreviousSecret != "" && now.Before(w.PreviousExpiresAt) {
		out = append(out, w.PreviousSecret)
	}
	return out
}

// WebhookInput is what an owner or admin sets on an endpoint.
type WebhookInput struct {
	URL         string             `json:"url"`
	Description string             `json:"description,omitempty"`
	Events      []WebhookEventType `json:"events"`
	// Paused stops deliveries; resuming a paused endpoint clears its failures.
	Paused bool `json:"paused"`
}

// IssuedWebhook is an endpoint with its signing secret, shown once: when it is
// added, and when its secret is rotated.
type IssuedWebhook struct {
	Webhook *WebhookEndpoint `json:"webhook"`
	Secret  string           `json:"secret"`
}

// WebhookDelivery is one attempt to post a webhook, as the endpoint's delivery
// log keeps it.
type WebhookDelivery struct {
	ID        string           `json:"id"`
	Account   AccountID        `json:"account"`
	Client    ClientID         `json:"client"`
	Webhook   WebhookID        `json:"webhook"`
	Message   string           `json:"message"` // the webhook-id header: one per event, the same on every attempt
	Type      WebhookEventType `json:"type"`
	Order     OrderID          `json:"order,omitempty"`
	Attempt   int              `json:"attempt"`
	At        time.Time        `json:"at"`
	Status    int              `json:"status,omitempty"` // the response's status code; 0 when none came
	Duration  time.Duration    `json:"duration_ns"`      // from sending to the response (or the error)
	Error     string           `json:"error,omitempty"`  // why it failed ("" when the endpoint took it)
	Succeeded bool             `json:"succeeded"`        // a 2xx response
}

// WebhookQuery selects endpoints of a scope (WebhookStore.Webhooks).
type WebhookQuery struct {
	Clients []ClientID // only these clients' (all of the scope's when empty)
	Active  bool       // only endpoints not paused
}

// RecordWebhookDeliveryParams is one attempt for WebhookStore.RecordWebhookDelivery.
type RecordWebhookDeliveryParams struct {
	Delivery WebhookDelivery
	// Keep is how many attempts the endpoint's log keeps, newest first; older
	// ones are deleted.
	Keep int
	// Count adds the outcome to the endpoint's Failures and FailingSince: a
	// failure counts one more (FailingSince set at its first), a success
	// clears both. Test events do not count.
	Count bool
}

// WebhookPausePolicy says when an endpoint that keeps failing is paused. Zero
// values are the defaults beside each field. Only failed attempts of order
// events since the endpoint's last success count; one success clears them.
type WebhookPausePolicy struct {
	// Failures pauses the endpoint after this many attempts in a row failed; 0:
	// 50 (about four events through all of the outbox's retries).
	Failures int
	// For pauses the endpoint once it has failed for this long without a
	// success, after at least 3 failed attempts; 0: 24 hours.
	For time.Duration
}

func (p WebhookPausePolicy) withDefaults() WebhookPausePolicy {
	if p.Failures <= 0 {
		p.Failures = 50
	}
	if p.For <= 0 {
		p.For = 24 * time.Hour
	}
	return p
}

// reason returns why an endpoint in this state is to be paused at now, or "".
func (p WebhookPausePolicy) reason(w *WebhookEndpoint, now time.Time) string {
	switch {
	case w.Failures == 0 || w.Paused:
		return ""
	case w.Failures >= p.Failures:
		return "paused after " + strconv.Itoa(w.Failures) + " failed deliveries in a row"
	case w.Failures >= 3 && !w.FailingSince.IsZero() && now.Sub(w.FailingSince) >= p.For:
		return "paused after failing every delivery since " + w.FailingSince.Format(time.RFC3339)
	}
	return ""
}

// Limits of the webhook endpoints.
const (
	maxWebhooksPerClient = 10
	maxWebhookURLLen     = 2000
	webhookLogKeep       = 100 // attempts kept per endpoint
	webhookSecretBytes   = 32
	webhookSecretPrefix  = "whsec_"
	// webhookSecretOverlap is how long a rotated secret still signs, unless
	// RotateWebhookSecret is given another.
	webhookSecretOverlap = 24 * time.Hour
)

// newWebhookSecret draws a signing secret, written as Standard Webhooks does.
func newWebhookSecret() (string, error) {
	b := make([]byte, webhookSecretBytes)
	if _, err := rand.Read(b); err != nil {
		return "", Errorf(Internal, "drawing a webhook secret: %w", err)
	}
	return webhookSecretPrefix + base64.StdEncoding.EncodeToString(b), nil
}

// sealedWebhookPrefix marks a secret sealed with Config.WebhookKey: then
// base64 of the nonce and the sealed secret (bound to the endpoint's id).
const sealedWebhookPrefix = "sealed1:"

// sealWebhookSecret returns the form of a new secret the Store keeps.
func (s *Service) sealWebhookSecret(id WebhookID, secret string) (string, error) {
	if s.webhookSeal == nil {
		return secret, nil
	}
	nonce := make([]byte, s.webhookSeal.NonceSize(), s.webhookSeal.NonceSize()+len(secret)+s.webhookSeal.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", Errorf(Internal, "drawing a nonce: %w", err)
	}
	return sealedWebhookPrefix + base64.StdEncoding.EncodeToString(s.webhookSeal.Seal(nonce, nonce, []byte(secret), []byte(id))), nil
}

// openWebhookSecret returns a secret read from the Store as it signs.
func (s *Service) openWebhookSecret(id WebhookID, stored string) (string, error) {
	raw, ok := strings.CutPrefix(stored, sealedWebhookPrefix)
	if !ok {
		return stored, nil // stored as it is (no key then)
	}
	refused := Errorf(Internal, "the secret of webhook %s is sealed, and Config.WebhookKey is not its key", id)
	b, err := base64.StdEncoding.DecodeString(raw)
	if err != nil || s.webhookSeal == nil || len(b) < s.webhookSeal.NonceSize() {
		return "", refused
	}
	n := s.webhookSeal.NonceSize()
	secret, err := s.webhookSeal.Open(nil, b[:n], b[n:], []byte(id))
	if err != nil {
		return "", refused
	}
	return string(secret), nil
}

// check refuses an input the endpoint may not have, asking the sender whether
// it would post to the URL.
func (s *Service) checkWebhook(in *WebhookInput) error {
	var errs []FieldError
	in.URL = strings.TrimSpace(in.URL)
	in.Description = strings.TrimSpace(in.Description)
	switch {
	case in.URL == "":
		errs = append(errs, FieldError{Field: "url", Reason: "is required"})
	case len(in.URL) > maxWebhookURLLen:
		errs = append(errs, FieldError{Field: "url", Reason: "is longer than 2000 characters"})
	default:
		if err := s.webhooks.CheckWebhookURL(in.URL); err != nil {
			reason := err.Error()
			if e, ok := err.(*Error); ok {
				reason = e.Message
			}
			errs = append(errs, FieldError{Field: "url", Reason: reason})
		}
	}
	if utf8.RuneCountInString(in.Description) > 200 {
		errs = append(errs, FieldError{Field: "description", Reason: "is longer than 200 characters"})
	}
	if len(in.Events) == 0 {
		errs = append(errs, FieldError{Field: "events", Reason: "choose at least one event"})
	}
	var events []WebhookEventType
	for _, t := range in.Events {
		if !slices.Contains(WebhookEventTypes(), t) {
			errs = append(errs, FieldError{Field: "events", Reason: "\"" + string(t) + "\" is not a webhook event"})
		} else if !slices.Contains(events, t) {
			events = append(events, t)
		}
	}
	in.Events = events
	if len(errs) > 0 {
		return InvalidFields(errs)
	}
	return nil
}

// authorizeWebhooks checks that the caller may manage its client's webhooks
// and that webhooks can be sent.
func (s *Service) authorizeWebhooks(ctx context.Context, a Actor, read bool) (caller, error) {
	return s.authorizeWired(ctx, a, actManageWebhooks, read, s.webhooks != nil, "webhooks are not available on this portal")
}

// AddWebhook registers an endpoint of the caller's client, with a new signing
// secret (shown this once). Owners and admins may. Errors: ErrForbidden;
// ErrInvalid (URL not HTTPS or not public, no events, too many endpoints);
// ErrUnavailable when the host wired no WebhookSender.
func (s *Service) AddWebhook(ctx context.Context, a Actor, in WebhookInput) (*IssuedWebhook, error) {
	c, err := s.authorizeWebhooks(ctx, a, false)
	if err != nil {
		return nil, err
	}
	if err := s.checkWebhook(&in); err != nil {
		return nil, err
	}
	secret, err := newWebhookSecret()
	if err != nil {
		return nil, err
	}
	now := s.clock()
	w := &WebhookEndpoint{ID: WebhookID(s.newID()), Account: c.Account, Client: c.Actor.Client, URL: in.URL,
		Description: in.Description, Events: in.Events, Paused: in.Paused, CreatedAt: now, UpdatedAt: now}
	if w.Secret, err = s.sealWebhookSecret(w.ID, secret); err != nil {
		return nil, err
	}
	if in.Paused {
		w.PausedAt, w.PausedReason = now, "paused by "+c.history()
	}
	err = s.store.Tx(ctx, func(tx Store) error {
		have, err := tx.Webhooks(ctx, c.scope(), WebhookQuery{})
		if err != nil {
			return err
		}
		if len(have) >= maxWebhooksPerClient {
			return InvalidFields([]FieldError{{Field: "url", Reason: "a client has at most 10 webhook endpoints; delete one first"}})
		}
		return tx.CreateWebhook(ctx, c.scope(), w)
	})
	if err != nil {
		return nil, err
	}
	s.log.InfoContext(ctx, "webhook added", "client", w.Client, "webhook", w.ID, "by", c.history())
	return &IssuedWebhook{Webhook: w, Secret: secret}, nil
}

// Webhooks lists the caller's client's endpoints, oldest first, without their
// secrets. Owners and admins may. Errors: ErrForbidden; ErrUnavailable.
func (s *Service) Webhooks(ctx context.Context, a Actor) ([]*WebhookEndpoint, error) {
	c, err := s.authorizeWebhooks(ctx, a, true)
	if err != nil {
		return nil, err
	}
	list, err := s.store.Webhooks(ctx, c.scope(), WebhookQuery{})
	for _, w := range list {
		w.Secret, w.PreviousSecret = "", ""
	}
	return list, err
}

// Webhook returns one endpoint of the caller's client, without its secrets.
// Owners and admins may. Errors: ErrForbidden; ErrNotFound; ErrUnavailable.
func (s *Service) Webhook(ctx context.Context, a Actor, id WebhookID) (*WebhookEndpoint, error) {
	c, err := s.authorizeWebhooks(ctx, a, true)
	if err != nil {
		return nil, err
	}
	w, err := s.store.Webhook(ctx, c.scope(), id)
	if err != nil {
		return nil, err
	}
	w.Secret, w.PreviousSecret = "", ""
	return w, nil
}

// UpdateWebhook changes an endpoint of the caller's client: its URL, events,
// description, and whether it is paused (resuming clears its failures). Owners
// and admins may. Errors: ErrForbidden; ErrNotFound; ErrInvalid; ErrConflict
// when it changed meanwhile; ErrUnavailable.
func (s *Service) UpdateWebhook(ctx context.Context, a Actor, id WebhookID, in WebhookInput) (*WebhookEndpoint, error) {
	c, err := s.authorizeWebhooks(ctx, a, false)
	if err != nil {
		return nil, err
	}
	if err := s.checkWebhook(&in); err != nil {
		return nil, err
	}
	return s.changeWebhook(ctx, c, id, func(w *WebhookEndpoint, now time.Time) error {
		w.URL, w.Description, w.Events = in.URL, in.Description, in.Events
		switch {
		case in.Paused && !w.Paused:
			w.Paused, w.PausedAt, w.PausedReason = true, now, "paused by "+c.history()
		case !in.Paused && w.Paused:
			w.Paused, w.PausedAt, w.PausedReason = false, time.Time{}, ""
			w.Failures, w.FailingSince = 0, time.Time{}
		}
		return nil
	})
}

// changeWebhook reads an endpoint of the caller's client, changes it and writes
// it back (a compare-and-set on its version), returning it without secrets.
func (s *Service) changeWebhook(ctx context.Context, c caller, id WebhookID, change func(w *WebhookEndpoint, now time.Time) error) (*WebhookEndpoint, error) {
	var w *WebhookEndpoint
	err := s.store.Tx(ctx, func(tx Store) (err error) {
		if w, err = tx.Webhook(ctx, c.scope(), id); err != nil {
			return err
		}
		now := s.clock()
		if err := change(w, now); err != nil {
			return err
		}
		w.UpdatedAt = now
		return tx.UpdateWebhook(ctx, c.scope(), w)
	})
	if err != nil {
		return nil, err
	}
	out := *w
	out.Secret, out.PreviousSecret = "", ""
	return &out, nil
}

// RotateWebhookSecret gives an endpoint of the caller's client a new signing
// secret (shown this once). The old one keeps signing beside it for overlap (0:
// 24 hours; at most 7 days), so the receiver may switch at its own pace; a
// secret rotated before that is replaced at once. Owners and admins may.
// Errors: ErrForbidden; ErrNotFound; ErrInvalid; ErrConflict; ErrUnavailable.
func (s *Service) RotateWebhookSecret(ctx context.Context, a Actor, id WebhookID, overlap time.Duration) (*IssuedWebhook, error) {
	c, err := s.authorizeWebhooks(ctx, a, false)
	if err != nil {
		return nil, err
	}
	switch {
	case overlap == 0:
		overlap = webhookSecretOverlap
	case overlap < 0 || overlap > 7*24*time.Hour:
		return nil, InvalidFields([]FieldError{{Field: "overlap", Reason: "must be from 0 to 7 days"}})
	}
	secret, err := newWebhookSecret()
	if err != nil {
		return nil, err
	}
	w, err := s.changeWebhook(ctx, c, id, func(w *WebhookEndpoint, now time.Time) error {
		sealed, err := s.sealWebhookSecret(w.ID, secret)
		w.PreviousSecret, w.PreviousExpiresAt, w.Secret = w.Secret, now.Add(overlap), sealed
		return err
	})
	if err != nil {
		return nil, err
	}
	s.log.InfoContext(ctx, "webhook secret rotated", "client", w.Client, "webhook", w.ID, "by", c.history())
	return &IssuedWebhook{Webhook: w, Secret: secret}, nil
}

// DeleteWebhook removes an endpoint of the caller's client and its delivery
// log; events queued for it are dropped. Owners and admins may. Errors:
// ErrForbidden; ErrNotFound; ErrUnavailable.
func (s *Service) DeleteWebhook(ctx context.Context, a Actor, id WebhookID) error {
	c, err := s.authorizeWebhooks(ctx, a, false)
	if err != nil {
		return err
	}
	if err := s.store.DeleteWebhook(ctx, c.scope(), id); err != nil {
		return err
	}
	s.log.InfoContext(ctx, "webhook deleted", "client", c.Actor.Client, "webhook", id, "by", c.history())
	return nil
}

// WebhookDeliveries lists the latest attempts to post to an endpoint of the
// caller's client, newest first (the log keeps the last 100). Owners and
// admins may. Errors: ErrForbidden; ErrNotFound; ErrUnavailable.
func (s *Service) WebhookDeliveries(ctx context.Context, a Actor, id WebhookID) ([]WebhookDelivery, error) {
	c, err := s.authorizeWebhooks(ctx, a, true)
	if err != nil {
		return nil, err
	}
	if _, err := s.store.Webhook(ctx, c.scope(), id); err != nil {
		return nil, err
	}
	return s.store.WebhookDeliveries(ctx, c.scope(), id, webhookLogKeep)
}
