package connecttest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/dispatchkit/connect"
)

// RouteSyncHost is a host's RouteSync as RunRouteSync drives it: the RouteSync,
// and a look into the host's stop list.
type RouteSyncHost interface {
	connect.RouteSync
	// Routable reports whether the host's stop list holds the order as a stop
	// to route (or routed): true from its submission until it is withdrawn or
	// cancelled.
	Routable(ctx context.Context, id connect.OrderID) (bool, error)
}

// RunRouteSync checks a host's RouteSync against connect's contract
// (connect.RouteSync), as the outbox really delivers: changes replayed with
// the same Key, delivered out of order, an old submission arriving after the
// withdrawal that undid it, an order submitted again after it was withdrawn,
// cancellations, and many orders delivered concurrently. newHost returns a host
// with an empty stop list for each subtest. The reference implementation,
// StopList, passes it.
func RunRouteSync(t *testing.T, newHost func(t *testing.T) RouteSyncHost) {
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, s *syncScript)
	}{
		{"SubmittedOrderBecomesAStop", func(t *testing.T, s *syncScript) {
			o := s.order(1)
			s.deliver(s.submit(o))
			s.want(o, true)
		}},
		{"ReplayedChangeIsHarmless", func(t *testing.T, s *syncScript) {
			o := s.order(1)
			c := s.submit(o)
			s.deliver(c)
			s.deliver(c)
			s.want(o, true)
			w := s.withdraw(o)
			s.deliver(w)
			s.deliver(w)
			s.want(o, false)
		}},
		{"WithdrawalEndsTheStop", func(t *testing.T, s *syncScript) {
			o := s.order(1)
			s.deliver(s.submit(o))
			s.deliver(s.withdraw(o))
			s.want(o, false)
		}},
		{"LateSubmissionAfterItsWithdrawalIsIgnored", func(t *testing.T, s *syncScript) {
			// A worker read the submitted order, stalled past its lease, and
			// delivers after another worker delivered the withdrawal.
			o := s.order(1)
			sub := s.submit(o)
			s.deliver(s.withdraw(o))
			s.deliver(sub)
			s.want(o, false)
		}},
		{"SubmittedAgainAfterAWithdrawalIsAStop", func(t *testing.T, s *syncScript) {
			o := s.order(1)
			first := s.submit(o)
			s.deliver(first)
			withdrawn := s.withdraw(o)
			s.deliver(withdrawn)
			again := s.submit(o)
			s.deliver(again)
			s.want(o, true)
			s.deliver(withdrawn) // old changes replayed after a crash
			s.deliver(first)
			s.want(o, true)
		}},
		{"CancelledOrderLeavesTheStops", func(t *testing.T, s *syncScript) {
			o := s.order(1)
			sub := s.submit(o)
			s.deliver(sub)
			s.deliver(s.change(o, connect.EventCancel, connect.StatusCancelled))
			s.want(o, false)
			s.deliver(sub)
			s.want(o, false)
		}},
		{"ChangeDeliveredAfterTheOrderMovedOnKeepsTheStop", func(t *testing.T, s *syncScript) {
			// The submission is delivered late, when the order is already on a
			// route: c.Order says scheduled.
			o := s.order(1)
			late := s.change(o, connect.EventSubmit, connect.StatusScheduled)
			s.deliver(late)
			s.want(o, true)
		}},
		{"OrdersAreKeptApart", func(t *testing.T, s *syncScript) {
			a, b := s.order(1), s.order(2)
			s.deliver(s.submit(a))
			s.deliver(s.submit(b))
			s.deliver(s.withdraw(a))
			s.want(a, false)
			s.want(b, true)
		}},
		{"ManyOrdersDeliveredConcurrentlyAndOutOfOrder", func(t *testing.T, s *syncScript) {
			const n = 60
			var changes []connect.StopChange
			final := map[*connect.Order]bool{}
			for i := range n {
				o := s.order(i + 1)
				changes = append(changes, s.submit(o))
				switch i % 3 {
				case 1:
					changes = append(changes, s.withdraw(o))
				case 2:
					changes = append(changes, s.withdraw(o), s.submit(o))
				}
				final[o] = i%3 != 1
			}
			// Each change twice, in a shuffled order, from several workers.
			all := append(append([]connect.StopChange(nil), changes...), changes...)
			s.rand.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
			var wg sync.WaitGroup
			next := make(chan connect.StopChange)
			for range 8 {
				wg.Go(func() {
					for c := range next {
						if err := s.host.SyncStop(s.ctx, c); err != nil {
							t.Errorf("SyncStop(%s %s v%d): %v", c.Event, c.Order.ID, c.Order.Version, err)
						}
					}
				})
			}
			for _, c := range all {
				next <- c
			}
			close(next)
			wg.Wait()
			for o, stop := range final {
				s.want(o, stop)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			tc.run(t, &syncScript{t: t, ctx: ctx, host: newHost(t), rand: rand.New(rand.NewPCG(1, 2)),
				prefix: fmt.Sprintf("rs-%d", time.Now().UnixNano())})
		})
	}
}

// syncScript makes an order's changes as the outbox would: each status change
// advances its Version, and each change carries the order as it was then.
type syncScript struct {
	t      *testing.T
	ctx    context.Context
	host   RouteSyncHost
	rand   *rand.Rand
	prefix string // keeps ids apart across subtests sharing a host's store
	keys   int
}

// order returns a draft at Version 1 (created).
func (s *syncScript) order(n int) *connect.Order {
	return &connect.Order{
		ID: connect.OrderID(fmt.Sprintf("%s-o%d", s.prefix, n)), Account: "rs-account", Client: "rs-client",
		Depot: "rs-depot", Status: connect.StatusDraft, Version: 1,
		OrderInput: connect.OrderInput{Ref: fmt.Sprintf("R-%d", n), Address: connect.Address{Line1: fmt.Sprintf("%d Main St", n)}},
	}
}

// change moves o to status (a new Version) and returns the change of ev that
// carries it.
func (s *syncScript) change(o *connect.Order, ev connect.Event, status connect.Status) connect.StopChange {
	o.Status, o.Version = status, o.Version+1
	s.keys++
	snapshot := *o
	return connect.StopChange{Key: fmt.Sprintf("%s-k%d", s.prefix, s.keys), Event: ev, Order: &snapshot}
}

func (s *syncScript) submit(o *connect.Order) connect.StopChange {
	return s.change(o, connect.EventSubmit, connect.StatusSubmitted)
}

func (s *syncScript) withdraw(o *connect.Order) connect.StopChange {
	return s.change(o, connect.EventWithdraw, connect.StatusDraft)
}

// deliver hands c to the host, which must take it.
func (s *syncScript) deliver(c connect.StopChange) {
	s.t.Helper()
	if err := s.host.SyncStop(s.ctx, c); err != nil {
		s.t.Fatalf("SyncStop(%s of %s at version %d): %v", c.Event, c.Order.ID, c.Order.Version, err)
	}
}

// want checks whether the host holds o as a stop.
func (s *syncScript) want(o *connect.Order, stop bool) {
	s.t.Helper()
	got, err := s.host.Routable(s.ctx, o.ID)
	if err != nil {
		s.t.Fatalf("Routable(%s): %v", o.ID, err)
	}
	if got != stop {
		s.t.Fatalf("the host holds %s as a stop: %v, want %v (its last change: version %d, %s)", o.ID, got, stop, o.Version, o.Status)
	}
}
