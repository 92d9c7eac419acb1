package live

import (
	"context"
	"fmt"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sync/singleflight"
)

// readTimeout bounds a read that callers share, which no single caller's context
// may cancel (see Shared and Memo).
const readTimeout = time.Minute

// Shared lets the readers of one scope that ask the same thing at the same time
// share one read: one commit wakes every reader of a client at once (fifty
// browser tabs of one team), and each would otherwise run the same query.
//
// A read is shared only by callers at the same generation of its Broadcaster, so
// none misses a commit: a caller woken by a commit asks at the generation after
// that commit's wake-up, and a read started before it has an older one.
type Shared[T any] struct {
	b     *Broadcaster
	group singleflight.Group

	joined func() // tests: called when a caller has asked for a read (shared or not)
}

// NewShared returns shared reads whose generations are b's.
func NewShared[T any](b *Broadcaster) *Shared[T] { return &Shared[T]{b: b} }

// Read returns what read returns, sharing it with the callers that ask for scope
// and args (which must name everything else the read depends on) at the same
// generation. The value is shared: read it, never change it. The read outlives a
// caller that goes away (others may be waiting on it), for at most a minute.
func (s *Shared[T]) Read(ctx context.Context, scope Scope, args string, read func(context.Context) (T, error)) (T, error) {
	key := scope.Account + "\x00" + scope.Client + "\x00" + args + "\x00" + strconv.FormatUint(s.b.Generation(), 10)
	r := s.group.DoChan(key, func() (v any, err error) {
		defer recovered(&err)
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), readTimeout)
		defer cancel()
		return read(rctx)
	})
	if s.joined != nil {
		s.joined()
	}
	return wait[T](ctx, r)
}

// recovered, deferred by a shared read, turns its panic into its error: a
// panic inside singleflight's DoChan is re-raised where no one can recover it,
// which would end the host's process.
func recovered(err *error) {
	if p := recover(); p != nil {
		*err = fmt.Errorf("live: a shared read panicked: %v (at %s)", p, firstFrames(debug.Stack()))
	}
}

// firstFrames keeps the top of a stack, for an error message that says where.
func firstFrames(stack []byte) string {
	lines := strings.Split(string(stack), "\n")
	return strings.Join(lines[:min(len(lines), 12)], " | ")
}

// wait returns a shared read's result, or ctx's error if ctx ends first.
func wait[T any](ctx context.Context, read <-chan singleflight.Result) (T, error) {
	select {
	case r := <-read:
		v, _ := r.Val.(T)
		return v, r.Err
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}
