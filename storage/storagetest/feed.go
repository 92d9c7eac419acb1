package storagetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/dispatchkit/connect"
)

// readFeed reads the scope's events after the cursor until a page comes back
// short, and returns them and the cursor to read on from. Each event's Cursor
// must resume right after it.
func (f *fixture) readFeed(t *testing.T, sc connect.Scope, after string, page int) ([]connect.OrderEvent, string) {
	t.Helper()
	var out []connect.OrderEvent
	for {
		got, next, err := f.s.Events(f.ctx, sc, after, page)
		must(t, err)
		if len(got) > page {
			t.Fatalf("Events returned %d events, limit %d", len(got), page)
		}
		for i, ev := range got {
			if ev.Cursor == "" {
				t.Fatalf("event %d of the feed has no cursor", i)
			}
			if i+1 < len(got) {
				rest, _, err := f.s.Events(f.ctx, sc, ev.Cursor, 1)
				must(t, err)
				if len(rest) != 1 || rest[0].Cursor != got[i+1].Cursor {
					t.Fatalf("reading on from event %d's cursor gives %v, want event %d", i, rest, i+1)
				}
			}
		}
		out = append(out, got...)
		if next == "" {
			t.Fatal("Events returned no cursor to read on from")
		}
		after = next
		if len(got) < page {
			return out, after
		}
	}
}

// eventKeys names events by order and event, to compare feeds.
func eventKeys(evs []connect.OrderEvent) []string {
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i] = string(ev.Order) + "/" + string(ev.Event)
	}
	return out
}

func sortedKeys(evs []connect.OrderEvent) []string {
	k := eventKeys(evs)
	slices.Sort(k)
	return k
}

// testEventsFeed: the feed lists the scope's events, oldest commit first, with
// Account, Client and Cursor; reading on from any cursor misses nothing and
// repeats nothing; EventsHead is after everything committed.
func testEventsFeed(t *testing.T, f *fixture) {
	c := f.client(f.account())
	sibling := f.client(c.Account)
	stranger := f.client(f.account())

	head, err := f.s.EventsHead(f.ctx)
	must(t, err)
	mine := f.orders(c, connect.StatusSubmitted, 1, 5)
	theirs := f.orders(sibling, connect.StatusSubmitted, 10, 2)
	far := f.orders(stranger, connect.StatusSubmitted, 20, 2)
	moved := f.change(mine[0], connect.EventSchedule, connect.StatusScheduled, 30)
	must(t, f.set(moved))

	want := append(createdEvents(mine), moved.Events[0])
	for _, page := range []int{1, 2, 3, 100} {
		t.Run(fmt.Sprintf("pages of %d", page), func(t *testing.T) {
			got, _ := f.readFeed(t, scopeOf(c), head, page)
			if len(got) != len(want) {
				t.Fatalf("the client's feed has %d events, want %d: %v", len(got), len(want), eventKeys(got))
			}
			for i, ev := range got[:5] {
				same(t, fmt.Sprintf("event %d", i), createdEvent(mine[i]), withoutCursor(ev))
			}
			same(t, "the status change", moved.Events[0], withoutCursor(got[5]))
		})
	}
	account, _ := f.readFeed(t, connect.Scope{Account: c.Account}, head, 4)
	if n := len(account); n != len(want)+len(theirs) {
		t.Fatalf("the account's feed has %d events, want %d", n, len(want)+len(theirs))
	}
	for _, ev := range account {
		if ev.Account != c.Account {
			t.Fatalf("the account's feed holds an event of %s", ev.Account)
		}
	}
	other, _ := f.readFeed(t, scopeOf(stranger), head, 10)
	same(t, "another account's feed", sortedKeys(createdEvents(far)), sortedKeys(other))
	foreign, _ := f.readFeed(t, connect.Scope{Account: stranger.Account, Client: c.ID}, head, 10)
	if len(foreign) != 0 {
		t.Fatalf("another account reads the client's events: %v", eventKeys(foreign))
	}

	// From "" (the start) the feed holds these events too, in the same order.
	all, end := f.readFeed(t, scopeOf(c), "", 50)
	same(t, "the feed from the start", eventKeys(want), eventKeys(all))
	same(t, "the feed's events", want, withoutCursors(all))
	// Nothing new: reading on from the end gives nothing, and a head taken now is
	// after everything.
	if more, _ := f.readFeed(t, scopeOf(c), end, 10); len(more) != 0 {
		t.Fatalf("events after the end: %v", eventKeys(more))
	}
	head2, err := f.s.EventsHead(f.ctx)
	must(t, err)
	if more, _ := f.readFeed(t, scopeOf(c), head2, 10); len(more) != 0 {
		t.Fatalf("events after a fresh head: %v", eventKeys(more))
	}
	later := f.orders(c, connect.StatusSubmitted, 40, 1)
	more, _ := f.readFeed(t, scopeOf(c), end, 10)
	same(t, "events after the end, once committed", eventKeys(createdEvents(later)), eventKeys(more))
	more, _ = f.readFeed(t, scopeOf(c), head2, 10)
	same(t, "events after the fresh head", eventKeys(createdEvents(later)), eventKeys(more))

	for _, bad := range []string{"not a cursor", "-1", "1x", "..", "99999999999999999999999999"} {
		_, _, err := f.s.Events(f.ctx, scopeOf(c), bad, 10)
		wantCode(t, fmt.Sprintf("Events after %q", bad), err, connect.Invalid)
	}
}

func withoutCursors(evs []connect.OrderEvent) []connect.OrderEvent {
	out := make([]connect.OrderEvent, len(evs))
	for i, ev := range evs {
		out[i] = withoutCursor(ev)
	}
	return out
}

func withoutCursor(ev connect.OrderEvent) connect.OrderEvent {
	ev.Cursor = ""
	return ev
}

func createdEvents(orders []*connect.Order) []connect.OrderEvent {
	out := make([]connect.OrderEvent, len(orders))
	for i, o := range orders {
		out[i] = createdEvent(o)
	}
	return out
}

// testEventsAcrossTransactions: a transaction that wrote events stays open while
// another writes and commits (where the Store lets it: one SQLite writer waits),
// and the feed is read in between (where the Store lets it) and after. The events are read only once
// committed, at once (the open one holds back no other's), and reading on from
// the cursor of the read in between misses none of them, whichever committed first. A head taken while the transaction was open
// is before its events.
func testEventsAcrossTransactions(t *testing.T, f *fixture) {
	c := f.client(f.account())
	sc := scopeOf(c)
	start, err := f.s.EventsHead(f.ctx)
	must(t, err)
	slow, fast := f.order(c, connect.StatusSubmitted, 1), f.order(c, connect.StatusSubmitted, 2)

	written, release, slowDone := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		slowDone <- f.s.Tx(f.ctx, func(tx connect.Store) error {
			if err := tx.CreateOrders(f.ctx, connect.Scope{Account: slow.Account}, []*connect.Order{slow}, []connect.OrderEvent{createdEvent(slow)}); err != nil {
				close(written)
				return err
			}
			close(written)
			<-release
			return nil
		})
	}()
	<-written
	fastDone := make(chan error, 1)
	go func() {
		fastDone <- f.s.CreateOrders(f.ctx, connect.Scope{Account: fast.Account}, []*connect.Order{fast}, []connect.OrderEvent{createdEvent(fast)})
	}()
	// Give the second writer time to commit, if the Store lets it while the first
	// transaction is open.
	fastCommitted := false
	select {
	case err := <-fastDone:
		must(t, err)
		fastCommitted = true
	case <-time.After(300 * time.Millisecond):
	}
	// Readers of an in-memory SQLite database wait for the open transaction
	// (its locking has no WAL): where a Store's readers wait, nothing can be read
	// in between, and only the reads after are checked.
	type headRead struct {
		head string
		err  error
	}
	probe := make(chan headRead, 1)
	go func() {
		head, err := f.s.EventsHead(f.ctx)
		probe <- headRead{head, err}
	}()
	var head string
	readersWait := false
	select {
	case r := <-probe:
		must(t, r.err)
		head = r.head
	case <-time.After(2 * time.Second):
		readersWait = true
	}
	between, cursor := []connect.OrderEvent(nil), start
	if !readersWait {
		between, cursor = f.readFeed(t, sc, start, 10)
	}
	for _, ev := range between {
		if ev.Order == slow.ID {
			t.Fatal("the feed shows an event of a transaction still open")
		}
		if ev.Order == fast.ID && !fastCommitted {
			t.Fatal("the feed shows an event not yet committed")
		}
	}
	// A committed event is read at once: a transaction left open (of this
	// Store or of any other client of its database) holds back no other's.
	if fastCommitted && !readersWait && (len(between) != 1 || between[0].Order != fast.ID) {
		t.Fatalf("while another transaction is open, the feed shows %v, want the committed event of %s", eventKeys(between), fast.ID)
	}

	close(release)
	must(t, <-slowDone)
	if !fastCommitted {
		must(t, <-fastDone)
	}
	after, _ := f.readFeed(t, sc, cursor, 10)
	both := []string{string(fast.ID) + "/create", string(slow.ID) + "/create"}
	slices.Sort(both)
	same(t, "the feed read in two goes", both, sortedKeys(append(between, after...)))
	if len(between)+len(after) != 2 {
		t.Fatalf("events read twice: %v then %v", eventKeys(between), eventKeys(after))
	}

	// From the head taken in between: the slow transaction's event (committed
	// after it), and the fast one's only if that committed after the head too.
	if readersWait {
		return
	}
	want := []string{string(slow.ID) + "/create"}
	if !fastCommitted {
		want = append(want, string(fast.ID)+"/create")
	}
	slices.Sort(want)
	fromHead, _ := f.readFeed(t, sc, head, 10)
	same(t, "the feed after a head taken while a transaction was open", want, sortedKeys(fromHead))
}

// testEventsFollowCause: a transaction writes first (PostgreSQL gives it its
// transaction id then), another creates an order and commits, and the first
// then changes that order and commits. The feed gives the creation before the
// change, read in one go or from a cursor taken in between. (Where the Store
// runs one writer at a time, the creation waits for the first transaction and
// there is nothing to order.)
func testEventsFollowCause(t *testing.T, f *fixture) {
	c := f.client(f.account())
	sc := scopeOf(c)
	start, err := f.s.EventsHead(f.ctx)
	must(t, err)
	first := f.order(c, connect.StatusSubmitted, 1)
	f.store(first)
	late := f.order(c, connect.StatusSubmitted, 2)

	wrote, created, txDone := make(chan struct{}), make(chan bool, 1), make(chan error, 1)
	go func() {
		txDone <- f.s.Tx(f.ctx, func(tx connect.Store) error {
			err := tx.SetStatuses(f.ctx, sc, []connect.SetStatusParams{f.change(first, connect.EventSchedule, connect.StatusScheduled, 3)})
			close(wrote)
			if err != nil || !<-created {
				return err
			}
			return tx.SetStatuses(f.ctx, sc, []connect.SetStatusParams{f.change(late, connect.EventSchedule, connect.StatusScheduled, 4)})
		})
	}()
	<-wrote
	createDone := make(chan error, 1)
	go func() {
		createDone <- f.s.CreateOrders(f.ctx, sc, []*connect.Order{late}, []connect.OrderEvent{createdEvent(late)})
	}()
	select {
	case err := <-createDone:
		must(t, err)
		created <- true
		must(t, <-txDone)
	case <-time.After(300 * time.Millisecond):
		created <- false // one writer at a time: the creation waits for the transaction
		must(t, <-txDone)
		must(t, <-createDone)
		return
	}
	want := []string{
		string(first.ID) + "/create", string(late.ID) + "/create",
		string(first.ID) + "/schedule", string(late.ID) + "/schedule",
	}
	all, _ := f.readFeed(t, sc, start, 10)
	got := eventKeys(all)
	if len(got) != len(want) {
		t.Fatalf("the feed has %v, want %v", got, want)
	}
	if slices.Index(got, string(late.ID)+"/create") > slices.Index(got, string(late.ID)+"/schedule") {
		t.Fatalf("the feed gives an order's change before its creation: %v", got)
	}
	slices.Sort(want)
	same(t, "the feed's events", want, sortedKeys(all))
}
