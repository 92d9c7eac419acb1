package live

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestAMemoKeepsAReadUntilItsVersionMovesOrItExpires: callers at one version, within
// the lifetime, share one read; a commit of the scope, or the lifetime ending on
// the clock, makes the next caller read again; a failed read is not kept.
func TestAMemoKeepsAReadUntilItsVersionMovesOrItExpires(t *testing.T) {
	var b Broadcaster
	clock := NewFakeClock(time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC))
	m := NewMemo[int](&b, clock, 2*time.Second)
	ctx := context.Background()
	sc := Scope{Account: "acct-1", Client: "A"}
	reads := 0
	load := func(context.Context) (int, error) { reads++; return reads, nil }
	get := func() int {
		t.Helper()
		v, err := m.Get(ctx, sc, "k", load)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if first, second := get(), get(); first != 1 || second != 1 || reads != 1 {
		t.Fatalf("two gets at one version: %v, %v, %d reads", first, second, reads)
	}
	b.Wake(Scope{Account: "acct-1", Client: "B"}) // another client's commit
	if get() != 1 {
		t.Fatalf("a get after another client's commit: %d reads", reads)
	}
	b.Wake(sc)
	if get() != 2 {
		t.Fatalf("a get after a commit of the scope: %d reads", reads)
	}
	clock.Advance(2*time.Second - time.Nanosecond)
	if get() != 2 {
		t.Fatalf("a get within the lifetime: %d reads", reads)
	}
	clock.Advance(time.Nanosecond)
	if get() != 3 {
		t.Fatalf("a get once the lifetime has ended: %d reads", reads)
	}
	b.Touch(sc)
	boom := errors.New("boom")
	if _, err := m.Get(ctx, sc, "k", func(context.Context) (int, error) { return 0, boom }); !errors.Is(err, boom) {
		t.Fatalf("a failed read: %v", err)
	}
	if get() != 4 {
		t.Fatalf("a get after a failed read: %d reads", reads)
	}
	if v, err := m.Get(ctx, sc, "other", func(context.Context) (int, error) { return -1, nil }); err != nil || v != -1 {
		t.Fatalf("a get of other arguments: %v, %v", v, err)
	}
	if v, err := m.Get(ctx, Scope{Account: "acct-1", Client: "B"}, "k", func(context.Context) (int, error) { return -2, nil }); err != nil || v != -2 {
		t.Fatalf("a get of another scope: %v, %v", v, err)
	}
}

// TestConcurrentCallersShareOneRead: callers asking while a read is in flight
// wait for it instead of reading again, and one that goes away leaves it to the
// others.
func TestConcurrentCallersShareOneRead(t *testing.T) {
	const callers = 10
	var b Broadcaster
	m := NewMemo[string](&b, NewFakeClock(time.Unix(0, 0)), time.Hour)
	var joined sync.WaitGroup
	joined.Add(callers + 1)
	m.joined = joined.Done
	release := make(chan struct{})
	var reads atomic.Int32
	slow := func(ctx context.Context) (string, error) {
		reads.Add(1)
		<-release
		return "slow", ctx.Err()
	}
	sc := Scope{Account: "acct-1"}
	leaving, leave := context.WithCancel(context.Background())
	left := make(chan error)
	go func() {
		_, err := m.Get(leaving, sc, "k", slow)
		left <- err
	}()
	var wg sync.WaitGroup
	for range callers {
		wg.Go(func() {
			if v, err := m.Get(context.Background(), sc, "k", slow); err != nil || v != "slow" {
				t.Errorf("a caller sharing a read got %q, %v", v, err)
			}
		})
	}
	joined.Wait() // every caller is waiting on a read
	leave()
	if err := <-left; !errors.Is(err, context.Canceled) {
		t.Errorf("the caller that went away got %v", err)
	}
	close(release)
	wg.Wait()
	if n := reads.Load(); n != 1 {
		t.Errorf("%d concurrent callers made %d reads", callers+1, n)
	}
}

// TestAFullMemoDropsExpiredResultsFirst: past its bound, a memo makes room by
// dropping the results whose lifetime has ended, and forgets everything only when
// none has.
func TestAFullMemoDropsExpiredResultsFirst(t *testing.T) {
	var b Broadcaster
	clock := NewFakeClock(time.Unix(0, 0))
	m := NewMemo[int](&b, clock, time.Minute)
	ctx := context.Background()
	fill := func(prefix string, n int) {
		for i := range n {
			if _, err := m.Get(ctx, Scope{Account: "acct-1"}, fmt.Sprint(prefix, i), func(context.Context) (int, error) { return i, nil }); err != nil {
				t.Fatal(err)
			}
		}
	}
	fill("old", memoMaxEntries/2)
	clock.Advance(time.Minute)
	fill("new", memoMaxEntries-memoMaxEntries/2+1) // the last one finds the memo full
	if got, want := len(m.kept), memoMaxEntries-memoMaxEntries/2+1; got != want {
		t.Fatalf("after the old half expired: %d kept, want %d", got, want)
	}
	fill("more", memoMaxEntries)
	if got := len(m.kept); got > memoMaxEntries {
		t.Fatalf("%d results kept, more than %d", got, memoMaxEntries)
	}
}
