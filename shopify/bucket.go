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
	// settled is closed (and dropped) when a request in flight settles, for
	// the requests waiting for that rather than for time.
	settled chan struct{}
}

// A Standard plan's bucket, assumed until Shopify reports the shop's own.
const (
	assumedBucketSize  = 2000
	assumedRestoreRate = 100
)

// level is the points a new request may reserve at now: the estimate refilled
// since it was made, up to the bucket's size less what requests in flight
// will be charged. (Shopify's bucket stops refilling when full, before those
// charges land; the estimate, which took them off already, must stop there too.)
func (b *bucket) level(now time.Time) float64 {
	elapsed := now.Sub(b.at).Seconds()
	if elapsed < 0 {
		elapsed = 0
	}
	return min(b.max-b.inflight, b.available+elapsed*b.rate)
}

// take reserves cost points if the estimate has them and returns 0 and the
// points reserved; or returns how long to wait until it will; or, when only
// requests in flight stand in the way (refilling cannot help: the bucket is as
// full as it gets until they are charged), a channel closed when one of them
// settles. Reserving (rather than only checking) makes concurrent requests for
// one shop queue up instead of all going at once. A cost above the bucket's
// size can never be met: it is let through, unreserved, for Shopify to judge.
func (b *bucket) take(cost int, now time.Time) (wait time.Duration, reserved float64, settled <-chan struct{}) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.known && b.max == 0 {
		b.max, b.rate, b.available, b.at = assumedBucketSize, assumedRestoreRate, assumedBucketSize, now
	}
	if cost <= 0 || float64(cost) > b.max || b.rate <= 0 {
		return 0, 0, nil
	}
	if b.max-b.inflight < float64(cost) {
		if b.settled == nil {
			b.settled = make(chan struct{})
		}
		return 0, 0, b.settled
	}
	level := b.level(now)
	if level >= float64(cost) {
		b.available, b.at = level-float64(cost), now
		b.inflight += float64(cost)
		return 0, float64(cost), nil
	}
	missing := float64(cost) - level
	// Round up to whole milliseconds so the wait is never a hair short.
	return time.Duration(missing/b.rate*1000+1) * time.Millisecond, 0, nil
}

// settle drops a settled request's reservation and wakes those waiting for it.
// b.mu is held.
func (b *bucket) settle(reserved float64) {
	b.inflight = max(b.inflight-reserved, 0)
	if b.settled != nil {
		close(b.settled)
		b.settled = nil
	}
}

// update settles a request that reserved points, with what Shopify reported
// at now: the bucket's level after the request (and its refund), and what the
// request actually cost (nil when it did not run). The new estimate is the
// report less what other requests still have reserved, but no more than the
// estimate so far plus this request's refund: answers to concurrent requests
// can arrive in another order than Shopify ran them, and an older report
// must not undo the charge of a request it did not see.
func (b *bucket) update(s ThrottleStatus, now time.Time, reserved float64, actual *int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.settle(reserved)
	if s.MaximumAvailable <= 0 {
		return
	}
	level := s.CurrentlyAvailable - b.inflight
	if b.known && b.max == s.MaximumAvailable {
		refund := reserved
		if actual != nil {
			refund = max(reserved-float64(*actual), 0)
		}
		level = min(level, b.level(now)+refund)
	}
	b.known = true
	b.max, b.rate = s.MaximumAvailable, s.RestoreRate
	b.available, b.at = level, now
}

// release settles a request that reserved points and got no report back (a
// network error, an HTTP error): the points stay spent in the estimate, as
// Shopify may have charged them.
func (b *bucket) release(reserved float64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.settle(reserved)
}

func (b *bucket) status(now time.Time) (ThrottleStatus, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.known {
		return ThrottleStatus{}, false
	}
	return ThrottleStatus{MaximumAvailable: b.max, CurrentlyAvailable: max(b.level(now), 0), RestoreRate: b.rate}, true
}
