package live

import (
	"sync"
	"sync/atomic"
)

// Broadcaster wakes readers without ever blocking, and counts the wake-ups. Each
// reader has a channel holding at most one pending wake-up, which is all it needs
// to go and read, and the scope it reads, so that a commit wakes only the readers
// it concerns. The zero Broadcaster is ready to use.
//
// The counts change before any reader is woken: a reader that takes Generation or
// Version before it reads, and reads again when woken, never misses a commit.
type Broadcaster struct {
	mu   sync.Mutex
	subs map[chan struct{}]Scope
	// ListenFunc's readers by account, then client ("" for the account's
	// readers; the zero Scope's under account ""): a commit finds the readers
	// it concerns without looking at the others (ten thousand streams, a
	// route event touching a hundred clients).
	funcs map[string]map[string]map[*listener]struct{}
	gen   atomic.Uint64 // wake-ups so far

	// Wake-ups and touches so far by what they said was touched (see Version).
	untold     uint64            // those that did not say (another process's)
	ofClient   map[Scope]uint64  // of a client
	ofClients  map[string]uint64 // of any client of an account
	ofAccounts map[string]uint64 // of a whole account
}

// Generation counts the wake-ups so far (Touch does not count): it changes before
// any reader is woken.
func (b *Broadcaster) Generation() uint64 { return b.gen.Load() }

// Version counts the wake-ups and touches so far that may concern a reader of
// scope: it changes before any reader is woken by a commit that may have changed
// what the reader reads. A client's version moves with its own commits, its
// account's and untold ones; an account's with any of its clients' too.
func (b *Broadcaster) Version(scope Scope) uint64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	v := b.untold + b.ofAccounts[scope.Account]
	if scope.Client == "" {
		return v + b.ofClients[scope.Account]
	}
	return v + b.ofClient[scope]
}

// Listen registers a reader of scope: the channel receives a wake-up after each
// commit that concerns it (one pending at most). stop unregisters it.
func (b *Broadcaster) Listen(scope Scope) (wake <-chan struct{}, stop func()) {
	ch := make(chan struct{}, 1)
	b.mu.Lock()
	if b.subs == nil {
		b.subs = map[chan struct{}]Scope{}
	}
	b.subs[ch] = scope
	b.mu.Unlock()
	return ch, func() {
		b.mu.Lock()
		delete(b.subs, ch)
		b.mu.Unlock()
	}
}

// listener is a reader registered by ListenFunc.
type listener struct{ wake func() }

// ListenFunc registers a reader of scope that holds no channel, for a process
// with many of them that wait without a goroutine each: wake is called, with
// the Broadcaster's lock held, after each commit that concerns the reader. It
// must return at once (mark its reader to be read, and return) and never call
// the Broadcaster. stop unregisters it; wake is not called after stop returns.
func (b *Broadcaster) ListenFunc(scope Scope, wake func()) (stop func()) {
	l := &listener{wake: wake}
	b.mu.Lock()
	if b.funcs == nil {
		b.funcs = map[string]map[string]map[*listener]struct{}{}
	}
	clients := b.funcs[scope.Account]
	if clients == nil {
		clients = map[string]map[*listener]struct{}{}
		b.funcs[scope.Account] = clients
	}
	ls := clients[scope.Client]
	if ls == nil {
		ls = map[*listener]struct{}{}
		clients[scope.Client] = ls
	}
	ls[l] = struct{}{}
	b.mu.Unlock()
	stopped := false
	return func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		if stopped {
			return
		}
		stopped = true
		// ls and clients are still the maps it was added to: a map is let go
		// only once empty, after its last listener stopped.
		delete(ls, l)
		if len(ls) == 0 {
			delete(clients, scope.Client)
			if len(clients) == 0 {
				delete(b.funcs, scope.Account)
			}
		}
	}
}

// wakeFuncs calls the ListenFunc readers a commit that touched those scopes
// concerns (all of them for none), each once; b.mu is held.
func (b *Broadcaster) wakeFuncs(touched []Scope) {
	if len(b.funcs) == 0 { // a process with no follower: every commit passes here
		return
	}
	wakeAll := func(ls map[*listener]struct{}) {
		for l := range ls {
			l.wake()
		}
	}
	if len(touched) == 0 {
		for _, clients := range b.funcs {
			for _, ls := range clients {
				wakeAll(ls)
			}
		}
		return
	}
	for _, ls := range b.funcs[""] { // the zero Scope's readers: every commit
		wakeAll(ls)
	}
	woken := make(map[Scope]bool, 2*len(touched))
	wakeScope := func(clients map[string]map[*listener]struct{}, sc Scope) {
		if !woken[sc] {
			woken[sc] = true
			wakeAll(clients[sc.Client])
		}
	}
	for _, t := range touched {
		clients := b.funcs[t.Account]
		if clients == nil || t.Account == "" {
			continue
		}
		if t.Client == "" { // the account's commit: every reader within it
			for c := range clients {
				wakeScope(clients, Scope{Account: t.Account, Client: c})
			}
			continue
		}
		wakeScope(clients, t)                         // the client's readers
		wakeScope(clients, Scope{Account: t.Account}) // and its account's
	}
}

// Wake tells the readers of the touched scopes to read: called after a commit.
// With no scope it wakes every reader (a commit of another process, which says
// nothing of what it touched).
func (b *Broadcaster) Wake(touched ...Scope) {
	b.gen.Add(1)
	b.mu.Lock()
	defer b.mu.Unlock()
	b.count(touched)
	for ch, sc := range b.subs {
		if len(touched) > 0 && !sc.concerns(touched) {
			continue
		}
		select {
		case ch <- struct{}{}:
		default:
		}
	}
	b.wakeFuncs(touched)
}

// Touch counts a commit that touched scopes in their versions but wakes no
// reader: one that wrote nothing the readers listening here read (a deleted draft
// writes no event), which kept results (Memo) may still depend on.
func (b *Broadcaster) Touch(touched ...Scope) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.count(touched)
}

// count counts a wake-up in the versions of what it touched.
func (b *Broadcaster) count(touched []Scope) {
	if len(touched) == 0 {
		b.untold++
		return
	}
	if b.ofClient == nil {
		b.ofClient, b.ofClients, b.ofAccounts = map[Scope]uint64{}, map[string]uint64{}, map[string]uint64{}
	}
	for _, t := range touched {
		if t.Client == "" {
			b.ofAccounts[t.Account]++
			continue
		}
		b.ofClient[t]++
		b.ofClients[t.Account]++
	}
}
