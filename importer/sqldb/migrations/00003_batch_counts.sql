-- +goose Up
-- What SPEC §10's batch JSON shows of a batch beyond its row counts: the
-- licenses it gave and the outcomes of feeds, kept when it ends; whether
-- it is a dry run (a preview of the web page).
ALTER TABLE batches ADD COLUMN dry_run BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE batches ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;
ALTER TABLE batches ADD COLUMN deleted INTEGER NOT NULL DEFAULT 0;
ALTER TABLE batches ADD COLUMN restored INTEGER NOT NULL DEFAULT 0;
ALTER TABLE batches ADD COLUMN licenses_assigned INTEGER NOT NULL DEFAULT 0;
ALTER TABLE batches ADD COLUMN licenses_pending INTEGER NOT NULL DEFAULT 0;
CREATE INDEX batches_by_start ON batches (started_at);

-- +goose Down
DROP INDEX batches_by_start;
ALTER TABLE batches DROP COLUMN licenses_pending;
ALTER TABLE batches DROP COLUMN licenses_assigned;
ALTER TABLE batches DROP COLUMN restored;
ALTER TABLE batches DROP COLUMN deleted;
ALTER TABLE batches DROP COLUMN disabled;
ALTER TABLE batches DROP COLUMN dry_run;
