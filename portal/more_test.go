package portal_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/dispatchkit/connect"
)

func TestSubmitOneOrderFromItsPage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tm := e.signUp("Green Grocer", uploads)
	o := e.draft(tm.owner, "ONE-1")
	b := e.signedIn(tm.email)
	page := b.follow(b.post("/orders/"+string(o.ID)+"/submit", url.Values{})).is(t, http.StatusOK)
	page.has(t, "Order submitted for delivery", "status-submitted", `id="withdraw-order"`)
	b.post("/orders/"+string(o.ID)+"/submit", url.Values{}).is(t, http.StatusConflict)
}

func TestTeamInvitesCanBeResentAndRevoked(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tm := e.signUp("Green Grocer", uploads)
	b := e.signedIn(tm.email)
	first := secret(t, b.follow(b.post("/settings/team/invites", url.Values{"role": {"member"}, "email": {"sam@x.test"}})))
	memberInvite := func() connect.InviteID {
		invites, err := e.svc.Invites(e.ctx, tm.owner, "")
		if err != nil {
			t.Fatal(err)
		}
		for _, inv := range invites {
			if inv.Kind == connect.InviteMember && inv.RevokedAt.IsZero() {
				return inv.ID
			}
		}
		t.Fatalf("no pending member invite in %v", invites)
		return ""
	}
	b.get("/settings/team").is(t, http.StatusOK).has(t, "Pending invitations", "sam@x.test")
	second := secret(t, b.follow(b.post("/settings/team/invites/"+string(memberInvite())+"/resend", url.Values{})))
	if second == first {
		t.Fatal("resend kept the link")
	}
	b.follow(b.post("/settings/team/invites/"+string(memberInvite())+"/revoke", url.Values{})).has(t, "Invitation revoked").lacks(t, "Pending invitations")
	// Invites of another team are not found.
	other := e.signUp("Other", uploads)
	theirs, err := e.svc.InviteMember(e.ctx, other.owner, connect.InviteMemberParams{Role: connect.RoleMember})
	if err != nil {
		t.Fatal(err)
	}
	b.post("/settings/team/invites/"+string(theirs.Invite.ID)+"/revoke", url.Values{}).is(t, http.StatusNotFound)
	// The dispatcher's client invites are not the team's either.
	inv, err := e.svc.InviteClient(e.ctx, e.disp, connect.InviteClientParams{Name: "Third"})
	if err != nil {
		t.Fatal(err)
	}
	b.post("/settings/team/invites/"+string(inv.Invite.ID)+"/resend", url.Values{}).is(t, http.StatusNotFound)
	d := e.dispatcher()
	d.follow(d.post("/dispatch/invites/"+string(inv.Invite.ID)+"/revoke", url.Values{"next": {"/dispatch/clients"}})).has(t, "Invitation revoked")
}

func TestShopifyWithoutTheAdapter(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tm := e.signUp("Green Grocer", uploads)
	if _, err := e.svc.LinkShopify(e.ctx, tm.owner, "acme.myshopify.com"); err != nil {
		t.Fatal(err)
	}
	b := e.signedIn(tm.email)
	b.get("/settings/integrations").is(t, http.StatusOK).has(t, "acme.myshopify.com", "Disconnect store")
	// Back from an install where Shopify granted less than asked, the owner is told what will not work.
	b.get("/settings/integrations?shopify_missing_scopes=write_fulfillments,%3Cscript%3E").is(t, http.StatusOK).
		has(t, `id="shopify-missing-scopes"`, "<code>write_fulfillments</code>", "Delivery progress will not show")
	b.get("/orders/shopify").is(t, http.StatusOK).has(t, "not connected to Shopify")
	b.post("/orders/shopify", url.Values{"bulk": {"#1001"}}).is(t, http.StatusServiceUnavailable).has(t, "not connected to Shopify")
	_, email := e.addMember(tm, connect.RoleMember)
	e.signedIn(email).post("/settings/integrations/shopify/disconnect", url.Values{}).is(t, http.StatusForbidden)
	b.follow(b.post("/settings/integrations/shopify/disconnect", url.Values{})).has(t, "Shopify store disconnected", "No Shopify store is linked")
}
