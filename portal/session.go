package portal

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/dispatchkit/connect"
)

// Cookie names.
const (
	sessionCookie = "connect_session"
	flashCookie   = "connect_flash"
	chooseCookie  = "connect_choose"
	deviceCookie  = "connect_device"
)

// sessionKeys derives one key per purpose from the configured key, so that a
// value signed for one cookie is never accepted as another. (The session cookie
// is a random token: it needs no key.) The flash cookie is
// sealed (AES-256-GCM) rather than signed: it carries one-time secrets (a new
// invite link, API key or tracking link) that the cookie must not show.
type sessionKeys struct {
	choose, device, step []byte
	flash                cipher.AEAD
}

func newSessionKeys(key []byte) sessionKeys {
	derive := func(purpose string) []byte {
		m := hmac.New(sha256.New, key)
		m.Write([]byte("connect portal " + purpose))
		return m.Sum(nil)
	}
	block, err := aes.NewCipher(derive("flash seal")) // 32 bytes: AES-256
	if err != nil {
		panic(err) // unreachable: the key has a valid size
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic(err) // unreachable: AES has a 16-byte block
	}
	return sessionKeys{flash: aead, choose: derive("choose"), device: derive("device"),
		step: derive("second step")}
}

// seal returns base64(nonce + AES-GCM of the JSON of v): the value can be
// neither read nor changed without the key.
func seal(aead cipher.AEAD, v any) (string, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(raw)+aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(aead.Seal(nonce, nonce, raw, nil)), nil
}

// unseal opens a value made by seal and decodes it into v.
func unseal(aead cipher.AEAD, s string, v any) bool {
	if len(s) > 4096 {
		return false
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) < aead.NonceSize() {
		return false
	}
	raw, err := aead.Open(nil, b[:aead.NonceSize()], b[aead.NonceSize():], nil)
	if err != nil {
		return false
	}
	return json.Unmarshal(raw, v) == nil
}

// sign returns base64(JSON of v) + "." + base64(HMAC).
func sign(key []byte, v any) (string, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	payload := base64.RawURLEncoding.EncodeToString(raw)
	m := hmac.New(sha256.New, key)
	m.Write([]byte(payload))
	return payload + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil)), nil
}

// verify checks a value made by sign (in constant time) and decodes it into v.
func verify(key []byte, s string, v any) bool {
	payload, mac, ok := strings.Cut(s, ".")
	if !ok || len(s) > 4096 {
		return false
	}
	got, err := base64.RawURLEncoding.DecodeString(mac)
	if err != nil {
		return false
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(payload))
	if !hmac.Equal(got, m.Sum(nil)) {
		return false
	}
	raw, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return false
	}
	return json.Unmarshal(raw, v) == nil
}

// The session cookie carries the token of a session the Store keeps
// (connect.Session): the cookie says nothing by itself, and ending the session
// (sign-out, a password changed, the member removed) ends it in every process at
// once. A session ends after Config.SessionIdle unused, and Config.SessionTTL in
// all; the Service notes its use at most every connect.SessionTouchEvery.

// sessionCtx holds the membership a request's session cookie opened, so the
// request reads the Store for it once.
type sessionCtx struct {
	m *connect.Membership // nil when the cookie opens no session
}

func (s *server) cookie(name, value string, maxAge time.Duration) *http.Cookie {
	path := s.prefix
	if path == "" {
		path = "/"
	}
	c := &http.Cookie{Name: name, Value: value, Path: path, HttpOnly: true, Secure: s.secure,
		SameSite: http.SameSiteLaxMode}
	if maxAge > 0 {
		c.MaxAge = int(maxAge / time.Second)
		c.Expires = s.now().Add(maxAge)
	} else {
		c.MaxAge = -1
	}
	return c
}

// startSession signs the member in on this device: a new session in the Store,
// its token in the cookie.
func (s *server) startSession(w http.ResponseWriter, r *http.Request, a connect.Actor) error {
	issued, err := s.svc.StartSession(r.Context(), a, connect.StartSessionParams{
		Device: deviceOf(r.UserAgent()), Network: network(s.clientIP(r)),
		TTL: s.cfg.SessionTTL, Idle: s.cfg.SessionIdle})
	if err != nil {
		return err
	}
	http.SetCookie(w, s.cookie(sessionCookie, issued.Token, s.cfg.SessionTTL))
	return nil
}

// endSession forgets the session cookie on this device (the caller ends the
// session itself, or it has ended).
func (s *server) endSession(w http.ResponseWriter) {
	http.SetCookie(w, s.cookie(sessionCookie, "", 0))
}

// sessionToken returns the token of the request's session cookie ("" for none).
func sessionToken(r *http.Request) string {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return ""
	}
	return c.Value
}

// openSession returns the member of the request, with the request's AccessMemo
// (GET, HEAD), reading the Store once per request: the one the host identifies
// (Config.ClientMembers), if it does, else the one its session cookie opens.
// Errors: connect.ErrForbidden when the session ended, the member is gone or the
// client is disabled (a *refusedByHost for the host's identity); errUnauthorized
// when nothing identifies the request.
func (s *server) openSession(r *http.Request) (*connect.Membership, error) {
	if sc, ok := r.Context().Value(sessionKey).(*sessionCtx); ok {
		if sc.m == nil {
			return nil, errUnauthorized
		}
		return sc.m, nil
	}
	var memo *connect.AccessMemo
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		memo = new(connect.AccessMemo)
	}
	if m, ok, err := s.hostMember(r, memo); ok {
		return m, err
	}
	token := sessionToken(r)
	if token == "" {
		return nil, errUnauthorized
	}
	return s.svc.OpenSession(r.Context(), token, memo)
}

// withSession keeps the request's session, opened or not, in its context.
func withSession(r *http.Request, m *connect.Membership) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), sessionKey, &sessionCtx{m: m}))
}

// sessionActor returns the member of the request's session cookie, if it opens
// an open session.
func (s *server) sessionActor(r *http.Request) (connect.Actor, bool) {
	m, err := s.openSession(r)
	if err != nil {
		return connect.Actor{}, false
	}
	return m.Actor, true
}

// flash is a message shown once on the next page, with an optional secret shown
// with it (a new invite link, API key or tracking link, which exist only once).
type flash struct {
	Message string `json:"m"`
	Secret  string `json:"s,omitempty"`
	Error   bool   `json:"x,omitempty"`
}

func (s *server) setFlash(w http.ResponseWriter, f flash) {
	v, err := seal(s.keys.flash, f)
	if err != nil {
		return
	}
	http.SetCookie(w, s.cookie(flashCookie, v, 5*time.Minute))
}

// takeFlash returns the flash of the request, and clears it.
func (s *server) takeFlash(w http.ResponseWriter, r *http.Request) *flash {
	c, err := r.Cookie(flashCookie)
	if err != nil {
		return nil
	}
	http.SetCookie(w, s.cookie(flashCookie, "", 0))
	var f flash
	if !unseal(s.keys.flash, c.Value, &f) {
		return nil
	}
	return &f
}

// choice is the memberships a person proved with their password, when they are on
// several teams, until they pick one.
type choice struct {
	Options []choiceOption `json:"o"`
	Next    string         `json:"n"`
	Expires int64          `json:"e"`
	Email   string         `json:"em"` // for the sign-in limits of a second step
}

type choiceOption struct {
	Account connect.AccountID `json:"a"`
	Client  connect.ClientID  `json:"c"`
	Member  connect.MemberID  `json:"m"`
	Name    string            `json:"t"`
	// Step is what the sign-in asks of this membership after the password.
	Step connect.SecondStep `json:"s,omitempty"`
}
