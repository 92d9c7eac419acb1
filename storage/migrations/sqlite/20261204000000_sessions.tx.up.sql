-- Members' sign-in sessions (connect.Session): the device keeps the token, this
-- table its SHA-256. Every request of a signed-in member reads one row by
-- token_hash, joined to its member and client.
CREATE TABLE IF NOT EXISTS sessions (
	id           TEXT    PRIMARY KEY,
	account_id   TEXT    NOT NULL,
	client_id    TEXT    NOT NULL,
	member_id    TEXT    NOT NULL,
	token_hash   BLOB    NOT NULL,
	device       TEXT    NOT NULL DEFAULT '',
	network      TEXT    NOT NULL DEFAULT '',
	created_at   TEXT    NOT NULL,
	seen_at      TEXT    NOT NULL,
	idle_seconds INTEGER NOT NULL,
	-- seen_at + idle_seconds, kept beside them so that the sweep reads an index
	idle_until   TEXT    NOT NULL,
	expires_at   TEXT    NOT NULL,
	CONSTRAINT sessions_client FOREIGN KEY (account_id, client_id) REFERENCES clients (account_id, id)
) STRICT;
--bun:split
CREATE UNIQUE INDEX IF NOT EXISTS sessions_token_hash ON sessions (token_hash);
--bun:split
CREATE INDEX IF NOT EXISTS sessions_member ON sessions (member_id, seen_at);
--bun:split
CREATE INDEX IF NOT EXISTS sessions_idle_until ON sessions (idle_until);
--bun:split
CREATE INDEX IF NOT EXISTS sessions_expires_at ON sessions (expires_at);
