package portal

import (
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
// value signed for one cookie is never accepted as another. The flash cookie is
// sealed (AES-256-GCM) rather than signed: it carries one-time secrets (a new
// invite link, API key or tracking link) that the cookie must not show.
type sessionKeys struct {
	session, choose, device []byte
	flash                   cipher.AEAD
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
	return sessionKeys{session: derive("session"), flash: aead, choose: derive("choose"), device: derive("device")}
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

// session is what the session cookie holds: who signed in, until when. The
// Service checks the member on every call, so a removed member or a disabled
// client is refused even while the cookie is valid.
//
// A session ends at Expires (Config.SessionTTL after sign-in), or once it has
// been idle for Config.SessionIdle: Seen is when it was last used, rewritten in
// the cookie as it is used (at most once a minute), so an idle cookie stops
// working with no state on the server. (Sign-out everywhere needs sessions kept
// on the server: not yet.)
type session struct {
	Account connect.AccountID `json:"a"`
	Client  connect.ClientID  `json:"c"`
	Member  connect.MemberID  `json:"m"`
	Expires int64             `json:"e"`
	Seen    int64             `json:"s"`
}

// seenEvery is how stale a session's Seen may grow before the cookie is
// written again: the idle timeout is exact to within it.
const seenEvery = time.Minute

func (s session) actor() connect.Actor { return connect.AsMember(s.Account, s.Client, s.Member) }

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

// startSession signs the member in.
func (s *server) startSession(w http.ResponseWriter, a connect.Actor) error {
	now := s.now()
	return s.writeSession(w, session{Account: a.Account, Client: a.Client, Member: a.Member,
		Expires: now.Add(s.cfg.SessionTTL).Unix(), Seen: now.Unix()})
}

// writeSession sets the session cookie, expiring with the session.
func (s *server) writeSession(w http.ResponseWriter, sess session) error {
	v, err := sign(s.keys.session, sess)
	if err != nil {
		return err
	}
	left := time.Unix(sess.Expires, 0).Sub(s.now())
	http.SetCookie(w, s.cookie(sessionCookie, v, max(left, time.Second)))
	return nil
}

// touchSession notes that the request's session was used now, when its Seen
// is older than seenEvery, so that it does not end for being idle.
func (s *server) touchSession(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.session(r)
	if !ok || s.now().Unix()-sess.Seen < int64(seenEvery/time.Second) {
		return
	}
	sess.Seen = s.now().Unix()
	_ = s.writeSession(w, sess) // the cookie as it was stays valid until idle
}

// endSession signs out.
func (s *server) endSession(w http.ResponseWriter) {
	http.SetCookie(w, s.cookie(sessionCookie, "", 0))
}

// sessionActor returns the member of the request's session cookie, if any is valid.
func (s *server) sessionActor(r *http.Request) (connect.Actor, bool) {
	sess, ok := s.session(r)
	if !ok {
		return connect.Actor{}, false
	}
	return sess.actor(), true
}

// session returns the request's session, if its cookie is valid: signed, not
// expired, not idle for longer than Config.SessionIdle.
func (s *server) session(r *http.Request) (session, bool) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return session{}, false
	}
	var sess session
	now := s.now().Unix()
	if !verify(s.keys.session, c.Value, &sess) || now >= sess.Expires ||
		now-sess.Seen > int64(s.cfg.SessionIdle/time.Second) ||
		sess.Account == "" || sess.Client == "" || sess.Member == "" {
		return session{}, false
	}
	return sess, true
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
}

type choiceOption struct {
	Account connect.AccountID `json:"a"`
	Client  connect.ClientID  `json:"c"`
	Member  connect.MemberID  `json:"m"`
	Name    string            `json:"t"`
}
