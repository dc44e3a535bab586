-- +goose Up
-- Sessions of the web page (SPEC §11). token_hash is the SHA-256 (hex) of
-- the cookie's token: the token itself is never stored, so that a copy of
-- the database signs no one in. csrf is the session's form token.
CREATE TABLE web_sessions (
	token_hash   TEXT    PRIMARY KEY,
	upn_key      TEXT    NOT NULL,
	csrf         TEXT    NOT NULL,
	must_change  BOOLEAN NOT NULL DEFAULT FALSE,
	created_at   BIGINT  NOT NULL,
	last_seen_at BIGINT  NOT NULL
);
CREATE INDEX web_sessions_by_user ON web_sessions (upn_key);

-- Failed sign-ins by account name (lower-cased, known or not), kept in the
-- database so that every serve process counts the same failures.
CREATE TABLE signin_failures (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	account    TEXT    NOT NULL,
	at         BIGINT  NOT NULL
);
CREATE INDEX signin_failures_by_account ON signin_failures (account, at);

-- The Users page searches by display name, user name and employee ID in
-- name order, a page at a time.
CREATE INDEX users_by_display_name ON users (lower(display_name), upn_key);

-- +goose Down
DROP INDEX users_by_display_name;
DROP TABLE signin_failures;
DROP TABLE web_sessions;
