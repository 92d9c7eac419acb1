package s3

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/dispatchkit/connect"
)

// InstrumentationName names the tracer of the adapter's spans.
const InstrumentationName = "github.com/dispatchkit/connect/s3"

func newTracer(tp trace.TracerProvider) trace.Tracer {
	if tp == nil {
		tp = tracenoop.NewTracerProvider()
	}
	return tp.Tracer(InstrumentationName, trace.WithInstrumentationVersion(connect.Version))
}

// span starts the client span of one operation on the object (or prefix)
// name, after OpenTelemetry's conventions for S3 (aws.s3.bucket, aws.s3.key).
// Keys hold ids only (tenant, upload, order), never people's data. done ends
// it, recording err.
func (b *Blobs) span(ctx context.Context, op, name string) (context.Context, func(err error)) {
	ctx, span := b.tracer.Start(ctx, "s3 "+op, trace.WithSpanKind(trace.SpanKindClient))
	if !span.IsRecording() {
		return ctx, func(error) {}
	}
	span.SetAttributes(attribute.String("rpc.system", "aws-api"), attribute.String("rpc.service", "S3"),
		attribute.String("aws.s3.bucket", b.bucket), attribute.String("aws.s3.key", name))
	return ctx, func(err error) {
		if err != nil {
			span.RecordError(err)
			span.SetStatus(codes.Error, string(connect.ErrorCode(err)))
		}
		span.End()
	}
}
