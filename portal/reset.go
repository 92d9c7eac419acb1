package portal

import (
	"net/http"
	"strings"

	"github.com/dispatchkit/connect"
)

// forgotForm is the "forgot password" page: the email to send a link to, and
// after it is sent, the same answer whatever the email (the page shows no email
// then: it must not tell which emails exist).
type forgotForm struct {
	Email string
	Sent  bool
	Error string
}

func (s *server) forgotPage(w http.ResponseWriter, r *http.Request) error {
	s.render(w, r, http.StatusOK, "forgot", &page{Title: s.t(r, "Forgot password"), Data: forgotForm{}})
	return nil
}

// forgot sends reset links for an email. Every request counts against the
// email (from the network) and the network, as a wrong password does, so that
// the form can neither flood a mailbox nor be used to probe many emails.
func (s *server) forgot(w http.ResponseWriter, r *http.Request) error {
	email := strings.TrimSpace(r.PostFormValue("email"))
	f := forgotForm{Email: email}
	at, wait, ok := s.beginAttempt(r, "reset", email)
	if !ok {
		f.Error = tooMany(w, wait)
		s.render(w, r, http.StatusTooManyRequests, "forgot", &page{Title: s.t(r, "Forgot password"), Data: f})
		return nil
	}
	at.failed() // counted whatever the answer: a request is never "right"
	if err := s.svc.RequestPasswordReset(r.Context(), email); err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "forgot", &page{Title: s.t(r, "Forgot password"), Data: forgotForm{Sent: true}})
	return nil
}

// resetForm is the page that sets a new password with a reset link.
type resetForm struct {
	Token  string
	For    *connect.Membership // nil when the link cannot be used (Error says why)
	Error  string
	Errors map[string]string
}

func (s *server) resetPage(w http.ResponseWriter, r *http.Request) error {
	f := resetForm{Token: r.PathValue("token")}
	m, err := s.svc.PasswordResetFor(r.Context(), f.Token)
	if err != nil {
		return s.resetRefused(w, r, f, err)
	}
	f.For = m
	s.render(w, r, http.StatusOK, "reset", &page{Title: s.t(r, "Set a new password"), Data: f})
	return nil
}

// reset sets the new password, and sends the person to sign in with it: every
// session of the member has ended.
func (s *server) reset(w http.ResponseWriter, r *http.Request) error {
	f := resetForm{Token: r.PathValue("token")}
	if _, wait, ok := s.beginAttempt(r, "reset-link", ""); !ok {
		f.Error = tooMany(w, wait)
		s.render(w, r, http.StatusTooManyRequests, "reset", &page{Title: s.t(r, "Set a new password"), Data: f})
		return nil
	}
	err := s.svc.ResetPassword(r.Context(), f.Token, r.PostFormValue("password"))
	if isCode(err, connect.Invalid) {
		f.For, _ = s.svc.PasswordResetFor(r.Context(), f.Token)
		f.Error, f.Errors = message(err), formErrors(err)
		if len(f.Errors) > 0 {
			f.Error = s.t(r, "Please correct the fields below.")
		}
		s.render(w, r, http.StatusUnprocessableEntity, "reset", &page{Title: s.t(r, "Set a new password"), Data: f})
		return nil
	}
	if err != nil {
		return s.resetRefused(w, r, f, err)
	}
	s.endSession(w)
	s.setFlash(w, flash{Message: s.t(r, "Your password is set, and you are signed out everywhere. Sign in with the new one.")})
	s.redirect(w, r, s.path("/signin"))
	return nil
}

// resetRefused answers a link that cannot be used.
func (s *server) resetRefused(w http.ResponseWriter, r *http.Request, f resetForm, err error) error {
	status := httpStatus(err)
	if status == http.StatusInternalServerError || status == http.StatusServiceUnavailable {
		return err
	}
	f.Error = message(err)
	s.render(w, r, status, "reset", &page{Title: s.t(r, "Set a new password"), Data: f})
	return nil
}
