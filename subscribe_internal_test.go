package connect

import "testing"

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
