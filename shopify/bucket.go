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
// how fast they come back. Until Shopify reports the shop's bucket, it is
// taken for a Standard plan's (the smallest), full: concurrent first requests
// then queue instead of all going at once.
type bucket struct {
	mu        sync.Mutex
	known     bool // false until an answer reported the bucket
	max, rate float64
	available float64
	at        time.Time
	// inflight is the points reserved by requests not answered yet. Shopify's
	// report in one answer may not have charged them yet, so they are taken
	// off it: a shared bucket errs on the side of waiting.
	inflight float64
}

// A Standard plan's bucket, assumed until Shopify reports the shop's own.
const (
	assumedBucketSize  = 2000
	assumedRestoreRate = 100
)

func (b *bucket) level(now time.Time) float64 {
	elapsed := now.Sub(b.at).Seconds()
	if elapsed < 0 {
		elapsed = 0
	}
	return min(b.max, b.available+elapsed*b.rate)
}

// take reserves cost points if the estimate has them and returns 0 and the
// points reserved, or returns how long to wait until it will. Reserving (rather
// than only checking) makes concurrent requests for one shop queue up instead
// of all going at once. A cost above the bucket's size can never be met: it is
// let through, unreserved, for Shopify to judge.
func (b *bucket) take(cost int, now time.Time) (time.Duration, float64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.known && b.max == 0 {
		b.max, b.rate, b.available, b.at = assumedBucketSize, assumedRestoreRate, assumedBucketSize, now
	}
	if cost <= 0 || float64(cost) > b.max || b.rate <= 0 {
		return 0, 0
	}
	level := b.level(now)
	if level >= float64(cost) {
		b.available, b.at = level-float64(cost), now
		b.inflight += float64(cost)
		return 0, float64(cost)
	}
	missing := float64(cost) - level
	// Round up to whole milliseconds so the wait is never a hair short.
	return time.Duration(missing/b.rate*1000+1) * time.Millisecond, 0
}

// update settles a request that reserved points: the estimate becomes what
// Shopify reported at now, less what other requests still have reserved.
func (b *bucket) update(s ThrottleStatus, now time.Time, reserved float64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.inflight = max(b.inflight-reserved, 0)
	if s.MaximumAvailable <= 0 {
		return
	}
	b.known = true
	b.max, b.rate = s.MaximumAvailable, s.RestoreRate
	b.available, b.at = s.CurrentlyAvailable-b.inflight, now
}

// release settles a request that reserved points and got no report back (a
// network error, an HTTP error): the points stay spent in the estimate, as
// Shopify may have charged them.
func (b *bucket) release(reserved float64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.inflight = max(b.inflight-reserved, 0)
}

func (b *bucket) status(now time.Time) (ThrottleStatus, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.known {
		return ThrottleStatus{}, false
	}
	return ThrottleStatus{MaximumAvailable: b.max, CurrentlyAvailable: max(b.level(now), 0), RestoreRate: b.rate}, true
}
