-- +goose Up
-- A feed runs one file at a time in all processes on the directory: the
-- run that holds run_owner renews run_beat (Unix µs) while it runs; a
-- lease not renewed for 30 s is taken over.
ALTER TABLE feeds ADD COLUMN run_owner TEXT NOT NULL DEFAULT '';
ALTER TABLE feeds ADD COLUMN run_beat BIGINT NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE feeds DROP COLUMN run_beat;
ALTER TABLE feeds DROP COLUMN run_owner;
