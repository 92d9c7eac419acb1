package connect

import (
	"context"
	"strings"
)

// HostIdentity is a client's member as the host's own sign-in knows them (its
// SSO, its own session): the host authenticated the person, and names them by
// the email their membership has, in one of its accounts.
type HostIdentity struct {
	Account AccountID // required: the tenant the host signed the person in to
	// Client narrows the email to one client of the account; "" lets the email
	// name whichever client's team it is on, when it is on exactly one.
	Client ClientID
	Email  string // required; compared without case
}

// IdentifyMember returns the membership of a person the host authenticated
// itself: exactly one member, of one active client of the account, with the
// email. The Service looks the member up now, as for every member actor, so a
// removed member or a disabled client is refused on the next request, and the
// member's role applies. The host vouches for the person: no password or
// two-factor code is asked (SecondStep is always SecondStepNone; the host's
// sign-in does its own second factor). memo, as OpenSession's, holds this check
// for the request's reads (nil: none). The host's assertion is the credential:
// call it only with an identity the host verified.
// Errors: ErrInvalid without an account or an email; ErrNotFound when no member
// of the account (or of Client) has the email; ErrConflict when the email is on
// the teams of several of the account's clients and Client is ""; ErrForbidden
// when the client is disabled.
func (s *Service) IdentifyMember(ctx context.Context, id HostIdentity, memo *AccessMemo) (*Membership, error) {
	id.Email = strings.TrimSpace(id.Email)
	if id.Account == "" || id.Email == "" || len(id.Email) > 320 {
		return nil, Errorf(Invalid, "a host identity needs an account and an email")
	}
	creds, err := s.store.CredentialsByEmail(ctx, id.Email)
	if err != nil {
		return nil, err
	}
	var found []Actor
	for _, cr := range creds {
		m := cr.Member
		if m.Account == id.Account && (id.Client == "" || m.Client == id.Client) {
			found = append(found, AsMember(m.Account, m.Client, m.ID))
		}
	}
	switch {
	case len(found) == 0:
		return nil, Errorf(NotFound, "%s is on no client team of this portal", id.Email)
	case len(found) > 1:
		return nil, Errorf(Conflict, "%s is on the teams of %d clients; the host must name the client", id.Email, len(found))
	}
	c, err := s.resolve(ctx, found[0])
	if err != nil {
		return nil, err
	}
	if memo != nil {
		c.AccessMemo = memo
		memo.remember(c.Actor, c)
	}
	return &Membership{Actor: c.Actor, Member: c.member, Client: c.client}, nil
}
