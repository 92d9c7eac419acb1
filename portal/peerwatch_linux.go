package portal

import (
	"net"
	"os"
	"sync"
	"syscall"
)

// peerWatch tells when the peers of hijacked streams close their ends: one
// epoll instance of its own watches them all (registered besides the Go
// runtime's), and one goroutine waits on it through the runtime's poller, so
// an idle stream has no goroutine. A connection it cannot poll is read by a
// goroutine of its own (readPeer).
type peerWatch struct {
	ep   *os.File // nil: epoll failed; every connection is read instead
	epfd int      // ep's (never ep.Fd(), which would make it blocking)

	mu     sync.Mutex
	next   uint32
	closed map[uint32]func() // by the id the epoll events carry
}

func newPeerWatch() *peerWatch {
	w := &peerWatch{closed: map[uint32]func(){}}
	fd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return w
	}
	if err := syscall.SetNonblock(fd, true); err != nil {
		syscall.Close(fd)
		return w
	}
	w.epfd = fd
	w.ep = os.NewFile(uintptr(fd), "stream peers") // non-blocking: the runtime polls it
	raw, err := w.ep.SyscallConn()
	if err != nil {
		w.ep.Close()
		w.ep = nil
		return w
	}
	go w.run(raw)
	return w
}

// add calls closed once conn's peer closes its end or sends anything; stop
// lets go of conn (before it is closed).
func (w *peerWatch) add(conn net.Conn, closed func()) (stop func()) {
	raw, ok := rawConn(conn)
	if w.ep == nil || !ok {
		return readPeer(conn, closed)
	}
	w.mu.Lock()
	for w.next++; w.closed[w.next] != nil || w.next == 0; w.next++ {
	}
	id := w.next
	w.closed[id] = closed
	w.mu.Unlock()
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLRDHUP, Fd: int32(id)}
	var cerr error
	err := raw.Control(func(fd uintptr) {
		cerr = syscall.EpollCtl(w.epfd, syscall.EPOLL_CTL_ADD, int(fd), &ev)
	})
	if err != nil || cerr != nil {
		w.mu.Lock()
		delete(w.closed, id)
		w.mu.Unlock()
		return readPeer(conn, closed)
	}
	return func() {
		w.mu.Lock()
		delete(w.closed, id)
		w.mu.Unlock()
		raw.Control(func(fd uintptr) { syscall.EpollCtl(w.epfd, syscall.EPOLL_CTL_DEL, int(fd), nil) })
	}
}

// run calls the closed functions of the connections epoll reports, until
// the watch is closed.
func (w *peerWatch) run(raw syscall.RawConn) {
	events := make([]syscall.EpollEvent, 128)
	for {
		var fired []func()
		err := raw.Read(func(fd uintptr) bool {
			n, err := syscall.EpollWait(int(fd), events, 0)
			if err != nil || n <= 0 {
				return false // nothing yet: wait until the runtime's poller says so
			}
			w.mu.Lock()
			for _, ev := range events[:n] {
				if f := w.closed[uint32(ev.Fd)]; f != nil {
					delete(w.closed, uint32(ev.Fd))
					fired = append(fired, f)
				}
			}
			w.mu.Unlock()
			return true
		})
		if err != nil {
			return // closed
		}
		for _, f := range fired {
			f()
		}
	}
}

// close ends the watch, once it watches nothing.
func (w *peerWatch) close() {
	if w.ep != nil {
		w.ep.Close()
	}
}
