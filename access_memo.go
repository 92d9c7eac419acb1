package connect

import (
	"context"
	"sync"
)

// accessMemoKey keys a context's accessMemo.
type accessMemoKey struct{}

// accessMemo remembers the callers the Service resolved within one context.
type accessMemo struct {
	mu      sync.Mutex
	callers map[Actor]caller
}

// WithAccessMemo returns a context in which the Service checks each actor against
// the Store once, and the calls made with it reuse that check: for the reads that
// make up one page or one API response, which otherwise look the member and its
// client up again for every call (an order page made five such calls). Use it for
// a request that changes nothing, and only for the request's lifetime: a removal,
// or a role changed, in its course would go unseen by its later calls. Live streams
// (Subscribe) keep checking their caller on every burst regardless.
func WithAccessMemo(ctx context.Context) context.Context {
	return context.WithValue(ctx, accessMemoKey{}, &accessMemo{callers: map[Actor]caller{}})
}

// withoutAccessMemo returns ctx without the memo WithAccessMemo put in it.
func withoutAccessMemo(ctx context.Context) context.Context {
	if ctx.Value(accessMemoKey{}) == nil {
		return ctx
	}
	return context.WithValue(ctx, accessMemoKey{}, (*accessMemo)(nil))
}

// remembered returns the caller a context's memo holds for a, if any.
func remembered(ctx context.Context, a Actor) (caller, bool) {
	m, _ := ctx.Value(accessMemoKey{}).(*accessMemo)
	if m == nil {
		return caller{}, false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.callers[a]
	return c, ok
}

// remember keeps a resolved caller in a context's memo, if it has one.
func remember(ctx context.Context, a Actor, c caller) {
	if m, _ := ctx.Value(accessMemoKey{}).(*accessMemo); m != nil {
		m.mu.Lock()
		m.callers[a] = c
		m.mu.Unlock()
	}
}
