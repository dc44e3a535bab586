package importer_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"

	_ "github.com/lib/pq"

	"userimport/importer"
	"userimport/internal/dirtest"
	"userimport/internal/pgtest"
)

// TestStatisticsAfterBigBatch: a batch that creates 10,000 users has
// PostgreSQL take the measure of the users table (ANALYZE), so that the
// statements of the next run (a feed's second night an hour later) are
// planned for 10,000 users, not for the table as it was before.
func TestStatisticsAfterBigBatch(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t)
	db := dirtest.Demo(t, url)
	raw, err := sql.Open("postgres", url)
	must(t, err)
	defer raw.Close()
	estimate := func() float64 {
		var n float64
		must(t, raw.QueryRowContext(ctx, `SELECT reltuples FROM pg_class WHERE relname = 'users'`).Scan(&n))
		return n
	}
	before := estimate()
	path := writeCSV(t, t.TempDir(), "big.csv", "User Name,First Name,Last Name", 10_000, func(i int) string {
		return fmt.Sprintf("big.user%d@contoso.com,Big,User%d", i, i)
	})
	o := options(t, db, path)
	o.NoPasswords = true
	rep, err := importer.Run(ctx, db, o)
	must(t, err)
	if rep.Summary.Created != 10_000 {
		t.Fatalf("created %d users, want 10,000", rep.Summary.Created)
	}
	if got := estimate(); got < 10_000 {
		t.Errorf("PostgreSQL estimates %.0f users after the batch (%.0f before), want 10,000 or more: the users were not analyzed", got, before)
	}
}
