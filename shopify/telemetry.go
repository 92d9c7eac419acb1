package shopify

import (
	"context"
	"errors"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/dispatchkit/connect"
)

// InstrumentationName names the tracer and meter of the adapter's spans and
// metrics.
const InstrumentationName = "github.com/dispatchkit/connect/shopify"

// Attributes of the GraphQL spans. The shop's myshopify.com host names the
// store (a business); no order's customer data ever reaches a span.
const (
	attrShop          = attribute.Key("shopify.shop")
	attrOperation     = attribute.Key("graphql.operation.name")
	attrOperationType = attribute.Key("graphql.operation.type") // query or mutation
	attrRequested     = attribute.Key("shopify.query.cost.requested")
	attrActual        = attribute.Key("shopify.query.cost.actual")
	attrAvailable     = attribute.Key("shopify.throttle.available")
	attrAttempts      = attribute.Key("shopify.attempts")
	attrWaitReason    = attribute.Key("shopify.wait.reason") // bucket (the client's estimate) or retry
	attrOutcome       = attribute.Key("shopify.outcome")     // ok, or the connect.Code of the error
)

// telemetry is the tracer and instruments a Client reports to. Made once per
// Adapter (its sessions share it); nil providers are no-ops, not the globals.
type telemetry struct {
	tracer   trace.Tracer
	metered  bool
	duration metric.Float64Histogram // connect.shopify.request.duration
	waits    metric.Float64Histogram // connect.shopify.throttle.wait
	retries  metric.Int64Counter     // connect.shopify.retries
}

func newTelemetry(tp trace.TracerProvider, mp metric.MeterProvider) (*telemetry, error) {
	if tp == nil {
		tp = tracenoop.NewTracerProvider()
	}
	t := &telemetry{tracer: tp.Tracer(InstrumentationName, trace.WithInstrumentationVersion(connect.Version))}
	if mp == nil {
		return t, nil
	}
	m := mp.Meter(InstrumentationName, metric.WithInstrumentationVersion(connect.Version))
	seconds := metric.WithExplicitBucketBoundaries(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
	var errs [3]error
	t.duration, errs[0] = m.Float64Histogram("connect.shopify.request.duration", metric.WithUnit("s"), seconds,
		metric.WithDescription("How long a GraphQL operation took, retries and waits included, by operation and outcome."))
	t.waits, errs[1] = m.Float64Histogram("connect.shopify.throttle.wait", metric.WithUnit("s"), seconds,
		metric.WithDescription("Time spent waiting for Shopify's rate limit: for the bucket estimate, or before a retry."))
	t.retries, errs[2] = m.Int64Counter("connect.shopify.retries", metric.WithUnit("{retry}"),
		metric.WithDescription("GraphQL operations sent again after throttling, HTTP 429 or 5xx, or a network error."))
	if err := errors.Join(errs[:]...); err != nil {
		return nil, connect.Errorf(connect.Invalid, "shopify: MeterProvider: %w", err)
	}
	t.metered = true
	return t, nil
}

// request is the span and measures of one MakeRequest.
type request struct {
	t        *telemetry
	span     trace.Span
	op       string
	started  time.Time
	attempts int
}

func (t *telemetry) request(ctx context.Context, shop, op string, mutation bool, cost int, now time.Time) (context.Context, *request) {
	ctx, span := t.tracer.Start(ctx, "shopify.graphql "+op, trace.WithSpanKind(trace.SpanKindClient))
	if span.IsRecording() {
		kind := "query"
		if mutation {
			kind = "mutation"
		}
		span.SetAttributes(attrShop.String(shop), attrOperation.String(op), attrOperationType.String(kind), attrRequested.Int(cost))
	}
	return ctx, &request{t: t, span: span, op: op, started: now}
}

// waited notes a wait for the rate limit: reason is "bucket" or "retry".
func (r *request) waited(ctx context.Context, reason string, d time.Duration) {
	if d <= 0 {
		return
	}
	if r.span.IsRecording() {
		r.span.AddEvent("shopify.wait", trace.WithAttributes(attrWaitReason.String(reason), attribute.Float64("shopify.wait.seconds", d.Seconds())))
	}
	if r.t.metered {
		r.t.waits.Record(ctx, d.Seconds(), metric.WithAttributes(attrOperation.String(r.op), attrWaitReason.String(reason)))
	}
}

// retried notes a try that is sent again, and why.
func (r *request) retried(ctx context.Context, attempt int, why error) {
	if r.span.IsRecording() {
		r.span.AddEvent("shopify.retry", trace.WithAttributes(attribute.Int("shopify.attempt", attempt), attribute.String("shopify.retry.reason", why.Error())))
	}
	if r.t.metered {
		r.t.retries.Add(ctx, 1, metric.WithAttributes(attrOperation.String(r.op)))
	}
}

// answered notes the bucket Shopify reported with an answer.
func (r *request) answered(c *Cost) {
	if c == nil || !r.span.IsRecording() {
		return
	}
	if c.ActualQueryCost != nil {
		r.span.SetAttributes(attrActual.Int(*c.ActualQueryCost))
	}
	r.span.SetAttributes(attrAvailable.Float64(c.ThrottleStatus.CurrentlyAvailable))
}

// end ends the span with the operation's outcome, and measures it.
func (r *request) end(ctx context.Context, now time.Time, err error) {
	outcome := "ok"
	var partial *PartialError
	switch {
	case errors.As(err, &partial):
		outcome = "partial" // data came, with errors beside it
	case err != nil:
		outcome = string(connect.ErrorCode(err))
		r.span.RecordError(err)
		r.span.SetStatus(codes.Error, outcome)
	}
	if r.span.IsRecording() {
		r.span.SetAttributes(attrAttempts.Int(r.attempts), attrOutcome.String(outcome))
	}
	r.span.End()
	if r.t.metered {
		r.t.duration.Record(ctx, now.Sub(r.started).Seconds(), metric.WithAttributes(attrOperation.String(r.op), attrOutcome.String(outcome)))
	}
}
