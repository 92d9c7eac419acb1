package live

import (
	"context"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// memoMaxEntries bounds a Memo; past it, expired entries are dropped.
const memoMaxEntries = 4096

// Memo keeps the result of a read for the callers that ask for the same thing,
// until a commit may have changed it or its lifetime ends, and lets concurrent
// callers share one read. A portal's home page counts a client's orders on every
// load: fifty members of a client loading it while their client imports would
// count the same ten thousand orders fifty times.
//
// A result is kept at the version of its scope (Broadcaster.Version) taken before
// it was read, and served only while the version stays there: a commit that
// concerns the scope, told to the Broadcaster, makes the next caller read again.
// The lifetime bounds how stale a result may be after a commit nobody told of (a
// Store that cannot wake across processes).
//
// A memo never authorizes: its callers authorize before they ask.
type Memo[T any] struct {
	b     *Broadcaster
	clock Clock
	ttl   time.Duration
	group singleflight.Group
	mu    sync.Mutex
	kept  map[string]memoEntry[T]

	joined func() // tests: called when a caller has asked for a read (shared or not)
}

type memoEntry[T any] struct {
	val     T
	version uint64
	at      time.Time
}

// NewMemo returns a memo whose versions are b's, and whose results last ttl by
// clock at most.
func NewMemo[T any](b *Broadcaster, clock Clock, ttl time.Duration) *Memo[T] {
	return &Memo[T]{b: b, clock: clock, ttl: ttl}
}

// Get returns the result kept for scope and args (which must name everything else
// the read depends on) if it is still good, and otherwise reads it with load,
// once for all the callers asking at the same time. The result is shared: read
// it, never change it. A failed read is not kept. The read outlives a caller that
// goes away (others may be waiting on it), for at most a minute.
func (m *Memo[T]) Get(ctx context.Context, scope Scope, args string, load func(context.Context) (T, error)) (T, error) {
	version := m.b.Version(scope) // before reading: a commit from now on moves it
	key := scope.Account + "\x00" + scope.Client + "\x00" + args
	if v, ok := m.lookUp(key, version); ok {
		return v, nil
	}
	read := m.group.DoChan(key+"\x00"+strconv.FormatUint(version, 10), func() (_ any, err error) {
		defer recovered(&err)
		// A read of this version that ended as this caller arrived counts.
		if v, ok := m.lookUp(key, version); ok {
			return v, nil
		}
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), readTimeout)
		defer cancel()
		at := m.clock.Now()
		v, err := load(rctx)
		if err == nil {
			m.keep(key, memoEntry[T]{val: v, version: version, at: at})
		}
		return v, err
	})
	if m.joined != nil {
		m.joined()
	}
	return wait[T](ctx, read)
}

// lookUp returns the result kept under key if it was read at version within its
// lifetime.
func (m *Memo[T]) lookUp(key string, version uint64) (T, bool) {
	m.mu.Lock()
	e, ok := m.kept[key]
	m.mu.Unlock()
	if !ok || e.version != version || m.clock.Now().Sub(e.at) >= m.ttl {
		var zero T
		return zero, false
	}
	return e.val, true
}

func (m *Memo[T]) keep(key string, e memoEntry[T]) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.kept == nil {
		m.kept = map[string]memoEntry[T]{}
	}
	if len(m.kept) >= memoMaxEntries {
		now := m.clock.Now()
		for k, old := range m.kept {
			if now.Sub(old.at) >= m.ttl {
				delete(m.kept, k)
			}
		}
		if len(m.kept) >= memoMaxEntries {
			clear(m.kept)
		}
	}
	m.kept[key] = e
}
