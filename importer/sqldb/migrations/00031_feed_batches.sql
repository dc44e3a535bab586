-- +goose Up
-- The Feeds page lists each feed's held and latest batches.
CREATE INDEX batches_by_source ON batches (source, started_at);

-- +goose Down
DROP INDEX batches_by_source;
