package storagetest

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dispatchkit/connect"
)

// Limits keeps the counts of the portal's sign-in limits: the portal's own port
// (portal.Limits), written again here because the Store's suite does not import
// the portal. The suite checks it when the Store implements it (storage.Store
// does).
type Limits interface {
	TakeToken(ctx context.Context, key string, burst int, every time.Duration, now time.Time, peek bool) (time.Duration, error)
	CountFailure(ctx context.Context, key string, now time.Time, ttl time.Duration) (int, error)
	Failures(ctx context.Context, key string, now time.Time, ttl time.Duration) (int, time.Time, error)
	ClearFailures(ctx context.Context, key string) error
}

// RunRateLimits runs the tests of the sign-in limits' counts (Limits) on a
// Store that keeps them.
func RunRateLimits(t *testing.T, open func(t *testing.T) connect.Store) {
	RunLimits(t, func(t *testing.T) Limits {
		l, ok := open(t).(Limits)
		if !ok {
			t.Skip("the Store does not keep rate limits (portal.Limits)")
		}
		return l
	})
}

// RunLimits runs the same tests on any Limits: the portal checks its own, in
// memory, against them.
func RunLimits(t *testing.T, open func(t *testing.T) Limits) {
	for _, tc := range []struct {
		name string
		fn   func(*testing.T, *fixture, Limits)
	}{
		{"TokenBucketsHoldBurstThenRefill", testTokenBuckets},
		{"TokenBucketsAreSharedByRacers", testTokenBucketRace},
		{"FailuresCountUntilClearedOrForgotten", testFailureCounts},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, newFixture(t, nil), open(t))
		})
	}
}

// testTokenBuckets: burst tokens at once, then one every every; a peek takes
// nothing; keys are independent.
func testTokenBuckets(t *testing.T, f *fixture, l Limits) {
	key, other := "net|signin|"+f.id(""), "net|signin|"+f.id("")
	now := f.base
	take := func(k string, at time.Time, peek bool) time.Duration {
		t.Helper()
		wait, err := l.TakeToken(f.ctx, k, 3, 10*time.Second, at, peek)
		must(t, err)
		return wait
	}
	for i := range 3 {
		if w := take(key, now, false); w != 0 {
			t.Fatalf("token %d of a burst of 3: wait %v", i+1, w)
		}
	}
	if w := take(key, now, true); w != 10*time.Second {
		t.Fatalf("a peek at an empty bucket: wait %v, want 10s", w)
	}
	if w := take(key, now, false); w != 10*time.Second {
		t.Fatalf("a fourth token at once: wait %v, want 10s", w)
	}
	if w := take(key, now.Add(4*time.Second), false); w != 6*time.Second {
		t.Fatalf("4 s later: wait %v, want 6s", w)
	}
	if w := take(key, now.Add(10*time.Second), true); w != 0 {
		t.Fatalf("a peek once a token is back: wait %v", w)
	}
	if w := take(key, now.Add(10*time.Second), false); w != 0 {
		t.Fatalf("the token back after 10 s: wait %v", w)
	}
	if w := take(key, now.Add(10*time.Second), false); w == 0 {
		t.Fatal("a second token 10 s later: taken, want none")
	}
	if w := take(other, now, false); w != 0 {
		t.Fatalf("another key's bucket: wait %v", w)
	}
	// A long quiet spell fills the bucket again, no more than full.
	for i := range 3 {
		if w := take(key, now.Add(time.Hour), false); w != 0 {
			t.Fatalf("token %d after an hour: wait %v", i+1, w)
		}
	}
	if w := take(key, now.Add(time.Hour), false); w == 0 {
		t.Fatal("a fourth token after an hour: the bucket held more than its burst")
	}
}

// testTokenBucketRace: racers taking at once (processes behind a balancer) get
// exactly the bucket's burst between them.
func testTokenBucketRace(t *testing.T, f *fixture, l Limits) {
	key := "net|signin|" + f.id("")
	var took atomic.Int64
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			wait, err := l.TakeToken(f.ctx, key, 5, time.Minute, f.base, false)
			if err != nil {
				t.Error(err)
			} else if wait == 0 {
				took.Add(1)
			}
		})
	}
	wg.Wait()
	if n := took.Load(); n != 5 {
		t.Fatalf("20 racers took %d tokens from a bucket of 5", n)
	}
}

// testFailureCounts: failures count up, are forgotten ttl after the last, and
// are cleared by a success.
func testFailureCounts(t *testing.T, f *fixture, l Limits) {
	key := "delay|signin|" + f.id("")
	ttl := time.Hour
	for i := 1; i <= 3; i++ {
		n, err := l.CountFailure(f.ctx, key, f.base.Add(time.Duration(i)*time.Minute), ttl)
		must(t, err)
		if n != i {
			t.Fatalf("failure %d counted as %d", i, n)
		}
	}
	n, last, err := l.Failures(f.ctx, key, f.base.Add(10*time.Minute), ttl)
	must(t, err)
	if n != 3 || !last.Equal(f.base.Add(3*time.Minute)) {
		t.Fatalf("failures: %d, last %v; want 3 at %v", n, last, f.base.Add(3*time.Minute))
	}
	if n, _, err := l.Failures(f.ctx, "delay|signin|"+f.id(""), f.base, ttl); err != nil || n != 0 {
		t.Fatalf("an unknown key's failures: %d, %v", n, err)
	}
	later := f.base.Add(3*time.Minute + ttl)
	if n, _, err := l.Failures(f.ctx, key, later, ttl); err != nil || n != 0 {
		t.Fatalf("failures a ttl after the last: %d, %v; want forgotten", n, err)
	}
	if n, err := l.CountFailure(f.ctx, key, later, ttl); err != nil || n != 1 {
		t.Fatalf("a failure after the others were forgotten: counted as %d, %v", n, err)
	}
	must(t, l.ClearFailures(f.ctx, key))
	if n, _, err := l.Failures(f.ctx, key, later, ttl); err != nil || n != 0 {
		t.Fatalf("failures after a clear: %d, %v", n, err)
	}
	must(t, l.ClearFailures(f.ctx, "delay|signin|"+f.id(""))) // an unknown key: no error
}
