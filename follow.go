package connect

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/dispatchkit/connect/internal/live"
)

// Follower is a live subscription that holds no goroutine of its own (see
// Follow): a process holding ten thousand idle streams keeps only their state.
type Follower struct {
	s      *Service
	c      caller
	scope  live.Scope
	p      FollowParams
	unlist func() // the Broadcaster's registration

	// cursor and checked are the reader's: only the goroutine reading for the
	// follower (one at a time, see followers) changes them.
	cursor  atomic.Pointer[string]
	checked int64 // unix nanoseconds of the last check of the caller

	state   followState // followers.mu
	stopped atomic.Bool
}

// FollowParams tunes Follow.
type FollowParams struct {
	// After resumes after a cursor from an earlier subscription (or an event's
	// Cursor); "" starts with the events committed from now on.
	After string
	// Deliver is given each burst of events (up to 500), in commit order, from
	// one of the Service's reading goroutines, never for one follower while
	// another call for it runs. The events are shared with other followers:
	// read them, never change them. It must not block (write with a short
	// deadline): the goroutines read for every follower of the process. It
	// returns false to end the subscription (Ended is not called then).
	Deliver func(events []OrderEvent) bool
	// Ended, if set, is called once when the subscription ends by itself: its
	// caller lost access (a member removed, a session ended), or reading
	// failed otherwise than by the database being unavailable for a while
	// (then it reads again at its next poll).
	Ended func(err error)
}

// Follow is Subscribe for a process holding many idle streams (the portal's
// Server-Sent Events): instead of a goroutine and a channel per subscription,
// a few goroutines of the Service read for every follower whose scope a
// commit touched (sharing one read among the followers of a scope at the same
// cursor) and call its Deliver. It keeps Subscribe's guarantees: events are
// read from the Store, in commit order, each once, none lost if a wake-up is;
// other processes' commits wake it through a Waker Store, or its poll every few
// seconds; a member removed, or a client disabled, gets no event committed
// after, and a quiet follower checks its caller every few seconds. ctx is the
// call's only; the subscription lasts until Stop, Deliver's false or Ended.
// Errors: ErrForbidden; ErrInvalid for a cursor the Store did not make, or a
// nil Deliver.
func (s *Service) Follow(ctx context.Context, a Actor, p FollowParams) (*Follower, error) {
	if p.Deliver == nil {
		return nil, Errorf(Invalid, "connect.Follow: FollowParams.Deliver is required")
	}
	c, cursor, err := s.streamStart(ctx, a, p.After)
	if err != nil {
		return nil, err
	}
	f := &Follower{s: s, c: c, scope: liveScope(c.scope()), p: p, checked: s.now().UnixNano()}
	f.cursor.Store(&cursor)
	s.relay.Start() // other processes' commits wake it too
	s.tel.subscribed(ctx, 1)
	s.followers.add(f)
	f.unlist = s.subscribers.ListenFunc(f.scope, func() { s.followers.wake(f) })
	s.followers.wake(f) // what was committed after the cursor already
	return f, nil
}

// Cursor is the position after the last event given to Deliver (set before
// the call): pass it to Follow or Subscribe to resume where this follower
// stopped.
func (f *Follower) Cursor() string { return *f.cursor.Load() }

// Stop ends the subscription: no Deliver starts after it returns (one already
// running may finish). Stop may be called more than once, and from Ended, but
// not from Deliver (return false instead).
func (f *Follower) Stop() { f.stop() }

// stop ends the follower, and reports whether this call did.
func (f *Follower) stop() bool {
	if f.stopped.Swap(true) {
		return false
	}
	f.unlist()
	f.s.followers.remove(f)
	f.s.tel.subscribed(context.Background(), -1)
	return true
}

// end stops the follower by itself and tells its owner why.
func (f *Follower) end(err error) {
	if f.stop() && f.p.Ended != nil {
		f.p.Ended(err)
	}
}

// deliver hands events to the follower's Deliver, a panic in it ending the
// follower like an error of its own.
func (f *Follower) deliver(events []OrderEvent) (ok bool) {
	var err error
	defer func() {
		if err != nil {
			ok = false
			f.end(err)
		}
	}()
	defer f.s.recovered(context.Background(), "a live follower's delivery", &err)
	if !f.p.Deliver(events) {
		f.stop()
		return false
	}
	return true
}

// followState is where a follower is in the reading goroutines' queue.
type followState uint8

const (
	followIdle    followState = iota
	followQueued              // waiting for a reading goroutine
	followRunning             // being read for
	followAgain               // being read for, and woken since
)

// followers are the Service's followers, and the queue of those woken, which
// up to maxWorkers goroutines read for, a scope at a time (its followers
// woken together share their reads), started when there is work and gone when
// there is none. One poll goroutine wakes them all every subscriberPoll while
// any exists.
type followers struct {
	s          *Service
	maxWorkers int

	mu      sync.Mutex
	all     map[*Follower]struct{}
	queued  map[live.Scope][]*Follower
	order   []live.Scope // queued's scopes, first woken first
	workers int
	polling bool
}

func newFollowers(s *Service) *followers {
	return &followers{s: s, maxWorkers: max(4, runtime.GOMAXPROCS(0)),
		all: map[*Follower]struct{}{}, queued: map[live.Scope][]*Follower{}}
}

func (fl *followers) add(f *Follower) {
	fl.mu.Lock()
	defer fl.mu.Unlock()
	fl.all[f] = struct{}{}
	if !fl.polling {
		fl.polling = true
		go fl.poll()
	}
}

func (fl *followers) remove(f *Follower) {
	fl.mu.Lock()
	defer fl.mu.Unlock()
	delete(fl.all, f)
}

// wake queues f to be read for (the Broadcaster calls it, under its lock).
func (fl *followers) wake(f *Follower) {
	fl.mu.Lock()
	defer fl.mu.Unlock()
	fl.wakeLocked(f)
}

func (fl *followers) wakeLocked(f *Follower) {
	switch f.state {
	case followIdle:
		f.state = followQueued
		if _, ok := fl.queued[f.scope]; !ok {
			fl.order = append(fl.order, f.scope)
		}
		fl.queued[f.scope] = append(fl.queued[f.scope], f)
		if fl.workers < fl.maxWorkers {
			fl.workers++
			go fl.work()
		}
	case followRunning:
		f.state = followAgain
	}
}

// poll wakes every follower every subscriberPoll: a wake-up lost (or never
// sent by another process) delays an event, never loses it.
func (fl *followers) poll() {
	for {
		<-fl.s.liveClock.NewTimer(subscriberPoll).C()
		fl.mu.Lock()
		if len(fl.all) == 0 {
			fl.polling = false
			fl.mu.Unlock()
			return
		}
		for f := range fl.all {
			fl.wakeLocked(f)
		}
		fl.mu.Unlock()
	}
}

// work reads for the queued followers, a scope at a time, until none is left.
func (fl *followers) work() {
	for {
		fl.mu.Lock()
		if len(fl.order) == 0 {
			fl.workers--
			fl.mu.Unlock()
			return
		}
		scope := fl.order[0]
		fl.order = fl.order[1:]
		fs := fl.queued[scope]
		delete(fl.queued, scope)
		for _, f := range fs {
			f.state = followRunning
		}
		fl.mu.Unlock()

		fl.s.readFollowers(fs)

		fl.mu.Lock()
		for _, f := range fs {
			again := f.state == followAgain
			f.state = followIdle
			if again && !f.stopped.Load() {
				fl.wakeLocked(f)
			}
		}
		fl.mu.Unlock()
	}
}

// readFollowers reads the events after the cursors of followers of one scope
// and delivers them, as Subscribe's stream does for one subscription: the
// followers at one cursor share one read, and those of one caller one check of
// it, made after that read.
func (s *Service) readFollowers(fs []*Follower) {
	const page = 500
	ctx := context.Background()
	for len(fs) > 0 {
		byCursor := map[string][]*Follower{}
		var cursors []string
		for _, f := range fs {
			if f.stopped.Load() {
				continue
			}
			cur := f.Cursor()
			if _, ok := byCursor[cur]; !ok {
				cursors = append(cursors, cur)
			}
			byCursor[cur] = append(byCursor[cur], f)
		}
		var more []*Follower
		for _, cur := range cursors {
			group := byCursor[cur]
			events, next, err := s.sharedEvents(ctx, group[0].c.scope(), cur, page)
			if err != nil {
				// The database gone for a while (a restart, a failover) does not
				// end the followers: the next poll reads again from their cursors.
				if ErrorCode(err) != Unavailable {
					for _, f := range group {
						f.end(err)
					}
				}
				continue
			}
			checks := map[string]error{} // by caller, after this read
			now := s.now().UnixNano()
			for _, f := range group {
				if f.c.team() && (len(events) > 0 || now-f.checked >= int64(streamRecheck)) {
					who := callerKey(f.c.Actor)
					err, ok := checks[who]
					if !ok {
						err = s.sharedRecheck(ctx, f.c)
						checks[who] = err
					}
					if err != nil {
						if ErrorCode(err) != Unavailable {
							f.end(err)
						}
						continue
					}
					f.checked = now
				}
				f.cursor.Store(&next) // before Deliver, which may read it
				if len(events) > 0 && !f.deliver(events) {
					continue
				}
				if len(events) == page {
					more = append(more, f)
				}
			}
		}
		fs = more
	}
}
