package storage_test

import (
	"strings"
	"testing"

	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/internal/pgtest"
	"github.com/dispatchkit/connect/storage"
)

// TestSQLSpans: WithTracerProvider makes a client span per statement, named
// for its operation, with the database system; no span carries an order's
// values (a recipient's name); a row not found is no error.
func TestSQLSpans(t *testing.T) {
	for _, tc := range []struct{ name, system string }{{"sqlite", "sqlite"}, {"postgres", "postgresql"}} {
		t.Run(tc.name, func(t *testing.T) {
			dsn := "sqlite:" + t.TempDir() + "/connect.db"
			if tc.name == "postgres" {
				dsn = pgtest.Schema(t)
			}
			t.Parallel()
			spans := tracetest.NewSpanRecorder()
			s, err := storage.Open(t.Context(), dsn, storage.WithTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = s.Close() })
			c := newClient(t, s, "a", "c-spans")
			o := newOrder(c, "o-spans", "r-spans", connect.StatusDraft, t0)
			o.Recipient.Name = "Ada Lovelace"
			scope := connect.Scope{Account: "a", Client: c.ID}
			spans.Reset()
			if err := s.CreateOrders(t.Context(), scope, []*connect.Order{o}, nil); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Order(t.Context(), scope, "no-such-order"); connect.ErrorCode(err) != connect.NotFound {
				t.Fatalf("missing order: %v", err)
			}
			ended := spans.Ended()
			if len(ended) < 2 {
				t.Fatalf("%d spans for an insert and a select", len(ended))
			}
			ops := map[string]bool{}
			for _, sp := range ended {
				attrs := map[string]string{}
				for _, kv := range sp.Attributes() {
					attrs[string(kv.Key)] = kv.Value.String()
					if strings.Contains(kv.Value.String(), "Lovelace") {
						t.Errorf("span %q carries the recipient's name in %s", sp.Name(), kv.Key)
					}
				}
				if sp.SpanKind() != trace.SpanKindClient || attrs["db.system.name"] != tc.system || attrs["db.operation.name"] == "" ||
					!strings.HasPrefix(sp.Name(), attrs["db.operation.name"]) || sp.Status().Code == codes.Error {
					t.Errorf("span %q (%v, %v): %v", sp.Name(), sp.SpanKind(), sp.Status(), attrs)
				}
				ops[attrs["db.operation.name"]] = true
			}
			if !ops["INSERT"] || !ops["SELECT"] {
				t.Errorf("operations %v, want INSERT and SELECT among them", ops)
			}
		})
	}
}
