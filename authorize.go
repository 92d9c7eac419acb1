package connect

import (
	"context"
	"errors"
	"slices"
)

// action is something a caller may or may not do; roles map to actions here and
// nowhere else.
type action string

const (
	actViewOrders          action = "view orders"
	actEditOrders          action = "add, change and submit orders"
	actViewTeam            action = "view the team"
	actManageTeam          action = "manage team members"
	actTransferOwnership   action = "transfer ownership"
	actViewIntegrations    action = "view integrations"
	actManageIntegrations  action = "manage integrations"
	actManageClients       action = "manage clients"
	actManageOrders        action = "manage the account's orders"
	actReportRoutes        action = "report route events"
	actShopifyWebhooks     action = "act on Shopify's webhooks"
	actOperateOutbox       action = "look after the account's deliveries"
	actResetTwoFactor      action = "reset a member's two-factor sign-in"
	actManageWebhooks      action = "manage webhooks"
	actManageAddressBook   action = "change whether orders fill the address book"
	actViewNotifications   action = "view recipient notification settings"
	actManageNotifications action = "manage recipient notifications"
)

// permissions says which callers may take each action: member roles by name, the
// other kinds by kind. Members see team and integrations read-only; admins manage
// members and integrations; the owner does everything and alone transfers ownership.
var permissions = map[action]struct {
	roles []Role
	kinds []ActorKind
}{
	actViewOrders:          {roles: []Role{RoleOwner, RoleAdmin, RoleMember}, kinds: []ActorKind{ActorDispatcher}},
	actEditOrders:          {roles: []Role{RoleOwner, RoleAdmin, RoleMember}},
	actViewTeam:            {roles: []Role{RoleOwner, RoleAdmin, RoleMember}, kinds: []ActorKind{ActorDispatcher}},
	actManageTeam:          {roles: []Role{RoleOwner, RoleAdmin}},
	actTransferOwnership:   {roles: []Role{RoleOwner}},
	actViewIntegrations:    {roles: []Role{RoleOwner, RoleAdmin, RoleMember}, kinds: []ActorKind{ActorDispatcher}},
	actManageIntegrations:  {roles: []Role{RoleOwner, RoleAdmin}},
	actManageClients:       {kinds: []ActorKind{ActorDispatcher}},
	actManageOrders:        {kinds: []ActorKind{ActorDispatcher}},
	actReportRoutes:        {kinds: []ActorKind{ActorRouteSync}},
	actShopifyWebhooks:     {kinds: []ActorKind{ActorShopify}},
	actOperateOutbox:       {kinds: []ActorKind{ActorDispatcher, ActorRouteSync}},
	actResetTwoFactor:      {roles: []Role{RoleOwner}, kinds: []ActorKind{ActorDispatcher}},
	actManageWebhooks:      {roles: []Role{RoleOwner, RoleAdmin}},
	actManageAddressBook:   {roles: []Role{RoleOwner, RoleAdmin}},
	actViewNotifications:   {roles: []Role{RoleOwner, RoleAdmin, RoleMember}},
	actManageNotifications: {roles: []Role{RoleOwner, RoleAdmin}},
}

// may returns ErrForbidden unless the caller may take the action.
func (c caller) may(act action) error {
	p := permissions[act]
	if c.team() && slices.Contains(p.roles, c.role) {
		return nil
	}
	if !c.team() && slices.Contains(p.kinds, c.Kind) {
		return nil
	}
	if act == actReportRoutes {
		// The usual mistake: a host passing its dispatcher's actor.
		return Errorf(Forbidden, "a %s cannot %s: the host's route sync reports them, as connect.AsRouteSync(account)", c.Kind, act)
	}
	if c.Kind == ActorAPIKey {
		return Errorf(Forbidden, "an API key cannot %s", act)
	}
	if c.Kind == ActorMember {
		return Errorf(Forbidden, "a team %s cannot %s", c.role, act)
	}
	return Errorf(Forbidden, "a %s cannot %s", c.Kind, act)
}

// authorize checks the actor against the Store and the action. A member actor is
// looked up on every call: a removed member, a disabled client or a member of
// another account is refused here, before anything is read for it. It ignores the
// actor's AccessMemo: what a method that changes something calls.
func (s *Service) authorize(ctx context.Context, a Actor, act action) (caller, error) {
	c, err := s.resolve(ctx, a)
	if err != nil {
		return caller{}, err
	}
	return c, c.may(act)
}

// authorizeWired is authorize (authorizeRead when read) for a feature the
// host may have left out (wired false): then ErrUnavailable, saying so, once
// the caller is known to be allowed.
func (s *Service) authorizeWired(ctx context.Context, a Actor, act action, read, wired bool, unavailable string) (caller, error) {
	authorize := s.authorize
	if read {
		authorize = s.authorizeRead
	}
	c, err := authorize(ctx, a, act)
	if err != nil {
		return caller{}, err
	}
	if !wired {
		return caller{}, Errorf(Unavailable, "%s", unavailable)
	}
	return c, nil
}

// authorizeRead is authorize for a method that changes nothing: the calls made
// with one AccessMemo on their actor (one request's) share one look-up.
func (s *Service) authorizeRead(ctx context.Context, a Actor, act action) (caller, error) {
	c, err := s.resolveRead(ctx, a)
	if err != nil {
		return caller{}, err
	}
	return c, c.may(act)
}

// resolveRead is resolve for a method that changes nothing: it reuses the check
// the actor's AccessMemo holds, and keeps a new one there.
func (s *Service) resolveRead(ctx context.Context, a Actor) (caller, error) {
	m := a.AccessMemo
	if m == nil {
		return s.resolve(ctx, a)
	}
	if c, ok := m.remembered(a); ok {
		return c, nil
	}
	c, err := s.resolve(ctx, a)
	if err == nil {
		m.remember(a, c)
	}
	return c, err
}

// resolve reads an actor's standing from the Store, ignoring its AccessMemo.
func (s *Service) resolve(ctx context.Context, a Actor) (caller, error) {
	if a.Kind == ActorShopify {
		// Its credential is the webhook's signature, checked by the adapter; it reads
		// only the clients linked to the shop the webhook names.
		return caller{Actor: Actor{Kind: ActorShopify}}, nil
	}
	if a.Account == "" {
		return caller{}, Errorf(Forbidden, "sign in first")
	}
	switch a.Kind {
	case ActorDispatcher, ActorRouteSync:
		return caller{Actor: Actor{Kind: a.Kind, Account: a.Account, User: a.User}}, nil
	case ActorMember:
		if a.Client == "" || a.Member == "" {
			return caller{}, Errorf(Forbidden, "sign in first")
		}
	case ActorAPIKey:
		if a.Client == "" || a.APIKey == "" {
			return caller{}, Errorf(Forbidden, "sign in first")
		}
	default:
		return caller{}, Errorf(Forbidden, "sign in first")
	}
	if a.Kind == ActorMember && a.Session != "" {
		return s.resolveSession(ctx, a)
	}
	gone := func(err error) error {
		if errors.Is(err, ErrNotFound) {
			return Errorf(Forbidden, "your access to this portal has ended; ask your team's owner to invite you again")
		}
		return err
	}
	client, err := s.store.Client(ctx, Scope{Account: a.Account, Client: a.Client}, a.Client)
	if err != nil {
		return caller{}, gone(err)
	}
	if client.Status != ClientActive {
		return caller{}, Errorf(Forbidden, "the portal of %s is disabled; contact your dispatcher", client.Name)
	}
	scope := Scope{Account: a.Account, Client: a.Client}
	if a.Kind == ActorAPIKey {
		keys, err := s.store.APIKeys(ctx, scope)
		if err != nil {
			return caller{}, err
		}
		for _, k := range keys {
			if k.ID == a.APIKey && k.RevokedAt.IsZero() {
				return caller{Actor: Actor{Kind: ActorAPIKey, Account: a.Account, Client: a.Client, APIKey: a.APIKey},
					role: RoleMember, client: client}, nil
			}
		}
		return caller{}, Errorf(Forbidden, "the API key is not valid")
	}
	m, err := s.store.Member(ctx, scope, a.Member)
	if err != nil {
		return caller{}, gone(err)
	}
	return caller{Actor: Actor{Kind: ActorMember, Account: a.Account, Client: a.Client, Member: a.Member},
		role: m.Role, client: client, member: m}, nil
}
