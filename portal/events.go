package portal

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/dispatchkit/connect"
)

// sseWriter writes Server-Sent Events: event writes one and sends it, add gathers
// several for one send (a burst of a thousand order events is one write to the
// connection, not a thousand).
type sseWriter struct {
	w   http.ResponseWriter
	rc  *http.ResponseController
	buf bytes.Buffer
}

// startSSE sends the event stream's headers.
func startSSE(w http.ResponseWriter) (*sseWriter, error) {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{}) // a stream outlives any write timeout
	w.WriteHeader(http.StatusOK)
	s := &sseWriter{w: w, rc: rc}
	s.buf.WriteString("retry: 3000\n\n")
	return s, s.send()
}

// add gathers one event for the next send.
func (s *sseWriter) add(id, name string, data []byte) { writeEvent(&s.buf, id, name, data) }

// writeEvent writes one event to b. A new line in id or data would end its
// field early, so they are dropped (JSON data has none).
func writeEvent(b *bytes.Buffer, id, name string, data []byte) {
	if id != "" {
		b.WriteString("id: ")
		b.WriteString(dropNewLines(id))
		b.WriteByte('\n')
	}
	if name != "" {
		b.WriteString("event: ")
		b.WriteString(name)
		b.WriteByte('\n')
	}
	b.WriteString("data: ")
	if bytes.ContainsAny(data, "\r\n") {
		data = []byte(dropNewLines(string(data)))
	}
	b.Write(data)
	b.WriteString("\n\n")
}

// send writes what add gathered and flushes it to the client.
func (s *sseWriter) send() error {
	_, err := s.w.Write(s.buf.Bytes())
	s.buf.Reset()
	if err != nil {
		return err
	}
	return s.rc.Flush()
}

// event writes one event and sends it.
func (s *sseWriter) event(id, name string, data []byte) error {
	s.add(id, name, data)
	return s.send()
}

// comment keeps the connection alive through proxies.
func (s *sseWriter) comment(text string) error {
	s.buf.WriteString(": ")
	s.buf.WriteString(dropNewLines(text))
	s.buf.WriteString("\n\n")
	return s.send()
}

// dropNewLines returns s without its CR and LF characters.
func dropNewLines(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	return strings.NewReplacer("\n", "", "\r", "").Replace(s)
}

// apiEvent is an order event as the portal streams it.
type apiEvent struct {
	Order  connect.OrderID `json:"order"`
	Event  connect.Event   `json:"event"`
	From   connect.Status  `json:"from,omitempty"`
	To     connect.Status  `json:"to"`
	At     time.Time       `json:"at"`
	ETA    *time.Time      `json:"eta,omitempty"`
	Reason string          `json:"reason,omitempty"`
}

func toAPIEvent(ev connect.OrderEvent) apiEvent {
	return apiEvent{Order: ev.Order, Event: ev.Event, From: ev.From, To: ev.To, At: ev.At, ETA: timePtr(ev.ETA), Reason: ev.Reason}
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}

// events streams the signed-in member's order events (the pages' live updates).
func (s *server) events(w http.ResponseWriter, r *http.Request, v *viewer) error {
	return s.streamEvents(w, r, v.Actor)
}

// maxStreamBurst is how many waiting order events a stream sends at once.
const maxStreamBurst = 500

// streamContext is the context of an event stream: the request's, ended also
// when the portal closes (Portal.Close), for a server shutting down.
func (s *server) streamContext(r *http.Request) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(r.Context())
	stop := context.AfterFunc(s.streamsDone, cancel)
	return ctx, func() { stop(); cancel() }
}

// streamEvents streams the order events the actor may see, as "order" events whose
// id is the event's cursor: a client that reconnects with Last-Event-ID (browsers'
// EventSource does) resumes after the last event it got, missing nothing.
func (s *server) streamEvents(w http.ResponseWriter, r *http.Request, a connect.Actor) error {
	after := r.Header.Get("Last-Event-ID")
	if after == "" {
		after = r.URL.Query().Get("after")
	}
	if canHijack(w, r) {
		return s.streamHijacked(w, r, a, after)
	}
	ctx, cancel := s.streamContext(r)
	defer cancel()
	sub, err := s.svc.Subscribe(ctx, a, connect.SubscribeParams{After: after})
	reset := false
	if isCode(err, connect.Invalid) && after != "" {
		// A cursor this store did not make (another database, a stale tab): start
		// from now, and say so, so the page reloads what it shows.
		sub, err = s.svc.Subscribe(ctx, a, connect.SubscribeParams{})
		reset = true
	}
	if err != nil {
		return err
	}
	sse, err := startSSE(w)
	if err != nil {
		return nil
	}
	if reset {
		if sse.event(sub.Cursor(), "reset", []byte(`{}`)) != nil {
			return nil
		}
	}
	heartbeat := time.NewTicker(20 * time.Second)
	defer heartbeat.Stop()
	for {
		select {
		case ev, ok := <-sub.Events():
			if !ok {
				return nil // the subscription ended: the member was removed, or ctx is done
			}
			// Send what else is waiting with it, in one write. The Service checks
			// the caller's access before each burst it reads, after reading it: a
			// member removed, or a client disabled, gets no event committed after.
			batch := []connect.OrderEvent{ev}
		more:
			for len(batch) < maxStreamBurst {
				select {
				case ev, ok := <-sub.Events():
					if !ok {
						break more
					}
					batch = append(batch, ev)
				default:
					break more
				}
			}
			for _, ev := range batch {
				data, _ := json.Marshal(toAPIEvent(ev))
				sse.add(ev.Cursor, "order", data)
			}
			if sse.send() != nil {
				return nil
			}
		case <-heartbeat.C:
			if sse.comment("ping") != nil {
				return nil
			}
		case <-ctx.Done():
			return nil
		}
	}
}
