package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dispatchkit/connect"
)

// lockedBuffer is a bytes.Buffer the exporters may write to from their goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestTheHostExportsConnectsTelemetry: with CONNECT_HOST_TELEMETRY=stdout's
// exporters (here into a buffer), a request to the portal and a Service call
// come out as spans (the portal's server span named by its route, the
// Service's, the SQL statements'), and the outbox gauges as metrics.
func TestTheHostExportsConnectsTelemetry(t *testing.T) {
	out := &lockedBuffer{}
	tel, err := newTelemetry(out, time.Hour) // flushed by shutdown below
	if err != nil {
		t.Fatal(err)
	}
	cfg := config{DB: testDB(t), BaseURL: "http://127.0.0.1", SessionKey: []byte(strings.Repeat("s", 32)),
		Password: "dispatch-pass", Telemetry: tel}
	ctx := t.Context()
	h, err := newHost(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer h.pool.Close()
	if _, err := h.svc.ApplyRouteEvents(ctx, connect.AsRouteSync(account), nil); err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodGet, "/connect/dispatch/clients", nil)
	req.SetBasicAuth("ana", cfg.Password)
	rec := httptest.NewRecorder()
	h.router.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("the console: %d", rec.Code)
	}
	if err := tel.shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	for _, want := range []string{`"Name":"GET /connect/dispatch/clients"`, `"Name":"connect.route_events.apply"`, `"db.system.name"`,
		`"Name":"connect.outbox.pending"`, `"Name":"http.server.request.duration"`} {
		if !strings.Contains(got, want) {
			t.Errorf("the export lacks %s", want)
		}
	}
	if t.Failed() {
		t.Logf("export:\n%.3000s", got)
	}
}
