-- "Forgot password" links (connect.PasswordReset): the email carries the token,
-- this table its SHA-256; used_at is set once, by a compare-and-set.
CREATE TABLE IF NOT EXISTS password_resets (
	id         TEXT PRIMARY KEY,
	account_id TEXT NOT NULL,
	client_id  TEXT NOT NULL,
	member_id  TEXT NOT NULL,
	token_hash BLOB NOT NULL,
	created_at TEXT NOT NULL,
	expires_at TEXT NOT NULL,
	used_at    TEXT,
	CONSTRAINT password_resets_client FOREIGN KEY (account_id, client_id) REFERENCES clients (account_id, id)
) STRICT;
--bun:split
CREATE UNIQUE INDEX IF NOT EXISTS password_resets_token_hash ON password_resets (token_hash);
--bun:split
CREATE INDEX IF NOT EXISTS password_resets_expires_at ON password_resets (expires_at);
