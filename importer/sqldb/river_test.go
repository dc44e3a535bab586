package sqldb_test

import (
	"testing"

	"userimport/importer/sqldb"
	"userimport/internal/dirtest"
)

// TestRiverTables: opening a directory creates the job engine's tables,
// and opening it again (migrations already applied) works too.
func TestRiverTables(t *testing.T) {
	dirtest.EachDB(t, func(t *testing.T, url string, db *sqldb.DB) {
		if err := db.Ping(t.Context()); err != nil {
			t.Fatal(err)
		}
		jobs, err := db.JobStates(t.Context())
		if err != nil {
			t.Fatalf("river_job after Open: %v", err)
		}
		if len(jobs) != 0 {
			t.Fatalf("a new directory has jobs: %v", jobs)
		}
		again := dirtest.Open(t, url)
		if _, err := again.JobStates(t.Context()); err != nil {
			t.Fatalf("river_job after a second Open: %v", err)
		}
		batches, err := again.BatchStates(t.Context())
		if err != nil || len(batches) != 0 {
			t.Fatalf("BatchStates of a new directory: %v, %v; want none", batches, err)
		}
	})
}
