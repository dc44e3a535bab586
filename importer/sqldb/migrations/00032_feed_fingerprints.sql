-- +goose Up
-- A feed's fingerprint of the row it last applied to each of its users
-- (with the feed's and the organization's settings), and the user's
-- updated_at just after: while neither the file's row nor the user (its
-- profile, licenses, roles: every change of them moves updated_at) has
-- changed, the next night's row is Unchanged without looking the user up.
ALTER TABLE users ADD COLUMN feed_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN feed_hash_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE feed_rows ADD COLUMN row_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE feed_rows ADD COLUMN row_number INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE feed_rows DROP COLUMN row_number;
ALTER TABLE feed_rows DROP COLUMN row_hash;
ALTER TABLE users DROP COLUMN feed_hash_at;
ALTER TABLE users DROP COLUMN feed_hash;
