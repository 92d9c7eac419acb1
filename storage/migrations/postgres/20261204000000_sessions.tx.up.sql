-- Members' sign-in sessions (connect.Session): the device keeps the token, this
-- table its SHA-256. Every request of a signed-in member reads one row by
-- token_hash, joined to its member and client.
CREATE TABLE IF NOT EXISTS sessions (
	id           text        COLLATE "C" PRIMARY KEY,
	account_id   text        COLLATE "C" NOT NULL,
	client_id    text        COLLATE "C" NOT NULL,
	member_id    text        COLLATE "C" NOT NULL,
	token_hash   bytea       NOT NULL,
	device       text        NOT NULL DEFAULT '',
	network      text        NOT NULL DEFAULT '',
	created_at   timestamptz NOT NULL,
	seen_at      timestamptz NOT NULL,
	idle_seconds bigint      NOT NULL,
	-- seen_at + idle_seconds, kept beside them so that the sweep reads an index
	idle_until   timestamptz NOT NULL,
	expires_at   timestamptz NOT NULL,
	CONSTRAINT sessions_client FOREIGN KEY (account_id, client_id) REFERENCES clients (account_id, id)
);
--bun:split
CREATE UNIQUE INDEX IF NOT EXISTS sessions_token_hash ON sessions (token_hash);
--bun:split
CREATE INDEX IF NOT EXISTS sessions_member ON sessions (member_id, seen_at);
--bun:split
CREATE INDEX IF NOT EXISTS sessions_idle_until ON sessions (idle_until);
--bun:split
CREATE INDEX IF NOT EXISTS sessions_expires_at ON sessions (expires_at);
