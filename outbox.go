package connect

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/dispatchkit/connect/internal/live"
)

// effectSet holds, for one transaction, what the side effects of its changes
// read once per client: the active webhook endpoints of clients that want
// events, and clients' recipient notification settings; and the notices the
// changes logged, written by flush.
type effectSet struct {
	tx      Store
	scope   Scope // the caller's
	webhook bool  // a WebhookSender is configured
	notify  bool  // a NoticeTexts is configured
	loc     *time.Location
	hooks   map[ClientID][]*WebhookEndpoint
	notices map[ClientID]*NotifySettings
	logged  []Notice
}

// newEffectSet returns the set of a transaction; nil when neither webhooks nor
// notices are configured (nothing is then read, and nothing is queued).
func (s *Service) newEffectSet(tx Store, scope Scope) *effectSet {
	if s.webhooks == nil && s.notices == nil {
		return nil
	}
	return &effectSet{tx: tx, scope: scope, webhook: s.webhooks != nil, notify: s.notices != nil,
		hooks: map[ClientID][]*WebhookEndpoint{}, notices: map[ClientID]*NotifySettings{}}
}

// load reads what the clients not read yet have, in one query per kind.
func (es *effectSet) load(ctx context.Context, s *Service, clients ...ClientID) error {
	if es == nil {
		return nil
	}
	var todo []ClientID
	for _, c := range clients {
		if _, ok := es.hooks[c]; !ok && !slices.Contains(todo, c) {
			todo = append(todo, c)
			es.hooks[c], es.notices[c] = nil, nil
		}
	}
	if len(todo) == 0 {
		return nil
	}
	if es.webhook {
		list, err := es.tx.Webhooks(ctx, es.scope, WebhookQuery{Clients: todo, Active: true})
		if err != nil {
			return err
		}
		for _, w := range list {
			es.hooks[w.Client] = append(es.hooks[w.Client], w)
		}
	}
	if es.notify {
		list, err := es.tx.NotifySettings(ctx, es.scope, todo)
		if err != nil {
			return err
		}
		for _, n := range list {
			if len(n.Events) > 0 && (n.Email || n.SMS) {
				es.notices[n.Client] = n
			}
		}
		if es.loc == nil {
			if es.loc, err = s.location(ctx, es.scope.Account); err != nil {
				return err
			}
		}
	}
	return nil
}

// tellsOf reports whether a change of the client's orders may be told outside
// (a webhook endpoint, a recipient notice): those messages carry the whole
// order, where the change itself needs only its route state.
func (es *effectSet) tellsOf(c ClientID) bool {
	return es != nil && (len(es.hooks[c]) > 0 || es.notices[c] != nil)
}

// webhooksOf returns the loaded endpoints of a client.
func (es *effectSet) webhooksOf(c ClientID) []*WebhookEndpoint {
	if es == nil {
		return nil
	}
	return es.hooks[c]
}

// flush writes the notices the set's changes logged, after their outbox
// entries.
func (es *effectSet) flush(ctx context.Context) error {
	if es == nil || len(es.logged) == 0 {
		return nil
	}
	err := es.tx.AddNotices(ctx, es.scope, es.logged)
	es.logged = nil
	return err
}

// sideEffects returns the outbox entries a status change calls for: the host's stop
// list learns of submitted, withdrawn and cancelled orders; a Shopify order of a
// client that asked for it is fulfilled in Shopify (on delivery, or when the route
// starts, with progress events after). version is the order's version before the
// change and n the change's place among this transaction's changes of the order,
// which together make each entry's key unique and the same on every retry.
// The client's webhook endpoints that want the event are told of it, and its
// recipient, when the client chose the event (set: what the transaction read
// of the client; from and reason are the change's).
func (s *Service) sideEffects(cl *Client, set *effectSet, o *Order, ev Event, from Status, reason string, version, n int) []OutboxEntry {
	entry := func(kind OutboxKind) OutboxEntry {
		return OutboxEntry{
			Key: fmt.Sprintf("%s/%d/%d/%s", o.ID, version, n, kind), Account: o.Account, Client: o.Client,
			Order: o.ID, Kind: kind, Event: ev, State: OutboxPending, NextAt: o.UpdatedAt,
			CreatedAt: o.UpdatedAt, UpdatedAt: o.UpdatedAt,
		}
	}
	out := webhookEntries(set.webhooksOf(o.Client), o, ev, from, reason, version, n)
	out = append(out, set.noticeEntries(o, ev, version, n)...)
	switch ev {
	case EventSubmit, EventWithdraw, EventCancel:
		if s.routeSync != nil {
			out = append(out, entry(OutboxRouteSync))
		}
	}
	if o.Source != SourceShopify || cl == nil || !cl.Fulfillment.AutoFulfill || s.shopify == nil {
		return out
	}
	fulfil := entry(OutboxFulfill)
	fulfil.NotifyCustomer = cl.Fulfillment.NotifyCustomer
	switch mode := cl.Fulfillment.Mode; {
	case ev == EventComplete && mode != FulfillOnStart:
		out = append(out, fulfil)
	case ev == EventStart && mode == FulfillOnStart:
		out = append(out, fulfil, entry(OutboxFulfillmentEvent))
	case (ev == EventComplete || ev == EventFail) && mode == FulfillOnStart:
		out = append(out, entry(OutboxFulfillmentEvent))
	}
	return out
}

// OutboxOptions tunes RunOutbox. Zero values are the defaults beside each field.
type OutboxOptions struct {
	Batch       int           // entries claimed at once; 0: 50
	Lease       time.Duration // how long a claim is exclusive; 0: 1 minute
	Poll        time.Duration // how often to look when not woken; 0: 1 second
	MaxAttempts int           // tries before an entry is dead; 0: 12
	// Backoff is the delay before try n+1 after n failures; nil: exponential from
	// 1 s doubling to at most 1 hour, with ±20% jitter.
	Backoff func(n int) time.Duration
	// Retention is how long delivered and discarded entries are kept (for the
	// dispatcher's deliveries page) before RunOutbox deletes them; 0: 3 days.
	// Dead and pending entries are never deleted.
	Retention time.Duration
	// HostEventMemory is how long the host's route event ids are remembered, so
	// that a replay does nothing; 0: 30 days. A replay older than that is still
	// harmless (an event never moves an order backwards), only no longer known.
	HostEventMemory time.Duration
}

func (o *OutboxOptions) defaults() {
	if o.Batch <= 0 {
		o.Batch = 50
	}
	if o.Lease <= 0 {
		o.Lease = time.Minute
	}
	if o.Poll <= 0 {
		o.Poll = time.Second
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 12
	}
	if o.Backoff == nil {
		o.Backoff = exponentialBackoff
	}
	if o.Retention <= 0 {
		o.Retention = 3 * 24 * time.Hour
	}
	if o.HostEventMemory <= 0 {
		o.HostEventMemory = 30 * 24 * time.Hour
	}
}

// forgetEvery is how often RunOutbox forgets old route event ids and purges
// old delivered entries.
const forgetEvery = time.Hour

func exponentialBackoff(n int) time.Duration {
	d := time.Second << min(n-1, 12)
	d = min(d, time.Hour)
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}

// RunOutbox delivers outbox entries to the RouteSync, Shopify, Privacy, Mailer, WebhookSender and SMSSender ports until ctx is
// done: each entry with its idempotency key, retried with backoff when the port
// fails, dead with its last error when retries run out. Entries written but not
// delivered before a crash are delivered when a worker runs again; an entry
// delivered but not yet marked done is delivered again with the same key, which
// the port must treat as one. Several workers (in one process or many) may run at
// once: each entry is leased to one of them at a time. About once an hour it also
// forgets the host's route event ids older than opts.HostEventMemory, and deletes
// entries delivered or discarded longer than opts.Retention ago. It returns ctx's
// error.
func (s *Service) RunOutbox(ctx context.Context, opts OutboxOptions) error {
	opts.defaults()
	wake, stop := s.outboxWorkers.Listen(live.Scope{}) // every commit concerns it
	defer stop()
	s.relay.Start()
	// Poll is real time, the one wait here that must fire on its own: a worker
	// that nobody wakes still looks again. Leases, backoff and the hourly forget
	// read the Service's clock (Config.Now), so tests move that instead.
	timer := time.NewTimer(0)
	defer timer.Stop()
	var forgotAt time.Time
	for {
		if now := s.clock(); now.Sub(forgotAt) >= forgetEvery {
			forgotAt = now
			if n, err := s.store.ForgetHostEventsAnyAccount(ctx, now.Add(-opts.HostEventMemory)); err != nil && ctx.Err() == nil {
				s.log.ErrorContext(ctx, "outbox: forgetting old route event ids failed", "err", err)
			} else if n > 0 {
				s.log.InfoContext(ctx, "outbox: forgot old route event ids", "n", n)
			}
			if n, err := s.store.PurgeOutboxAnyAccount(ctx, now.Add(-opts.Retention)); err != nil && ctx.Err() == nil {
				s.log.ErrorContext(ctx, "outbox: deleting old delivered entries failed", "err", err)
			} else if n > 0 {
				s.log.InfoContext(ctx, "outbox: deleted old delivered entries", "n", n)
			}
		}
		n, err := s.DeliverOutbox(ctx, opts)
		if err != nil && ctx.Err() == nil {
			s.log.ErrorContext(ctx, "outbox: claiming entries failed", "err", err)
		}
		if n == opts.Batch {
			continue // there may be more right away
		}
		timer.Reset(opts.Poll)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-wake:
		case <-timer.C:
		}
	}
}

// DeliverOutbox claims one batch of due entries and delivers them, returning how
// many it claimed. RunOutbox calls it in a loop; tests and hosts with their own
// scheduler may call it directly.
func (s *Service) DeliverOutbox(ctx context.Context, opts OutboxOptions) (int, error) {
	opts.defaults()
	entries, err := s.store.ClaimOutboxAnyAccount(ctx, ClaimOutboxParams{Now: s.clock(), Lease: opts.Lease, Limit: opts.Batch})
	if err != nil {
		return 0, err
	}
	leaseEnds := s.clock().Add(opts.Lease)
	for _, e := range entries {
		if ctx.Err() != nil {
			return len(entries), ctx.Err() // the lease runs out; another run retries them
		}
		if !s.clock().Before(leaseEnds) {
			return len(entries), nil // the rest may be another worker's by now
		}
		ectx, span := s.tel.start(ctx, "connect.outbox.deliver")
		outboxAttrs(span, e)
		started := time.Now()
		err := s.deliver(ectx, e)
		fin := FinishOutboxParams{ID: e.ID, State: OutboxDone, Now: s.clock(), Attempts: e.Attempts}
		if err == nil {
			fin.DropPayload = mailKind(e.Kind)
		} else {
			fin.LastError = err.Error()
			if e.Attempts >= opts.MaxAttempts {
				fin.State = OutboxDead
				s.log.ErrorContext(ctx, "outbox: entry dead", "key", e.Key, "attempts", e.Attempts, "err", err)
			} else {
				fin.State, fin.NextAt = OutboxPending, fin.Now.Add(opts.Backoff(e.Attempts))
				s.log.WarnContext(ctx, "outbox: delivery failed; will retry", "key", e.Key, "attempts", e.Attempts, "err", err)
			}
		}
		s.tel.delivered(ectx, span, e, started, fin, err)
		// Recorded even if ctx ends now: the delivery happened.
		switch err := s.store.FinishOutbox(context.WithoutCancel(ctx), Scope{Account: e.Account}, fin); {
		case ErrorCode(err) == Conflict:
			// The lease ran out while delivering and another worker claimed the entry:
			// its outcome is the one to keep (a second delivery has the same key).
			s.log.WarnContext(ctx, "outbox: entry claimed again while being delivered", "key", e.Key, "attempts", e.Attempts)
		case err != nil:
			return len(entries), err
		default:
			s.recordShopifyOutcome(context.WithoutCancel(ctx), e, fin)
		}
	}
	return len(entries), nil
}

// deliver hands one entry to its port.
func (s *Service) deliver(ctx context.Context, e OutboxEntry) error {
	switch e.Kind {
	case OutboxEraseProofFiles, OutboxCustomerData:
		return s.deliverPrivacy(ctx, e)
	case OutboxInviteMail, OutboxPasswordResetMail:
		return s.deliverMail(ctx, e)
	case OutboxWebhook:
		return s.deliverWebhook(ctx, e)
	case OutboxWebhookPausedMail:
		return s.deliverWebhookPausedMail(ctx, e)
	case OutboxRecipientNotice:
		return s.deliverNotice(ctx, e)
	}
	scope := Scope{Account: e.Account, Client: e.Client}
	o, err := s.store.Order(ctx, scope, e.Order)
	if err != nil {
		return err
	}
	switch e.Kind {
	case OutboxRouteSync:
		if s.routeSync == nil {
			return Errorf(Unavailable, "no RouteSync is configured")
		}
		return s.routeSync.SyncStop(ctx, StopChange{Key: e.Key, Event: e.Event, Order: o})
	case OutboxFulfill:
		if s.shopify == nil {
			return Errorf(Unavailable, "no Shopify adapter is configured")
		}
		p := FulfillParams{Key: e.Key, Order: o.Shopify, NotifyCustomer: e.NotifyCustomer}
		if s.tracking != nil && e.Event == EventStart {
			link, err := s.trackingLinkFor(ctx, scope, o, "shopify fulfilment")
			if err != nil {
				return err
			}
			p.TrackingURL = link.URL
		}
		return s.shopify.Fulfill(ctx, Scope{Account: o.Account, Client: o.Client}, p)
	case OutboxFulfillmentEvent:
		if s.shopify == nil {
			return Errorf(Unavailable, "no Shopify adapter is configured")
		}
		p := FulfillmentEventParams{Key: e.Key, Order: o.Shopify, Status: fulfillmentStatus(e.Event), ETA: o.ETA}
		return s.shopify.FulfillmentEvent(ctx, Scope{Account: o.Account, Client: o.Client}, p)
	}
	return Errorf(Internal, "unknown outbox entry kind %q", e.Kind)
}

// fulfillmentStatus maps an order event to the shopper-facing progress it shows.
func fulfillmentStatus(ev Event) FulfillmentStatus {
	switch ev {
	case EventComplete:
		return FulfillmentDelivered
	case EventFail:
		return FulfillmentAttemptedDelivery
	}
	return FulfillmentOutForDelivery
}
