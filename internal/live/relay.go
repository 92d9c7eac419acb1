package live

import (
	"context"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"
)

// Source is a Store that hears of other processes' commits (connect.Waker): Wake
// returns a channel that receives a value soon after any process commits, and is
// closed once ctx ends and the Store has let go of what it listened with.
type Source interface {
	Wake(ctx context.Context) (<-chan struct{}, error)
}

// The delays before a Relay listens again after its Source failed: the first,
// doubled after each failure in a row up to the last.
const (
	minBackoff = time.Second
	maxBackoff = 30 * time.Second
)

// Relay forwards a Source's wake-ups to broadcasters, as wake-ups that say nothing
// of what they touched (Broadcaster.Wake with no scope), from Start until Close.
// When the Source fails, its channel ends early, or forwarding panics, the Relay
// logs it and listens again after a backoff (1 s, doubling up to 30 s), and wakes
// every reader once it listens again: commits in between went unheard.
type Relay struct {
	src   Source
	to    []*Broadcaster
	clock Clock
	log   *slog.Logger

	once   sync.Once
	cancel context.CancelFunc
	done   chan struct{} // closed when the Source has let go

	listenedOnce sync.Once
	listened     chan struct{} // closed when Wake first succeeded
}

// NewRelay returns a relay of src's wake-ups to the broadcasters, which waits on
// clock and logs to log (nil: nowhere). A nil src relays nothing.
func NewRelay(src Source, clock Clock, log *slog.Logger, to ...*Broadcaster) *Relay {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Relay{src: src, to: to, clock: clock, log: log, listened: make(chan struct{})}
}

// Listening is closed once the relay listens: its Source's Wake has returned
// for the first time, and commits from then on wake the broadcasters. (Until
// then, and between restarts, readers rely on reading again by themselves.)
func (r *Relay) Listening() <-chan struct{} { return r.listened }

// Start starts relaying, the first time it is called before Close.
func (r *Relay) Start() {
	r.once.Do(func() {
		if r.src == nil {
			return
		}
		ctx, cancel := context.WithCancel(context.Background())
		r.cancel, r.done = cancel, make(chan struct{})
		go r.run(ctx)
	})
}

// Close stops relaying and waits until the Source has let go of what it listened
// with. The Relay does not start after Close.
func (r *Relay) Close() {
	r.once.Do(func() {})
	if r.cancel != nil {
		r.cancel()
		<-r.done
	}
}

func (r *Relay) run(ctx context.Context) {
	defer close(r.done)
	delay := minBackoff
	for again := false; ; again = true {
		if r.listen(ctx, again) {
			delay = minBackoff // it listened: the next failure starts over
		}
		if ctx.Err() != nil {
			return
		}
		t := r.clock.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C():
		}
		delay = min(2*delay, maxBackoff)
	}
}

// listen calls the Source's Wake and forwards its wake-ups until its channel
// closes, and reports whether Wake succeeded. A panic is recovered and logged.
func (r *Relay) listen(ctx context.Context, again bool) (listened bool) {
	lctx, cancel := context.WithCancel(ctx)
	var ch <-chan struct{}
	defer func() {
		p := recover()
		cancel()
		if ch != nil {
			for range ch { // the Source lets go of what it listened with
			}
		}
		if p != nil {
			r.log.Error("live: relaying the store's wake-ups panicked; listening again", "panic", p, "stack", string(debug.Stack()))
		}
	}()
	ch, err := r.src.Wake(lctx)
	if err != nil {
		if ctx.Err() == nil {
			r.log.Warn("live: waiting for wake-ups from the store failed; retrying", "err", err)
		}
		return false
	}
	listened = true
	r.listenedOnce.Do(func() { close(r.listened) })
	if again {
		r.wake()
	}
	for range ch {
		r.wake()
	}
	if ctx.Err() == nil {
		r.log.Warn("live: the store's wake-ups ended; listening again")
	}
	return true
}

func (r *Relay) wake() {
	for _, b := range r.to {
		b.Wake()
	}
}
