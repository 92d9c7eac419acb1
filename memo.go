package connect

import (
	"context"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// memoTTL is how long a memo keeps a read that no commit it heard of changed: it
// bounds how stale a read may be after another process's commit that no wake-up
// told of (a Store that cannot wake across processes).
const memoTTL = subscriberPoll

// memoMaxEntries bounds a memo; past it, expired entries are dropped.
const memoMaxEntries = 4096

// memo keeps the result of a Store read for the callers that ask for the same
// thing until a commit may have changed it, and lets concurrent callers share one
// read. A portal's home page counts a client's orders on every load: fifty members
// of a client loading it while their client imports would count the same ten
// thousand orders fifty times.
//
// Keys must name everything the read depends on, the tenant's scope first: a memo
// never authorizes, and its callers authorize before they ask.
type memo struct {
	group singleflight.Group
	mu    sync.Mutex
	kept  map[string]memoEntry
}

type memoEntry struct {
	val     any
	version uint64
	at      time.Time
}

// get returns the value kept under key if it was read at version (see
// broadcaster.version) less than memoTTL ago, and otherwise reads it with load,
// once for all the callers asking at the same time.
func (m *memo) get(ctx context.Context, key string, version uint64, load func(context.Context) (any, error)) (any, error) {
	m.mu.Lock()
	e, ok := m.kept[key]
	m.mu.Unlock()
	if ok && e.version == version && time.Since(e.at) < memoTTL {
		return e.val, nil
	}
	flight := key + "\x00" + uintString(version)
	read := m.group.DoChan(flight, func() (any, error) {
		// The read outlives a caller that goes away: others may be waiting on it.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sharedReadTimeout)
		defer cancel()
		at := time.Now()
		v, err := load(rctx)
		if err == nil {
			m.keep(key, memoEntry{val: v, version: version, at: at})
		}
		return v, err
	})
	select {
	case r := <-read:
		return r.Val, r.Err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (m *memo) keep(key string, e memoEntry) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.kept == nil {
		m.kept = map[string]memoEntry{}
	}
	if len(m.kept) >= memoMaxEntries {
		for k, old := range m.kept {
			if time.Since(old.at) >= memoTTL {
				delete(m.kept, k)
			}
		}
		if len(m.kept) >= memoMaxEntries {
			clear(m.kept)
		}
	}
	m.kept[key] = e
}
