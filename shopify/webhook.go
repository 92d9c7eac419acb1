package shopify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"time"

	"github.com/dispatchkit/connect"
)

// The webhook topics the app subscribes to: uninstall, and the three privacy
// topics Shopify requires of every public app.
const (
	TopicAppUninstalled       = "app/uninstalled"
	TopicCustomersDataRequest = "customers/data_request"
	TopicCustomersRedact      = "customers/redact"
	TopicShopRedact           = "shop/redact"
)

// DefaultMaxWebhookBody is the body limit VerifyWebhook uses when given none.
// The topics above send a few kilobytes.
const DefaultMaxWebhookBody = 1 << 20

// Webhook is a webhook delivery whose signature checked out.
type Webhook struct {
	Topic       string    // X-Shopify-Topic, such as TopicAppUninstalled
	Shop        string    // X-Shopify-Shop-Domain, a valid myshopify.com domain
	WebhookID   string    // X-Shopify-Webhook-Id: one delivery (and its retries)
	EventID     string    // X-Shopify-Event-Id: the same for every delivery of one event; dedup on it
	TriggeredAt time.Time // X-Shopify-Triggered-At; zero when absent or unreadable
	APIVersion  string    // X-Shopify-API-Version the payload is shaped by
	Body        []byte    // the raw payload
}

// VerifyWebhook reads a webhook request's body (at most maxBody bytes; 0:
// DefaultMaxWebhookBody) and checks its X-Shopify-Hmac-Sha256, the base64
// HMAC-SHA256 of the raw body with the app's secret, in constant time.
//
// Errors: Forbidden when the signature is missing or wrong (answer 401, as
// Shopify expects); Invalid when the body is too large or the shop header is not
// a myshopify.com domain; Unavailable when the body cannot be read.
func VerifyWebhook(r *http.Request, secret string, maxBody int64) (Webhook, error) {
	return verifyWebhook(r, maxBody, secret)
}

// verifyWebhook is VerifyWebhook accepting a signature by any of the secrets.
func verifyWebhook(r *http.Request, maxBody int64, secrets ...string) (Webhook, error) {
	if maxBody <= 0 {
		maxBody = DefaultMaxWebhookBody
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return Webhook{}, connect.Errorf(connect.Unavailable, "shopify: reading the webhook: %w", err)
	}
	if int64(len(body)) > maxBody {
		return Webhook{}, connect.Errorf(connect.Invalid, "shopify: the webhook body is over %d bytes", maxBody)
	}
	got, err := base64.StdEncoding.DecodeString(r.Header.Get("X-Shopify-Hmac-Sha256"))
	if err != nil || !slices.ContainsFunc(secrets, func(secret string) bool { return hmac.Equal(got, signBody(body, secret)) }) {
		return Webhook{}, connect.Errorf(connect.Forbidden, "shopify: the webhook is not signed by Shopify")
	}
	shop, err := ValidShopDomain(r.Header.Get("X-Shopify-Shop-Domain"))
	if err != nil {
		return Webhook{}, err
	}
	w := Webhook{
		Topic:      r.Header.Get("X-Shopify-Topic"),
		Shop:       shop,
		WebhookID:  r.Header.Get("X-Shopify-Webhook-Id"),
		EventID:    r.Header.Get("X-Shopify-Event-Id"),
		APIVersion: r.Header.Get("X-Shopify-API-Version"),
		Body:       body,
	}
	if t, err := time.Parse(time.RFC3339Nano, r.Header.Get("X-Shopify-Triggered-At")); err == nil {
		w.TriggeredAt = t
	}
	return w, nil
}

func signBody(body []byte, secret string) []byte {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return mac.Sum(nil)
}

// Decode unmarshals the payload into v, such as an *AppUninstalled for
// TopicAppUninstalled. Errors: Invalid when the payload does not fit v.
func (w Webhook) Decode(v any) error {
	if err := json.Unmarshal(w.Body, v); err != nil {
		return connect.Errorf(connect.Invalid, "shopify: the %s webhook payload: %w", w.Topic, err)
	}
	return nil
}

// AppUninstalled is the app/uninstalled payload: the shop, as Shopify's REST
// Shop resource (only the fields we use). The access token is already revoked
// when it arrives.
type AppUninstalled struct {
	ID              int64  `json:"id"`
	Name            string `json:"name"`
	Domain          string `json:"domain"`
	MyshopifyDomain string `json:"myshopify_domain"`
}

// PrivacyCustomer is the customer a privacy request is about.
type PrivacyCustomer struct {
	ID    int64  `json:"id"`
	Email string `json:"email"`
	Phone string `json:"phone"`
}

// CustomersDataRequest is the customers/data_request payload: a customer asked
// the merchant for their data, and the app must hand over what it holds.
type CustomersDataRequest struct {
	ShopID          int64           `json:"shop_id"`
	ShopDomain      string          `json:"shop_domain"`
	OrdersRequested []int64         `json:"orders_requested"`
	Customer        PrivacyCustomer `json:"customer"`
	DataRequest     struct {
		ID int64 `json:"id"`
	} `json:"data_request"`
}

// CustomersRedact is the customers/redact payload: erase what the app holds of
// this customer and these orders (ids as in Shopify's REST API; an order's
// GraphQL id is gid://shopify/Order/{id}).
type CustomersRedact struct {
	ShopID         int64           `json:"shop_id"`
	ShopDomain     string          `json:"shop_domain"`
	Customer       PrivacyCustomer `json:"customer"`
	OrdersToRedact []int64         `json:"orders_to_redact"`
}

// ShopRedact is the shop/redact payload, sent 48 hours after an uninstall:
// erase what the app holds of the shop.
type ShopRedact struct {
	ShopID     int64  `json:"shop_id"`
	ShopDomain string `json:"shop_domain"`
}
