package shopify

import (
	"sync"
	"time"
)

// Buckets holds the client's estimate of each shop's rate-limit bucket. Shopify
// limits each app on each shop by a leaky bucket of query-cost points; every
// answer reports the bucket's state, and between answers it refills at a known
// rate, so the client can tell whether a query would be throttled before it
// sends it, and wait instead. Share one Buckets among every [Client] of a
// process. It is safe for concurrent use.
type Buckets struct {
	mu sync.Mutex
	m  map[string]*bucket
}

// NewBuckets returns an empty set of estimates.
func NewBuckets() *Buckets { return &Buckets{m: map[string]*bucket{}} }

func (b *Buckets) of(shop string) *bucket {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.m[shop] == nil {
		b.m[shop] = &bucket{}
	}
	return b.m[shop]
}

// bucket is the estimate for one shop: the points available at a moment, and
// how fast they come back.
type bucket struct {
	mu        sync.Mutex
	known     bool // false until an answer reported the bucket
	max, rate float64
	available float64
	at        time.Time
}

func (b *bucket) level(now time.Time) float64 {
	elapsed := now.Sub(b.at).Seconds()
	if elapsed < 0 {
		elapsed = 0
	}
	return min(b.max, b.available+elapsed*b.rate)
}

// take reserves cost points if the estimate has them and returns 0, or returns
// how long to wait until it will. Reserving (rather than only checking) makes
// concurrent requests for one shop queue up instead of all going at once. A
// cost above the bucket's size can never be met: it is let through for Shopify
// to judge.
func (b *bucket) take(cost int, now time.Time) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.known || cost <= 0 || float64(cost) > b.max || b.rate <= 0 {
		return 0
	}
	level := b.level(now)
	if level >= float64(cost) {
		b.available, b.at = level-float64(cost), now
		return 0
	}
	missing := float64(cost) - level
	// Round up to whole milliseconds so the wait is never a hair short.
	return time.Duration(missing/b.rate*1000+1) * time.Millisecond
}

// update replaces the estimate with what Shopify reported at now.
func (b *bucket) update(s ThrottleStatus, now time.Time) {
	if s.MaximumAvailable <= 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.known = true
	b.max, b.rate = s.MaximumAvailable, s.RestoreRate
	b.available, b.at = s.CurrentlyAvailable, now
}

func (b *bucket) status(now time.Time) (ThrottleStatus, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.known {
		return ThrottleStatus{}, false
	}
	return ThrottleStatus{MaximumAvailable: b.max, CurrentlyAvailable: b.level(now), RestoreRate: b.rate}, true
}
