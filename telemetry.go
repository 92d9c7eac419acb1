package connect

import (
	"context"
	"errors"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
)

// InstrumentationName names the tracer and the meter connect's spans and metrics
// come from (the OpenTelemetry instrumentation scope).
const InstrumentationName = "github.com/dispatchkit/connect"

// The attributes of connect's spans and metrics. They carry ids and counts
// only: never a person's name, email, address or phone, nor a token.
const (
	AttrAccount        = attribute.Key("connect.account.id")
	AttrClient         = attribute.Key("connect.client.id")
	AttrOrder          = attribute.Key("connect.order.id")
	AttrOrders         = attribute.Key("connect.orders.count")    // orders a call names
	AttrImportKind     = attribute.Key("connect.import.kind")     // drafts, stops or shopify
	AttrImportRead     = attribute.Key("connect.import.read")     // rows read
	AttrImportImported = attribute.Key("connect.import.imported") // orders stored
	AttrImportRefused  = attribute.Key("connect.import.refused")  // rows refused
	AttrImportOutcome  = attribute.Key("connect.import.outcome")  // imported or refused (connect.import.rows)
	AttrRouteEvents    = attribute.Key("connect.route_events.count")
	AttrRouteOutcome   = attribute.Key("connect.route_event.outcome") // applied, replayed, stale or refused
	AttrOutboxEntry    = attribute.Key("connect.outbox.entry.id")
	AttrOutboxKind     = attribute.Key("connect.outbox.kind")    // an OutboxKind
	AttrOutboxAttempt  = attribute.Key("connect.outbox.attempt") // 1 for the first delivery
	AttrOutboxOutcome  = attribute.Key("connect.outbox.outcome") // delivered, failed (to retry) or dead
	AttrShopifyChange  = attribute.Key("connect.shopify.change") // updated or cancelled
	AttrAttempts       = attribute.Key("connect.attempts")       // transactions run (conflicts retried)
)

// telemetry is the Service's tracer and instruments. With no MeterProvider
// (Config) metered is false and nothing is measured at all: a nil provider
// costs a branch, not the attributes a no-op instrument would still be given.
type telemetry struct {
	tracer  trace.Tracer
	metered bool

	outboxDeliveries metric.Int64Counter     // connect.outbox.deliveries
	outboxDuration   metric.Float64Histogram // connect.outbox.delivery.duration
	importRows       metric.Int64Counter     // connect.import.rows
	importDuration   metric.Float64Histogram // connect.import.duration
	routeEvents      metric.Int64Counter     // connect.route_events
	routeDuration    metric.Float64Histogram // connect.route_events.duration
	subscribers      metric.Int64UpDownCounter
	meter            metric.Meter // for the outbox's gauges (observeOutbox)
}

// backlogTimeout bounds the outbox count a metrics collection makes.
const backlogTimeout = 5 * time.Second

// observeOutbox reports the outbox of every account when metrics are collected
// (one count through backlog each time): connect.outbox.pending and
// connect.outbox.dead, in entries, and connect.outbox.oldest_pending.age, in
// seconds (0 when nothing waits). Every process reports the same database:
// aggregate them by their maximum, not their sum. Service.Close unregisters it.
func (t telemetry) observeOutbox(backlog func(context.Context) (OutboxBacklog, error), now func() time.Time) (metric.Registration, error) {
	if !t.metered {
		return nil, nil
	}
	pending, err1 := t.meter.Int64ObservableGauge("connect.outbox.pending", metric.WithUnit("{entry}"),
		metric.WithDescription("Outbox entries of every account still to deliver, retries included."))
	dead, err2 := t.meter.Int64ObservableGauge("connect.outbox.dead", metric.WithUnit("{entry}"),
		metric.WithDescription("Outbox entries of every account whose retries ran out."))
	age, err3 := t.meter.Float64ObservableGauge("connect.outbox.oldest_pending.age", metric.WithUnit("s"),
		metric.WithDescription("How long the oldest entry still to deliver has waited."))
	if err := errors.Join(err1, err2, err3); err != nil {
		return nil, Errorf(Invalid, "connect.New: Config.MeterProvider: %w", err)
	}
	reg, err := t.meter.RegisterCallback(func(ctx context.Context, o metric.Observer) error {
		ctx, cancel := context.WithTimeout(ctx, backlogTimeout)
		defer cancel()
		b, err := backlog(ctx)
		if err != nil {
			return err // the SDK reports it; the gauges skip this collection
		}
		o.ObserveInt64(pending, int64(b.Pending))
		o.ObserveInt64(dead, int64(b.Dead))
		waited := 0.0
		if !b.OldestPending.IsZero() {
			waited = max(0, now().Sub(b.OldestPending).Seconds())
		}
		o.ObserveFloat64(age, waited)
		return nil
	}, pending, dead, age)
	if err != nil {
		return nil, Errorf(Invalid, "connect.New: Config.MeterProvider: %w", err)
	}
	return reg, nil
}

// newTelemetry makes the tracer and instruments of the providers; nil ones are
// OpenTelemetry's no-op providers, never the global ones.
func newTelemetry(tp trace.TracerProvider, mp metric.MeterProvider) (telemetry, error) {
	if tp == nil {
		tp = tracenoop.NewTracerProvider()
	}
	t := telemetry{tracer: tp.Tracer(InstrumentationName, trace.WithInstrumentationVersion(Version))}
	if mp == nil {
		return t, nil
	}
	m := mp.Meter(InstrumentationName, metric.WithInstrumentationVersion(Version))
	t.metered, t.meter = true, m
	// Buckets for operations that take milliseconds to minutes.
	seconds := metric.WithExplicitBucketBoundaries(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)
	var (
		errs []error
		err  error
	)
	t.outboxDeliveries, err = m.Int64Counter("connect.outbox.deliveries", metric.WithUnit("{delivery}"),
		metric.WithDescription("Outbox entries handed to their port, by kind and outcome (delivered, failed to retry, dead)."))
	errs = append(errs, err)
	t.outboxDuration, err = m.Float64Histogram("connect.outbox.delivery.duration", metric.WithUnit("s"), seconds,
		metric.WithDescription("How long delivering one outbox entry to its port took, by kind and outcome."))
	errs = append(errs, err)
	t.importRows, err = m.Int64Counter("connect.import.rows", metric.WithUnit("{row}"),
		metric.WithDescription("Rows of committed imports, by kind and outcome (imported or refused)."))
	errs = append(errs, err)
	t.importDuration, err = m.Float64Histogram("connect.import.duration", metric.WithUnit("s"), seconds,
		metric.WithDescription("How long an import took, reading and storing, by kind."))
	errs = append(errs, err)
	t.routeEvents, err = m.Int64Counter("connect.route_events", metric.WithUnit("{event}"),
		metric.WithDescription("The host's route events, by outcome (applied, replayed, stale, refused)."))
	errs = append(errs, err)
	t.routeDuration, err = m.Float64Histogram("connect.route_events.duration", metric.WithUnit("s"), seconds,
		metric.WithDescription("How long applying one batch of route events took."))
	errs = append(errs, err)
	t.subscribers, err = m.Int64UpDownCounter("connect.live.subscribers", metric.WithUnit("{subscriber}"),
		metric.WithDescription("Live subscriptions open in this process (the portal's event streams among them)."))
	errs = append(errs, err)
	if err := errors.Join(errs...); err != nil {
		return telemetry{}, Errorf(Invalid, "connect.New: Config.MeterProvider: %w", err)
	}
	return t, nil
}

// start starts a span of an operation. Its attributes are set by the caller,
// when span.IsRecording(), so that a no-op tracer costs nothing more.
func (t *telemetry) start(ctx context.Context, name string) (context.Context, trace.Span) {
	return t.tracer.Start(ctx, name)
}

// end records err on span (its message, and an Error status) and ends it.
func end(span trace.Span, err error) {
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, string(ErrorCode(err)))
	}
	span.End()
}

// callerAttrs are the tenant ids of a call, once authorised.
func callerAttrs(span trace.Span, c caller) {
	if !span.IsRecording() {
		return
	}
	span.SetAttributes(AttrAccount.String(string(c.Account)))
	if c.Actor.Client != "" {
		span.SetAttributes(AttrClient.String(string(c.Actor.Client)))
	}
}

// orderAttrs are the tenant ids of a call about one order.
func orderAttrs(span trace.Span, c caller, id OrderID) {
	if callerAttrs(span, c); span.IsRecording() {
		span.SetAttributes(AttrOrder.String(string(id)))
	}
}

// outboxAttrs describe the delivery of an outbox entry.
func outboxAttrs(span trace.Span, e OutboxEntry) {
	if !span.IsRecording() {
		return
	}
	span.SetAttributes(AttrOutboxEntry.String(e.ID), AttrOutboxKind.String(string(e.Kind)), AttrOutboxAttempt.Int(e.Attempts),
		AttrAccount.String(string(e.Account)))
	if e.Client != "" {
		span.SetAttributes(AttrClient.String(string(e.Client)))
	}
	if e.Order != "" {
		span.SetAttributes(AttrOrder.String(string(e.Order)))
	}
}

// shopifySynced ends the span of a Shopify order webhook's sync.
func shopifySynced(span trace.Span, change string, res ShopifySyncResult, err error) {
	if span.IsRecording() {
		span.SetAttributes(AttrShopifyChange.String(change), attribute.Int("connect.shopify.sync.updated", res.Updated),
			attribute.Int("connect.shopify.sync.deleted", res.Deleted), attribute.Int("connect.shopify.sync.withdrawn", res.Withdrawn),
			attribute.Int("connect.shopify.sync.noticed", res.Noticed))
	}
	end(span, err)
}

// imported ends an import's span and counts its rows.
func (t *telemetry) imported(ctx context.Context, span trace.Span, kind string, started time.Time, res *ImportResult, err error) {
	if span.IsRecording() {
		span.SetAttributes(AttrImportKind.String(kind))
	}
	if res != nil && span.IsRecording() {
		span.SetAttributes(AttrImportRead.Int(res.Read), AttrImportImported.Int(res.Imported), AttrImportRefused.Int(res.Refused))
	}
	end(span, err)
	if !t.metered {
		return
	}
	k := AttrImportKind.String(kind)
	t.importDuration.Record(ctx, time.Since(started).Seconds(), metric.WithAttributes(k))
	if err == nil && res != nil {
		t.importRows.Add(ctx, int64(res.Imported), metric.WithAttributes(k, AttrImportOutcome.String("imported")))
		t.importRows.Add(ctx, int64(res.Refused), metric.WithAttributes(k, AttrImportOutcome.String("refused")))
	}
}

// routeEventsApplied ends ApplyRouteEvents' span and counts its events.
func (t *telemetry) routeEventsApplied(ctx context.Context, span trace.Span, started time.Time, res *RouteEventsResult, err error) {
	if res != nil && span.IsRecording() {
		span.SetAttributes(attribute.Int("connect.route_events.applied", res.Applied), attribute.Int("connect.route_events.replayed", res.Replayed),
			attribute.Int("connect.route_events.stale", res.Stale), attribute.Int("connect.route_events.refused", len(res.Errors)))
	}
	end(span, err)
	if !t.metered {
		return
	}
	t.routeDuration.Record(ctx, time.Since(started).Seconds())
	if err != nil || res == nil {
		return
	}
	for outcome, n := range map[string]int{"applied": res.Applied, "replayed": res.Replayed, "stale": res.Stale, "refused": len(res.Errors)} {
		if n > 0 {
			t.routeEvents.Add(ctx, int64(n), metric.WithAttributes(AttrRouteOutcome.String(outcome)))
		}
	}
}

// delivered ends an outbox entry's span and counts the delivery.
func (t *telemetry) delivered(ctx context.Context, span trace.Span, e OutboxEntry, started time.Time, fin FinishOutboxParams, err error) {
	outcome := "delivered"
	switch fin.State {
	case OutboxDead:
		outcome = "dead"
	case OutboxPending:
		outcome = "failed"
	}
	if span.IsRecording() {
		span.SetAttributes(AttrOutboxOutcome.String(outcome))
	}
	end(span, err)
	if !t.metered {
		return
	}
	attrs := metric.WithAttributes(AttrOutboxKind.String(string(e.Kind)), AttrOutboxOutcome.String(outcome))
	t.outboxDeliveries.Add(ctx, 1, attrs)
	t.outboxDuration.Record(ctx, time.Since(started).Seconds(), attrs)
}

// subscribed counts a live subscription opening (+1) or ending (-1).
func (t *telemetry) subscribed(ctx context.Context, n int64) {
	if t.metered {
		t.subscribers.Add(ctx, n)
	}
}
