package connect_test

import (
	"sync"
	"testing"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/connecttest"
)

// owners counts the team's owners.
func owners(t *testing.T, w *world, a connect.Actor) []*connect.Member {
	t.Helper()
	members, err := w.svc.Members(w.ctx, a, "")
	if err != nil {
		t.Fatal(err)
	}
	var out []*connect.Member
	for _, m := range members {
		if m.Role == connect.RoleOwner {
			out = append(out, m)
		}
	}
	return out
}

func TestTransferOwnershipKeepsExactlyOneOwner(t *testing.T) {
	w := newWorld(t)
	admin := w.join(w.owner, "ada@example.com", connect.RoleAdmin)
	next, err := w.svc.TransferOwnership(w.ctx, w.owner, admin.Member)
	if err != nil {
		t.Fatal(err)
	}
	if next.Role != connect.RoleOwner {
		t.Fatalf("new owner has role %s", next.Role)
	}
	got := owners(t, w, admin)
	if len(got) != 1 || got[0].ID != admin.Member {
		t.Fatalf("owners after transfer: %+v", got)
	}
	// The former owner is an admin now and can no longer transfer.
	_, err = w.svc.TransferOwnership(w.ctx, w.owner, admin.Member)
	connecttest.WantCode(t, err, connect.Forbidden)
}

func TestMemberChoosesTheirLanguage(t *testing.T) {
	w := newWorld(t)
	m, err := w.svc.SetLanguage(w.ctx, w.owner, " fr-ca ")
	if err != nil {
		t.Fatal(err)
	}
	if m.Language != "fr-CA" {
		t.Fatalf("Language = %q, want fr-CA (the tag's canonical form)", m.Language)
	}
	members, err := w.svc.Members(w.ctx, w.owner, "")
	if err != nil {
		t.Fatal(err)
	}
	if members[0].Language != "fr-CA" {
		t.Fatalf("stored Language = %q, want fr-CA", members[0].Language)
	}
	_, err = w.svc.SetLanguage(w.ctx, w.owner, "not a language!")
	connecttest.WantCode(t, err, connect.Invalid)
	if m, err = w.svc.SetLanguage(w.ctx, w.owner, ""); err != nil || m.Language != "" {
		t.Fatalf("SetLanguage(\"\") = %v, %v; want the browser's again", m, err)
	}
}

func TestConcurrentTransfersLeaveOneOwner(t *testing.T) {
	w := newWorld(t)
	a := w.join(w.owner, "a@example.com", connect.RoleAdmin)
	b := w.join(w.owner, "b@example.com", connect.RoleMember)
	var wg sync.WaitGroup
	for _, to := range []connect.MemberID{a.Member, b.Member} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _ = w.svc.TransferOwnership(w.ctx, w.owner, to)
		}()
	}
	wg.Wait()
	if got := owners(t, w, a); len(got) != 1 {
		t.Fatalf("%d owners after racing transfers", len(got))
	}
}

func TestOwnerCannotBeRemovedOrDemoted(t *testing.T) {
	w := newWorld(t)
	admin := w.join(w.owner, "ada@example.com", connect.RoleAdmin)
	connecttest.WantCode(t, w.svc.RemoveMember(w.ctx, admin, w.owner.Member), connect.Forbidden)
	connecttest.WantCode(t, w.svc.RemoveMember(w.ctx, w.owner, w.owner.Member), connect.Forbidden)
	_, err := w.svc.ChangeRole(w.ctx, admin, w.owner.Member, connect.RoleMember)
	connecttest.WantCode(t, err, connect.Forbidden)
	_, err = w.svc.ChangeRole(w.ctx, w.owner, admin.Member, connect.RoleOwner)
	connecttest.WantCode(t, err, connect.Invalid)
	_, err = w.svc.InviteMember(w.ctx, w.owner, connect.InviteMemberParams{Email: "x@example.com", Role: connect.RoleOwner})
	connecttest.WantCode(t, err, connect.Invalid)
	if got := owners(t, w, w.owner); len(got) != 1 {
		t.Fatalf("%d owners", len(got))
	}
}

func TestRemovedMemberIsRefusedAtOnce(t *testing.T) {
	w := newWorld(t)
	sam := w.join(w.owner, "sam@example.com", connect.RoleMember)
	if err := w.svc.RemoveMember(w.ctx, w.owner, sam.Member); err != nil {
		t.Fatal(err)
	}
	_, err := w.svc.Orders(w.ctx, sam, connect.ListOrdersParams{})
	connecttest.WantCode(t, err, connect.Forbidden)
}

func TestMemberMayLeave(t *testing.T) {
	w := newWorld(t)
	sam := w.join(w.owner, "sam@example.com", connect.RoleMember)
	other := w.join(w.owner, "other@example.com", connect.RoleMember)
	connecttest.WantCode(t, w.svc.RemoveMember(w.ctx, sam, other.Member), connect.Forbidden)
	if err := w.svc.RemoveMember(w.ctx, sam, sam.Member); err != nil {
		t.Fatal(err)
	}
}

func TestRoleChangeAppliesAtOnce(t *testing.T) {
	w := newWorld(t)
	sam := w.join(w.owner, "sam@example.com", connect.RoleMember)
	_, err := w.svc.InviteMember(w.ctx, sam, connect.InviteMemberParams{Email: "x@example.com", Role: connect.RoleMember})
	connecttest.WantCode(t, err, connect.Forbidden)
	if _, err := w.svc.ChangeRole(w.ctx, w.owner, sam.Member, connect.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.InviteMember(w.ctx, sam, connect.InviteMemberParams{Email: "x@example.com", Role: connect.RoleMember}); err != nil {
		t.Fatalf("admin cannot invite: %v", err)
	}
}

func TestJoiningTwiceWithOneEmailIsAConflict(t *testing.T) {
	w := newWorld(t)
	w.join(w.owner, "sam@example.com", connect.RoleMember)
	inv, err := w.svc.InviteMember(w.ctx, w.owner, connect.InviteMemberParams{Email: "sam@example.com", Role: connect.RoleMember})
	if err != nil {
		t.Fatal(err)
	}
	_, err = w.svc.AcceptInvite(w.ctx, inv.Token, connect.SignUp{Name: "Sam", Email: "sam@example.com"})
	connecttest.WantCode(t, err, connect.Conflict)
}
