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
	mu    sync.Mutex
	subs  map[chan struct{}]Scope
	funcs map[*listener]Scope // ListenFunc's readers
	gen   atomic.Uint64       // wake-ups so far

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
		b.funcs = map[*listener]Scope{}
	}
	b.funcs[l] = scope
	b.mu.Unlock()
	return func() {
		b.mu.Lock()
		delete(b.funcs, l)
		b.mu.Unlock()
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
	for l, sc := range b.funcs {
		if len(touched) == 0 || sc.concerns(touched) {
			l.wake()
		}
	}
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
