package connect

import "github.com/dispatchkit/connect/internal/live"

// What the tests of package connect_test reach inside a Service, so that they wait
// on events and advance clocks instead of sleeping.

// WakeUps returns a channel that receives a wake-up after each commit the Service
// hears of (its own, or another process's through its Store), once what it keeps
// (OrderStats' counts) is read again; stop stops it. It starts the relay of the
// Store's wake-ups.
func WakeUps(s *Service) (wake <-chan struct{}, stop func()) {
	s.relay.Start()
	return s.subscribers.Listen(live.Scope{})
}

// ListeningToTheStore is closed once the Service hears of other processes'
// commits through its Store (see live.Relay.Listening).
func ListeningToTheStore(s *Service) <-chan struct{} { return s.relay.Listening() }

// SetLiveClock makes the Service wait on clock (its subscribers' poll, its relay's
// backoff) and keep OrderStats' counts by its time. Call it before using s.
func SetLiveClock(s *Service, clock live.Clock) { s.startLive(clock) }

// MemoTTL is how long OrderStats keeps counts no commit it heard of changed.
const MemoTTL = memoTTL

// SubscriberPoll is how often a subscription reads the Store when nothing woke it.
const SubscriberPoll = subscriberPoll
