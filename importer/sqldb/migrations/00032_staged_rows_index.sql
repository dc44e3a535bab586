-- +goose Up
-- Only staged rows are looked up by state (the work queue); done rows, most
-- of a batch, need no entry in that index, and journaling them is cheaper.
DROP INDEX batch_rows_staged;
CREATE INDEX batch_rows_staged ON batch_rows (batch_id, row_number) WHERE state = 'staged';

-- +goose Down
DROP INDEX batch_rows_staged;
CREATE INDEX batch_rows_staged ON batch_rows (batch_id, state, row_number);
