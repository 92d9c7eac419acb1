package main

import (
	"context"
	"errors"
	"io"
	"time"

	"go.opentelemetry.io/otel/exporters/stdout/stdoutmetric"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// telemetry is where the host sends connect's traces and metrics: a real host
// would export them to its collector (OTLP); this one writes them to stdout
// when CONNECT_HOST_TELEMETRY=stdout, as JSON, metrics every interval.
type telemetry struct {
	traces   trace.TracerProvider
	metrics  metric.MeterProvider
	shutdown func(context.Context) error
}

func newTelemetry(w io.Writer, interval time.Duration) (*telemetry, error) {
	spans, err := stdouttrace.New(stdouttrace.WithWriter(w))
	if err != nil {
		return nil, err
	}
	points, err := stdoutmetric.New(stdoutmetric.WithWriter(w))
	if err != nil {
		return nil, err
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(spans, sdktrace.WithBatchTimeout(interval)))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewPeriodicReader(points, sdkmetric.WithInterval(interval))))
	return &telemetry{traces: tp, metrics: mp, shutdown: func(ctx context.Context) error {
		// Shutting down flushes what is still buffered.
		return errors.Join(tp.Shutdown(ctx), mp.Shutdown(ctx))
	}}, nil
}
