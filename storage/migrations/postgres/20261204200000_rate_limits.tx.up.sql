-- The counts the portal's sign-in limits check (portal.Limits), shared by every
-- process: a token bucket's theoretical arrival time (tat, unix nanoseconds; a
-- generic cell rate algorithm), or failures counted since the last success.
-- A row past expires_at means nothing and is swept now and then.
CREATE TABLE IF NOT EXISTS rate_limits (
	key          text   COLLATE "C" PRIMARY KEY,
	tat          bigint NOT NULL DEFAULT 0,
	failures     int    NOT NULL DEFAULT 0,
	last_failure bigint NOT NULL DEFAULT 0,
	expires_at   bigint NOT NULL
);
--bun:split
CREATE INDEX IF NOT EXISTS rate_limits_expires ON rate_limits (expires_at);
