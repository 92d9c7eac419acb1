package portal_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/dispatchkit/connect"
)

// sseEvent is one Server-Sent Event.
type sseEvent struct {
	id, name string
	data     map[string]any
}

// stream opens an event stream and returns its events as they come.
func (b *browser) stream(ctx context.Context, path string, header http.Header) (<-chan sseEvent, *http.Response) {
	b.e.t.Helper()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, b.e.base+path, nil)
	for k, v := range b.header {
		req.Header[k] = v
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Accept", "text/event-stream")
	c := *b.c
	c.Timeout = 0
	res, err := c.Do(req)
	if err != nil {
		b.e.t.Fatal(err)
	}
	out := make(chan sseEvent, 16)
	go func() {
		defer close(out)
		defer res.Body.Close()
		sc := bufio.NewScanner(res.Body)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.name != "" || ev.data != nil {
					out <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, "id: "):
				ev.id = strings.TrimPrefix(line, "id: ")
			case strings.HasPrefix(line, "event: "):
				ev.name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				_ = json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &ev.data)
			}
		}
	}()
	return out, res
}

func next(t *testing.T, events <-chan sseEvent) sseEvent {
	t.Helper()
	select {
	case ev, ok := <-events:
		if !ok {
			t.Fatal("the stream ended")
		}
		return ev
	case <-time.After(10 * time.Second):
		t.Fatal("no event within 10 s")
	}
	return sseEvent{}
}

// TestEventsDeliverStatusChangesLive runs on both of a stream's paths: taken
// over from net/http (HTTP/1), and kept on its handler's loop (HTTP/2, or a
// writer that cannot be hijacked). Both answer with the portal's security
// headers.
func TestEventsDeliverStatusChangesLive(t *testing.T) {
	t.Parallel()
	for _, keep := range []bool{false, true} {
		name := map[bool]string{false: "taken over", true: "kept by net/http"}[keep]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			testEventsDeliverStatusChangesLive(t, keep)
		})
	}
}

func testEventsDeliverStatusChangesLive(t *testing.T, keep bool) {
	e := newEnv(t)
	e.keep.Store(keep)
	tm := e.signUp("Green Grocer", uploads)
	other := e.signUp("Other", uploads)
	o := e.draft(tm.owner, "L-1")
	b := e.signedIn(tm.email)
	ctx, cancel := context.WithCancel(e.ctx)
	defer cancel()
	events, res := b.stream(ctx, "/events", nil)
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("stream: %d %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	for _, h := range []string{"Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options", "Referrer-Policy", "Cache-Control"} {
		if res.Header.Get(h) == "" {
			t.Errorf("the stream's response has no %s: %v", h, res.Header)
		}
	}

	// Another client's change is not seen; this client's is, at once.
	theirs := e.draft(other.owner, "X-1")
	if _, err := e.svc.SubmitOrders(e.ctx, other.owner, []connect.OrderID{theirs.ID}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.SubmitOrders(e.ctx, tm.owner, []connect.OrderID{o.ID}); err != nil {
		t.Fatal(err)
	}
	ev := next(t, events)
	if ev.name != "order" || ev.data["order"] != string(o.ID) || ev.data["to"] != "submitted" || ev.id == "" {
		t.Fatalf("event %+v", ev)
	}
	eta := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	if _, err := e.svc.ApplyRouteEvents(e.ctx, connect.AsRouteSync(e.acct), []connect.RouteEvent{
		{ID: "1", Order: o.ID, Event: connect.EventSchedule, At: time.Now(), Route: connect.RouteStop{RouteID: "R", Position: 1}},
		{ID: "2", Order: o.ID, Event: connect.EventStart, At: time.Now().Add(time.Second), ETA: eta},
	}); err != nil {
		t.Fatal(err)
	}
	if ev = next(t, events); ev.data["to"] != "scheduled" {
		t.Fatalf("event %+v", ev)
	}
	last := next(t, events)
	if last.data["to"] != "en_route" || last.data["eta"] != eta.Format(time.RFC3339) {
		t.Fatalf("event %+v", last)
	}
	cancel()

	// Resuming with Last-Event-ID replays what happened while disconnected.
	if _, err := e.svc.ApplyRouteEvents(e.ctx, connect.AsRouteSync(e.acct), []connect.RouteEvent{
		{ID: "3", Order: o.ID, Event: connect.EventComplete, At: time.Now().Add(2 * time.Second), Proof: &connect.ProofOfDelivery{RecipientName: "Rita"}},
	}); err != nil {
		t.Fatal(err)
	}
	ctx2, cancel2 := context.WithCancel(e.ctx)
	defer cancel2()
	events, _ = b.stream(ctx2, "/events", http.Header{"Last-Event-ID": {last.id}})
	if ev = next(t, events); ev.data["to"] != "delivered" {
		t.Fatalf("resumed event %+v", ev)
	}

	// The API streams the same with a key; a bad cursor restarts from now.
	key := e.apiKey(tm)
	ctx3, cancel3 := context.WithCancel(e.ctx)
	defer cancel3()
	events, res = e.browser().stream(ctx3, "/api/v1/events?after=bogus", http.Header{"Authorization": {"Bearer " + key}})
	if res.StatusCode != http.StatusOK {
		t.Fatalf("API stream: %d", res.StatusCode)
	}
	if ev = next(t, events); ev.name != "reset" {
		t.Fatalf("event %+v", ev)
	}
}

func TestEventsStopForARemovedMember(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tm := e.signUp("Green Grocer", uploads)
	member, email := e.addMember(tm, connect.RoleMember)
	b := e.signedIn(email)
	ctx, cancel := context.WithCancel(e.ctx)
	defer cancel()
	events, _ := b.stream(ctx, "/events", nil)
	if err := e.svc.RemoveMember(e.ctx, tm.owner, member.Member); err != nil {
		t.Fatal(err)
	}
	o := e.draft(tm.owner, "R-1")
	if _, err := e.svc.SubmitOrders(e.ctx, tm.owner, []connect.OrderID{o.ID}); err != nil {
		t.Fatal(err)
	}
	streamEndsForRemovedMember(t, events, "order")
}

// streamEndsForRemovedMember waits up to 10 s for the stream of a removed member
// to end, failing on any event it gets named refused ("" refuses every event).
func streamEndsForRemovedMember(t *testing.T, events <-chan sseEvent, refused string) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				return // the stream ended
			}
			if refused == "" || ev.name == refused {
				t.Fatalf("a removed member got %+v", ev)
			}
		case <-deadline:
			t.Fatal("the stream of a removed member is still open")
		}
	}
}

// TestAnHTTP10StreamIsUnframed: a stream asked for over HTTP/1.0 (no chunked
// bodies) is taken over too, and its events come as the bare body, each burst
// as it is encoded once for every stream (HTTP/1.1's streams get the same
// bytes as a chunk).
func TestAnHTTP10StreamIsUnframed(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tm := e.signUp("Old Proxy Goods", uploads)
	o := e.draft(tm.owner, "H10-1")
	b := e.signedIn(tm.email)
	base, _ := url.Parse(e.base)
	conn, err := net.Dial("tcp", base.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET /events HTTP/1.0\r\nHost: %s\r\nCookie: %s\r\nAccept: text/event-stream\r\n\r\n", base.Host, b.cookieHeader())
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(conn)
	res, err := http.ReadResponse(r, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK || len(res.TransferEncoding) > 0 || res.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("stream: %d, transfer encoding %v, %q", res.StatusCode, res.TransferEncoding, res.Header.Get("Content-Type"))
	}
	if _, err := e.svc.SubmitOrders(e.ctx, tm.owner, []connect.OrderID{o.ID}); err != nil {
		t.Fatal(err)
	}
	var body strings.Builder
	buf := make([]byte, 4096)
	for !strings.Contains(body.String(), "\n\n") || !strings.Contains(body.String(), "event: order") {
		k, err := res.Body.Read(buf)
		body.Write(buf[:k])
		if err != nil {
			t.Fatalf("reading the stream: %v after %q", err, body.String())
		}
	}
	got := body.String()
	if strings.Contains(got, "\r\n") || !strings.Contains(got, `"order":"`+string(o.ID)+`"`) {
		t.Fatalf("the HTTP/1.0 body, bare events of the order wanted:\n%q", got)
	}
}

// cookieHeader is the browser's cookies for the portal as a Cookie header's
// value, for a request made by hand on a bare connection.
func (b *browser) cookieHeader() string {
	base, _ := url.Parse(b.e.base)
	var kv []string
	for _, c := range b.c.Jar.Cookies(base) {
		kv = append(kv, c.Name+"="+c.Value)
	}
	return strings.Join(kv, "; ")
}
