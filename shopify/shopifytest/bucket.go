package shopifytest

import "time"

// bucket is a shop's leaky bucket of query-cost points: a query is charged its
// requested cost up front if the bucket holds that much (else THROTTLED, and
// nothing is charged), the unused part is refunded after it runs, and points
// come back at a steady rate up to the bucket's size. It never goes negative,
// because nothing is charged that is not there.
type bucket struct {
	max, rate float64
	level     float64
	at        time.Time
}

func (b *bucket) refill(now time.Time) {
	if now.After(b.at) {
		b.level = min(b.max, b.level+now.Sub(b.at).Seconds()*b.rate)
		b.at = now
	}
}

// charge takes cost points if the bucket has them.
func (b *bucket) charge(cost int, now time.Time) bool {
	b.refill(now)
	if b.level < float64(cost) {
		return false
	}
	b.level -= float64(cost)
	return true
}

// refund gives back points a query requested but did not use.
func (b *bucket) refund(points int) {
	if points > 0 {
		b.level = min(b.max, b.level+float64(points))
	}
}
