package sqldb

import (
	"context"
	"database/sql"
	"path/filepath"
	"sync"
	"testing"

	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"

	"userimport/internal/pgtest"
)

// TestMigrateRiverConcurrently: processes that open a directory whose
// River tables are missing at the same moment all succeed, one applying
// the migrations and the others finding them applied.
func TestMigrateRiverConcurrently(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			url := "sqlite:" + filepath.Join(t.TempDir(), "userimport.db")
			if backend == "postgres" {
				url = pgtest.URL(t)
			}
			ctx := context.Background()
			first, err := Open(ctx, url)
			if err != nil {
				t.Fatal(err)
			}
			defer first.Close()
			// Take River's tables away, as on a directory made before them.
			var driver riverdriver.Driver[*sql.Tx] = riversqlite.New(first.db.DB)
			if first.dialect == Postgres {
				driver = riverdatabasesql.New(first.db.DB)
			}
			m, err := rivermigrate.New(driver, nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := m.Migrate(ctx, rivermigrate.DirectionDown, &rivermigrate.MigrateOpts{TargetVersion: -1}); err != nil {
				t.Fatal(err)
			}
			if _, err := first.JobStates(ctx); err == nil {
				t.Fatal("river_job is still there after migrating down")
			}

			var wg sync.WaitGroup
			for range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					db, err := Open(ctx, url)
					if err != nil {
						t.Errorf("concurrent Open: %v", err)
						return
					}
					db.Close()
				}()
			}
			wg.Wait()
			if _, err := first.JobStates(ctx); err != nil {
				t.Fatalf("river_job after the concurrent opens: %v", err)
			}
		})
	}
}
