package connect_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/connecttest"
	"github.com/dispatchkit/connect/webhooks"
	"github.com/google/go-cmp/cmp"
)

// received is one request a receiver got, with what its signatures say.
type received struct {
	ID, Timestamp string
	Type          connect.WebhookEventType
	Order         connect.OrderID
	Body          map[string]any
	// Verified lists, per secret the receiver knows, whether one of the
	// request's signatures is that secret's.
	Verified []bool
}

// receiver is a client's system taking webhooks: it verifies each request as
// the Standard Webhooks specification says a receiver does, written here from
// the specification, not from connect's signer: the signed content is
// "<webhook-id>.<webhook-timestamp>.<raw body>", the key is the secret's part
// after "whsec_", base64-decoded, the signature HMAC-SHA256, and
// webhook-signature holds space-separated "v1,<base64>" entries, one of which
// must match (compared in constant time).
type receiver struct {
	t       *testing.T
	srv     *httptest.Server
	mu      sync.Mutex
	secrets []string
	got     []received
	// answer returns the status for the nth request (from 1); nil: 200.
	answer func(n int, r received) int
}

func newReceiver(t *testing.T) *receiver {
	rc := &receiver{t: t}
	rc.srv = httptest.NewServer(http.HandlerFunc(rc.serve))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) serve(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	got := received{ID: r.Header.Get("webhook-id"), Timestamp: r.Header.Get("webhook-timestamp")}
	if got.ID == "" || got.Timestamp == "" || r.Header.Get("webhook-signature") == "" {
		rc.t.Errorf("a webhook without its headers: %v", r.Header)
	}
	if _, err := strconv.ParseInt(got.Timestamp, 10, 64); err != nil {
		rc.t.Errorf("webhook-timestamp %q is not Unix seconds", got.Timestamp)
	}
	if err := json.Unmarshal(raw, &got.Body); err != nil {
		rc.t.Errorf("a webhook body that is not JSON: %s", raw)
	}
	got.Type = connect.WebhookEventType(got.Body["type"].(string))
	if data, ok := got.Body["data"].(map[string]any); ok {
		got.Order = connect.OrderID(data["id"].(string))
	}
	signed := got.ID + "." + got.Timestamp + "." + string(raw)
	for _, secret := range rc.secrets {
		key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
		if err != nil || !strings.HasPrefix(secret, "whsec_") {
			rc.t.Errorf("secret %q is not whsec_<base64>", secret)
		}
		mac := hmac.New(sha256.New, key)
		mac.Write([]byte(signed))
		want := mac.Sum(nil)
		ok := false
		for _, sig := range strings.Fields(r.Header.Get("webhook-signature")) {
			version, b64, found := strings.Cut(sig, ",")
			given, err := base64.StdEncoding.DecodeString(b64)
			if found && version == "v1" && err == nil && hmac.Equal(given, want) {
				ok = true
			}
		}
		got.Verified = append(got.Verified, ok)
	}
	rc.got = append(rc.got, got)
	status := http.StatusOK
	if rc.answer != nil {
		status = rc.answer(len(rc.got), got)
	}
	w.WriteHeader(status)
}

// setAnswer changes how the receiver answers, between requests.
func (rc *receiver) setAnswer(answer func(n int, r received) int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.answer = answer
}

// requests returns what the receiver got so far.
func (rc *receiver) requests() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return slices.Clone(rc.got)
}

// webhookWorld is a World (on PostgreSQL with CONNECT_TEST_STORE=postgres) whose Service posts webhooks to loopback receivers,
// with a client whose owner registers them.
func webhookWorld(t *testing.T, edit func(*connect.Config)) (*connecttest.World, *connecttest.Team) {
	w := connecttest.New(t, connecttest.WithDSN(storeDSN(t)), connecttest.WithConfig(func(c *connect.Config) {
		c.Webhooks = webhooks.New(webhooks.Config{AllowLoopback: true})
		if edit != nil {
			edit(c)
		}
	}))
	return w, w.NewClient("Hooked Goods", connect.ClientSettings{AllowUpload: true})
}

// addHook has the team's owner register the receiver for the events; the
// receiver learns the secret.
func addHook(t *testing.T, w *connecttest.World, tm *connecttest.Team, rc *receiver, events ...connect.WebhookEventType) *connect.WebhookEndpoint {
	t.Helper()
	if len(events) == 0 {
		events = connect.WebhookEventTypes()
	}
	issued, err := w.Service.AddWebhook(t.Context(), tm.Owner.Actor, connect.WebhookInput{URL: rc.srv.URL + "/hooks", Events: events})
	if err != nil {
		t.Fatalf("AddWebhook: %v", err)
	}
	rc.secrets = []string{issued.Secret}
	return issued.Webhook
}

// fastRetries retries after a second, at most tries times.
func fastRetries(tries int) connect.OutboxOptions {
	return connect.OutboxOptions{MaxAttempts: tries, Backoff: func(int) time.Duration { return time.Second }}
}

func types(rs []received) []connect.WebhookEventType {
	out := make([]connect.WebhookEventType, len(rs))
	for i, r := range rs {
		out[i] = r.Type
	}
	return out
}

// TestWebhooksTellAnOrdersLifeSignedInOrder: an order's submission, schedule,
// start (with its ETA), ETA change and delivery (with its proof's links) reach
// the endpoint in that order, each signed with the endpoint's secret, each with
// its own id; a cancellation of another order carries its reason; events the
// endpoint did not choose, and other clients' orders, are not sent.
func TestWebhooksTellAnOrdersLifeSignedInOrder(t *testing.T) {
	t.Parallel()
	w, tm := webhookWorld(t, nil)
	rc := newReceiver(t)
	all := slices.DeleteFunc(connect.WebhookEventTypes(), func(e connect.WebhookEventType) bool { return e == connect.WebhookOrderScheduled })
	addHook(t, w, tm, rc, all...)
	other := w.NewClient("Quiet Goods", connect.ClientSettings{AllowUpload: true})
	w.Order(other.Owner.Actor, connect.StatusSubmitted)

	ctx := t.Context()
	o := w.Order(tm.Owner.Actor, connect.StatusDraft)
	if _, err := w.Service.SubmitOrders(ctx, tm.Owner.Actor, []connect.OrderID{o.ID}); err != nil {
		t.Fatal(err)
	}
	at := w.Clock.Now()
	eta, later := at.Add(time.Hour).Truncate(time.Second), at.Add(2*time.Hour).Truncate(time.Second)
	proof := &connect.ProofOfDelivery{PhotoURLs: []string{"https://files.example/p/1.jpg"}, SignatureURL: "https://files.example/p/sig.png", RecipientName: "Rita"}
	res, err := w.Service.ApplyRouteEvents(ctx, w.Host, []connect.RouteEvent{
		{ID: "e1", Order: o.ID, Event: connect.EventSchedule, At: at, Route: connect.RouteStop{RouteID: "r1", Position: 1}},
		{ID: "e2", Order: o.ID, Event: connect.EventStart, At: at.Add(time.Second), ETA: eta},
		{ID: "e3", Order: o.ID, Event: connect.EventETA, At: at.Add(2 * time.Second), ETA: later},
	})
	if err != nil || res.Applied != 3 {
		t.Fatalf("route events: %+v, %v", res, err)
	}
	if _, err := w.Service.ApplyRouteEvents(ctx, w.Host, []connect.RouteEvent{
		{ID: "e4", Order: o.ID, Event: connect.EventComplete, At: at.Add(3 * time.Second), Proof: proof}}); err != nil {
		t.Fatal(err)
	}
	cancelled := w.Order(tm.Owner.Actor, connect.StatusSubmitted)
	if _, err := w.Service.CancelOrder(ctx, w.Dispatcher, cancelled.ID, "client closed"); err != nil {
		t.Fatal(err)
	}
	w.DeliverOutbox(connect.OutboxOptions{})

	got := rc.requests()
	want := []connect.WebhookEventType{connect.WebhookOrderSubmitted, connect.WebhookOrderEnRoute, connect.WebhookOrderETAChanged,
		connect.WebhookOrderDelivered, connect.WebhookOrderSubmitted, connect.WebhookOrderCancelled}
	var ofO, ofCancelled []received
	for _, r := range got {
		switch r.Order {
		case o.ID:
			ofO = append(ofO, r)
		case cancelled.ID:
			ofCancelled = append(ofCancelled, r)
		default:
			t.Errorf("a webhook about order %s, of no order of the client", r.Order)
		}
	}
	if d := cmp.Diff(want, append(types(ofO), types(ofCancelled)...)); d != "" {
		t.Fatalf("event types, per order in order (-want +got):\n%s", d)
	}
	ids := map[string]bool{}
	for _, r := range got {
		if !r.Verified[0] {
			t.Errorf("%s: the signature does not verify with the endpoint's secret", r.Type)
		}
		if ids[r.ID] {
			t.Errorf("webhook-id %s sent for two events", r.ID)
		}
		ids[r.ID] = true
	}
	data := func(r received) map[string]any { return r.Body["data"].(map[string]any) }
	if got := data(ofO[1])["eta"]; got != eta.Format(time.RFC3339) {
		t.Errorf("en route: eta %v; want %v", got, eta.Format(time.RFC3339))
	}
	// A route event's message carries the whole order, not only what the
	// route changed.
	if addr, ok := data(ofO[1])["address"].(map[string]any); !ok || addr["line1"] != o.Address.Line1 || o.Address.Line1 == "" {
		t.Errorf("en route: address %v; want the order's, %q", data(ofO[1])["address"], o.Address.Line1)
	}
	if got := data(ofO[2])["eta"]; got != later.Format(time.RFC3339) {
		t.Errorf("ETA changed: eta %v; want %v", got, later.Format(time.RFC3339))
	}
	wantProof := map[string]any{"photo_urls": []any{"https://files.example/p/1.jpg"}, "signature_url": "https://files.example/p/sig.png",
		"recipient_name": "Rita", "latitude": nil, "longitude": nil}
	if d := cmp.Diff(wantProof, data(ofO[3])["proof"]); d != "" {
		t.Errorf("delivered: proof (-want +got):\n%s", d)
	}
	if got := data(ofCancelled[1])["reason"]; got != "client closed" {
		t.Errorf("cancelled: reason %v; want %q", got, "client closed")
	}
	if got := ofO[0].Body["timestamp"]; got == nil {
		t.Errorf("the payload has no timestamp: %v", ofO[0].Body)
	}
}

// TestWebhooksAreRetriedAfterFailuresUntilDead: a 500 is retried with the
// same webhook-id; the attempts are in the delivery log with their status
// codes; after the outbox's limit the entry is dead, and the order's next
// event goes out then (an earlier dead event does not hold it back).
func TestWebhooksAreRetriedAfterFailuresUntilDead(t *testing.T) {
	t.Parallel()
	w, tm := webhookWorld(t, nil)
	rc := newReceiver(t)
	rc.setAnswer(func(n int, _ received) int {
		if n <= 2 {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	hook := addHook(t, w, tm, rc)
	o := w.Order(tm.Owner.Actor, connect.StatusSubmitted)
	for i := 0; i < 3; i++ {
		w.DeliverOutbox(fastRetries(5))
		w.Clock.Advance(2 * time.Second)
	}
	got := rc.requests()
	if len(got) != 3 || got[0].ID != got[1].ID || got[1].ID != got[2].ID {
		t.Fatalf("requests: %+v; want three tries of one event", got)
	}
	log, err := w.Service.WebhookDeliveries(t.Context(), tm.Owner.Actor, hook.ID)
	if err != nil {
		t.Fatal(err)
	}
	var summary []string
	for _, d := range log {
		summary = append(summary, strconv.Itoa(d.Attempt)+":"+strconv.Itoa(d.Status)+":"+strconv.FormatBool(d.Succeeded))
	}
	if d := cmp.Diff([]string{"3:200:true", "2:500:false", "1:500:false"}, summary); d != "" {
		t.Fatalf("the delivery log, newest first (-want +got):\n%s", d)
	}
	if log[1].Error == "" || log[0].Error != "" || log[0].Message != got[0].ID {
		t.Fatalf("the log's errors and message: %+v", log)
	}

	// Now the endpoint fails for good: the schedule dies after 2 tries, and
	// the start behind it goes out then.
	rc.setAnswer(func(_ int, r received) int {
		if r.Type == connect.WebhookOrderScheduled {
			return http.StatusBadGateway
		}
		return http.StatusOK
	})
	at := w.Clock.Now()
	if _, err := w.Service.ApplyRouteEvents(t.Context(), w.Host, []connect.RouteEvent{
		{ID: "s", Order: o.ID, Event: connect.EventSchedule, At: at, Route: connect.RouteStop{RouteID: "r", Position: 1}},
		{ID: "g", Order: o.ID, Event: connect.EventStart, At: at.Add(time.Second), ETA: at.Add(time.Hour)}}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		w.DeliverOutbox(fastRetries(2))
		w.Clock.Advance(2 * time.Second)
	}
	if d := cmp.Diff([]connect.WebhookEventType{connect.WebhookOrderScheduled, connect.WebhookOrderScheduled, connect.WebhookOrderEnRoute},
		types(rc.requests()[3:])); d != "" {
		t.Fatalf("after the first event: (-want +got):\n%s", d)
	}
	dead, err := w.Service.Outbox(t.Context(), w.Dispatcher, connect.ListOutboxParams{View: connect.OutboxViewDead})
	if err != nil || len(dead.Entries) != 1 || dead.Entries[0].Kind != connect.OutboxWebhook || dead.Entries[0].Event != connect.EventSchedule {
		t.Fatalf("dead entries: %+v, %v; want the schedule's webhook", dead, err)
	}
}

// TestWebhooksOfAnOrderWaitForTheOneBefore: while an order's event is being
// retried, its next events wait; another order's events go out meanwhile.
func TestWebhooksOfAnOrderWaitForTheOneBefore(t *testing.T) {
	t.Parallel()
	w, tm := webhookWorld(t, nil)
	rc := newReceiver(t)
	addHook(t, w, tm, rc)
	first := w.Order(tm.Owner.Actor, connect.StatusSubmitted)
	second := w.Order(tm.Owner.Actor, connect.StatusSubmitted)
	rc.setAnswer(func(_ int, r received) int {
		if r.Order == first.ID && r.Type == connect.WebhookOrderSubmitted {
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	})
	at := w.Clock.Now()
	var events []connect.RouteEvent
	for i, id := range []connect.OrderID{first.ID, second.ID} {
		events = append(events, connect.RouteEvent{ID: "s" + strconv.Itoa(i), Order: id, Event: connect.EventSchedule, At: at,
			Route: connect.RouteStop{RouteID: "r", Position: i + 1}})
	}
	if _, err := w.Service.ApplyRouteEvents(t.Context(), w.Host, events); err != nil {
		t.Fatal(err)
	}
	w.DeliverOutbox(fastRetries(10))
	w.Clock.Advance(2 * time.Second)
	w.DeliverOutbox(fastRetries(10))
	perOrder := func(id connect.OrderID) []connect.WebhookEventType {
		var out []connect.WebhookEventType
		for _, r := range rc.requests() {
			if r.Order == id {
				out = append(out, r.Type)
			}
		}
		return out
	}
	if d := cmp.Diff([]connect.WebhookEventType{connect.WebhookOrderSubmitted, connect.WebhookOrderSubmitted}, perOrder(first.ID)); d != "" {
		t.Fatalf("the first order while its submission fails: only that, retried (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]connect.WebhookEventType{connect.WebhookOrderSubmitted, connect.WebhookOrderScheduled}, perOrder(second.ID)); d != "" {
		t.Fatalf("the second order meanwhile (-want +got):\n%s", d)
	}
	rc.setAnswer(nil)
	w.Clock.Advance(2 * time.Second)
	w.DeliverOutbox(fastRetries(10))
	if d := cmp.Diff([]connect.WebhookEventType{connect.WebhookOrderSubmitted, connect.WebhookOrderSubmitted,
		connect.WebhookOrderSubmitted, connect.WebhookOrderScheduled}, perOrder(first.ID)); d != "" {
		t.Fatalf("the first order once its submission went through (-want +got):\n%s", d)
	}
}

// TestAWebhookThatKeepsFailingIsPaused: after the policy's failures in a row
// the endpoint is paused with a reason, its queued events are dropped and no
// new ones are queued; resuming clears its failures.
func TestAWebhookThatKeepsFailingIsPaused(t *testing.T) {
	t.Parallel()
	w, tm := webhookWorld(t, func(c *connect.Config) { c.WebhookPause = connect.WebhookPausePolicy{Failures: 3} })
	rc := newReceiver(t)
	rc.setAnswer(func(int, received) int { return http.StatusInternalServerError })
	hook := addHook(t, w, tm, rc)
	w.Orders(tm.Owner.Actor, connect.StatusSubmitted, 2)
	for i := 0; i < 5; i++ {
		w.DeliverOutbox(fastRetries(10))
		w.Clock.Advance(2 * time.Second)
	}
	if n := len(rc.requests()); n != 3 {
		t.Fatalf("the endpoint got %d requests; want 3, then paused", n)
	}
	got, err := w.Service.Webhook(t.Context(), tm.Owner.Actor, hook.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Paused || got.Failures != 3 || !strings.Contains(got.PausedReason, "3 failed deliveries") {
		t.Fatalf("the endpoint after 3 failures: %+v; want it paused, saying why", got)
	}
	w.DeliverOutbox(fastRetries(10))
	notices := w.Mailer.WebhooksPaused()
	if len(notices) != 1 || notices[0].To != tm.Owner.Email || notices[0].URL != hook.URL || notices[0].Reason != got.PausedReason {
		t.Fatalf("the owner's notices: %+v; want one about %s", notices, hook.URL)
	}
	w.Order(tm.Owner.Actor, connect.StatusSubmitted)
	w.Clock.Advance(time.Minute)
	w.DeliverOutbox(fastRetries(10))
	if n := len(rc.requests()); n != 3 {
		t.Fatalf("a paused endpoint got %d requests; want none more", n)
	}
	resumed, err := w.Service.UpdateWebhook(t.Context(), tm.Owner.Actor, hook.ID, connect.WebhookInput{URL: hook.URL, Events: hook.Events})
	if err != nil || resumed.Paused || resumed.Failures != 0 || resumed.PausedReason != "" {
		t.Fatalf("resumed: %+v, %v; want it active with no failures", resumed, err)
	}
}

// TestAWebhookFailingForTheWholePolicyTimeIsPaused: few failures in a row,
// but every attempt failing for the policy's time, pause the endpoint; fewer
// over a shorter time do not.
func TestAWebhookFailingForTheWholePolicyTimeIsPaused(t *testing.T) {
	t.Parallel()
	w, tm := webhookWorld(t, func(c *connect.Config) { c.WebhookPause = connect.WebhookPausePolicy{Failures: 1000, For: time.Hour} })
	rc := newReceiver(t)
	var failing atomic.Bool
	failing.Store(true)
	rc.setAnswer(func(int, received) int {
		if failing.Load() {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	hook := addHook(t, w, tm, rc)
	slow := connect.OutboxOptions{MaxAttempts: 100, Backoff: func(int) time.Duration { return 25 * time.Minute }}
	paused := func() bool {
		t.Helper()
		got, err := w.Service.Webhook(t.Context(), tm.Owner.Actor, hook.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got.Paused
	}
	w.Order(tm.Owner.Actor, connect.StatusSubmitted)
	for range 3 { // failures at 0, 30 and 60 minutes: a full hour, but only just
		w.DeliverOutbox(slow)
		w.Clock.Advance(30 * time.Minute)
	}
	if !paused() {
		t.Fatalf("after failing for an hour (%d requests): not paused", len(rc.requests()))
	}
	// Resumed (its failures cleared) and a success taken, three more failures
	// over less than the hour do not pause it.
	if _, err := w.Service.UpdateWebhook(t.Context(), tm.Owner.Actor, hook.ID, connect.WebhookInput{URL: hook.URL, Events: hook.Events}); err != nil {
		t.Fatal(err)
	}
	failing.Store(false)
	w.Order(tm.Owner.Actor, connect.StatusSubmitted)
	w.DeliverOutbox(slow)
	failing.Store(true)
	w.Order(tm.Owner.Actor, connect.StatusSubmitted)
	for range 3 {
		w.DeliverOutbox(slow)
		w.Clock.Advance(26 * time.Minute)
	}
	if paused() {
		t.Fatal("paused after failing for less than the hour")
	}
}

// TestRotatedSecretsSignBesideTheNewOne: after a rotation each request carries
// a signature of the new secret and one of the old, until the overlap ends;
// then the new one alone. The test event reaches a paused endpoint too. With
// a WebhookKey the Store keeps both secrets sealed.
func TestRotatedSecretsSignBesideTheNewOne(t *testing.T) {
	t.Parallel()
	key := []byte("0123456789abcdef0123456789abcdef")
	w, tm := webhookWorld(t, func(c *connect.Config) { c.WebhookKey = key })
	rc := newReceiver(t)
	hook := addHook(t, w, tm, rc)
	old := rc.secrets[0]
	rotated, err := w.Service.RotateWebhookSecret(t.Context(), tm.Owner.Actor, hook.ID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if rotated.Secret == old || !strings.HasPrefix(rotated.Secret, "whsec_") {
		t.Fatalf("the new secret %q", rotated.Secret)
	}
	rc.secrets = []string{rotated.Secret, old, "whsec_" + base64.StdEncoding.EncodeToString([]byte("not the secret at all, 32 bytes"))}
	stored, err := w.Store.Webhook(t.Context(), connect.Scope{Account: tm.Client.Account, Client: tm.Client.ID}, hook.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{stored.Secret, stored.PreviousSecret} {
		if !strings.HasPrefix(s, "sealed1:") || strings.Contains(s, strings.TrimPrefix(rotated.Secret, "whsec_")) || strings.Contains(s, strings.TrimPrefix(old, "whsec_")) {
			t.Fatalf("a secret as the Store keeps it with a WebhookKey: %q; want it sealed", s)
		}
	}
	if _, err := w.Service.SendTestWebhook(t.Context(), tm.Owner.Actor, hook.ID); err != nil {
		t.Fatal(err)
	}
	w.DeliverOutbox(connect.OutboxOptions{})
	w.Clock.Advance(2 * time.Hour)
	if _, err := w.Service.UpdateWebhook(t.Context(), tm.Owner.Actor, hook.ID, connect.WebhookInput{URL: hook.URL, Events: hook.Events, Paused: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Service.SendTestWebhook(t.Context(), tm.Owner.Actor, hook.ID); err != nil {
		t.Fatal(err)
	}
	w.DeliverOutbox(connect.OutboxOptions{})
	got := rc.requests()
	if len(got) != 2 || got[0].Type != connect.WebhookTest {
		t.Fatalf("requests: %+v; want two test events", got)
	}
	if d := cmp.Diff([][]bool{{true, true, false}, {true, false, false}}, [][]bool{got[0].Verified, got[1].Verified}); d != "" {
		t.Fatalf("verified by (new, old, wrong) during and after the overlap (-want +got):\n%s", d)
	}
}

// TestWebhookURLsMustBeHTTPSAndPublic: the Service refuses what the sender
// would not post to, and a production sender refuses loopback and http.
func TestWebhookURLsMustBeHTTPSAndPublic(t *testing.T) {
	t.Parallel()
	w := connecttest.New(t, connecttest.WithConfig(func(c *connect.Config) { c.Webhooks = webhooks.New(webhooks.Config{}) }))
	tm := w.NewClient("Strict Goods", connect.ClientSettings{AllowUpload: true})
	for _, url := range []string{"http://hooks.example/x", "https://127.0.0.1/x", "https://10.0.0.8/x", "https://169.254.169.254/"} {
		_, err := w.Service.AddWebhook(t.Context(), tm.Owner.Actor, connect.WebhookInput{URL: url, Events: connect.WebhookEventTypes()})
		if connect.ErrorCode(err) != connect.Invalid {
			t.Errorf("AddWebhook(%s): %v; want invalid", url, err)
		}
	}
	if _, err := w.Service.AddWebhook(t.Context(), tm.Owner.Actor, connect.WebhookInput{URL: "https://hooks.example/x",
		Events: []connect.WebhookEventType{"order.exploded"}}); connect.ErrorCode(err) != connect.Invalid {
		t.Errorf("AddWebhook with an unknown event: %v; want invalid", err)
	}
}

// TestOnlyOwnersAndAdminsManageWebhooks: members, API keys and dispatchers
// may not; without a sender every method answers unavailable.
func TestOnlyOwnersAndAdminsManageWebhooks(t *testing.T) {
	t.Parallel()
	w, tm := webhookWorld(t, nil)
	admin, member := tm.Join(connect.RoleAdmin), tm.Join(connect.RoleMember)
	key, err := w.Service.CreateAPIKey(t.Context(), tm.Owner.Actor, "erp")
	if err != nil {
		t.Fatal(err)
	}
	keyActor, err := w.Service.AuthenticateAPIKey(t.Context(), key.Token)
	if err != nil {
		t.Fatal(err)
	}
	in := connect.WebhookInput{URL: "https://hooks.example/x", Events: connect.WebhookEventTypes()}
	if _, err := w.Service.AddWebhook(t.Context(), admin.Actor, in); err != nil {
		t.Fatalf("an admin adding a webhook: %v", err)
	}
	for name, a := range map[string]connect.Actor{"member": member.Actor, "API key": keyActor, "dispatcher": w.Dispatcher} {
		if _, err := w.Service.AddWebhook(t.Context(), a, in); connect.ErrorCode(err) != connect.Forbidden {
			t.Errorf("a %s adding a webhook: %v; want forbidden", name, err)
		}
		if _, err := w.Service.Webhooks(t.Context(), a); connect.ErrorCode(err) != connect.Forbidden {
			t.Errorf("a %s listing webhooks: %v; want forbidden", name, err)
		}
	}
	bare := connecttest.New(t)
	owner := bare.NewClient("Plain Goods", connect.ClientSettings{AllowUpload: true}).Owner.Actor
	if _, err := bare.Service.AddWebhook(t.Context(), owner, in); connect.ErrorCode(err) != connect.Unavailable {
		t.Errorf("AddWebhook without a sender: %v; want unavailable", err)
	}
}
