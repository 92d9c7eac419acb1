package connecttest

import (
	"context"
	"slices"
	"sync"
)

// record is what a recording fake shares: the calls it took, in order, which of
// the next calls fail, and a way to wait for calls without sleeping.
type record[T any] struct {
	mu       sync.Mutex
	took     []T
	attempts int
	err      error // what failing calls return
	failing  int   // calls left to fail; < 0: every call
	grew     chan struct{}
}

// take records v, or returns the error the test asked for instead.
func (r *record[T]) take(v T) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.attempts++
	if r.failing != 0 {
		if r.failing > 0 {
			r.failing--
		}
		return r.err
	}
	r.took = append(r.took, v)
	if r.grew != nil {
		close(r.grew)
		r.grew = nil
	}
	return nil
}

func (r *record[T]) all() []T {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.took)
}

func (r *record[T]) tries() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.attempts
}

func (r *record[T]) fail(n int, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err == nil {
		n = 0
	}
	r.failing, r.err = n, err
}

// await returns the calls taken once there are at least n, or ctx's error.
func (r *record[T]) await(ctx context.Context, n int) ([]T, error) {
	for {
		r.mu.Lock()
		if len(r.took) >= n {
			out := slices.Clone(r.took)
			r.mu.Unlock()
			return out, nil
		}
		if r.grew == nil {
			r.grew = make(chan struct{})
		}
		grew := r.grew
		r.mu.Unlock()
		select {
		case <-grew:
		case <-ctx.Done():
			return r.all(), ctx.Err()
		}
	}
}
