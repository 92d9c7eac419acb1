package shopify

import (
	"testing"
	"time"
)

func TestBucketEstimate(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	var b bucket
	if d, reserved := b.take(900, now); d != 0 || reserved != 900 {
		t.Fatalf("an unknown bucket (taken for a full Standard one) made the client wait %v, reserved %v", d, reserved)
	}
	if d, _ := b.take(1200, now); d < 1*time.Second || d > 1*time.Second+10*time.Millisecond {
		t.Fatalf("take(1200) of an assumed 1100 left = %v; want 1 s, so concurrent first requests queue", d)
	}
	b.update(ThrottleStatus{MaximumAvailable: 2000, CurrentlyAvailable: 500, RestoreRate: 100}, now, 900)
	if d, _ := b.take(400, now); d != 0 {
		t.Fatalf("take(400) of 500 waited %v", d)
	}
	// 100 left: 700 points need 6 s more.
	if d, _ := b.take(700, now); d < 6*time.Second || d > 6*time.Second+10*time.Millisecond {
		t.Fatalf("take(700) of 100 at 100/s = %v; want 6 s", d)
	}
	if d, _ := b.take(700, now.Add(6*time.Second+time.Millisecond)); d != 0 {
		t.Fatalf("take(700) after the wait = %v; want 0", d)
	}
	if d, reserved := b.take(5000, now); d != 0 || reserved != 0 {
		t.Fatalf("a cost over the bucket's size waited %v; it can never be met, so Shopify decides", d)
	}
	// The 400 and 700 are in flight: a report that has not charged them yet
	// still counts them as spent.
	b.update(ThrottleStatus{MaximumAvailable: 2000, CurrentlyAvailable: 1500, RestoreRate: 100}, now, 400)
	if s, _ := b.status(now); s.CurrentlyAvailable != 800 {
		t.Fatalf("after a report of 1500 with 700 in flight the estimate is %v; want 800", s.CurrentlyAvailable)
	}
	b.release(700)
	if s, ok := b.status(now.Add(time.Hour)); !ok || s.CurrentlyAvailable != 2000 {
		t.Fatalf("after an hour the estimate is %+v; want full (2000)", s)
	}
}
