-- "Forgot password" links (connect.PasswordReset): the email carries the token,
-- this table its SHA-256; used_at is set once, by a compare-and-set.
CREATE TABLE IF NOT EXISTS password_resets (
	id         text        COLLATE "C" PRIMARY KEY,
	account_id text        COLLATE "C" NOT NULL,
	client_id  text        COLLATE "C" NOT NULL,
	member_id  text        COLLATE "C" NOT NULL,
	token_hash bytea       NOT NULL,
	created_at timestamptz NOT NULL,
	expires_at timestamptz NOT NULL,
	used_at    timestamptz,
	CONSTRAINT password_resets_client FOREIGN KEY (account_id, client_id) REFERENCES clients (account_id, id)
);
--bun:split
CREATE UNIQUE INDEX IF NOT EXISTS password_resets_token_hash ON password_resets (token_hash);
--bun:split
CREATE INDEX IF NOT EXISTS password_resets_expires_at ON password_resets (expires_at);
