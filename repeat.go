package connect

import (
	"context"
	"fmt"
	"slices"
	"unicode/utf8"
)

// RepeatOrder adds a draft that copies an order's fields (address, recipient,
// goods, notes), whatever the order's status: "repeat this order". A
// reference gets the first free number after it ("A-7" becomes "A-7-2", then
// "A-7-3"), since references are unique per client. Team members whose client
// may upload may. Errors: ErrNotFound; ErrForbidden; ErrInvalid when the
// copy lacks a field the client's policy now requires.
func (s *Service) RepeatOrder(ctx context.Context, a Actor, id OrderID) (*Order, error) {
	c, err := s.authorizeUpload(ctx, a)
	if err != nil {
		return nil, err
	}
	o, err := s.store.Order(ctx, c.scope(), id)
	if err != nil {
		return nil, err
	}
	in := o.OrderInput
	in.Products = slices.Clone(in.Products)
	if in.Ref, err = freeRef(ctx, s.store, c.scope(), in.Ref); err != nil {
		return nil, err
	}
	return s.createDraft(ctx, c, in, SourceManual)
}

// freeRef returns a reference of the scope's client made from ref that no
// order of the client uses: ref itself if it is free, else ref with the first
// free number after it ("A-7-2", "A-7-3"). A number is added, never changed,
// so that a copy never takes a reference the client's own numbering will
// use next. "" stays "". Errors: ErrConflict when a thousand numbers are taken.
func freeRef(ctx context.Context, st Store, scope Scope, ref string) (string, error) {
	if ref == "" {
		return "", nil
	}
	stem, n := ref, 1
	if r := []rune(stem); len(r) > maxTextLen-8 {
		stem = string(r[:maxTextLen-8]) // room for the number
	}
	candidates := []string{ref}
	for round := 0; round < 50; round++ {
		for range 20 {
			n++
			candidates = append(candidates, fmt.Sprintf("%s-%d", stem, n))
		}
		taken, err := st.ExistingRefs(ctx, scope, candidates)
		if err != nil {
			return "", err
		}
		for _, c := range candidates {
			if !slices.Contains(taken, c) && utf8.RuneCountInString(c) <= maxTextLen {
				return c, nil
			}
		}
		candidates = candidates[:0]
	}
	return "", Errorf(Conflict, "no free reference like %q is left; give the order one of its own", ref)
}
