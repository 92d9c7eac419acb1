package connect

import (
	"context"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Subscription is a live stream of the order events an actor may see.
type Subscription struct {
	events chan OrderEvent
	done   chan struct{}
	mu     sync.Mutex
	cursor string
	err    error
}

// Events delivers the events, in commit order. It is closed when the
// subscription ends (its context is done, or reading failed: see Err).
func (sub *Subscription) Events() <-chan OrderEvent { return sub.events }

// Cursor is the position after the last event delivered: pass it to Subscribe to
// resume where this subscription stopped (as a Server-Sent Events Last-Event-ID).
func (sub *Subscription) Cursor() string {
	sub.mu.Lock()
	defer sub.mu.Unlock()
	return sub.cursor
}

// Err returns why the subscription ended, once Events is closed.
func (sub *Subscription) Err() error {
	<-sub.done
	sub.mu.Lock()
	defer sub.mu.Unlock()
	return sub.err
}

// SubscribeParams tunes Subscribe.
type SubscribeParams struct {
	// After resumes after a cursor from an earlier subscription (or an event's
	// Cursor); "" starts with the events committed from now on.
	After string
	// Buffer is how many events may wait for a slow reader; 0: 256. A reader
	// slower than that holds back only its own stream: the subscription reads
	// on from the Store when the reader catches up, and never blocks others.
	Buffer int
}

// subscriberPoll is how often a subscription reads the Store when nothing woke it:
// a wake-up lost (or never sent by another process) delays an event, never loses it.
const subscriberPoll = 2 * time.Second

// Subscribe streams the order events the actor may see, as they are committed: a
// member its client's orders, a dispatcher its whole account. Within one process
// commits wake subscribers at once; a Store that can wake across processes (Waker,
// PostgreSQL LISTEN/NOTIFY) does so for other processes' commits. Events are always
// read from the Store, so nothing is lost if a wake-up is.
// Errors: ErrForbidden; ErrInvalid for a cursor the Store did not make.
func (s *Service) Subscribe(ctx context.Context, a Actor, p SubscribeParams) (*Subscription, error) {
	ctx = withoutAccessMemo(ctx) // a stream checks its caller anew on every burst
	c, err := s.authorize(ctx, a, actViewOrders)
	if err != nil {
		return nil, err
	}
	cursor := p.After
	if cursor == "" {
		if cursor, err = s.store.EventsHead(ctx); err != nil {
			return nil, err
		}
	} else if _, _, err := s.store.Events(ctx, c.scope(), cursor, 1); err != nil {
		return nil, err
	}
	if p.Buffer <= 0 {
		p.Buffer = 256
	}
	sub := &Subscription{events: make(chan OrderEvent, p.Buffer), done: make(chan struct{}), cursor: cursor}
	wake, stop := s.subscribeWake(c.scope())
	go func() {
		defer close(sub.done)
		defer close(sub.events)
		defer stop()
		sub.err = s.stream(ctx, c, sub, wake)
	}()
	return sub, nil
}

// stream reads events after the subscription's cursor whenever woken (or every
// subscriberPoll) and hands them to the reader, until ctx is done.
func (s *Service) stream(ctx context.Context, c caller, sub *Subscription, wake <-chan struct{}) error {
	const page = 500
	timer := time.NewTimer(subscriberPoll)
	defer timer.Stop()
	for {
		for {
			events, next, err := s.sharedEvents(ctx, c.scope(), sub.Cursor(), page)
			if err != nil {
				return err
			}
			// A member removed, or a client disabled, while streaming sees no event
			// after that: checked before each burst it would receive.
			if c.team() && len(events) > 0 {
				if _, err := s.resolve(ctx, c.Actor); err != nil {
					return err
				}
			}
			for _, ev := range events {
				select {
				case sub.events <- ev:
				case <-ctx.Done():
					return ctx.Err()
				}
				sub.mu.Lock()
				sub.cursor = ev.Cursor
				sub.mu.Unlock()
			}
			sub.mu.Lock()
			sub.cursor = next
			sub.mu.Unlock()
			if len(events) < page {
				break
			}
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		timer.Reset(subscriberPoll)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-wake:
		case <-timer.C:
		}
	}
}

// sharedReadTimeout bounds a shared read, which no single subscriber's context
// may cancel (see sharedEvents).
const sharedReadTimeout = time.Minute

// eventsPage is what Store.Events returned.
type eventsPage struct {
	events []OrderEvent
	next   string
}

// sharedEvents is Store.Events for a subscription, shared with the other
// subscriptions of the process that read the same scope from the same cursor at
// the same time: one commit wakes every stream of a client at once (fifty browser
// tabs of one team read the same events), and without this each of them ran the
// same query. The events returned are shared: read them, never change them.
//
// A read is shared only by readers of the same wake-up generation, so none misses
// a commit: a reader woken by a commit reads the generation after that commit's
// wake-up, and a read started before it has an older one.
func (s *Service) sharedEvents(ctx context.Context, scope Scope, after string, limit int) ([]OrderEvent, string, error) {
	key := string(scope.Account) + "\x00" + string(scope.Client) + "\x00" + after + "\x00" +
		strconv.Itoa(limit) + "\x00" + uintString(s.subscribers.generation())
	read := s.feedReads.DoChan(key, func() (any, error) {
		// The read outlives a reader that goes away: others may be waiting on it.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sharedReadTimeout)
		defer cancel()
		events, next, err := s.store.Events(rctx, scope, after, limit)
		return eventsPage{events: events, next: next}, err
	})
	select {
	case r := <-read:
		if r.Err != nil {
			return nil, "", r.Err
		}
		p := r.Val.(eventsPage)
		return p.events, p.next, nil
	case <-ctx.Done():
		return nil, "", ctx.Err()
	}
}

// broadcaster wakes channels without ever blocking: each channel holds at most one
// pending wake-up, which is all a reader needs to go and read. Each channel has the
// scope it reads, so that a commit wakes only the readers it concerns.
type broadcaster struct {
	mu   sync.Mutex
	subs map[chan struct{}]Scope
	gen  atomic.Uint64 // wake-ups so far

	// Wake-ups so far by what they said was touched (see version).
	untold     uint64               // wake-ups that did not say (another process's)
	ofClient   map[Scope]uint64     // of a client
	ofClients  map[AccountID]uint64 // of any client of an account
	ofAccounts map[AccountID]uint64 // of a whole account
}

// generation counts the wake-ups so far: it changes before any reader is woken.
func (b *broadcaster) generation() uint64 { return b.gen.Load() }

// version counts the wake-ups so far that may concern a reader of scope (a client,
// or a whole account when scope.Client is ""): it changes before any reader is
// woken by a commit that may have changed what the reader reads.
func (b *broadcaster) version(scope Scope) uint64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	v := b.untold + b.ofAccounts[scope.Account]
	if scope.Client == "" {
		return v + b.ofClients[scope.Account]
	}
	return v + b.ofClient[scope]
}

// add registers a reader of scope (the zero Scope: every commit concerns it).
func (b *broadcaster) add(scope Scope) (chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	b.mu.Lock()
	if b.subs == nil {
		b.subs = map[chan struct{}]Scope{}
	}
	b.subs[ch] = scope
	b.mu.Unlock()
	return ch, func() {
		b.mu.Lock()
		delete(b.subs, ch)
		b.mu.Unlock()
	}
}

// wake wakes the readers of the touched scopes, or every reader when none is
// given (a commit of another process, which says nothing of what it touched).
func (b *broadcaster) wake(touched ...Scope) {
	b.gen.Add(1)
	b.mu.Lock()
	defer b.mu.Unlock()
	b.count(touched)
	for ch, sc := range b.subs {
		if len(touched) > 0 && !concerns(sc, touched) {
			continue
		}
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// touch counts a commit that touched scopes but wakes no reader: one that wrote no
// event, which the readers of events need not hear of.
func (b *broadcaster) touch(touched ...Scope) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.count(touched)
}

// count counts a wake-up in the versions of what it touched.
func (b *broadcaster) count(touched []Scope) {
	if len(touched) == 0 {
		b.untold++
		return
	}
	if b.ofClient == nil {
		b.ofClient, b.ofClients, b.ofAccounts = map[Scope]uint64{}, map[AccountID]uint64{}, map[AccountID]uint64{}
	}
	for _, t := range touched {
		if t.Client == "" {
			b.ofAccounts[t.Account]++
			continue
		}
		b.ofClient[t]++
		b.ofClients[t.Account]++
	}
}

// concerns reports whether a commit that touched those scopes may have written
// events a reader of sc sees.
func concerns(sc Scope, touched []Scope) bool {
	if sc.Account == "" {
		return true
	}
	for _, t := range touched {
		if t.Account == sc.Account && (sc.Client == "" || t.Client == "" || t.Client == sc.Client) {
			return true
		}
	}
	return false
}

// subscribeWake registers a subscriber of scope for in-process wake-ups, and
// starts the Store's cross-process wake-ups the first time.
func (s *Service) subscribeWake(scope Scope) (<-chan struct{}, func()) {
	s.startStoreWaker()
	return s.subscribers.add(scope)
}

// committed tells local subscribers of the touched scopes, and outbox workers, to
// read: called after every commit that wrote order events.
func (s *Service) committed(touched ...Scope) {
	s.subscribers.wake(touched...)
	s.outboxWorkers.wake()
}

func uintString(n uint64) string { return strconv.FormatUint(n, 10) }

// scopesOf returns the scopes of the orders, each once.
func scopesOf(orders []*Order) []Scope {
	var out []Scope
	for _, o := range orders {
		sc := Scope{Account: o.Account, Client: o.Client}
		if !slices.Contains(out, sc) {
			out = append(out, sc)
		}
	}
	return out
}

// startStoreWaker forwards the Store's cross-process wake-ups (if it has them) to
// the local broadcasters, for the Service's lifetime.
func (s *Service) startStoreWaker() {
	s.wakerOnce.Do(func() {
		w, ok := s.store.(Waker)
		if !ok {
			return
		}
		ctx, cancel := context.WithCancel(context.Background())
		s.stopWaker, s.wakerDone = cancel, make(chan struct{})
		go func() {
			defer close(s.wakerDone)
			for ctx.Err() == nil {
				ch, err := w.Wake(ctx)
				if err != nil {
					s.log.Warn("waiting for wake-ups from the store failed; retrying", "err", err)
					select {
					case <-ctx.Done():
					case <-time.After(time.Second):
					}
					continue
				}
				for range ch {
					s.subscribers.wake()
					s.outboxWorkers.wake()
				}
			}
		}()
	})
}
