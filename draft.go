package connect

import (
	"context"
	"errors"
	"strings"
)

// CreateOrder adds an order by hand, as a draft. Team members of a client that may
// upload may. Errors: ErrForbidden; ErrInvalid (one field error per missing or
// malformed field); ErrConflict when the Ref is already used.
func (s *Service) CreateOrder(ctx context.Context, a Actor, in OrderInput) (*Order, error) {
	c, err := s.authorizeUpload(ctx, a)
	if err != nil {
		return nil, err
	}
	return s.createDraft(ctx, c, in, SourceManual)
}

// createDraft adds a draft of the caller's client from in, and saves its
// recipient in the client's address book in the same transaction.
func (s *Service) createDraft(ctx context.Context, c caller, in OrderInput, src Source) (*Order, error) {
	in = normalizeInput(in)
	if errs := c.client.Settings.RequiredFields.Check(in); len(errs) > 0 {
		return nil, InvalidFields(errs)
	}
	o := s.newDraft(c, in, src)
	ev := s.createdEvent(c, o)
	err := s.store.Tx(ctx, func(tx Store) error {
		if err := tx.CreateOrders(ctx, c.scope(), []*Order{o}, []OrderEvent{ev}); err != nil {
			return err
		}
		return s.saveAddress(ctx, tx, c, in)
	})
	if err != nil {
		return nil, err
	}
	o.History = []OrderEvent{ev}
	s.committed(Scope{Account: o.Account, Client: o.Client})
	return o, nil
}

// authorizeUpload admits a team member whose client may upload orders.
func (s *Service) authorizeUpload(ctx context.Context, a Actor) (caller, error) {
	return mayUpload(s.authorize(ctx, a, actEditOrders))
}

// authorizeUploadRead is authorizeUpload for a method that changes nothing (see
// authorizeRead).
func (s *Service) authorizeUploadRead(ctx context.Context, a Actor) (caller, error) {
	return mayUpload(s.authorizeRead(ctx, a, actEditOrders))
}

// mayUpload refuses a caller whose client may not upload orders.
func mayUpload(c caller, err error) (caller, error) {
	if err != nil {
		return caller{}, err
	}
	if !c.client.Settings.AllowUpload {
		return caller{}, Errorf(Forbidden, "your dispatcher has not enabled order uploads for %s", c.client.Name)
	}
	return c, nil
}

// newDraft returns a draft order of the caller's client.
func (s *Service) newDraft(c caller, in OrderInput, src Source) *Order {
	now := s.clock()
	return &Order{
		OrderInput: in, ID: OrderID(s.newID()), Account: c.Account, Client: c.Actor.Client,
		Source: src, Depot: c.client.Settings.DefaultDepot, Status: StatusDraft, Version: 1,
		CreatedAt: now, UpdatedAt: now,
	}
}

func (s *Service) createdEvent(c caller, o *Order) OrderEvent {
	return OrderEvent{Order: o.ID, Event: EventCreate, To: o.Status, At: o.CreatedAt, By: c.history()}
}

// normalizeInput trims surrounding spaces, which people never mean, and defaults the
// stop type; nothing else is changed.
func normalizeInput(in OrderInput) OrderInput {
	for _, p := range []*string{&in.Ref, &in.Address.Unit, &in.Address.Line1, &in.Address.Line2,
		&in.Address.City, &in.Address.State, &in.Address.Zip, &in.Address.Country, &in.Notes,
		&in.Recipient.Name, &in.Recipient.Email, &in.Recipient.Phone} {
		*p = strings.TrimSpace(*p)
	}
	if in.StopType == "" {
		in.StopType = Delivery
	}
	if len(in.Products) > 0 {
		ps := make([]Product, len(in.Products))
		for i, p := range in.Products {
			ps[i] = Product{Name: strings.TrimSpace(p.Name), Quantity: p.Quantity, SKU: strings.TrimSpace(p.SKU)}
		}
		in.Products = ps
	}
	return in
}

// UpdateDraft replaces a draft's fields. version is the version the caller saw (0:
// whatever is current); a draft changed since, or submitted, is not overwritten.
// Errors: ErrNotFound; ErrForbidden; ErrInvalid; ErrConflict.
func (s *Service) UpdateDraft(ctx context.Context, a Actor, id OrderID, version int, in OrderInput) (*Order, error) {
	c, err := s.authorizeUpload(ctx, a)
	if err != nil {
		return nil, err
	}
	o, err := s.draft(ctx, c, id, version)
	if err != nil {
		return nil, err
	}
	in = normalizeInput(in)
	if errs := c.client.Settings.RequiredFields.Check(in); len(errs) > 0 {
		return nil, InvalidFields(errs)
	}
	o.OrderInput, o.UpdatedAt = in, s.clock()
	err = s.store.Tx(ctx, func(tx Store) error {
		if err := tx.UpdateDraft(ctx, c.scope(), o); err != nil {
			return err
		}
		return s.saveAddress(ctx, tx, c, in)
	})
	if err != nil {
		return nil, err
	}
	return o, nil
}

// DeleteDraft deletes a draft. version as for UpdateDraft.
// Errors: ErrNotFound; ErrForbidden; ErrConflict when it is no longer a draft.
func (s *Service) DeleteDraft(ctx context.Context, a Actor, id OrderID, version int) error {
	c, err := s.authorize(ctx, a, actEditOrders)
	if err != nil {
		return err
	}
	o, err := s.draft(ctx, c, id, version)
	if err != nil {
		return err
	}
	if err := s.store.DeleteDraft(ctx, c.scope(), id, o.Version); err != nil {
		return err
	}
	// No event tells of a deletion; what counts the client's orders must know.
	s.touched(c.scope())
	return nil
}

// draft loads one of the caller's orders that must still be a draft at version.
func (s *Service) draft(ctx context.Context, c caller, id OrderID, version int) (*Order, error) {
	o, err := s.store.Order(ctx, c.scope(), id)
	if err != nil {
		return nil, err
	}
	if o.Status != StatusDraft {
		return nil, Errorf(Conflict, "order %s is %s; only drafts can be changed", orderName(o), o.Status.Label())
	}
	if version != 0 && version != o.Version {
		return nil, Errorf(Conflict, "order %s was changed by someone else; reload it", orderName(o))
	}
	return o, nil
}

// orderName names an order for people: its reference if it has one.
func orderName(o *Order) string {
	if o.Ref != "" {
		return o.Ref
	}
	return string(o.ID)
}

// isConflict reports a compare-and-set that lost.
func isConflict(err error) bool { return errors.Is(err, ErrConflict) }
