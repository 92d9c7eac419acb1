//go:build !linux

package portal

import "net"

// peerWatch tells when the peers of hijacked streams close their ends; here a
// goroutine per connection reads it (Linux has one epoll for all).
type peerWatch struct{}

func newPeerWatch() *peerWatch { return &peerWatch{} }

// add calls closed once conn's peer closes its end or sends anything; stop
// lets go of conn (before it is closed).
func (*peerWatch) add(conn net.Conn, closed func()) (stop func()) { return readPeer(conn, closed) }

// close ends the watch, once it watches nothing.
func (*peerWatch) close() {}
