package shopifytest

import (
	"context"
	"sync"
	"time"
)

// Clock is a fake clock for the server and the client under test: Sleep moves it
// forward instead of waiting, so a test that drains the rate-limit bucket and
// waits for it to refill runs in milliseconds. Its zero value starts at
// 2026-11-02 09:00 UTC; it is safe for concurrent use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

var clockStart = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.t.IsZero() {
		c.t = clockStart
	}
	return c.t
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.t.IsZero() {
		c.t = clockStart
	}
	c.t = c.t.Add(d)
}

// Sleep advances the clock by d at once, or returns ctx's error if ctx has
// ended, as a real sleep would.
func (c *Clock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.Advance(d)
	return nil
}
