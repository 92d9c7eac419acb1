package storagetest

import (
	"fmt"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/dispatchkit/connect"
)

// RunWebhooks runs the tests of connect.WebhookStore, and of the outbox's
// streams that order webhooks.
func RunWebhooks(t *testing.T, open func(t *testing.T) connect.Store) {
	run(t, open, []test{
		{"WebhooksRoundTripListAndCompareAndSet", testWebhooks},
		{"WebhookDeliveriesAreCountedAndTheLogBounded", testWebhookDeliveries},
		{"WebhooksStayInTheirTenant", testWebhooksIsolation},
		{"OutboxStreamsDeliverOneAtATimeInPositionOrder", testOutboxStreams},
		{"OutboxStreamsStayInOrderUnderConcurrentClaims", testOutboxStreamsConcurrent},
	})
}

// webhook returns (without storing) an endpoint of the client, created at f.at(n).
func (f *fixture) webhook(c *connect.Client, n int) *connect.WebhookEndpoint {
	return &connect.WebhookEndpoint{ID: connect.WebhookID(f.id("wh")), Account: c.Account, Client: c.ID,
		URL: fmt.Sprintf("https://hooks.example/%d", n), Events: []connect.WebhookEventType{connect.WebhookOrderDelivered, connect.WebhookOrderFailed},
		Secret: "whsec_c2VjcmV0", CreatedAt: f.at(n), UpdatedAt: f.at(n)}
}

// delivery returns an attempt to post to w at f.at(n).
func (f *fixture) delivery(w *connect.WebhookEndpoint, n int, ok bool) connect.WebhookDelivery {
	d := connect.WebhookDelivery{ID: f.id("whd"), Account: w.Account, Client: w.Client, Webhook: w.ID,
		Message: f.id("msg"), Type: connect.WebhookOrderDelivered, Order: "o1", Attempt: 1, At: f.at(n),
		Status: 200, Duration: 1500 * time.Microsecond, Succeeded: ok}
	if !ok {
		d.Status, d.Error = 500, "the endpoint answered 500"
	}
	return d
}

// testWebhooks: an endpoint round-trips at version 1; lists are oldest first,
// by client and active only when asked; an update is a compare-and-set on the
// version; pausing is done once; deleting removes it.
func testWebhooks(t *testing.T, f *fixture) {
	c := f.client(f.account())
	sibling := f.client(c.Account)
	w1, w2, w3 := f.webhook(c, 2), f.webhook(c, 1), f.webhook(sibling, 3)
	w2.Paused, w2.PausedReason, w2.PausedAt = true, "paused by hand", f.at(1)
	for _, w := range []*connect.WebhookEndpoint{w1, w2} {
		must(t, f.s.CreateWebhook(f.ctx, scopeOf(c), w))
	}
	must(t, f.s.CreateWebhook(f.ctx, scopeOf(sibling), w3))
	if w1.Version != 1 {
		t.Fatalf("CreateWebhook set Version %d; want 1", w1.Version)
	}
	same(t, "the endpoint read back", w1, second2(f.s.Webhook(f.ctx, scopeOf(c), w1.ID)))
	wantCode(t, "CreateWebhook with an id in use", f.s.CreateWebhook(f.ctx, scopeOf(c), w1), connect.Conflict)
	stray := f.webhook(c, 4)
	stray.Client = connect.ClientID(f.id("cl")) // not a client of the account
	wantCode(t, "CreateWebhook for a client the account lacks", f.s.CreateWebhook(f.ctx, connect.Scope{Account: c.Account}, stray), connect.NotFound)

	same(t, "the client's endpoints, oldest first", []*connect.WebhookEndpoint{w2, w1}, second2(f.s.Webhooks(f.ctx, scopeOf(c), connect.WebhookQuery{})))
	same(t, "the account's active endpoints of two clients", []*connect.WebhookEndpoint{w1, w3},
		second2(f.s.Webhooks(f.ctx, connect.Scope{Account: c.Account}, connect.WebhookQuery{Clients: []connect.ClientID{c.ID, sibling.ID}, Active: true})))
	same(t, "the account's endpoints of the sibling", []*connect.WebhookEndpoint{w3},
		second2(f.s.Webhooks(f.ctx, connect.Scope{Account: c.Account}, connect.WebhookQuery{Clients: []connect.ClientID{sibling.ID}})))

	stale := *w1
	w1.URL, w1.Events, w1.Secret, w1.PreviousSecret, w1.PreviousExpiresAt = "https://hooks.example/new",
		[]connect.WebhookEventType{connect.WebhookOrderSubmitted}, "whsec_bmV3", "whsec_c2VjcmV0", f.at(50)
	w1.Failures, w1.FailingSince, w1.UpdatedAt = 2, f.at(5), f.at(6)
	must(t, f.s.UpdateWebhook(f.ctx, scopeOf(c), w1))
	if w1.Version != 2 {
		t.Fatalf("UpdateWebhook set Version %d; want 2", w1.Version)
	}
	same(t, "the updated endpoint", w1, second2(f.s.Webhook(f.ctx, scopeOf(c), w1.ID)))
	wantCode(t, "UpdateWebhook at a stale version", f.s.UpdateWebhook(f.ctx, scopeOf(c), &stale), connect.Conflict)

	paused, err := f.s.PauseWebhook(f.ctx, scopeOf(c), w1.ID, "failing", f.at(7))
	must(t, err)
	again, err := f.s.PauseWebhook(f.ctx, scopeOf(c), w1.ID, "failing again", f.at(8))
	must(t, err)
	if !paused || again {
		t.Fatalf("PauseWebhook twice reported %v, %v; want true, false", paused, again)
	}
	want := *w1
	want.Paused, want.PausedReason, want.PausedAt, want.Version, want.UpdatedAt = true, "failing", f.at(7), 3, f.at(7)
	same(t, "the paused endpoint", &want, second2(f.s.Webhook(f.ctx, scopeOf(c), w1.ID)))
	wantCode(t, "UpdateWebhook at the version before the pause", f.s.UpdateWebhook(f.ctx, scopeOf(c), w1), connect.Conflict)

	must(t, f.s.DeleteWebhook(f.ctx, scopeOf(c), w1.ID))
	wantCode(t, "the deleted endpoint", second(f.s.Webhook(f.ctx, scopeOf(c), w1.ID)), connect.NotFound)
	wantCode(t, "DeleteWebhook again", f.s.DeleteWebhook(f.ctx, scopeOf(c), w1.ID), connect.NotFound)
	wantCode(t, "PauseWebhook of the deleted endpoint", second(f.s.PauseWebhook(f.ctx, scopeOf(c), w1.ID, "x", f.at(9))), connect.NotFound)
}

// testWebhookDeliveries: attempts are listed newest first and bounded to Keep;
// counted failures add up from the first one's time, a success clears them,
// uncounted ones change nothing; the version never moves; deleting the
// endpoint deletes its log.
func testWebhookDeliveries(t *testing.T, f *fixture) {
	c := f.client(f.account())
	w, other := f.webhook(c, 1), f.webhook(c, 2)
	must(t, f.s.CreateWebhook(f.ctx, scopeOf(c), w))
	must(t, f.s.CreateWebhook(f.ctx, scopeOf(c), other))
	record := func(d connect.WebhookDelivery, count bool) *connect.WebhookEndpoint {
		t.Helper()
		got, err := f.s.RecordWebhookDelivery(f.ctx, scopeOf(c), connect.RecordWebhookDeliveryParams{Delivery: d, Keep: 3, Count: count})
		must(t, err)
		return got
	}
	var log []connect.WebhookDelivery
	for n := 10; n < 14; n++ {
		d := f.delivery(w, n, false)
		log = append(log, d)
		got := record(d, true)
		if got.Failures != n-9 || !got.FailingSince.Equal(f.at(10)) || got.Version != 1 {
			t.Fatalf("after %d failures: Failures %d since %v, version %d; want %d since %v, version 1",
				n-9, got.Failures, got.FailingSince, got.Version, n-9, f.at(10))
		}
	}
	test := f.delivery(w, 14, false)
	test.Type = connect.WebhookTest
	if got := record(test, false); got.Failures != 4 {
		t.Fatalf("an uncounted failure made Failures %d; want 4", got.Failures)
	}
	log = append(log, test)
	record(f.delivery(other, 15, false), true)
	same(t, "the newest three attempts", []connect.WebhookDelivery{log[4], log[3], log[2]},
		second2(f.s.WebhookDeliveries(f.ctx, scopeOf(c), w.ID, 0)))
	same(t, "the newest attempt", []connect.WebhookDelivery{log[4]}, second2(f.s.WebhookDeliveries(f.ctx, scopeOf(c), w.ID, 1)))
	if got := record(f.delivery(w, 16, true), true); got.Failures != 0 || !got.FailingSince.IsZero() {
		t.Fatalf("after a success: Failures %d since %v; want none", got.Failures, got.FailingSince)
	}
	stray := f.delivery(w, 17, false)
	stray.Webhook = connect.WebhookID(f.id("wh"))
	wantCode(t, "RecordWebhookDelivery of an unknown endpoint",
		second(f.s.RecordWebhookDelivery(f.ctx, scopeOf(c), connect.RecordWebhookDeliveryParams{Delivery: stray, Count: true})), connect.NotFound)
	must(t, f.s.DeleteWebhook(f.ctx, scopeOf(c), w.ID))
	if got := second2(f.s.WebhookDeliveries(f.ctx, scopeOf(c), w.ID, 0)); len(got) != 0 {
		t.Fatalf("the log of a deleted endpoint: %d attempts; want none", len(got))
	}
	if got := second2(f.s.WebhookDeliveries(f.ctx, scopeOf(c), other.ID, 0)); len(got) != 1 {
		t.Fatalf("the other endpoint's log: %d attempts; want 1", len(got))
	}
}

// testWebhooksIsolation: every method, called from a foreign scope (another
// account, a sibling client), finds nothing and changes nothing.
func testWebhooksIsolation(t *testing.T, f *fixture) {
	c := f.client(f.account())
	sibling := f.client(c.Account)
	foreign := f.client(f.account())
	w := f.webhook(c, 1)
	must(t, f.s.CreateWebhook(f.ctx, scopeOf(c), w))
	must(t, second(f.s.RecordWebhookDelivery(f.ctx, scopeOf(c), connect.RecordWebhookDeliveryParams{Delivery: f.delivery(w, 2, false), Count: true})))
	for _, sc := range []connect.Scope{scopeOf(sibling), scopeOf(foreign), {Account: foreign.Account}} {
		name := fmt.Sprintf("from %+v", sc)
		wantCode(t, name+": Webhook", second(f.s.Webhook(f.ctx, sc, w.ID)), connect.NotFound)
		if got := second2(f.s.Webhooks(f.ctx, sc, connect.WebhookQuery{Clients: []connect.ClientID{c.ID}})); len(got) != 0 {
			t.Fatalf("%s: Webhooks listed %d of another tenant's", name, len(got))
		}
		wantCode(t, name+": CreateWebhook", f.s.CreateWebhook(f.ctx, sc, f.webhook(c, 3)), connect.NotFound)
		changed := *w
		changed.URL = "https://evil.example"
		wantCode(t, name+": UpdateWebhook", f.s.UpdateWebhook(f.ctx, sc, &changed), connect.NotFound)
		wantCode(t, name+": PauseWebhook", second(f.s.PauseWebhook(f.ctx, sc, w.ID, "x", f.at(3))), connect.NotFound)
		wantCode(t, name+": DeleteWebhook", f.s.DeleteWebhook(f.ctx, sc, w.ID), connect.NotFound)
		wantCode(t, name+": RecordWebhookDelivery", second(f.s.RecordWebhookDelivery(f.ctx, sc,
			connect.RecordWebhookDeliveryParams{Delivery: f.delivery(w, 4, false), Count: true})), connect.NotFound)
		if got := second2(f.s.WebhookDeliveries(f.ctx, sc, w.ID, 0)); len(got) != 0 {
			t.Fatalf("%s: WebhookDeliveries listed %d of another tenant's", name, len(got))
		}
	}
	got := second2(f.s.Webhook(f.ctx, scopeOf(c), w.ID))
	if got.URL != w.URL || got.Paused || got.Failures != 1 {
		t.Fatalf("the endpoint after foreign calls: %+v; want it unchanged", got)
	}
	if n := len(second2(f.s.WebhookDeliveries(f.ctx, scopeOf(c), w.ID, 0))); n != 1 {
		t.Fatalf("the log after foreign calls: %d attempts; want 1", n)
	}
}

// testOutboxStreams: of a stream's pending entries only the lowest position is
// claimed, also while it waits for a retry; the next is claimed once it is
// done or dead; entries without a stream are claimed as always.
func testOutboxStreams(t *testing.T, f *fixture) {
	c := f.client(f.account())
	stream := f.id("stream")
	first, second, third, free := f.entry(c, 1), f.entry(c, 2), f.entry(c, 3), f.entry(c, 4)
	first.Stream, first.Position = stream, 1<<8|1
	second.Stream, second.Position = stream, 1<<8|2
	third.Stream, third.Position = stream, 2<<8|1
	first.NextAt = f.at(5) // due after the others: the position decides, not the time
	batch := []connect.OutboxEntry{third, second, first, free}
	must(t, f.s.AddOutbox(f.ctx, scopeOf(c), batch))
	third.ID, second.ID, first.ID, free.ID = batch[0].ID, batch[1].ID, batch[2].ID, batch[3].ID
	same(t, "streams read back", []int64{1<<8 | 1, 1<<8 | 2, 2<<8 | 1}, positions(f, c, stream))

	same(t, "due before the stream's first: the free entry only", []string{free.Key}, keys(f.claim(c.Account, f.at(4), 10)))
	must(t, f.s.FinishOutbox(f.ctx, connect.Scope{Account: c.Account}, connect.FinishOutboxParams{ID: free.ID,
		State: connect.OutboxDone, Now: f.at(4), Attempts: 1}))
	same(t, "then the stream's first alone", []string{first.Key}, keys(f.claim(c.Account, f.at(10), 10)))
	must(t, f.s.FinishOutbox(f.ctx, connect.Scope{Account: c.Account}, connect.FinishOutboxParams{ID: first.ID,
		State: connect.OutboxPending, NextAt: f.at(100), LastError: "500", Now: f.at(10), Attempts: 1}))
	if got := f.claim(c.Account, f.at(20), 10); len(got) != 0 {
		t.Fatalf("while the first waits for its retry, claimed %v; want nothing", keys(got))
	}
	same(t, "the first again at its retry", []string{first.Key}, keys(f.claim(c.Account, f.at(100), 10)))
	must(t, f.s.FinishOutbox(f.ctx, connect.Scope{Account: c.Account}, connect.FinishOutboxParams{ID: first.ID,
		State: connect.OutboxDead, LastError: "500", Now: f.at(100), Attempts: 2}))
	same(t, "after the first is dead: the second", []string{second.Key}, keys(f.claim(c.Account, f.at(101), 10)))
	must(t, f.s.FinishOutbox(f.ctx, connect.Scope{Account: c.Account}, connect.FinishOutboxParams{ID: second.ID,
		State: connect.OutboxDone, Now: f.at(101), Attempts: 1}))
	same(t, "after the second is done: the third", []string{third.Key}, keys(f.claim(c.Account, f.at(102), 10)))
}

// positions returns the positions of a stream's entries, lowest first.
func positions(f *fixture, c *connect.Client, stream string) []int64 {
	f.t.Helper()
	all, err := f.outbox(scopeOf(c), nil, 0)
	must(f.t, err)
	var out []int64
	for _, e := range all {
		if e.Stream == stream {
			out = append(out, e.Position)
		}
	}
	slices.Sort(out)
	return out
}

// testOutboxStreamsConcurrent: workers claiming and finishing at once (as
// processes do) never hold two entries of one stream, and take each stream's
// entries in position order.
func testOutboxStreamsConcurrent(t *testing.T, f *fixture) {
	c := f.client(f.account())
	const streams, per, workers = 4, 6, 6
	var entries []connect.OutboxEntry
	for p := per; p >= 1; p-- { // added last first
		for s := range streams {
			e := f.entry(c, 10-p) // later positions due first: the position decides
			e.Stream, e.Position = fmt.Sprintf("%s-%d", f.id("stream"), s), int64(p)
			if p < per {
				e.Stream = entries[s].Stream
			}
			entries = append(entries, e)
		}
	}
	must(t, f.s.AddOutbox(f.ctx, scopeOf(c), entries))
	var (
		mu          sync.Mutex
		outstanding = map[string]int64{} // stream → the position a worker holds
		last        = map[string]int64{} // stream → the last position finished
		done        int
		wg          sync.WaitGroup
	)
	for range workers {
		wg.Go(func() {
			for idle := 0; idle < 100000; idle++ {
				mu.Lock()
				finished := done == streams*per
				mu.Unlock()
				if finished || t.Failed() {
					return
				}
				got, err := f.s.ClaimOutboxAnyAccount(f.ctx, connect.ClaimOutboxParams{Now: f.at(100), Lease: time.Hour, Limit: 3})
				if err != nil {
					t.Errorf("claiming: %v", err)
					return
				}
				got = slices.DeleteFunc(got, func(e connect.OutboxEntry) bool { return e.Account != c.Account })
				if len(got) == 0 {
					runtime.Gosched()
					continue
				}
				for _, e := range got {
					mu.Lock()
					if held, ok := outstanding[e.Stream]; ok {
						t.Errorf("position %d of a stream claimed while %d is held", e.Position, held)
					}
					if e.Position != last[e.Stream]+1 {
						t.Errorf("position %d of a stream claimed after %d", e.Position, last[e.Stream])
					}
					outstanding[e.Stream] = e.Position
					mu.Unlock()
				}
				for _, e := range got {
					// Released before the finish commits: the next of the stream
					// can be claimed only after that.
					mu.Lock()
					delete(outstanding, e.Stream)
					last[e.Stream] = e.Position
					done++
					mu.Unlock()
					if err := f.s.FinishOutbox(f.ctx, connect.Scope{Account: c.Account}, connect.FinishOutboxParams{
						ID: e.ID, State: connect.OutboxDone, Now: f.at(100), Attempts: e.Attempts}); err != nil {
						t.Errorf("finishing: %v", err)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	if done != streams*per {
		t.Fatalf("the workers finished %d of %d entries", done, streams*per)
	}
}
