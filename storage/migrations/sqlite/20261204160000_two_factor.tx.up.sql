-- Members' TOTP two-factor sign-in (connect.TwoFactor): one enrollment per
-- member, pending until confirmed_at is set; last_step makes each code work once.
CREATE TABLE IF NOT EXISTS two_factor (
	member_id    TEXT    PRIMARY KEY,
	account_id   TEXT    NOT NULL,
	client_id    TEXT    NOT NULL,
	secret       BLOB    NOT NULL,
	created_at   TEXT    NOT NULL,
	confirmed_at TEXT,
	last_step    INTEGER NOT NULL DEFAULT 0,
	CONSTRAINT two_factor_client FOREIGN KEY (account_id, client_id) REFERENCES clients (account_id, id)
) STRICT;
--bun:split
-- The one-time recovery codes of a confirmed enrollment: their SHA-256 only.
CREATE TABLE IF NOT EXISTS two_factor_recovery (
	member_id  TEXT NOT NULL,
	account_id TEXT NOT NULL,
	client_id  TEXT NOT NULL,
	code_hash  BLOB NOT NULL,
	used_at    TEXT,
	PRIMARY KEY (member_id, code_hash),
	CONSTRAINT two_factor_recovery_client FOREIGN KEY (account_id, client_id) REFERENCES clients (account_id, id)
) STRICT;
--bun:split
ALTER TABLE clients ADD COLUMN require_two_factor INTEGER NOT NULL DEFAULT 0;
