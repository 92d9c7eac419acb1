package shopify_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/shopify"
)

// collect returns the reader's data points as "metric{attrs}" → count (a
// histogram's) or value (a counter's).
func collect(t *testing.T, reader *sdkmetric.ManualReader) map[string]float64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Histogram[float64]:
				for _, dp := range d.DataPoints {
					out[m.Name+"{"+dp.Attributes.Encoded(attribute.DefaultEncoder())+"}"] = float64(dp.Count)
				}
			case metricdata.Sum[int64]:
				for _, dp := range d.DataPoints {
					out[m.Name+"{"+dp.Attributes.Encoded(attribute.DefaultEncoder())+"}"] = float64(dp.Value)
				}
			}
		}
	}
	return out
}

// TestTelemetryGraphQLSpanWithCostAndThrottling: a query Shopify throttles
// once is one client span with its operation, costs and two tries, an event
// for the retry and the wait before it; the wait and the retry are counted.
func TestTelemetryGraphQLSpanWithCostAndThrottling(t *testing.T) {
	t.Parallel()
	spans, reader := tracetest.NewSpanRecorder(), sdkmetric.NewManualReader()
	f := newFixture(t, func(c *shopify.ClientConfig) {
		c.TracerProvider = sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
		c.MeterProvider = sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	})
	f.shop.Seed(60)
	f.shop.SetAvailable(100) // the first try is throttled
	if _, err := listPage(context.Background(), f.client, 50, 10); err != nil {
		t.Fatal(err)
	}
	ended := spans.Ended()
	if len(ended) != 1 {
		t.Fatalf("%d spans, want 1", len(ended))
	}
	s := ended[0]
	attrs := map[string]string{}
	for _, kv := range s.Attributes() {
		attrs[string(kv.Key)] = kv.Value.String()
	}
	delete(attrs, "shopify.throttle.available") // the fake's refill, to the millisecond
	actual := attrs["shopify.query.cost.actual"]
	want := map[string]string{"shopify.shop": "acme.myshopify.com", "graphql.operation.name": "ListOrders",
		"graphql.operation.type": "query", "shopify.query.cost.requested": "702", "shopify.query.cost.actual": actual,
		"shopify.attempts": "2", "shopify.outcome": "ok"}
	if d := cmp.Diff(want, attrs); d != "" || actual == "" || s.Name() != "shopify.graphql ListOrders" || s.SpanKind() != trace.SpanKindClient {
		t.Errorf("span %q (%v), attributes (-want +got):\n%s", s.Name(), s.SpanKind(), d)
	}
	var events []string
	for _, ev := range s.Events() {
		events = append(events, ev.Name)
	}
	if d := cmp.Diff([]string{"shopify.retry", "shopify.wait"}, events); d != "" {
		t.Errorf("span events (-want +got):\n%s", d)
	}
	got := collect(t, reader)
	for _, k := range []string{
		"connect.shopify.retries{graphql.operation.name=ListOrders}",
		"connect.shopify.throttle.wait{graphql.operation.name=ListOrders,shopify.wait.reason=retry}",
		"connect.shopify.request.duration{graphql.operation.name=ListOrders,shopify.outcome=ok}",
	} {
		if got[k] != 1 {
			t.Errorf("%s = %v, want 1; all: %v", k, got[k], got)
		}
	}
}

// TestTelemetryAdapterSpansAndErrors: the Adapter's providers reach the
// sessions it opens; a refused operation is an error span with its code.
func TestTelemetryAdapterSpansAndErrors(t *testing.T) {
	t.Parallel()
	spans := tracetest.NewSpanRecorder()
	r := newRig(t, func(c *shopify.Config) {
		c.TracerProvider = sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	})
	r.link()
	r.shop.Seed(2)
	spans.Reset()
	if _, err := r.adapter.LookupOrders(r.ctx, r.scope, []string{"#1001"}); err != nil {
		t.Fatal(err)
	}
	r.shop.Uninstall()
	_, err := r.adapter.LookupOrders(r.ctx, r.scope, []string{"#1001"})
	if connect.ErrorCode(err) != connect.Forbidden {
		t.Fatalf("after the uninstall: %v", err)
	}
	var got []codes.Code
	for _, s := range spans.Ended() {
		if !strings.HasPrefix(s.Name(), "shopify.graphql ") {
			t.Errorf("span %q", s.Name())
		}
		got = append(got, s.Status().Code)
	}
	if len(got) < 2 || got[0] != codes.Unset || got[len(got)-1] != codes.Error {
		t.Errorf("span statuses %v: want the lookup's ok, the refused one's an error", got)
	}
}
