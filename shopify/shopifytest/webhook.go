package shopifytest

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"time"

	"github.com/dispatchkit/connect/shopify"
)

// SendWebhook posts payload (marshalled as JSON, or sent as is when it is a
// []byte) to url as Shopify delivers the topic for the shop (see
// NewWebhookRequest), and returns the receiver's HTTP status.
func (srv *Server) SendWebhook(ctx context.Context, url, shop, topic string, payload any) (int, error) {
	req, err := srv.NewWebhookRequest(ctx, url, shop, topic, payload)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}

// NewWebhookRequest returns the POST Shopify sends to deliver the topic for
// the shop: payload (marshalled as JSON, or as is when it is a []byte) signed
// with the app's secret in X-Shopify-Hmac-Sha256, with the topic, shop, API
// version, a fresh webhook id and event id, and triggered-at headers. Send a
// clone (with a fresh body from GetBody) to play Shopify delivering it again.
func (srv *Server) NewWebhookRequest(ctx context.Context, url, shop, topic string, payload any) (*http.Request, error) {
	body, ok := payload.([]byte)
	if !ok {
		var err error
		if body, err = json.Marshal(payload); err != nil {
			return nil, err
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	srv.mu.Lock()
	webhookID, eventID := randomToken(""), randomToken("")
	now := srv.now()
	srv.mu.Unlock()
	mac := hmac.New(sha256.New, []byte(srv.cfg.Secret))
	mac.Write(body)
	h := req.Header
	h.Set("Content-Type", "application/json")
	h.Set("X-Shopify-Topic", topic)
	h.Set("X-Shopify-Shop-Domain", shop)
	h.Set("X-Shopify-API-Version", shopify.APIVersion)
	h.Set("X-Shopify-Webhook-Id", webhookID)
	h.Set("X-Shopify-Event-Id", eventID)
	h.Set("X-Shopify-Triggered-At", now.UTC().Format(time.RFC3339Nano))
	h.Set("X-Shopify-Hmac-Sha256", base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	return req, nil
}
