package live

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
)

// TestReadersAtOneGenerationShareARead: readers of one scope asking the same thing
// while a read is in flight share it; after a wake-up a reader reads again, without
// waiting for the older read; other scopes or arguments read on their own.
func TestReadersAtOneGenerationShareARead(t *testing.T) {
	const readers = 10
	var b Broadcaster
	s := NewShared[int](&b)
	var joined sync.WaitGroup
	s.joined = joined.Done
	ctx := context.Background()
	sc := Scope{Account: "acct-1", Client: "A"}
	release, started := make(chan struct{}), make(chan struct{}, readers)
	var reads atomic.Int32
	slow := func(context.Context) (int, error) { reads.Add(1); started <- struct{}{}; <-release; return 1, nil }

	joined.Add(readers)
	var wg sync.WaitGroup
	for range readers {
		wg.Go(func() {
			if v, err := s.Read(ctx, sc, "after=0", slow); err != nil || v != 1 {
				t.Errorf("a reader sharing a read got %v, %v", v, err)
			}
		})
	}
	joined.Wait()
	<-started
	if n := reads.Load(); n != 1 {
		t.Fatalf("%d readers at one generation made %d reads", readers, n)
	}

	// A commit of the scope while the read is in flight: a reader woken by it
	// must not take the older read's result.
	b.Wake(sc)
	joined.Add(3)
	fresh := func(context.Context) (int, error) { reads.Add(1); return 2, nil }
	if v, err := s.Read(ctx, sc, "after=0", fresh); err != nil || v != 2 {
		t.Fatalf("a reader after a wake-up got %v, %v", v, err)
	}
	if v, err := s.Read(ctx, sc, "after=1", fresh); err != nil || v != 2 {
		t.Fatalf("a reader of other arguments got %v, %v", v, err)
	}
	if v, err := s.Read(ctx, Scope{Account: "acct-1", Client: "B"}, "after=0", fresh); err != nil || v != 2 {
		t.Fatalf("a reader of another scope got %v, %v", v, err)
	}
	close(release)
	wg.Wait()
	if n := reads.Load(); n != 4 {
		t.Fatalf("%d reads in all, want 4", n)
	}
}

// TestAReaderThatGoesAwayLeavesTheReadToOthers: the read is not cancelled with
// the context of the reader that started it; that reader gets its context's
// error, the others the result. A failed read fails every reader sharing it.
func TestAReaderThatGoesAwayLeavesTheReadToOthers(t *testing.T) {
	var b Broadcaster
	s := NewShared[string](&b)
	var joined sync.WaitGroup
	joined.Add(2)
	s.joined = joined.Done
	sc := Scope{Account: "acct-1"}
	started, release := make(chan struct{}), make(chan struct{})
	read := func(ctx context.Context) (string, error) {
		close(started)
		<-release
		return "events", ctx.Err()
	}
	first, leave := context.WithCancel(context.Background())
	left := make(chan error)
	go func() {
		_, err := s.Read(first, sc, "", read)
		left <- err
	}()
	<-started
	stayed := make(chan string)
	go func() {
		v, err := s.Read(context.Background(), sc, "", read)
		if err != nil {
			t.Errorf("the reader that stayed: %v", err)
		}
		stayed <- v
	}()
	joined.Wait()
	leave()
	if err := <-left; !errors.Is(err, context.Canceled) {
		t.Errorf("the reader that went away got %v", err)
	}
	close(release)
	if v := <-stayed; v != "events" {
		t.Errorf("the reader that stayed got %q", v)
	}

	boom := errors.New("boom")
	joined.Add(1)
	if _, err := s.Read(context.Background(), sc, "", func(context.Context) (string, error) { return "", boom }); !errors.Is(err, boom) {
		t.Errorf("a failed read: %v", err)
	}
}
