-- +goose Up
-- Batches are leased by a run (a random ID) rather than owned by host:pid;
-- they record which front end started them (source) and the names, not the
-- paths, of their outputs in the output folder; and they have the states of
-- SPEC §10. SQLite cannot change a CHECK constraint in place, so the table
-- is rebuilt (the same statements serve PostgreSQL).

CREATE TABLE batches_v2 (
	id           TEXT    PRIMARY KEY,
	file_name    TEXT    NOT NULL,
	file_sha256  TEXT    NOT NULL,
	mode         TEXT    NOT NULL,
	options      TEXT    NOT NULL DEFAULT '',
	source       TEXT    NOT NULL DEFAULT 'cli',
	acting_admin TEXT    NOT NULL,
	state        TEXT    NOT NULL CHECK (state IN ('preview', 'queued', 'running', 'interrupted', 'held', 'done', 'cancelled', 'failed')),
	-- results_name, notice_name: file names (no folder) of the batch's
	-- results workbook and credentials notice in its output folder.
	results_name TEXT    NOT NULL DEFAULT '',
	notice_name  TEXT    NOT NULL DEFAULT '',
	-- owner: the run (a random ID) holding the batch's lease; '' when none
	-- does. heartbeat_at: when it last renewed the lease. A lease not
	-- renewed for 30 s may be taken over by another run.
	owner        TEXT    NOT NULL DEFAULT '',
	heartbeat_at BIGINT  NOT NULL DEFAULT 0,
	rows_total   INTEGER NOT NULL DEFAULT 0,
	created      INTEGER NOT NULL DEFAULT 0,
	updated      INTEGER NOT NULL DEFAULT 0,
	unchanged    INTEGER NOT NULL DEFAULT 0,
	failed       INTEGER NOT NULL DEFAULT 0,
	started_at   BIGINT  NOT NULL,
	finished_at  BIGINT
);

INSERT INTO batches_v2 (id, file_name, file_sha256, mode, options, acting_admin, state, notice_name,
	owner, heartbeat_at, rows_total, created, updated, unchanged, failed, started_at, finished_at)
SELECT id, file_name, file_sha256, mode, options, acting_admin,
	CASE state WHEN 'finished' THEN 'done' ELSE state END, notice_path,
	'', heartbeat_at, rows_total, created, updated, unchanged, failed, started_at, finished_at
FROM batches;

DROP TABLE batches;
ALTER TABLE batches_v2 RENAME TO batches;
CREATE INDEX batches_resume ON batches (file_sha256, state);
CREATE INDEX batches_by_file ON batches (file_name, state);

-- +goose Down
-- Not reversible: the old table cannot hold the new states.
