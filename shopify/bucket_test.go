package shopify

import (
	"testing"
	"time"
)

func TestBucketEstimate(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	var b bucket
	if d := b.take(900, now); d != 0 {
		t.Fatalf("an unknown bucket made the client wait %v; it should let Shopify say", d)
	}
	b.update(ThrottleStatus{MaximumAvailable: 2000, CurrentlyAvailable: 500, RestoreRate: 100}, now)
	if d := b.take(400, now); d != 0 {
		t.Fatalf("take(400) of 500 waited %v", d)
	}
	// 100 left: 700 points need 6 s more.
	if d := b.take(700, now); d < 6*time.Second || d > 6*time.Second+10*time.Millisecond {
		t.Fatalf("take(700) of 100 at 100/s = %v; want 6 s", d)
	}
	if d := b.take(700, now.Add(6*time.Second+time.Millisecond)); d != 0 {
		t.Fatalf("take(700) after the wait = %v; want 0", d)
	}
	if d := b.take(5000, now); d != 0 {
		t.Fatalf("a cost over the bucket's size waited %v; it can never be met, so Shopify decides", d)
	}
	if s, ok := b.status(now.Add(time.Hour)); !ok || s.CurrentlyAvailable != 2000 {
		t.Fatalf("after an hour the estimate is %+v; want full (2000)", s)
	}
}
