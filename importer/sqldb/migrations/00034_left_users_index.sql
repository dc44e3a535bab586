-- +goose Up
-- The users a feed disabled or deleted are few: each run looks for its
-- rehires among them, and housekeeping for those to delete, without
-- reading every user.
CREATE INDEX users_left ON users (source) WHERE feed_left_at IS NOT NULL OR deleted_at IS NOT NULL;

-- +goose Down
DROP INDEX users_left;
