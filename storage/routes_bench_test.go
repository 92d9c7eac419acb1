package storage

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/internal/pgtest"
	"github.com/uptrace/bun"
)

// queryTimes sums the time of each kind of statement (its first words), while
// on.
type queryTimes struct {
	on atomic.Bool
	mu sync.Mutex
	d  map[string]time.Duration
	n  map[string]int
}

func (q *queryTimes) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context { return ctx }
func (q *queryTimes) AfterQuery(_ context.Context, e *bun.QueryEvent) {
	if !q.on.Load() {
		return
	}
	f := strings.Fields(e.Query)
	k := strings.Join(f[:min(2, len(f))], " ")
	if strings.HasPrefix(k, "SAVEPOINT") || strings.HasPrefix(k, "RELEASE") {
		k = f[0]
	}
	q.mu.Lock()
	q.d[k] += time.Since(e.StartTime)
	q.n[k]++
	q.mu.Unlock()
}

// BenchmarkRouteEvents applies route events through the Service in batches of
// 500 (schedule, start, complete of 500 submitted orders), on SQLite and, with
// CONNECT_TEST_POSTGRES_URL, on PostgreSQL, and with -v prints where the time
// went per kind of statement (all but COPY go through bun's hooks).
//
//	CONNECT_TEST_POSTGRES_URL=… go test ./storage -run - -bench RouteEvents -v
func BenchmarkRouteEvents(b *testing.B) {
	ctx := context.Background()
	b.Run("sqlite", func(b *testing.B) {
		s, err := Open(ctx, "sqlite:"+b.TempDir()+"/bench.db")
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		benchRouteEvents(b, s)
	})
	b.Run("postgres", func(b *testing.B) {
		s, err := Open(ctx, pgtest.Schema(b))
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		benchRouteEvents(b, s)
	})
}

// benchRouteEvents is BenchmarkRouteEvents on one Store.
func benchRouteEvents(b *testing.B, s *Store) {
	ctx := context.Background()
	times := &queryTimes{d: map[string]time.Duration{}, n: map[string]int{}}
	st := *s
	st.db = s.db.WithQueryHook(times)
	st.idb = st.db
	svc, err := connect.New(connect.Config{Store: &st})
	if err != nil {
		b.Fatal(err)
	}
	const batch, clients = 500, 10
	for c := range clients {
		cl := &connect.Client{ID: connect.ClientID(fmt.Sprintf("c%d", c)), Account: "bench", Status: connect.ClientActive}
		if err := st.CreateClient(ctx, connect.Scope{Account: cl.Account}, cl); err != nil {
			b.Fatal(err)
		}
	}
	at := time.Now().UTC()
	seq, n, events := 0, 0, 0
	for b.Loop() {
		b.StopTimer()
		var ids []connect.OrderID
		for c := range clients {
			cl := &connect.Client{ID: connect.ClientID(fmt.Sprintf("c%d", c)), Account: "bench"}
			orders, evs := benchOrders(cl, batch/clients)
			for i, o := range orders {
				n++
				o.ID, o.Ref = connect.OrderID(fmt.Sprintf("%s-%d", o.ID, n)), fmt.Sprintf("%s-%d", o.Ref, n)
				o.Status = connect.StatusSubmitted
				evs[i].Order = o.ID
				ids = append(ids, o.ID)
			}
			if err := st.CreateOrders(ctx, connect.Scope{Account: cl.Account}, orders, evs); err != nil {
				b.Fatal(err)
			}
		}
		times.on.Store(true)
		b.StartTimer()
		for _, step := range []connect.Event{connect.EventSchedule, connect.EventStart, connect.EventComplete} {
			evs := make([]connect.RouteEvent, len(ids))
			for i, id := range ids {
				seq++
				at = at.Add(time.Microsecond)
				evs[i] = connect.RouteEvent{ID: fmt.Sprintf("e%d", seq), Order: id, Event: step, At: at,
					Route: connect.RouteStop{RouteID: "r", Position: i + 1}, ETA: at.Add(time.Hour)}
			}
			res, err := svc.ApplyRouteEvents(ctx, connect.AsRouteSync("bench"), evs)
			if err != nil {
				b.Fatal(err)
			}
			if res.Applied != len(evs) {
				b.Fatalf("applied %d of %d: %+v", res.Applied, len(evs), res)
			}
			events += len(evs)
		}
		times.on.Store(false)
	}
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
	if testing.Verbose() {
		var keys []string
		for k := range times.d {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool { return times.d[keys[i]] > times.d[keys[j]] })
		for _, k := range keys {
			fmt.Printf("%-40s %6d %10v %8v/each\n", k, times.n[k], times.d[k].Round(time.Millisecond), (times.d[k] / time.Duration(times.n[k])).Round(time.Microsecond))
		}
	}
}
