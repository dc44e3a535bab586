package importer_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"userimport/importer"
	"userimport/importer/argon2id"
	"userimport/importer/sheet"
	"userimport/importer/sqldb"
	"userimport/internal/dirtest"
	"userimport/internal/pgtest"
	"userimport/report"
)

func TestMain(m *testing.M) {
	if os.Getenv("IMPORTER_TEST_HELPER") != "" {
		os.Exit(helperImport())
	}
	os.Exit(pgtest.Main(m))
}

func admin(tb testing.TB, db *sqldb.DB) importer.User {
	u, err := db.User(context.Background(), dirtest.Admin)
	if err != nil {
		tb.Fatal(err)
	}
	return u
}

// options are a test import's settings: real reader, real outputs, cheap
// hashing.
func options(tb testing.TB, db *sqldb.DB, path string) importer.Options {
	return importer.Options{
		FileName: filepath.Base(path), Mode: importer.ModeCreate, OutDir: filepath.Dir(path), Workers: 4,
		RequirePasswordChange: true, Actor: admin(tb, db),
		Open:    func() (importer.RowSource, error) { return sheet.Open(path, sheet.Options{}) },
		Hasher:  argon2id.NewHasher(argon2id.InsecureTestParams(), 0),
		Outputs: report.Outputs(),
	}
}

// writeCSV writes a CSV with our header's first columns and n rows made by
// row(i), i from 1.
func writeCSV(tb testing.TB, dir, name, header string, n int, row func(i int) string) string {
	tb.Helper()
	var b strings.Builder
	b.WriteString(header + "\n")
	for i := 1; i <= n; i++ {
		b.WriteString(row(i) + "\n")
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		tb.Fatal(err)
	}
	return path
}

// results reads the Results sheet back: one map per row, by header.
func results(tb testing.TB, path string) []map[string]string {
	tb.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows("Results")
	if err != nil {
		tb.Fatal(err)
	}
	var out []map[string]string
	for _, r := range rows[1:] {
		m := map[string]string{}
		for i, h := range rows[0] {
			if i < len(r) {
				m[h] = r[i]
			}
		}
		out = append(out, m)
	}
	return out
}

func licenseOf(tb testing.TB, db *sqldb.DB, upn, sku string) string {
	tb.Helper()
	u, err := db.User(context.Background(), upn)
	if err != nil {
		tb.Fatal(err)
	}
	for _, l := range u.Licenses {
		if l.SKU == sku {
			return l.Status
		}
	}
	return "none"
}

const header = "User Name,First Name,Last Name,Licenses,Usage Location,Job Title"

// TestSeatsInRowOrder: 12 rows ask for a product with 10 free seats, with
// 8 workers finishing in any order: rows 1–10 get seats, 11 and 12 wait.
func TestSeatsInRowOrder(t *testing.T) {
	dirtest.EachDemo(t, func(t *testing.T, url string, db *sqldb.DB) {
		ctx := context.Background()
		path := writeCSV(t, t.TempDir(), "hires.csv", header, 12, func(i int) string {
			return fmt.Sprintf("u%02d@contoso.com,User,N%d,SPB,US,Clerk", i, i)
		})
		o := options(t, db, path)
		o.Workers = 8
		rep, err := importer.Run(ctx, db, o)
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
		if rep.Summary.Created != 12 || rep.Summary.LicensesAssigned != 10 || rep.Summary.LicensesPending != 2 {
			t.Fatalf("summary %+v", rep.Summary)
		}
		rs := results(t, rep.ResultsPath)
		if len(rs) != 12 {
			t.Fatalf("%d result rows, want 12", len(rs))
		}
		for i, r := range rs {
			want := "Assigned"
			if i >= 10 {
				want = "Pending"
			}
			if r["Row"] != fmt.Sprint(i+2) || r["License Status"] != want || r["Outcome"] != "Created" {
				t.Errorf("result %d = %v, want row %d Created %s", i, r, i+2, want)
			}
		}
		if !strings.Contains(rs[11]["Message"], "waits for a free seat") {
			t.Errorf("pending row's message %q does not say it waits for a seat", rs[11]["Message"])
		}
		if s := licenseOf(t, db, "u11@contoso.com", "SPB"); s != "pending" {
			t.Fatalf("u11 = %s, want pending", s)
		}

		t.Run("RaisedSeatsGoOldestFirst", func(t *testing.T) {
			if err := db.SetSeats(ctx, "admin@contoso.com", "SPB", 11); err != nil {
				t.Fatal(err)
			}
			if s := licenseOf(t, db, "u11@contoso.com", "SPB"); s != "assigned" {
				t.Errorf("u11 (row 11) = %s, want assigned", s)
			}
			if s := licenseOf(t, db, "u12@contoso.com", "SPB"); s != "pending" {
				t.Errorf("u12 (row 12) = %s, want pending", s)
			}
		})
		t.Run("NoticeHasEveryUser", func(t *testing.T) {
			_, entries, err := report.ReadNotice(rep.NoticePath)
			if err != nil {
				t.Fatal(err)
			}
			if len(entries) != 12 {
				t.Fatalf("notice has %d entries, want 12", len(entries))
			}
			for _, e := range entries {
				c, err := db.Credentials(ctx, e.UPN)
				if err != nil {
					t.Fatal(err)
				}
				if ok, err := argon2id.Verify(e.Password.Reveal(), c.PasswordHash); err != nil || !ok {
					t.Errorf("%s: the notice's password does not sign in", e.UPN)
				}
			}
		})
	})
}

// TestManyChunks: a file read in many chunks, with seats running out in
// the middle of one, gets seats in row order across the chunks, on the
// path without hashing and on the one with.
func TestManyChunks(t *testing.T) {
	const rows, seats = 237, 120
	for _, noPasswords := range []bool{true, false} {
		t.Run(fmt.Sprintf("noPasswords=%v", noPasswords), func(t *testing.T) {
			dirtest.EachDemo(t, func(t *testing.T, url string, db *sqldb.DB) {
				ctx := context.Background()
				if err := db.SetSeats(ctx, "admin@contoso.com", "SPB", seats); err != nil {
					t.Fatal(err)
				}
				path := writeCSV(t, t.TempDir(), "hires.csv", header, rows, func(i int) string {
					return fmt.Sprintf("u%03d@contoso.com,User,N%d,SPB,US,Clerk", i, i)
				})
				o := options(t, db, path)
				o.NoPasswords = noPasswords
				o.ChunkSize = 50
				rep, err := importer.Run(ctx, db, o)
				if err != nil {
					t.Fatalf("Run: %v", err)
				}
				s := rep.Summary
				if s.Rows != rows || s.Created != rows || s.LicensesAssigned != seats || s.LicensesPending != rows-seats {
					t.Fatalf("summary %+v, want %d created, %d assigned, %d pending", s, rows, seats, rows-seats)
				}
				rs := results(t, rep.ResultsPath)
				if len(rs) != rows {
					t.Fatalf("%d result rows, want %d", len(rs), rows)
				}
				for i, r := range rs {
					want := "Assigned"
					if i >= seats {
						want = "Pending"
					}
					if r["Row"] != fmt.Sprint(i+2) || r["License Status"] != want {
						t.Fatalf("result %d = %v, want row %d %s", i, r, i+2, want)
					}
				}
				if s := licenseOf(t, db, fmt.Sprintf("u%03d@contoso.com", seats), "SPB"); s != "assigned" {
					t.Errorf("the last row with a seat holds %s", s)
				}
				if s := licenseOf(t, db, fmt.Sprintf("u%03d@contoso.com", seats+1), "SPB"); s != "pending" {
					t.Errorf("the first row without a seat holds %s", s)
				}
				entries := 0
				if rep.NoticePath != "" {
					_, es, err := report.ReadNotice(rep.NoticePath)
					if err != nil {
						t.Fatal(err)
					}
					entries = len(es)
				}
				if want := map[bool]int{true: 0, false: rows}[noPasswords]; entries != want {
					t.Errorf("notice has %d entries, want %d", entries, want)
				}
			})
		})
	}
}

func TestModes(t *testing.T) {
	dirtest.EachDemo(t, func(t *testing.T, url string, db *sqldb.DB) {
		ctx := context.Background()
		dir := t.TempDir()
		path := writeCSV(t, dir, "staff.csv", header, 3, func(i int) string {
			return fmt.Sprintf("s%d@contoso.com,Staff,N%d,,,Clerk", i, i)
		})
		run := func(mode string, dry bool) (importer.Report, error) {
			o := options(t, db, path)
			o.Mode, o.DryRun = mode, dry
			return importer.Run(ctx, db, o)
		}
		t.Run("DryRunWritesNothing", func(t *testing.T) {
			rep, err := run(importer.ModeCreate, true)
			if err != nil || rep.Summary.Created != 3 || rep.NoticePath != "" {
				t.Fatalf("dry run: %+v, %v", rep, err)
			}
			us, _ := db.Users(ctx, true)
			if len(us) != 1 {
				t.Fatalf("dry run left %d users, want only the admin", len(us))
			}
			if _, err := os.Stat(filepath.Join(dir, "staff.credentials.txt")); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("dry run wrote a notice: %v", err)
			}
		})
		t.Run("CreateTwice", func(t *testing.T) {
			if _, err := run(importer.ModeCreate, false); err != nil {
				t.Fatal(err)
			}
			rep, err := run(importer.ModeCreate, false)
			var failed *importer.RowsFailedError
			if !errors.As(err, &failed) || failed.Failed != 3 {
				t.Fatalf("second create: %v", err)
			}
			for _, r := range results(t, rep.ResultsPath) {
				if r["Outcome"] != "Failed" || !strings.Contains(r["Message"], "User Name: already exists") {
					t.Errorf("second create row %v", r)
				}
			}
			if _, err := os.Stat(filepath.Join(dir, "staff.credentials.2.txt")); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("a batch that created nobody wrote a notice")
			}
		})
		t.Run("UpsertUnchanged", func(t *testing.T) {
			rep, err := run(importer.ModeUpsert, false)
			if err != nil || rep.Summary.Unchanged != 3 {
				t.Fatalf("upsert of the same file: %+v, %v", rep.Summary, err)
			}
		})
		t.Run("UpsertOneChange", func(t *testing.T) {
			path := writeCSV(t, dir, "staff.csv", header, 3, func(i int) string {
				title := "Clerk"
				if i == 2 {
					title = "Head Clerk"
				}
				return fmt.Sprintf("s%d@contoso.com,Staff,N%d,,,%s", i, i, title)
			})
			_ = path
			rep, err := run(importer.ModeUpsert, false)
			if err != nil || rep.Summary.Updated != 1 || rep.Summary.Unchanged != 2 {
				t.Fatalf("upsert with one change: %+v, %v", rep.Summary, err)
			}
			u, _ := db.User(ctx, "s2@contoso.com")
			if u.JobTitle != "Head Clerk" {
				t.Fatalf("job title = %q", u.JobTitle)
			}
		})
	})
}

// TestUpsertDisabledApps: an upsert row's Disabled Apps cell changes the
// apps disabled in the licenses the user holds; the same file again is
// Unchanged; a blank cell leaves them as they are.
func TestUpsertDisabledApps(t *testing.T) {
	dirtest.EachDemo(t, func(t *testing.T, url string, db *sqldb.DB) {
		ctx := context.Background()
		dir := t.TempDir()
		const h = "User Name,First Name,Last Name,Licenses,Usage Location,Disabled Apps"
		write := func(disabled string) {
			writeCSV(t, dir, "staff.csv", h, 2, func(i int) string {
				return fmt.Sprintf("d%d@contoso.com,Staff,N%d,ENTERPRISEPACK,US,%s", i, i, disabled)
			})
		}
		run := func(mode string) importer.Summary {
			t.Helper()
			o := options(t, db, filepath.Join(dir, "staff.csv"))
			o.Mode = mode
			rep, err := importer.Run(ctx, db, o)
			if err != nil {
				t.Fatalf("%s: %v %v", mode, err, results(t, rep.ResultsPath))
			}
			return rep.Summary
		}
		disabledOf := func(upn string) []string {
			t.Helper()
			u, err := db.User(ctx, upn)
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range u.Licenses {
				if l.SKU == "ENTERPRISEPACK" {
					return l.DisabledPlans
				}
			}
			t.Fatalf("%s holds no ENTERPRISEPACK", upn)
			return nil
		}
		write("")
		run(importer.ModeCreate)
		write("TEAMS1;SHAREPOINTENTERPRISE")
		if s := run(importer.ModeUpsert); s.Updated != 2 {
			t.Fatalf("upsert with Disabled Apps: %+v, want 2 updated", s)
		}
		if got := disabledOf("d2@contoso.com"); !slices.Equal(slices.Sorted(slices.Values(got)), []string{"SHAREPOINTENTERPRISE", "TEAMS1"}) {
			t.Errorf("disabled apps = %v, want TEAMS1 and SHAREPOINTENTERPRISE", got)
		}
		if s := run(importer.ModeUpsert); s.Unchanged != 2 {
			t.Errorf("the same upsert again: %+v, want 2 unchanged", s)
		}
		write("")
		if s := run(importer.ModeUpsert); s.Unchanged != 2 {
			t.Errorf("a blank Disabled Apps cell: %+v, want 2 unchanged", s)
		}
		if got := disabledOf("d1@contoso.com"); len(got) != 2 {
			t.Errorf("a blank cell changed the disabled apps to %v", got)
		}
	})
}

// TestConcurrentImports runs two import processes at once on one
// PostgreSQL directory, each asking for more seats than are left.
func TestConcurrentImports(t *testing.T) {
	url := pgtest.URL(t)
	db := dirtest.Demo(t, url)
	ctx := context.Background()
	if err := db.SetSeats(ctx, "admin@contoso.com", "EXCHANGESTANDARD", 30); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var cmds []*exec.Cmd
	for p := range 2 {
		path := writeCSV(t, dir, fmt.Sprintf("p%d.csv", p), header, 25, func(i int) string {
			return fmt.Sprintf("p%d-%d@contoso.com,P,N%d,EXCHANGESTANDARD,US,", p, i, i)
		})
		c := exec.Command(os.Args[0], "-test.run=^$")
		c.Env = append(os.Environ(), "IMPORTER_TEST_HELPER=1", "IMPORTER_TEST_URL="+url, "IMPORTER_TEST_FILE="+path)
		c.Stderr = os.Stderr
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, c)
	}
	var wg sync.WaitGroup
	errs := make([]error, len(cmds))
	for i, c := range cmds {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = c.Wait() }()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatalf("import process: %v", err)
		}
	}
	ps, _ := db.Products(ctx)
	for _, p := range ps {
		if p.SKU == "EXCHANGESTANDARD" && (p.Assigned != 30 || p.Pending != 20) {
			t.Fatalf("two importers, 50 rows, 30 seats: assigned %d pending %d", p.Assigned, p.Pending)
		}
	}
	us, _ := db.Users(ctx, false)
	if len(us) != 51 {
		t.Fatalf("%d users, want 50 and the admin", len(us))
	}
}

func helperImport() int {
	ctx := context.Background()
	db, err := sqldb.Open(ctx, os.Getenv("IMPORTER_TEST_URL"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer db.Close()
	tb := &testing.T{}
	o := options(tb, db, os.Getenv("IMPORTER_TEST_FILE"))
	o.NoPasswords = true
	if _, err := importer.Run(ctx, db, o); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// TestLiveBatchNotResumed: while another run holds a file's batch (its
// lease renewed within 30 s), a second import of the same file is refused
// instead of resuming it; once the lease is 30 s old, the batch is resumed
// by the new run.
func TestLiveBatchNotResumed(t *testing.T) {
	ctx := context.Background()
	db := dirtest.Demo(t, "sqlite:"+filepath.Join(t.TempDir(), "userimport.db"))
	path := writeCSV(t, t.TempDir(), "live.csv", header, 3, func(i int) string {
		return fmt.Sprintf("l%d@contoso.com,Live,N%d,,,", i, i)
	})
	data, _ := os.ReadFile(path)
	sum := sha256.Sum256(data)
	b := &importer.Batch{ID: "live-batch", File: "live.csv", SHA256: hex.EncodeToString(sum[:]), Mode: importer.ModeCreate,
		Source: importer.SourceCLI, ActingAdmin: "admin@contoso.com", Started: time.Now(), Owner: "another-run"}
	if err := db.CreateBatch(ctx, b); err != nil {
		t.Fatal(err)
	}
	o := options(t, db, path)
	o.Now = func() time.Time { return time.Now().Add(29 * time.Second) }
	_, err := importer.Run(ctx, db, o)
	if importer.ErrorCode(err) != importer.ECONFLICT || !strings.Contains(err.Error(), "being imported right now by another run") {
		t.Fatalf("second import of a live batch: %v, want ECONFLICT", err)
	}
	o.Now = func() time.Time { return time.Now().Add(31 * time.Second) }
	rep, err := importer.Run(ctx, db, o)
	if err != nil || !rep.Resumed || rep.Summary.Created != 3 {
		t.Fatalf("after the other run's lease expired: resumed %v, %+v, %v", rep.Resumed, rep.Summary, err)
	}
}

// TestResumeWithoutNotice: an interrupted batch whose notice was then
// deleted resumes, writing a new notice for the users still to come.
func TestResumeWithoutNotice(t *testing.T) {
	db := dirtest.Demo(t, "sqlite:"+filepath.Join(t.TempDir(), "userimport.db"))
	path := writeCSV(t, t.TempDir(), "gone.csv", header, 40, func(i int) string {
		return fmt.Sprintf("g%d@contoso.com,Gone,N%d,,,", i, i)
	})
	ctx, cancel := context.WithCancel(context.Background())
	o := options(t, db, path)
	o.Progress = &importer.Progress{}
	var hashes atomic.Int32
	o.Hasher = importer.HashFunc(func(_ context.Context, pw string) (string, error) {
		if hashes.Add(1) == 10 {
			// The interrupt comes once some users are created, and their
			// passwords in the notice, however fast the hashers ran ahead.
			for deadline := time.Now().Add(30 * time.Second); o.Progress.Done() < 4 && time.Now().Before(deadline); {
				time.Sleep(time.Millisecond)
			}
			cancel()
		}
		return argon2id.Hash(pw, argon2id.InsecureTestParams())
	})
	rep, err := importer.Run(ctx, db, o)
	if !errors.Is(err, context.Canceled) || rep.NoticePath == "" {
		t.Fatalf("interrupted run: %v, notice %q", err, rep.NoticePath)
	}
	first := rep.Summary.Created
	if err := os.Remove(rep.NoticePath); err != nil {
		t.Fatal(err)
	}
	rep, err = importer.Run(context.Background(), db, options(t, db, path))
	if err != nil || !rep.Resumed || rep.Summary.Created != 40 {
		t.Fatalf("resume: %+v, %v", rep.Summary, err)
	}
	_, entries, err := report.ReadNotice(rep.NoticePath)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 40-first {
		t.Fatalf("new notice has %d users, want the %d created after the interrupt", len(entries), 40-first)
	}
	for _, e := range entries {
		c, _ := db.Credentials(context.Background(), e.UPN)
		if ok, _ := argon2id.Verify(e.Password.Reveal(), c.PasswordHash); !ok {
			t.Errorf("%s: the new notice's password does not sign in", e.UPN)
		}
	}
}

// TestUpsertShowsHeldLicenses: an unchanged row that asks for licenses the
// user holds shows them, with their state, as every result row does.
func TestUpsertShowsHeldLicenses(t *testing.T) {
	ctx := context.Background()
	db := dirtest.Demo(t, "sqlite:"+filepath.Join(t.TempDir(), "userimport.db"))
	path := writeCSV(t, t.TempDir(), "held.csv", header, 2, func(i int) string {
		return fmt.Sprintf("k%d@contoso.com,Kept,N%d,SPB,US,", i, i)
	})
	if _, err := importer.Run(ctx, db, options(t, db, path)); err != nil {
		t.Fatal(err)
	}
	o := options(t, db, path)
	o.Mode = importer.ModeUpsert
	rep, err := importer.Run(ctx, db, o)
	if err != nil || rep.Summary.Unchanged != 2 || rep.Summary.LicensesAssigned != 0 {
		t.Fatalf("upsert: %+v, %v", rep.Summary, err)
	}
	for _, r := range results(t, rep.ResultsPath) {
		if r["Outcome"] != "Unchanged" || r["License Status"] != "Assigned" || r["Licenses"] != "SPB (assigned)" {
			t.Errorf("row %v", r)
		}
	}
}

// TestResultsOfMixedChunks: in a batch whose chunks alternate between rows
// with passwords to hash (their results read from the journal once the
// workers wrote them) and rows written whole (their results handed on as
// the chunk was written), the Results sheet has every row once, in row
// order, as the journal has it.
func TestResultsOfMixedChunks(t *testing.T) {
	dirtest.EachDemo(t, func(t *testing.T, url string, db *sqldb.DB) {
		ctx := context.Background()
		const rows, chunk = 90, 5
		name := func(i int) string {
			if (i-1)/chunk%3 == 0 {
				return fmt.Sprintf("new%03d@contoso.com", i) // a chunk of joiners: passwords
			}
			return fmt.Sprintf("old%03d@contoso.com", i) // a chunk of users there already
		}
		dir := t.TempDir()
		first := writeCSV(t, dir, "first.csv", header, rows, func(i int) string {
			if strings.HasPrefix(name(i), "new") {
				return fmt.Sprintf("someone%03d@contoso.com,Some,One%d,,US,Clerk", i, i)
			}
			return fmt.Sprintf("%s,User,N%d,,US,Clerk", name(i), i)
		})
		o := options(t, db, first)
		o.NoPasswords = true
		if _, err := importer.Run(ctx, db, o); err != nil {
			t.Fatalf("first import: %v", err)
		}
		path := writeCSV(t, dir, "second.csv", header, rows, func(i int) string {
			switch {
			case i == 33:
				return "not a user name,Bad,Row,,US,Clerk"
			case i%7 == 0 && strings.HasPrefix(name(i), "old"):
				return fmt.Sprintf("%s,User,N%d,,US,Manager", name(i), i) // updated
			}
			return fmt.Sprintf("%s,User,N%d,,US,Clerk", name(i), i)
		})
		o = options(t, db, path)
		o.Mode, o.ChunkSize = importer.ModeUpsert, chunk
		rep, err := importer.Run(ctx, db, o)
		if !isRowsFailedErr(err) {
			t.Fatalf("second import: %v, want one failed row", err)
		}
		var journal []importer.Result
		if err := db.Results(ctx, rep.Summary.BatchID, 1, 0, func(r importer.Result) error {
			journal = append(journal, r)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		sheet := results(t, rep.ResultsPath)
		if len(sheet) != rows || len(journal) != rows {
			t.Fatalf("the Results sheet has %d rows and the journal %d, want %d", len(sheet), len(journal), rows)
		}
		outcomes := map[string]int{}
		for i, got := range sheet {
			j := journal[i]
			want := map[string]string{"Row": fmt.Sprint(i + 2), "User Name": j.UserName, "Display Name": j.DisplayName,
				"Outcome": string(j.Outcome), "License Status": j.LicenseStatus, "Message": j.Message, "User ID": j.UserID}
			if j.Row != i+2 {
				t.Fatalf("journal result %d is row %d", i, j.Row)
			}
			for col, w := range want {
				if got[col] != w {
					t.Errorf("row %d: %s %q, the journal has %q", i+2, col, got[col], w)
				}
			}
			outcomes[got["Outcome"]]++
		}
		// Six chunks of joiners, one of whose rows (33) is bad; eight
		// users there already get a new job title.
		if outcomes["Created"] != 29 || outcomes["Failed"] != 1 || outcomes["Updated"] != 8 || outcomes["Unchanged"] != 52 {
			t.Errorf("outcomes %v, want 29 created, 8 updated, 52 unchanged, 1 failed", outcomes)
		}
	})
}
