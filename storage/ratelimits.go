package storage

import (
	"context"
	"time"
)

// The portal's sign-in limits (portal.Limits), in the rate_limits table, so
// that every process serving the portal counts the same attempts. Times are
// unix nanoseconds: the same arithmetic on both databases.

// limitSweep is how many calls pass between sweeps of expired rows.
const limitSweep = 256

// limitTries bounds the compare-and-set rounds of TakeToken under contention.
const limitTries = 8

// TakeToken takes one token from the bucket key, which holds burst tokens and
// gets one back every every (a generic cell rate algorithm: the row keeps the
// time at which the bucket would be full again). It returns 0 when it took
// one; otherwise it takes nothing and returns how long until there is one.
// With peek it takes nothing either way.
func (s *Store) TakeToken(ctx context.Context, key string, burst int, every time.Duration, now time.Time, peek bool) (time.Duration, error) {
	if err := s.sweepLimits(ctx, now); err != nil {
		return 0, err
	}
	nowNs, span := now.UnixNano(), int64(every)*int64(burst)
	for range limitTries {
		var tats []int64
		if err := s.idb.NewRaw("SELECT tat FROM rate_limits WHERE key = ?", key).Scan(ctx, &tats); err != nil && !isNoRows(err) {
			return 0, translate(ctx, err, "reading a rate limit")
		}
		old := int64(0)
		if len(tats) > 0 {
			old = tats[0]
		}
		next := max(old, nowNs) + int64(every)
		if next-nowNs > span {
			return time.Duration(next - span - nowNs), nil
		}
		if peek {
			return 0, nil
		}
		var took []string
		var err error
		if len(tats) == 0 {
			err = s.idb.NewRaw(`INSERT INTO rate_limits (key, tat, expires_at) VALUES (?, ?, ?)
ON CONFLICT (key) DO NOTHING RETURNING key`, key, next, next).Scan(ctx, &took)
		} else {
			err = s.idb.NewRaw(`UPDATE rate_limits SET tat = ?, expires_at = CASE WHEN expires_at > ? THEN expires_at ELSE ? END
WHERE key = ? AND tat = ? RETURNING key`, next, next, next, key, old).Scan(ctx, &took)
		}
		if err != nil && !isNoRows(err) {
			return 0, translate(ctx, err, "taking a rate limit's token")
		}
		if len(took) > 0 {
			return 0, nil
		}
		// Another process took one meanwhile: read again.
	}
	return every, nil // contended beyond reason: hold the caller back a little
}

// CountFailure counts a failure under key and returns the failures counted
// since the last ClearFailures, forgetting those older than ttl.
func (s *Store) CountFailure(ctx context.Context, key string, now time.Time, ttl time.Duration) (int, error) {
	if err := s.sweepLimits(ctx, now); err != nil {
		return 0, err
	}
	nowNs, exp := now.UnixNano(), now.Add(ttl).UnixNano()
	var n []int
	err := s.idb.NewRaw(`INSERT INTO rate_limits (key, failures, last_failure, expires_at) VALUES (?, 1, ?, ?)
ON CONFLICT (key) DO UPDATE SET
	failures = CASE WHEN rate_limits.last_failure + ? <= ? THEN 1 ELSE rate_limits.failures + 1 END,
	last_failure = excluded.last_failure,
	expires_at = CASE WHEN rate_limits.expires_at > excluded.expires_at THEN rate_limits.expires_at ELSE excluded.expires_at END
RETURNING failures`, key, nowNs, exp, int64(ttl), nowNs).Scan(ctx, &n)
	if err != nil || len(n) == 0 {
		return 0, translate(ctx, err, "counting a failure")
	}
	return n[0], nil
}

// Failures returns the failures counted under key within ttl of the last, and
// when the last was.
func (s *Store) Failures(ctx context.Context, key string, now time.Time, ttl time.Duration) (int, time.Time, error) {
	var rows []struct {
		Failures    int   `bun:"failures"`
		LastFailure int64 `bun:"last_failure"`
	}
	if err := s.idb.NewRaw("SELECT failures, last_failure FROM rate_limits WHERE key = ?", key).Scan(ctx, &rows); err != nil && !isNoRows(err) {
		return 0, time.Time{}, translate(ctx, err, "reading failures")
	}
	if len(rows) == 0 || rows[0].Failures == 0 || rows[0].LastFailure+int64(ttl) <= now.UnixNano() {
		return 0, time.Time{}, nil
	}
	return rows[0].Failures, time.Unix(0, rows[0].LastFailure), nil
}

// ClearFailures forgets the failures counted under key.
func (s *Store) ClearFailures(ctx context.Context, key string) error {
	if _, err := s.idb.NewRaw("UPDATE rate_limits SET failures = 0, last_failure = 0 WHERE key = ?", key).Exec(ctx); err != nil {
		return translate(ctx, err, "clearing failures")
	}
	return nil
}

// sweepLimits deletes expired rows, one call in limitSweep.
func (s *Store) sweepLimits(ctx context.Context, now time.Time) error {
	if s.limitCalls.Add(1)%limitSweep != 0 {
		return nil
	}
	_, err := s.idb.NewRaw("DELETE FROM rate_limits WHERE key IN (SELECT key FROM rate_limits WHERE expires_at <= ? LIMIT 1000)",
		now.UnixNano()).Exec(ctx)
	return translate(ctx, err, "forgetting expired rate limits")
}
