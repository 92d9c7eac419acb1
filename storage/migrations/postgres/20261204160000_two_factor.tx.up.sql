-- Members' TOTP two-factor sign-in (connect.TwoFactor): one enrollment per
-- member, pending until confirmed_at is set; last_step makes each code work once.
CREATE TABLE IF NOT EXISTS two_factor (
	member_id    text        COLLATE "C" PRIMARY KEY,
	account_id   text        COLLATE "C" NOT NULL,
	client_id    text        COLLATE "C" NOT NULL,
	secret       bytea       NOT NULL,
	created_at   timestamptz NOT NULL,
	confirmed_at timestamptz,
	last_step    bigint      NOT NULL DEFAULT 0,
	CONSTRAINT two_factor_client FOREIGN KEY (account_id, client_id) REFERENCES clients (account_id, id)
);
--bun:split
-- The one-time recovery codes of a confirmed enrollment: their SHA-256 only.
CREATE TABLE IF NOT EXISTS two_factor_recovery (
	member_id  text        COLLATE "C" NOT NULL,
	account_id text        COLLATE "C" NOT NULL,
	client_id  text        COLLATE "C" NOT NULL,
	code_hash  bytea       NOT NULL,
	used_at    timestamptz,
	PRIMARY KEY (member_id, code_hash),
	CONSTRAINT two_factor_recovery_client FOREIGN KEY (account_id, client_id) REFERENCES clients (account_id, id)
);
--bun:split
ALTER TABLE clients ADD COLUMN IF NOT EXISTS require_two_factor boolean NOT NULL DEFAULT false;
