package connect

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestACommitWakesOnlyTheReadersItConcerns: a client's commit wakes its own
// subscribers and its account's dispatchers, not other clients' or accounts'; a
// commit that says nothing of its scope (another process's) wakes everyone.
func TestACommitWakesOnlyTheReadersItConcerns(t *testing.T) {
	var b broadcaster
	readers := map[string]Scope{
		"client A":             {Account: "acct-1", Client: "A"},
		"client B":             {Account: "acct-1", Client: "B"},
		"dispatcher of acct-1": {Account: "acct-1"},
		"dispatcher of acct-2": {Account: "acct-2"},
		"outbox worker":        {},
	}
	chans := map[string]chan struct{}{}
	for name, sc := range readers {
		chans[name], _ = b.add(sc)
	}
	woken := func() map[string]bool {
		out := map[string]bool{}
		for name, ch := range chans {
			select {
			case <-ch:
				out[name] = true
			default:
			}
		}
		return out
	}
	b.wake(Scope{Account: "acct-1", Client: "A"})
	got := woken()
	for name, want := range map[string]bool{"client A": true, "client B": false, "dispatcher of acct-1": true,
		"dispatcher of acct-2": false, "outbox worker": true} {
		if got[name] != want {
			t.Errorf("a commit of client A: %s woken %v, want %v", name, got[name], want)
		}
	}
	b.wake(Scope{Account: "acct-1"}) // a whole account
	if got := woken(); !got["client A"] || !got["client B"] || got["dispatcher of acct-2"] {
		t.Errorf("a commit of acct-1 woke %v", got)
	}
	b.wake()
	if got := woken(); len(got) != len(readers) {
		t.Errorf("a commit of another process woke %v, want everyone", got)
	}
}

// TestAVersionChangesWithEveryCommitThatMayConcernItsScope: a client's version
// moves with its own commits, its account's and untold ones (another process's);
// an account's with any of its clients'; neither with another client's or
// account's.
func TestAVersionChangesWithEveryCommitThatMayConcernItsScope(t *testing.T) {
	var b broadcaster
	scopes := map[string]Scope{
		"client A":  {Account: "acct-1", Client: "A"},
		"client B":  {Account: "acct-1", Client: "B"},
		"account 1": {Account: "acct-1"},
		"account 2": {Account: "acct-2"},
	}
	for _, step := range []struct {
		what  string
		do    func()
		moved []string
	}{
		{"a commit of client A", func() { b.wake(Scope{Account: "acct-1", Client: "A"}) }, []string{"client A", "account 1"}},
		{"a deleted draft of client B", func() { b.touch(Scope{Account: "acct-1", Client: "B"}) }, []string{"client B", "account 1"}},
		{"a commit of account 1", func() { b.wake(Scope{Account: "acct-1"}) }, []string{"client A", "client B", "account 1"}},
		{"a commit of account 2's client", func() { b.wake(Scope{Account: "acct-2", Client: "C"}) }, []string{"account 2"}},
		{"another process's commit", func() { b.wake() }, []string{"client A", "client B", "account 1", "account 2"}},
	} {
		before := map[string]uint64{}
		for name, sc := range scopes {
			before[name] = b.version(sc)
		}
		step.do()
		for name, sc := range scopes {
			if moved := b.version(sc) != before[name]; moved != slices.Contains(step.moved, name) {
				t.Errorf("%s: the version of %s moved: %v", step.what, name, moved)
			}
		}
	}
}

// TestAMemoKeepsAReadUntilItsVersionMovesOrItExpires: callers at one version share
// one read; a new version, or an old entry, reads again; a failed read is not kept.
func TestAMemoKeepsAReadUntilItsVersionMovesOrItExpires(t *testing.T) {
	var m memo
	ctx := context.Background()
	reads := 0
	load := func(context.Context) (any, error) { reads++; return reads, nil }
	get := func(version uint64) any {
		t.Helper()
		v, err := m.get(ctx, "k", version, load)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if first, second := get(1), get(1); first != 1 || second != 1 || reads != 1 {
		t.Fatalf("two gets at one version: %v, %v, %d reads", first, second, reads)
	}
	if get(2) != 2 || reads != 2 {
		t.Fatalf("a get at a new version: %d reads", reads)
	}
	e := m.kept["k"]
	e.at = e.at.Add(-memoTTL)
	m.kept["k"] = e
	if get(2) != 3 {
		t.Fatalf("a get after the entry expired: %d reads", reads)
	}
	boom := errors.New("boom")
	if _, err := m.get(ctx, "k", 3, func(context.Context) (any, error) { return nil, boom }); !errors.Is(err, boom) {
		t.Fatalf("a failed read: %v", err)
	}
	if get(3) != 4 {
		t.Fatalf("a get after a failed read: %d reads", reads)
	}

	// Concurrent callers share the read in flight.
	release := make(chan struct{})
	var started sync.WaitGroup
	started.Add(1)
	var shared atomic.Int32
	slow := func(context.Context) (any, error) { shared.Add(1); started.Done(); <-release; return "slow", nil }
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if v, err := m.get(ctx, "slow", 1, slow); err != nil || v != "slow" {
				t.Errorf("a caller sharing a read got %v, %v", v, err)
			}
		}()
	}
	started.Wait()
	time.Sleep(20 * time.Millisecond) // let the others join the read
	close(release)
	wg.Wait()
	if n := shared.Load(); n != 1 {
		t.Errorf("10 concurrent callers made %d reads", n)
	}
}
