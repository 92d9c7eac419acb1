package connect

import (
	"context"
	"time"
)

// TrackingLinkID identifies a tracking link (never its token).
type TrackingLinkID string

// TrackingLink lets anyone holding its token follow one order (status, ETA, proof
// of delivery) without signing in: what a client hands to its recipient. The
// token's SHA-256 is what opens it, and the token itself is kept only sealed
// with Config.TrackingKey; a revoked link stops working at once.
type TrackingLink struct {
	ID        TrackingLinkID `json:"id"`
	Account   AccountID      `json:"account"`
	Client    ClientID       `json:"client"`
	Order     OrderID        `json:"order"`
	Hash      []byte         `json:"-"` // the token's SHA-256: never written out
	CreatedBy string         `json:"created_by,omitempty"`
	CreatedAt time.Time      `json:"created_at"`
	RevokedAt time.Time      `json:"revoked_at,omitzero"`
	// Sealed is the token sealed with Config.TrackingKey for the link; nil
	// without a key. The Store keeps it as it is.
	Sealed []byte `json:"-"`
	// Token and URL are the link to copy again (URL with Config.TrackingURL),
	// filled by Service.TrackingLinks for an active link whose token is kept.
	Token string `json:"token,omitempty"`
	URL   string `json:"url,omitempty"`
}

// IssuedTrackingLink is a new link with its token, which exists only here.
type IssuedTrackingLink struct {
	Link  *TrackingLink `json:"link"`
	Token string        `json:"token"`
	URL   string        `json:"url,omitempty"` // Config.TrackingURL(Token); "" when none is set
}

// CreateTrackingLink issues a tracking link for one of the caller's orders. Team
// members and dispatchers may. Errors: ErrNotFound; ErrForbidden.
func (s *Service) CreateTrackingLink(ctx context.Context, a Actor, id OrderID) (*IssuedTrackingLink, error) {
	c, err := s.authorize(ctx, a, actViewOrders)
	if err != nil {
		return nil, err
	}
	o, err := s.store.Order(ctx, c.scope(), id)
	if err != nil {
		return nil, err
	}
	return s.issueTrackingLink(ctx, c.scope(), o, c.history())
}

func (s *Service) issueTrackingLink(ctx context.Context, scope Scope, o *Order, by string) (*IssuedTrackingLink, error) {
	token, hash, err := newSecret()
	if err != nil {
		return nil, err
	}
	l := &TrackingLink{ID: TrackingLinkID(s.newID()), Account: o.Account, Client: o.Client, Order: o.ID,
		Hash: hash, CreatedBy: by, CreatedAt: s.clock()}
	if s.trackingSeal != nil {
		if l.Sealed, err = sealWith(s.trackingSeal, []byte(token), string(l.ID)); err != nil {
			return nil, err
		}
	}
	if err := s.store.CreateTrackingLink(ctx, scope, l); err != nil {
		return nil, err
	}
	out := &IssuedTrackingLink{Link: l, Token: token}
	if s.tracking != nil {
		out.URL = s.tracking(token)
	}
	return out, nil
}

// trackingLinkFor returns the link the library hands out for an order on
// behalf of by ("recipient notice", "shopify fulfilment"): the newest active
// one it made before, when Config.TrackingKey kept its token, so that an
// order's notices share one link; otherwise a new one.
func (s *Service) trackingLinkFor(ctx context.Context, scope Scope, o *Order, by string) (*IssuedTrackingLink, error) {
	if s.trackingSeal != nil {
		links, err := s.store.TrackingLinks(ctx, scope, o.ID)
		if err != nil {
			return nil, err
		}
		for _, l := range links { // newest first
			if l.CreatedBy != by || !l.RevokedAt.IsZero() {
				continue
			}
			if token, ok := openWith(s.trackingSeal, l.Sealed, string(l.ID)); ok {
				out := &IssuedTrackingLink{Link: l, Token: string(token)}
				if s.tracking != nil {
					out.URL = s.tracking(out.Token)
				}
				return out, nil
			}
		}
	}
	return s.issueTrackingLink(ctx, scope, o, by)
}

// TrackingLinks lists an order's links, newest first, each active one with
// its Token and URL to copy when Config.TrackingKey kept it. Errors:
// ErrNotFound; ErrForbidden.
func (s *Service) TrackingLinks(ctx context.Context, a Actor, id OrderID) ([]*TrackingLink, error) {
	c, err := s.authorizeRead(ctx, a, actViewOrders)
	if err != nil {
		return nil, err
	}
	links, err := s.trackingLinks(ctx, c, id)
	if err != nil {
		return nil, err
	}
	for _, l := range links {
		if !l.RevokedAt.IsZero() {
			continue
		}
		// A token sealed with another key than today's is not shown: the
		// link still opens, and a new one can be made.
		if token, ok := openWith(s.trackingSeal, l.Sealed, string(l.ID)); ok {
			l.Token = string(token)
			if s.tracking != nil {
				l.URL = s.tracking(l.Token)
			}
		}
	}
	return links, nil
}

// trackingLinks lists the links of one of the caller's orders.
func (s *Service) trackingLinks(ctx context.Context, c caller, id OrderID) ([]*TrackingLink, error) {
	if _, err := s.store.Order(ctx, c.scope(), id); err != nil {
		return nil, err
	}
	return s.store.TrackingLinks(ctx, c.scope(), id)
}

// RevokeTrackingLink stops a link from working. Errors: ErrNotFound; ErrForbidden.
func (s *Service) RevokeTrackingLink(ctx context.Context, a Actor, order OrderID, id TrackingLinkID) (*TrackingLink, error) {
	c, err := s.authorizeRead(ctx, a, actViewOrders)
	if err != nil {
		return nil, err
	}
	links, err := s.trackingLinks(ctx, c, order)
	if err != nil {
		return nil, err
	}
	for _, l := range links {
		if l.ID == id {
			if l.RevokedAt.IsZero() {
				l.RevokedAt = s.clock()
				if err := s.store.UpdateTrackingLink(ctx, c.scope(), l); err != nil {
					return nil, err
				}
			}
			return l, nil
		}
	}
	return nil, Errorf(NotFound, "no such tracking link")
}

// Tracked is what a tracking link shows: the order's progress, nothing about the
// client's other orders or its account.
type Tracked struct {
	// Account is the dispatcher's account that delivers it (a host names it).
	Account AccountID
	// Sender is who sends the order: its client's name.
	Sender    string
	Ref       string
	Status    Status
	StopType  StopType
	ETA       time.Time
	City      string
	Proof     *ProofOfDelivery
	Failure   string
	Timeline  []TrackedStep
	UpdatedAt time.Time
}

// TrackedStep is one step of a tracked order's timeline.
type TrackedStep struct {
	Status Status
	At     time.Time
}

// Track returns the order a tracking link token opens. The token is the only
// credential. Errors: ErrNotFound for an unknown or revoked token, or one of a
// disabled client (one message).
func (s *Service) Track(ctx context.Context, token string) (*Tracked, error) {
	o, cl, err := s.trackedOrder(ctx, token)
	if err != nil {
		return nil, err
	}
	scope := Scope{Account: o.Account, Client: o.Client}
	history, err := s.store.History(ctx, scope, o.ID)
	if err != nil {
		return nil, err
	}
	t := &Tracked{Account: o.Account, Sender: cl.Name, Ref: o.Ref, Status: o.Status, StopType: o.StopType, ETA: o.ETA, City: o.Address.City,
		Proof: o.Proof, Failure: o.FailureReason, UpdatedAt: o.UpdatedAt}
	for _, ev := range history {
		if ev.From != ev.To || ev.Event == EventCreate {
			t.Timeline = append(t.Timeline, TrackedStep{Status: ev.To, At: ev.At})
		}
	}
	return t, nil
}

// trackedOrder returns the order a tracking link token opens, and its client.
// Errors: as Track.
func (s *Service) trackedOrder(ctx context.Context, token string) (*Order, *Client, error) {
	gone := Errorf(NotFound, "this tracking link is not valid or was withdrawn")
	if token == "" || len(token) > 200 {
		return nil, nil, gone
	}
	l, err := s.store.TrackingLinkByHash(ctx, hashSecret(token))
	if ErrorCode(err) == NotFound || err == nil && !l.RevokedAt.IsZero() {
		return nil, nil, gone
	} else if err != nil {
		return nil, nil, err
	}
	// A disabled client's links stop with it: the dispatcher turned it off.
	cl, err := s.store.Client(ctx, Scope{Account: l.Account, Client: l.Client}, l.Client)
	if ErrorCode(err) == NotFound || err == nil && cl.Status == ClientDisabled {
		return nil, nil, gone
	} else if err != nil {
		return nil, nil, err
	}
	scope := Scope{Account: l.Account, Client: l.Client}
	o, err := s.store.Order(ctx, scope, l.Order)
	if ErrorCode(err) == NotFound {
		return nil, nil, gone
	} else if err != nil {
		return nil, nil, err
	}
	return o, cl, nil
}
