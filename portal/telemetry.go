package portal

import (
	"net/http"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/dispatchkit/connect"
)

// InstrumentationName names the tracer and meter of the portal's HTTP spans
// and metrics.
const InstrumentationName = "github.com/dispatchkit/connect/portal"

// Attributes of the portal's spans and of http.server.request.duration, after
// OpenTelemetry's HTTP semantic conventions. The route is the pattern the
// request matched ("/connect/orders/{id}"), never the path itself: paths carry
// invite, reset and tracking tokens.
const (
	attrMethod = attribute.Key("http.request.method")
	attrRoute  = attribute.Key("http.route")
	attrStatus = attribute.Key("http.response.status_code")
)

// telemetry is the portal's tracer and request duration histogram; traced
// wraps nothing when the host gave neither provider.
type telemetry struct {
	tracer      trace.Tracer // nil: no spans
	propagator  propagation.TextMapPropagator
	durations   metric.Float64Histogram // nil: not measured
	instruments bool
}

func newTelemetry(cfg Config) (telemetry, error) {
	t := telemetry{propagator: cfg.Propagator}
	if cfg.TracerProvider != nil {
		t.tracer = cfg.TracerProvider.Tracer(InstrumentationName, trace.WithInstrumentationVersion(connect.Version))
	}
	if cfg.MeterProvider != nil {
		m := cfg.MeterProvider.Meter(InstrumentationName, metric.WithInstrumentationVersion(connect.Version))
		var err error
		t.durations, err = m.Float64Histogram("http.server.request.duration", metric.WithUnit("s"),
			metric.WithDescription("How long the portal took to answer a request, by method, route and status."),
			metric.WithExplicitBucketBoundaries(0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10))
		if err != nil {
			return telemetry{}, connect.Errorf(connect.Invalid, "portal.New: Config.MeterProvider: %w", err)
		}
	}
	t.instruments = t.tracer != nil || t.durations != nil
	return t, nil
}

// traced wraps the handler of a route pattern ("GET /connect/orders/{id}") in a
// server span named for it, and measures its duration. The span's parent is
// the span in the request's context (the host's own middleware), or the one
// Config.Propagator extracts from the request's headers.
func (t *telemetry) traced(pattern string, h http.Handler) http.Handler {
	if !t.instruments {
		return h
	}
	_, route, _ := strings.Cut(pattern, " ")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		started := time.Now()
		ctx := r.Context()
		if t.propagator != nil {
			ctx = t.propagator.Extract(ctx, propagation.HeaderCarrier(r.Header))
		}
		method := attrMethod.String(r.Method)
		var span trace.Span
		if t.tracer != nil {
			ctx, span = t.tracer.Start(ctx, r.Method+" "+route, trace.WithSpanKind(trace.SpanKindServer),
				trace.WithAttributes(method, attrRoute.String(route)))
			r = r.WithContext(ctx)
		}
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			status := sw.status
			if status == 0 {
				status = http.StatusOK // nothing written: net/http answers 200
			}
			if span != nil {
				span.SetAttributes(attrStatus.Int(status))
				if status >= 500 {
					span.SetStatus(codes.Error, http.StatusText(status))
				}
				span.End()
			}
			if t.durations != nil {
				t.durations.Record(ctx, time.Since(started).Seconds(),
					metric.WithAttributes(method, attrRoute.String(route), attrStatus.Int(status)))
			}
		}()
		h.ServeHTTP(sw, r)
	})
}

// statusWriter keeps the status a handler answered. Unwrap lets
// http.ResponseController reach the server's writer (flushing event streams).
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 && code >= 200 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
