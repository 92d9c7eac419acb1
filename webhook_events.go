package connect

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// WebhookPayload is the body of every webhook request, as Standard Webhooks
// shapes it: the event's type, when it happened, and its data.
type WebhookPayload struct {
	Type      WebhookEventType `json:"type"`
	Timestamp time.Time        `json:"timestamp"`
	Data      WebhookOrder     `json:"data"`
}

// WebhookOrder is what a webhook says of the order an event happened to, as it
// was right after the event. A test event carries a made-up order (ID
// "test").
type WebhookOrder struct {
	ID             OrderID          `json:"id"`
	Ref            string           `json:"ref"`
	Client         ClientID         `json:"client"`
	Status         Status           `json:"status"`
	PreviousStatus Status           `json:"previous_status,omitempty"`
	StopType       StopType         `json:"stop_type,omitempty"`
	Recipient      Recipient        `json:"recipient,omitzero"`
	Address        Address          `json:"address,omitzero"`
	Route          RouteStop        `json:"route,omitzero"`
	ETA            time.Time        `json:"eta,omitzero"`             // en route and ETA changed
	FailureReason  string           `json:"failure_reason,omitempty"` // failed
	Reason         string           `json:"reason,omitempty"`         // why, when the change gave one (a cancellation)
	Proof          *ProofOfDelivery `json:"proof,omitempty"`          // delivered, failed: the proof's links
	SubmittedAt    time.Time        `json:"submitted_at,omitzero"`
	UpdatedAt      time.Time        `json:"updated_at"`
}

// webhookMessage is the payload of an OutboxWebhook entry: the endpoint, the
// message id (the webhook-id header) and the exact body to post.
type webhookMessage struct {
	Webhook WebhookID        `json:"webhook"`
	ID      string           `json:"id"`
	Type    WebhookEventType `json:"type"`
	Body    json.RawMessage  `json:"body"`
}

// webhookEntries returns the outbox entries that tell the endpoints of an
// event that happened to o (already changed): one per endpoint that wants it,
// all with one message id, stable for the change (the order's version before
// it and its place n among the transaction's changes of the order). Entries of
// one order and endpoint share a stream, in the change's order.
func webhookEntries(hooks []*WebhookEndpoint, o *Order, ev Event, from Status, reason string, version, n int) []OutboxEntry {
	t := webhookEventType(ev)
	if t == "" || len(hooks) == 0 {
		return nil
	}
	var out []OutboxEntry
	var body []byte
	id := webhookMessageID(o.ID, version, n)
	for _, w := range hooks {
		if !w.Wants(t) || w.Client != o.Client {
			continue
		}
		if body == nil {
			body = webhookBody(t, o, from, reason)
		}
		payload, _ := json.Marshal(webhookMessage{Webhook: w.ID, ID: id, Type: t, Body: body})
		out = append(out, OutboxEntry{
			Key: id + "/" + string(w.ID), Account: o.Account, Client: o.Client, Order: o.ID,
			Kind: OutboxWebhook, Event: ev, Payload: payload, State: OutboxPending,
			Stream: "webhook/" + string(w.ID) + "/" + string(o.ID), Position: int64(version)<<8 | int64(n),
			NextAt: o.UpdatedAt, CreatedAt: o.UpdatedAt, UpdatedAt: o.UpdatedAt,
		})
	}
	return out
}

// webhookMessageID is the webhook-id of a change of an order: the same for
// every endpoint and on every attempt, and different for every change.
func webhookMessageID(o OrderID, version, n int) string {
	h := sha256.Sum256(fmt.Appendf(nil, "%s/%d/%d", o, version, n))
	return "msg_" + base64.RawURLEncoding.EncodeToString(h[:18])
}

// webhookBody is the JSON body of an event of type t that happened to o.
func webhookBody(t WebhookEventType, o *Order, from Status, reason string) []byte {
	p := WebhookPayload{Type: t, Timestamp: o.UpdatedAt, Data: WebhookOrder{
		ID: o.ID, Ref: o.Ref, Client: o.Client, Status: o.Status, PreviousStatus: from, StopType: o.StopType,
		Recipient: o.Recipient, Address: o.Address, Route: o.Route, ETA: o.ETA, FailureReason: o.FailureReason,
		Proof: o.Proof, SubmittedAt: o.SubmittedAt, UpdatedAt: o.UpdatedAt,
	}}
	if t == WebhookOrderCancelled || t == WebhookOrderFailed {
		p.Data.Reason = reason
	}
	if t != WebhookOrderDelivered && t != WebhookOrderFailed {
		p.Data.Proof = nil
	}
	b, _ := json.Marshal(p) // plain data: it cannot fail
	return b
}

// SendTestWebhook queues a test event (type "webhook.test") for an endpoint of
// the caller's client, paused or not; RunOutbox posts it like any other, and
// its outcome shows in the endpoint's delivery log. It returns the message id.
// Owners and admins may. Errors: ErrForbidden; ErrNotFound; ErrUnavailable.
func (s *Service) SendTestWebhook(ctx context.Context, a Actor, id WebhookID) (string, error) {
	c, err := s.authorizeWebhooks(ctx, a, false)
	if err != nil {
		return "", err
	}
	now := s.clock()
	msg := "msg_test_" + s.newID()
	err = s.store.Tx(ctx, func(tx Store) error {
		w, err := tx.Webhook(ctx, c.scope(), id)
		if err != nil {
			return err
		}
		o := &Order{ID: "test", OrderInput: OrderInput{Ref: "TEST-1", StopType: Delivery,
			Address: Address{Line1: "1 Example Street", City: "Springfield"}}, Client: w.Client, Status: StatusSubmitted,
			UpdatedAt: now, SubmittedAt: now}
		body := webhookBody(WebhookTest, o, StatusDraft, "")
		payload, _ := json.Marshal(webhookMessage{Webhook: w.ID, ID: msg, Type: WebhookTest, Body: body})
		return tx.AddOutbox(ctx, c.scope(), []OutboxEntry{{Key: msg + "/" + string(w.ID), Account: w.Account,
			Client: w.Client, Kind: OutboxWebhook, Payload: payload, State: OutboxPending,
			NextAt: now, CreatedAt: now, UpdatedAt: now}})
	})
	if err != nil {
		return "", err
	}
	s.outboxWorkers.Wake()
	return msg, nil
}

// WebhookRequest is one signed POST for the WebhookSender.
type WebhookRequest struct {
	URL string
	// Header holds the Standard Webhooks headers (webhook-id,
	// webhook-timestamp, webhook-signature) and Content-Type.
	Header map[string]string
	Body   []byte
}

// WebhookResponse is what the endpoint answered.
type WebhookResponse struct {
	Status int // the HTTP status code
}

// signWebhook returns the webhook-signature header of a body: "v1,<base64 of
// HMAC-SHA256 of id.timestamp.body>" with each secret, space-separated.
func signWebhook(secrets []string, id string, ts int64, body []byte) (string, error) {
	sigs := make([]string, 0, len(secrets))
	for _, sec := range secrets {
		key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(sec, webhookSecretPrefix))
		if err != nil || !strings.HasPrefix(sec, webhookSecretPrefix) {
			return "", Errorf(Internal, "a webhook secret is not whsec_ and base64")
		}
		m := hmac.New(sha256.New, key)
		m.Write([]byte(id + "." + strconv.FormatInt(ts, 10) + "."))
		m.Write(body)
		sigs = append(sigs, "v1,"+base64.StdEncoding.EncodeToString(m.Sum(nil)))
	}
	return strings.Join(sigs, " "), nil
}

// deliverWebhook posts an OutboxWebhook entry to its endpoint, unless the
// endpoint was deleted, paused or no longer wants the event (then it is
// dropped), and keeps the attempt in the endpoint's log. A failed attempt is
// an error (the outbox retries it), and may pause the endpoint.
func (s *Service) deliverWebhook(ctx context.Context, e OutboxEntry) error {
	if s.webhooks == nil {
		return Errorf(Unavailable, "no WebhookSender is configured")
	}
	var m webhookMessage
	if err := json.Unmarshal(e.Payload, &m); err != nil {
		return Errorf(Internal, "outbox entry %s: %w", e.Key, err)
	}
	scope := Scope{Account: e.Account, Client: e.Client}
	w, err := s.store.Webhook(ctx, scope, m.Webhook)
	if errors.Is(err, ErrNotFound) {
		s.log.InfoContext(ctx, "outbox: webhook not sent; the endpoint was deleted", "key", e.Key)
		return nil
	} else if err != nil {
		return err
	}
	if !w.Wants(m.Type) {
		s.log.InfoContext(ctx, "outbox: webhook not sent; the endpoint is paused or no longer wants it", "key", e.Key)
		return nil
	}
	now := s.clock()
	secrets := w.secrets(now)
	for i := range secrets {
		if secrets[i], err = s.openWebhookSecret(w.ID, secrets[i]); err != nil {
			return err
		}
	}
	sig, err := signWebhook(secrets, m.ID, now.Unix(), m.Body)
	if err != nil {
		return err
	}
	req := WebhookRequest{URL: w.URL, Body: m.Body, Header: map[string]string{
		"Content-Type": "application/json", "webhook-id": m.ID,
		"webhook-timestamp": strconv.FormatInt(now.Unix(), 10), "webhook-signature": sig,
	}}
	started := time.Now() // the response time is real time, whatever Config.Now says
	res, sendErr := s.webhooks.SendWebhook(ctx, req)
	d := WebhookDelivery{ID: s.newID(), Account: e.Account, Client: e.Client, Webhook: w.ID, Message: m.ID, Type: m.Type,
		Order: e.Order, Attempt: e.Attempts, At: now, Status: res.Status, Duration: time.Since(started)}
	switch {
	case sendErr != nil:
		d.Error = sendErr.Error()
	case res.Status < 200 || res.Status > 299:
		d.Error = fmt.Sprintf("the endpoint answered %d", res.Status)
	default:
		d.Succeeded = true
	}
	if ctx.Err() != nil && !d.Succeeded {
		return ctx.Err() // stopped, not the endpoint's failure
	}
	rctx := context.WithoutCancel(ctx) // the attempt happened
	after, err := s.store.RecordWebhookDelivery(rctx, scope, RecordWebhookDeliveryParams{
		Delivery: d, Keep: webhookLogKeep, Count: m.Type != WebhookTest})
	if err != nil {
		s.log.ErrorContext(ctx, "outbox: recording a webhook delivery failed", "key", e.Key, "err", err)
	} else if why := s.webhookPause.reason(after, now); why != "" {
		s.pauseWebhook(rctx, after, why, now)
	}
	if !d.Succeeded {
		return Errorf(Unavailable, "webhook %s: %s", w.ID, d.Error)
	}
	return nil
}

// pauseWebhook pauses an endpoint that keeps failing and tells its client:
// the settings page shows why, and, when the Mailer is a WebhookMailer, a mail
// to the client's owner is queued in the pause's transaction (once, whichever
// worker paused it).
func (s *Service) pauseWebhook(ctx context.Context, w *WebhookEndpoint, why string, now time.Time) {
	scope := Scope{Account: w.Account, Client: w.Client}
	var changed bool
	err := s.store.Tx(ctx, func(tx Store) (err error) {
		if changed, err = tx.PauseWebhook(ctx, scope, w.ID, why, now); err != nil || !changed {
			return err
		}
		if _, ok := s.mailer.(WebhookMailer); !ok {
			return nil
		}
		cl, err := tx.Client(ctx, scope, w.Client)
		if err != nil {
			return err
		}
		team, err := tx.Members(ctx, scope)
		if err != nil {
			return err
		}
		for _, m := range team {
			if m.Role != RoleOwner {
				continue
			}
			mail, _ := json.Marshal(WebhookPausedMail{To: m.Email, Name: m.Name, ClientName: cl.Name, URL: w.URL, Reason: why, PausedAt: now})
			key := fmt.Sprintf("webhook-paused/%s/%d", w.ID, now.UnixMicro())
			return tx.AddOutbox(ctx, scope, []OutboxEntry{{Key: key, Account: w.Account, Client: w.Client,
				Kind: OutboxWebhookPausedMail, Payload: mail, State: OutboxPending, NextAt: now, CreatedAt: now, UpdatedAt: now}})
		}
		return nil
	})
	if err != nil {
		s.log.ErrorContext(ctx, "outbox: pausing a failing webhook failed", "webhook", w.ID, "err", err)
		return
	}
	if changed {
		s.log.WarnContext(ctx, "webhook paused", "client", w.Client, "webhook", w.ID, "reason", why)
		s.committed(Scope{Account: w.Account, Client: w.Client})
	}
}

// deliverWebhookPausedMail sends the owner the mail of a paused endpoint.
func (s *Service) deliverWebhookPausedMail(ctx context.Context, e OutboxEntry) error {
	wm, ok := s.mailer.(WebhookMailer)
	if !ok {
		return Errorf(Unavailable, "the Mailer cannot send webhook notices")
	}
	var m WebhookPausedMail
	if err := json.Unmarshal(e.Payload, &m); err != nil {
		return Errorf(Internal, "outbox entry %s: %w", e.Key, err)
	}
	m.Key = e.Key
	return wm.SendWebhookPaused(ctx, m)
}
