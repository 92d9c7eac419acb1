package portal

import (
	"net"
	"syscall"
)

// readPeer is how a peerWatch watches a connection it cannot poll (not a
// socket of this process, or no epoll): a goroutine reads it, so a stream on
// it costs what it did on net/http.
func readPeer(conn net.Conn, closed func()) (stop func()) {
	go func() {
		var b [1]byte
		conn.Read(b[:]) // a stream's client sends nothing: data, an end or an error all end it
		closed()
	}()
	return func() {}
}

// rawConn returns the socket under conn (a TLS connection's too), if any.
func rawConn(conn net.Conn) (syscall.RawConn, bool) {
	if t, ok := conn.(interface{ NetConn() net.Conn }); ok {
		conn = t.NetConn()
	}
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return nil, false
	}
	raw, err := sc.SyscallConn()
	return raw, err == nil
}
