package importer_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"userimport/importer"
	"userimport/importer/sqldb"
	"userimport/internal/dirtest"
)

// TestApproveGuards: approving a held batch applies the file that was held
// and nothing else, once, and never an older snapshot over a newer one;
// a held batch being approved cannot be cancelled; a feed's batch is
// cancelled only by those who manage feeds.
func TestApproveGuards(t *testing.T) {
	dirtest.EachDemo(t, func(t *testing.T, url string, db *sqldb.DB) {
		ctx := context.Background()
		c := newClock()
		dir := t.TempDir()
		f := applyNight(t, db, hrFeed(t, db, dir), c, dir, "n1.csv", people(1, 50))
		c.add(time.Hour)
		hold := func(name string, n int) importer.Hold {
			t.Helper()
			rep, err := importer.RunFeed(ctx, db, db, feedRun(t, f, writeNight(t, dir, name, people(1, n)), c, nil))
			must(t, err)
			if rep.Held == nil {
				t.Fatalf("%s of %d rows was not held", name, n)
			}
			return *rep.Held
		}
		approve := func(h importer.Hold) error {
			fr := feedRun(t, f, "", c, nil)
			fr.OutDir = "" // the approval's default: the feed's processed/
			_, err := importer.ApproveHeld(ctx, db, db, admin(t, db), h.BatchID, fr)
			return err
		}
		h := hold("n2.csv", 20)

		// The kept file changed (the held/ folder is in the HR share):
		// refused, nothing done, still held.
		orig, err := os.ReadFile(h.Path)
		must(t, err)
		must(t, os.WriteFile(h.Path, []byte(nightHeader+"\n"), 0o600))
		wantCode(t, "approve a changed kept file", approve(h), importer.EINVALID, "not the one that was held")
		must(t, os.Remove(h.Path))
		must(t, os.Symlink(writeNight(t, t.TempDir(), "other.csv", people(1, 3)), h.Path))
		wantCode(t, "approve a kept file made a symlink", approve(h), importer.EINVALID, "not a regular file")
		if n := feedUsers(t, db); n != 50 {
			t.Fatalf("a refused approval changed users: %d active, want 50", n)
		}
		must(t, os.Remove(h.Path))
		must(t, os.WriteFile(h.Path, orig, 0o600))

		// Another approval holds it (another process): refused, and it
		// cannot be cancelled meanwhile.
		ok, err := db.ClaimHeld(ctx, h.BatchID, "other-run", c.t.Add(-time.Minute))
		if err != nil || !ok {
			t.Fatalf("claim: %v %v", ok, err)
		}
		wantCode(t, "approve while another approval runs", approve(h), importer.ECONFLICT, "being approved right now")
		_, err = importer.CancelBatch(ctx, db, admin(t, db), h.BatchID, time.Now())
		wantCode(t, "cancel while an approval runs", err, importer.ECONFLICT, "being run right now")
		must(t, db.ReleaseHeld(ctx, h.BatchID, "other-run"))

		// A newer file was applied since: approving the older one is refused.
		c.add(time.Hour)
		_, err = importer.RunFeed(ctx, db, db, feedRun(t, f, writeNight(t, dir, "n3.csv", people(1, 49)), c, nil))
		must(t, err)
		wantCode(t, "approve an older snapshot", approve(h), importer.ECONFLICT, "newer file")
		if n := feedUsers(t, db); n != 49 {
			t.Errorf("after refusing the older snapshot: %d active, want the newest file's 49", n)
		}

		// A hold after the newest file is approved, once.
		c.add(time.Hour)
		h = hold("n4.csv", 10)
		must(t, approve(h))
		if n := feedUsers(t, db); n != 10 {
			t.Errorf("after approving n4: %d active, want 10", n)
		}
		wantCode(t, "approve twice", approve(h), importer.ECONFLICT, "not held")
		if b, _ := db.Batch(ctx, h.BatchID); b.Disabled != 0 {
			t.Errorf("the held batch itself says it disabled %d: the applying batch did", b.Disabled)
		}

		// The feed acts as a User admin, who is then made a License admin:
		// the acting admin of its held batch may no longer cancel it.
		dirtest.MustProvision(t, db, dirtest.Admin, dirtest.NewUser("ua@contoso.com"))
		must(t, db.AssignRole(ctx, dirtest.Admin, "ua@contoso.com", importer.UserAdmin))
		ua, err := db.User(ctx, "ua@contoso.com")
		must(t, err)
		f, err = importer.SetFeed(ctx, db, ua, "hr", func(f *importer.Feed) { f.ActingAdmin = "ua@contoso.com" })
		must(t, err)
		c.add(time.Hour)
		h = hold("n5.csv", 1)
		must(t, db.RemoveRole(ctx, dirtest.Admin, "ua@contoso.com", importer.UserAdmin))
		must(t, db.AssignRole(ctx, dirtest.Admin, "ua@contoso.com", importer.LicenseAdmin))
		ua, _ = db.User(ctx, "ua@contoso.com")
		_, err = importer.CancelBatch(ctx, db, ua, h.BatchID, time.Now())
		wantCode(t, "its acting admin, now a License admin, cancels a feed's batch", err, importer.EFORBIDDEN, "may not cancel")
		if _, err := importer.CancelBatch(ctx, db, admin(t, db), h.BatchID, time.Now()); err != nil {
			t.Errorf("a Global admin cancels the held batch: %v", err)
		}
		if _, err := os.Stat(h.Path); !os.IsNotExist(err) {
			t.Errorf("the cancelled batch's kept file is still in held/ (%v)", err)
		}
		note, err := os.ReadFile(filepath.Join(dir, importer.FailedDir, "n5.error.txt"))
		if _, serr := os.Stat(filepath.Join(dir, importer.FailedDir, "n5.csv")); serr != nil || err != nil || !strings.Contains(string(note), "cancelled by "+dirtest.Admin) {
			t.Errorf("the cancelled file in failed/: %v, note %q (%v)", serr, note, err)
		}
	})
}

// TestAdoptedLeaverComesBack: people another feed disabled as leavers,
// whom a second feed's file lists, become that feed's users and come back
// in the same run (Restored), as its own rehires do; a dry run shows it.
func TestAdoptedLeaverComesBack(t *testing.T) {
	dirtest.EachDemo(t, func(t *testing.T, url string, db *sqldb.DB) {
		ctx := context.Background()
		c := newClock()
		dir := t.TempDir()
		hr := applyNight(t, db, hrFeed(t, db, dir), c, dir, "a1.csv", people(1, 20))
		c.add(time.Hour)
		_, err := importer.RunFeed(ctx, db, db, feedRun(t, hr, writeNight(t, dir, "a2.csv", people(1, 18)), c, nil))
		must(t, err)
		if u := byUPN(t, db, "drop.p0020@contoso.com"); u.AccountEnabled {
			t.Fatal("hr did not disable its leaver")
		}
		other := hr
		other.Name, other.Dir = "contractors", t.TempDir()
		must(t, importer.AddFeed(ctx, db, admin(t, db), other))
		other, _ = db.Feed(ctx, "contractors")
		c.add(time.Hour)
		b1 := writeNight(t, other.Dir, "b1.csv", people(19, 20))
		dry := feedRun(t, other, b1, c, nil)
		dry.DryRun, dry.OutDir = true, t.TempDir()
		rep, err := importer.RunFeed(ctx, db, db, dry)
		must(t, err)
		if rep.Summary.Restored != 2 {
			t.Errorf("contractors' dry run: %+v, want the 2 people hr had disabled shown restored", rep.Summary)
		}
		if u := byUPN(t, db, "drop.p0020@contoso.com"); u.AccountEnabled || u.Source != "feed:hr" {
			t.Fatalf("the dry run changed drop.p0020: enabled %v, source %s", u.AccountEnabled, u.Source)
		}
		rep, err = importer.RunFeed(ctx, db, db, feedRun(t, other, b1, c, nil))
		must(t, err)
		if rep.Summary.Restored != 2 {
			t.Errorf("contractors' first night: %+v, want the 2 people hr had disabled restored", rep.Summary)
		}
		for _, upn := range []string{"drop.p0019@contoso.com", "drop.p0020@contoso.com"} {
			if u := byUPN(t, db, upn); !u.AccountEnabled || u.Source != "feed:contractors" {
				t.Errorf("%s: enabled %v, source %s; want enabled, a user of contractors", upn, u.AccountEnabled, u.Source)
			}
		}
	})
}
