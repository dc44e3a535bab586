package sqldb

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
)

// migrateRiver creates or updates the tables of the job engine (River:
// river_job, river_leader, river_queue, …) through River's own migration
// API, right after the directory's schema, so that every process that opens
// the directory finds them. It runs beside goose, not inside it: River keeps
// its own version table (river_migration) and knows each backend's SQL. It
// is idempotent: tables already up to date are left alone.
func (d *DB) migrateRiver(ctx context.Context) error {
	var driver riverdriver.Driver[*sql.Tx] = riversqlite.New(d.db.DB)
	if d.dialect == Postgres {
		driver = riverdatabasesql.New(d.db.DB)
	}
	m, err := rivermigrate.New(driver, nil)
	if err == nil {
		_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
	}
	if err != nil {
		return fmt.Errorf("migrate the job engine's tables: %w", err)
	}
	return nil
}
