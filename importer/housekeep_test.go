package importer_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"userimport/importer"
	"userimport/importer/seal"
	"userimport/importer/sqldb"
	"userimport/internal/dirtest"
)

// TestHousekeepingExpires: the daily housekeeping ends web sessions that
// ended unused, and forgets the passwords of a batch whose starting run
// died before its notice took them (the chunk jobs wrote the users after
// it), once NoticeLifetime has passed, saying in the audit log how many
// users need a new password. Not before.
func TestHousekeepingExpires(t *testing.T) {
	dirtest.EachDemo(t, func(t *testing.T, url string, db *sqldb.DB) {
		ctx := context.Background()
		now := time.Now()
		for i, last := range []time.Time{now.Add(-2 * time.Hour), now.Add(-time.Minute)} {
			if err := db.CreateSession(ctx, importer.Session{TokenHash: fmt.Sprintf("hash%d", i), UPN: dirtest.Admin, CSRF: "c",
				CreatedAt: last, LastSeenAt: last}); err != nil {
				t.Fatal(err)
			}
		}

		const n = 20
		path := writeCSV(t, t.TempDir(), "late.csv", "User Name,Display Name,Usage Location", n, func(i int) string {
			return fmt.Sprintf("late%02d@contoso.com,Late %d,US", i, i)
		})
		o := options(t, db, path)
		o.Sealer = seal.Keys{}
		startJobs := jobQueue(t, db, url)
		// The starting run stages the chunk jobs, and dies before any is
		// worked: nobody will open what they seal.
		runCtx, kill := context.WithCancel(ctx)
		ran := make(chan error, 1)
		go func() { _, err := importer.Run(runCtx, db, o); ran <- err }()
		id := waitFor(t, func() (string, bool) {
			bs, _ := db.Batches(ctx, false)
			if len(bs) == 1 {
				if staged, _, _ := db.Staged(ctx, bs[0].ID); staged == n {
					return bs[0].ID, true
				}
			}
			return "", false
		})
		kill()
		<-ran
		startJobs()
		waitFor(t, func() (string, bool) { staged, _, _ := db.Staged(ctx, id); return "", staged == 0 })
		sealed := func() int {
			k := 0
			db.SealedPasswords(ctx, id, func(int, string, bool, string) error { k++; return nil })
			return k
		}
		if got := sealed(); got != n {
			t.Fatalf("%d sealed passwords after the jobs ran, want %d", got, n)
		}

		c, err := importer.Housekeep(ctx, db, now)
		if err != nil {
			t.Fatal(err)
		}
		if c.Sessions != 1 {
			t.Errorf("housekeeping ended %d sessions, want the one unused for 2 hours", c.Sessions)
		}
		if _, err := db.Session(ctx, "hash1"); err != nil {
			t.Errorf("the session used a minute ago: %v", err)
		}
		c, err = importer.Housekeep(ctx, db, now.Add(importer.NoticeLifetime-time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if c.Unsealed != 0 || sealed() != n {
			t.Errorf("housekeeping within the notice's lifetime: %+v, %d sealed; want every password kept", c, sealed())
		}
		c, err = importer.Housekeep(ctx, db, now.Add(importer.NoticeLifetime+time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if c.Unsealed != n || sealed() != 0 {
			t.Errorf("housekeeping after the notice's lifetime: %+v, %d sealed; want all %d forgotten", c, sealed(), n)
		}
		entries, err := db.Audit(ctx)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, e := range entries {
			if e.Action == "notice expire" && e.Target == id {
				found = true
			}
		}
		if !found {
			t.Errorf("no 'notice expire' of batch %s in the audit log: %+v", id, entries)
		}
	})
}

// waitFor polls cond until it holds (a minute at most).
func waitFor(t *testing.T, cond func() (string, bool)) string {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		if v, ok := cond(); ok {
			return v
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("timed out waiting")
	return ""
}
