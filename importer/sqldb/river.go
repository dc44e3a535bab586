package sqldb

import (
	"context"
	"fmt"

	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
)

// riverMigrationLock is the key of the PostgreSQL advisory lock that makes
// processes opening one directory at the same moment apply River's
// migrations one after the other.
const riverMigrationLock = 0x75697276

// migrateRiver creates or updates the tables of the job engine (River:
// river_job, river_leader, river_queue, …) through River's own migration
// API, right after the directory's schema, so that every process that opens
// the directory finds them. It runs beside goose, not inside it: River keeps
// its own version table (river_migration) and knows each backend's SQL. It
// is idempotent: tables already up to date are left alone.
//
// River's Migrate reads the applied versions outside the transactions that
// apply them, so two processes opening a new directory at once would both
// apply them, and one would fail. So the migration holds a lock that
// excludes the others while it reads and applies: on PostgreSQL an advisory
// lock of the session (River's migrations there cannot share one
// transaction: a new enum value is not usable in the transaction that adds
// it); on SQLite one transaction of ours, which takes the write lock at
// BEGIN (_txlock=immediate).
func (d *DB) migrateRiver(ctx context.Context) error {
	var err error
	if d.dialect == Postgres {
		err = d.migrateRiverPostgres(ctx)
	} else {
		err = d.migrateRiverSQLite(ctx)
	}
	if err != nil {
		return fmt.Errorf("migrate the job engine's tables: %w", err)
	}
	return nil
}

func (d *DB) migrateRiverPostgres(ctx context.Context) error {
	m, err := rivermigrate.New(riverdatabasesql.New(d.db.DB), nil)
	if err != nil {
		return err
	}
	conn, err := d.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", riverMigrationLock); err != nil {
		return fmt.Errorf("lock: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", riverMigrationLock)
	_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
	return err
}

func (d *DB) migrateRiverSQLite(ctx context.Context) error {
	m, err := rivermigrate.New(riversqlite.New(d.db.DB), nil)
	if err != nil {
		return err
	}
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := m.MigrateTx(ctx, tx, rivermigrate.DirectionUp, nil); err != nil {
		return err
	}
	return tx.Commit()
}
