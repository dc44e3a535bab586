-- +goose Up
-- HR feeds (SPEC §12). A feed's settings are one JSON document (config):
-- they are read and written whole, never queried by field. token_hash is
-- the SHA-256 (hex) of its upload token; '' when none was issued.
CREATE TABLE feeds (
	name        TEXT    PRIMARY KEY,
	config      TEXT    NOT NULL,
	token_hash  TEXT    NOT NULL DEFAULT '',
	last_run    BIGINT,
	last_batch  TEXT    NOT NULL DEFAULT '',
	-- last_rows: data rows of the feed's last applied file, for the 80% rule.
	last_rows   INTEGER NOT NULL DEFAULT 0,
	created_at  BIGINT  NOT NULL,
	updated_at  BIGINT  NOT NULL
);

-- Every file a feed took, by SHA-256: the same bytes are never processed
-- twice. state: 'taking' while a process runs it (taken_at says since
-- when), then 'done' (batch_id: its batch), 'held' or 'rejected' (message
-- says why).
CREATE TABLE feed_files (
	feed        TEXT    NOT NULL,
	file_sha256 TEXT    NOT NULL,
	file_name   TEXT    NOT NULL,
	state       TEXT    NOT NULL DEFAULT 'taking',
	batch_id    TEXT    NOT NULL DEFAULT '',
	message     TEXT    NOT NULL DEFAULT '',
	taken_at    BIGINT  NOT NULL,
	PRIMARY KEY (feed, file_sha256)
);

-- Chores done once a day for the whole directory (housekeeping), however
-- many processes run: the one whose conditional UPDATE moves last_day does.
CREATE TABLE daily_chores (
	name     TEXT PRIMARY KEY,
	last_day TEXT NOT NULL
);
INSERT INTO daily_chores (name, last_day) VALUES ('housekeeping', '');

-- The employee IDs of one scan of a feed's file (scan_id: the run's batch
-- ID): leavers, rehires and future starters are found by set-based
-- statements over these and the feed's users, never user by user.
-- leaver: the row's status column holds a leaver value. starts_at: the
-- row's start date (midnight in the organization's time zone), 0 when none.
CREATE TABLE feed_rows (
	scan_id     TEXT    NOT NULL,
	emp_key     TEXT    NOT NULL,
	leaver      BOOLEAN NOT NULL DEFAULT FALSE,
	starts_at   BIGINT  NOT NULL DEFAULT 0
);
CREATE INDEX feed_rows_scan ON feed_rows (scan_id, emp_key);

-- A held feed batch (SPEC §12 safeguards): the file kept for approval and
-- what the run would have done.
CREATE TABLE feed_holds (
	batch_id    TEXT    PRIMARY KEY,
	feed        TEXT    NOT NULL,
	path        TEXT    NOT NULL,
	file_name   TEXT    NOT NULL,
	rows_total  INTEGER NOT NULL,
	leavers     INTEGER NOT NULL,
	active      INTEGER NOT NULL,
	reason      TEXT    NOT NULL,
	applied_as  TEXT    NOT NULL DEFAULT ''
);

-- feed_left_at: when a feed disabled the user as a leaver (NULL: it did
-- not, or the user came back). starts_at: a future starter, created
-- blocked, is enabled by housekeeping at this time.
ALTER TABLE users ADD COLUMN feed_left_at BIGINT;
ALTER TABLE users ADD COLUMN starts_at BIGINT;
CREATE INDEX users_source ON users (source);

-- +goose Down
DROP INDEX users_source;
ALTER TABLE users DROP COLUMN starts_at;
ALTER TABLE users DROP COLUMN feed_left_at;
DROP TABLE daily_chores;
DROP TABLE feed_holds;
DROP TABLE feed_rows;
DROP TABLE feed_files;
DROP TABLE feeds;
