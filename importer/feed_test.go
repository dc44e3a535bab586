package importer_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"userimport/importer"
	"userimport/importer/sqldb"
	"userimport/internal/dirtest"
)

// TestFeedSettings: a feed is kept in the directory with SPEC §12's
// defaults, changed field by field, shown with its next run, and managed
// only by admins who may create users.
func TestFeedSettings(t *testing.T) {
	dirtest.EachDemo(t, func(t *testing.T, url string, db *sqldb.DB) {
		ctx := context.Background()
		ga := admin(t, db)
		ua, la := staff(t, db)
		f := importer.NewFeed("workday")
		f.Dir = t.TempDir()
		f.Schedule = "CRON_TZ=Europe/Berlin 30 2 * * *"
		f.Map, _ = importer.ParseMap("employee id=WorkerID;First Name=FirstName")
		wantCode(t, "License admin adds a feed", importer.AddFeed(ctx, db, la, f), importer.EFORBIDDEN, "may not create users")
		for _, bad := range []struct {
			change func(*importer.Feed)
			says   string
		}{
			{func(f *importer.Feed) { f.UPN = "{first}.{last}" }, "needs --domain"},
			{func(f *importer.Feed) { f.UPN, f.Domain = "{nick}", "contoso.com" }, "placeholders"},
			{func(f *importer.Feed) { f.Schedule = "61 * * * *" }, "--schedule"},
			{func(f *importer.Feed) { f.StatusColumn = "WorkerStatus" }, "needs --leaver-values"},
			{func(f *importer.Feed) { f.MaxLeavers = 101 }, "percentage"},
			{func(f *importer.Feed) { f.Name = "has space" }, "letters, digits"},
			{func(f *importer.Feed) { f.Map = []importer.MapEntry{{Ours: "Shoe Size", Theirs: "X"}} }, "not one of our columns"},
		} {
			g := f
			bad.change(&g)
			wantCode(t, bad.says, importer.AddFeed(ctx, db, ga, g), importer.EINVALID, bad.says)
		}
		if err := importer.AddFeed(ctx, db, ua, f); err != nil {
			t.Fatalf("User admin adds a feed: %v", err)
		}
		wantCode(t, "the same name again", importer.AddFeed(ctx, db, ga, f), importer.ECONFLICT, "exists already")
		got, err := db.Feed(ctx, "workday")
		if err != nil {
			t.Fatal(err)
		}
		if got.Mode != importer.ModeSync || got.MaxLeavers != 20 || got.DeleteAfter != 30 || got.Prehire != 14 ||
			got.ActingAdmin != ua.UserPrincipalName || got.Map[0].Column != importer.ColEmployeeID || got.Map[0].Ours != "Employee ID" {
			t.Errorf("stored feed = %+v", got)
		}
		if _, err := importer.SetFeed(ctx, db, ga, "workday", func(f *importer.Feed) { f.MaxLeavers = 5 }); err != nil {
			t.Fatal(err)
		}
		_, err = importer.SetFeed(ctx, db, ga, "workday", func(f *importer.Feed) { f.Mode = "create" })
		wantCode(t, "mode create", err, importer.EINVALID, "sync or upsert")
		_, err = importer.SetFeed(ctx, db, ga, "nope", func(f *importer.Feed) {})
		wantCode(t, "unknown feed", err, importer.ENOTFOUND, "no feed")

		now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
		vs, err := importer.ViewFeeds(ctx, db, now, "workday")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(vs[0])
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		for _, k := range []string{"name", "dir", "schedule", "mode", "lastRun", "lastBatch", "nextRun", "users"} {
			if _, ok := m[k]; !ok {
				t.Errorf("feed JSON lacks %q: %s", k, b)
			}
		}
		// 02:30 in Berlin is 01:30 UTC in winter.
		if want := time.Date(2026, 12, 2, 1, 30, 0, 0, time.UTC); vs[0].NextRun == nil || !vs[0].NextRun.Equal(want) {
			t.Errorf("nextRun = %v, want %v", vs[0].NextRun, want)
		}
		if vs[0].Feed.MaxLeavers != 5 {
			t.Errorf("max leavers after set = %d", vs[0].Feed.MaxLeavers)
		}
		wantCode(t, "remove as License admin", importer.RemoveFeed(ctx, db, la, "workday"), importer.EFORBIDDEN, "")
		if err := importer.RemoveFeed(ctx, db, ga, "workday"); err != nil {
			t.Fatal(err)
		}
		if fs, _ := db.Feeds(ctx); len(fs) != 0 {
			t.Errorf("feeds after remove: %v", fs)
		}
	})
}

// TestFeedToken: a token is shown once, stored hashed, and a new one
// revokes the old.
func TestFeedToken(t *testing.T) {
	dirtest.EachDemo(t, func(t *testing.T, url string, db *sqldb.DB) {
		ctx := context.Background()
		f := importer.NewFeed("hr")
		f.Dir = t.TempDir()
		if err := importer.AddFeed(ctx, db, admin(t, db), f); err != nil {
			t.Fatal(err)
		}
		first, err := importer.NewFeedToken(ctx, db, admin(t, db), "hr")
		if err != nil {
			t.Fatal(err)
		}
		if err := importer.FeedForToken(ctx, db, "hr", first.Reveal()); err != nil {
			t.Errorf("right token refused: %v", err)
		}
		second, _ := importer.NewFeedToken(ctx, db, admin(t, db), "hr")
		wantCode(t, "revoked token", importer.FeedForToken(ctx, db, "hr", first.Reveal()), importer.EFORBIDDEN, "wrong or revoked")
		wantCode(t, "wrong token", importer.FeedForToken(ctx, db, "hr", "uif_nope"), importer.EFORBIDDEN, "wrong or revoked")
		if err := importer.FeedForToken(ctx, db, "hr", second.Reveal()); err != nil {
			t.Errorf("new token refused: %v", err)
		}
		for _, e := range mustAudit(t, db) {
			if strings.Contains(e, second.Reveal()) || strings.Contains(e, first.Reveal()) {
				t.Errorf("token in the audit log: %s", e)
			}
		}
	})
}

func mustAudit(t *testing.T, db *sqldb.DB) []string {
	t.Helper()
	es, err := db.Audit(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Action+" "+e.Target+" "+e.Detail)
	}
	return out
}
