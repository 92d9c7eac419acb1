package live

import (
	"maps"
	"slices"
	"testing"
)

// The scopes of the tests: two clients of one account, and two accounts.
var (
	clientA  = Scope{Account: "acct-1", Client: "A"}
	clientB  = Scope{Account: "acct-1", Client: "B"}
	account1 = Scope{Account: "acct-1"}
	account2 = Scope{Account: "acct-2"}
)

// woken returns the names of the readers that have a wake-up pending, taking it.
func woken(chans map[string]<-chan struct{}) map[string]bool {
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

// TestACommitWakesOnlyTheReadersItConcerns: a client's commit wakes its own
// readers and its account's, not other clients' or accounts'; a commit that says
// nothing of its scope (another process's) wakes everyone.
func TestACommitWakesOnlyTheReadersItConcerns(t *testing.T) {
	var b Broadcaster
	readers := map[string]Scope{
		"client A": clientA, "client B": clientB,
		"dispatcher of acct-1": account1, "dispatcher of acct-2": account2,
		"outbox worker": {},
	}
	chans := map[string]<-chan struct{}{}
	for name, sc := range readers {
		chans[name], _ = b.Listen(sc)
	}
	b.Wake(clientA)
	got := woken(chans)
	for name, want := range map[string]bool{"client A": true, "client B": false, "dispatcher of acct-1": true,
		"dispatcher of acct-2": false, "outbox worker": true} {
		if got[name] != want {
			t.Errorf("a commit of client A: %s woken %v, want %v", name, got[name], want)
		}
	}
	b.Wake(account1) // a whole account
	if got := woken(chans); !got["client A"] || !got["client B"] || got["dispatcher of acct-2"] {
		t.Errorf("a commit of acct-1 woke %v", got)
	}
	b.Wake(Scope{Account: "acct-2", Client: "C"}, clientB) // one commit, two scopes
	if got, want := woken(chans), map[string]bool{"client B": true, "dispatcher of acct-1": true,
		"dispatcher of acct-2": true, "outbox worker": true}; !maps.Equal(got, want) {
		t.Errorf("a commit of two clients woke %v, want %v", got, want)
	}
	b.Wake()
	if got := woken(chans); len(got) != len(readers) {
		t.Errorf("a commit of another process woke %v, want everyone", got)
	}
}

// TestAWakeUpWaitsForItsReader: a reader slow to read has one wake-up pending
// however many commits there were, and a stopped reader none; neither blocks
// Wake.
func TestAWakeUpWaitsForItsReader(t *testing.T) {
	var b Broadcaster
	sc := clientA
	slow, _ := b.Listen(sc)
	gone, stop := b.Listen(sc)
	stop()
	for range 3 {
		b.Wake(sc)
	}
	if got := woken(map[string]<-chan struct{}{"slow": slow, "gone": gone}); !got["slow"] || got["gone"] {
		t.Fatalf("after three commits: %v woken, want the slow reader only", got)
	}
	if got := woken(map[string]<-chan struct{}{"slow": slow}); got["slow"] {
		t.Fatal("the slow reader had a second wake-up pending")
	}
}

// TestAVersionChangesWithEveryCommitThatMayConcernItsScope: a client's version
// moves with its own commits, its account's and untold ones (another process's);
// an account's with any of its clients'; neither with another client's or
// account's. The generation moves with every wake-up and no touch.
func TestAVersionChangesWithEveryCommitThatMayConcernItsScope(t *testing.T) {
	var b Broadcaster
	scopes := map[string]Scope{"client A": clientA, "client B": clientB, "account 1": account1, "account 2": account2}
	for _, step := range []struct {
		what       string
		do         func()
		moved      []string
		generation bool
	}{
		{"a commit of client A", func() { b.Wake(clientA) }, []string{"client A", "account 1"}, true},
		{"a deleted draft of client B", func() { b.Touch(clientB) }, []string{"client B", "account 1"}, false},
		{"a commit of account 1", func() { b.Wake(account1) }, []string{"client A", "client B", "account 1"}, true},
		{"a commit of account 2's client", func() { b.Wake(Scope{Account: "acct-2", Client: "C"}) }, []string{"account 2"}, true},
		{"another process's commit", func() { b.Wake() }, []string{"client A", "client B", "account 1", "account 2"}, true},
	} {
		before, gen := map[string]uint64{}, b.Generation()
		for name, sc := range scopes {
			before[name] = b.Version(sc)
		}
		step.do()
		for name, sc := range scopes {
			if moved := b.Version(sc) != before[name]; moved != slices.Contains(step.moved, name) {
				t.Errorf("%s: the version of %s moved: %v", step.what, name, moved)
			}
		}
		if moved := b.Generation() != gen; moved != step.generation {
			t.Errorf("%s: the generation moved: %v", step.what, moved)
		}
	}
}

// TestTouchWakesNobody: a commit that wrote nothing readers listen for moves the
// versions of its scope and wakes no one.
func TestTouchWakesNobody(t *testing.T) {
	var b Broadcaster
	ch, _ := b.Listen(clientA)
	b.Touch(clientA)
	if got := woken(map[string]<-chan struct{}{"reader": ch}); got["reader"] {
		t.Fatal("a touch woke a reader")
	}
}

// TestListenFuncIsCalledForTheCommitsItConcerns: a reader without a channel
// is called as a channel's reader would be woken, and not after stop.
func TestListenFuncIsCalledForTheCommitsItConcerns(t *testing.T) {
	var b Broadcaster
	var calls []string
	stopA := b.ListenFunc(clientA, func() { calls = append(calls, "A") })
	b.ListenFunc(account1, func() { calls = append(calls, "acct-1") })
	b.Wake(clientB)
	b.Wake(clientA)
	stopA()
	b.Wake(clientA)
	b.Wake() // another process's commit
	if want := []string{"acct-1", "A", "acct-1", "acct-1", "acct-1"}; !slices.Equal(sorted(calls[:3]), sorted(want[:3])) || !slices.Equal(calls[3:], want[3:]) {
		t.Errorf("calls %v, want %v (the first three in any order)", calls, want)
	}
}

func sorted(s []string) []string { return slices.Sorted(slices.Values(s)) }

// TestListenFuncWakesAsListenDoes: for every kind of commit, each ListenFunc
// reader is called once exactly when a channel reader of its scope is woken
// (a reader of everything, of an account, of a client; commits of a client,
// of several, of an account, of another process), and a reader stopped
// twice, or added again after, is called as it should be.
func TestListenFuncWakesAsListenDoes(t *testing.T) {
	readers := map[string]Scope{"everything": {}, "account 1": account1, "client A": clientA, "client B": clientB,
		"account 2": {Account: "acct-2"}, "client C": {Account: "acct-2", Client: "C"}}
	var b Broadcaster
	calls := map[string]int{}
	chans := map[string]<-chan struct{}{}
	for name, sc := range readers {
		b.ListenFunc(sc, func() { calls[name]++ })
		chans[name], _ = b.Listen(sc)
	}
	// A reader stopped twice, then one of the same scope added: only the new
	// one is called.
	stop := b.ListenFunc(clientA, func() { calls["stopped"]++ })
	stop()
	stop()
	b.ListenFunc(clientA, func() { calls["client A again"]++ })
	for _, commit := range []struct {
		what    string
		touched []Scope
	}{
		{"client A's", []Scope{clientA}},
		{"clients A and B's", []Scope{clientA, clientB}},
		{"client A's and its account's", []Scope{clientA, account1}},
		{"account 1's", []Scope{account1}},
		{"client C's", []Scope{{Account: "acct-2", Client: "C"}}},
		{"a client's of an account with no reader", []Scope{{Account: "acct-3", Client: "X"}}},
		{"another process's", nil},
	} {
		clear(calls)
		b.Wake(commit.touched...)
		woke := woken(chans)
		for name := range readers {
			want := 0
			if woke[name] {
				want = 1
			}
			if calls[name] != want {
				t.Errorf("%s commit: %s called %d times, want %d", commit.what, name, calls[name], want)
			}
		}
		if calls["stopped"] != 0 || calls["client A again"] != calls["client A"] {
			t.Errorf("%s commit: the stopped reader called %d times, the one added after %d (client A: %d)",
				commit.what, calls["stopped"], calls["client A again"], calls["client A"])
		}
	}
}
