package connecttest

import (
	"sync"
	"time"
)

// Start is where the World's clock starts unless WithClock or WithNow says
// otherwise: a fixed instant, so that what a test stores and prints is the same on
// every run.
var Start = time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)

// Clock is a fake clock that the test moves: nothing in a Service on it waits for
// real time to pass (invite expiry, outbox leases, backoff, retry times). It is safe
// for concurrent use. Make one with NewClock.
type Clock struct {
	mu   sync.Mutex
	now  time.Time
	step time.Duration
}

// NewClock returns a clock standing at start.
func NewClock(start time.Time) *Clock { return &Clock{now: start} }

// Now returns the clock's time, then moves the clock on by its AutoAdvance step.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now
	c.now = c.now.Add(c.step)
	return now
}

// Advance moves the clock forward by d (back, when d is negative) and returns the
// new time.
func (c *Clock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	return c.now
}

// Set puts the clock at t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// AutoAdvance makes every reading of Now move the clock on by d afterwards (0: the
// clock stands still between Advance and Set). The World's clock steps 1 ms, so
// that things made one after the other get distinct times and list in the order
// they were made.
func (c *Clock) AutoAdvance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.step = d
}
