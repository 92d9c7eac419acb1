package storagetest

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/dispatchkit/connect"
)

// entry returns (without storing) a pending outbox entry of the client, due at
// f.at(n).
func (f *fixture) entry(c *connect.Client, n int) connect.OutboxEntry {
	return connect.OutboxEntry{
		Key: f.id("key"), Account: c.Account, Client: c.ID, Order: connect.OrderID(f.id("or")),
		Kind: connect.OutboxRouteSync, Event: connect.EventSubmit, NotifyCustomer: n%2 == 0,
		State: connect.OutboxPending, NextAt: f.at(n), CreatedAt: f.at(n), UpdatedAt: f.at(n),
	}
}

// claim claims for the test's account only: the Store may hold other entries.
func (f *fixture) claim(account connect.AccountID, now time.Time, limit int) []connect.OutboxEntry {
	f.t.Helper()
	got, err := f.s.ClaimOutboxAnyAccount(f.ctx, connect.ClaimOutboxParams{Now: now, Lease: time.Minute, Limit: limit})
	must(f.t, err)
	return slices.DeleteFunc(got, func(e connect.OutboxEntry) bool { return e.Account != account })
}

func keys(es []connect.OutboxEntry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Key
	}
	return out
}

// testOutboxRoundTrip: entries are stored once per key, listed oldest first by
// state, claimed when due, oldest first, with one more attempt each.
func testOutboxRoundTrip(t *testing.T, f *fixture) {
	c := f.client(f.account())
	e1, e2, e3 := f.entry(c, 1), f.entry(c, 2), f.entry(c, 3)
	e3.NextAt = f.at(100)                                                                                     // due later
	e1.Kind, e1.Payload = connect.OutboxEraseProofFiles, []byte(`{"urls":["https://files.example/p/1.jpg"]}`) // kept beside the entry
	batch := []connect.OutboxEntry{e2, e1, e3}
	must(t, f.s.AddOutbox(f.ctx, scopeOf(c), batch))
	for i, e := range batch {
		if e.ID == "" {
			t.Fatalf("AddOutbox left entry %d without an id", i)
		}
	}
	e1.ID, e2.ID, e3.ID = batch[1].ID, batch[0].ID, batch[2].ID

	// The same keys again (a retried transaction) are left out, whatever else differs.
	again := []connect.OutboxEntry{e1, f.entry(c, 4)}
	again[0].ID, again[0].Kind, again[0].NextAt, again[0].Payload = "", connect.OutboxFulfill, f.at(0), []byte("another payload")
	must(t, f.s.AddOutbox(f.ctx, scopeOf(c), again))
	e4 := again[1]

	list, err := f.outbox(connect.Scope{Account: c.Account}, nil, 0)
	must(t, err)
	same(t, "the outbox, oldest first", []connect.OutboxEntry{e1, e2, e3, e4}, list)
	other, err := f.outbox(connect.Scope{Account: f.account()}, nil, 0)
	must(t, err)
	if len(other) != 0 {
		t.Fatalf("another account's outbox lists %d entries", len(other))
	}

	now := f.at(10)
	got := f.claim(c.Account, now, 2)
	same(t, "first claim", []string{e1.Key, e2.Key}, keys(got))
	same(t, "a claimed entry's payload", e1.Payload, got[0].Payload)
	for _, e := range got {
		if e.Attempts != 1 || e.State != connect.OutboxPending {
			t.Fatalf("a claimed entry: attempts %d, state %s", e.Attempts, e.State)
		}
	}
	same(t, "second claim: the rest of what is due", []string{e4.Key}, keys(f.claim(c.Account, now, 10)))
	same(t, "third claim: everything due is leased", []string(nil), keys(f.claim(c.Account, now, 10)))

	// e1 delivered, e2 failed for good, e4 to retry later.
	must(t, f.s.FinishOutbox(f.ctx, connect.Scope{Account: c.Account}, connect.FinishOutboxParams{ID: e1.ID, State: connect.OutboxDone, Now: now}))
	must(t, f.s.FinishOutbox(f.ctx, connect.Scope{Account: c.Account}, connect.FinishOutboxParams{ID: e2.ID, State: connect.OutboxDead,
		LastError: "refused", Now: now}))
	must(t, f.s.FinishOutbox(f.ctx, connect.Scope{Account: c.Account}, connect.FinishOutboxParams{ID: e4.ID, State: connect.OutboxPending,
		NextAt: f.at(50), LastError: "unavailable", Now: now}))
	wantCode(t, "FinishOutbox of an unknown entry",
		f.s.FinishOutbox(f.ctx, connect.Scope{Account: c.Account}, connect.FinishOutboxParams{ID: "no-such-entry", State: connect.OutboxDone, Now: now}),
		connect.NotFound)

	same(t, "claim before the retry is due", []string(nil), keys(f.claim(c.Account, f.at(49), 10)))
	got = f.claim(c.Account, f.at(60), 10)
	same(t, "claim once the retry is due", []string{e4.Key}, keys(got))
	if got[0].Attempts != 2 || got[0].LastError != "unavailable" {
		t.Fatalf("the retried entry: attempts %d, last error %q", got[0].Attempts, got[0].LastError)
	}
	same(t, "claim later: e3 due, e4 still leased", []string{e3.Key}, keys(f.claim(c.Account, f.at(110), 10)))
	// Long after every lease: only the entries still pending come back.
	got = f.claim(c.Account, f.at(100000), 10)
	same(t, "claim after the leases ran out", []string{e4.Key, e3.Key}, keys(got))
	if got[0].Attempts != 3 || got[1].Attempts != 2 {
		t.Fatalf("attempts after a lease ran out: %d, %d", got[0].Attempts, got[1].Attempts)
	}

	done, err := f.outbox(connect.Scope{Account: c.Account}, []connect.OutboxState{connect.OutboxDone, connect.OutboxDead}, 0)
	must(t, err)
	same(t, "done and dead entries", []string{e1.Key, e2.Key}, keys(done))
	if done[1].LastError != "refused" || done[1].State != connect.OutboxDead {
		t.Fatalf("the dead entry: %+v", done[1])
	}
	pending, err := f.outbox(connect.Scope{Account: c.Account}, []connect.OutboxState{connect.OutboxPending}, 1)
	must(t, err)
	same(t, "pending entries, at most 1", []string{e3.Key}, keys(pending))
}

// testOutboxConcurrentClaims: claimers racing (as workers of several processes
// do) never get the same entry while its lease runs, and between them get all.
func testOutboxConcurrentClaims(t *testing.T, f *fixture) {
	c := f.client(f.account())
	const n, workers = 200, 8
	var entries []connect.OutboxEntry
	for i := range n {
		entries = append(entries, f.entry(c, i%50))
	}
	must(t, f.s.AddOutbox(f.ctx, scopeOf(c), entries))
	now := f.at(1000)
	var (
		mu    sync.Mutex
		seen  = map[string]int{}
		wg    sync.WaitGroup
		start = make(chan struct{})
	)
	for w := range workers {
		wg.Go(func() {
			<-start
			for {
				got, err := f.s.ClaimOutboxAnyAccount(f.ctx, connect.ClaimOutboxParams{Now: now, Lease: time.Hour, Limit: 7})
				if err != nil {
					t.Errorf("worker %d: %v", w, err)
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, e := range got {
					seen[e.Key]++
				}
				mu.Unlock()
			}
		})
	}
	close(start)
	wg.Wait()
	for k, times := range seen {
		if times != 1 {
			t.Fatalf("entry %s claimed %d times under one lease", k, times)
		}
	}
	if len(seen) != n {
		t.Fatalf("the workers claimed %d of %d entries", len(seen), n)
	}
}

// testOutboxDoneNeverReturns: entries finished done or dead are never claimed
// again, however late.
func testOutboxDoneNeverReturns(t *testing.T, f *fixture) {
	c := f.client(f.account())
	entries := []connect.OutboxEntry{f.entry(c, 1), f.entry(c, 2)}
	must(t, f.s.AddOutbox(f.ctx, scopeOf(c), entries))
	got := f.claim(c.Account, f.at(5), 10)
	if len(got) != 2 {
		t.Fatalf("claimed %d entries, want 2", len(got))
	}
	for i, st := range []connect.OutboxState{connect.OutboxDone, connect.OutboxDead} {
		must(t, f.s.FinishOutbox(f.ctx, connect.Scope{Account: c.Account}, connect.FinishOutboxParams{ID: got[i].ID, State: st, Now: f.at(6)}))
	}
	for _, at := range []int{7, 1000, 1000000} {
		if got := f.claim(c.Account, f.at(at), 10); len(got) != 0 {
			t.Fatalf("claim at %d returned finished entries %v", at, keys(got))
		}
	}
	all, err := f.outbox(connect.Scope{Account: c.Account}, nil, 0)
	must(t, err)
	for _, e := range all {
		if e.State == connect.OutboxPending {
			t.Fatalf("entry %s is pending again", e.Key)
		}
	}
	// An outbox entry written in a transaction that fails is not there.
	lost := f.entry(c, 3)
	err = f.s.Tx(f.ctx, func(tx connect.Store) error {
		must(t, tx.AddOutbox(f.ctx, scopeOf(c), []connect.OutboxEntry{lost}))
		return fmt.Errorf("boom")
	})
	if err == nil {
		t.Fatal("Tx returned no error")
	}
	if got := f.claim(c.Account, f.at(1000000), 10); len(got) != 0 {
		t.Fatalf("claimed a rolled-back entry: %v", keys(got))
	}
}

// testOutboxStaleFinish: a worker whose lease ran out, and whose entry another
// worker claimed since, cannot record its outcome over the newer claim's; nor can
// an entry be finished twice under one claim.
func testOutboxStaleFinish(t *testing.T, f *fixture) {
	c := f.client(f.account())
	batch := []connect.OutboxEntry{f.entry(c, 1)}
	must(t, f.s.AddOutbox(f.ctx, scopeOf(c), batch))
	id := batch[0].ID
	first := f.claim(c.Account, f.at(10), 1000)
	second := f.claim(c.Account, f.at(10).Add(2*time.Minute), 1000) // the first lease ran out
	if len(first) != 1 || len(second) != 1 || second[0].Attempts != first[0].Attempts+1 {
		t.Fatalf("claims: %+v then %+v", first, second)
	}
	stale := connect.FinishOutboxParams{ID: id, State: connect.OutboxDead, LastError: "timed out", Now: f.at(200), Attempts: first[0].Attempts}
	if err := f.s.FinishOutbox(f.ctx, connect.Scope{Account: c.Account}, stale); connect.ErrorCode(err) != connect.Conflict {
		t.Fatalf("finish under a lapsed claim: %v, want a conflict", err)
	}
	done := connect.FinishOutboxParams{ID: id, State: connect.OutboxDone, Now: f.at(201), Attempts: second[0].Attempts}
	must(t, f.s.FinishOutbox(f.ctx, connect.Scope{Account: c.Account}, done))
	if err := f.s.FinishOutbox(f.ctx, connect.Scope{Account: c.Account}, done); connect.ErrorCode(err) != connect.Conflict {
		t.Fatalf("a second finish under one claim: %v, want a conflict", err)
	}
	list, err := f.outbox(connect.Scope{Account: c.Account}, nil, 0)
	must(t, err)
	if len(list) != 1 || list[0].State != connect.OutboxDone || list[0].LastError != "" {
		t.Fatalf("after the finishes: %+v", list)
	}
	missing := connect.FinishOutboxParams{ID: f.id("nope"), State: connect.OutboxDone, Now: f.at(202), Attempts: 1}
	if err := f.s.FinishOutbox(f.ctx, connect.Scope{Account: c.Account}, missing); connect.ErrorCode(err) != connect.NotFound {
		t.Fatalf("finish of an unknown entry: %v, want not found", err)
	}
}

// testOutboxOperations: a dispatcher's view of the outbox. Entries list newest
// first, by state and failure, a page at a time; a dead or failing entry is
// requeued with a fresh set of attempts (its last error kept) and claimed again,
// or discarded and never claimed; one being delivered, delivered or discarded
// refuses both; delivered and discarded entries are purged after their time,
// dead and pending ones never.
func testOutboxOperations(t *testing.T, f *fixture) {
	c := f.client(f.account())
	sc := connect.Scope{Account: c.Account}
	entries := make([]connect.OutboxEntry, 5)
	for i := range entries {
		entries[i] = f.entry(c, i+1)
	}
	must(t, f.s.AddOutbox(f.ctx, scopeOf(c), entries))
	claimed := f.claim(c.Account, f.at(10), 10)
	if len(claimed) != 5 {
		t.Fatalf("claimed %d entries, want 5", len(claimed))
	}
	finish := func(e connect.OutboxEntry, st connect.OutboxState, lastErr string, next int) {
		t.Helper()
		must(t, f.s.FinishOutbox(f.ctx, sc, connect.FinishOutboxParams{ID: e.ID, State: st, LastError: lastErr,
			NextAt: f.at(next), Now: f.at(11), Attempts: e.Attempts}))
	}
	done, dead, failing := claimed[0], claimed[1], claimed[2]
	finish(done, connect.OutboxDone, "", 0)
	finish(claimed[4], connect.OutboxDone, "", 0)
	finish(dead, connect.OutboxDead, "host said 500", 0)
	finish(failing, connect.OutboxPending, "host timed out", 500)
	finish(claimed[3], connect.OutboxPending, "", 12) // to claim again below
	ids := func(list []connect.OutboxEntry) []string {
		var out []string
		for _, e := range list {
			out = append(out, e.ID)
		}
		return out
	}

	all, err := f.s.OutboxEntries(f.ctx, sc, connect.OutboxQuery{})
	must(t, err)
	same(t, "OutboxEntries, newest first", []string{entries[4].ID, entries[3].ID, entries[2].ID, entries[1].ID, entries[0].ID}, ids(all))
	problems, err := f.s.OutboxEntries(f.ctx, sc, connect.OutboxQuery{States: []connect.OutboxState{connect.OutboxPending, connect.OutboxDead}, Failed: true})
	must(t, err)
	same(t, "failing and dead", []string{failing.ID, dead.ID}, ids(problems))
	if problems[1].LastError != "host said 500" || problems[1].State != connect.OutboxDead {
		t.Fatalf("the dead entry reads %+v", problems[1])
	}
	page, err := f.s.OutboxEntries(f.ctx, sc, connect.OutboxQuery{Limit: 2})
	must(t, err)
	last := page[len(page)-1]
	rest, err := f.s.OutboxEntries(f.ctx, sc, connect.OutboxQuery{Limit: 10, Before: &connect.OutboxCursor{CreatedAt: last.CreatedAt, ID: last.ID}})
	must(t, err)
	same(t, "two pages", ids(all), append(ids(page), ids(rest)...))

	// entries[3] is claimed again and held by a worker: neither retried nor discarded.
	held := f.claim(c.Account, f.at(12), 10)
	if len(held) != 1 || held[0].ID != entries[3].ID {
		t.Fatalf("claimed %v, want only the entry due at 12", ids(held))
	}
	wantCode(t, "RequeueOutbox of a leased entry", f.s.RequeueOutbox(f.ctx, sc, connect.RequeueOutboxParams{ID: held[0].ID, Now: f.at(13)}), connect.Conflict)
	wantCode(t, "DiscardOutbox of a leased entry", f.s.DiscardOutbox(f.ctx, sc, held[0].ID, f.at(13)), connect.Conflict)
	wantCode(t, "RequeueOutbox of a delivered entry", f.s.RequeueOutbox(f.ctx, sc, connect.RequeueOutboxParams{ID: done.ID, Now: f.at(13)}), connect.Conflict)
	wantCode(t, "RequeueOutbox of no entry", f.s.RequeueOutbox(f.ctx, sc, connect.RequeueOutboxParams{ID: "no-such-entry", Now: f.at(13)}), connect.NotFound)

	// The dead entry requeued is due at once with no attempts; the failing one
	// discarded is never claimed.
	must(t, f.s.RequeueOutbox(f.ctx, sc, connect.RequeueOutboxParams{ID: dead.ID, Now: f.at(14)}))
	must(t, f.s.DiscardOutbox(f.ctx, sc, failing.ID, f.at(14)))
	wantCode(t, "RequeueOutbox of a discarded entry", f.s.RequeueOutbox(f.ctx, sc, connect.RequeueOutboxParams{ID: failing.ID, Now: f.at(15)}), connect.Conflict)
	again := f.claim(c.Account, f.at(15), 10) // entries[3]'s lease still runs
	if len(again) != 1 || again[0].ID != dead.ID || again[0].Attempts != 1 || again[0].LastError != "host said 500" {
		t.Fatalf("claimed after requeue and discard: %+v, want the requeued entry at its first attempt with its last error", again)
	}
	finish(again[0], connect.OutboxDone, "", 0)

	// Purge: the three entries delivered at 11 go before 12, the one discarded
	// at 14 after; the pending one stays.
	n, err := f.s.PurgeOutboxAnyAccount(f.ctx, f.at(12))
	must(t, err)
	left, err := f.s.OutboxEntries(f.ctx, sc, connect.OutboxQuery{})
	must(t, err)
	if n < 3 || len(left) != 2 {
		t.Fatalf("purged %d before 12, %d left (%v); want the 3 entries done at 11 gone", n, len(left), ids(left))
	}
	_, err = f.s.PurgeOutboxAnyAccount(f.ctx, f.at(1_000_000))
	must(t, err)
	left, err = f.s.OutboxEntries(f.ctx, sc, connect.OutboxQuery{})
	must(t, err)
	same(t, "left after purging everything finished", []string{held[0].ID}, ids(left))
}

// testOrderOutbox: an order's entries, in every state, oldest first; another
// order's are left out.
func testOrderOutbox(t *testing.T, f *fixture) {
	c := f.client(f.account())
	order := connect.OrderID(f.id("or"))
	e1, e2, other := f.entry(c, 2), f.entry(c, 1), f.entry(c, 3)
	e1.Order, e2.Order = order, order
	e1.Kind, e1.Event, e2.Kind, e2.Event = connect.OutboxFulfillmentEvent, connect.EventComplete, connect.OutboxFulfill, connect.EventStart
	batch := []connect.OutboxEntry{e1, e2, other}
	must(t, f.s.AddOutbox(f.ctx, scopeOf(c), batch))
	e1, e2 = batch[0], batch[1]
	must(t, f.s.FinishOutbox(f.ctx, scopeOf(c), connect.FinishOutboxParams{ID: e2.ID, State: connect.OutboxDead,
		LastError: "refused", Now: f.at(5)}))
	for _, sc := range []connect.Scope{scopeOf(c), {Account: c.Account}} {
		got, err := f.s.OrderOutbox(f.ctx, sc, order)
		must(t, err)
		same(t, "the order's entries, oldest first", []string{e2.Key, e1.Key}, keys(got))
		if got[0].State != connect.OutboxDead || got[0].LastError != "refused" || got[0].Kind != connect.OutboxFulfill ||
			got[1].State != connect.OutboxPending || got[1].Event != connect.EventComplete || got[1].Order != order {
			t.Fatalf("the order's entries: %+v", got)
		}
	}
	got, err := f.s.OrderOutbox(f.ctx, scopeOf(c), connect.OrderID(f.id("or")))
	must(t, err)
	if len(got) != 0 {
		t.Fatalf("an order without entries has %d", len(got))
	}
}

// testOutboxBacklog: the backlog counts every account's pending entries (the
// oldest's time with them) and dead ones, and nothing delivered or discarded.
func testOutboxBacklog(t *testing.T, f *fixture) {
	before, err := f.s.OutboxBacklogAnyAccount(f.ctx)
	must(t, err)
	a, b := f.client(f.account()), f.client(f.account())
	must(t, f.s.AddOutbox(f.ctx, scopeOf(a), []connect.OutboxEntry{f.entry(a, 3), f.entry(a, 4), f.entry(a, 5), f.entry(a, 6)}))
	oldest := f.entry(b, 2)
	must(t, f.s.AddOutbox(f.ctx, scopeOf(b), []connect.OutboxEntry{oldest, f.entry(b, 7)}))
	got := f.claim(a.Account, f.at(100), 10)
	if len(got) != 4 {
		t.Fatalf("claimed %d of a's entries, want 4", len(got))
	}
	for i, st := range []connect.OutboxState{connect.OutboxDone, connect.OutboxDead, connect.OutboxDead} {
		must(t, f.s.FinishOutbox(f.ctx, connect.Scope{Account: a.Account}, connect.FinishOutboxParams{ID: got[i].ID, State: st, Now: f.at(101)}))
	}
	// got[3] stays leased: still pending, to be retried.
	after, err := f.s.OutboxBacklogAnyAccount(f.ctx)
	must(t, err)
	if after.Pending-before.Pending != 3 || after.Dead-before.Dead != 2 {
		t.Fatalf("backlog %+v after %+v: want 3 more pending (b's two and a's leased one) and 2 more dead", after, before)
	}
	if before.Pending == 0 && !after.OldestPending.Equal(oldest.CreatedAt) {
		t.Fatalf("oldest pending at %v, want %v", after.OldestPending, oldest.CreatedAt)
	}
}

// testOutboxDropPayload: an entry finished done with DropPayload loses its
// payload (a sealed mail, not kept once sent), and so does a discarded one; one
// finished without it, or dead, keeps it; another account's scope finishes and
// discards nothing, and drops nothing.
func testOutboxDropPayload(t *testing.T, f *fixture) {
	c := f.client(f.account())
	sent, kept, dead, given := f.entry(c, 1), f.entry(c, 2), f.entry(c, 3), f.entry(c, 4)
	sent.Payload, kept.Payload, dead.Payload = []byte("sealed mail 1"), []byte("sealed mail 2"), []byte("sealed mail 3")
	given.Payload, given.NextAt = []byte("sealed mail 4"), f.at(1000) // not due: left unclaimed, to discard
	batch := []connect.OutboxEntry{sent, kept, dead, given}
	must(t, f.s.AddOutbox(f.ctx, scopeOf(c), batch))
	sent.ID, kept.ID, dead.ID, given.ID = batch[0].ID, batch[1].ID, batch[2].ID, batch[3].ID
	f.claim(c.Account, f.at(10), 10)

	foreign := connect.Scope{Account: f.account()}
	wantCode(t, "FinishOutbox in another account",
		f.s.FinishOutbox(f.ctx, foreign, connect.FinishOutboxParams{ID: sent.ID, State: connect.OutboxDone, Now: f.at(11), DropPayload: true}),
		connect.NotFound)
	wantCode(t, "DiscardOutbox in another account", f.s.DiscardOutbox(f.ctx, foreign, given.ID, f.at(11)), connect.NotFound)
	payloads := func() map[string]string {
		t.Helper()
		all, err := f.outbox(connect.Scope{Account: c.Account}, nil, 0)
		must(t, err)
		out := map[string]string{}
		for _, e := range all {
			out[e.ID] = string(e.Payload)
		}
		return out
	}
	same(t, "payloads after a foreign finish", map[string]string{sent.ID: "sealed mail 1", kept.ID: "sealed mail 2",
		dead.ID: "sealed mail 3", given.ID: "sealed mail 4"}, payloads())

	sc := connect.Scope{Account: c.Account}
	must(t, f.s.FinishOutbox(f.ctx, sc, connect.FinishOutboxParams{ID: sent.ID, State: connect.OutboxDone, Now: f.at(12), DropPayload: true}))
	must(t, f.s.FinishOutbox(f.ctx, sc, connect.FinishOutboxParams{ID: kept.ID, State: connect.OutboxDone, Now: f.at(12)}))
	must(t, f.s.FinishOutbox(f.ctx, sc, connect.FinishOutboxParams{ID: dead.ID, State: connect.OutboxDead, LastError: "refused", Now: f.at(12), DropPayload: true}))
	must(t, f.s.DiscardOutbox(f.ctx, sc, given.ID, f.at(12)))
	same(t, "payloads after finishing", map[string]string{sent.ID: "", kept.ID: "sealed mail 2", dead.ID: "sealed mail 3", given.ID: ""}, payloads())
}
