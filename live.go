package connect

import (
	"slices"
	"time"

	"github.com/dispatchkit/connect/internal/live"
)

// subscriberPoll is how often a subscription reads the Store when nothing woke it:
// a wake-up lost (or never sent by another process) delays an event, never loses it.
const subscriberPoll = 2 * time.Second

// memoTTL is how long OrderStats keeps counts that no commit it heard of changed:
// it bounds how stale they may be after another process's commit that no wake-up
// told of (a Store that cannot wake across processes).
const memoTTL = subscriberPoll

// startLive sets up the Service's live updates (package internal/live) on clock:
// wake-ups for subscribers and outbox workers, the subscribers' shared reads,
// OrderStats' memo, and the relay of the Store's cross-process wake-ups (started
// by the first reader that needs it).
func (s *Service) startLive(clock live.Clock) {
	s.liveClock = clock
	s.subscribers, s.outboxWorkers = new(live.Broadcaster), new(live.Broadcaster)
	s.feedReads = live.NewShared[eventsPage](s.subscribers)
	s.accessReads = live.NewShared[struct{}](s.subscribers)
	s.stats = live.NewMemo[*OrderStats](s.subscribers, clock, memoTTL)
	var src live.Source
	if w, ok := s.store.(Waker); ok {
		src = w
	}
	s.relay = live.NewRelay(src, clock, s.log, s.subscribers, s.outboxWorkers)
	s.followers = newFollowers(s)
}

// committed tells local subscribers of the touched scopes, and outbox workers, to
// read: called after every commit that wrote order events.
func (s *Service) committed(touched ...Scope) {
	s.subscribers.Wake(liveScopes(touched)...)
	s.outboxWorkers.Wake()
}

// touched counts a commit that touched scopes but wrote no event (a deleted
// draft): what is kept of those scopes (OrderStats) is read again, and no
// subscriber is woken.
func (s *Service) touched(scopes ...Scope) {
	s.subscribers.Touch(liveScopes(scopes)...)
}

// liveScope is a tenant as package live knows it: opaque keys.
func liveScope(sc Scope) live.Scope {
	return live.Scope{Account: string(sc.Account), Client: string(sc.Client)}
}

func liveScopes(scopes []Scope) []live.Scope {
	out := make([]live.Scope, len(scopes))
	for i, sc := range scopes {
		out[i] = liveScope(sc)
	}
	return out
}

// scopesOf returns the scopes of the orders, each once.
func scopesOf(orders []*Order) []Scope {
	var out []Scope
	for _, o := range orders {
		sc := Scope{Account: o.Account, Client: o.Client}
		if !slices.Contains(out, sc) {
			out = append(out, sc)
		}
	}
	return out
}
