package portal

import (
	"net/http"
	"strings"

	"github.com/dispatchkit/connect"
)

func (s *server) settingsRoot(w http.ResponseWriter, r *http.Request, _ *viewer) error {
	s.redirect(w, r, s.path("/settings/team"))
	return nil
}

// teamData is Settings → General → Team members.
type teamData struct {
	Members []*connect.Member
	Invites []*connect.Invite
	Error   string
	Errors  map[string]string
	Email   string
}

// PendingInvites are the invites still waiting for someone.
func (d teamData) PendingInvites() []*connect.Invite {
	var out []*connect.Invite
	for _, inv := range d.Invites {
		if inv.AcceptedAt.IsZero() && inv.RevokedAt.IsZero() {
			out = append(out, inv)
		}
	}
	return out
}

func (s *server) teamPage(w http.ResponseWriter, r *http.Request, v *viewer) error {
	return s.showTeam(w, r, v, http.StatusOK, teamData{})
}

func (s *server) showTeam(w http.ResponseWriter, r *http.Request, v *viewer, status int, d teamData) error {
	members, err := s.svc.Members(r.Context(), v.Actor, "")
	if err != nil {
		return err
	}
	d.Members = members
	if v.CanManage() {
		if d.Invites, err = s.svc.Invites(r.Context(), v.Actor, ""); err != nil {
			return err
		}
	}
	s.render(w, r, status, "team", &page{Title: s.t(r, "Team members"), Tab: "settings", Data: d})
	return nil
}

func (s *server) inviteMember(w http.ResponseWriter, r *http.Request, v *viewer) error {
	email := strings.TrimSpace(r.PostFormValue("email"))
	issued, err := s.svc.InviteMember(r.Context(), v.Actor, connect.InviteMemberParams{
		Email: email, Role: connect.Role(r.PostFormValue("role")), SendEmail: r.PostFormValue("send_email") != "",
	})
	if err != nil {
		if httpStatus(err) == http.StatusUnprocessableEntity {
			return s.showTeam(w, r, v, http.StatusUnprocessableEntity, teamData{Error: message(err), Errors: formErrors(err), Email: email})
		}
		return err
	}
	s.setFlash(w, flash{Message: s.inviteMessage(r, issued, email), Secret: s.inviteLink(issued)})
	s.redirect(w, r, s.path("/settings/team"))
	return nil
}

// inviteLink is the link an invite opens.
func (s *server) inviteLink(issued *connect.IssuedInvite) string {
	if issued.Link != "" {
		return issued.Link
	}
	return s.links.Invite(issued.Token)
}

func (s *server) inviteMessage(r *http.Request, issued *connect.IssuedInvite, email string) string {
	if email != "" {
		return s.t(r, "Invitation ready for {{.Email}}. If it was not emailed, share this link (shown only now):", "Email", email)
	}
	return s.t(r, "Invitation link ready. Anyone with this link can join your team, once: share it with that person only (it is shown only now):")
}

func (s *server) resendMemberInvite(w http.ResponseWriter, r *http.Request, v *viewer) error {
	issued, err := s.svc.ResendInvite(r.Context(), v.Actor, connect.InviteID(r.PathValue("id")))
	if err != nil {
		return err
	}
	s.setFlash(w, flash{Message: s.t(r, "A new invitation replaces the old one. Its link (shown only now):"), Secret: s.inviteLink(issued)})
	s.redirect(w, r, s.path("/settings/team"))
	return nil
}

func (s *server) revokeMemberInvite(w http.ResponseWriter, r *http.Request, v *viewer) error {
	if _, err := s.svc.RevokeInvite(r.Context(), v.Actor, connect.InviteID(r.PathValue("id"))); err != nil {
		return err
	}
	s.setFlash(w, flash{Message: s.t(r, "Invitation revoked.")})
	s.redirect(w, r, s.path("/settings/team"))
	return nil
}

func (s *server) changeRole(w http.ResponseWriter, r *http.Request, v *viewer) error {
	m, err := s.svc.ChangeRole(r.Context(), v.Actor, connect.MemberID(r.PathValue("id")), connect.Role(r.PostFormValue("role")))
	if err != nil {
		return err
	}
	s.setFlash(w, flash{Message: s.roleChanged(r, m)})
	s.redirect(w, r, s.path("/settings/team"))
	return nil
}

// roleChanged says a member's new role.
func (s *server) roleChanged(r *http.Request, m *connect.Member) string {
	switch m.Role {
	case connect.RoleAdmin:
		return s.t(r, "{{.Name}} is now an admin.", "Name", m.Name)
	case connect.RoleOwner:
		return s.t(r, "{{.Name}} is now the owner.", "Name", m.Name)
	}
	return s.t(r, "{{.Name}} is now a member.", "Name", m.Name)
}

func (s *server) removeMember(w http.ResponseWriter, r *http.Request, v *viewer) error {
	id := connect.MemberID(r.PathValue("id"))
	if err := s.svc.RemoveMember(r.Context(), v.Actor, id); err != nil {
		return err
	}
	if id == v.Actor.Member {
		s.endSession(w)
		s.setFlash(w, flash{Message: s.t(r, "You left the team of {{.Client}}.", "Client", v.Client.Name)})
		s.redirect(w, r, s.path("/signin"))
		return nil
	}
	s.setFlash(w, flash{Message: s.t(r, "Member removed: they are signed out at once.")})
	s.redirect(w, r, s.path("/settings/team"))
	return nil
}

// resetMemberTwoFactor is the owner's reset of a team member's two-factor sign-in.
func (s *server) resetMemberTwoFactor(w http.ResponseWriter, r *http.Request, v *viewer) error {
	return s.resetTwoFactor(w, r, v.Actor, "", s.path("/settings/team"))
}

// resetTwoFactor resets the two-factor sign-in of the member the path names,
// as the actor, and goes back.
func (s *server) resetTwoFactor(w http.ResponseWriter, r *http.Request, a connect.Actor, client connect.ClientID, back string) error {
	done, err := s.svc.ResetMemberTwoFactor(r.Context(), a, client, connect.MemberID(r.PathValue("member")))
	if err != nil {
		return err
	}
	msg := s.t(r, "Two-factor sign-in reset: the member is signed out everywhere, and signs in with their password next.")
	if !done {
		msg = s.t(r, "That member does not sign in with two factors: nothing changed.")
	}
	s.setFlash(w, flash{Message: msg})
	s.redirect(w, r, back)
	return nil
}

func (s *server) transferOwnership(w http.ResponseWriter, r *http.Request, v *viewer) error {
	m, err := s.svc.TransferOwnership(r.Context(), v.Actor, connect.MemberID(r.PostFormValue("member")))
	if err != nil {
		return err
	}
	s.setFlash(w, flash{Message: s.t(r, "{{.Name}} is the team owner now; you are an admin.", "Name", m.Name)})
	s.redirect(w, r, s.path("/settings/team"))
	return nil
}

func (s *server) changePassword(w http.ResponseWriter, r *http.Request, v *viewer) error {
	at, wait, ok := s.beginAttempt(r, "password", v.Member.Email)
	if !ok {
		return s.renderAccount(w, r, v, http.StatusTooManyRequests, accountData{Error: tooMany(w, wait)})
	}
	err := s.svc.ChangePassword(r.Context(), v.Actor, r.PostFormValue("current"), r.PostFormValue("password"))
	if isCode(err, connect.Forbidden) {
		at.failed()
	}
	if err != nil {
		st := httpStatus(err)
		if st != http.StatusUnprocessableEntity && st != http.StatusForbidden {
			return err
		}
		return s.renderAccount(w, r, v, st, accountData{Error: message(err), Errors: formErrors(err)})
	}
	s.setFlash(w, flash{Message: s.t(r, "Password changed. You are signed out everywhere else.")})
	s.redirect(w, r, s.path("/settings/account"))
	return nil
}

// integrationsData is Settings → Integrations.
type integrationsData struct {
	Keys []*connect.APIKey
	// MissingScopes are the scopes Shopify did not grant at the install just done.
	MissingScopes []string
	Webhooks      *webhooksData // nil for a viewer who may not manage them
}

func (s *server) integrationsPage(w http.ResponseWriter, r *http.Request, v *viewer) error {
	keys, err := s.svc.APIKeys(r.Context(), v.Actor)
	if err != nil {
		return err
	}
	d := integrationsData{Keys: keys, MissingScopes: missingScopes(r.URL.Query().Get("shopify_missing_scopes"))}
	if d.Webhooks, err = s.webhooksSection(r, v); err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "integrations", &page{Title: s.t(r, "Integrations"), Tab: "settings", Data: d})
	return nil
}

// missingScopes reads the scopes the Shopify install callback says Shopify did
// not grant (shopify.MissingScopesParam): scope names only, anything else is
// dropped.
func missingScopes(param string) []string {
	var out []string
	for _, sc := range strings.Split(param, ",") {
		if sc != "" && len(sc) <= 64 && strings.Trim(sc, "abcdefghijklmnopqrstuvwxyz_") == "" {
			out = append(out, sc)
		}
	}
	return out
}

func (s *server) updateFulfillment(w http.ResponseWriter, r *http.Request, v *viewer) error {
	f := connect.FulfillmentSettings{
		AutoFulfill:    r.PostFormValue("auto_fulfil") != "",
		NotifyCustomer: r.PostFormValue("notify_customer") != "",
		Mode:           connect.FulfillMode(r.PostFormValue("mode")),
	}
	if _, err := s.svc.UpdateFulfillment(r.Context(), v.Actor, f); err != nil {
		return err
	}
	s.setFlash(w, flash{Message: s.t(r, "Shopify settings saved.")})
	s.redirect(w, r, s.path("/settings/integrations"))
	return nil
}

func (s *server) disconnectShopify(w http.ResponseWriter, r *http.Request, v *viewer) error {
	if _, err := s.svc.UnlinkShopify(r.Context(), v.Actor); err != nil {
		return err
	}
	s.setFlash(w, flash{Message: s.t(r, "Shopify store disconnected.")})
	s.redirect(w, r, s.path("/settings/integrations"))
	return nil
}

func (s *server) createAPIKey(w http.ResponseWriter, r *http.Request, v *viewer) error {
	k, err := s.svc.CreateAPIKey(r.Context(), v.Actor, r.PostFormValue("name"))
	if err != nil {
		return err
	}
	s.setFlash(w, flash{Message: s.t(r, "API key “{{.Name}}” created. Copy it now: it is shown only once.", "Name", k.Key.Name), Secret: k.Token})
	s.redirect(w, r, s.path("/settings/integrations"))
	return nil
}

func (s *server) revokeAPIKey(w http.ResponseWriter, r *http.Request, v *viewer) error {
	k, err := s.svc.RevokeAPIKey(r.Context(), v.Actor, connect.APIKeyID(r.PathValue("id")))
	if err != nil {
		return err
	}
	s.setFlash(w, flash{Message: s.t(r, "API key “{{.Name}}” revoked: it stops working at once.", "Name", k.Name)})
	s.redirect(w, r, s.path("/settings/integrations"))
	return nil
}

// shopifyData is Orders → Import from Shopify.
type shopifyData struct {
	Page   *connect.ShopifyOrderPage
	Cursor string
	Notice string
	Res    *connect.ImportResult
	Error  string
}

func (s *server) shopifyOrdersPage(w http.ResponseWriter, r *http.Request, v *viewer) error {
	return s.showShopify(w, r, v, http.StatusOK, shopifyData{})
}

func (s *server) showShopify(w http.ResponseWriter, r *http.Request, v *viewer, status int, d shopifyData) error {
	d.Cursor = r.URL.Query().Get("cursor")
	p, err := s.svc.ShopifyOrders(r.Context(), v.Actor, d.Cursor, 50)
	switch {
	case isCode(err, connect.Forbidden) || isCode(err, connect.Unavailable):
		d.Notice = message(err)
	case err != nil:
		return err
	default:
		d.Page = p
	}
	s.render(w, r, status, "shopify", &page{Title: s.t(r, "Import from Shopify"), Tab: "orders", Data: d})
	return nil
}

func (s *server) importShopify(w http.ResponseWriter, r *http.Request, v *viewer) error {
	if err := r.ParseForm(); err != nil {
		return connect.Errorf(connect.Invalid, "the form could not be read")
	}
	refs := append([]string(nil), r.PostForm["ref"]...)
	if bulk := r.PostFormValue("bulk"); bulk != "" {
		refs = append(refs, bulk)
	}
	if n := len(connect.ShopifyRefs(refs)); n > shopifyJobThreshold {
		return s.startShopifyImport(w, r, v, refs, n)
	}
	res, err := s.svc.ImportShopifyOrders(r.Context(), v.Actor, refs, connect.ImportOptions{})
	if err != nil && res == nil {
		st := httpStatus(err)
		if st == http.StatusUnprocessableEntity || st == http.StatusServiceUnavailable || st == http.StatusForbidden {
			return s.showShopify(w, r, v, st, shopifyData{Error: message(err)})
		}
		return err
	}
	return s.showShopify(w, r, v, http.StatusOK, shopifyData{Res: res})
}
