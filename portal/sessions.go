package portal

import (
	"net/http"
	"strings"

	"github.com/dispatchkit/connect"
)

// accountData is Settings → Your account: the password form and the member's
// sessions.
type accountData struct {
	Error    string
	Errors   map[string]string
	Sessions []*connect.Session
	Current  connect.SessionID // the session of this device
	// TwoFactor says whether the member signs in with two factors; Enroll is an
	// enrollment begun (to confirm with a code), RecoveryCodes the codes of one
	// just confirmed (shown this once), TwoFactorError why turning it off failed.
	TwoFactor      *connect.TwoFactorStatus
	Enroll         *enrollForm
	RecoveryCodes  []string
	TwoFactorError string
}

// accountPage shows the member's account: the password form, and where they are
// signed in (device, network, last seen), each with its own "sign out".
func (s *server) accountPage(w http.ResponseWriter, r *http.Request, v *viewer) error {
	return s.renderAccount(w, r, v, http.StatusOK, accountData{})
}

// renderAccount renders the account page with d, and the member's sessions.
func (s *server) renderAccount(w http.ResponseWriter, r *http.Request, v *viewer, status int, d accountData) error {
	sessions, err := s.svc.Sessions(r.Context(), v.Actor)
	if err != nil {
		return err
	}
	d.Sessions, d.Current = sessions, v.Actor.Session
	if d.TwoFactor, err = s.svc.TwoFactorStatus(r.Context(), v.Actor); err != nil {
		return err
	}
	s.render(w, r, status, "account", &page{Title: s.t(r, "Your account"), Tab: "settings", Data: d})
	return nil
}

// endOneSession signs one of the member's sessions out; this device's own
// session is a sign-out.
func (s *server) endOneSession(w http.ResponseWriter, r *http.Request, v *viewer) error {
	id := connect.SessionID(r.PathValue("id"))
	if err := s.svc.EndSession(r.Context(), v.Actor, id); err != nil {
		return err
	}
	if id == v.Actor.Session {
		s.endSession(w)
		s.setFlash(w, flash{Message: s.t(r, "You are signed out.")})
		s.redirect(w, r, s.path("/signin"))
		return nil
	}
	s.setFlash(w, flash{Message: s.t(r, "That device is signed out.")})
	s.redirect(w, r, s.path("/settings/account"))
	return nil
}

// endOtherSessions signs the member out everywhere but on this device.
func (s *server) endOtherSessions(w http.ResponseWriter, r *http.Request, v *viewer) error {
	if _, err := s.svc.EndOtherSessions(r.Context(), v.Actor); err != nil {
		return err
	}
	s.setFlash(w, flash{Message: s.t(r, "You are signed out everywhere else.")})
	s.redirect(w, r, s.path("/settings/account"))
	return nil
}

// deviceOf sums a User-Agent up as "Browser on System", for people to recognise
// their devices in the list of sessions ("" when it says nothing known).
func deviceOf(ua string) string {
	pick := func(pairs [][2]string) string {
		for _, p := range pairs {
			if strings.Contains(ua, p[0]) {
				return p[1]
			}
		}
		return ""
	}
	browser := pick([][2]string{{"Edg/", "Edge"}, {"OPR/", "Opera"}, {"Firefox/", "Firefox"},
		{"Chrome/", "Chrome"}, {"Safari/", "Safari"}, {"curl/", "curl"}})
	system := pick([][2]string{{"iPhone", "iPhone"}, {"iPad", "iPad"}, {"Android", "Android"},
		{"Windows", "Windows"}, {"Mac OS X", "macOS"}, {"CrOS", "ChromeOS"}, {"Linux", "Linux"}})
	switch {
	case browser != "" && system != "":
		return browser + " on " + system
	case browser != "":
		return browser
	case system != "":
		return system
	}
	return ""
}

// setLanguage records the member's choice of language (Settings → Your
// account); "" follows the browser's again. The next page speaks it.
func (s *server) setLanguage(w http.ResponseWriter, r *http.Request, v *viewer) error {
	lang := r.PostFormValue("language")
	if _, ok := supported(lang); lang != "" && !ok {
		return connect.InvalidFields([]connect.FieldError{{Field: "language", Reason: "is not a language of the portal"}})
	}
	m, err := s.svc.SetLanguage(r.Context(), v.Actor, lang)
	if err != nil {
		return err
	}
	*v.Member = *m // the request's viewer: the flash below speaks the new language
	s.setFlash(w, flash{Message: s.t(r, "Language saved.")})
	s.redirect(w, r, s.path("/settings/account"))
	return nil
}
