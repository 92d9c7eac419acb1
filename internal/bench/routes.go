package main

import (
	"fmt"
	"sync"
	"time"

	"github.com/dispatchkit/connect"
)

// routes measures route events through the Service (connect.Service.ApplyRouteEvents
// as the host's route sync, batches of batch events over submitted orders: each
// order scheduled, started, then completed, one event per order per batch) against
// the floor: the same compare-and-set UPDATE and history INSERT, batch per
// transaction, in raw SQL through pgx. Target: ≥ 20k events/s through the Service.
func (b *bench) routes(account connect.AccountID, n, batch, workers int) error {
	fmt.Printf("\n== Route events (%s): %d orders × schedule, start, complete, in batches of %d; %d host stream(s) through the Service, one for the floor\n", account, n, batch, workers)
	svc, err := connect.New(connect.Config{Store: b.store})
	if err != nil {
		return err
	}
	defer func() { _ = svc.Close() }()
	const clients = 10
	for c := range clients {
		cl := &connect.Client{ID: connect.ClientID(fmt.Sprintf("%s-rc%02d", account, c)), Account: account, Name: fmt.Sprintf("Route client %d", c),
			Status: connect.ClientActive, CreatedAt: time.Now(), UpdatedAt: time.Now()}
		if err := b.store.CreateClient(b.ctx, connect.Scope{Account: account}, cl); err != nil {
			return err
		}
	}
	// Two sets of submitted orders: one for the Service, one for the floor.
	seed := func(prefix string) ([]connect.OrderID, error) {
		var ids []connect.OrderID
		for c := range clients {
			orders, events := drafts(connect.ClientID(fmt.Sprintf("%s-rc%02d", account, c)), n/clients)
			for i, o := range orders {
				o.ID = connect.OrderID(fmt.Sprintf("%s-%s", prefix, o.ID)) // drafts' ids carry the client's
				o.Account, o.Ref = account, prefix+"-"+o.Ref
				o.Status, o.SubmittedAt = connect.StatusSubmitted, o.CreatedAt
				events[i].Order, events[i].To = o.ID, connect.StatusSubmitted
				ids = append(ids, o.ID)
			}
			if err := b.store.CreateOrders(b.ctx, connect.Scope{Account: account}, orders, events); err != nil {
				return nil, err
			}
		}
		// interleave the clients, as a route does
		out := make([]connect.OrderID, 0, len(ids))
		per := n / clients
		for i := range per {
			for c := range clients {
				out = append(out, ids[c*per+i])
			}
		}
		return out, nil
	}
	svcOrders, err := seed("s")
	if err != nil {
		return err
	}
	rawOrders, err := seed("r")
	if err != nil {
		return err
	}
	if err := b.exec("VACUUM ANALYZE orders"); err != nil {
		return err
	}
	if err := b.exec("VACUUM ANALYZE order_events"); err != nil {
		return err
	}

	// Through the Service: workers host streams at once, each over its own orders.
	steps := []connect.Event{connect.EventSchedule, connect.EventStart, connect.EventComplete}
	var (
		mu     sync.Mutex
		seq    int
		at     = time.Now().UTC()
		events int
	)
	next := func() (string, time.Time) {
		mu.Lock()
		defer mu.Unlock()
		seq++
		at = at.Add(time.Microsecond)
		return fmt.Sprintf("rev-%d", seq), at
	}
	// svcStep sends one step of a route's orders through the Service.
	svcStep := func(group []connect.OrderID, step connect.Event, start int) error {
		evs := make([]connect.RouteEvent, len(group))
		for i, id := range group {
			evID, evAt := next()
			ev := connect.RouteEvent{ID: evID, Order: id, Event: step, At: evAt}
			switch step {
			case connect.EventSchedule:
				ev.Route = connect.RouteStop{RouteID: fmt.Sprintf("route-%d", start/batch), Position: i + 1}
			case connect.EventStart:
				ev.ETA = evAt.Add(time.Hour)
			case connect.EventComplete:
				ev.Proof = &connect.ProofOfDelivery{RecipientName: "Pat", At: evAt}
			}
			evs[i] = ev
		}
		res, err := svc.ApplyRouteEvents(b.ctx, connect.AsRouteSync(account), evs)
		if err != nil {
			return err
		}
		if res.Applied != len(evs) || len(res.Errors) > 0 {
			return fmt.Errorf("batch applied %d of %d events (stale %d, replayed %d, errors %v)",
				res.Applied, len(evs), res.Stale, res.Replayed, res.Errors)
		}
		mu.Lock()
		events += len(evs)
		mu.Unlock()
		return nil
	}
	stream := func(orders []connect.OrderID) error {
		for start := 0; start < len(orders); start += batch {
			group := orders[start:min(start+batch, len(orders))]
			for _, step := range steps {
				if err := svcStep(group, step, start); err != nil {
					return err
				}
			}
		}
		return nil
	}
	// The floor: the same UPDATE and INSERT, batch per transaction.
	statusOf := map[connect.Event][2]string{
		connect.EventSchedule: {"submitted", "scheduled"},
		connect.EventStart:    {"scheduled", "en_route"},
		connect.EventComplete: {"en_route", "delivered"},
	}
	version := map[connect.OrderID]int{}
	var rawEvents int
	// rawStep applies one step of a route's orders in raw SQL, in one
	// transaction.
	rawStep := func(group []connect.OrderID, step connect.Event, start int) error {
		var (
			ids, froms, tos, routes, proofs []string
			positions, versions             []int32
			etas, evAt                      []time.Time
		)
		for i, id := range group {
			v := version[id] + 1
			_, at := next()
			ids, froms, tos = append(ids, string(id)), append(froms, statusOf[step][0]), append(tos, statusOf[step][1])
			routes, positions = append(routes, fmt.Sprintf("route-%d", start/batch)), append(positions, int32(i+1))
			versions, etas, evAt = append(versions, int32(v)), append(etas, at.Add(time.Hour)), append(evAt, at)
			proofs = append(proofs, `{"recipient":"Pat"}`)
			version[id] = v
		}
		tx, err := b.admin.Begin(b.ctx)
		if err != nil {
			return err
		}
		tag, err := tx.Exec(b.ctx, `UPDATE orders o SET status = v.to_status, route_id = v.route_id,
	route_position = v.position, eta = v.eta, proof = v.proof, route_event_at = v.at, updated_at = v.at,
	version = v.version + 1
FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::text[], $6::int[], $7::timestamptz[], $8::text[], $9::timestamptz[])
	AS v(id, from_status, to_status, version, route_id, position, eta, proof, at)
WHERE o.account_id = $10 AND o.id = v.id AND o.status = v.from_status AND o.version = v.version`,
			ids, froms, tos, versions, routes, positions, etas, proofs, evAt, string(account))
		if err != nil {
			_ = tx.Rollback(b.ctx)
			return err
		}
		if int(tag.RowsAffected()) != len(group) {
			_ = tx.Rollback(b.ctx)
			return fmt.Errorf("the floor's UPDATE matched %d of %d orders", tag.RowsAffected(), len(group))
		}
		_, err = tx.Exec(b.ctx, `INSERT INTO order_events (account_id, client_id, order_id, event, from_status, to_status, occurred_at, actor, eta)
SELECT $1, o.client_id, v.id, $2, v.from_status, v.to_status, v.at, 'route sync', v.eta
FROM unnest($3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::timestamptz[]) AS v(id, from_status, to_status, at, eta)
JOIN orders o ON o.id = v.id`, string(account), string(step), ids, froms, tos, evAt, etas)
		if err != nil {
			_ = tx.Rollback(b.ctx)
			return err
		}
		if err := tx.Commit(b.ctx); err != nil {
			return err
		}
		rawEvents += len(group)
		return nil
	}

	// One host stream: the Service's batches and the floor's alternate (each
	// first in turn), so that both meet the same table, indexes, autovacuum and
	// machine load; each side's time is the sum of its own batches. Several
	// streams: the Service's run at once, then the floor's.
	var svcTime, rawTime time.Duration
	if err := b.exec("CHECKPOINT"); err != nil {
		return err
	}
	if workers == 1 {
		timedStep := func(d *time.Duration, f func([]connect.OrderID, connect.Event, int) error, group []connect.OrderID, step connect.Event, start int) error {
			began := time.Now()
			err := f(group, step, start)
			*d += time.Since(began)
			return err
		}
		for start, turn := 0, 0; start < len(svcOrders); start += batch {
			svcGroup := svcOrders[start:min(start+batch, len(svcOrders))]
			rawGroup := rawOrders[start:min(start+batch, len(rawOrders))]
			for _, step := range steps {
				turn++
				first, second := func() error { return timedStep(&svcTime, svcStep, svcGroup, step, start) },
					func() error { return timedStep(&rawTime, rawStep, rawGroup, step, start) }
				if turn%2 == 0 {
					first, second = second, first
				}
				if err := first(); err != nil {
					return err
				}
				if err := second(); err != nil {
					return err
				}
			}
		}
	} else {
		per := len(svcOrders) / workers
		var err error
		svcTime, err = b.timed(func() error {
			errs := make(chan error, workers)
			for w := range workers {
				go func() { errs <- stream(svcOrders[w*per : (w+1)*per]) }()
			}
			var first error
			for range workers {
				if err := <-errs; err != nil && first == nil {
					first = err
				}
			}
			return first
		})
		if err != nil {
			return fmt.Errorf("through the Service: %w", err)
		}
		rawTime, err = b.timed(func() error {
			for start := 0; start < len(rawOrders); start += batch {
				group := rawOrders[start:min(start+batch, len(rawOrders))]
				for _, step := range steps {
					if err := rawStep(group, step, start); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("the floor: %w", err)
		}
	}
	perSec := func(n int, d time.Duration) float64 { return float64(n) / d.Seconds() }
	fmt.Printf("%-58s %8d events %8.0f ms %9.0f events/s\n", "Service.ApplyRouteEvents (host events, history, replays)", events, ms(svcTime), perSec(events, svcTime))
	fmt.Printf("%-58s %8d events %8.0f ms %9.0f events/s\n", "floor: raw UPDATE … FROM unnest + INSERT, per batch tx", rawEvents, ms(rawTime), perSec(rawEvents, rawTime))
	fmt.Printf("Service / floor: %.2f× the floor's rate (target ≥ 0.80×); %.2f× its time; ≥ 20000 events/s: %v\n",
		perSec(events, svcTime)/perSec(rawEvents, rawTime), float64(svcTime)/float64(rawTime), perSec(events, svcTime) >= 20000)
	return nil
}
