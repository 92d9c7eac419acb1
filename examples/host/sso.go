package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/dispatchkit/connect"
)

// The host's own sign-in of its clients' people: a stand-in for its SSO. A
// person signs in at /login with the host's credentials; the host's session
// cookie carries their email, signed; the portal asks the host who a request
// is (portal.Config.ClientMembers) and maps the email to a member of a client
// itself, so the member's client, role and removal still apply. A person the
// host signed in who is on no client's team gets a 403 from the portal.

// userCookie is the host's session cookie of its clients' people.
const userCookie = "acme_user"

// userSessionTTL is how long the host's sign-in lasts.
const userSessionTTL = 8 * time.Hour

// signUser returns the cookie value naming the email until the expiry.
func (h *host) signUser(email string, until time.Time) string {
	payload := base64.RawURLEncoding.EncodeToString([]byte(email)) + "." + until.UTC().Format("20060102150405")
	return payload + "." + base64.RawURLEncoding.EncodeToString(h.userMAC(payload))
}

func (h *host) userMAC(payload string) []byte {
	m := hmac.New(sha256.New, h.cfg.SessionKey)
	m.Write([]byte("acme user session " + payload))
	return m.Sum(nil)
}

// clientMember is the portal's ClientMembers: the person of the host's session
// cookie, in the host's account.
func (h *host) clientMember(r *http.Request) (connect.HostIdentity, bool) {
	c, err := r.Cookie(userCookie)
	if err != nil {
		return connect.HostIdentity{}, false
	}
	i := strings.LastIndexByte(c.Value, '.')
	if i < 0 {
		return connect.HostIdentity{}, false
	}
	payload, mac := c.Value[:i], c.Value[i+1:]
	got, err := base64.RawURLEncoding.DecodeString(mac)
	if err != nil || !hmac.Equal(got, h.userMAC(payload)) {
		return connect.HostIdentity{}, false
	}
	enc, until, ok := strings.Cut(payload, ".")
	end, err := time.Parse("20060102150405", until)
	if !ok || err != nil || !time.Now().Before(end) {
		return connect.HostIdentity{}, false
	}
	email, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil {
		return connect.HostIdentity{}, false
	}
	return connect.HostIdentity{Account: account, Email: string(email)}, true
}

var loginPage = template.Must(template.New("login").Parse(`<!doctype html>
<title>Acme sign-in</title>
<h1>Acme sign-in</h1>
{{if .Error}}<p role="alert">{{.Error}}</p>{{end}}
<form method="post" action="/login">
<input type="hidden" name="next" value="{{.Next}}">
<label>Email <input type="email" name="email" required></label>
<label>Password <input type="password" name="password" required></label>
<button>Sign in</button>
</form>`))

type loginForm struct{ Next, Error string }

// login is the host's sign-in page of its clients' people.
func (h *host) login(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	f := loginForm{Next: localPath(r.FormValue("next"))}
	if r.Method != http.MethodPost {
		_ = loginPage.Execute(w, f)
		return
	}
	if r.Header.Get("Origin") != h.origin() { // the host's own CSRF check: browsers send Origin on POST
		http.Error(w, "cross-origin sign-in refused", http.StatusForbidden)
		return
	}
	email, password := strings.TrimSpace(r.PostFormValue("email")), r.PostFormValue("password")
	want, known := h.cfg.ClientUsers[strings.ToLower(email)]
	if !known || subtle.ConstantTimeCompare([]byte(password), []byte(want)) != 1 {
		f.Error = "The email or password is not right."
		w.WriteHeader(http.StatusUnauthorized)
		_ = loginPage.Execute(w, f)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: userCookie, Value: h.signUser(email, time.Now().Add(userSessionTTL)), Path: "/",
		HttpOnly: true, Secure: strings.HasPrefix(h.cfg.BaseURL, "https://"), SameSite: http.SameSiteLaxMode,
		MaxAge: int(userSessionTTL / time.Second)})
	next := f.Next
	if next == "" {
		next = "/connect/"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// logout ends the host's session of its clients' people (the portal's Sign
// out sends them here) and goes back to its sign-in.
func (h *host) logout(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: userCookie, Path: "/", MaxAge: -1, HttpOnly: true})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// origin is scheme://host of the host's BaseURL.
func (h *host) origin() string {
	u, err := url.Parse(h.cfg.BaseURL)
	if err != nil {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// localPath returns p when it is a path on this site, else "".
func localPath(p string) string {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") {
		return ""
	}
	return p
}
