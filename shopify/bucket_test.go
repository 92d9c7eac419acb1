package shopify

import (
	"testing"
	"time"
)

func ptr[T any](v T) *T { return &v }

func TestBucketEstimate(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	var b bucket
	if d, reserved, _ := b.take(900, now); d != 0 || reserved != 900 {
		t.Fatalf("an unknown bucket (taken for a full Standard one) made the client wait %v, reserved %v", d, reserved)
	}
	_, _, settled := b.take(1200, now.Add(time.Hour))
	if settled == nil {
		t.Fatal("take(1200) with 900 of an assumed 2000 in flight did not wait for it to settle")
	}
	b.update(ThrottleStatus{MaximumAvailable: 2000, CurrentlyAvailable: 500, RestoreRate: 100}, now, 900, ptr(900))
	select {
	case <-settled:
	default:
		t.Fatal("the request waiting for the one in flight was not woken when it settled")
	}
	if d, _, _ := b.take(400, now); d != 0 {
		t.Fatalf("take(400) of 500 waited %v", d)
	}
	// 100 left: 700 points need 6 s more.
	if d, _, _ := b.take(700, now); d < 6*time.Second || d > 6*time.Second+10*time.Millisecond {
		t.Fatalf("take(700) of 100 at 100/s = %v; want 6 s", d)
	}
	if d, _, _ := b.take(700, now.Add(6*time.Second+time.Millisecond)); d != 0 {
		t.Fatalf("take(700) after the wait = %v; want 0", d)
	}
	if d, reserved, _ := b.take(5000, now); d != 0 || reserved != 0 {
		t.Fatalf("a cost over the bucket's size waited %v; it can never be met, so Shopify decides", d)
	}
	// 400 and 700 are in flight (the 700 reserved at +6 s, leaving 0). The
	// 400's answer reports 1500, not having seen the 700: the 700 still counts
	// as spent, and the report raises the estimate only by the 400's refund.
	later := now.Add(6*time.Second + time.Millisecond)
	b.update(ThrottleStatus{MaximumAvailable: 2000, CurrentlyAvailable: 1500, RestoreRate: 100}, later, 400, ptr(300))
	if s, _ := b.status(later); s.CurrentlyAvailable < 99 || s.CurrentlyAvailable > 101 {
		t.Fatalf("after a stale report the estimate is %v; want the 100 refunded", s.CurrentlyAvailable)
	}
	b.update(ThrottleStatus{MaximumAvailable: 2000, CurrentlyAvailable: 300, RestoreRate: 100}, later, 700, ptr(700))
	if s, _ := b.status(later); s.CurrentlyAvailable > 101 {
		t.Fatalf("after the 700's report the estimate is %v; want at most 100", s.CurrentlyAvailable)
	}
	b.release(0)
	if s, ok := b.status(now.Add(time.Hour)); !ok || s.CurrentlyAvailable != 2000 {
		t.Fatalf("after an hour the estimate is %+v; want full (2000)", s)
	}
}
