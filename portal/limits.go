package portal

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
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

// Limits keeps the counts the sign-in limits check, so that every process
// serving the portal counts the same attempts (Config.Limits). storage.Store is
// one, in the database; the default keeps them in this process's memory, where
// each process then allows its own.
type Limits interface {
	// TakeToken takes one token from the bucket key, which holds burst tokens
	// and gets one back every every. It returns 0 when it took one; otherwise
	// it takes nothing and returns how long until there is one. With peek it
	// takes nothing either way.
	TakeToken(ctx context.Context, key string, burst int, every time.Duration, now time.Time, peek bool) (time.Duration, error)
	// CountFailure counts a failure under key and returns the failures counted
	// since the last ClearFailures, forgetting those older than ttl.
	CountFailure(ctx context.Context, key string, now time.Time, ttl time.Duration) (int, error)
	// Failures returns the failures counted under key within ttl of the last,
	// and when the last was.
	Failures(ctx context.Context, key string, now time.Time, ttl time.Duration) (int, time.Time, error)
	// ClearFailures forgets the failures counted under key.
	ClearFailures(ctx context.Context, key string) error
}

// rateLimits holds the limits' settings and their counts.
type rateLimits struct {
	cfg    RateLimits
	now    func() time.Time
	counts Limits
}

func newRateLimits(cfg RateLimits, counts Limits, now func() time.Time) *rateLimits {
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
	if counts == nil {
		counts = newMemoryLimits(cfg.Keys)
	}
	return &rateLimits{cfg: cfg, now: now, counts: counts}
}

// failureMemory is how long failed sign-ins of an email from a network are
// remembered after the last: long enough for the longest delay to matter.
func (l *rateLimits) failureMemory() time.Duration { return 2*l.cfg.MaxDelay + time.Hour }

// memoryLimits is Limits in this process's memory: each table bounded, the
// key used longest ago forgotten when full, so a flood of keys never refuses
// everyone (it only forgets old counts).
type memoryLimits struct {
	mu      sync.Mutex
	buckets *lru.Cache[string, int64] // key: theoretical arrival time (unix ns)
	fails   *lru.Cache[string, memoryFailures]
}

type memoryFailures struct {
	n    int
	last time.Time
}

func newMemoryLimits(keys int) *memoryLimits {
	m := &memoryLimits{}
	m.buckets, _ = lru.New[string, int64](keys) // errors only for a size ≤ 0
	m.fails, _ = lru.New[string, memoryFailures](keys)
	return m
}

func (m *memoryLimits) TakeToken(_ context.Context, key string, burst int, every time.Duration, now time.Time, peek bool) (time.Duration, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	tat, _ := m.buckets.Get(key)
	nowNs, span := now.UnixNano(), int64(every)*int64(burst)
	next := max(tat, nowNs) + int64(every)
	if next-nowNs > span {
		return time.Duration(next - span - nowNs), nil
	}
	if !peek {
		m.buckets.Add(key, next)
	}
	return 0, nil
}

func (m *memoryLimits) CountFailure(_ context.Context, key string, now time.Time, ttl time.Duration) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	f, _ := m.fails.Get(key)
	if f.n == 0 || !now.Before(f.last.Add(ttl)) {
		f.n = 0
	}
	f.n, f.last = f.n+1, now
	m.fails.Add(key, f)
	return f.n, nil
}

func (m *memoryLimits) Failures(_ context.Context, key string, now time.Time, ttl time.Duration) (int, time.Time, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	f, ok := m.fails.Get(key)
	if !ok || f.n == 0 || !now.Before(f.last.Add(ttl)) {
		return 0, time.Time{}, nil
	}
	return f.n, f.last, nil
}

func (m *memoryLimits) ClearFailures(_ context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.fails.Remove(key)
	return nil
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
	ctx     context.Context // the request's
	kind    string
	email   string // lower case; "" when none is given
	net     string
	trusted bool // the device signed in with the email before
}

// beginAttempt checks the limits before a password is hashed, and says how long
// to wait when one holds the attempt back. Counts that cannot be read (the
// database is unavailable) hold nothing back: the password check then fails
// on its own.
func (s *server) beginAttempt(r *http.Request, kind, email string) (*attempt, time.Duration, bool) {
	l := s.limits
	now := l.now()
	a := &attempt{s: s, ctx: r.Context(), kind: kind, email: strings.ToLower(strings.TrimSpace(email)), net: network(s.clientIP(r))}
	wait, err := l.counts.TakeToken(a.ctx, "net|"+kind+"|"+a.net, l.cfg.PerNetwork.Burst, l.cfg.PerNetwork.Every, now, false)
	if err != nil {
		s.log.WarnContext(a.ctx, "portal: reading sign-in limits", "err", err)
	} else if wait > 0 {
		return nil, wait, false
	}
	if a.email == "" || kind == "invite" {
		return a, 0, true // an invite's token is the credential: 128 random bits
	}
	if n, last, err := l.counts.Failures(a.ctx, a.delayKey(), now, l.failureMemory()); err != nil {
		s.log.WarnContext(a.ctx, "portal: reading sign-in limits", "err", err)
	} else if until := last.Add(delayAfter(n, l.cfg.MaxDelay)); n > 0 && now.Before(until) {
		return nil, until.Sub(now), false
	}
	// A password change comes from a signed-in session: its device is the member's.
	a.trusted = kind == "password" || s.knownDevice(r, a.email)
	if !a.trusted {
		wait, err := l.counts.TakeToken(a.ctx, a.emailKey(), l.cfg.PerEmail.Burst, l.cfg.PerEmail.Every, now, true)
		if err != nil {
			s.log.WarnContext(a.ctx, "portal: reading sign-in limits", "err", err)
		} else if wait > 0 {
			return nil, wait, false
		}
	}
	return a, 0, true
}

func (a *attempt) delayKey() string { return "delay|" + a.kind + "|" + a.email + "|" + a.net }

func (a *attempt) emailKey() string { return "email|" + a.kind + "|" + a.email }

// failed counts a wrong password.
func (a *attempt) failed() {
	if a.email == "" || a.kind == "invite" {
		return
	}
	l := a.s.limits
	now := l.now()
	if _, err := l.counts.CountFailure(a.ctx, a.delayKey(), now, l.failureMemory()); err != nil {
		a.s.log.WarnContext(a.ctx, "portal: counting a failed sign-in", "err", err)
	}
	if !a.trusted {
		if _, err := l.counts.TakeToken(a.ctx, a.emailKey(), l.cfg.PerEmail.Burst, l.cfg.PerEmail.Every, now, false); err != nil {
			a.s.log.WarnContext(a.ctx, "portal: counting a failed sign-in", "err", err)
		}
	}
}

// succeeded clears the failures of the email from the network, and remembers
// the device as one the member signed in from.
func (a *attempt) succeeded(w http.ResponseWriter, r *http.Request) {
	if a.email == "" {
		return
	}
	if err := a.s.limits.counts.ClearFailures(a.ctx, a.delayKey()); err != nil {
		a.s.log.WarnContext(a.ctx, "portal: clearing failed sign-ins", "err", err)
	}
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
