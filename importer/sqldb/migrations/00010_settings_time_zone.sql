-- +goose Up
-- The organization's time zone (`org set --time-zone`), an IANA name, kept
-- for the feeds' schedules; '' until set.
ALTER TABLE settings ADD COLUMN time_zone TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE settings DROP COLUMN time_zone;
