package connect

import (
	"context"
	"strings"
	"unicode/utf8"
)

// InviteClientParams describes a client to invite.
type InviteClientParams struct {
	Name     string
	Email    string // the contact email; required when SendEmail
	Settings ClientSettings
	// SendEmail mails the invitation to Email. Without it the invite is a link the
	// dispatcher shares.
	SendEmail bool
	// Stops are the dispatcher's own stops to link to the new client, the help
	// article's first way to invite (a stop's Client field: "No client" → "Add
	// new client"): stored with the client, as CreateStops would, so that the
	// client tracks them from its first sign-in. They name no client (neither
	// ClientNumber nor Client): they are the new client's.
	Stops []StopInput
}

// InviteClient adds a client to the dispatcher's account, in the invited state, and
// issues the invite its owner signs up with: mailed when asked, else a link to share.
// Only dispatchers may. Errors: ErrForbidden; ErrInvalid (with field details).
func (s *Service) InviteClient(ctx context.Context, a Actor, p InviteClientParams) (*IssuedInvite, error) {
	c, err := s.authorize(ctx, a, actManageClients)
	if err != nil {
		return nil, err
	}
	p.Name, p.Email = strings.TrimSpace(p.Name), strings.TrimSpace(p.Email)
	if err := s.checkClientDetails(p.Name, p.Email, p.SendEmail); err != nil {
		return nil, err
	}
	if err := p.Settings.RequiredFields.Validate(); err != nil {
		return nil, err
	}
	now := s.clock()
	client := &Client{
		ID: ClientID(s.newID()), Account: c.Account, Name: p.Name, Email: p.Email,
		Status: ClientInvited, Settings: p.Settings, CreatedAt: now, UpdatedAt: now,
	}
	stops, err := s.newClientsStops(ctx, a, client, p.Stops)
	if err != nil {
		return nil, err
	}
	var issued *IssuedInvite
	err = s.mailTx(ctx, func(tx Store) error {
		if err := tx.CreateClient(ctx, c.scope(), client); err != nil {
			return err
		}
		if len(stops) > 0 {
			if err := s.storeStops(ctx, tx, c, stops); err != nil {
				return err
			}
		}
		issued, err = s.issueInvite(ctx, tx, c, &Invite{
			Account: c.Account, Client: client.ID, Kind: InviteClient, Email: p.Email,
		}, client.Name, p.SendEmail)
		return err
	})
	if err != nil {
		return nil, err
	}
	issued.Stops = stops
	if len(stops) > 0 {
		s.committed(scopesOf(stops)...)
	}
	s.log.InfoContext(ctx, "client invited", "account", c.Account, "client", client.ID, "email", p.SendEmail, "stops", len(stops))
	return issued, nil
}

// newClientsStops makes the stops InviteClient links to the client it adds:
// the caller must also be allowed to add stops, and each stop must leave its
// client unnamed.
func (s *Service) newClientsStops(ctx context.Context, a Actor, client *Client, stops []StopInput) ([]*Order, error) {
	if len(stops) == 0 {
		return nil, nil
	}
	if _, err := s.authorize(ctx, a, actManageOrders); err != nil {
		return nil, err
	}
	return s.buildStops(stops, func(_ int, st StopInput, in OrderInput) (*Order, []FieldError, error) {
		reason := ""
		if st.ClientNumber != "" || st.Client != "" {
			reason = "must be empty: the stop is the new client's"
		}
		return s.stopOf(client, reason, RequiredFieldPolicy{}.Check(in), in)
	})
}

func (s *Service) checkClientDetails(name, email string, sendEmail bool) error {
	var errs []FieldError
	switch {
	case name == "":
		errs = append(errs, FieldError{Field: "name", Reason: "is required"})
	case utf8.RuneCountInString(name) > 200:
		errs = append(errs, FieldError{Field: "name", Reason: "is longer than 200 characters"})
	}
	switch {
	case email == "" && sendEmail:
		errs = append(errs, FieldError{Field: "email", Reason: "is required to send the invite by email"})
	case email != "" && !looksLikeEmail(email):
		errs = append(errs, FieldError{Field: "email", Reason: "is not an email address"})
	}
	if len(errs) > 0 {
		return InvalidFields(errs)
	}
	if sendEmail && s.mailer == nil {
		return Errorf(Invalid, "this portal cannot send email; share the invite link instead")
	}
	return nil
}

// Clients lists the dispatcher's clients by name, each with its order counts by
// status and its pending invite. Errors: ErrForbidden.
func (s *Service) Clients(ctx context.Context, a Actor) ([]ClientSummary, error) {
	c, err := s.authorizeRead(ctx, a, actManageClients)
	if err != nil {
		return nil, err
	}
	scope := Scope{Account: c.Account}
	clients, err := s.store.Clients(ctx, scope)
	if err != nil {
		return nil, err
	}
	counts, err := s.store.CountOrders(ctx, scope)
	if err != nil {
		return nil, err
	}
	invites, err := s.store.Invites(ctx, scope)
	if err != nil {
		return nil, err
	}
	return s.clientSummaries(clients, counts, invites), nil
}

// ClientsParams selects a page of the dispatcher's clients.
type ClientsParams struct {
	// Search keeps the clients whose name, email or number contains it (trimmed,
	// at most 200 characters).
	Search string
	// Cursor continues after the previous page (its ClientPage.Next).
	Cursor string
	// Limit is the page size: 0 means 50, at most 500.
	Limit int
	// Count asks for ClientPage.Matching: how many clients the search selects
	// in all (one more query).
	Count bool
}

// ClientPage is one page of the dispatcher's clients, by name.
type ClientPage struct {
	Clients []ClientSummary `json:"clients"`
	// Next is the cursor of the next page; "" when this is the last.
	Next string `json:"next,omitempty"`
	// Matching is how many clients the search selects in all, when
	// ClientsParams.Count asked.
	Matching int `json:"matching,omitempty"`
}

// ClientsPage lists the dispatcher's clients by name a page at a time, each
// with its orders counted by status and its open invite: the overview of an
// account with thousands of clients, read in a few rows per client of the page.
// Errors: ErrForbidden; ErrInvalid for a bad cursor or a search too long.
func (s *Service) ClientsPage(ctx context.Context, a Actor, p ClientsParams) (*ClientPage, error) {
	c, err := s.authorizeRead(ctx, a, actManageClients)
	if err != nil {
		return nil, err
	}
	search, err := checkSearch(p.Search)
	if err != nil {
		return nil, err
	}
	q := ClientQuery{Search: search, Limit: p.Limit}
	q.Limit = pageSize(q.Limit)
	if p.Cursor != "" {
		cur, err := DecodeClientCursor(p.Cursor)
		if err != nil {
			return nil, err
		}
		q.After = &cur
	}
	limit := q.Limit
	q.Limit++ // one more tells whether there is a next page
	scope := Scope{Account: c.Account}
	clients, err := s.store.ClientsPage(ctx, scope, q)
	if err != nil {
		return nil, err
	}
	page := &ClientPage{}
	if len(clients) > limit {
		clients = clients[:limit]
		last := clients[limit-1]
		page.Next = ClientCursor{Name: last.Name, ID: last.ID}.Encode()
	}
	ids := make([]ClientID, len(clients))
	var invites []*Invite
	for i, cl := range clients {
		ids[i] = cl.ID
		if cl.Status == ClientInvited { // only an invited client has an invite to resend
			its, err := s.store.Invites(ctx, Scope{Account: c.Account, Client: cl.ID})
			if err != nil {
				return nil, err
			}
			invites = append(invites, its...)
		}
	}
	counts, err := s.store.CountClientOrders(ctx, scope, ids)
	if err != nil {
		return nil, err
	}
	page.Clients = s.clientSummaries(clients, counts, invites)
	if p.Count {
		if page.Matching, err = s.store.CountClients(ctx, scope, ClientQuery{Search: search}); err != nil {
			return nil, err
		}
	}
	return page, nil
}

// clientSummaries puts each client's counts and pending invite (the newest of
// invites, newest first) beside it.
func (s *Service) clientSummaries(clients []*Client, counts map[ClientID]StatusCounts, invites []*Invite) []ClientSummary {
	pending := map[ClientID]*Invite{}
	now := s.clock()
	for _, inv := range invites {
		if inv.Kind == InviteClient && inv.State(now) == InvitePending && pending[inv.Client] == nil {
			pending[inv.Client] = inv
		}
	}
	out := make([]ClientSummary, len(clients))
	for i, cl := range clients {
		n := counts[cl.ID]
		if n == nil {
			n = StatusCounts{}
		}
		out[i] = ClientSummary{Client: cl, Orders: n, PendingInvite: pending[cl.ID]}
	}
	return out
}

// Client returns one client: any of the dispatcher's, or a member's own.
// Errors: ErrNotFound; ErrForbidden.
func (s *Service) Client(ctx context.Context, a Actor, id ClientID) (*Client, error) {
	c, err := s.resolveRead(ctx, a)
	if err != nil {
		return nil, err
	}
	if err := c.mayReadClient(id); err != nil {
		return nil, err
	}
	return s.store.Client(ctx, c.scope(), id)
}

// mayReadClient lets dispatchers read any client of their account (the Store scopes
// by account) and members only their own.
func (c caller) mayReadClient(id ClientID) error {
	switch c.Kind {
	case ActorDispatcher:
		return nil
	case ActorMember, ActorAPIKey:
		if id == c.Actor.Client {
			return nil
		}
		return Errorf(NotFound, "no such client")
	}
	return c.may(actManageClients)
}

// ClientChanges lists what to change about a client; nil fields stay as they are.
type ClientChanges struct {
	Name     *string
	Email    *string
	Settings *ClientSettings
}

// UpdateClient changes a client's details or the dispatcher's settings for it (allow
// uploads, required fields, default depot). Only dispatchers may.
// Errors: ErrNotFound; ErrForbidden; ErrInvalid; ErrConflict on a concurrent change.
func (s *Service) UpdateClient(ctx context.Context, a Actor, id ClientID, ch ClientChanges) (*Client, error) {
	c, err := s.authorize(ctx, a, actManageClients)
	if err != nil {
		return nil, err
	}
	return s.changeClient(ctx, c, id, func(cl *Client) error {
		if ch.Name != nil {
			cl.Name = strings.TrimSpace(*ch.Name)
		}
		if ch.Email != nil {
			cl.Email = strings.TrimSpace(*ch.Email)
		}
		if err := s.checkClientDetails(cl.Name, cl.Email, false); err != nil {
			return err
		}
		if ch.Settings != nil {
			if err := ch.Settings.RequiredFields.Validate(); err != nil {
				return err
			}
			cl.Settings = *ch.Settings
		}
		return nil
	})
}

// DisableClient turns a client's portal off: its team is refused from then on, and
// its pending invites stop working. Its orders stay. Only dispatchers may.
// Errors: ErrNotFound; ErrForbidden.
func (s *Service) DisableClient(ctx context.Context, a Actor, id ClientID) (*Client, error) {
	c, err := s.authorize(ctx, a, actManageClients)
	if err != nil {
		return nil, err
	}
	return s.changeClient(ctx, c, id, func(cl *Client) error {
		cl.Status = ClientDisabled
		return nil
	})
}

// EnableClient turns a disabled client's portal back on. Only dispatchers may.
// Errors: ErrNotFound; ErrForbidden.
func (s *Service) EnableClient(ctx context.Context, a Actor, id ClientID) (*Client, error) {
	c, err := s.authorize(ctx, a, actManageClients)
	if err != nil {
		return nil, err
	}
	return s.changeClient(ctx, c, id, func(cl *Client) error {
		if cl.Number == "" {
			cl.Status = ClientInvited // never signed up
		} else {
			cl.Status = ClientActive
		}
		return nil
	})
}

// UpdateFulfillment changes the client's Shopify fulfillment settings (Settings →
// Integrations). Owners and admins may. Errors: ErrForbidden; ErrInvalid.
func (s *Service) UpdateFulfillment(ctx context.Context, a Actor, f FulfillmentSettings) (*Client, error) {
	c, err := s.authorize(ctx, a, actManageIntegrations)
	if err != nil {
		return nil, err
	}
	if f.Mode != "" && f.Mode != FulfillOnDelivery && f.Mode != FulfillOnStart {
		return nil, InvalidFields([]FieldError{{Field: "mode", Reason: "must be on_delivery or on_start"}})
	}
	return s.changeClient(ctx, c, c.Actor.Client, func(cl *Client) error {
		cl.Fulfillment = f
		return nil
	})
}

// changeClient loads the client in the caller's account, applies change and writes
// it back with a compare-and-set on its version.
func (s *Service) changeClient(ctx context.Context, c caller, id ClientID, change func(*Client) error) (*Client, error) {
	cl, err := s.store.Client(ctx, c.scope(), id)
	if err != nil {
		return nil, err
	}
	if err := change(cl); err != nil {
		return nil, err
	}
	cl.UpdatedAt = s.clock()
	if err := s.store.UpdateClient(ctx, c.scope(), cl); err != nil {
		return nil, err
	}
	return cl, nil
}
