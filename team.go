package connect

import (
	"context"
	"slices"
	"strings"
	"time"

	"golang.org/x/text/language"
)

// Role is what a member may do in its client's portal.
type Role string

// The roles, from most to least powerful. A client has exactly one owner, always.
const (
	RoleOwner  Role = "owner"  // everything, and transfers ownership
	RoleAdmin  Role = "admin"  // manages members and integrations
	RoleMember Role = "member" // works with orders; sees team and integrations read-only
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return slices.Contains([]Role{RoleOwner, RoleAdmin, RoleMember}, r) }

// Member is one person of a client's team.
type Member struct {
	ID      MemberID  `json:"id"`
	Account AccountID `json:"account"`
	Client  ClientID  `json:"client"`
	Name    string    `json:"name"`
	Email   string    `json:"email"`
	Role    Role      `json:"role"`
	// Language is the member's choice of language for the portal (a BCP 47
	// tag, "fr"); "": the browser's.
	Language  string    `json:"language,omitempty"`
	Version   int       `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Members lists a client's team, owner first: a member's own team (client "" or its
// own), or any client's of the dispatcher's account. Errors: ErrForbidden; ErrNotFound.
func (s *Service) Members(ctx context.Context, a Actor, client ClientID) ([]*Member, error) {
	c, err := s.authorizeRead(ctx, a, actViewTeam)
	if err != nil {
		return nil, err
	}
	if c.team() && client == "" {
		client = c.Actor.Client
	}
	if err := c.mayReadClient(client); err != nil {
		return nil, err
	}
	if _, err := s.store.Client(ctx, c.scope(), client); err != nil {
		return nil, err
	}
	return s.store.Members(ctx, Scope{Account: c.Account, Client: client})
}

// Membership returns the signed-in member's client and membership, having checked
// that both are active: what a portal page needs of its viewer, read with the two
// queries authorizing any call takes. Errors: ErrForbidden for anyone but a member
// (an API key has no membership), a removed member, a disabled client.
func (s *Service) Membership(ctx context.Context, a Actor) (*Client, *Member, error) {
	if a.Kind != ActorMember {
		return nil, nil, Errorf(Forbidden, "only a team's members have a membership")
	}
	c, err := s.resolveRead(ctx, a)
	if err != nil {
		return nil, nil, err
	}
	return c.client, c.member, nil
}

// teamMember loads a member of the caller's own team.
func (s *Service) teamMember(ctx context.Context, c caller, id MemberID) (*Member, error) {
	return s.store.Member(ctx, c.scope(), id)
}

// RemoveMember takes a person off the team: owners and admins remove others, anyone
// but the owner may remove themselves (leave). The owner cannot be removed; transfer
// ownership first. Errors: ErrNotFound; ErrForbidden.
func (s *Service) RemoveMember(ctx context.Context, a Actor, id MemberID) error {
	c, err := s.resolve(ctx, a)
	if err != nil {
		return err
	}
	if err := c.may(actViewTeam); err != nil || c.Kind != ActorMember {
		return Errorf(Forbidden, "only a client's team manages its members")
	}
	if id != c.Member {
		if err := c.may(actManageTeam); err != nil {
			return err
		}
	}
	m, err := s.teamMember(ctx, c, id)
	if err != nil {
		return err
	}
	if m.Role == RoleOwner {
		return Errorf(Forbidden, "the owner cannot be removed; transfer ownership first")
	}
	// Out at once: the member's sessions read no member from now on (and are
	// removed once they end).
	return s.store.DeleteMember(ctx, c.scope(), id)
}

// ChangeRole makes a member an admin or a plain member. Owners and admins may; the
// owner's role changes only by transferring ownership.
// Errors: ErrNotFound; ErrForbidden; ErrInvalid.
func (s *Service) ChangeRole(ctx context.Context, a Actor, id MemberID, role Role) (*Member, error) {
	c, err := s.authorize(ctx, a, actManageTeam)
	if err != nil {
		return nil, err
	}
	if role != RoleAdmin && role != RoleMember {
		return nil, InvalidFields([]FieldError{{Field: "role", Reason: "must be admin or member; use Transfer ownership to change the owner"}})
	}
	m, err := s.teamMember(ctx, c, id)
	if err != nil {
		return nil, err
	}
	if m.Role == RoleOwner {
		return nil, Errorf(Forbidden, "the owner's role changes only by transferring ownership")
	}
	if m.Role == role {
		return m, nil
	}
	m.Role, m.UpdatedAt = role, s.clock()
	if err := s.store.UpdateMember(ctx, c.scope(), m); err != nil {
		return nil, err
	}
	return m, nil
}

// SetLanguage records the member's own choice of language for the portal: a
// BCP 47 tag ("fr", "de-CH"), or "" to follow the browser's. Only a member sets
// their own. Errors: ErrForbidden for an actor who is not a member; ErrInvalid
// for a tag that is not BCP 47.
func (s *Service) SetLanguage(ctx context.Context, a Actor, lang string) (*Member, error) {
	c, err := s.authorize(ctx, a, actViewTeam)
	if err != nil {
		return nil, err
	}
	if c.Kind != ActorMember {
		return nil, Errorf(Forbidden, "only team members choose a language")
	}
	lang = strings.TrimSpace(lang)
	if lang != "" {
		tag, err := language.Parse(lang)
		if err != nil || len(lang) > 35 {
			return nil, InvalidFields([]FieldError{{Field: "language", Reason: "is not a language tag such as fr or de-CH"}})
		}
		lang = tag.String()
	}
	m, err := s.store.Member(ctx, c.scope(), c.Member)
	if err != nil {
		return nil, err
	}
	if m.Language == lang {
		return m, nil
	}
	m.Language, m.UpdatedAt = lang, s.clock()
	if err := s.store.UpdateMember(ctx, c.scope(), m); err != nil {
		return nil, err
	}
	return m, nil
}

// TransferOwnership hands the team's ownership to another member, who becomes the
// owner while the caller becomes an admin, in one transaction: the team never has
// zero or two owners. Only the owner may.
// Errors: ErrNotFound; ErrForbidden; ErrInvalid when to is the caller.
func (s *Service) TransferOwnership(ctx context.Context, a Actor, to MemberID) (*Member, error) {
	c, err := s.authorize(ctx, a, actTransferOwnership)
	if err != nil {
		return nil, err
	}
	if to == c.Member {
		return nil, Errorf(Invalid, "you are already the owner")
	}
	var next *Member
	err = s.store.Tx(ctx, func(tx Store) error {
		owner, err := tx.Member(ctx, c.scope(), c.Member)
		if err != nil {
			return err
		}
		if next, err = tx.Member(ctx, c.scope(), to); err != nil {
			return err
		}
		if owner.Role != RoleOwner {
			return Errorf(Conflict, "you are no longer the owner")
		}
		now := s.clock()
		owner.Role, owner.UpdatedAt = RoleAdmin, now
		if err := tx.UpdateMember(ctx, c.scope(), owner); err != nil {
			return err
		}
		next.Role, next.UpdatedAt = RoleOwner, now
		return tx.UpdateMember(ctx, c.scope(), next)
	})
	if err != nil {
		return nil, err
	}
	s.log.InfoContext(ctx, "ownership transferred", "client", c.Actor.Client, "to", to)
	return next, nil
}
