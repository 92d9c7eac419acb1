package portal_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/dispatchkit/connect/portal"
)

// TestShutdownEndsOpenStreams: http.Server.Shutdown waits for every request to
// end, and an event stream never does on its own. With Portal.Close registered,
// Shutdown ends open streams and returns well within its deadline; a stream
// opened after Close ends at once (the browser reconnects elsewhere).
func TestShutdownEndsOpenStreams(t *testing.T) {
	t.Parallel()
	e, events := openStream(t)
	p := e.h.(*portal.Portal)
	e.srv.Config.RegisterOnShutdown(p.Close)
	shutdownCtx, stop := context.WithTimeout(e.ctx, 10*time.Second)
	defer stop()
	if err := e.srv.Config.Shutdown(shutdownCtx); err != nil {
		t.Fatalf("Shutdown: %v, want the open stream ended at once", err)
	}
	select {
	case _, ok := <-events:
		for ok {
			_, ok = <-events
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the stream is still open after Shutdown")
	}
}

// TestShutdownEndsTakenOverStreamsWithoutClose: an HTTP/1 order stream,
// which the portal takes over from net/http (so Shutdown would not wait for
// it), still ends with its server's Shutdown, without Close.
func TestShutdownEndsTakenOverStreamsWithoutClose(t *testing.T) {
	t.Parallel()
	e, events := openStream(t)
	shutdownCtx, stop := context.WithTimeout(e.ctx, 10*time.Second)
	defer stop()
	if err := e.srv.Config.Shutdown(shutdownCtx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	for range events {
	}
	if shutdownCtx.Err() != nil {
		t.Fatal("the stream is still open after Shutdown")
	}
}

// TestShutdownWithoutCloseWaitsForStreams shows why Close is needed: without
// it, Shutdown gives up at its deadline with a stream net/http keeps (HTTP/2)
// still open.
func TestShutdownWithoutCloseWaitsForStreams(t *testing.T) {
	t.Parallel()
	e, _ := openStreamKept(t)
	shutdownCtx, stop := context.WithTimeout(e.ctx, 300*time.Millisecond)
	defer stop()
	if err := e.srv.Config.Shutdown(shutdownCtx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown without Close: %v, want %v", err, context.DeadlineExceeded)
	}
	e.h.(*portal.Portal).Close() // lets the test server's cleanup end
}

// TestStreamsOpenedAfterCloseEndAtOnce: a request for a stream that reaches a
// closed portal gets the stream's start and its end, not a hung connection.
func TestStreamsOpenedAfterCloseEndAtOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tm := e.signUp("Green Grocer", uploads)
	b := e.signedIn(tm.email)
	e.h.(*portal.Portal).Close()
	e.h.(*portal.Portal).Close() // twice is fine
	ctx, cancel := context.WithTimeout(e.ctx, 10*time.Second)
	defer cancel()
	events, _ := b.stream(ctx, "/events", nil)
	for range events {
	}
	if ctx.Err() != nil {
		t.Fatal("the stream opened after Close stayed open")
	}
}

// openStream opens a member's live order stream on a new test portal.
func openStream(t *testing.T) (*env, <-chan sseEvent) {
	t.Helper()
	return openStreamOn(t, newEnv(t))
}

// openStreamKept is openStream on a writer that cannot be hijacked.
func openStreamKept(t *testing.T) (*env, <-chan sseEvent) {
	t.Helper()
	e := newEnv(t)
	e.keep.Store(true)
	return openStreamOn(t, e)
}

func openStreamOn(t *testing.T, e *env) (*env, <-chan sseEvent) {
	t.Helper()
	tm := e.signUp("Green Grocer", uploads)
	ctx, cancel := context.WithCancel(e.ctx)
	t.Cleanup(cancel)
	events, res := e.signedIn(tm.email).stream(ctx, "/events", nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("stream: %d", res.StatusCode)
	}
	return e, events
}
