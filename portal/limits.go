package portal

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/time/rate"
)

// Limits on guessing passwords that cannot be turned against the people they
// protect (issue #17):
//   - each network (an IPv4 address, an IPv6 /64: one subscriber's) has a bucket
//     of attempts: a flood from one place is held back there;
//   - failed sign-ins for one email from one network wait longer each time
//     (progressive delay), and a success clears it: guessing from one place
//     slows down, the member elsewhere is not held back;
//   - failed sign-ins for one email from devices that never signed in to it
//     have a bucket too, against guessing spread over many networks; once it is
//     empty only new devices wait: a device that signed in before (a signed
//     cookie says so) keeps working, so no one can lock a member out;
//   - each table is bounded; when full it forgets the key used longest ago, so
//     a flood of keys never refuses everyone (it only forgets old counts).
// The Service bounds password hashing process-wide on top of these
// (connect.Config.PasswordConcurrency): a flood queues.

// Rate is a token bucket: Burst attempts at once, then one more every Every.
type Rate struct {
	Burst int
	Every time.Duration
}

// RateLimits bound attempts at guessing passwords and invite tokens.
type RateLimits struct {
	// PerNetwork bounds sign-in, invite-acceptance and password-change attempts
	// from one network: an IPv4 address, or an IPv6 /64. Zero: 20 at once, then
	// one every 3 seconds.
	PerNetwork Rate
	// PerEmail bounds failed sign-ins for one email from devices that have not
	// signed in with it before, from anywhere. Zero: 10 at once, then one every
	// 3 minutes. A device that signed in with the email before is not held back
	// by it.
	PerEmail Rate
	// MaxDelay bounds the wait after failed sign-ins for one email from one
	// network: none for the first three, then 1 second doubling at each failure.
	// Zero: 5 minutes.
	MaxDelay time.Duration
	// Keys bounds each table of counts (networks, emails, email and network).
	// Zero: 100,000. A full table forgets the key used longest ago.
	Keys int
}

// freeFailures is how many failures of an email from a network are not delayed.
const freeFailures = 3

// deviceTTL is how long a device is remembered as one a member signed in from.
const deviceTTL = 90 * 24 * time.Hour

// rateLimits holds the tables.
type rateLimits struct {
	cfg     RateLimits
	now     func() time.Time
	network *lru.Cache[string, *rate.Limiter]
	email   *lru.Cache[string, *rate.Limiter]
	delay   *lru.Cache[string, *failures]
}

// failures is the failed sign-ins of an email from a network.
type failures struct {
	n     int
	until time.Time
}

func newRateLimits(cfg RateLimits, now func() time.Time) *rateLimits {
	if cfg.PerNetwork.Burst <= 0 || cfg.PerNetwork.Every <= 0 {
		cfg.PerNetwork = Rate{Burst: 20, Every: 3 * time.Second}
	}
	if cfg.PerEmail.Burst <= 0 || cfg.PerEmail.Every <= 0 {
		cfg.PerEmail = Rate{Burst: 10, Every: 3 * time.Minute}
	}
	if cfg.MaxDelay <= 0 {
		cfg.MaxDelay = 5 * time.Minute
	}
	if cfg.Keys <= 0 {
		cfg.Keys = 100_000
	}
	l := &rateLimits{cfg: cfg, now: now}
	l.network, _ = lru.New[string, *rate.Limiter](cfg.Keys) // errors only for a size ≤ 0
	l.email, _ = lru.New[string, *rate.Limiter](cfg.Keys)
	l.delay, _ = lru.New[string, *failures](cfg.Keys)
	return l
}

// bucket returns the key's bucket in the table, a full one when new.
func bucket(t *lru.Cache[string, *rate.Limiter], key string, r Rate) *rate.Limiter {
	if b, ok := t.Get(key); ok {
		return b
	}
	b := rate.NewLimiter(rate.Every(r.Every), r.Burst)
	if prev, ok, _ := t.PeekOrAdd(key, b); ok {
		return prev
	}
	return b
}

// wait says how long until the bucket has a token.
func wait(b *rate.Limiter, now time.Time, r Rate) time.Duration {
	missing := 1 - b.TokensAt(now)
	return time.Duration(missing * float64(r.Every))
}

// network is the network an address counts for: the address itself for IPv4,
// its /64 for IPv6 (one subscriber's, who can use all of it).
func network(ip string) string {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	addr = addr.Unmap()
	if addr.Is6() {
		p, _ := addr.Prefix(64)
		return p.String()
	}
	return addr.String()
}

// attempt is one try at a password: sign-in, invite acceptance or password change.
type attempt struct {
	s       *server
	kind    string
	email   string // lower case; "" when none is given
	net     string
	trusted bool // the device signed in with the email before
}

// beginAttempt checks the limits before a password is hashed, and says how long
// to wait when one holds the attempt back.
func (s *server) beginAttempt(r *http.Request, kind, email string) (*attempt, time.Duration, bool) {
	l := s.limits
	now := l.now()
	a := &attempt{s: s, kind: kind, email: strings.ToLower(strings.TrimSpace(email)), net: network(s.clientIP(r))}
	nb := bucket(l.network, kind+"|"+a.net, l.cfg.PerNetwork)
	if !nb.AllowN(now, 1) {
		return nil, wait(nb, now, l.cfg.PerNetwork), false
	}
	if a.email == "" || kind == "invite" {
		return a, 0, true // an invite's token is the credential: 128 random bits
	}
	if f, ok := l.delay.Get(a.delayKey()); ok && now.Before(f.until) {
		return nil, f.until.Sub(now), false
	}
	// A password change comes from a signed-in session: its device is the member's.
	a.trusted = kind == "password" || s.knownDevice(r, a.email)
	if !a.trusted {
		eb := bucket(l.email, kind+"|"+a.email, l.cfg.PerEmail)
		if eb.TokensAt(now) < 1 {
			return nil, wait(eb, now, l.cfg.PerEmail), false
		}
	}
	return a, 0, true
}

func (a *attempt) delayKey() string { return a.kind + "|" + a.email + "|" + a.net }

// failed counts a wrong password.
func (a *attempt) failed() {
	if a.email == "" || a.kind == "invite" {
		return
	}
	l := a.s.limits
	now := l.now()
	n := 1
	if f, ok := l.delay.Get(a.delayKey()); ok {
		n = f.n + 1
	}
	l.delay.Add(a.delayKey(), &failures{n: n, until: now.Add(delayAfter(n, l.cfg.MaxDelay))})
	if !a.trusted {
		bucket(l.email, a.kind+"|"+a.email, l.cfg.PerEmail).AllowN(now, 1)
	}
}

// succeeded clears the failures of the email from the network, and remembers
// the device as one the member signed in from.
func (a *attempt) succeeded(w http.ResponseWriter, r *http.Request) {
	if a.email == "" {
		return
	}
	a.s.limits.delay.Remove(a.delayKey())
	a.s.rememberDevice(w, r, a.email)
}

// delayAfter is the wait after n failures: none for the first freeFailures,
// then 1 second doubling, at most max.
func delayAfter(n int, max time.Duration) time.Duration {
	if n < freeFailures {
		return 0
	}
	d := time.Second << min(n-freeFailures, 30)
	return min(d, max)
}

// device is what the device cookie holds: the emails (hashed) that signed in
// from the browser, newest first, until when.
type device struct {
	Emails  []string `json:"e"`
	Expires int64    `json:"x"`
}

// maxDeviceEmails bounds the emails a device cookie remembers.
const maxDeviceEmails = 5

// emailTag is what the device cookie holds of an email: a keyed hash, so that
// the cookie does not tell which emails signed in from it.
func (s *server) emailTag(email string) string {
	m := hmac.New(sha256.New, s.keys.device)
	m.Write([]byte("email " + email))
	return hex.EncodeToString(m.Sum(nil)[:12])
}

func (s *server) deviceOf(r *http.Request) (device, bool) {
	c, err := r.Cookie(deviceCookie)
	if err != nil {
		return device{}, false
	}
	var d device
	if !verify(s.keys.device, c.Value, &d) || s.now().Unix() >= d.Expires {
		return device{}, false
	}
	return d, true
}

// knownDevice reports whether the browser signed in with the email before.
func (s *server) knownDevice(r *http.Request, email string) bool {
	d, ok := s.deviceOf(r)
	return ok && slices.Contains(d.Emails, s.emailTag(email))
}

// rememberDevice notes in the device cookie that the email signed in from it.
func (s *server) rememberDevice(w http.ResponseWriter, r *http.Request, email string) {
	d, _ := s.deviceOf(r)
	tag := s.emailTag(email)
	d.Emails = slices.DeleteFunc(d.Emails, func(e string) bool { return e == tag })
	d.Emails = append([]string{tag}, d.Emails...)
	if len(d.Emails) > maxDeviceEmails {
		d.Emails = d.Emails[:maxDeviceEmails]
	}
	d.Expires = s.now().Add(deviceTTL).Unix()
	v, err := sign(s.keys.device, d)
	if err != nil {
		return
	}
	http.SetCookie(w, s.cookie(deviceCookie, v, deviceTTL))
}
