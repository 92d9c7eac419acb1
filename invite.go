package connect

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
	"time"
	"unicode/utf8"
)

// InviteKind says what accepting an invite does.
type InviteKind string

// The invite kinds.
const (
	InviteClient InviteKind = "client" // the client signs up and becomes its team's owner
	InviteMember InviteKind = "member" // a person joins a client's team with a role
)

// InviteState is where an invite is in its life.
type InviteState string

// The invite states.
const (
	InvitePending  InviteState = "pending"
	InviteAccepted InviteState = "accepted"
	InviteRevoked  InviteState = "revoked"
	InviteExpired  InviteState = "expired"
)

// Invite is an invitation to sign up a client or to join a client's team. Its token
// is shown once, when it is issued; only its SHA-256 is stored, so a leaked database
// cannot be used to accept invites.
type Invite struct {
	ID      InviteID   `json:"id"`
	Account AccountID  `json:"account"`
	Client  ClientID   `json:"client,omitempty"`
	Kind    InviteKind `json:"kind"`
	Email   string     `json:"email,omitempty"` // "" for an invite shared as a link
	Role    Role       `json:"role,omitempty"`  // member invites: the role the member gets
	// TokenHash is the SHA-256 of the token: never written out.
	TokenHash  []byte    `json:"-"`
	ExpiresAt  time.Time `json:"expires_at"`
	AcceptedAt time.Time `json:"accepted_at,omitzero"` // zero until accepted
	AcceptedBy MemberID  `json:"accepted_by,omitempty"`
	RevokedAt  time.Time `json:"revoked_at,omitzero"`  // zero unless revoked
	InvitedBy  string    `json:"invited_by,omitempty"` // who sent it, for the list
	// ReplacedBy is the invite sent again in its place (ResendInvite), which
	// revoked this one: its link says so when opened.
	ReplacedBy InviteID  `json:"replaced_by,omitempty"`
	Version    int       `json:"version"`
	CreatedAt  time.Time `json:"created_at"`
}

// State returns the invite's state at now.
func (i *Invite) State(now time.Time) InviteState {
	switch {
	case !i.AcceptedAt.IsZero():
		return InviteAccepted
	case !i.RevokedAt.IsZero():
		return InviteRevoked
	case !now.Before(i.ExpiresAt):
		return InviteExpired
	}
	return InvitePending
}

// IssuedInvite is an invite together with its token, which exists only here: show it
// or send it, it cannot be read back.
type IssuedInvite struct {
	Invite *Invite `json:"invite"`
	Token  string  `json:"token"`
	// Link is Config.InviteURL(Token), the link to share; "" when no InviteURL is set.
	Link string `json:"link,omitempty"`
	// Stops are the stops InviteClient linked to the new client
	// (InviteClientParams.Stops), in the order given.
	Stops []*Order `json:"stops,omitempty"`
}

// secretBytes is a token's entropy: 256 bits, twice the 128 the design asks.
const secretBytes = 32

// newSecret returns a fresh random token (invites, API keys, tracking links) and
// its hash, the only form stored.
func newSecret() (string, []byte, error) {
	b := make([]byte, secretBytes)
	if _, err := rand.Read(b); err != nil {
		return "", nil, Errorf(Internal, "drawing a token: %w", err)
	}
	token := base64.RawURLEncoding.EncodeToString(b)
	return token, hashSecret(token), nil
}

// hashSecret returns the stored form of a token.
func hashSecret(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// issueInvite completes inv (id, token, expiry), stores it and, when asked, mails it,
// all inside tx: with Config.MailKey its mail goes to the outbox with it (sent
// by RunOutbox, the invite exists whether or not the mail server is up);
// without, the mail is sent now, and a mail that cannot be sent leaves no invite
// behind.
func (s *Service) issueInvite(ctx context.Context, tx Store, c caller, inv *Invite, clientName string, send bool) (*IssuedInvite, error) {
	token, hash, err := newSecret()
	if err != nil {
		return nil, err
	}
	now := s.clock()
	if inv.ID == "" {
		inv.ID = InviteID(s.newID())
	}
	inv.TokenHash = hash
	inv.CreatedAt = now
	inv.ExpiresAt = now.Add(s.inviteTTL)
	inv.InvitedBy = c.history()
	if err := tx.CreateInvite(ctx, c.scope(), inv); err != nil {
		return nil, err
	}
	issued := &IssuedInvite{Invite: inv, Token: token}
	if s.inviteURL != nil {
		issued.Link = s.inviteURL(token)
	}
	if send {
		if s.mailer == nil {
			return nil, Errorf(Invalid, "this portal cannot send email; share the invite link instead")
		}
		m := InviteMail{
			To: inv.Email, Kind: inv.Kind, ClientName: clientName, Role: inv.Role,
			Link: issued.Link, Token: token, ExpiresAt: inv.ExpiresAt, InvitedBy: inv.InvitedBy,
		}
		if s.queueMail() {
			e, err := s.mailEntry(OutboxInviteMail, "invite/"+string(inv.ID), inv.Account, inv.Client, m)
			if err != nil {
				return nil, err
			}
			return issued, tx.AddOutbox(ctx, Scope{Account: inv.Account, Client: inv.Client}, []OutboxEntry{e})
		}
		if err := s.mailer.SendInvite(ctx, m); err != nil {
			return nil, Errorf(ErrorCode(err), "sending the invite to %s: %w", inv.Email, err)
		}
	}
	return issued, nil
}

// InviteMemberParams describes a person to invite to the caller's team.
type InviteMemberParams struct {
	Email     string // required when SendEmail
	Role      Role   // RoleAdmin or RoleMember
	SendEmail bool
}

// InviteMember invites a person to the caller's team with a role below owner. Owners
// and admins may. Errors: ErrForbidden; ErrInvalid.
func (s *Service) InviteMember(ctx context.Context, a Actor, p InviteMemberParams) (*IssuedInvite, error) {
	c, err := s.authorize(ctx, a, actManageTeam)
	if err != nil {
		return nil, err
	}
	p.Email = strings.TrimSpace(p.Email)
	if p.Role != RoleAdmin && p.Role != RoleMember {
		return nil, InvalidFields([]FieldError{{Field: "role", Reason: "must be admin or member; ownership is transferred, not invited"}})
	}
	if err := s.checkClientDetails(c.client.Name, p.Email, p.SendEmail); err != nil {
		return nil, err
	}
	var issued *IssuedInvite
	err = s.mailTx(ctx, func(tx Store) error {
		issued, err = s.issueInvite(ctx, tx, c, &Invite{
			Account: c.Account, Client: c.Actor.Client, Kind: InviteMember, Email: p.Email, Role: p.Role,
		}, c.client.Name, p.SendEmail)
		return err
	})
	return issued, err
}

// Invites lists invites, newest first: a dispatcher's (all clients, or one when
// client is set), or a member's team invites (client must be "" or its own).
// Errors: ErrForbidden; ErrNotFound for another client.
func (s *Service) Invites(ctx context.Context, a Actor, client ClientID) ([]*Invite, error) {
	c, err := s.resolveRead(ctx, a)
	if err != nil {
		return nil, err
	}
	scope := Scope{Account: c.Account, Client: client}
	if c.team() {
		if err := c.may(actViewTeam); err != nil {
			return nil, err
		}
		if client != "" && client != c.Actor.Client {
			return nil, Errorf(NotFound, "no such client")
		}
		scope.Client = c.Actor.Client
	} else if err := c.may(actManageClients); err != nil {
		return nil, err
	}
	return s.store.Invites(ctx, scope)
}

// inviteFor loads an invite the actor may manage: dispatchers their account's client invites, and a
// team's owner and admins its member invites.
func (s *Service) inviteFor(ctx context.Context, a Actor, id InviteID) (caller, *Invite, error) {
	c, err := s.resolve(ctx, a)
	if err != nil {
		return caller{}, nil, err
	}
	if !c.team() && c.Kind != ActorDispatcher {
		return caller{}, nil, c.may(actManageClients) // manages no invite: refused before reading
	}
	inv, err := s.store.Invite(ctx, c.scope(), id)
	if err != nil {
		return caller{}, nil, err
	}
	switch {
	case c.team() && inv.Kind == InviteMember:
		err = c.may(actManageTeam)
	case c.team():
		err = Errorf(NotFound, "no such invite")
	case inv.Kind == InviteMember:
		err = Errorf(Forbidden, "a client's team manages its own member invites")
	default:
		err = c.may(actManageClients)
	}
	return c, inv, err
}

// RevokeInvite makes a pending invite unusable. Errors: ErrNotFound; ErrForbidden;
// ErrConflict when it was already accepted.
func (s *Service) RevokeInvite(ctx context.Context, a Actor, id InviteID) (*Invite, error) {
	c, inv, err := s.inviteFor(ctx, a, id)
	if err != nil {
		return nil, err
	}
	switch inv.State(s.clock()) {
	case InviteAccepted:
		return nil, Errorf(Conflict, "the invite was already accepted")
	case InviteRevoked:
		return inv, nil
	}
	inv.RevokedAt = s.clock()
	if err := s.store.UpdateInvite(ctx, c.scope(), inv); err != nil {
		return nil, err
	}
	return inv, nil
}

// ResendInvite replaces a pending or expired invite with a fresh one (new token, new
// expiry; the old link stops working), mailed again when the invite has an email.
// The token cannot be sent twice because only its hash is kept.
// Errors: ErrNotFound; ErrForbidden; ErrConflict when accepted or revoked.
func (s *Service) ResendInvite(ctx context.Context, a Actor, id InviteID) (*IssuedInvite, error) {
	c, inv, err := s.inviteFor(ctx, a, id)
	if err != nil {
		return nil, err
	}
	if st := inv.State(s.clock()); st == InviteAccepted || st == InviteRevoked {
		return nil, Errorf(Conflict, "the invite was %s; send a new one", st)
	}
	client, err := s.store.Client(ctx, c.scope(), inv.Client)
	if err != nil {
		return nil, err
	}
	var issued *IssuedInvite
	err = s.mailTx(ctx, func(tx Store) error {
		// The old one first: a mail sent inside the request goes last.
		inv.RevokedAt, inv.ReplacedBy = s.clock(), InviteID(s.newID())
		if err := tx.UpdateInvite(ctx, c.scope(), inv); err != nil {
			return err
		}
		issued, err = s.issueInvite(ctx, tx, c, &Invite{ID: inv.ReplacedBy,
			Account: inv.Account, Client: inv.Client, Kind: inv.Kind, Email: inv.Email, Role: inv.Role,
		}, client.Name, inv.Email != "" && s.mailer != nil)
		return err
	})
	return issued, err
}

// SignUp is what a person gives when accepting an invite.
type SignUp struct {
	Name  string
	Email string
	// Password lets the person sign in with SignIn; "" leaves the member without
	// one (a host that signs people in its own way).
	Password string
}

// Accepted is the result of accepting an invite: the new member (an owner for a
// client invite) and its client. Actor is ready for the next call.
type Accepted struct {
	Member *Member
	Client *Client
	Actor  Actor
}

// Invitation is what an invite link shows before it is accepted: who invites,
// to what, and for whom.
type Invitation struct {
	Kind InviteKind
	// Account is the dispatcher's account that invites (a host names it).
	Account AccountID
	// ClientName is the company: the team a member invite joins, or the client a
	// client invite signs up.
	ClientName string
	Role       Role // a member invite's
	// Email is the only address the invite can be accepted with; "" for an
	// invite shared as a link, which anyone with the link may accept.
	Email     string
	ExpiresAt time.Time
}

// Invitation returns what the invite of a token is, for its sign-up page. The
// token is the only credential. Errors: ErrNotFound for an unknown token;
// ErrForbidden when it was used, revoked or expired, or the client is disabled
// (with the message AcceptInvite would give).
func (s *Service) Invitation(ctx context.Context, token string) (*Invitation, error) {
	inv, err := s.store.InviteByTokenHash(ctx, hashSecret(token))
	if errors.Is(err, ErrNotFound) {
		return nil, Errorf(NotFound, "this invite link is not valid; check that it was copied whole")
	} else if err != nil {
		return nil, err
	}
	if err := inviteUsable(inv, s.clock()); err != nil {
		return nil, err
	}
	client, err := s.store.Client(ctx, Scope{Account: inv.Account, Client: inv.Client}, inv.Client)
	if err != nil {
		return nil, err
	}
	if client.Status == ClientDisabled {
		return nil, Errorf(Forbidden, "the portal of %s is disabled; contact your dispatcher", client.Name)
	}
	return &Invitation{Kind: inv.Kind, Account: inv.Account, ClientName: client.Name, Role: inv.Role, Email: inv.Email,
		ExpiresAt: inv.ExpiresAt}, nil
}

// inviteUsable refuses an invite that was used, revoked or has expired.
func inviteUsable(inv *Invite, now time.Time) error {
	switch inv.State(now) {
	case InviteAccepted:
		return Errorf(Forbidden, "this invite was already used; sign in instead")
	case InviteRevoked:
		if inv.ReplacedBy != "" {
			return Errorf(Forbidden, "this invite link was replaced by a newer one, sent %s: open the latest invitation, or ask for a new one",
				inv.RevokedAt.UTC().Format("2 Jan 2006 15:04 UTC"))
		}
		return Errorf(Forbidden, "this invite was withdrawn; ask for a new one")
	case InviteExpired:
		return Errorf(Forbidden, "this invite expired; ask for a new one")
	}
	return nil
}

// maxNumberDraws bounds the retries when a drawn client number is taken.
const maxNumberDraws = 5

// AcceptInvite signs a person up with an invite token. A client invite activates the
// client, gives it its client number and makes the person its team's owner; a member
// invite adds the person to the team with the invited role. The token is the only
// credential, so no actor is taken; it works once.
// An invite sent to an email is accepted with that email only (compared without
// case); one shared as a link ("" email) by anyone with the link.
// Errors: ErrNotFound for an unknown token; ErrForbidden when it was used, revoked or
// expired, or the client is disabled; ErrInvalid (also another email than the
// invite's); ErrConflict when the email is already on the team.
func (s *Service) AcceptInvite(ctx context.Context, token string, p SignUp) (*Accepted, error) {
	p.Name, p.Email = strings.TrimSpace(p.Name), strings.TrimSpace(p.Email)
	var errs []FieldError
	if p.Name == "" || utf8.RuneCountInString(p.Name) > 200 {
		errs = append(errs, FieldError{Field: "name", Reason: "is required (at most 200 characters)"})
	}
	if !looksLikeEmail(p.Email) {
		errs = append(errs, FieldError{Field: "email", Reason: "is not an email address"})
	}
	if p.Password != "" {
		// The invite says the company: a password made of its name is refused. An
		// invite that cannot be accepted is said so before any password is hashed.
		inv, err := s.Invitation(ctx, token)
		if err != nil {
			return nil, err
		}
		if err := s.checkPassword(p.Password, aboutPerson(p.Email, p.Name, inv.ClientName)); err != nil {
			errs = append(errs, err.(*Error).Fields...)
		}
	}
	if len(errs) > 0 {
		return nil, InvalidFields(errs)
	}
	var hash string
	if p.Password != "" {
		var err error
		if hash, err = s.hashPassword(ctx, p.Password); err != nil {
			return nil, err
		}
	}
	for draw := 1; ; draw++ {
		out, err := s.acceptInvite(ctx, token, p, hash)
		var numberTaken *numberTakenError
		if errors.As(err, &numberTaken) && draw < maxNumberDraws {
			continue // another client drew the same number at the same moment
		}
		if numberTaken != nil {
			return nil, numberTaken.err
		}
		return out, err
	}
}

// numberTakenError marks a conflict on the drawn client number, so that the whole
// transaction is run again with a new draw (a failed statement may abort it).
type numberTakenError struct{ err error }

func (e *numberTakenError) Error() string { return e.err.Error() }

func (s *Service) acceptInvite(ctx context.Context, token string, p SignUp, passwordHash string) (*Accepted, error) {
	var out Accepted
	err := s.store.Tx(ctx, func(tx Store) error {
		inv, err := tx.InviteByTokenHash(ctx, hashSecret(token))
		if errors.Is(err, ErrNotFound) {
			return Errorf(NotFound, "this invite link is not valid; check that it was copied whole")
		} else if err != nil {
			return err
		}
		now := s.clock()
		if err := inviteUsable(inv, now); err != nil {
			return err
		}
		// The token is the credential: the invite's own tenant is the scope.
		scope := Scope{Account: inv.Account, Client: inv.Client}
		client, err := tx.Client(ctx, scope, inv.Client)
		if err != nil {
			return err
		}
		role := inv.Role
		switch {
		case client.Status == ClientDisabled:
			return Errorf(Forbidden, "the portal of %s is disabled; contact your dispatcher", client.Name)
		case inv.Kind == InviteClient && client.Status != ClientInvited:
			return Errorf(Forbidden, "%s has already signed up; ask its owner to invite you", client.Name)
		case inv.Email != "" && !strings.EqualFold(inv.Email, p.Email):
			// An email invite is that person's: its link forwarded, or leaked,
			// does not let someone else in under another address.
			return InvalidFields([]FieldError{{Field: "email",
				Reason: "must be " + inv.Email + ", the address this invite was sent to"}})
		case inv.Kind == InviteClient:
			role = RoleOwner
			if client.Number, err = NewClientNumber(); err != nil {
				return err
			}
			client.Status, client.UpdatedAt = ClientActive, now
			if err := tx.UpdateClient(ctx, scope, client); errors.Is(err, ErrConflict) {
				return &numberTakenError{err: err}
			} else if err != nil {
				return err
			}
		}
		m := &Member{
			ID: MemberID(s.newID()), Account: client.Account, Client: client.ID,
			Name: p.Name, Email: p.Email, Role: role, CreatedAt: now, UpdatedAt: now,
		}
		if err := tx.CreateMember(ctx, scope, m); errors.Is(err, ErrConflict) {
			return Errorf(Conflict, "%s is already on the team of %s; sign in instead", p.Email, client.Name)
		} else if err != nil {
			return err
		}
		if passwordHash != "" {
			if err := tx.SetPassword(ctx, scope, m.ID, passwordHash); err != nil {
				return err
			}
		}
		inv.AcceptedAt, inv.AcceptedBy = now, m.ID
		if err := tx.UpdateInvite(ctx, scope, inv); errors.Is(err, ErrConflict) {
			return Errorf(Forbidden, "this invite was already used; sign in instead")
		} else if err != nil {
			return err
		}
		out = Accepted{Member: m, Client: client, Actor: AsMember(client.Account, client.ID, m.ID)}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.log.InfoContext(ctx, "invite accepted", "account", out.Client.Account, "client", out.Client.ID, "role", out.Member.Role)
	return &out, nil
}
