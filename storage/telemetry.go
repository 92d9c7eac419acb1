package storage

import (
	"context"
	"database/sql"
	"errors"

	"github.com/uptrace/bun"
	bundialect "github.com/uptrace/bun/dialect"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/dispatchkit/connect"
)

// InstrumentationName names the tracer of the Store's SQL spans.
const InstrumentationName = "github.com/dispatchkit/connect/storage"

// WithTracerProvider makes a client span per SQL statement the Store runs
// (QueryHook). nil (the default): none; never the global provider.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(o *options) { o.tracer = tp }
}

// QueryHook returns a bun query hook that makes a client span per statement,
// named for its operation and table ("SELECT orders"), after OpenTelemetry's
// database conventions: db.system.name, db.operation.name, db.collection.name.
// It records no statement text: bun writes values into the SQL, and orders'
// values are people's names and addresses. Open adds it with
// WithTracerProvider; a host on New adds it to the *bun.DB it gives New
// (db.WithQueryHook), where it traces the host's queries too.
func QueryHook(tp trace.TracerProvider) bun.QueryHook {
	return &queryHook{tracer: tp.Tracer(InstrumentationName, trace.WithInstrumentationVersion(connect.Version))}
}

type queryHook struct{ tracer trace.Tracer }

// BeforeQuery starts the statement's span (named once its table is known).
func (h *queryHook) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context {
	ctx, _ = h.tracer.Start(ctx, "db", trace.WithSpanKind(trace.SpanKindClient))
	return ctx
}

// AfterQuery names the span, sets its attributes and ends it.
func (h *queryHook) AfterQuery(ctx context.Context, ev *bun.QueryEvent) {
	span := trace.SpanFromContext(ctx)
	if !span.IsRecording() {
		return
	}
	defer span.End()
	op := ev.Operation()
	name := op
	attrs := []attribute.KeyValue{attribute.String("db.operation.name", op)}
	if ev.IQuery != nil {
		if table := ev.IQuery.GetTableName(); table != "" {
			name += " " + table
			attrs = append(attrs, attribute.String("db.collection.name", table))
		}
	}
	switch ev.DB.Dialect().Name() {
	case bundialect.PG:
		attrs = append(attrs, attribute.String("db.system.name", "postgresql"))
	case bundialect.SQLite:
		attrs = append(attrs, attribute.String("db.system.name", "sqlite"))
	}
	span.SetName(name)
	span.SetAttributes(attrs...)
	if err := ev.Err; err != nil && !errors.Is(err, sql.ErrNoRows) {
		span.RecordError(err)
		span.SetStatus(codes.Error, "")
	}
}
