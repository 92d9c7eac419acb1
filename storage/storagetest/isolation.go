package storagetest

import (
	"testing"

	"github.com/dispatchkit/connect"
)

// testTenantIsolation calls every method on one client's objects from the scope of
// another account and of another client of the same account: each lookup is
// ErrNotFound, each list is empty, and nothing changes.
func testTenantIsolation(t *testing.T, f *fixture) {
	// The victim: client c of account A, with a team, an invite and orders.
	c := f.client(f.account())
	owner := f.member(c, "Owner", connect.RoleOwner)
	inv := f.invite(c, 1)
	draft := f.order(c, connect.StatusDraft, 1)
	sub := f.order(c, connect.StatusSubmitted, 2)
	f.store(draft, sub)

	sibling := f.client(c.Account) // another client of account A
	stranger := f.client(f.account())

	snapshot := func() []any {
		t.Helper()
		cl, err := f.s.Client(f.ctx, c.Account, c.ID)
		must(t, err)
		m, err := f.s.Member(f.ctx, scopeOf(c), owner.ID)
		must(t, err)
		i, err := f.s.Invite(f.ctx, scopeOf(c), inv.ID)
		must(t, err)
		return []any{cl, m, i, f.reload(draft), f.reload(sub), f.history(draft), f.history(sub)}
	}
	before := snapshot()

	for _, foreign := range []struct {
		name  string
		scope connect.Scope
	}{
		{"another account", connect.Scope{Account: stranger.Account}},
		{"another account, naming the client", connect.Scope{Account: stranger.Account, Client: c.ID}},
		{"another client of the account", scopeOf(sibling)},
		{"a client of another account", scopeOf(stranger)},
	} {
		t.Run(foreign.name, func(t *testing.T) {
			sc := foreign.scope
			notFound := func(what string, err error) {
				t.Helper()
				wantCode(t, what, err, connect.NotFound)
			}
			empty := func(what string, n int, err error) {
				t.Helper()
				must(t, err)
				if n != 0 {
					t.Fatalf("%s: %d results from a foreign scope", what, n)
				}
			}
			if sc.Account != c.Account {
				notFound("Client", second(f.s.Client(f.ctx, sc.Account, c.ID)))
				notFound("ClientByNumber", second(f.s.ClientByNumber(f.ctx, sc.Account, c.Number)))
				clients, err := f.s.Clients(f.ctx, sc.Account)
				must(t, err)
				for _, cl := range clients {
					if cl.Account != sc.Account {
						t.Fatalf("Clients lists %s of account %s", cl.ID, cl.Account)
					}
				}
				cl := *c
				cl.Account, cl.Name = sc.Account, "hijacked"
				notFound("UpdateClient", f.s.UpdateClient(f.ctx, &cl))
			}
			counts, err := f.s.CountOrders(f.ctx, sc)
			must(t, err)
			if n := counts[c.ID].Total(); n != 0 {
				t.Fatalf("CountOrders counts %d orders of the client", n)
			}

			notFound("Member", second(f.s.Member(f.ctx, sc, owner.ID)))
			members, err := f.s.Members(f.ctx, sc)
			for _, m := range members {
				if m.Client == c.ID {
					t.Fatalf("Members lists %s", m.ID)
				}
			}
			must(t, err)
			m := *owner
			m.Account, m.Client, m.Name = sc.Account, sc.Client, "hijacked"
			if m.Client == "" {
				m.Client = c.ID // the account is wrong: enough to refuse
			}
			notFound("UpdateMember", f.s.UpdateMember(f.ctx, &m))
			notFound("DeleteMember", f.s.DeleteMember(f.ctx, sc, owner.ID))

			notFound("Invite", second(f.s.Invite(f.ctx, sc, inv.ID)))
			invites, err := f.s.Invites(f.ctx, sc)
			must(t, err)
			for _, i := range invites {
				if i.Client == c.ID {
					t.Fatalf("Invites lists %s", i.ID)
				}
			}
			i := *inv
			i.Account, i.Client, i.RevokedAt = sc.Account, sc.Client, f.at(50)
			if i.Client == "" {
				i.Client = c.ID
			}
			notFound("UpdateInvite", f.s.UpdateInvite(f.ctx, &i))

			for _, o := range []*connect.Order{draft, sub} {
				notFound("Order", second(f.s.Order(f.ctx, sc, o.ID)))
				h, err := f.s.History(f.ctx, sc, o.ID)
				empty("History", len(h), err)
				refs, err := f.s.ExistingRefs(f.ctx, sc, []string{o.Ref})
				empty("ExistingRefs", len(refs), err)
			}
			for _, q := range []connect.OrderQuery{
				{Scope: sc},
				{Scope: sc, Statuses: []connect.Status{connect.StatusDraft}},
				{Scope: sc, Statuses: connect.ViewActive.Statuses()},
				{Scope: sc, Statuses: []connect.Status{connect.StatusSubmitted}, Depot: sub.Depot},
			} {
				orders, err := f.s.Orders(f.ctx, q)
				must(t, err)
				for _, o := range orders {
					if o.Client == c.ID {
						t.Fatalf("Orders(%+v) lists %s", q, o.ID)
					}
				}
			}
			d := *draft
			d.Account, d.Client, d.Notes = sc.Account, sc.Client, "hijacked"
			if d.Client == "" {
				d.Client = c.ID
			}
			notFound("UpdateDraft", f.s.UpdateDraft(f.ctx, &d))
			notFound("DeleteDraft", f.s.DeleteDraft(f.ctx, sc, draft.ID, draft.Version))
			p := f.change(sub, connect.EventSchedule, connect.StatusScheduled, 60)
			p.Scope = sc
			notFound("SetStatuses", f.set(p))
		})
	}
	same(t, "the client's objects after foreign calls", before, snapshot())

	// The account's own scope reaches everything of its clients.
	all := connect.Scope{Account: c.Account}
	if _, err := f.s.Order(f.ctx, all, sub.ID); err != nil {
		t.Fatalf("the account cannot read its client's order: %v", err)
	}
	if _, err := f.s.Member(f.ctx, all, owner.ID); err != nil {
		t.Fatalf("the account cannot read its client's member: %v", err)
	}
	if _, err := f.s.Invite(f.ctx, all, inv.ID); err != nil {
		t.Fatalf("the account cannot read its client's invite: %v", err)
	}
}
