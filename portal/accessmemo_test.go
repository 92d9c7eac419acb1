package portal_test

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/connecttest"
)

// memberLookups counts the Store's reads that check a member: Member (an actor
// without a session), SessionByTokenHashAnyAccount and Session (the session, its
// member and client, in one read).
type memberLookups struct {
	connect.Store
	n atomic.Int64
}

func (s *memberLookups) Member(ctx context.Context, sc connect.Scope, id connect.MemberID) (*connect.Member, error) {
	s.n.Add(1)
	return s.Store.Member(ctx, sc, id)
}

func (s *memberLookups) SessionByTokenHashAnyAccount(ctx context.Context, hash []byte) (*connect.SessionMember, error) {
	s.n.Add(1)
	return s.Store.SessionByTokenHashAnyAccount(ctx, hash)
}

func (s *memberLookups) Session(ctx context.Context, sc connect.Scope, id connect.SessionID) (*connect.SessionMember, error) {
	s.n.Add(1)
	return s.Store.Session(ctx, sc, id)
}

// TestAPageChecksItsMemberOnce: the Service calls of one GET page (an order page
// makes several) share one check of the signed-in member (connect.AccessMemo),
// and that check is the one read of the session with its member and client.
func TestAPageChecksItsMemberOnce(t *testing.T) {
	lookups := &memberLookups{}
	e := newEnvOnWorld(t, "", []connecttest.Option{connecttest.WithConfig(func(c *connect.Config) {
		lookups.Store = c.Store
		c.Store = lookups
	})})
	tm := e.signUp("Green Grocer", connect.ClientSettings{AllowUpload: true})
	o := e.draft(tm.owner, "A-1")
	b := e.signedIn(tm.email)
	before := lookups.n.Load()
	if r := b.get("/orders/" + string(o.ID)); r.status != http.StatusOK {
		t.Fatalf("the order page: %d", r.status)
	}
	if n := lookups.n.Load() - before; n != 1 {
		t.Fatalf("an order page read its session or member %d times, want once", n)
	}
}
