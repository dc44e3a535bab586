package sqldb_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"userimport/importer"
	"userimport/importer/sqldb"
	"userimport/internal/dirtest"
	"userimport/internal/pgtest"
)

func TestMain(m *testing.M) {
	if os.Getenv("SQLDB_TEST_HELPER") != "" {
		os.Exit(helperProcess())
	}
	os.Exit(pgtest.Main(m))
}

const admin = dirtest.Admin

// mustInit makes the demo-like directory: contoso.com verified, one
// product E3 with the given seats.
func mustInit(tb testing.TB, db *sqldb.DB, seats int) {
	tb.Helper()
	err := db.Init(context.Background(), sqldb.InitParams{
		Settings: importer.Settings{Name: "Contoso", PasswordExpiryDays: 90},
		Domains:  []importer.Domain{{Name: "contoso.com", Verified: true}, {Name: "northwind.example"}},
		Products: []importer.Product{{SKU: "ENTERPRISEPACK", Name: "Office 365 E3", Seats: seats,
			Plans: []string{"EXCHANGE_S_ENTERPRISE", "TEAMS1"}}},
		AdminUPN: admin, AdminDisplayName: "Admin", AdminPasswordHash: "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaA",
	})
	if err != nil {
		tb.Fatalf("init: %v", err)
	}
}

// addUser creates alias@contoso.com asking for a seat of each of skus,
// through the real path (Stage and Provision).
func addUser(tb testing.TB, db *sqldb.DB, alias string, skus ...string) {
	tb.Helper()
	dirtest.MustProvision(tb, db, admin, dirtest.NewUser(alias+"@contoso.com", skus...))
}

func licenseStatus(tb testing.TB, db *sqldb.DB, upn, sku string) string {
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

func TestInit(t *testing.T) {
	dirtest.EachDB(t, func(t *testing.T, url string, db *sqldb.DB) {
		ctx := context.Background()
		t.Run("ErrUninitialized", func(t *testing.T) {
			ok, err := db.Initialized(ctx)
			if err != nil || ok {
				t.Fatalf("Initialized = %v, %v on an empty database", ok, err)
			}
			_, err = db.Settings(ctx)
			if importer.ErrorCode(err) != importer.EUNINIT {
				t.Fatalf("Settings error = %v, want EUNINIT", err)
			}
		})
		mustInit(t, db, 3)
		t.Run("OK", func(t *testing.T) {
			s, err := db.Settings(ctx)
			if err != nil || s.Name != "Contoso" || s.PasswordExpiryDays != 90 {
				t.Fatalf("Settings = %+v, %v", s, err)
			}
			a, err := db.InitialAdmin(ctx)
			if err != nil || a != admin {
				t.Fatalf("InitialAdmin = %q, %v", a, err)
			}
			u, err := db.User(ctx, "ADMIN@Contoso.com")
			if err != nil || !u.HasRole(importer.GlobalAdmin) {
				t.Fatalf("admin = %+v, %v", u, err)
			}
			p := dirtest.Product(t, db, "ENTERPRISEPACK")
			if p.Seats != 3 || p.Assigned != 0 || len(p.Plans) != 2 || p.Plans[1] != "TEAMS1" {
				t.Fatalf("product = %+v", p)
			}
			ds, err := db.Domains(ctx)
			if err != nil || len(ds) != 2 || ds[0] != (importer.Domain{Name: "contoso.com", Verified: true}) {
				t.Fatalf("domains = %+v, %v", ds, err)
			}
		})
		t.Run("ErrInitTwice", func(t *testing.T) {
			err := db.Init(ctx, sqldb.InitParams{Settings: importer.Settings{Name: "X"}, AdminUPN: "a@x.com"})
			if importer.ErrorCode(err) != importer.ECONFLICT {
				t.Fatalf("second init error = %v, want ECONFLICT", err)
			}
		})
		t.Run("ReopenKeepsData", func(t *testing.T) {
			db2 := dirtest.Open(t, url)
			if ok, err := db2.Initialized(ctx); err != nil || !ok {
				t.Fatalf("reopened: Initialized = %v, %v", ok, err)
			}
		})
	})
}

func TestDomains(t *testing.T) {
	dirtest.EachDB(t, func(t *testing.T, url string, db *sqldb.DB) {
		ctx := context.Background()
		mustInit(t, db, 1)
		if err := db.AddDomain(ctx, admin, importer.Domain{Name: "Fabrikam.com"}); err != nil {
			t.Fatal(err)
		}
		if err := db.AddDomain(ctx, admin, importer.Domain{Name: "fabrikam.com"}); importer.ErrorCode(err) != importer.ECONFLICT {
			t.Fatalf("duplicate domain error = %v", err)
		}
		if err := db.VerifyDomain(ctx, admin, "FABRIKAM.COM"); err != nil {
			t.Fatal(err)
		}
		if err := db.VerifyDomain(ctx, admin, "nope.com"); importer.ErrorCode(err) != importer.ENOTFOUND {
			t.Fatalf("verify unknown = %v", err)
		}
		if err := db.RemoveDomain(ctx, admin, "contoso.com"); importer.ErrorCode(err) != importer.ECONFLICT {
			t.Fatalf("removing a domain with users = %v, want ECONFLICT", err)
		}
		if err := db.RemoveDomain(ctx, admin, "northwind.example"); err != nil {
			t.Fatal(err)
		}
		ds, _ := db.Domains(ctx)
		if fmt.Sprint(ds) != "[{contoso.com true} {fabrikam.com true}]" {
			t.Fatalf("domains = %v", ds)
		}
	})
}

func TestSeats(t *testing.T) {
	dirtest.EachDB(t, func(t *testing.T, url string, db *sqldb.DB) {
		ctx := context.Background()
		mustInit(t, db, 2)
		for _, a := range []string{"ann", "bob", "cid", "dee"} {
			addUser(t, db, a, "ENTERPRISEPACK")
		}
		t.Run("PendingWhenFull", func(t *testing.T) {
			p := dirtest.Product(t, db, "ENTERPRISEPACK")
			if p.Assigned != 2 || p.Pending != 2 {
				t.Fatalf("after 4 users on 2 seats: assigned %d pending %d", p.Assigned, p.Pending)
			}
			if s := licenseStatus(t, db, "cid@contoso.com", "ENTERPRISEPACK"); s != "pending" {
				t.Fatalf("cid = %s, want pending", s)
			}
		})
		t.Run("ErrLowerBelowAssigned", func(t *testing.T) {
			err := db.SetSeats(ctx, admin, "ENTERPRISEPACK", 1)
			if importer.ErrorCode(err) != importer.ECONFLICT {
				t.Fatalf("lowering below assigned = %v, want ECONFLICT", err)
			}
		})
		t.Run("RaiseFillsOldestFirst", func(t *testing.T) {
			if err := db.SetSeats(ctx, admin, "ENTERPRISEPACK", 3); err != nil {
				t.Fatal(err)
			}
			if s := licenseStatus(t, db, "cid@contoso.com", "ENTERPRISEPACK"); s != "assigned" {
				t.Fatalf("cid (older pending) = %s, want assigned", s)
			}
			if s := licenseStatus(t, db, "dee@contoso.com", "ENTERPRISEPACK"); s != "pending" {
				t.Fatalf("dee = %s, want pending", s)
			}
		})
		t.Run("DeleteFreesSeat", func(t *testing.T) {
			if err := db.DeleteUser(ctx, admin, "ann@contoso.com"); err != nil {
				t.Fatal(err)
			}
			if s := licenseStatus(t, db, "dee@contoso.com", "ENTERPRISEPACK"); s != "assigned" {
				t.Fatalf("dee after ann's delete = %s, want assigned", s)
			}
			p := dirtest.Product(t, db, "ENTERPRISEPACK")
			if p.Assigned != 3 || p.Pending != 0 {
				t.Fatalf("assigned %d pending %d, want 3 and 0", p.Assigned, p.Pending)
			}
			us, _ := db.Users(ctx, false)
			for _, u := range us {
				if u.UserPrincipalName == "ann@contoso.com" {
					t.Fatal("deleted ann is listed without --all")
				}
			}
			all, _ := db.Users(ctx, true)
			if len(all) != len(us)+1 {
				t.Fatalf("--all lists %d, without %d", len(all), len(us))
			}
		})
		t.Run("RestorePendingWhenFull", func(t *testing.T) {
			if err := db.RestoreUser(ctx, admin, "ann@contoso.com"); err != nil {
				t.Fatal(err)
			}
			if s := licenseStatus(t, db, "ann@contoso.com", "ENTERPRISEPACK"); s != "pending" {
				t.Fatalf("restored ann with no free seat = %s, want pending", s)
			}
			if err := db.SetSeats(ctx, admin, "ENTERPRISEPACK", 4); err != nil {
				t.Fatal(err)
			}
			if s := licenseStatus(t, db, "ann@contoso.com", "ENTERPRISEPACK"); s != "assigned" {
				t.Fatalf("ann after raise = %s, want assigned", s)
			}
		})
		t.Run("RestoreTakesFreeSeat", func(t *testing.T) {
			if err := db.DeleteUser(ctx, admin, "bob@contoso.com"); err != nil {
				t.Fatal(err)
			}
			if p := dirtest.Product(t, db, "ENTERPRISEPACK"); p.Assigned != 3 {
				t.Fatalf("after delete assigned = %d, want 3", p.Assigned)
			}
			if err := db.RestoreUser(ctx, admin, "bob@contoso.com"); err != nil {
				t.Fatal(err)
			}
			if p := dirtest.Product(t, db, "ENTERPRISEPACK"); p.Assigned != 4 {
				t.Fatalf("after restore assigned = %d, want 4", p.Assigned)
			}
		})
		t.Run("ErrOversellByDatabase", func(t *testing.T) {
			// Even a statement that bypasses the store's logic cannot
			// oversell: the CHECK constraint refuses it.
			err := db.SetSeats(ctx, admin, "ENTERPRISEPACK", 3)
			if importer.ErrorCode(err) != importer.ECONFLICT {
				t.Fatalf("lowering to 3 with 4 assigned = %v", err)
			}
		})
	})
}

func TestUsersAndRoles(t *testing.T) {
	dirtest.EachDB(t, func(t *testing.T, url string, db *sqldb.DB) {
		ctx := context.Background()
		mustInit(t, db, 1)
		addUser(t, db, "Zoë.Adams")
		// The plan step finds taken user names and employee IDs; a user
		// created meanwhile by another import is refused by the database,
		// and only its row fails.
		failsTaken := func(t *testing.T, p *importer.Planned) {
			t.Helper()
			rs, err := dirtest.Provision(ctx, db, admin, p, dirtest.NewUser("fine-"+p.User.DisplayName+"@contoso.com"))
			if err != nil {
				t.Fatal(err)
			}
			if rs[0].Outcome != importer.Failed || !strings.Contains(rs[0].Message, "already taken") {
				t.Errorf("row 1 = %+v, want Failed: already taken", rs[0])
			}
			if rs[1].Outcome != importer.Created {
				t.Errorf("row 2 = %+v, want Created", rs[1])
			}
		}
		t.Run("ErrDuplicateUPNCaseIgnored", func(t *testing.T) {
			failsTaken(t, dirtest.NewUser("zoë.adams@CONTOSO.com"))
		})
		t.Run("ErrDuplicateEmployeeID", func(t *testing.T) {
			e1 := dirtest.NewUser("e1@contoso.com")
			e1.User.EmployeeID = "E-1"
			dirtest.MustProvision(t, db, admin, e1)
			e2 := dirtest.NewUser("e2@contoso.com")
			e2.User.EmployeeID = "e-1"
			failsTaken(t, e2)
		})
		t.Run("Roles", func(t *testing.T) {
			if err := db.AssignRole(ctx, admin, "zoë.adams@contoso.com", importer.UserAdmin); err != nil {
				t.Fatal(err)
			}
			if err := db.AssignRole(ctx, admin, "zoë.adams@contoso.com", importer.UserAdmin); importer.ErrorCode(err) != importer.ECONFLICT {
				t.Fatalf("assigning twice = %v", err)
			}
			hs, err := db.RoleHolders(ctx)
			if err != nil || len(hs) != 2 {
				t.Fatalf("holders = %v, %v", hs, err)
			}
			if err := db.RemoveRole(ctx, admin, admin, importer.GlobalAdmin); importer.ErrorCode(err) != importer.ECONFLICT {
				t.Fatalf("removing the last Global admin = %v, want ECONFLICT", err)
			}
			if err := db.RemoveRole(ctx, admin, "zoë.adams@contoso.com", importer.UserAdmin); err != nil {
				t.Fatal(err)
			}
		})
		t.Run("PasswordAndCredentials", func(t *testing.T) {
			if err := db.SetPassword(ctx, admin, "zoë.adams@contoso.com", "$argon2id$x", true); err != nil {
				t.Fatal(err)
			}
			c, err := db.Credentials(ctx, "Zoë.Adams@contoso.com")
			if err != nil || c.PasswordHash != "$argon2id$x" || !c.MustChangePassword || c.PasswordSetAt.IsZero() {
				t.Fatalf("credentials = %+v, %v", c, err)
			}
		})
		t.Run("Audit", func(t *testing.T) {
			es, err := db.Audit(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var actions []string
			for _, e := range es {
				actions = append(actions, e.Action)
				if e.Actor == "" {
					t.Errorf("audit entry %+v names no actor", e)
				}
			}
			// Four batches: Zoë; a taken name and a fine one; e1; a taken
			// employee ID and a fine one. The rows that failed changed
			// nothing and are not in the log.
			batch := "import start user create import done "
			want := "[init " + strings.Repeat(batch, 4) + "role assign role remove user set-password]"
			if fmt.Sprint(actions) != want {
				t.Fatalf("audit actions = %v, want %s", actions, want)
			}
		})
		t.Run("PurgeAfter30Days", func(t *testing.T) {
			if err := db.DeleteUser(ctx, admin, "e1@contoso.com"); err != nil {
				t.Fatal(err)
			}
			later := db.At(func() time.Time { return time.Now().Add(31 * 24 * time.Hour) })
			err := later.RestoreUser(ctx, admin, "e1@contoso.com")
			if importer.ErrorCode(err) != importer.ENOTFOUND {
				t.Fatalf("restore after 31 days = %v, want ENOTFOUND (purged)", err)
			}
		})
	})
}

// TestSeatsConcurrent has many goroutines, and then two processes, take the
// last seats at once: never more assigned than seats.
func TestSeatsConcurrent(t *testing.T) {
	dirtest.EachDB(t, func(t *testing.T, url string, db *sqldb.DB) {
		ctx := context.Background()
		mustInit(t, db, 7)
		var wg sync.WaitGroup
		errs := make(chan error, 40)
		for i := 0; i < 40; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := dirtest.Provision(ctx, db, admin, dirtest.NewUser(fmt.Sprintf("g%d@contoso.com", i), "ENTERPRISEPACK"))
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if p := dirtest.Product(t, db, "ENTERPRISEPACK"); p.Assigned != 7 || p.Pending != 33 {
			t.Fatalf("40 goroutines on 7 seats: assigned %d pending %d", p.Assigned, p.Pending)
		}

		if err := db.SetSeats(ctx, admin, "ENTERPRISEPACK", 50); err != nil {
			t.Fatal(err)
		}
		// The 33 pending are filled; 10 seats are left for two processes of 20 users each.
		var procs []*exec.Cmd
		for p := 0; p < 2; p++ {
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), "SQLDB_TEST_HELPER=1", "SQLDB_TEST_URL="+url, "SQLDB_TEST_PREFIX=p"+strconv.Itoa(p))
			cmd.Stderr = os.Stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			procs = append(procs, cmd)
		}
		for _, c := range procs {
			if err := c.Wait(); err != nil {
				t.Fatalf("helper process: %v", err)
			}
		}
		if p := dirtest.Product(t, db, "ENTERPRISEPACK"); p.Assigned != 50 || p.Pending != 30 {
			t.Fatalf("two processes on the last 10 seats: assigned %d pending %d, want 50 and 30", p.Assigned, p.Pending)
		}
	})
}

// helperProcess adds 20 users with a license, 10 at a time, for
// TestSeatsConcurrent's second process.
func helperProcess() int {
	ctx := context.Background()
	db, err := sqldb.Open(ctx, os.Getenv("SQLDB_TEST_URL"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer db.Close()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := dirtest.Provision(ctx, db, admin,
				dirtest.NewUser(fmt.Sprintf("%s-%d@contoso.com", os.Getenv("SQLDB_TEST_PREFIX"), i), "ENTERPRISEPACK"))
			mu.Lock()
			if err != nil && first == nil {
				first = err
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	if first != nil && !errors.Is(first, context.Canceled) {
		fmt.Fprintln(os.Stderr, first)
		return 1
	}
	return 0
}

// TestDeleteConcurrent deletes one user from many goroutines at once: one
// delete wins, and the user's seat is freed once, not once per delete.
func TestDeleteConcurrent(t *testing.T) {
	dirtest.EachDB(t, func(t *testing.T, url string, db *sqldb.DB) {
		ctx := context.Background()
		mustInit(t, db, 2)
		addUser(t, db, "once", "ENTERPRISEPACK")
		addUser(t, db, "other", "ENTERPRISEPACK")
		var wg sync.WaitGroup
		errs := make(chan error, 10)
		for range 10 {
			wg.Add(1)
			go func() { defer wg.Done(); errs <- db.DeleteUser(ctx, admin, "once@contoso.com") }()
		}
		wg.Wait()
		close(errs)
		ok := 0
		for err := range errs {
			switch {
			case err == nil:
				ok++
			case importer.ErrorCode(err) != importer.ECONFLICT:
				t.Fatalf("delete: %v", err)
			}
		}
		if ok != 1 {
			t.Fatalf("%d deletes succeeded, want 1", ok)
		}
		if p := dirtest.Product(t, db, "ENTERPRISEPACK"); p.Assigned != 1 {
			t.Fatalf("assigned = %d after one delete of two holders, want 1", p.Assigned)
		}
	})
}

// TestUpdateWritesOnlyChangedColumns: the update rows of one chunk are
// written together, each only in the columns its plan changes, so that an
// edit made to another column after the plan was made stays. A user
// deleted meanwhile fails alone; held licenses get their new disabled apps.
func TestUpdateWritesOnlyChangedColumns(t *testing.T) {
	dirtest.EachDB(t, func(t *testing.T, url string, db *sqldb.DB) {
		ctx := context.Background()
		mustInit(t, db, 5)
		var news []*importer.Planned
		for i, alias := range []string{"ann", "bob", "cid", "dee"} {
			p := dirtest.NewUser(alias+"@contoso.com", "ENTERPRISEPACK")
			p.User.JobTitle, p.User.Department, p.User.EmployeeID = "Clerk", "Sales", fmt.Sprintf("E%d", i)
			news = append(news, p)
		}
		dirtest.MustProvision(t, db, admin, news...)

		// update plans a row of an upsert makes from what it read of ex.
		update := func(upn string, change func(p *importer.Planned), changed ...importer.Column) *importer.Planned {
			t.Helper()
			ex, err := db.User(ctx, upn)
			if err != nil {
				t.Fatal(err)
			}
			p := &importer.Planned{Action: importer.ActionUpdate, User: ex, Blocked: !ex.AccountEnabled}
			for _, c := range changed {
				p.Changed = append(p.Changed, c.Key())
			}
			change(p)
			return p
		}
		ann := update("ann@contoso.com", func(p *importer.Planned) { p.User.JobTitle = "Head Clerk" }, importer.ColJobTitle)
		bob := update("bob@contoso.com", func(p *importer.Planned) {
			p.User.Department, p.User.EmployeeID, p.Blocked = "Support", "", true
		}, importer.ColDepartment, importer.ColEmployeeID, importer.ColBlockSignIn)
		cid := update("cid@contoso.com", func(p *importer.Planned) {
			p.Disable = []importer.PlannedLicense{{SKU: "ENTERPRISEPACK", DisabledPlans: []string{"TEAMS1"}}}
		}, importer.ColDisabledApps)
		dee := update("dee@contoso.com", func(p *importer.Planned) { p.User.City = "Oslo" }, importer.ColCity)

		// Meanwhile another import moves Ann to Marketing and dee is deleted.
		dirtest.MustProvision(t, db, admin,
			update("ann@contoso.com", func(p *importer.Planned) { p.User.Department = "Marketing" }, importer.ColDepartment))
		if err := db.DeleteUser(ctx, admin, "dee@contoso.com"); err != nil {
			t.Fatal(err)
		}

		rs, err := dirtest.Provision(ctx, db, admin, ann, bob, cid, dee)
		if err != nil {
			t.Fatal(err)
		}
		for i, want := range []importer.Outcome{importer.Updated, importer.Updated, importer.Updated, importer.Failed} {
			if rs[i].Outcome != want {
				t.Errorf("row %d: %+v, want %s", i+1, rs[i], want)
			}
		}
		if !strings.Contains(rs[3].Message, "deleted while the import ran") {
			t.Errorf("dee's message = %q", rs[3].Message)
		}
		user := func(upn string) importer.User {
			t.Helper()
			u, err := db.User(ctx, upn)
			if err != nil {
				t.Fatal(err)
			}
			return u
		}
		if u := user("ann@contoso.com"); u.JobTitle != "Head Clerk" || u.Department != "Marketing" || u.EmployeeID != "E0" {
			t.Errorf("ann: title %q, department %q, employee ID %q; want Head Clerk, Marketing (the edit made meanwhile), E0",
				u.JobTitle, u.Department, u.EmployeeID)
		}
		if u := user("bob@contoso.com"); u.Department != "Support" || u.JobTitle != "Clerk" || u.EmployeeID != "" || u.AccountEnabled {
			t.Errorf("bob: department %q, title %q, employee ID %q, enabled %t; want Support, Clerk, none, blocked",
				u.Department, u.JobTitle, u.EmployeeID, u.AccountEnabled)
		}
		u := user("cid@contoso.com")
		if len(u.Licenses) != 1 || fmt.Sprint(u.Licenses[0].DisabledPlans) != "[TEAMS1]" {
			t.Errorf("cid's licenses = %+v, want ENTERPRISEPACK with TEAMS1 disabled", u.Licenses)
		}
		if u.JobTitle != "Clerk" || u.Department != "Sales" || u.EmployeeID != "E2" {
			t.Errorf("cid, whose profile the row does not change: title %q, department %q, employee ID %q", u.JobTitle, u.Department, u.EmployeeID)
		}
		if u := user("dee@contoso.com"); u.City != "" || !u.Deleted {
			t.Errorf("dee, deleted before the update: city %q, deleted %t", u.City, u.Deleted)
		}
		// Bob's employee ID is free again: a new user may take it.
		e1 := dirtest.NewUser("eve@contoso.com")
		e1.User.EmployeeID = "e1"
		dirtest.MustProvision(t, db, admin, e1)
	})
}

// TestRemoveLastGlobalAdminConcurrent: two Global admins take the role from
// each other at the same moment, on PostgreSQL, where the two transactions
// run side by side: one removal wins, the other is refused, and one Global
// admin is left. Both removals are held at the database's row locks (a
// third session holds the Global admins' roles locked) until both are
// waiting there; then they race.
func TestRemoveLastGlobalAdminConcurrent(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t)
	db := dirtest.Open(t, url)
	mustInit(t, db, 1)
	addUser(t, db, "second")
	if err := db.AssignRole(ctx, admin, "second@contoso.com", importer.GlobalAdmin); err != nil {
		t.Fatal(err)
	}
	_, dsn, err := sqldb.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("postgres", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	blocker, err := raw.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer blocker.Rollback()
	if _, err := blocker.ExecContext(ctx, `SELECT 1 FROM user_roles WHERE role = $1 FOR UPDATE`, string(importer.GlobalAdmin)); err != nil {
		t.Fatal(err)
	}

	errs := make(chan error, 2)
	go func() { errs <- db.RemoveRole(ctx, "second@contoso.com", admin, importer.GlobalAdmin) }()
	go func() { errs <- db.RemoveRole(ctx, admin, "second@contoso.com", importer.GlobalAdmin) }()
	waitForLockWaits(t, raw, 2)
	if err := blocker.Commit(); err != nil {
		t.Fatal(err)
	}
	var ok, refused int
	for range 2 {
		switch err := <-errs; {
		case err == nil:
			ok++
		case importer.ErrorCode(err) == importer.ECONFLICT && strings.Contains(err.Error(), "last Global admin"):
			refused++
		default:
			t.Errorf("remove role: %v", err)
		}
	}
	hs, err := db.RoleHolders(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var globals []string
	for _, h := range hs {
		if h.Role == importer.GlobalAdmin {
			globals = append(globals, h.UPN)
		}
	}
	if ok != 1 || refused != 1 || len(globals) != 1 {
		t.Fatalf("two concurrent removals: %d succeeded, %d refused; Global admins left %v; want 1, 1 and one left", ok, refused, globals)
	}
}

// waitForLockWaits waits until n other sessions of the database wait for a
// lock.
func waitForLockWaits(t *testing.T, raw *sql.DB, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		var waiting int
		if err := raw.QueryRowContext(ctx, `SELECT COUNT(*) FROM pg_stat_activity
			WHERE datname = current_database() AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting >= n {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%d sessions wait for a lock after a minute, want %d", waiting, n)
		case <-tick.C:
		}
	}
}

// TestSQLiteFilesPrivate: the SQLite database holds password hashes, so
// its file and the -wal, -shm (and -journal) files beside it are readable
// by their owner only, whatever the umask.
func TestSQLiteFilesPrivate(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	dir := t.TempDir()
	db := dirtest.Open(t, "sqlite:"+filepath.Join(dir, "userimport.db"))
	mustInit(t, db, 1)
	addUser(t, db, "ann")
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		fi, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, e.Name())
		if mode := fi.Mode().Perm(); mode != 0o600 {
			t.Errorf("%s has mode %04o under umask 000, want 0600", e.Name(), mode)
		}
	}
	if !slices.Contains(names, "userimport.db") || !slices.Contains(names, "userimport.db-wal") {
		t.Errorf("files beside the database: %v, want userimport.db and its -wal at least", names)
	}
}

// TestUpdateManyRows: one chunk of updates that changes every column an
// update may change, of more rows than one SQLite statement may bind, with
// values that need quoting in a PostgreSQL array.
func TestUpdateManyRows(t *testing.T) {
	dirtest.EachDB(t, func(t *testing.T, url string, db *sqldb.DB) {
		ctx := context.Background()
		mustInit(t, db, 1)
		const n = 3000
		news := make([]*importer.Planned, n)
		for i := range news {
			news[i] = dirtest.NewUser(fmt.Sprintf("u%04d@contoso.com", i))
			news[i].User.EmployeeID = fmt.Sprintf("E%d", i)
		}
		dirtest.MustProvision(t, db, admin, news...)
		users, _, err := db.Lookup(ctx, func() []string {
			keys := make([]string, n)
			for i := range keys {
				keys[i] = fmt.Sprintf("u%04d@contoso.com", i)
			}
			return keys
		}(), nil)
		if err != nil {
			t.Fatal(err)
		}
		odd := `a "quoted", {braced} \ back\slash NULL Zoë`
		plans := make([]*importer.Planned, n)
		for i := range plans {
			u := *users[fmt.Sprintf("u%04d@contoso.com", i)]
			p := &importer.Planned{Action: importer.ActionUpdate, Blocked: true}
			u.DisplayName, u.FirstName, u.LastName, u.JobTitle, u.Department = odd, "F", "L", fmt.Sprintf("T%d", i), "NULL"
			u.OfficeNumber, u.OfficePhone, u.MobilePhone, u.Fax, u.AlternateEmail = "1", "2", "3", "4", "a@b.example"
			u.Address, u.City, u.State, u.PostalCode, u.Country, u.UsageLocation = "5", "6", "7", "8", "9", "NO"
			u.EmployeeID = fmt.Sprintf("N%d", i)
			for _, c := range []importer.Column{importer.ColDisplayName, importer.ColFirstName, importer.ColLastName,
				importer.ColJobTitle, importer.ColDepartment, importer.ColOfficeNumber, importer.ColOfficePhone,
				importer.ColMobilePhone, importer.ColFax, importer.ColAlternateEmail, importer.ColAddress, importer.ColCity,
				importer.ColState, importer.ColPostalCode, importer.ColCountry, importer.ColUsageLocation,
				importer.ColEmployeeID, importer.ColBlockSignIn} {
				p.Changed = append(p.Changed, c.Key())
			}
			p.User = u
			plans[i] = p
		}
		for _, r := range dirtest.MustProvision(t, db, admin, plans...) {
			if r.Outcome != importer.Updated {
				t.Fatalf("row %d: %+v", r.Row, r)
			}
		}
		us, err := db.Users(ctx, false)
		if err != nil {
			t.Fatal(err)
		}
		seen := 0
		for _, u := range us {
			var i int
			if _, err := fmt.Sscanf(u.UserPrincipalName, "u%04d@contoso.com", &i); err != nil {
				continue
			}
			seen++
			want := importer.User{DisplayName: odd, FirstName: "F", LastName: "L", JobTitle: fmt.Sprintf("T%d", i), Department: "NULL",
				OfficeNumber: "1", OfficePhone: "2", MobilePhone: "3", Fax: "4", AlternateEmail: "a@b.example", Address: "5",
				City: "6", State: "7", PostalCode: "8", Country: "9", UsageLocation: "NO", EmployeeID: fmt.Sprintf("N%d", i)}
			got := importer.User{DisplayName: u.DisplayName, FirstName: u.FirstName, LastName: u.LastName, JobTitle: u.JobTitle,
				Department: u.Department, OfficeNumber: u.OfficeNumber, OfficePhone: u.OfficePhone, MobilePhone: u.MobilePhone,
				Fax: u.Fax, AlternateEmail: u.AlternateEmail, Address: u.Address, City: u.City, State: u.State,
				PostalCode: u.PostalCode, Country: u.Country, UsageLocation: u.UsageLocation, EmployeeID: u.EmployeeID}
			if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", want) || u.AccountEnabled {
				t.Fatalf("%s = %+v (enabled %t), want %+v, blocked", u.UserPrincipalName, got, u.AccountEnabled, want)
			}
		}
		if seen != n {
			t.Fatalf("%d users listed, want %d", seen, n)
		}
	})
}
