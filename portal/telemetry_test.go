package portal_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/connecttest"
	"github.com/dispatchkit/connect/portal"
)

// TestTelemetryServerSpansPerRoute: each request gets a server span named for
// its route pattern, the child of the caller's traceparent, with the Service's
// span under it; tokens in paths never reach an attribute; the request
// durations are measured by route and status; event streams still flush
// through the span's response writer.
func TestTelemetryServerSpansPerRoute(t *testing.T) {
	t.Parallel()
	spans, reader := tracetest.NewSpanRecorder(), sdkmetric.NewManualReader()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	e := newEnvOnWorld(t, "", []connecttest.Option{connecttest.WithConfig(func(c *connect.Config) { c.TracerProvider = tp })},
		func(c *portal.Config) {
			c.TracerProvider, c.Propagator = tp, propagation.TraceContext{}
			c.MeterProvider = sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
		})
	tm := e.signUp("Green Grocer", connect.ClientSettings{AllowUpload: true})
	b := e.signedIn(tm.email)
	d := e.draft(tm.owner, "A-1")
	spans.Reset()

	const traceID, parentID = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	b.do(http.MethodPost, "/orders/"+string(d.ID)+"/submit", strings.NewReader(url.Values{}.Encode()), "application/x-www-form-urlencoded",
		http.Header{"Traceparent": {"00-" + traceID + "-" + parentID + "-01"}}).is(t, http.StatusSeeOther)
	b.get("/invite/SECRET-invite-token")

	var server, submit sdktrace.ReadOnlySpan
	type seen struct {
		Name  string
		Kind  trace.SpanKind
		Attrs map[string]string
	}
	var got []seen
	for _, s := range spans.Ended() {
		attrs := map[string]string{}
		for _, kv := range s.Attributes() {
			if strings.Contains(kv.Value.String(), "SECRET") {
				t.Errorf("span %s carries the path's token in %s", s.Name(), kv.Key)
			}
			attrs[string(kv.Key)] = kv.Value.String()
		}
		switch s.Name() {
		case "POST /orders/{id}/submit":
			server = s
		case "connect.submit":
			submit = s
			continue
		}
		got = append(got, seen{Name: s.Name(), Kind: s.SpanKind(), Attrs: attrs})
	}
	want := []seen{
		{Name: "POST /orders/{id}/submit", Kind: trace.SpanKindServer, Attrs: map[string]string{
			"http.request.method": "POST", "http.route": "/orders/{id}/submit", "http.response.status_code": "303"}},
		{Name: "GET /invite/{token}", Kind: trace.SpanKindServer, Attrs: map[string]string{
			"http.request.method": "GET", "http.route": "/invite/{token}", "http.response.status_code": "404"}},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("server spans (-want +got):\n%s", d)
	}
	if server.SpanContext().TraceID().String() != traceID || server.Parent().SpanID().String() != parentID {
		t.Errorf("the server span is not the traceparent's child: trace %s, parent %s", server.SpanContext().TraceID(), server.Parent().SpanID())
	}
	if submit == nil || submit.Parent().SpanID() != server.SpanContext().SpanID() {
		t.Errorf("the Service's span is not the server span's child: %v", submit)
	}

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	counts := map[string]uint64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if h, ok := m.Data.(metricdata.Histogram[float64]); ok && m.Name == "http.server.request.duration" && m.Unit == "s" {
				for _, dp := range h.DataPoints {
					counts[dp.Attributes.Encoded(attribute.DefaultEncoder())] += dp.Count
				}
			}
		}
	}
	if n := counts["http.request.method=POST,http.response.status_code=303,http.route=/orders/{id}/submit"]; n != 1 {
		t.Errorf("submit's duration measured %d times; all: %v", n, counts)
	}

	// An event stream answers (its headers flushed) through the span's writer.
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	_, res := b.stream(ctx, "/events", nil)
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		t.Errorf("event stream: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
}
