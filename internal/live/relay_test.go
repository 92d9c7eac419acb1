package live

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeSource is a Store's wake-ups, scripted per call of Wake.
type fakeSource struct {
	called chan int // each call's number, from 1
	mu     sync.Mutex
	n      int
	wake   func(ctx context.Context, n int) (<-chan struct{}, error)
}

func newFakeSource(wake func(ctx context.Context, n int) (<-chan struct{}, error)) *fakeSource {
	return &fakeSource{called: make(chan int, 100), wake: wake}
}

func (s *fakeSource) Wake(ctx context.Context) (<-chan struct{}, error) {
	s.mu.Lock()
	s.n++
	n := s.n
	s.mu.Unlock()
	s.called <- n
	return s.wake(ctx, n)
}

// listening returns a channel that is closed when ctx ends, and forwards feed.
func listening(ctx context.Context, feed <-chan struct{}) <-chan struct{} {
	ch := make(chan struct{}, 1)
	go func() {
		defer close(ch)
		for {
			select {
			case <-ctx.Done():
				return
			case <-feed:
				ch <- struct{}{}
			}
		}
	}()
	return ch
}

// logs is a log that tests read.
type logs struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (l *logs) logger() *slog.Logger { return slog.New(slog.NewTextHandler(l, nil)) }

// waitForCall waits for the source's call n.
func waitForCall(t *testing.T, s *fakeSource, n int) {
	t.Helper()
	if got := <-s.called; got != n {
		t.Fatalf("call %d of Wake, want %d", got, n)
	}
}

// noCall checks that Wake was not called again.
func noCall(t *testing.T, s *fakeSource, after string) {
	t.Helper()
	select {
	case n := <-s.called:
		t.Fatalf("%s: call %d of Wake", after, n)
	default:
	}
}

// TestARelayForwardsWakeUpsToEveryBroadcaster: a Store's wake-up wakes every
// reader of every broadcaster, as a commit that says nothing of its scope; the
// relay listens once however often it is started, and Close waits until the
// Store has let go.
func TestARelayForwardsWakeUpsToEveryBroadcaster(t *testing.T) {
	feed := make(chan struct{})
	let := false
	src := newFakeSource(func(ctx context.Context, n int) (<-chan struct{}, error) {
		ch := make(chan struct{})
		go func() {
			defer close(ch)
			for {
				select {
				case <-ctx.Done():
					let = true // what it listened with, released before the channel closes
					return
				case <-feed:
					ch <- struct{}{}
				}
			}
		}()
		return ch, nil
	})
	var subscribers, workers Broadcaster
	client, _ := subscribers.Listen(Scope{Account: "acct-1", Client: "A"})
	worker, _ := workers.Listen(Scope{})
	r := NewRelay(src, NewFakeClock(time.Unix(0, 0)), nil, &subscribers, &workers)
	before := subscribers.Version(Scope{Account: "acct-1", Client: "A"})
	select {
	case <-r.Listening():
		t.Fatal("listening before Start")
	default:
	}
	r.Start()
	r.Start()
	waitForCall(t, src, 1)
	<-r.Listening()
	feed <- struct{}{}
	<-client
	<-worker
	if subscribers.Version(Scope{Account: "acct-1", Client: "A"}) == before {
		t.Error("a wake-up from the store left the version of a client")
	}
	r.Close()
	if !let {
		t.Error("Close returned before the store let go")
	}
	noCall(t, src, "after Close")
	r.Start() // no effect after Close
	noCall(t, src, "a Start after Close")
}

// TestARelayListensAgainWithBackoff: when Wake fails the relay tries again after
// 1 s, then 2, 4, … up to 30 s; once it listens again it wakes every reader (it
// heard nothing meanwhile) and a later failure starts from 1 s again, as does a
// panic, which is logged.
func TestARelayListensAgainWithBackoff(t *testing.T) {
	const failures = 7
	ended := make(chan struct{}) // closed: the store's wake-ups of call failures+1 end
	src := newFakeSource(func(ctx context.Context, n int) (<-chan struct{}, error) {
		switch {
		case n <= failures:
			return nil, errors.New("connection refused")
		case n == failures+1:
			ch := make(chan struct{})
			go func() {
				select {
				case <-ended:
				case <-ctx.Done():
				}
				close(ch)
			}()
			return ch, nil
		case n == failures+2:
			panic("the store's driver panicked")
		}
		return listening(ctx, nil), nil
	})
	var b Broadcaster
	reader, _ := b.Listen(Scope{Account: "acct-1", Client: "A"})
	clock := NewFakeClock(time.Unix(0, 0))
	var log logs
	r := NewRelay(src, clock, log.logger(), &b)
	defer r.Close()
	ctx := context.Background()
	r.Start()
	waitForCall(t, src, 1)
	select {
	case <-r.Listening():
		t.Fatal("listening after Wake failed")
	default:
	}
	for i, delay := range []time.Duration{1, 2, 4, 8, 16, 30, 30} {
		delay *= time.Second
		if err := clock.WaitForTimers(ctx, 1); err != nil {
			t.Fatal(err)
		}
		clock.Advance(delay - time.Nanosecond)
		noCall(t, src, "before the backoff ended")
		clock.Advance(time.Nanosecond)
		waitForCall(t, src, i+2)
	}
	<-reader // listening again, the relay woke the readers
	<-r.Listening()
	close(ended)
	if err := clock.WaitForTimers(ctx, 1); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Second) // it listened: back to 1 s
	waitForCall(t, src, failures+2)
	if err := clock.WaitForTimers(ctx, 1); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Second) // the channel's end was the first failure since listening, the panic the second
	noCall(t, src, "1 s after a panic that followed a failure")
	clock.Advance(time.Second)
	waitForCall(t, src, failures+3)
	<-reader
	for _, want := range []string{"connection refused", "wake-ups ended", "the store's driver panicked"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("the log does not say %q:\n%s", want, log.String())
		}
	}
}

// TestARelayWithoutASourceDoesNothing: a Store that cannot wake across processes
// has a relay that starts and closes without doing anything.
func TestARelayWithoutASourceDoesNothing(t *testing.T) {
	r := NewRelay(nil, NewFakeClock(time.Unix(0, 0)), nil, &Broadcaster{})
	r.Start()
	r.Close()
}
