package importer_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"userimport/importer"
	"userimport/importer/argon2id"
	"userimport/importer/sqldb"
	"userimport/internal/dirtest"
)

// TestTwoRunsOneHasher: two batches of different files run at once in one
// process through one Hasher: both finish, each under a lease and in a
// batch of its own, and every password went through that one Hasher
// (which bounds the hashes of the whole process: argon2id's tests).
func TestTwoRunsOneHasher(t *testing.T) {
	db := dirtest.Demo(t, "sqlite:"+filepath.Join(t.TempDir(), "userimport.db"))
	shared := argon2id.NewHasher(argon2id.InsecureTestParams(), 1)
	var hashed atomic.Int32
	hasher := importer.HashFunc(func(ctx context.Context, pw string) (string, error) {
		hashed.Add(1)
		return shared.Hash(ctx, pw)
	})
	var wg sync.WaitGroup
	reps := make([]importer.Report, 2)
	errs := make([]error, 2)
	for i, name := range []string{"east.csv", "west.csv"} {
		path := writeCSV(t, t.TempDir(), name, header, 30, func(j int) string {
			return fmt.Sprintf("%s%02d@contoso.com,%s,N%d,,,", strings.TrimSuffix(name, ".csv"), j, name, j)
		})
		o := options(t, db, path)
		o.Hasher = hasher
		wg.Add(1)
		go func() {
			defer wg.Done()
			reps[i], errs[i] = importer.Run(context.Background(), db, o)
		}()
	}
	wg.Wait()
	for i := range reps {
		if errs[i] != nil || reps[i].Summary.Created != 30 || reps[i].Resumed {
			t.Fatalf("run %d: %v, resumed %v, %+v", i, errs[i], reps[i].Resumed, reps[i].Summary)
		}
	}
	if reps[0].Summary.BatchID == reps[1].Summary.BatchID {
		t.Fatal("the two runs share a batch")
	}
	if n := hashed.Load(); n != 60 {
		t.Errorf("%d passwords went through the shared hasher, want 60", n)
	}
}

// TestChangedFileFreesSeats: an interrupted batch holds the seats of its
// unwritten rows; when the file is then changed (it can never be resumed)
// and imported again, the old batch is cancelled and its seats go to the
// new batch's rows, in row order.
func TestChangedFileFreesSeats(t *testing.T) {
	dirtest.EachDemo(t, func(t *testing.T, url string, db *sqldb.DB) {
		ctx := context.Background()
		dir := t.TempDir()
		row := func(prefix string) func(int) string {
			return func(i int) string { return fmt.Sprintf("%s%02d@contoso.com,Night,N%d,SPB,US,", prefix, i, i) }
		}
		path := writeCSV(t, dir, "nightly.csv", header, 10, row("a"))
		first, cancel := context.WithCancel(ctx)
		o := options(t, db, path)
		o.Workers = 1
		var hashes atomic.Int32
		o.Hasher = importer.HashFunc(func(hctx context.Context, pw string) (string, error) {
			if hashes.Add(1) > 4 {
				cancel()
				<-hctx.Done()
				return "", hctx.Err()
			}
			return argon2id.Hash(pw, argon2id.InsecureTestParams())
		})
		rep, err := importer.Run(first, db, o)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("first run: %v, want interrupted", err)
		}
		created := rep.Summary.Created
		if created >= 10 {
			t.Fatalf("first run created %d of 10 before the interrupt", created)
		}
		if p := dirtest.Product(t, db, "SPB"); p.Assigned != 10 {
			t.Fatalf("SPB after the interrupt: %d assigned, want all 10 held by the batch", p.Assigned)
		}

		path = writeCSV(t, dir, "nightly.csv", header, 10, row("b")) // regenerated
		rep, err = importer.Run(ctx, db, options(t, db, path))
		if err != nil || rep.Resumed {
			t.Fatalf("the changed file: %v, resumed %v", err, rep.Resumed)
		}
		if rep.Summary.LicensesAssigned != 10-created || rep.Summary.LicensesPending != created {
			t.Errorf("the new batch: %d assigned, %d pending; want %d and %d (the old batch's unwritten rows gave theirs back)",
				rep.Summary.LicensesAssigned, rep.Summary.LicensesPending, 10-created, created)
		}
		if p := dirtest.Product(t, db, "SPB"); p.Assigned != 10 || p.Pending != created {
			t.Errorf("SPB: %d assigned, %d pending; want 10 and %d", p.Assigned, p.Pending, created)
		}
		// The old batch cannot be resumed any more: its file is gone, and
		// the same old bytes would start a new batch.
		old := writeCSV(t, dir, "nightly.csv", header, 10, row("a"))
		rep, err = importer.Run(ctx, db, options(t, db, old))
		if rep.Resumed {
			t.Errorf("the cancelled batch was resumed: %v", err)
		}
	})
}
