package connect_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
	"go.uber.org/mock/gomock"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/connecttest/mock"
)

// observed is a world whose Service reports to a span recorder and a manual
// metric reader.
type observed struct {
	*world
	spans  *tracetest.SpanRecorder
	reader *sdkmetric.ManualReader
}

func newObserved(t *testing.T, configure func(*connect.Config)) *observed {
	t.Helper()
	o := &observed{spans: tracetest.NewSpanRecorder(), reader: sdkmetric.NewManualReader()}
	o.world = newWorldWith(t, func(c *connect.Config) {
		c.TracerProvider = sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(o.spans))
		c.MeterProvider = sdkmetric.NewMeterProvider(sdkmetric.WithReader(o.reader))
		if configure != nil {
			configure(c)
		}
	})
	return o
}

// span is what a test says of a recorded span: its name, status and the
// attributes it looks at (rendered as text).
type span struct {
	Name   string
	Status codes.Code
	Attrs  map[string]string
}

// ended returns the spans named name that ended since the last call, oldest
// first, with the attributes keys names (all of them when none).
func (o *observed) ended(name string, keys ...attribute.Key) []span {
	o.t.Helper()
	var out []span
	for _, s := range o.spans.Ended() {
		if s.Name() != name {
			continue
		}
		got := span{Name: s.Name(), Status: s.Status().Code, Attrs: map[string]string{}}
		for _, kv := range s.Attributes() {
			if len(keys) == 0 || contains(keys, kv.Key) {
				got.Attrs[string(kv.Key)] = kv.Value.String()
			}
		}
		out = append(out, got)
	}
	return out
}

func contains(keys []attribute.Key, k attribute.Key) bool {
	for _, x := range keys {
		if x == k {
			return true
		}
	}
	return false
}

// metrics collects the reader's metrics by name.
func (o *observed) metrics() map[string]metricdata.Aggregation {
	o.t.Helper()
	var rm metricdata.ResourceMetrics
	if err := o.reader.Collect(context.Background(), &rm); err != nil {
		o.t.Fatal(err)
	}
	out := map[string]metricdata.Aggregation{}
	for _, sm := range rm.ScopeMetrics {
		if sm.Scope.Name != connect.InstrumentationName {
			o.t.Fatalf("metrics of scope %q", sm.Scope.Name)
		}
		for _, m := range sm.Metrics {
			out[m.Name] = m.Data
		}
	}
	return out
}

// sums returns an int64 sum's data points as "k=v,k=v" → value.
func (o *observed) sums(name string) map[string]int64 {
	o.t.Helper()
	out := map[string]int64{}
	data, ok := o.metrics()[name]
	if !ok {
		return out
	}
	sum, ok := data.(metricdata.Sum[int64])
	if !ok {
		o.t.Fatalf("%s is a %T, want an int64 sum", name, data)
	}
	for _, dp := range sum.DataPoints {
		out[dp.Attributes.Encoded(attribute.DefaultEncoder())] = dp.Value
	}
	return out
}

// histogramCounts returns a float64 histogram's counts by attributes.
func (o *observed) histogramCounts(name string) map[string]uint64 {
	o.t.Helper()
	out := map[string]uint64{}
	h, ok := o.metrics()[name].(metricdata.Histogram[float64])
	if !ok {
		o.t.Fatalf("%s is not a float64 histogram", name)
	}
	for _, dp := range h.DataPoints {
		out[dp.Attributes.Encoded(attribute.DefaultEncoder())] = dp.Count
	}
	return out
}

func TestTelemetryImportSpanAndRowCounts(t *testing.T) {
	o := newObserved(t, nil)
	o.spans.Reset()
	if _, err := o.svc.Import(o.ctx, o.owner, manyRows(4, 3), connect.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	_, err := o.svc.Import(o.ctx, o.owner, manyRows(2, 2), connect.ImportOptions{AllOrNothing: true})
	wantCode(t, err, connect.Invalid)

	want := []span{
		{Name: "connect.import", Status: codes.Unset, Attrs: map[string]string{
			"connect.account.id": string(o.acct), "connect.client.id": string(o.client.ID),
			"connect.import.kind": "drafts", "connect.import.read": "4", "connect.import.imported": "3", "connect.import.refused": "1"}},
		{Name: "connect.import", Status: codes.Error, Attrs: map[string]string{
			"connect.account.id": string(o.acct), "connect.client.id": string(o.client.ID),
			"connect.import.kind": "drafts", "connect.import.read": "2", "connect.import.imported": "0", "connect.import.refused": "1"}},
	}
	if d := cmp.Diff(want, o.ended("connect.import")); d != "" {
		t.Errorf("import spans (-want +got):\n%s", d)
	}
	// The refused file counts no rows: nothing of it was committed.
	wantRows := map[string]int64{
		"connect.import.kind=drafts,connect.import.outcome=imported": 3,
		"connect.import.kind=drafts,connect.import.outcome=refused":  1,
	}
	if d := cmp.Diff(wantRows, o.sums("connect.import.rows")); d != "" {
		t.Errorf("connect.import.rows (-want +got):\n%s", d)
	}
	if d := cmp.Diff(map[string]uint64{"connect.import.kind=drafts": 2}, o.histogramCounts("connect.import.duration")); d != "" {
		t.Errorf("connect.import.duration counts (-want +got):\n%s", d)
	}
}

func TestTelemetryOutboxDeliveryPerEntry(t *testing.T) {
	host := mock.NewMockRouteSync(gomock.NewController(t))
	down := host.EXPECT().SyncStop(gomock.Any(), gomock.Any()).Return(connect.Errorf(connect.Unavailable, "host down")).Times(3)
	host.EXPECT().SyncStop(gomock.Any(), gomock.Any()).Return(nil).After(down)
	o := newObserved(t, func(c *connect.Config) { c.RouteSync = host })
	first := o.submitted(1)[0]
	o.spans.Reset()
	for range 3 { // two failures, then dead (MaxAttempts 3)
		if _, err := o.svc.DeliverOutbox(o.ctx, fastRetry); err != nil {
			t.Fatal(err)
		}
	}
	second := o.submitted(1)[0]
	if _, err := o.svc.DeliverOutbox(o.ctx, fastRetry); err != nil {
		t.Fatal(err)
	}

	attempt := func(o *connect.Order, n int, outcome string) map[string]string {
		return map[string]string{"connect.order.id": string(o.ID), "connect.outbox.kind": "route_sync",
			"connect.outbox.attempt": strconv.Itoa(n), "connect.outbox.outcome": outcome}
	}
	want := []span{
		{Name: "connect.outbox.deliver", Status: codes.Error, Attrs: attempt(first, 1, "failed")},
		{Name: "connect.outbox.deliver", Status: codes.Error, Attrs: attempt(first, 2, "failed")},
		{Name: "connect.outbox.deliver", Status: codes.Error, Attrs: attempt(first, 3, "dead")},
		{Name: "connect.outbox.deliver", Status: codes.Unset, Attrs: attempt(second, 1, "delivered")},
	}
	got := o.ended("connect.outbox.deliver", connect.AttrOrder, connect.AttrOutboxKind, connect.AttrOutboxAttempt, connect.AttrOutboxOutcome)
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("delivery spans (-want +got):\n%s", d)
	}
	// The failure is on the span, as an exception event with the port's error.
	if ev := o.spans.Ended()[0].Events(); len(ev) != 1 || ev[0].Name != "exception" {
		t.Errorf("the failed delivery's span events: %+v", ev)
	}
	wantCounts := map[string]int64{
		"connect.outbox.kind=route_sync,connect.outbox.outcome=failed":    2,
		"connect.outbox.kind=route_sync,connect.outbox.outcome=dead":      1,
		"connect.outbox.kind=route_sync,connect.outbox.outcome=delivered": 1,
	}
	if d := cmp.Diff(wantCounts, o.sums("connect.outbox.deliveries")); d != "" {
		t.Errorf("connect.outbox.deliveries (-want +got):\n%s", d)
	}
}

func TestTelemetryRouteEventsByOutcome(t *testing.T) {
	o := newObserved(t, nil)
	order := o.submitted(1)[0]
	o.spans.Reset()
	o.route(ev("s1", order.ID, connect.EventSchedule, 1), ev("nope", "no-such-order", connect.EventStart, 2))
	o.route(ev("s1", order.ID, connect.EventSchedule, 1), ev("e1", order.ID, connect.EventSchedule, 0))

	keys := []attribute.Key{connect.AttrAccount, connect.AttrRouteEvents, "connect.route_events.applied",
		"connect.route_events.replayed", "connect.route_events.stale", "connect.route_events.refused"}
	batch := func(n, applied, replayed, stale, refused int) span {
		return span{Name: "connect.route_events.apply", Attrs: map[string]string{"connect.account.id": string(o.acct),
			"connect.route_events.count": strconv.Itoa(n), "connect.route_events.applied": strconv.Itoa(applied), "connect.route_events.replayed": strconv.Itoa(replayed),
			"connect.route_events.stale": strconv.Itoa(stale), "connect.route_events.refused": strconv.Itoa(refused)}}
	}
	if d := cmp.Diff([]span{batch(2, 1, 0, 0, 1), batch(2, 0, 1, 1, 0)}, o.ended("connect.route_events.apply", keys...)); d != "" {
		t.Errorf("route event spans (-want +got):\n%s", d)
	}
	want := map[string]int64{
		"connect.route_event.outcome=applied":  1,
		"connect.route_event.outcome=refused":  1,
		"connect.route_event.outcome=replayed": 1,
		"connect.route_event.outcome=stale":    1,
	}
	if d := cmp.Diff(want, o.sums("connect.route_events")); d != "" {
		t.Errorf("connect.route_events (-want +got):\n%s", d)
	}

	// A caller who may not report route events: an error span, nothing counted.
	_, err := o.svc.ApplyRouteEvents(o.ctx, o.owner, nil)
	wantCode(t, err, connect.Forbidden)
	if got := o.ended("connect.route_events.apply"); len(got) != 3 || got[2].Status != codes.Error {
		t.Errorf("refused batch's span: %+v", got)
	}
}

func TestTelemetrySubmitWithdrawAndCancelSpans(t *testing.T) {
	o := newObserved(t, nil)
	a, b := o.draft(o.owner, "A-1"), o.draft(o.owner, "B-1")
	o.spans.Reset()
	if _, err := o.svc.SubmitOrders(o.ctx, o.owner, []connect.OrderID{a.ID, b.ID}); err != nil {
		t.Fatal(err)
	}
	if _, err := o.svc.Withdraw(o.ctx, o.owner, a.ID); err != nil {
		t.Fatal(err)
	}
	_, err := o.svc.Withdraw(o.ctx, o.owner, a.ID) // a draft again
	wantCode(t, err, connect.Conflict)
	if _, err := o.svc.CancelOrder(o.ctx, o.disp, b.ID, "out of area"); err != nil {
		t.Fatal(err)
	}

	ids := func(order connect.OrderID) map[string]string {
		return map[string]string{"connect.account.id": string(o.acct), "connect.client.id": string(o.client.ID), "connect.order.id": string(order)}
	}
	got := append(o.ended("connect.submit"), o.ended("connect.withdraw")...)
	got = append(got, o.ended("connect.cancel")...)
	want := []span{
		{Name: "connect.submit", Attrs: map[string]string{"connect.account.id": string(o.acct), "connect.client.id": string(o.client.ID), "connect.orders.count": "2"}},
		{Name: "connect.withdraw", Attrs: ids(a.ID)},
		{Name: "connect.withdraw", Status: codes.Error, Attrs: ids(a.ID)},
		// The dispatcher's call names no client: the account is the tenant.
		{Name: "connect.cancel", Attrs: map[string]string{"connect.account.id": string(o.acct), "connect.order.id": string(b.ID)}},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("spans (-want +got):\n%s", d)
	}
}

func TestTelemetryLiveSubscribers(t *testing.T) {
	o := newObserved(t, nil)
	ctx, cancel := context.WithCancel(o.ctx)
	defer cancel()
	first, err := o.svc.Subscribe(ctx, o.owner, connect.SubscribeParams{})
	if err != nil {
		t.Fatal(err)
	}
	other, cancelOther := context.WithCancel(o.ctx)
	second, err := o.svc.Subscribe(other, o.disp, connect.SubscribeParams{})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(map[string]int64{"": 2}, o.sums("connect.live.subscribers")); d != "" {
		t.Errorf("two open (-want +got):\n%s", d)
	}
	cancelOther()
	for range second.Events() { // closed when the subscription has ended
	}
	_ = second.Err()
	if d := cmp.Diff(map[string]int64{"": 1}, o.sums("connect.live.subscribers")); d != "" {
		t.Errorf("one left (-want +got):\n%s", d)
	}
	_ = first
}

// TestTelemetryNilProvidersUseNoGlobals: a Service without providers works
// and reports nothing, not even to OpenTelemetry's global providers a host may
// have set for its own code.
func TestTelemetryNilProvidersUseNoGlobals(t *testing.T) {
	spans, reader := tracetest.NewSpanRecorder(), sdkmetric.NewManualReader()
	tp, mp := otel.GetTracerProvider(), otel.GetMeterProvider()
	otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans)))
	otel.SetMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)))
	t.Cleanup(func() { otel.SetTracerProvider(tp); otel.SetMeterProvider(mp) })

	w := newWorld(t)
	res, err := w.svc.Import(w.ctx, w.owner, manyRows(3), connect.ImportOptions{})
	if err != nil || res.Imported != 3 {
		t.Fatalf("import without telemetry: %+v, %v", res, err)
	}
	o := w.submitted(1)[0]
	w.route(ev("s1", o.ID, connect.EventSchedule, 1))
	w.DeliverOutbox(fastRetry)

	if got := spans.Ended(); len(got) != 0 {
		t.Errorf("%d spans reached the global provider; first %q", len(got), got[0].Name())
	}
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	if len(rm.ScopeMetrics) != 0 {
		t.Errorf("metrics reached the global provider: %+v", rm.ScopeMetrics)
	}
}

// BenchmarkTelemetryOverhead: route events, the hot path of a busy host,
// without providers (the default), with OpenTelemetry's no-op ones, and with
// the SDK recording.
func BenchmarkTelemetryOverhead(b *testing.B) {
	for _, bc := range []struct {
		name      string
		configure func(*connect.Config)
	}{
		{"nil", nil},
		{"noop", func(c *connect.Config) {
			c.TracerProvider, c.MeterProvider = tracenoop.NewTracerProvider(), metricnoop.NewMeterProvider()
		}},
		{"sdk", func(c *connect.Config) {
			c.TracerProvider = sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tracetest.NewSpanRecorder()))
			c.MeterProvider = sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			w := newWorldWith(b, bc.configure)
			o := w.submitted(1)[0]
			w.route(ev("s", o.ID, connect.EventSchedule, 1), ev("go", o.ID, connect.EventStart, 2))
			at := t0.Add(time.Hour)
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				at = at.Add(time.Second)
				e := connect.RouteEvent{ID: "eta-" + strconv.Itoa(i), Order: o.ID, Event: connect.EventETA, At: at, ETA: at.Add(time.Hour)}
				w.route(e)
			}
		})
	}
}

func TestTelemetryShopifyImportAndSyncSpans(t *testing.T) {
	shop := &fakeShop{orders: []connect.ShopifyOrder{shopOrder("#1001"), shopOrder("#1002")}}
	o := newObserved(t, func(c *connect.Config) { c.Shopify = shop })
	if _, err := o.svc.LinkShopify(o.ctx, o.owner, "green.myshopify.com"); err != nil {
		t.Fatal(err)
	}
	o.spans.Reset()
	if _, err := o.svc.ImportShopifyOrders(o.ctx, o.owner, []string{"#1001", "#1002"}, connect.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	webhook := connect.AsShopifyWebhook()
	shop.orders[0].Cancelled = true // the Service reads the order again before it acts
	if _, err := o.svc.ShopifyOrderCancelled(o.ctx, webhook, connect.ShopifyOrderChange{Shop: "green.myshopify.com",
		OrderID: "gid://shopify/Order/1001", Name: "#1001", CancelReason: "customer"}); err != nil {
		t.Fatal(err)
	}

	imports := o.ended("connect.import", connect.AttrImportKind, connect.AttrImportImported)
	if d := cmp.Diff([]span{{Name: "connect.import", Attrs: map[string]string{"connect.import.kind": "shopify", "connect.import.imported": "2"}}}, imports); d != "" {
		t.Errorf("import span (-want +got):\n%s", d)
	}
	if d := cmp.Diff(map[string]int64{
		"connect.import.kind=shopify,connect.import.outcome=imported": 2,
		"connect.import.kind=shopify,connect.import.outcome=refused":  0,
	}, o.sums("connect.import.rows")); d != "" {
		t.Errorf("connect.import.rows (-want +got):\n%s", d)
	}
	want := []span{{Name: "connect.shopify.sync", Attrs: map[string]string{"connect.shopify.change": "cancelled",
		"connect.shopify.sync.updated": "0", "connect.shopify.sync.deleted": "1", "connect.shopify.sync.withdrawn": "0",
		"connect.shopify.sync.noticed": "0"}}}
	if d := cmp.Diff(want, o.ended("connect.shopify.sync")); d != "" {
		t.Errorf("sync span (-want +got):\n%s", d)
	}
}

// gauge returns an observable gauge's single value, as float64.
func (o *observed) gauge(name string) float64 {
	o.t.Helper()
	switch g := o.metrics()[name].(type) {
	case metricdata.Gauge[int64]:
		if len(g.DataPoints) == 1 {
			return float64(g.DataPoints[0].Value)
		}
	case metricdata.Gauge[float64]:
		if len(g.DataPoints) == 1 {
			return g.DataPoints[0].Value
		}
	}
	o.t.Fatalf("%s: no single gauge value in %+v", name, o.metrics()[name])
	return 0
}

// TestTelemetryOutboxBacklogGauges: at each collection the outbox of every
// account is counted: entries still to deliver, how long the oldest has
// waited, and dead ones.
func TestTelemetryOutboxBacklogGauges(t *testing.T) {
	host := mock.NewMockRouteSync(gomock.NewController(t))
	host.EXPECT().SyncStop(gomock.Any(), gomock.Any()).Return(connect.Errorf(connect.Unavailable, "host down")).AnyTimes()
	o := newObserved(t, func(c *connect.Config) { c.RouteSync = host })
	if got := o.gauge("connect.outbox.pending"); got != 0 {
		t.Fatalf("pending before anything: %v", got)
	}
	o.submitted(3)
	o.advance(time.Minute)
	if got := o.gauge("connect.outbox.pending"); got != 3 {
		t.Errorf("pending after three submissions: %v, want 3", got)
	}
	if age := o.gauge("connect.outbox.oldest_pending.age"); age < 60 || age > 61 {
		t.Errorf("the oldest waited %v s, want about 60", age)
	}
	once := fastRetry
	once.MaxAttempts = 1
	if _, err := o.svc.DeliverOutbox(o.ctx, once); err != nil {
		t.Fatal(err)
	}
	if p, d, age := o.gauge("connect.outbox.pending"), o.gauge("connect.outbox.dead"), o.gauge("connect.outbox.oldest_pending.age"); p != 0 || d != 3 || age != 0 {
		t.Errorf("after the host refused them for good: pending %v, dead %v, age %v; want 0, 3, 0", p, d, age)
	}
	// Closed, the Service no longer reports them.
	if err := o.svc.Close(); err != nil {
		t.Fatal(err)
	}
	if _, ok := o.metrics()["connect.outbox.pending"]; ok {
		t.Error("a closed Service still reports the outbox")
	}
}
