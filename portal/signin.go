package portal

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/dispatchkit/connect"
)

// root sends people to their home page, or to sign in.
func (s *server) root(w http.ResponseWriter, r *http.Request) error {
	if _, ok := s.sessionActor(r); ok {
		s.redirect(w, r, s.path("/home"))
	} else {
		s.redirect(w, r, s.path("/signin"))
	}
	return nil
}

func (s *server) serveStatic(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "public, max-age=300")
	s.static.ServeHTTP(w, r)
}

type signInForm struct {
	Email string
	Next  string
	Error string
}

func (s *server) signInPage(w http.ResponseWriter, r *http.Request) error {
	s.render(w, r, http.StatusOK, "signin", &page{Title: s.t(r, "Sign in"),
		Data: signInForm{Next: s.localNext(r.URL.Query().Get("next"), "")}})
	return nil
}

// tooMany answers a rate-limited attempt.
func tooMany(w http.ResponseWriter, wait time.Duration) string {
	secs := int(math.Ceil(wait.Seconds()))
	w.Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
	return fmt.Sprintf("Too many attempts. Wait %d seconds and try again.", max(secs, 1))
}

func (s *server) signIn(w http.ResponseWriter, r *http.Request) error {
	email, password := strings.TrimSpace(r.PostFormValue("email")), r.PostFormValue("password")
	f := signInForm{Email: email, Next: s.localNext(r.PostFormValue("next"), "")}
	at, wait, ok := s.beginAttempt(r, "signin", email)
	if !ok {
		f.Error = tooMany(w, wait)
		s.render(w, r, http.StatusTooManyRequests, "signin", &page{Title: s.t(r, "Sign in"), Data: f})
		return nil
	}
	ms, err := s.svc.SignIn(r.Context(), email, password)
	if isCode(err, connect.Forbidden) {
		at.failed()
		f.Error = message(err)
		s.render(w, r, http.StatusUnauthorized, "signin", &page{Title: s.t(r, "Sign in"), Data: f})
		return nil
	} else if err != nil {
		return err
	}
	at.succeeded(w, r)
	next := s.localNext(f.Next, s.path("/home"))
	if len(ms) == 1 {
		return s.continueSignIn(w, r, ms[0].Actor, email, ms[0].SecondStep, next)
	}
	c := choice{Next: next, Expires: s.now().Add(10 * time.Minute).Unix(), Email: email}
	for _, m := range ms {
		c.Options = append(c.Options, choiceOption{Account: m.Actor.Account, Client: m.Actor.Client,
			Member: m.Actor.Member, Name: m.Client.Name, Step: m.SecondStep})
	}
	v, err := sign(s.keys.choose, c)
	if err != nil {
		return err
	}
	http.SetCookie(w, s.cookie(chooseCookie, v, 10*time.Minute))
	s.redirect(w, r, s.path("/signin/choose"))
	return nil
}

// pendingChoice returns the memberships proven at sign-in, waiting for a pick.
func (s *server) pendingChoice(r *http.Request) (*choice, bool) {
	ck, err := r.Cookie(chooseCookie)
	if err != nil {
		return nil, false
	}
	var c choice
	if !verify(s.keys.choose, ck.Value, &c) || s.now().Unix() >= c.Expires || len(c.Options) == 0 {
		return nil, false
	}
	return &c, true
}

func (s *server) choosePage(w http.ResponseWriter, r *http.Request) error {
	c, ok := s.pendingChoice(r)
	if !ok {
		s.redirect(w, r, s.path("/signin"))
		return nil
	}
	s.render(w, r, http.StatusOK, "choose", &page{Title: s.t(r, "Choose a team"), Data: c})
	return nil
}

func (s *server) choose(w http.ResponseWriter, r *http.Request) error {
	c, ok := s.pendingChoice(r)
	if !ok {
		s.redirect(w, r, s.path("/signin"))
		return nil
	}
	i, err := strconv.Atoi(r.PostFormValue("option"))
	if err != nil || i < 0 || i >= len(c.Options) {
		return connect.Errorf(connect.Invalid, "choose one of the teams")
	}
	o := c.Options[i]
	http.SetCookie(w, s.cookie(chooseCookie, "", 0))
	return s.continueSignIn(w, r, connect.AsMember(o.Account, o.Client, o.Member), c.Email, o.Step,
		s.localNext(c.Next, s.path("/home")))
}

// signOut ends the session in the Store, so its cookie opens nothing anywhere
// (replayed, or copied off the device), and forgets the cookie.
func (s *server) signOut(w http.ResponseWriter, r *http.Request) error {
	if err := s.svc.SignOut(r.Context(), sessionToken(r)); err != nil {
		return err
	}
	s.endSession(w)
	if s.cfg.ClientLogoutURL != "" && s.cfg.ClientMembers != nil {
		if _, ok := s.cfg.ClientMembers.Identify(r); ok {
			// The host signed the person in: only its sign-out signs them out.
			http.Redirect(w, r, s.cfg.ClientLogoutURL, http.StatusSeeOther)
			return nil
		}
	}
	s.setFlash(w, flash{Message: s.t(r, "You are signed out.")})
	s.redirect(w, r, s.path("/signin"))
	return nil
}

type inviteForm struct {
	Token string
	// Invite says who invites to what, and for whom (nil when the token is
	// not a usable invite: Error says why).
	Invite *connect.Invitation
	// Company is the inviting dispatcher's name (Config.Brand, or the portal's).
	Company string
	Name    string
	Email   string
	Error   string
	Errors  map[string]string
	// NoPassword: the host signs members in (Config.NoPasswordSignIn), so
	// signing up asks for no password.
	NoPassword bool
}

// invitePage shows the sign-up form of an invite: the company that invites, the
// role, and the email an email invite is for, filled in; a link invite says that
// anyone with the link may join.
func (s *server) invitePage(w http.ResponseWriter, r *http.Request) error {
	f := inviteForm{Token: r.PathValue("token"), NoPassword: s.cfg.NoPasswordSignIn}
	inv, err := s.svc.Invitation(r.Context(), f.Token)
	if err != nil {
		status := httpStatus(err)
		if status == http.StatusInternalServerError || status == http.StatusServiceUnavailable {
			return err
		}
		f.Error = message(err)
		s.render(w, r, status, "invite", &page{Title: s.t(r, "Sign up"), Data: f})
		return nil
	}
	f.Invite, f.Email = inv, inv.Email
	if b, err := s.brand(r.Context(), inv.Account); err == nil {
		f.Company = b.Name
	} else {
		return err
	}
	s.render(w, r, http.StatusOK, "invite", &page{Title: s.t(r, "Sign up"), Data: f})
	return nil
}

func (s *server) acceptInvite(w http.ResponseWriter, r *http.Request) error {
	f := inviteForm{Token: r.PathValue("token"), Name: strings.TrimSpace(r.PostFormValue("name")),
		Email: strings.TrimSpace(r.PostFormValue("email")), NoPassword: s.cfg.NoPasswordSignIn}
	f.Invite, _ = s.svc.Invitation(r.Context(), f.Token) // for the page shown again; nil when gone
	if _, wait, ok := s.beginAttempt(r, "invite", f.Email); !ok {
		f.Error = tooMany(w, wait)
		s.render(w, r, http.StatusTooManyRequests, "invite", &page{Title: s.t(r, "Sign up"), Data: f})
		return nil
	}
	password := r.PostFormValue("password")
	if f.NoPassword {
		password = ""
	} else if password == "" {
		f.Errors = map[string]string{"password": "is required"}
		s.render(w, r, http.StatusUnprocessableEntity, "invite", &page{Title: s.t(r, "Sign up"), Data: f})
		return nil
	}
	acc, err := s.svc.AcceptInvite(r.Context(), f.Token, connect.SignUp{Name: f.Name, Email: f.Email, Password: password})
	if err != nil {
		status := httpStatus(err)
		if status == http.StatusInternalServerError || status == http.StatusServiceUnavailable {
			return err
		}
		f.Error, f.Errors = message(err), formErrors(err)
		if len(f.Errors) > 0 {
			f.Error = s.t(r, "Please correct the fields below.")
		}
		s.render(w, r, status, "invite", &page{Title: s.t(r, "Sign up"), Data: f})
		return nil
	}
	if f.NoPassword {
		// The host signs its members in: the new member goes through its sign-in.
		s.setFlash(w, flash{Message: s.t(r, "Welcome to {{.Client}}, {{.Name}}. Sign in to go on.", "Client", acc.Client.Name, "Name", acc.Member.Name)})
		s.redirect(w, r, s.path("/home"))
		return nil
	}
	if acc.Client.Settings.RequireTwoFactor {
		// The client's team signs in with two factors: the member enrolls first.
		return s.continueSignIn(w, r, acc.Actor, acc.Member.Email, connect.SecondStepEnroll, s.path("/home"))
	}
	if err := s.startSession(w, r, acc.Actor); err != nil {
		return err
	}
	msg := s.t(r, "Welcome to {{.Client}}, {{.Name}}.", "Client", acc.Client.Name, "Name", acc.Member.Name)
	if acc.Member.Role == connect.RoleOwner {
		msg = s.t(r, "Welcome, {{.Name}}. Your client number is {{.Number}}: your dispatcher uses it to link stops to you.",
			"Name", acc.Member.Name, "Number", acc.Client.Number)
	}
	s.setFlash(w, flash{Message: msg})
	s.redirect(w, r, s.path("/home"))
	return nil
}

// formErrors returns an Invalid error's field errors by input name.
func formErrors(err error) map[string]string {
	fields := fieldErrors(err)
	if len(fields) == 0 {
		return nil
	}
	out := make(map[string]string, len(fields))
	for _, f := range fields {
		name := string(f.Field)
		label := f.Field.Label()
		if label == name && name != "" { // not an order field ("name", "email"): say it plainly
			label = strings.ToUpper(name[:1]) + strings.ReplaceAll(name[1:], "_", " ")
		}
		if prev, ok := out[name]; ok {
			out[name] = prev + "; " + f.Reason
		} else {
			out[name] = label + " " + f.Reason
		}
	}
	return out
}
