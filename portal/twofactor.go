package portal

import (
	"bytes"
	"encoding/base64"
	"html/template"
	"image/png"
	"net/http"
	"strings"
	"time"

	"github.com/dispatchkit/connect"
	"github.com/pquerna/otp"
)

// Two-factor sign-in (connect's twofactor.go): when a member's password is right
// but the sign-in asks for a second step, no session starts. A signed cookie,
// stepCookie, carries who proved the password for stepTTL; the code page (or,
// when the dispatcher requires two-factor of a member without it, the enrollment
// page) then starts the session. Wrong codes count against the sign-in limits of
// the member's email and network, as wrong passwords do.

const (
	stepCookie = "connect_step"
	stepTTL    = 10 * time.Minute
)

// pendingStep is a sign-in waiting for its second step.
type pendingStep struct {
	Account connect.AccountID  `json:"a"`
	Client  connect.ClientID   `json:"c"`
	Member  connect.MemberID   `json:"m"`
	Email   string             `json:"em"` // for the sign-in limits
	Kind    connect.SecondStep `json:"k"`
	Next    string             `json:"n"`
	Expires int64              `json:"e"`
}

func (p *pendingStep) actor() connect.Actor { return connect.AsMember(p.Account, p.Client, p.Member) }

// continueSignIn starts the session of a member whose password (or invite) is
// right, or sends them to the second step the sign-in asks for.
func (s *server) continueSignIn(w http.ResponseWriter, r *http.Request, a connect.Actor, email string, step connect.SecondStep, next string) error {
	if step == connect.SecondStepNone {
		if err := s.startSession(w, r, a); err != nil {
			return err
		}
		s.redirect(w, r, next)
		return nil
	}
	v, err := sign(s.keys.step, pendingStep{Account: a.Account, Client: a.Client, Member: a.Member, Email: email,
		Kind: step, Next: next, Expires: s.now().Add(stepTTL).Unix()})
	if err != nil {
		return err
	}
	http.SetCookie(w, s.cookie(stepCookie, v, stepTTL))
	if step == connect.SecondStepEnroll {
		s.redirect(w, r, s.path("/signin/enroll"))
	} else {
		s.redirect(w, r, s.path("/signin/code"))
	}
	return nil
}

// pendingSecondStep returns the sign-in waiting for a second step of kind.
func (s *server) pendingSecondStep(r *http.Request, kind connect.SecondStep) (*pendingStep, bool) {
	ck, err := r.Cookie(stepCookie)
	if err != nil {
		return nil, false
	}
	var p pendingStep
	if !verify(s.keys.step, ck.Value, &p) || s.now().Unix() >= p.Expires || p.Kind != kind {
		return nil, false
	}
	return &p, true
}

// finishSignIn ends the second step: the step cookie goes, the session starts.
func (s *server) finishSignIn(w http.ResponseWriter, r *http.Request, p *pendingStep) error {
	http.SetCookie(w, s.cookie(stepCookie, "", 0))
	return s.startSession(w, r, p.actor())
}

type codeForm struct {
	Error string
}

func (s *server) codePage(w http.ResponseWriter, r *http.Request) error {
	if _, ok := s.pendingSecondStep(r, connect.SecondStepCode); !ok {
		s.redirect(w, r, s.path("/signin"))
		return nil
	}
	s.render(w, r, http.StatusOK, "twofactor-code", &page{Title: s.t(r, "Two-factor sign-in"), Data: codeForm{}})
	return nil
}

// code checks the second step's code: a code of the member's app, or a recovery code.
func (s *server) code(w http.ResponseWriter, r *http.Request) error {
	p, ok := s.pendingSecondStep(r, connect.SecondStepCode)
	if !ok {
		s.redirect(w, r, s.path("/signin"))
		return nil
	}
	at, wait, ok := s.beginAttempt(r, "signin", p.Email)
	if !ok {
		s.render(w, r, http.StatusTooManyRequests, "twofactor-code", &page{Title: s.t(r, "Two-factor sign-in"),
			Data: codeForm{Error: tooMany(w, wait)}})
		return nil
	}
	err := s.svc.VerifyTwoFactor(r.Context(), p.actor(), r.PostFormValue("code"))
	if isCode(err, connect.Forbidden) {
		at.failed()
		s.render(w, r, http.StatusUnauthorized, "twofactor-code", &page{Title: s.t(r, "Two-factor sign-in"),
			Data: codeForm{Error: message(err)}})
		return nil
	} else if err != nil {
		return err
	}
	at.succeeded(w, r)
	if err := s.finishSignIn(w, r, p); err != nil {
		return err
	}
	s.redirect(w, r, s.localNext(p.Next, s.path("/home")))
	return nil
}

// enrollForm is an enrollment to show: the secret as text, its otpauth URL, and
// its QR code (a PNG data URL; "" when it could not be drawn).
type enrollForm struct {
	Secret string
	URL    string
	Link   template.URL // URL, as a link (otpauth:// is no scheme html/template trusts)
	QR     template.URL
	Error  string
	// Action is where the code is posted.
	Action string
}

// newEnrollForm shows an enrollment the Service began.
func newEnrollForm(secret, url, action string) enrollForm {
	// url is the Service's, or checked by enrollFormAgain to be otpauth://totp/.
	f := enrollForm{Secret: secret, URL: url, Link: template.URL(url), Action: action}
	if key, err := otp.NewKeyFromURL(url); err == nil {
		if img, err := key.Image(200, 200); err == nil {
			var b bytes.Buffer
			if png.Encode(&b, img) == nil {
				f.QR = template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(b.Bytes()))
			}
		}
	}
	return f
}

// enrollFormAgain shows again the enrollment the form posted (after a wrong
// code): the Service never returns a secret twice, and the page had it already.
func enrollFormAgain(r *http.Request, action string) enrollForm {
	secret, url := r.PostFormValue("secret"), r.PostFormValue("url")
	if len(secret) > 64 || strings.Trim(secret, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") != "" ||
		len(url) > 512 || !strings.HasPrefix(url, "otpauth://totp/") {
		return enrollForm{Action: action}
	}
	return newEnrollForm(secret, url, action)
}

// enrollPage begins the enrollment that the member's client requires before the
// portal opens.
func (s *server) enrollPage(w http.ResponseWriter, r *http.Request) error {
	p, ok := s.pendingSecondStep(r, connect.SecondStepEnroll)
	if !ok {
		s.redirect(w, r, s.path("/signin"))
		return nil
	}
	en, err := s.svc.BeginTwoFactor(r.Context(), p.actor())
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "twofactor-enroll", &page{Title: s.t(r, "Set up two-factor sign-in"),
		Data: newEnrollForm(en.Secret, en.URL, s.path("/signin/enroll"))})
	return nil
}

// recoveryData shows the recovery codes, once.
type recoveryData struct {
	Codes []string
	Next  string
}

// enroll confirms the required enrollment with a code, starts the session and
// shows the recovery codes.
func (s *server) enroll(w http.ResponseWriter, r *http.Request) error {
	p, ok := s.pendingSecondStep(r, connect.SecondStepEnroll)
	if !ok {
		s.redirect(w, r, s.path("/signin"))
		return nil
	}
	f := enrollFormAgain(r, s.path("/signin/enroll"))
	at, wait, ok := s.beginAttempt(r, "signin", p.Email)
	if !ok {
		f.Error = tooMany(w, wait)
		s.render(w, r, http.StatusTooManyRequests, "twofactor-enroll", &page{Title: s.t(r, "Set up two-factor sign-in"), Data: f})
		return nil
	}
	codes, err := s.svc.ConfirmTwoFactor(r.Context(), p.actor(), r.PostFormValue("code"))
	if isCode(err, connect.Forbidden) {
		at.failed()
		f.Error = message(err)
		s.render(w, r, http.StatusUnauthorized, "twofactor-enroll", &page{Title: s.t(r, "Set up two-factor sign-in"), Data: f})
		return nil
	} else if err != nil {
		return err
	}
	at.succeeded(w, r)
	if err := s.finishSignIn(w, r, p); err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "twofactor-recovery", &page{Title: s.t(r, "Your recovery codes"),
		Data: recoveryData{Codes: codes, Next: s.localNext(p.Next, s.path("/home"))}})
	return nil
}

// beginTwoFactor starts an enrollment from the account page.
func (s *server) beginTwoFactor(w http.ResponseWriter, r *http.Request, v *viewer) error {
	en, err := s.svc.BeginTwoFactor(r.Context(), v.Actor)
	if err != nil {
		return err
	}
	f := newEnrollForm(en.Secret, en.URL, s.path("/settings/account/two-factor/confirm"))
	return s.renderAccount(w, r, v, http.StatusOK, accountData{Enroll: &f})
}

// confirmTwoFactor turns two-factor sign-in on from the account page, and shows
// the recovery codes once.
func (s *server) confirmTwoFactor(w http.ResponseWriter, r *http.Request, v *viewer) error {
	f := enrollFormAgain(r, s.path("/settings/account/two-factor/confirm"))
	at, wait, ok := s.beginAttempt(r, "signin", v.Member.Email)
	if !ok {
		f.Error = tooMany(w, wait)
		return s.renderAccount(w, r, v, http.StatusTooManyRequests, accountData{Enroll: &f})
	}
	codes, err := s.svc.ConfirmTwoFactor(r.Context(), v.Actor, r.PostFormValue("code"))
	if isCode(err, connect.Forbidden) {
		at.failed()
		f.Error = message(err)
		return s.renderAccount(w, r, v, http.StatusUnprocessableEntity, accountData{Enroll: &f})
	} else if err != nil {
		return err
	}
	return s.renderAccount(w, r, v, http.StatusOK, accountData{RecoveryCodes: codes})
}

// disableTwoFactor turns two-factor sign-in off, given a code or the password.
func (s *server) disableTwoFactor(w http.ResponseWriter, r *http.Request, v *viewer) error {
	at, wait, ok := s.beginAttempt(r, "signin", v.Member.Email)
	if !ok {
		return s.renderAccount(w, r, v, http.StatusTooManyRequests, accountData{TwoFactorError: tooMany(w, wait)})
	}
	err := s.svc.DisableTwoFactor(r.Context(), v.Actor, r.PostFormValue("proof"))
	if isCode(err, connect.Forbidden) {
		at.failed()
		return s.renderAccount(w, r, v, http.StatusUnprocessableEntity, accountData{TwoFactorError: message(err)})
	} else if err != nil {
		return err
	}
	s.setFlash(w, flash{Message: s.t(r, "Two-factor sign-in is off.")})
	s.redirect(w, r, s.path("/settings/account"))
	return nil
}

// enrolling reports whether a request is one a member who must enroll may make:
// the account page and its two-factor forms.
func (s *server) enrolling(r *http.Request) bool {
	p := r.URL.Path
	return p == s.path("/settings/account") || strings.HasPrefix(p, s.path("/settings/account/two-factor"))
}
