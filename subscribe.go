package connect

import (
	"context"
	"slices"
	"sync"
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
			events, next, err := s.store.Events(ctx, c.scope(), sub.Cursor(), page)
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

// broadcaster wakes channels without ever blocking: each channel holds at most one
// pending wake-up, which is all a reader needs to go and read. Each channel has the
// scope it reads, so that a commit wakes only the readers it concerns.
type broadcaster struct {
	mu   sync.Mutex
	subs map[chan struct{}]Scope
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
	b.mu.Lock()
	defer b.mu.Unlock()
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
		s.stopWaker = cancel
		go func() {
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
