package connect

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"
)

// APIKeyID identifies an API key (never its token).
type APIKeyID string

// APIKey lets a client's own systems use the JSON API as the client. Its token is
// shown once; only its SHA-256 is stored. A key acts with a member's rights (orders,
// read-only team and integrations), never an admin's.
type APIKey struct {
	ID         APIKeyID
	Account    AccountID
	Client     ClientID
	Name       string // what the client calls it ("warehouse system")
	Hash       []byte
	CreatedBy  MemberID
	CreatedAt  time.Time
	LastUsedAt time.Time
	RevokedAt  time.Time
}

// IssuedAPIKey is a new key with its token, which exists only here.
type IssuedAPIKey struct {
	Key   *APIKey
	Token string
}

// apiKeyPrefix makes keys recognisable in logs and secret scanners.
const apiKeyPrefix = "ck_"

// CreateAPIKey issues an API key for the caller's client. Owners and admins may.
// Errors: ErrForbidden; ErrInvalid.
func (s *Service) CreateAPIKey(ctx context.Context, a Actor, name string) (*IssuedAPIKey, error) {
	c, err := s.authorize(ctx, a, actManageIntegrations)
	if err != nil {
		return nil, err
	}
	if name = strings.TrimSpace(name); name == "" || utf8.RuneCountInString(name) > 100 {
		return nil, InvalidFields([]FieldError{{Field: "name", Reason: "is required (at most 100 characters)"}})
	}
	token, _, err := newSecret()
	if err != nil {
		return nil, err
	}
	token = apiKeyPrefix + token
	hash := hashSecret(token) // the prefix is part of what is hashed
	k := &APIKey{ID: APIKeyID(s.newID()), Account: c.Account, Client: c.Actor.Client, Name: name,
		Hash: hash, CreatedBy: c.Member, CreatedAt: s.clock()}
	if err := s.store.CreateAPIKey(ctx, c.scope(), k); err != nil {
		return nil, err
	}
	return &IssuedAPIKey{Key: k, Token: token}, nil
}

// APIKeys lists the caller's client's keys, newest first. Team members may look.
// Errors: ErrForbidden.
func (s *Service) APIKeys(ctx context.Context, a Actor) ([]*APIKey, error) {
	c, err := s.authorizeRead(ctx, a, actViewIntegrations)
	if err != nil {
		return nil, err
	}
	if !c.team() {
		return nil, Errorf(Forbidden, "API keys belong to a client's team")
	}
	return s.store.APIKeys(ctx, c.scope())
}

// RevokeAPIKey stops a key from working, at once. Owners and admins may.
// Errors: ErrNotFound; ErrForbidden.
func (s *Service) RevokeAPIKey(ctx context.Context, a Actor, id APIKeyID) (*APIKey, error) {
	c, err := s.authorize(ctx, a, actManageIntegrations)
	if err != nil {
		return nil, err
	}
	keys, err := s.store.APIKeys(ctx, c.scope())
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		if k.ID == id {
			if k.RevokedAt.IsZero() {
				k.RevokedAt = s.clock()
				if err := s.store.UpdateAPIKey(ctx, c.scope(), k); err != nil {
					return nil, err
				}
			}
			return k, nil
		}
	}
	return nil, Errorf(NotFound, "no such API key")
}

// AuthenticateAPIKey returns the actor an API key token acts as. The token is the
// caller's only credential. Errors: ErrForbidden for an unknown, revoked or
// malformed token, or a disabled client (one message for all, so nothing leaks).
func (s *Service) AuthenticateAPIKey(ctx context.Context, token string) (Actor, error) {
	refused := Errorf(Forbidden, "the API key is not valid")
	if !strings.HasPrefix(token, apiKeyPrefix) || len(token) > 200 {
		return Actor{}, refused
	}
	k, err := s.store.APIKeyByHash(ctx, hashSecret(token))
	if ErrorCode(err) == NotFound {
		return Actor{}, refused
	} else if err != nil {
		return Actor{}, err
	}
	if !k.RevokedAt.IsZero() {
		return Actor{}, refused
	}
	a := Actor{Kind: ActorAPIKey, Account: k.Account, Client: k.Client, APIKey: k.ID}
	if _, err := s.resolve(ctx, a); err != nil {
		return Actor{}, refused
	}
	// Record use at most once a minute: a busy integration must not write per call.
	if now := s.clock(); now.Sub(k.LastUsedAt) > time.Minute {
		k.LastUsedAt = now
		if err := s.store.UpdateAPIKey(ctx, Scope{Account: k.Account, Client: k.Client}, k); err != nil {
			s.log.WarnContext(ctx, "recording API key use failed", "key", k.ID, "err", err)
		}
	}
	return a, nil
}
