package connect_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/dispatchkit/connect"
)

// BenchmarkEventToSubscriber measures how long a committed status change takes to
// reach a portal subscriber: from just before ApplyRouteEvents commits to the event
// arriving on the subscription. It reports p50 and p99 in milliseconds. The store
// is SQLite, or PostgreSQL with CONNECT_TEST_STORE=postgres.
//
// same-process subscribes through the Service that commits (the in-memory fan-out);
// other-process through a second Service on a Store of its own over the same
// database, as a portal process beside the one receiving route events would: on
// PostgreSQL it hears of the commit by LISTEN/NOTIFY, on SQLite by polling.
func BenchmarkEventToSubscriber(b *testing.B) {
	b.Run("same-process", func(b *testing.B) {
		w := newWorld(b)
		benchmarkEventToSubscriber(b, w, w.svc)
	})
	b.Run("other-process", func(b *testing.B) {
		w := newWorld(b)
		benchmarkEventToSubscriber(b, w, w.otherProcess())
	})
}

func benchmarkEventToSubscriber(b *testing.B, w *world, subscriber *connect.Service) {
	ctx, cancel := context.WithCancel(w.ctx)
	defer cancel()
	sub, err := subscriber.Subscribe(ctx, w.owner, connect.SubscribeParams{Buffer: 1024})
	if err != nil {
		b.Fatal(err)
	}
	orders := w.submitted(b.N)
	for range 2 * b.N { // the creates and submits made above
		<-sub.Events()
	}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i, o := range orders {
		start := time.Now()
		_, err := w.svc.ApplyRouteEvents(w.ctx, connect.AsRouteSync(w.acct), []connect.RouteEvent{ev(fmt.Sprint("lat", i), o.ID, connect.EventSchedule, i)})
		if err != nil {
			b.Fatal(err)
		}
		e := <-sub.Events()
		if e.Order != o.ID {
			b.Fatalf("event for %s, want %s", e.Order, o.ID)
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(lat)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms")
	b.ReportMetric(ms(lat[(len(lat)*99)/100]), "p99-ms")
}
