package portal

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dispatchkit/connect"
)

// An idle HTTP/1 event stream on net/http costs a goroutine with its stack and
// two 4 KiB buffers for as long as it is open (about 25 KiB, issue #19). The
// portal's order streams take their connection over from net/http instead
// (Hijack), once the request is authorized, and a streamHub holds them: the
// Service's few reading goroutines write events to it (connect.Follow), one
// timer sends every stream's heartbeat, and one watcher (epoll on Linux) tells
// when a peer has closed its end. An idle stream is then its connection and
// a few hundred bytes of state. HTTP/2 streams, and writers that cannot be
// hijacked, keep the handler's own loop (streamEvents).

// streamWriteTimeout bounds a write to a stream: a client that reads nothing
// for that long while its connection's buffer is full is dropped (its browser
// reconnects and resumes from its last event) and holds no one else back.
const streamWriteTimeout = 5 * time.Second

// streamHeartbeat is how often an idle stream gets a comment, which keeps
// proxies from closing it and finds peers gone without a word.
const streamHeartbeat = 20 * time.Second

// streamHub holds the portal's hijacked event streams.
type streamHub struct {
	mu        sync.Mutex
	streams   map[*hubStream]struct{}
	closed    bool                  // Portal.Close: streams opened after end at once
	servers   map[*http.Server]bool // registered for their Shutdown: true once it has begun
	watch     *peerWatch            // while any stream is open
	heartbeat *time.Timer           // while any stream is open

	// enc holds the last bursts encoded: the followers of a client at one
	// cursor are given the same events, which are encoded (and framed as a
	// chunk) once for all of them. A few, as the Service's reading goroutines
	// deliver different clients' bursts at once.
	enc struct {
		sync.Mutex
		recent [8]encodedBurst
		next   int
	}
}

// encodedBurst is a burst of events as a stream's body carries them: plain
// (HTTP/1.0) and as one chunk (HTTP/1.1's chunked body).
type encodedBurst struct {
	first        *connect.OrderEvent // the burst's identity: its first event, shared by its followers
	n            int
	plain, chunk []byte
}

// newStreamHub returns a hub whose streams end when done does.
func newStreamHub(done context.Context) *streamHub {
	h := &streamHub{streams: map[*hubStream]struct{}{}, servers: map[*http.Server]bool{}}
	context.AfterFunc(done, h.close)
	return h
}

// hubStream is one hijacked event stream.
type hubStream struct {
	hub     *streamHub
	conn    net.Conn
	chunked bool         // HTTP/1.1: chunked; HTTP/1.0: the body ends with the connection
	srv     *http.Server // the server it came through, if net/http says
	f       *connect.Follower

	mu      sync.Mutex // writes; held from the follow until the header is written
	closed  atomic.Bool
	unwatch func()
}

// canHijack reports whether the stream of r may leave net/http: an HTTP/1
// request whose writer (or a writer it wraps) can be hijacked.
func canHijack(w http.ResponseWriter, r *http.Request) bool {
	if r.ProtoMajor != 1 {
		return false
	}
	for {
		if _, ok := w.(http.Hijacker); ok {
			return true
		}
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return false
		}
		w = u.Unwrap()
	}
}

// streamHijacked is streamEvents for a connection the hub takes over: it
// authorizes and follows the actor's events, takes the connection, writes the
// response's header with the headers the handlers before it set (CSP and
// others) and its own framing, and hands it to the hub.
func (s *server) streamHijacked(w http.ResponseWriter, r *http.Request, a connect.Actor, after string) error {
	st := &hubStream{hub: s.hub, chunked: r.ProtoAtLeast(1, 1)}
	st.srv, _ = r.Context().Value(http.ServerContextKey).(*http.Server)
	st.mu.Lock() // deliveries wait for the header
	defer st.mu.Unlock()
	p := connect.FollowParams{After: after, Deliver: st.deliver, Ended: st.ended}
	f, err := s.svc.Follow(r.Context(), a, p)
	reset := false
	if isCode(err, connect.Invalid) && after != "" {
		// A cursor this store did not make: start from now, and say so.
		p.After = ""
		f, err = s.svc.Follow(r.Context(), a, p)
		reset = true
	}
	if err != nil {
		return err
	}
	st.f = f
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		f.Stop()
		return connect.Errorf(connect.Internal, "taking over the event stream: %v", err)
	}
	// What net/http buffered (a request pipelined after this one) is dropped
	// with its buffers: the response ends with the connection.
	st.conn = conn
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	h.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	h.Set("Connection", "close")
	h.Del("Content-Length")
	if st.chunked {
		h.Set("Transfer-Encoding", "chunked")
	}
	var head bytes.Buffer
	head.WriteString("HTTP/1.1 200 OK\r\n")
	h.Write(&head)
	head.WriteString("\r\n")
	var body bytes.Buffer
	body.WriteString("retry: 3000\n\n")
	if reset {
		writeEvent(&body, f.Cursor(), "reset", []byte(`{}`))
	}
	if st.write(head.Bytes(), body.Bytes()) != nil {
		st.close(false)
		return nil
	}
	s.hub.add(st)
	return nil
}

// deliver writes a burst of order events (connect.FollowParams.Deliver).
func (st *hubStream) deliver(events []connect.OrderEvent) bool {
	b := st.hub.encode(events)
	data := b.plain
	if st.chunked {
		data = b.chunk
	}
	st.mu.Lock()
	err := st.writeFramed(data)
	st.mu.Unlock()
	if err != nil {
		st.close(false)
		return false
	}
	return true
}

// ended closes the stream the Service ended (its member removed, its session
// ended), once its header is written.
func (st *hubStream) ended(error) {
	st.mu.Lock()
	st.mu.Unlock() //lint:ignore SA2001 waits for the header
	st.close(true)
}

// send writes body as the stream's next piece, under st.mu.
func (st *hubStream) send(body []byte) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.write(nil, body)
}

// write writes head (unframed) and body (framed) with one call, within
// streamWriteTimeout. st.mu is held.
func (st *hubStream) write(head, body []byte) error {
	if st.closed.Load() {
		return net.ErrClosed
	}
	bufs := net.Buffers{}
	if len(head) > 0 {
		bufs = append(bufs, head)
	}
	if st.chunked {
		bufs = append(bufs, []byte(strconv.FormatInt(int64(len(body)), 16)+"\r\n"), body, []byte("\r\n"))
	} else {
		bufs = append(bufs, body)
	}
	st.conn.SetWriteDeadline(time.Now().Add(streamWriteTimeout))
	_, err := bufs.WriteTo(st.conn)
	return err
}

// writeFramed writes data, framed already for the stream, within
// streamWriteTimeout. st.mu is held.
func (st *hubStream) writeFramed(data []byte) error {
	if st.closed.Load() {
		return net.ErrClosed
	}
	st.conn.SetWriteDeadline(time.Now().Add(streamWriteTimeout))
	_, err := st.conn.Write(data)
	return err
}

// close ends the stream once: unfollowed, unwatched and its connection
// closed, after the chunked body's last chunk if tell (the server ends it, and
// the client may tell a clean end from a broken connection).
func (st *hubStream) close(tell bool) {
	if st.closed.Swap(true) {
		return
	}
	if tell && st.chunked && st.mu.TryLock() {
		st.conn.SetWriteDeadline(time.Now().Add(time.Second))
		st.conn.Write([]byte("0\r\n\r\n"))
		st.mu.Unlock()
	}
	if st.conn != nil {
		st.conn.Close()
	}
	if st.f != nil {
		st.f.Stop()
	}
	st.hub.remove(st)
}

// add holds st, or closes it at once after Portal.Close or its server's
// Shutdown. A server's Shutdown does not wait for connections taken from it,
// so the hub registers with it to end its streams then, as it ended them
// before (Portal.Close ends every server's).
func (h *streamHub) add(st *hubStream) {
	h.mu.Lock()
	if h.closed || h.servers[st.srv] {
		h.mu.Unlock()
		st.close(true)
		return
	}
	if _, ok := h.servers[st.srv]; !ok && st.srv != nil {
		h.servers[st.srv] = false
		srv := st.srv
		srv.RegisterOnShutdown(func() { h.shutdown(srv) })
	}
	if h.watch == nil {
		h.watch = newPeerWatch()
		h.heartbeat = time.AfterFunc(streamHeartbeat, h.beat)
	}
	h.streams[st] = struct{}{}
	st.unwatch = h.watch.add(st.conn, func() { st.close(false) })
	h.mu.Unlock()
}

// remove lets go of st; the last stream stops the watcher and the heartbeat.
func (h *streamHub) remove(st *hubStream) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.streams[st]; !ok {
		return
	}
	delete(h.streams, st)
	st.unwatch()
	if len(h.streams) == 0 {
		h.watch.close()
		h.heartbeat.Stop()
		h.watch, h.heartbeat = nil, nil
	}
}

// close ends every stream, and any added later (Portal.Close).
func (h *streamHub) close() {
	h.mu.Lock()
	h.closed = true
	streams := h.all()
	h.mu.Unlock()
	for _, st := range streams {
		st.close(true)
	}
}

// shutdown ends the streams of srv, and any it hands over later.
func (h *streamHub) shutdown(srv *http.Server) {
	h.mu.Lock()
	h.servers[srv] = true
	var streams []*hubStream
	for st := range h.streams {
		if st.srv == srv {
			streams = append(streams, st)
		}
	}
	h.mu.Unlock()
	for _, st := range streams {
		st.close(true)
	}
}

// all returns the streams; h.mu is held.
func (h *streamHub) all() []*hubStream {
	out := make([]*hubStream, 0, len(h.streams))
	for st := range h.streams {
		out = append(out, st)
	}
	return out
}

// beat sends every stream its heartbeat, and drops those that cannot take it.
func (h *streamHub) beat() {
	h.mu.Lock()
	streams := h.all()
	h.mu.Unlock()
	ping := []byte(": ping\n\n")
	for _, st := range streams {
		if st.send(ping) != nil {
			st.close(false)
		}
	}
	h.mu.Lock()
	if h.heartbeat != nil {
		h.heartbeat.Reset(streamHeartbeat)
	}
	h.mu.Unlock()
}

// encode returns the events as "order" events, encoded once for the streams
// given the same burst.
func (h *streamHub) encode(events []connect.OrderEvent) encodedBurst {
	h.enc.Lock()
	defer h.enc.Unlock()
	for i := range h.enc.recent {
		if b := h.enc.recent[i]; b.first == &events[0] && b.n == len(events) {
			return b
		}
	}
	var body bytes.Buffer
	for _, ev := range events {
		data, _ := json.Marshal(toAPIEvent(ev))
		writeEvent(&body, ev.Cursor, "order", data)
	}
	plain := body.Bytes()
	chunk := make([]byte, 0, len(plain)+16)
	chunk = strconv.AppendInt(chunk, int64(len(plain)), 16)
	chunk = append(append(append(chunk, "\r\n"...), plain...), "\r\n"...)
	// (Holding first keeps the burst's events from being collected, so no
	// later burst can have its address.)
	b := encodedBurst{first: &events[0], n: len(events), plain: plain, chunk: chunk}
	h.enc.recent[h.enc.next] = b
	h.enc.next = (h.enc.next + 1) % len(h.enc.recent)
	return b
}
