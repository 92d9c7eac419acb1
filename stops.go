package connect

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// StopInput is a stop the dispatcher adds for a client: an order the client did not
// upload but tracks in its portal.
type StopInput struct {
	// ClientNumber is the client's number as typed ("Client ID"); a mistyped one is
	// refused, never matched to another client.
	ClientNumber string
	// Client names the client by id instead, for a client still invited, which
	// has no number until it signs up. Give one or the other.
	Client ClientID
	Input  OrderInput
	// Depot is where the stop waits to be routed; "": the client's default depot.
	Depot DepotID
}

// CreateStops adds stops for clients by client number (or id), as submitted
// orders: the host's own stops linked to those clients, which track them in
// the portal (the host routes them as its own; nothing is pushed back to it).
// All or nothing: an unknown or mistyped client number, or a malformed stop,
// refuses the call with one field error per problem, its Row being the stop's
// place in stops (1-based). Only dispatchers may, for clients of their account;
// uploads need not be allowed. Errors: ErrForbidden; ErrInvalid; ErrConflict
// when a stop's Ref is used.
func (s *Service) CreateStops(ctx context.Context, a Actor, stops []StopInput) ([]*Order, error) {
	c, err := s.authorize(ctx, a, actManageOrders)
	if err != nil {
		return nil, err
	}
	build := s.stopBuilder(c)
	clients := map[ClientID]*Client{}
	orders, err := s.buildStops(stops, func(i int, st StopInput, in OrderInput) (*Order, []FieldError, error) {
		if st.Client == "" {
			return build(ctx, ImportRow{Number: i + 1, Input: st.Input, ClientNumber: st.ClientNumber}, in)
		}
		cl, reason, err := s.clientByID(ctx, c.scope(), st, clients)
		if err != nil {
			return nil, nil, err
		}
		return s.stopOf(cl, reason, RequiredFieldPolicy{}.Check(in), in)
	})
	if err != nil {
		return nil, err
	}
	err = s.store.Tx(ctx, func(tx Store) error { return s.storeStops(ctx, tx, c, orders) })
	if err != nil {
		return nil, err
	}
	s.committed(scopesOf(orders)...)
	return orders, nil
}

// buildStops makes each stop's order with build, gathering every stop's
// problems (each with its Row) into one ErrInvalid.
func (s *Service) buildStops(stops []StopInput, build func(i int, st StopInput, in OrderInput) (*Order, []FieldError, error)) ([]*Order, error) {
	orders := make([]*Order, 0, len(stops))
	var problems []FieldError
	for i, st := range stops {
		o, errs, err := build(i, st, normalizeInput(st.Input))
		if err != nil {
			return nil, err
		}
		for _, fe := range errs {
			fe.Row = i + 1
			problems = append(problems, fe)
		}
		if o != nil && st.Depot != "" {
			o.Depot = st.Depot
		}
		orders = append(orders, o)
	}
	if len(problems) > 0 {
		return nil, InvalidFields(problems)
	}
	return orders, nil
}

// storeStops stores the dispatcher's stops with their creation events and
// queues what their arrival calls for (arrivedStops), in tx.
func (s *Service) storeStops(ctx context.Context, tx Store, c caller, orders []*Order) error {
	events := make([]OrderEvent, len(orders))
	for i, o := range orders {
		events[i] = s.createdEvent(c, o)
	}
	if err := tx.CreateOrders(ctx, c.scope(), orders, events); err != nil {
		return err
	}
	return s.arrivedStops(ctx, tx, c.scope(), orders)
}

// clientByID finds the account's client a stop names by id, or says why there
// is none. A stop names its client one way only.
func (s *Service) clientByID(ctx context.Context, scope Scope, st StopInput, cache map[ClientID]*Client) (*Client, string, error) {
	if st.ClientNumber != "" {
		return nil, "give the client's number or its id, not both", nil
	}
	if cl := cache[st.Client]; cl != nil {
		return cl, "", nil
	}
	cl, err := s.store.Client(ctx, Scope{Account: scope.Account}, st.Client)
	if errors.Is(err, ErrNotFound) {
		return nil, "no client of yours has id " + string(st.Client), nil
	} else if err != nil {
		return nil, "", err
	}
	if cl.Status == ClientDisabled {
		return nil, cl.Name + " is disabled", nil
	}
	cache[st.Client] = cl
	return cl, "", nil
}

// arrivedStops queues, in the transaction that stores them, what the
// dispatcher's stops among orders (created already submitted) call for as a
// client's submission would: its webhooks' order.submitted and its
// recipients' "received" notices. The host learns of nothing: they are its
// own stops.
func (s *Service) arrivedStops(ctx context.Context, tx Store, scope Scope, orders []*Order) error {
	set := s.newEffectSet(tx, scope)
	if set == nil {
		return nil
	}
	var clients []ClientID
	for _, o := range orders {
		if o.Status == StatusSubmitted {
			clients = append(clients, o.Client)
		}
	}
	if len(clients) == 0 {
		return nil
	}
	if err := set.load(ctx, s, clients...); err != nil {
		return err
	}
	var out []OutboxEntry
	for _, o := range orders {
		if o.Status == StatusSubmitted {
			// Version 0: before the order's first version, so that no later
			// change's entries share a key.
			out = append(out, webhookEntries(set.webhooksOf(o.Client), o, EventSubmit, StatusDraft, "", 0, 1)...)
			out = append(out, set.noticeEntries(o, EventSubmit, 0, 1)...)
		}
	}
	if len(out) > 0 {
		if err := tx.AddOutbox(ctx, scope, out); err != nil {
			return err
		}
	}
	return set.flush(ctx)
}

// ImportStops reads the dispatcher's stops spreadsheet, whose "Client ID" column
// names each row's client, and stores its valid rows as submitted orders of those
// clients in one transaction, reporting refused rows as Import does (an unknown or
// mistyped Client ID refuses its row). Only dispatchers may.
// Errors: ErrForbidden; ErrInvalid as for Import.
func (s *Service) ImportStops(ctx context.Context, a Actor, src ImportSource, opts ImportOptions) (res *ImportResult, err error) {
	ctx, span := s.tel.start(ctx, "connect.import")
	defer func(started time.Time) { s.tel.imported(ctx, span, "stops", started, res, err) }(time.Now())
	c, err := s.authorize(ctx, a, actManageOrders)
	if err != nil {
		return nil, err
	}
	callerAttrs(span, c)
	res, err = s.importRows(ctx, c, src, opts, s.stopBuilder(c))
	if err == nil {
		s.log.InfoContext(ctx, "stops imported", "account", c.Account, "imported", res.Imported, "refused", res.Refused)
	}
	return res, err
}

// PreviewStops reads the dispatcher's stops spreadsheet as ImportStops would,
// storing nothing, and reports what it would do: counts, every refused row
// with its row, column and reason, and the first stops (opts.PreviewRows,
// 10 when 0) as they would be stored, each with its client. Only dispatchers
// may. Errors: ErrForbidden; ErrInvalid when the file cannot be read.
func (s *Service) PreviewStops(ctx context.Context, a Actor, src ImportSource, opts ImportOptions) (*ImportResult, error) {
	c, err := s.authorize(ctx, a, actManageOrders)
	if err != nil {
		return nil, err
	}
	return s.previewRows(ctx, c, src, opts, s.stopBuilder(c))
}

// stopBuilder builds submitted orders for the client each row names by number. The
// clients' required-field policies are for their own uploads; the dispatcher's
// stops need the address and well-formed values.
func (s *Service) stopBuilder(c caller) rowBuilder {
	clients := map[ClientNumber]*Client{}
	return func(ctx context.Context, row ImportRow, in OrderInput) (*Order, []FieldError, error) {
		cl, reason, err := s.clientByNumber(ctx, c.Account, row.ClientNumber, clients)
		if err != nil {
			return nil, nil, err
		}
		return s.stopOf(cl, reason, mergeProblems(row.Problems, RequiredFieldPolicy{}.Check(in)), in)
	}
}

// stopOf is the stop for client cl, or what refuses it: the row's problems,
// and why cl is not its client (reason, "" when it is).
func (s *Service) stopOf(cl *Client, reason string, problems []FieldError, in OrderInput) (*Order, []FieldError, error) {
	if reason != "" {
		problems = append(problems, FieldError{Field: FieldClientNumber, Reason: reason})
	}
	if len(problems) > 0 {
		return nil, problems, nil
	}
	return s.stopOrder(cl, in), nil, nil
}

// stopOrder is the dispatcher's stop for client cl: submitted, at the client's
// default depot.
func (s *Service) stopOrder(cl *Client, in OrderInput) *Order {
	now := s.clock()
	return &Order{
		OrderInput: in, ID: OrderID(s.newID()), Account: cl.Account, Client: cl.ID,
		Source: SourceDispatcher, Depot: cl.Settings.DefaultDepot, Status: StatusSubmitted, Version: 1,
		CreatedAt: now, UpdatedAt: now, SubmittedAt: now,
	}
}

// FieldClientNumber is the "Client ID" column of a dispatcher's stop import. It is
// not an order field: it says whose order the row is.
const FieldClientNumber Field = "client_number"

// clientByNumber finds the account's client with the number as typed, or says why
// there is none.
func (s *Service) clientByNumber(ctx context.Context, account AccountID, typed string, cache map[ClientNumber]*Client) (*Client, string, error) {
	if typed == "" {
		return nil, "is required", nil
	}
	n, err := ParseClientNumber(typed)
	if err != nil {
		return nil, fmt.Sprintf("%q is not a client number: 8 digits, check for a mistyped or swapped digit", typed), nil
	}
	if cl := cache[n]; cl != nil {
		return cl, "", nil
	}
	cl, err := s.store.ClientByNumber(ctx, Scope{Account: account}, n)
	if errors.Is(err, ErrNotFound) {
		return nil, "no client of yours has client number " + string(n), nil
	} else if err != nil {
		return nil, "", err
	}
	if cl.Status == ClientDisabled {
		return nil, cl.Name + " (" + string(n) + ") is disabled", nil
	}
	cache[n] = cl
	return cl, "", nil
}
