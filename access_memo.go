package connect

import "sync"

// AccessMemo lets the reads of one request check their actor against the Store
// once, instead of once per call: the reads that make up a portal page or an API
// response look the member and its client up again for every call otherwise (an
// order page made five such calls). A request that changes nothing puts a new one
// on its actor, and drops it with the request:
//
//	a.AccessMemo = new(connect.AccessMemo) // a GET request's actor
//
// The Service's reads (Orders, Order, OrderStats, Membership, Members, …) then
// check the actor at the first call and reuse that check; a removal, or a role
// changed, in the course of the request goes unseen by its later reads. Subscribe
// and every method that changes something ignore the memo and check the actor
// anew: a live stream keeps checking its caller before every burst, however it
// was opened. The zero AccessMemo is ready to use.
type AccessMemo struct {
	mu      sync.Mutex
	callers map[Actor]caller // by the actor without its memo
}

// remembered returns the caller the memo holds for a, if any.
func (m *AccessMemo) remembered(a Actor) (caller, bool) {
	a.AccessMemo = nil
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.callers[a]
	return c, ok
}

// remember keeps a checked caller for the rest of the request.
func (m *AccessMemo) remember(a Actor, c caller) {
	a.AccessMemo = nil
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.callers == nil {
		m.callers = map[Actor]caller{}
	}
	m.callers[a] = c
}
