package connect

import (
	"context"
	"strconv"
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
	// Buffer is how many events may wait for a slow reader; 0: 16. A reader
	// slower than that holds back only its own stream: the subscription reads
	// on from the Store when the reader catches up, and never blocks others.
	// The buffer is allocated whole for the subscription's life (about 200
	// bytes an event): a process holding ten thousand idle streams keeps it small.
	Buffer int
}

// streamStart authorizes a stream of the actor's order events and returns
// where it starts: after, once the Store says it made it, else the feed's head.
// Not authorizeRead: a stream outlives its request's AccessMemo, and checks
// its caller anew before every burst.
func (s *Service) streamStart(ctx context.Context, a Actor, after string) (caller, string, error) {
	c, err := s.authorize(ctx, a, actViewOrders)
	if err != nil {
		return caller{}, "", err
	}
	if after == "" {
		cursor, err := s.store.EventsHead(ctx)
		return c, cursor, err
	}
	if _, _, err := s.store.Events(ctx, c.scope(), after, 1); err != nil {
		return caller{}, "", err
	}
	return c, after, nil
}

// Subscribe streams the order events the actor may see, as they are committed: a
// member its client's orders, a dispatcher its whole account. Within one process
// commits wake subscribers at once; a Store that can wake across processes (Waker,
// PostgreSQL LISTEN/NOTIFY) does so for other processes' commits. Events are always
// read from the Store, so nothing is lost if a wake-up is.
// Errors: ErrForbidden; ErrInvalid for a cursor the Store did not make.
func (s *Service) Subscribe(ctx context.Context, a Actor, p SubscribeParams) (*Subscription, error) {
	c, cursor, err := s.streamStart(ctx, a, p.After)
	if err != nil {
		return nil, err
	}
	if p.Buffer <= 0 {
		p.Buffer = 16
	}
	sub := &Subscription{events: make(chan OrderEvent, p.Buffer), done: make(chan struct{}), cursor: cursor}
	s.relay.Start() // other processes' commits wake it too
	wake, stop := s.subscribers.Listen(liveScope(c.scope()))
	s.tel.subscribed(ctx, 1)
	go func() {
		defer close(sub.done)
		defer close(sub.events)
		defer s.tel.subscribed(context.WithoutCancel(ctx), -1)
		defer stop()
		defer s.recovered(ctx, "a live subscription", &sub.err)
		sub.err = s.stream(ctx, c, sub, wake)
	}()
	return sub, nil
}

// streamRecheck is how often a quiet stream checks its caller anew.
const streamRecheck = 5 * time.Second

// stream reads events after the subscription's cursor whenever woken (or every
// subscriberPoll) and hands them to the reader, until ctx is done, its caller
// loses access, or the Store fails otherwise than by being unavailable.
func (s *Service) stream(ctx context.Context, c caller, sub *Subscription, wake <-chan struct{}) error {
	const page = 500
	checked := s.now()
	var outage outage
	for {
		for {
			events, next, err := s.sharedEvents(ctx, c.scope(), sub.Cursor(), page)
			// A member removed, or a client disabled, while streaming sees no event
			// after that: checked before each burst it would receive. A quiet
			// stream is checked every streamRecheck too, so it ends within that
			// once its session has (signed out, password changed elsewhere).
			if err == nil && c.team() && (len(events) > 0 || s.now().Sub(checked) >= streamRecheck) {
				if err = s.sharedRecheck(ctx, c); err == nil {
					checked = s.now()
				}
			}
			if err != nil {
				// The database gone for a while (a restart, a failover) does not end
				// the stream: it reads again from its cursor once it is back.
				if ErrorCode(err) != Unavailable || ctx.Err() != nil {
					return err
				}
				if err := outage.wait(ctx, s, err); err != nil {
					return err
				}
				continue
			}
			outage.over(ctx, s)
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
		poll := s.liveClock.NewTimer(subscriberPoll)
		select {
		case <-ctx.Done():
			poll.Stop()
			return ctx.Err()
		case <-wake:
			poll.Stop()
		case <-poll.C():
		}
	}
}

// outage is a subscription's wait for the database to come back: 100 ms, then
// doubling up to streamRetryMax between tries. Logged at debug level: every
// subscription waits at once, and the Store's wake-up relay warns of the outage.
type outage struct {
	since time.Time
	delay time.Duration
}

// streamRetryMax bounds the wait between a subscription's tries to read while
// the database is unavailable.
const streamRetryMax = 5 * time.Second

func (o *outage) wait(ctx context.Context, s *Service, err error) error {
	if o.delay == 0 {
		o.since, o.delay = s.now(), 100*time.Millisecond
		s.log.DebugContext(ctx, "live subscription: the database is unavailable; reading again when it is back", "err", err)
	} else {
		o.delay = min(2*o.delay, streamRetryMax)
	}
	t := s.liveClock.NewTimer(o.delay)
	select {
	case <-ctx.Done():
		t.Stop()
		return ctx.Err()
	case <-t.C():
		return nil
	}
}

func (o *outage) over(ctx context.Context, s *Service) {
	if o.delay != 0 {
		s.log.DebugContext(ctx, "live subscription: the database is back", "after", s.now().Sub(o.since))
		*o = outage{}
	}
}

// eventsPage is what Store.Events returned.
type eventsPage struct {
	events []OrderEvent
	next   string
}

// sharedEvents is Store.Events for a subscription, shared (live.Shared) with the
// other subscriptions of the process that read the same scope from the same
// cursor after the same wake-up: one commit wakes every stream of a client at
// once (fifty browser tabs of one team read the same events), and without this
// each of them ran the same query. The events returned are shared: read them,
// never change them.
func (s *Service) sharedEvents(ctx context.Context, scope Scope, after string, limit int) ([]OrderEvent, string, error) {
	p, err := s.feedReads.Read(ctx, liveScope(scope), after+"\x00"+strconv.Itoa(limit), func(ctx context.Context) (eventsPage, error) {
		events, next, err := s.store.Events(ctx, scope, after, limit)
		return eventsPage{events: events, next: next}, err
	})
	if err != nil {
		return nil, "", err
	}
	return p.events, p.next, nil
}

// sharedRecheck checks a stream's caller anew (resolve), sharing the check
// (live.Shared) with the other streams of the same caller (one member's tabs
// and devices, one session's) that a commit woke at once: a route event for a
// client wakes each of its streams, and without this each checked on its own.
// A check is shared only within the wake-up's generation, so it reads the
// database after the commit that woke them: a member removed before it gets
// nothing committed after.
func (s *Service) sharedRecheck(ctx context.Context, c caller) error {
	_, err := s.accessReads.Read(ctx, liveScope(c.scope()), callerKey(c.Actor), func(ctx context.Context) (struct{}, error) {
		_, err := s.resolve(ctx, c.Actor)
		return struct{}{}, err
	})
	return err
}

// callerKey names who an actor is within its scope: the streams with one key
// share their checks of it.
func callerKey(a Actor) string {
	return strconv.Itoa(int(a.Kind)) + "\x00" + string(a.Member) + "\x00" + string(a.APIKey) + "\x00" + string(a.Session)
}
