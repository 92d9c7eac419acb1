package connect

import (
	"context"
	"time"
)

// AccountLocation returns the time zone of the caller's account
// (Config.AccountLocation): UTC when none is set. Errors: ErrForbidden for an
// actor of no account; ErrUnavailable when the hook fails.
func (s *Service) AccountLocation(ctx context.Context, a Actor) (*time.Location, error) {
	if a.Account == "" {
		return nil, Errorf(Forbidden, "no account is signed in")
	}
	return s.location(ctx, a.Account)
}

// location is an account's time zone, UTC when the host gives none.
func (s *Service) location(ctx context.Context, account AccountID) (*time.Location, error) {
	if s.accountLocation == nil {
		return time.UTC, nil
	}
	loc, err := s.accountLocation(ctx, account)
	if err != nil {
		return nil, Errorf(Unavailable, "the account's time zone: %w", err)
	}
	if loc == nil {
		return time.UTC, nil
	}
	return loc, nil
}
