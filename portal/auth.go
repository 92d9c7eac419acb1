package portal

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/dispatchkit/connect"
)

type ctxKey int

const (
	viewerKey ctxKey = iota
	dispatcherKey
	actorKey
	sessionKey
)

// ActorFromContext returns the actor a portal request acts as: the signed-in
// member on pages (and in Config.ShopifyInstall), the API key or member on the API,
// the dispatcher in the console. It has no AccessMemo (the portal's handlers use
// one for the reads of a GET request): a host may keep it beyond the request.
func ActorFromContext(ctx context.Context) (connect.Actor, bool) {
	a, ok := ctx.Value(actorKey).(connect.Actor)
	return a, ok
}

// viewer is the signed-in member of a page, as the Service knows it now.
type viewer struct {
	Actor  connect.Actor
	Client *connect.Client
	Member *connect.Member
}

// Role is the member's role.
func (v *viewer) Role() connect.Role {
	if v.Member == nil {
		return connect.RoleMember
	}
	return v.Member.Role
}

// CanManage reports whether the member manages the team and integrations.
func (v *viewer) CanManage() bool {
	return v.Role() == connect.RoleOwner || v.Role() == connect.RoleAdmin
}

// IsOwner reports whether the member owns the team.
func (v *viewer) IsOwner() bool { return v.Role() == connect.RoleOwner }

// CanUpload reports whether the client may add orders.
func (v *viewer) CanUpload() bool { return v.Client.Settings.AllowUpload }

type (
	memberFunc     func(w http.ResponseWriter, r *http.Request, v *viewer) error
	dispatcherFunc func(w http.ResponseWriter, r *http.Request, a connect.Actor) error
	apiFunc        func(w http.ResponseWriter, r *http.Request, a connect.Actor) error
	publicFunc     func(w http.ResponseWriter, r *http.Request) error
)

// member serves a client portal page to the signed-in member; anyone else is sent
// to sign in. The session, its member and client come in one read of the Store,
// which is also the check of the member for the request's reads (GET, HEAD).
func (s *server) member(h memberFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		noStore(w)
		m, err := s.openSession(r)
		if err != nil && isRefusedByHost(err) {
			s.fail(w, r, err)
			return
		}
		if err != nil && (errors.Is(err, errUnauthorized) || isCode(err, connect.Forbidden)) {
			if isCode(err, connect.Forbidden) {
				// Signed out elsewhere, removed from the team, or the client was
				// disabled: out at once.
				s.endSession(w)
				s.setFlash(w, flash{Message: message(err), Error: true})
			}
			s.toSignIn(w, r)
			return
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if m.SecondStep == connect.SecondStepEnroll && !s.enrolling(r) {
			// The dispatcher requires two-factor sign-in of the client's team since
			// the member signed in (or the member turned it off): set it up first.
			s.setFlash(w, flash{Message: s.t(r, "Your dispatcher requires two-factor sign-in: set it up to go on."), Error: true})
			s.redirect(w, r, s.path("/settings/account"))
			return
		}
		v := &viewer{Actor: m.Actor, Client: m.Client, Member: m.Member}
		ctx := context.WithValue(r.Context(), viewerKey, v)
		ctx = context.WithValue(ctx, actorKey, m.Actor)
		r = withSession(r.WithContext(ctx), m)
		if err := h(w, r, v); err != nil {
			s.fail(w, r, err)
		}
	})
}

// withAccessMemo gives the actor of a GET or HEAD request an AccessMemo, so that
// the Service checks it once for all the reads of the request; the actor of a
// request that may change something has each of its calls checked. (The Service
// checks anew for every change, and for every burst of a live stream, regardless.)
func withAccessMemo(r *http.Request, a connect.Actor) connect.Actor {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		a.AccessMemo = new(connect.AccessMemo)
	}
	return a
}

// toSignIn sends a browser to the sign-in page, coming back afterwards (GET
// only): the host's (Config.ClientLoginURL) when it has one, else the portal's
// own, unless the host turned that off (403).
func (s *server) toSignIn(w http.ResponseWriter, r *http.Request) {
	if s.isAPI(r) || r.Header.Get("Accept") == "text/event-stream" {
		s.fail(w, r, errUnauthorized)
		return
	}
	next := ""
	if r.Method == http.MethodGet {
		next = r.URL.RequestURI()
	}
	if s.toHostSignIn(w, r, next) {
		return
	}
	if s.cfg.NoPasswordSignIn {
		s.fail(w, r, errNoPasswordSignIn)
		return
	}
	target := s.path("/signin")
	if r.Method == http.MethodGet {
		target += "?next=" + url.QueryEscape(r.URL.RequestURI())
	}
	s.redirect(w, r, target)
}

// dispatcher serves a console page to a dispatcher the host authenticated.
func (s *server) dispatcher(h dispatcherFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		noStore(w)
		if s.cfg.Dispatchers == nil {
			http.NotFound(w, r)
			return
		}
		a, ok := s.cfg.Dispatchers.Authenticate(r)
		if !ok || a.Kind != connect.ActorDispatcher {
			if s.cfg.DispatcherLoginURL != "" && r.Method == http.MethodGet {
				sep := "?"
				if strings.Contains(s.cfg.DispatcherLoginURL, "?") {
					sep = "&"
				}
				http.Redirect(w, r, s.cfg.DispatcherLoginURL+sep+"next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			s.fail(w, r, errUnauthorized)
			return
		}
		ctx := context.WithValue(r.Context(), dispatcherKey, a)
		ctx = context.WithValue(ctx, actorKey, a)
		r = r.WithContext(ctx)
		if err := h(w, r, a); err != nil {
			s.fail(w, r, err)
		}
	})
}

// api serves the JSON API to a client's API key (Authorization: Bearer ck_…) or a
// signed-in member's session.
func (s *server) api(h apiFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		noStore(w)
		var a connect.Actor
		if auth := r.Header.Get("Authorization"); auth != "" {
			if hasSession(r) {
				// Never both: a key beside a session cookie would let a request
				// skip the cross-origin check on the strength of the cookie.
				s.fail(w, r, errKeyAndSession)
				return
			}
			token, ok := strings.CutPrefix(auth, "Bearer ")
			if !ok {
				s.fail(w, r, errNotBearer)
				return
			}
			var err error
			if a, err = s.svc.AuthenticateAPIKey(r.Context(), strings.TrimSpace(token)); err != nil {
				if isCode(err, connect.Forbidden) {
					err = errBadAPIKey
				}
				s.fail(w, r, err)
				return
			}
			a = withAccessMemo(r, a)
		} else {
			// The session's read is the check of the member for a GET's reads.
			m, err := s.openSession(r)
			if err != nil {
				if isCode(err, connect.Forbidden) && !isRefusedByHost(err) {
					err = errUnauthorized
				}
				if errors.Is(err, errUnauthorized) && !hasSession(r) {
					err = errNoCredential
				}
				s.fail(w, r, err)
				return
			}
			if m.SecondStep == connect.SecondStepEnroll {
				s.fail(w, r, connect.Errorf(connect.Forbidden, "your dispatcher requires two-factor sign-in: set it up in the portal first"))
				return
			}
			a = m.Actor
		}
		r = r.WithContext(context.WithValue(r.Context(), actorKey, a))
		if err := h(w, r, a); err != nil {
			s.fail(w, r, err)
		}
	})
}

// public serves a page that needs no sign-in.
func (s *server) public(h publicFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		noStore(w)
		if hasSession(r) || s.cfg.ClientMembers != nil {
			// Opened once for the page (its layout, the glossary), and kept.
			m, err := s.openSession(r)
			if err != nil && !errors.Is(err, errUnauthorized) && !isCode(err, connect.Forbidden) {
				s.fail(w, r, err)
				return
			}
			r = withSession(r, m)
			if m != nil {
				r = r.WithContext(context.WithValue(r.Context(), actorKey, m.Actor))
			}
		}
		if err := h(w, r); err != nil {
			s.fail(w, r, err)
		}
	})
}

// limited bounds the request body.
func limited(n int64, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		limitBody(w, r, n)
		h.ServeHTTP(w, r)
	})
}

func viewerFrom(ctx context.Context) *viewer {
	v, _ := ctx.Value(viewerKey).(*viewer)
	return v
}

func dispatcherFrom(ctx context.Context) *connect.Actor {
	a, ok := ctx.Value(dispatcherKey).(connect.Actor)
	if !ok {
		return nil
	}
	return &a
}
