package connect_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dispatchkit/connect"
)

func TestIdentifyMemberNamesExactlyOneMemberOfOneClient(t *testing.T) {
	w := newWorld(t)
	berry, berryOwner := w.signUpClient(w.disp, "Berry Farm", connect.ClientSettings{})
	sam := w.join(w.owner, "sam@example.com", connect.RoleAdmin)

	m, err := w.svc.IdentifyMember(w.ctx, connect.HostIdentity{Account: w.acct, Email: " SAM@example.com "}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(sam, m.Actor); d != "" {
		t.Fatalf("the identified actor (-want +got):\n%s", d)
	}
	if m.Member.Role != connect.RoleAdmin || m.Client.ID != w.client.ID || m.SecondStep != connect.SecondStepNone {
		t.Fatalf("membership %+v %+v %s", m.Member, m.Client, m.SecondStep)
	}

	// On two teams of the account: the host names the client, or gets a conflict.
	w.join(berryOwner, "sam@example.com", connect.RoleMember)
	_, err = w.svc.IdentifyMember(w.ctx, connect.HostIdentity{Account: w.acct, Email: "sam@example.com"}, nil)
	wantCode(t, err, connect.Conflict)
	m, err = w.svc.IdentifyMember(w.ctx, connect.HostIdentity{Account: w.acct, Client: berry.ID, Email: "sam@example.com"}, nil)
	if err != nil || m.Actor.Client != berry.ID || m.Member.Role != connect.RoleMember {
		t.Fatalf("naming Berry Farm: %+v, %v", m, err)
	}

	_, err = w.svc.IdentifyMember(w.ctx, connect.HostIdentity{Email: "sam@example.com"}, nil)
	wantCode(t, err, connect.Invalid)
	_, err = w.svc.IdentifyMember(w.ctx, connect.HostIdentity{Account: w.acct, Email: "nobody@example.com"}, nil)
	wantCode(t, err, connect.NotFound)

	// The identified actor is checked on every call: removed, it is refused.
	if err := w.svc.RemoveMember(w.ctx, berryOwner, m.Actor.Member); err != nil {
		t.Fatal(err)
	}
	_, err = w.svc.Orders(w.ctx, m.Actor, connect.ListOrdersParams{})
	wantCode(t, err, connect.Forbidden)
}
