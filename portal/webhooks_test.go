package portal_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/connecttest"
	"github.com/dispatchkit/connect/webhooks"
)

// nopWebhooks is a WebhookSender that posts nothing and takes https URLs.
type nopWebhooks struct{}

func (nopWebhooks) CheckWebhookURL(u string) error {
	if !strings.HasPrefix(u, "https://") {
		return connect.Errorf(connect.Invalid, "must start with https://")
	}
	return nil
}

func (nopWebhooks) SendWebhook(context.Context, connect.WebhookRequest) (connect.WebhookResponse, error) {
	return connect.WebhookResponse{Status: http.StatusOK}, nil
}

// webhookEnv is a portal whose Service posts webhooks to loopback receivers,
// pausing an endpoint after pauseAfter failures in a row.
func webhookEnv(t *testing.T, pauseAfter int) *env {
	return newEnvOnWorld(t, "", []connecttest.Option{connecttest.WithConfig(func(c *connect.Config) {
		c.Webhooks = webhooks.New(webhooks.Config{AllowLoopback: true})
		c.WebhookPause = connect.WebhookPausePolicy{Failures: pauseAfter}
	})})
}

// hookReceiver answers every webhook with the status it holds.
func hookReceiver(t *testing.T, status int) (*httptest.Server, *atomic.Int32) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

// TestOwnersManageWebhooksOnTheSettingsPage: an owner adds an endpoint (its
// secret shown once), sends a test event and reads its delivery log with the
// status code and response time; a member sees no webhooks and may not add one.
func TestOwnersManageWebhooksOnTheSettingsPage(t *testing.T) {
	t.Parallel()
	e := webhookEnv(t, 0)
	tm := e.signUp("Green Grocer", uploads)
	rc, hits := hookReceiver(t, http.StatusNoContent)
	b := e.signedIn(tm.email)
	b.get("/settings/integrations").is(t, http.StatusOK).has(t, `id="webhooks"`, "No webhook endpoints yet.")
	form := url.Values{"url": {rc.URL + "/in"}, "events": {"order.submitted", "order.delivered"}}
	page := b.follow(b.post("/settings/integrations/webhooks", form)).is(t, http.StatusOK)
	page.has(t, "whsec_", rc.URL+"/in", "Send a test event", "Nothing sent yet.")
	hooks, err := e.svc.Webhooks(e.ctx, tm.owner)
	if err != nil || len(hooks) != 1 {
		t.Fatalf("webhooks after adding one: %v, %v", hooks, err)
	}
	path := "/settings/integrations/webhooks/" + string(hooks[0].ID)
	b.follow(b.post(path+"/test", url.Values{})).has(t, "Test event msg_test_")
	e.w.DeliverOutbox(connect.OutboxOptions{})
	if hits.Load() != 1 {
		t.Fatalf("the receiver got %d requests; want the test event", hits.Load())
	}
	log := b.get(path).is(t, http.StatusOK)
	log.has(t, `id="webhook-log"`, "webhook.test", `<td data-label="Status">204</td>`, " ms</td>")
	b.get("/settings/integrations").has(t, rc.URL+"/in", "<code>order.submitted</code>, <code>order.delivered</code>")

	_, email := e.addMember(tm, connect.RoleMember)
	mb := e.signedIn(email)
	mb.get("/settings/integrations").is(t, http.StatusOK).lacks(t, `id="webhooks"`, rc.URL)
	mb.post("/settings/integrations/webhooks", url.Values{"url": {"https://evil.example/"}, "events": {"order.submitted"}}).is(t, http.StatusForbidden)
	mb.get(path).is(t, http.StatusForbidden)
}

// TestAPausedWebhookIsNoticedOnTheSettingsPage: an endpoint paused for failing
// is named on the integrations page with the reason, and can be resumed.
func TestAPausedWebhookIsNoticedOnTheSettingsPage(t *testing.T) {
	t.Parallel()
	e := webhookEnv(t, 2)
	tm := e.signUp("Green Grocer", uploads)
	rc, _ := hookReceiver(t, http.StatusInternalServerError)
	issued, err := e.svc.AddWebhook(e.ctx, tm.owner, connect.WebhookInput{URL: rc.URL, Events: connect.WebhookEventTypes()})
	if err != nil {
		t.Fatal(err)
	}
	e.w.Orders(tm.owner, connect.StatusSubmitted, 2)
	fast := connect.OutboxOptions{Backoff: func(int) time.Duration { return 0 }}
	for range 3 {
		e.w.DeliverOutbox(fast)
	}
	b := e.signedIn(tm.email)
	b.get("/settings/integrations").has(t, `id="webhook-paused-`+string(issued.Webhook.ID)+`"`, "paused after 2 failed deliveries in a row")
	path := "/settings/integrations/webhooks/" + string(issued.Webhook.ID)
	b.get(path).has(t, `id="webhook-paused"`, `<td data-label="Status">500</td>`, "the endpoint answered 500")
	b.follow(b.post(path, url.Values{"url": {rc.URL}, "events": {"order.submitted"}})).lacks(t, `id="webhook-paused"`)
}

// TestWebhooksThroughTheJSONAPI: an owner's session manages endpoints through
// the API (the secret in the create and rotate answers only); an API key,
// which has a member's rights, is refused.
func TestWebhooksThroughTheJSONAPI(t *testing.T) {
	t.Parallel()
	e := webhookEnv(t, 0)
	tm := e.signUp("Green Grocer", uploads)
	b := e.signedIn(tm.email)
	call := func(method, path, body string, want int) map[string]any {
		t.Helper()
		r := b.do(method, path, strings.NewReader(body), "application/json", nil).is(t, want)
		var out map[string]any
		if r.body != "" {
			if err := json.Unmarshal([]byte(r.body), &out); err != nil {
				t.Fatalf("%s %s: %v: %s", method, path, err, r.body)
			}
		}
		return out
	}
	created := call(http.MethodPost, "/api/v1/webhooks", `{"url":"https://hooks.example/in","events":["order.delivered"]}`, http.StatusCreated)
	secret, _ := created["secret"].(string)
	hook := created["webhook"].(map[string]any)
	id := hook["id"].(string)
	if !strings.HasPrefix(secret, "whsec_") || hook["url"] != "https://hooks.example/in" {
		t.Fatalf("created: %v", created)
	}
	call(http.MethodPost, "/api/v1/webhooks", `{"url":"https://10.0.0.1/in","events":["order.delivered"]}`, http.StatusUnprocessableEntity)
	list := call(http.MethodGet, "/api/v1/webhooks", "", http.StatusOK)
	if raw, _ := json.Marshal(list); strings.Contains(string(raw), "whsec_") || len(list["webhooks"].([]any)) != 1 {
		t.Fatalf("the list: %s; want one endpoint and no secret", raw)
	}
	updated := call(http.MethodPut, "/api/v1/webhooks/"+id, `{"url":"https://hooks.example/v2","events":["order.failed"],"paused":true}`, http.StatusOK)
	if updated["paused"] != true || updated["url"] != "https://hooks.example/v2" {
		t.Fatalf("updated: %v", updated)
	}
	rotated := call(http.MethodPost, "/api/v1/webhooks/"+id+"/rotate-secret", `{"overlap_seconds":60}`, http.StatusOK)
	if s, _ := rotated["secret"].(string); s == secret || !strings.HasPrefix(s, "whsec_") {
		t.Fatalf("rotated: %v", rotated)
	}
	if msg := call(http.MethodPost, "/api/v1/webhooks/"+id+"/test", "", http.StatusAccepted); !strings.HasPrefix(msg["message"].(string), "msg_test_") {
		t.Fatalf("test: %v", msg)
	}
	if log := call(http.MethodGet, "/api/v1/webhooks/"+id+"/deliveries", "", http.StatusOK); len(log["deliveries"].([]any)) != 0 {
		t.Fatalf("deliveries before any: %v", log)
	}
	key, err := e.svc.CreateAPIKey(e.ctx, tm.owner, "erp")
	if err != nil {
		t.Fatal(err)
	}
	if status, body := e.api(key.Token, http.MethodGet, "/api/v1/webhooks", nil); status != http.StatusForbidden {
		t.Fatalf("an API key listing webhooks: %d %v; want 403", status, body)
	}
	call(http.MethodDelete, "/api/v1/webhooks/"+id, "", http.StatusNoContent)
	call(http.MethodGet, "/api/v1/webhooks/"+id, "", http.StatusNotFound)
}
