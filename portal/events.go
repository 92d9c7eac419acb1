package portal

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/dispatchkit/connect"
)

// sseWriter writes Server-Sent Events, flushing each.
type sseWriter struct {
	w  http.ResponseWriter
	rc *http.ResponseController
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
	if _, err := fmt.Fprint(w, "retry: 3000\n\n"); err != nil {
		return nil, err
	}
	return s, rc.Flush()
}

// event writes one event; data must not contain new lines (JSON does not).
func (s *sseWriter) event(id, name string, data []byte) error {
	var b bytes.Buffer
	if id != "" {
		fmt.Fprintf(&b, "id: %s\n", strings.NewReplacer("\n", "", "\r", "").Replace(id))
	}
	if name != "" {
		fmt.Fprintf(&b, "event: %s\n", name)
	}
	fmt.Fprintf(&b, "data: %s\n\n", bytes.ReplaceAll(data, []byte("\n"), nil))
	if _, err := s.w.Write(b.Bytes()); err != nil {
		return err
	}
	return s.rc.Flush()
}

// comment keeps the connection alive through proxies.
func (s *sseWriter) comment(text string) error {
	if _, err := fmt.Fprintf(s.w, ": %s\n\n", text); err != nil {
		return err
	}
	return s.rc.Flush()
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

// streamEvents streams the order events the actor may see, as "order" events whose
// id is the event's cursor: a client that reconnects with Last-Event-ID (browsers'
// EventSource does) resumes after the last event it got, missing nothing.
func (s *server) streamEvents(w http.ResponseWriter, r *http.Request, a connect.Actor) error {
	after := r.Header.Get("Last-Event-ID")
	if after == "" {
		after = r.URL.Query().Get("after")
	}
	ctx := r.Context()
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
			// Take what else is waiting, and check the caller once for the burst:
			// the Service re-checks a subscriber only every few seconds, and a
			// member removed a moment ago must not see one more event.
			batch := []connect.OrderEvent{ev}
		more:
			for len(batch) < 100 {
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
			if a.Kind == connect.ActorMember || a.Kind == connect.ActorAPIKey {
				if _, err := s.svc.Client(ctx, a, a.Client); err != nil {
					return nil
				}
			}
			for _, ev := range batch {
				data, _ := json.Marshal(toAPIEvent(ev))
				if sse.event(ev.Cursor, "order", data) != nil {
					return nil
				}
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
