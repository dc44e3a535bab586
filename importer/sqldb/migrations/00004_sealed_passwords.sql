-- +goose Up
-- Passwords sealed to a batch's key (SPEC §10): a batch keeps its age
-- recipient; a journal row keeps its user's generated password sealed
-- (base64 of age's output) from the transaction that created the user
-- until the password is in the credentials notice. The database never
-- holds a password in clear, nor the key that opens one.
ALTER TABLE batches ADD COLUMN recipient TEXT NOT NULL DEFAULT '';
ALTER TABLE batch_rows ADD COLUMN sealed TEXT NOT NULL DEFAULT '';
CREATE INDEX batch_rows_staged ON batch_rows (batch_id, state, row_number);

-- +goose Down
DROP INDEX batch_rows_staged;
ALTER TABLE batch_rows DROP COLUMN sealed;
ALTER TABLE batches DROP COLUMN recipient;
