package shopify

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/dispatchkit/connect"
)

// WebhookService is what the webhook handler needs of the core;
// *connect.Service implements it.
type WebhookService interface {
	// ShopifyUninstalled unlinks every client linked to the shop. The handler
	// calls it as connect.AsShopifyWebhook, once the signature checked out.
	ShopifyUninstalled(ctx context.Context, a connect.Actor, shop string) (int, error)
	// RedactShopifyData erases the personal data a privacy request names,
	// called as connect.AsShopifyWebhook.
	RedactShopifyData(ctx context.Context, a connect.Actor, p connect.RedactParams) (int, error)
	// ShopifyOrderUpdated re-imports the drafts imported from an order that
	// changed in Shopify (orders/updated), called as connect.AsShopifyWebhook.
	ShopifyOrderUpdated(ctx context.Context, a connect.Actor, p connect.ShopifyOrderChange) (connect.ShopifySyncResult, error)
	// ShopifyOrderCancelled withdraws what was imported from an order
	// cancelled in Shopify (orders/cancelled), called as
	// connect.AsShopifyWebhook.
	ShopifyOrderCancelled(ctx context.Context, a connect.Actor, p connect.ShopifyOrderChange) (connect.ShopifySyncResult, error)
	// ShopifyDataRequest queues the export of what the portal holds of a
	// customer, for the host to send the merchant, called as
	// connect.AsShopifyWebhook.
	ShopifyDataRequest(ctx context.Context, a connect.Actor, p connect.DataRequestParams) (int, error)
}

// webhookMemory is how long a delivery's event id is remembered: well past
// the time Shopify keeps retrying one (8 tries over 4 hours since September
// 2024, per Shopify's changelog "Updates to webhook retry mechanism").
const webhookMemory = 7 * 24 * time.Hour

// WebhookHandler receives the app's webhooks: app/uninstalled, the three
// privacy topics, and orders/updated and orders/cancelled (which re-sync the
// orders imported from a Shopify order: see connect.ShopifyOrderChange). Register its URL for each in the app's configuration and
// mount it:
//
//	mux.Handle("POST /shopify/webhooks", webhooks)
//
// It answers 401 to a delivery whose HMAC does not check out; 200 to every
// signed one, handled once (a repeat of a delivery id answers 200 and does
// nothing); and 5xx only when the portal's store fails, so that Shopify
// delivers it again. A signed delivery it cannot use (an unknown topic, a
// payload for another shop than the header names) is logged and answered 200:
// Shopify's retries would not make it usable.
type WebhookHandler struct {
	a   *Adapter
	svc WebhookService
}

// WebhookHandler returns the webhook handler, acting through svc.
// Errors: Invalid when Config.Once is nil.
func (a *Adapter) WebhookHandler(svc WebhookService) (*WebhookHandler, error) {
	switch {
	case svc == nil:
		return nil, connect.Errorf(connect.Invalid, "shopify: WebhookHandler needs the Service")
	case a.cfg.Once == nil:
		return nil, connect.Errorf(connect.Invalid, "shopify: Config.Once is required for webhooks")
	}
	return &WebhookHandler{a: a, svc: svc}, nil
}

// ServeHTTP verifies, deduplicates and handles one delivery.
func (h *WebhookHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := h.a
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "webhooks are POSTed", http.StatusMethodNotAllowed)
		return
	}
	wh, err := verifyWebhook(r, a.cfg.MaxWebhookBody, a.secrets()...)
	switch connect.ErrorCode(err) {
	case "":
	case connect.Forbidden:
		a.log.WarnContext(ctx, "shopify: webhook refused: bad signature", "topic", r.Header.Get("X-Shopify-Topic"), "shop", r.Header.Get("X-Shopify-Shop-Domain"))
		http.Error(w, "the webhook is not signed by Shopify", http.StatusUnauthorized)
		return
	default:
		http.Error(w, "the webhook cannot be read", http.StatusBadRequest)
		return
	}
	// One event may be delivered more than once, each delivery with its own
	// webhook id; Shopify says to deduplicate on the event id, and the
	// webhook id serves when a delivery has none.
	key := ""
	switch {
	case wh.EventID != "":
		key = "shopify/webhook-event/" + wh.EventID
	case wh.WebhookID != "":
		key = "shopify/webhook/" + wh.WebhookID
	}
	if key != "" {
		switch err := a.cfg.Once.UseOnce(ctx, key, a.now().Add(webhookMemory)); {
		case errors.Is(err, connect.ErrConflict):
			a.log.InfoContext(ctx, "shopify: webhook already handled", "topic", wh.Topic, "shop", wh.Shop, "webhook", wh.WebhookID)
			w.WriteHeader(http.StatusOK)
			return
		case err != nil:
			a.log.ErrorContext(ctx, "shopify: webhook not handled: cannot record its id", "topic", wh.Topic, "shop", wh.Shop, "err", err)
			http.Error(w, "try again later", http.StatusServiceUnavailable)
			return
		}
	}
	err = h.handle(ctx, wh)
	if err == nil || connect.ErrorCode(err) == connect.Invalid {
		if err != nil {
			a.log.WarnContext(ctx, "shopify: webhook ignored", "topic", wh.Topic, "shop", wh.Shop, "webhook", wh.WebhookID, "err", err)
		}
		w.WriteHeader(http.StatusOK)
		return
	}
	a.log.ErrorContext(ctx, "shopify: webhook failed; Shopify will deliver it again", "topic", wh.Topic, "shop", wh.Shop, "webhook", wh.WebhookID, "err", err)
	if key != "" {
		h.forget(ctx, key, wh)
	}
	http.Error(w, "try again later", http.StatusServiceUnavailable)
}

// forget lets Shopify's next delivery of a webhook that failed be handled.
func (h *WebhookHandler) forget(ctx context.Context, key string, wh Webhook) {
	f, ok := h.a.cfg.Once.(OnceForgetter)
	if !ok {
		// The body is not logged: privacy payloads name customers.
		h.a.log.ErrorContext(ctx, "shopify: Config.Once cannot forget; Shopify's next delivery of this webhook will be taken for a duplicate: handle it by hand",
			"topic", wh.Topic, "shop", wh.Shop, "webhook", wh.WebhookID, "event", wh.EventID)
		return
	}
	if err := f.ForgetOnce(context.WithoutCancel(ctx), key); err != nil {
		h.a.log.ErrorContext(ctx, "shopify: cannot forget a failed webhook's id: handle it by hand",
			"topic", wh.Topic, "shop", wh.Shop, "webhook", wh.WebhookID, "event", wh.EventID, "err", err)
	}
}

// handle acts on one verified delivery. Invalid errors are about the
// delivery, which no retry mends; any other is the portal's failure.
func (h *WebhookHandler) handle(ctx context.Context, wh Webhook) error {
	switch wh.Topic {
	case TopicAppUninstalled:
		var p AppUninstalled
		if err := wh.Decode(&p); err != nil {
			return err
		}
		if err := sameShop(wh, p.MyshopifyDomain); err != nil {
			return err
		}
		return h.uninstalled(ctx, wh)
	case TopicCustomersDataRequest:
		var p CustomersDataRequest
		if err := wh.Decode(&p); err != nil {
			return err
		}
		if err := sameShop(wh, p.ShopDomain); err != nil {
			return err
		}
		// The portal holds more than the shop gave it (the delivery's
		// history, its proof): an export of it goes to the host, which sends
		// it to the merchant, who answers the customer.
		ids := make([]string, len(p.OrdersRequested))
		for i, id := range p.OrdersRequested {
			ids[i] = orderGID + strconv.FormatInt(id, 10)
		}
		n, err := h.svc.ShopifyDataRequest(ctx, connect.AsShopifyWebhook(), connect.DataRequestParams{
			Shop: wh.Shop, ShopifyIDs: ids, Email: p.Customer.Email, Phone: p.Customer.Phone,
			RequestID: strconv.FormatInt(p.DataRequest.ID, 10), CustomerID: strconv.FormatInt(p.Customer.ID, 10),
		})
		if err != nil {
			return err
		}
		h.a.log.InfoContext(ctx, "shopify: customer data request", "shop", wh.Shop, "customer", p.Customer.ID,
			"orders", len(p.OrdersRequested), "request", p.DataRequest.ID, "exports", n)
		return nil
	case TopicCustomersRedact:
		var p CustomersRedact
		if err := wh.Decode(&p); err != nil {
			return err
		}
		if err := sameShop(wh, p.ShopDomain); err != nil {
			return err
		}
		ids := make([]string, len(p.OrdersToRedact))
		for i, id := range p.OrdersToRedact {
			ids[i] = orderGID + strconv.FormatInt(id, 10)
		}
		customer := ""
		if p.Customer.ID != 0 {
			customer = strconv.FormatInt(p.Customer.ID, 10)
		}
		// The ids are recorded as redacted, held or not: an orders/updated
		// or an import of them later must not bring the customer's data back.
		n, err := h.svc.RedactShopifyData(ctx, connect.AsShopifyWebhook(), connect.RedactParams{
			Shop: wh.Shop, ShopifyIDs: ids, Email: p.Customer.Email, Phone: p.Customer.Phone, CustomerID: customer,
			Reason: fmt.Sprintf("Shopify customers/redact for customer %d (webhook %s)", p.Customer.ID, wh.WebhookID),
			At:     h.a.now(),
		})
		if err != nil {
			return err
		}
		h.a.log.InfoContext(ctx, "shopify: customer data redacted", "shop", wh.Shop, "customer", p.Customer.ID, "orders", n)
		return nil
	case TopicShopRedact:
		var p ShopRedact
		if err := wh.Decode(&p); err != nil {
			return err
		}
		if err := sameShop(wh, p.ShopDomain); err != nil {
			return err
		}
		n, err := h.svc.RedactShopifyData(ctx, connect.AsShopifyWebhook(), connect.RedactParams{
			Shop: wh.Shop, WholeShop: true,
			Reason: fmt.Sprintf("Shopify shop/redact (webhook %s)", wh.WebhookID), At: h.a.now(),
		})
		if err != nil {
			return err
		}
		h.a.log.InfoContext(ctx, "shopify: shop data redacted", "shop", wh.Shop, "orders", n)
		return nil
	case TopicOrdersUpdated, TopicOrdersCancelled:
		return h.orderChanged(ctx, wh)
	}
	return connect.Errorf(connect.Invalid, "shopify: no handler for topic %q", wh.Topic)
}

// uninstalled unlinks the shop's clients and forgets its token, which
// Shopify has already revoked. The clients are listed first, while they are
// still linked. A delivery older than every link (Shopify retried it after
// the merchant installed the app again) changes nothing. A delivery without
// X-Shopify-Triggered-At (Shopify always sends it; the header is not signed)
// cannot be told from an old one replayed without it: it is refused while the
// shop is linked, lest it undo a newer link.
func (h *WebhookHandler) uninstalled(ctx context.Context, wh Webhook) error {
	shop := wh.Shop
	var clients []*connect.Client // linked before the uninstall
	newer := false                // some client linked the shop since
	if h.a.cfg.Clients == nil && wh.TriggeredAt.IsZero() {
		return errUntimedUninstall
	}
	if h.a.cfg.Clients != nil {
		all, err := h.a.cfg.Clients.ClientsByShopAnyAccount(ctx, shop)
		if err != nil {
			return err
		}
		if len(all) > 0 && wh.TriggeredAt.IsZero() {
			return errUntimedUninstall
		}
		for _, c := range all {
			switch {
			case wh.TriggeredAt.IsZero() || !c.Shopify.LinkedAt.After(wh.TriggeredAt):
				clients = append(clients, c)
			case c.Shopify.Shop == shop:
				newer = true
			}
		}
		if len(all) > 0 && len(clients) == 0 {
			h.a.log.InfoContext(ctx, "shopify: uninstall older than the shop's links; ignored", "shop", shop, "triggered", wh.TriggeredAt)
			return nil
		}
	}
	n, err := h.svc.ShopifyUninstalled(ctx, connect.AsShopifyWebhook(), shop)
	if err != nil {
		return err
	}
	// The shop's token goes, for every client, unless a client linked the
	// shop since: that install's token stays with it, and only the older
	// links go.
	deleted := 0
	switch {
	case h.a.cfg.Clients != nil && !newer:
		if deleted, err = h.a.cfg.Tokens.ForgetShopifyShopAnyAccount(ctx, shop); err != nil {
			return err
		}
	default:
		for _, c := range clients {
			scope := connect.Scope{Account: c.Account, Client: c.ID}
			stored, err := h.a.cfg.Tokens.ShopifyToken(ctx, scope)
			if errors.Is(err, connect.ErrNotFound) || (err == nil && stored.Shop != shop) {
				continue // none, or another shop's since
			}
			if err == nil {
				err = h.a.cfg.Tokens.DeleteShopifyToken(ctx, scope)
			}
			if err != nil {
				return err
			}
			deleted++
		}
	}
	h.a.log.InfoContext(ctx, "shopify: app uninstalled", "shop", shop, "unlinked", n, "tokens_deleted", deleted)
	return nil
}

// errUntimedUninstall refuses an app/uninstalled delivery without a time.
var errUntimedUninstall = connect.Errorf(connect.Invalid,
	"shopify: app/uninstalled without X-Shopify-Triggered-At: it may be an old delivery replayed, so it cannot undo the shop's link")

// sameShop checks that the shop a payload names is the one the header does:
// the header is not covered by the signature, the payload is.
func sameShop(wh Webhook, payloadShop string) error {
	shop, err := ValidShopDomain(payloadShop)
	if err != nil || shop != wh.Shop {
		return connect.Errorf(connect.Invalid, "shopify: the %s payload is for %q, but the header says %s", wh.Topic, payloadShop, wh.Shop)
	}
	return nil
}
