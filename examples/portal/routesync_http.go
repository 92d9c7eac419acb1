package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"time"

	"github.com/dispatchkit/connect"
)

// httpRouteSync is the route sync of a host whose stop list lives in another
// service: each stop change goes as a JSON POST to its URL, with the change's
// idempotency key in the Idempotency-Key header and the body. The outbox may
// deliver a change again (after a crash or a timeout); the receiver must treat a
// key it has seen as done. Any 2xx answer is success; anything else is retried.
type httpRouteSync struct {
	url    string
	client *http.Client
}

var _ connect.RouteSync = (*httpRouteSync)(nil)

func newHTTPRouteSync(url string) *httpRouteSync {
	return &httpRouteSync{url: url, client: &http.Client{Timeout: 10 * time.Second}}
}

// StopPush is the body of a route sync POST. Status and Version are the order's
// as it is when the push is sent, not when the change happened: pushes can arrive
// out of order (a change delivered again after a crash comes after later ones), so
// a receiver that keeps the stop iff Status is routable (not draft or cancelled)
// ends right whatever the order; one that replays Event alone may not.
type StopPush struct {
	Key     string            `json:"key"`
	Event   connect.Event     `json:"event"` // submit, withdraw or cancel
	Order   connect.OrderID   `json:"order"`
	Status  connect.Status    `json:"status"`
	Version int               `json:"version"`
	Account connect.AccountID `json:"account"`
	Client  connect.ClientID  `json:"client"`
	Ref     string            `json:"ref,omitempty"`
	Depot   connect.DepotID   `json:"depot,omitempty"`
	Address string            `json:"address,omitempty"`
	City    string            `json:"city,omitempty"`
}

func (r *httpRouteSync) SyncStop(ctx context.Context, c connect.StopChange) error {
	body, err := json.Marshal(StopPush{Key: c.Key, Event: c.Event, Order: c.Order.ID, Status: c.Order.Status, Version: c.Order.Version, Account: c.Order.Account,
		Client: c.Order.Client, Ref: c.Order.Ref, Depot: c.Order.Depot, Address: c.Order.Address.Line1, City: c.Order.Address.City})
	if err != nil {
		return connect.Errorf(connect.Internal, "route sync: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.url, bytes.NewReader(body))
	if err != nil {
		return connect.Errorf(connect.Internal, "route sync: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", c.Key)
	res, err := r.client.Do(req)
	if err != nil {
		return connect.Errorf(connect.Unavailable, "route sync: %w", err)
	}
	defer res.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(res.Body, 512))
	if res.StatusCode/100 != 2 {
		return connect.Errorf(connect.Unavailable, "route sync: %s answered %s: %s", r.url, res.Status, bytes.TrimSpace(msg))
	}
	return nil
}
