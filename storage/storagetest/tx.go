package storagetest

import (
	"errors"
	"testing"

	"github.com/dispatchkit/connect"
)

// txWork does one of each kind of write through tx: a client, a member, an invite,
// orders with history, a status change. It returns what it wrote.
func (f *fixture) txWork(t *testing.T, tx connect.Store, account connect.AccountID) (*connect.Client, *connect.Order) {
	t.Helper()
	c := &connect.Client{ID: connect.ClientID(f.id("cl")), Account: account, Name: "In a tx",
		Status: connect.ClientActive, Number: connect.ClientNumber(f.id("n")), CreatedAt: f.at(0), UpdatedAt: f.at(0)}
	must(t, tx.CreateClient(f.ctx, connect.Scope{Account: c.Account}, c))
	must(t, tx.CreateMember(f.ctx, scopeOf(c), &connect.Member{ID: connect.MemberID(f.id("mb")), Account: account,
		Client: c.ID, Name: "Ann", Email: f.id("") + "@example.com", Role: connect.RoleOwner,
		CreatedAt: f.at(0), UpdatedAt: f.at(0)}))
	must(t, tx.CreateInvite(f.ctx, scopeOf(c), &connect.Invite{ID: connect.InviteID(f.id("iv")), Account: account,
		Client: c.ID, Kind: connect.InviteMember, TokenHash: []byte(f.id("tok")), ExpiresAt: f.at(9),
		CreatedAt: f.at(0)}))
	o := f.order(c, connect.StatusSubmitted, 1)
	must(t, tx.CreateOrders(f.ctx, connect.Scope{Account: o.Account}, []*connect.Order{o}, []connect.OrderEvent{createdEvent(o)}))
	p := f.change(o, connect.EventSchedule, connect.StatusScheduled, 2)
	must(t, tx.SetStatuses(f.ctx, scopeOf(c), []connect.SetStatusParams{p}))
	got, err := tx.Order(f.ctx, scopeOf(c), o.ID)
	must(t, err)
	same(t, "the tx sees its own writes", p.Order, got)
	return c, p.Order
}

// gone checks that nothing of the client survived.
func (f *fixture) gone(t *testing.T, c *connect.Client, o *connect.Order) {
	t.Helper()
	_, err := f.s.Client(f.ctx, connect.Scope{Account: c.Account}, c.ID)
	wantCode(t, "a rolled-back client", err, connect.NotFound)
	_, err = f.s.Order(f.ctx, connect.Scope{Account: c.Account}, o.ID)
	wantCode(t, "a rolled-back order", err, connect.NotFound)
	h, err := f.s.History(f.ctx, connect.Scope{Account: c.Account}, o.ID)
	must(t, err)
	if len(h) != 0 {
		t.Fatalf("a rolled-back order left history %v", h)
	}
	members, err := f.s.Members(f.ctx, connect.Scope{Account: c.Account})
	must(t, err)
	invites, err := f.s.Invites(f.ctx, connect.Scope{Account: c.Account})
	must(t, err)
	if len(members) != 0 || len(invites) != 0 {
		t.Fatalf("a rolled-back tx left %d members and %d invites", len(members), len(invites))
	}
}

func testTxCommit(t *testing.T, f *fixture) {
	account := f.account()
	var c *connect.Client
	var o *connect.Order
	must(t, f.s.Tx(f.ctx, func(tx connect.Store) error {
		c, o = f.txWork(t, tx, account)
		return nil
	}))
	got, err := f.s.Client(f.ctx, connect.Scope{Account: account}, c.ID)
	must(t, err)
	same(t, "committed client", c, got)
	same(t, "committed order", o, f.reload(o))
	if h := f.history(o); len(h) != 2 {
		t.Fatalf("committed order has %d history events, want 2", len(h))
	}
}

func testTxRollbackError(t *testing.T, f *fixture) {
	account := f.account()
	boom := errors.New("boom")
	var c *connect.Client
	var o *connect.Order
	err := f.s.Tx(f.ctx, func(tx connect.Store) error {
		c, o = f.txWork(t, tx, account)
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Tx returned %v, want fn's error", err)
	}
	f.gone(t, c, o)

	// A failed store call inside the tx, returned by fn, rolls back too.
	err = f.s.Tx(f.ctx, func(tx connect.Store) error {
		c, o = f.txWork(t, tx, account)
		dup := *c
		return tx.CreateClient(f.ctx, connect.Scope{Account: dup.Account}, &dup)
	})
	wantCode(t, "Tx whose fn failed with a conflict", err, connect.Conflict)
	f.gone(t, c, o)
}

func testTxRollbackPanic(t *testing.T, f *fixture) {
	account := f.account()
	var c *connect.Client
	var o *connect.Order
	func() {
		defer func() {
			if p := recover(); p != "kaboom" {
				t.Fatalf("recovered %v, want the panic of fn", p)
			}
		}()
		_ = f.s.Tx(f.ctx, func(tx connect.Store) error {
			c, o = f.txWork(t, tx, account)
			panic("kaboom")
		})
		t.Fatal("Tx returned after fn panicked")
	}()
	f.gone(t, c, o)
	// The Store still works after the panic.
	f.client(account)
}

func testNestedTx(t *testing.T, f *fixture) {
	account := f.account()
	var outer, inner *connect.Client
	var innerOrder *connect.Order
	must(t, f.s.Tx(f.ctx, func(tx connect.Store) error {
		outer, _ = f.txWork(t, tx, account)
		err := tx.Tx(f.ctx, func(tx2 connect.Store) error {
			if _, err := tx2.Client(f.ctx, connect.Scope{Account: account}, outer.ID); err != nil {
				t.Errorf("the inner tx does not see the outer's writes: %v", err)
			}
			inner, innerOrder = f.txWork(t, tx2, account)
			return nil
		})
		if err != nil {
			return err
		}
		_, err = tx.Client(f.ctx, connect.Scope{Account: account}, inner.ID)
		return err // the outer tx sees the inner's writes
	}))
	for _, c := range []*connect.Client{outer, inner} {
		_, err := f.s.Client(f.ctx, connect.Scope{Account: account}, c.ID)
		must(t, err)
	}
	same(t, "inner order", innerOrder, f.reload(innerOrder))

	// The outer tx failing undoes the inner one's work too.
	account2 := f.account()
	var o1, o2 *connect.Order
	boom := errors.New("boom")
	err := f.s.Tx(f.ctx, func(tx connect.Store) error {
		outer, o1 = f.txWork(t, tx, account2)
		if err := tx.Tx(f.ctx, func(tx2 connect.Store) error {
			inner, o2 = f.txWork(t, tx2, account2)
			return nil
		}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Tx returned %v, want fn's error", err)
	}
	_, err = f.s.Client(f.ctx, connect.Scope{Account: account2}, inner.ID)
	wantCode(t, "the inner tx's client after the outer failed", err, connect.NotFound)
	_, err = f.s.Order(f.ctx, connect.Scope{Account: account2}, o2.ID)
	wantCode(t, "the inner tx's order after the outer failed", err, connect.NotFound)
	_, err = f.s.Order(f.ctx, connect.Scope{Account: account2}, o1.ID)
	wantCode(t, "the outer tx's order", err, connect.NotFound)

	// An inner failure returned through the outer fn rolls everything back.
	account3 := f.account()
	err = f.s.Tx(f.ctx, func(tx connect.Store) error {
		outer, _ = f.txWork(t, tx, account3)
		return tx.Tx(f.ctx, func(tx2 connect.Store) error {
			inner, _ = f.txWork(t, tx2, account3)
			return boom
		})
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Tx returned %v, want the inner fn's error", err)
	}
	for _, c := range []*connect.Client{outer, inner} {
		_, err := f.s.Client(f.ctx, connect.Scope{Account: account3}, c.ID)
		wantCode(t, "a client of a failed nested tx", err, connect.NotFound)
	}
}
