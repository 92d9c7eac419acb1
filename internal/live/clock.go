package live

import "time"

// Clock is the time this package reads (a Memo's lifetimes) and waits on (a
// Relay's backoff; the connect Service's poll of its subscribers). The Service
// gives SystemClock(Config.Now); tests give a FakeClock and advance it.
type Clock interface {
	Now() time.Time
	// NewTimer returns a timer that fires once, d from now.
	NewTimer(d time.Duration) Timer
}

// Timer is a Clock's one-shot timer.
type Timer interface {
	// C receives the time when the timer fires.
	C() <-chan time.Time
	// Stop keeps the timer from firing; it reports false if it has fired already.
	Stop() bool
}

// SystemClock returns the clock whose time is now() (nil: time.Now), and whose
// timers are the time package's, waiting real time.
func SystemClock(now func() time.Time) Clock {
	if now == nil {
		now = time.Now
	}
	return systemClock{now: now}
}

type systemClock struct{ now func() time.Time }

func (c systemClock) Now() time.Time { return c.now() }

func (systemClock) NewTimer(d time.Duration) Timer { return systemTimer{time.NewTimer(d)} }

type systemTimer struct{ t *time.Timer }

func (t systemTimer) C() <-chan time.Time { return t.t.C }
func (t systemTimer) Stop() bool          { return t.t.Stop() }
