package sqldb

import (
	"context"
	"fmt"
)

// Ping says whether the database answers: nil when a query goes through.
func (d *DB) Ping(ctx context.Context) error {
	var one int
	if err := d.db.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("ping the directory: %w", err)
	}
	return nil
}

// BatchStates returns how many batches are in each state; states without a
// batch are absent.
func (d *DB) BatchStates(ctx context.Context) (map[string]int, error) {
	return d.countBy(ctx, "SELECT state, COUNT(*) FROM batches GROUP BY state")
}

// JobStates returns how many jobs of the job engine are in each of River's
// states (available, running, retryable, completed, …); states without a
// job are absent.
func (d *DB) JobStates(ctx context.Context) (map[string]int, error) {
	return d.countBy(ctx, "SELECT state, COUNT(*) FROM river_job GROUP BY state")
}

func (d *DB) countBy(ctx context.Context, q string) (map[string]int, error) {
	rows, err := d.db.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("count: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var k string
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			return nil, fmt.Errorf("count: %w", err)
		}
		out[k] = n
	}
	return out, rows.Err()
}

// RefreshStatistics analyzes the users, their licenses and roles on
// PostgreSQL, whose planner otherwise plans from the statistics of before
// a big batch until autovacuum takes them again. SQLite plans without
// statistics (the directory never runs its ANALYZE): nothing to do.
func (d *DB) RefreshStatistics(ctx context.Context) error {
	if d.dialect != Postgres {
		return nil
	}
	if _, err := d.db.ExecContext(ctx, `ANALYZE users, license_assignments, user_roles`); err != nil {
		return fmt.Errorf("analyze users: %w", err)
	}
	return nil
}
