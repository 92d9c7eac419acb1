package portal

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/dispatchkit/connect"
)

// ClientMembers is the host's own sign-in of clients' members (its SSO, its own
// session), beside or instead of the portal's password sign-in: the host says
// who the person of a request is, and the portal maps them to a member through
// the Service (connect.Service.IdentifyMember) on every request, so the
// member's client, role and team apply as for any member, and a removed member
// or a disabled client is refused at their next request. State-changing
// requests still pass the portal's cross-origin check (the host's session is
// as ambient as a cookie), and on the JSON API a request with an Authorization
// header is an API key's, whatever the host says.
type ClientMembers interface {
	// Identify returns the person of the request as the host verified them:
	// their account and email (and client, when the email may be on several of
	// the account's client teams); false when the host does not know the
	// request, which then goes on to the portal's own sign-in.
	Identify(r *http.Request) (connect.HostIdentity, bool)
}

// ClientMembersFunc adapts a function to ClientMembers.
type ClientMembersFunc func(r *http.Request) (connect.HostIdentity, bool)

// Identify calls f.
func (f ClientMembersFunc) Identify(r *http.Request) (connect.HostIdentity, bool) { return f(r) }

// refusedByHost is a refusal of a person the host identified (not a member,
// on several teams without a client named, the member removed, the client
// disabled): answered 403 where it happens, never sent to sign in, which would
// send them through the host's sign-in and back here again.
type refusedByHost struct{ err error }

func (e *refusedByHost) Error() string { return e.err.Error() }
func (e *refusedByHost) Unwrap() error { return e.err }

// isRefusedByHost reports whether err is a refusal of a host's identity.
func isRefusedByHost(err error) bool {
	var r *refusedByHost
	return errors.As(err, &r)
}

// hostMember returns the member the host identifies the request as, if it
// does (ok): the host's word is final, so an identity that is no member's is
// refused, not passed on to the portal's sign-in.
func (s *server) hostMember(r *http.Request, memo *connect.AccessMemo) (m *connect.Membership, ok bool, err error) {
	if s.cfg.ClientMembers == nil {
		return nil, false, nil
	}
	id, ok := s.cfg.ClientMembers.Identify(r)
	if !ok {
		return nil, false, nil
	}
	m, err = s.svc.IdentifyMember(r.Context(), id, memo)
	switch {
	case err == nil:
		return m, true, nil
	case isCode(err, connect.NotFound), isCode(err, connect.Conflict), isCode(err, connect.Invalid):
		s.log.InfoContext(r.Context(), "portal: the host's identity is no member's", "account", id.Account, "err", err)
		err = connect.Errorf(connect.Forbidden, "you are signed in as %s, who is not on a client's team in this portal; "+
			"ask your team's owner to invite you", id.Email)
	case !isCode(err, connect.Forbidden):
		return nil, true, err // the Store failed: a 5xx, not a refusal
	}
	return nil, true, &refusedByHost{err: err}
}

// toHostSignIn sends a person nobody identified to the host's sign-in
// (Config.ClientLoginURL), to come back to next ("": nowhere in particular),
// reporting whether it did.
func (s *server) toHostSignIn(w http.ResponseWriter, r *http.Request, next string) bool {
	login := s.cfg.ClientLoginURL
	if login == "" {
		return false
	}
	if next != "" {
		sep := "?"
		if strings.Contains(login, "?") {
			sep = "&"
		}
		login += sep + "next=" + url.QueryEscape(next)
	}
	http.Redirect(w, r, login, http.StatusSeeOther)
	return true
}

// errNoPasswordSignIn answers the portal's own sign-in when the host turned it
// off (Config.NoPasswordSignIn) and gave no ClientLoginURL.
var errNoPasswordSignIn = connect.Errorf(connect.Forbidden, "this portal signs you in through your dispatcher's own sign-in")

// passwordSignIn guards a page of the portal's own sign-in (passwords, their
// reset, the second step): off when Config.NoPasswordSignIn is set, where a
// GET goes to the host's sign-in, if any, and anything else is refused.
func (s *server) passwordSignIn(h http.Handler) http.Handler {
	if !s.cfg.NoPasswordSignIn {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		noStore(w)
		if r.Method == http.MethodGet && s.toHostSignIn(w, r, s.localNext(r.URL.Query().Get("next"), "")) {
			return
		}
		s.fail(w, r, errNoPasswordSignIn)
	})
}
