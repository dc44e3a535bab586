package main

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"userimport/importer/sqldb"
	"userimport/internal/pgtest"
)

const admin = "admin@contoso.com"

// product and user are the parts of `license list` and `user show` JSON
// that the tests look at.
type product struct {
	SKU      string   `json:"sku"`
	Name     string   `json:"name"`
	Seats    int      `json:"seats"`
	Assigned int      `json:"assigned"`
	Pending  int      `json:"pending"`
	Plans    []string `json:"plans"`
}

type user struct {
	UserPrincipalName string `json:"userPrincipalName"`
	Deleted           bool   `json:"deleted"`
	Licenses          []struct {
		SKU           string   `json:"sku"`
		Status        string   `json:"status"`
		DisabledPlans []string `json:"disabledPlans"`
	} `json:"licenses"`
}

func products(t *testing.T, db string) map[string]product {
	t.Helper()
	var ps []product
	decodeJSON(t, mustRun(t, 0, db, "", "license", "list", "--format", "json"), &ps)
	m := make(map[string]product, len(ps))
	for _, p := range ps {
		m[p.SKU] = p
	}
	return m
}

func showUser(t *testing.T, db, upn string) user {
	t.Helper()
	var u user
	decodeJSON(t, mustRun(t, 0, db, "", "user", "show", upn, "--format", "json"), &u)
	return u
}

// licenseStatus returns the status of the user's sku license, or "" when
// the user holds none.
func licenseStatus(t *testing.T, db, upn, sku string) string {
	t.Helper()
	for _, l := range showUser(t, db, upn).Licenses {
		if l.SKU == sku {
			return l.Status
		}
	}
	return ""
}

func listUPNs(t *testing.T, db string, args ...string) []string {
	t.Helper()
	var us []user
	decodeJSON(t, mustRun(t, 0, db, "", append([]string{"user", "list", "--format", "json"}, args...)...), &us)
	upns := make([]string, len(us))
	for i, u := range us {
		upns[i] = u.UserPrincipalName
	}
	sort.Strings(upns)
	return upns
}

func signIn(t *testing.T, db, upn, password string) result {
	t.Helper()
	return run(t, db, password+"\n", "signin", upn)
}

// importUsers imports a CSV of users with the given rows (User Name, First
// Name, Last Name) and no licenses, and fails t unless every row is created.
func importUsers(t *testing.T, db string, upns ...string) {
	t.Helper()
	var b strings.Builder
	b.WriteString("User Name,First Name,Last Name\n")
	for _, u := range upns {
		alias, _, _ := strings.Cut(u, "@")
		b.WriteString(u + "," + alias + ",Test\n")
	}
	writeFile(t, "people.csv", b.String())
	mustRun(t, 0, db, "", "import", "people.csv")
}

// Scenario 1: init --demo, the demo tenant as listings show it, sign-in.
func TestInitDemo(t *testing.T) {
	eachDB(t, func(t *testing.T, db string) {
		password := initDemo(t, db)

		r := mustRun(t, 0, db, "", "license", "list", "--format", "json")
		var raw []map[string]any
		decodeJSON(t, r, &raw)
		for _, p := range raw {
			for _, k := range []string{"sku", "name", "seats", "assigned", "pending", "plans"} {
				if _, ok := p[k]; !ok {
					t.Errorf("license list JSON: product %v has no field %q", p["sku"], k)
				}
			}
			if len(p) != 6 {
				t.Errorf("license list JSON: product has fields %v, want sku, name, seats, assigned, pending, plans", keys(p))
			}
		}
		ps := products(t, db)
		for sku, seats := range map[string]int{"ENTERPRISEPACK": 25, "SPB": 10, "EXCHANGESTANDARD": 5} {
			p, ok := ps[sku]
			switch {
			case !ok:
				t.Errorf("license list: no %s", sku)
			case p.Seats != seats || p.Assigned != 0 || p.Pending != 0:
				t.Errorf("license list: %s has %d seats, %d assigned, %d pending; want %d, 0, 0", sku, p.Seats, p.Assigned, p.Pending, seats)
			}
		}
		if len(ps) != 3 {
			t.Errorf("license list: %d products, want 3", len(ps))
		}
		if p := ps["ENTERPRISEPACK"]; p.Name != "Office 365 E3" || !slices.Contains(p.Plans, "TEAMS1") {
			t.Errorf("ENTERPRISEPACK = %+v, want name Office 365 E3 with TEAMS1 among its plans", p)
		}

		var domains []map[string]any
		decodeJSON(t, mustRun(t, 0, db, "", "domain", "list", "--format", "json"), &domains)
		want := map[string]bool{"contoso.com": true, "fabrikam.com": true, "northwind.example": false}
		if len(domains) != len(want) {
			t.Errorf("domain list: %v, want %v", domains, want)
		}
		for _, d := range domains {
			if len(d) != 2 {
				t.Errorf("domain list JSON: fields %v, want name, verified", keys(d))
			}
			name, _ := d["name"].(string)
			verified, ok := d["verified"].(bool)
			if w, known := want[name]; !known || !ok || verified != w {
				t.Errorf("domain list: %v, want name %q verified %v", d, name, w)
			}
		}

		// SPEC §3: the password init prints must be changed at first sign-in.
		if r := signIn(t, db, admin, password); r.code != 0 || r.stdout != "ok: password change required\n" {
			t.Errorf("signin with the printed password: exit %d, stdout %q; want 0, \"ok: password change required\\n\"", r.code, r.stdout)
		}
		for _, tc := range []struct{ name, upn, password string }{
			{"WrongPassword", admin, password + "x"},
			{"UnknownUser", "nobody@contoso.com", password},
			{"EmptyPassword", admin, ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := signIn(t, db, tc.upn, tc.password)
				if r.code != 1 || r.stdout != "sign-in failed\n" {
					t.Errorf("signin: exit %d, stdout %q; want 1, \"sign-in failed\\n\"", r.code, r.stdout)
				}
			})
		}
	})
}

// Scenario 2: passwd changes the user's own password; a weak one is refused.
func TestPasswd(t *testing.T) {
	eachDB(t, func(t *testing.T, db string) {
		password := initDemo(t, db)
		const next = "Tr0ub4dor&3xyz"

		t.Run("Weak", func(t *testing.T) {
			r := mustRun(t, 2, db, password+"\nalllowercase\n", "passwd", admin)
			if !strings.Contains(r.stderr, "three of") {
				t.Errorf("stderr %q does not name the rule (at least three of …)", r.stderr)
			}
			if r := signIn(t, db, admin, password); r.stdout != "ok: password change required\n" {
				t.Errorf("after a refused passwd, signin with the old password: %q, want it to work and ask for a change", r.stdout)
			}
		})
		t.Run("WrongCurrent", func(t *testing.T) {
			mustRun(t, 2, db, "wrong\n"+next+"\n", "passwd", admin)
		})
		t.Run("OK", func(t *testing.T) {
			mustRun(t, 0, db, password+"\n"+next+"\n", "passwd", admin)
			if r := signIn(t, db, admin, next); r.code != 0 || r.stdout != "ok\n" {
				t.Errorf("signin with the new password: exit %d, %q; want 0, ok", r.code, r.stdout)
			}
			if r := signIn(t, db, admin, password); r.code != 1 {
				t.Errorf("signin with the old password: exit %d, %q; want 1", r.code, r.stdout)
			}
		})
	})
}

// Scenario 3: set-password with nothing on stdin generates a password,
// printed once, that must be changed at next sign-in.
func TestSetPassword(t *testing.T) {
	eachDB(t, func(t *testing.T, db string) {
		initDemo(t, db)
		importUsers(t, db, "dana@contoso.com")
		r := mustRun(t, 0, db, "", "user", "set-password", "dana@contoso.com")
		m := passwordLine.FindAllStringSubmatch(r.stdout, -1)
		if len(m) != 1 {
			t.Fatalf("set-password printed %d password lines, want 1:\n%s", len(m), r.stdout)
		}
		if strings.Contains(r.stderr, m[0][1]) {
			t.Errorf("the password is in the log on stderr")
		}
		if r := signIn(t, db, "dana@contoso.com", m[0][1]); r.code != 0 || r.stdout != "ok: password change required\n" {
			t.Errorf("signin: exit %d, %q; want 0, \"ok: password change required\"", r.code, r.stdout)
		}

		t.Run("GivenOnStdin", func(t *testing.T) {
			const pw = "Given-Pa55word"
			r := mustRun(t, 0, db, pw+"\n", "user", "set-password", "dana@contoso.com")
			if strings.Contains(r.stdout, "password: ") || strings.Contains(r.stdout, pw) {
				t.Errorf("set-password printed a given password:\n%s", r.stdout)
			}
			if r := signIn(t, db, "dana@contoso.com", pw); r.stdout != "ok: password change required\n" {
				t.Errorf("signin: %q", r.stdout)
			}
		})
	})
}

// Scenario 4: an explicit database that was never initialized.
func TestUninitialized(t *testing.T) {
	check := func(t *testing.T, db string) {
		t.Helper()
		for _, args := range [][]string{
			{"user", "list"},
			{"license", "list"},
			{"import", "users.csv"},
		} {
			r := mustRun(t, 2, db, "", args...)
			if !strings.Contains(r.stderr, "init") {
				t.Errorf("%s: stderr %q does not say to run init", strings.Join(args, " "), r.stderr)
			}
		}
		if r := signIn(t, db, admin, "whatever"); r.code != 2 || !strings.Contains(r.stderr, "init") {
			t.Errorf("signin: exit %d, stderr %q; want 2, saying to run init", r.code, r.stderr)
		}
		if m, _ := filepath.Glob("*.results.xlsx"); len(m) > 0 {
			t.Errorf("import on an uninitialized directory wrote %v", m)
		}
	}
	clearEnv(t)
	t.Run("sqlite", func(t *testing.T) {
		dir := t.TempDir()
		t.Chdir(dir)
		writeFile(t, "users.csv", "User Name\nx@contoso.com\n")
		path := filepath.Join(dir, "new.db")
		check(t, "sqlite:"+path)
		if _, err := os.Stat(path); err == nil {
			t.Errorf("%s was created", path)
		}
		if _, err := os.Stat("userimport.db"); err == nil {
			t.Errorf("userimport.db was created although --db was given")
		}
	})
	t.Run("postgres", func(t *testing.T) {
		db := pgtest.URL(t)
		t.Chdir(t.TempDir())
		writeFile(t, "users.csv", "User Name\nx@contoso.com\n")
		check(t, db)
	})
}

// Scenario 5: seats as the commands hand them out and take them back.
func TestSeats(t *testing.T) {
	eachDB(t, func(t *testing.T, db string) {
		initDemo(t, db)
		mustRun(t, 0, db, "", "license", "add", "TESTSKU", "--name", "Test", "--seats", "1")
		writeFile(t, "users.csv", "User Name,First Name,Last Name,Licenses,Usage Location\n"+
			"first@contoso.com,First,User,TESTSKU,US\n"+
			"second@contoso.com,Second,User,TESTSKU,US\n")
		r := mustRun(t, 0, db, "", "import", "users.csv") // a pending license is success
		if l := lastLine(r.stdout); !strings.Contains(l, "2 created") || !strings.Contains(l, "1 assigned, 1 pending") {
			t.Errorf("import summary %q, want 2 created, licenses 1 assigned, 1 pending", l)
		}
		seats := func(wantAssigned, wantPending int) {
			t.Helper()
			p := products(t, db)["TESTSKU"]
			if p.Assigned != wantAssigned || p.Pending != wantPending {
				t.Errorf("TESTSKU: %d of %d assigned, %d pending; want %d assigned, %d pending",
					p.Assigned, p.Seats, p.Pending, wantAssigned, wantPending)
			}
		}
		status := func(upn, want string) {
			t.Helper()
			if got := licenseStatus(t, db, upn, "TESTSKU"); got != want {
				t.Errorf("%s: TESTSKU %q, want %q", upn, got, want)
			}
		}

		status("first@contoso.com", "assigned")
		status("second@contoso.com", "pending")
		seats(1, 1)
		if u := showUser(t, db, "first@contoso.com"); len(u.Licenses) != 1 || u.Licenses[0].DisabledPlans == nil {
			t.Errorf("first: licenses %+v, want one, with disabledPlans a list", u.Licenses)
		}

		t.Run("SetSeatsBelowAssigned", func(t *testing.T) {
			r := mustRun(t, 2, db, "", "license", "set-seats", "TESTSKU", "0")
			if r.stderr == "" {
				t.Error("set-seats 0 was refused without a word")
			}
			if p := products(t, db)["TESTSKU"]; p.Seats != 1 {
				t.Errorf("TESTSKU seats %d after a refused set-seats, want 1", p.Seats)
			}
		})

		mustRun(t, 0, db, "", "user", "delete", "first@contoso.com")
		seats(1, 0)
		status("second@contoso.com", "assigned")

		mustRun(t, 0, db, "", "user", "restore", "first@contoso.com")
		status("first@contoso.com", "pending")
		seats(1, 1)

		mustRun(t, 0, db, "", "license", "set-seats", "TESTSKU", "2")
		status("first@contoso.com", "assigned")
		status("second@contoso.com", "assigned")
		seats(2, 0)
	})
}

// userFields are the JSON field names of a user, SPEC §3.
var userFields = []string{"id", "userPrincipalName", "displayName", "firstName", "lastName", "jobTitle",
	"department", "usageLocation", "employeeId", "accountEnabled", "mustChangePassword", "deleted", "source",
	"roles", "licenses", "officeNumber", "officePhone", "mobilePhone", "fax", "alternateEmail", "address",
	"city", "state", "postalCode", "country", "createdAt", "updatedAt"}

// Scenario 6: user list formats, and deleted users.
func TestUserList(t *testing.T) {
	eachDB(t, func(t *testing.T, db string) {
		initDemo(t, db)
		importUsers(t, db, "erin@contoso.com", "frank@contoso.com")
		mustRun(t, 0, db, "", "user", "delete", "frank@contoso.com")

		var raw []map[string]any
		decodeJSON(t, mustRun(t, 0, db, "", "user", "list", "--format", "json"), &raw)
		if len(raw) == 0 {
			t.Fatal("user list: no users")
		}
		for _, u := range raw {
			for _, k := range userFields {
				if _, ok := u[k]; !ok {
					t.Errorf("user list JSON: %v has no field %q", u["userPrincipalName"], k)
				}
			}
			for _, k := range []string{"roles", "licenses"} {
				if _, ok := u[k].([]any); !ok {
					t.Errorf("user list JSON: %v: %s is %v, want a list", u["userPrincipalName"], k, u[k])
				}
			}
		}
		var one map[string]any
		decodeJSON(t, mustRun(t, 0, db, "", "user", "show", admin, "--format", "json"), &one)
		for _, k := range userFields {
			if _, ok := one[k]; !ok {
				t.Errorf("user show JSON has no field %q", k)
			}
		}
		if roles, _ := one["roles"].([]any); !slices.Contains(roles, any("Global admin")) {
			t.Errorf("user show %s: roles %v, want Global admin", admin, one["roles"])
		}

		if got, want := listUPNs(t, db), []string{admin, "erin@contoso.com"}; !slices.Equal(got, want) {
			t.Errorf("user list: %v, want %v", got, want)
		}
		if got, want := listUPNs(t, db, "--all"), []string{admin, "erin@contoso.com", "frank@contoso.com"}; !slices.Equal(got, want) {
			t.Errorf("user list --all: %v, want %v", got, want)
		}

		r := mustRun(t, 0, db, "", "user", "list", "--format", "csv")
		rows, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
		if err != nil {
			t.Fatalf("user list --format csv: %v\n%s", err, r.stdout)
		}
		if len(rows) != 3 || !slices.Contains(rows[0], "User Name") {
			t.Errorf("user list --format csv: %q, want a header row with User Name and 2 users", rows)
		}
		mustRun(t, 2, db, "", "user", "list", "--format", "yaml")
	})
}

// Scenario 7: what each admin role may do through the commands.
func TestRoles(t *testing.T) {
	eachDB(t, func(t *testing.T, db string) {
		initDemo(t, db)
		const (
			userAdmin    = "ua@contoso.com"
			licenseAdmin = "la@contoso.com"
			plain        = "plain@contoso.com"
		)
		importUsers(t, db, userAdmin, licenseAdmin, plain, "v1@contoso.com", "v2@contoso.com")
		mustRun(t, 0, db, "", "role", "assign", userAdmin, "User admin")
		mustRun(t, 0, db, "", "role", "assign", licenseAdmin, "License admin")

		t.Run("UserAdminGivesRole", func(t *testing.T) {
			r := mustRun(t, 2, db, "", "--as", userAdmin, "role", "assign", plain, "User admin")
			if !strings.Contains(r.stderr, "may not give admin roles") {
				t.Errorf("stderr %q, want it to say may not give admin roles", r.stderr)
			}
			if roles := showUserRoles(t, db, plain); len(roles) != 0 {
				t.Errorf("%s has roles %v after a refused assign", plain, roles)
			}
		})
		t.Run("UserAdminDeletes", func(t *testing.T) {
			mustRun(t, 0, db, "", "--as", userAdmin, "user", "delete", "v1@contoso.com")
			if !showUser(t, db, "v1@contoso.com").Deleted {
				t.Error("v1 is not deleted")
			}
		})
		t.Run("LicenseAdminDeletes", func(t *testing.T) {
			r := mustRun(t, 2, db, "", "--as", licenseAdmin, "user", "delete", "v2@contoso.com")
			if !strings.Contains(r.stderr, "may not") {
				t.Errorf("stderr %q, want it to say may not", r.stderr)
			}
			if showUser(t, db, "v2@contoso.com").Deleted {
				t.Error("v2 was deleted by a License admin")
			}
		})
		t.Run("LicenseAdminAddsProduct", func(t *testing.T) {
			mustRun(t, 2, db, "", "--as", licenseAdmin, "license", "add", "X", "--seats", "1")
		})
		t.Run("NoAdminImports", func(t *testing.T) {
			writeFile(t, "more.csv", "User Name,First Name,Last Name\nnew@contoso.com,New,User\n")
			r := mustRun(t, 2, db, "", "--as", plain, "import", "more.csv")
			if !strings.Contains(r.stderr, "no admin") {
				t.Errorf("stderr %q, want it to say the user is no admin", r.stderr)
			}
			if _, err := os.Stat("more.results.xlsx"); err == nil {
				t.Error("a refused import wrote more.results.xlsx")
			}
			if slices.Contains(listUPNs(t, db, "--all"), "new@contoso.com") {
				t.Error("a refused import created new@contoso.com")
			}
		})
		t.Run("UnknownActor", func(t *testing.T) {
			mustRun(t, 2, db, "", "--as", "ghost@contoso.com", "user", "list")
		})
		// Scenario 8: the audit log names the acting admin. No command
		// reads it, so the test opens the directory itself.
		t.Run("AuditNamesActor", func(t *testing.T) {
			want := map[[2]string]string{ // action, target → actor
				{"user create", userAdmin}:        admin,
				{"role assign", userAdmin}:        admin,
				{"user delete", "v1@contoso.com"}: userAdmin,
			}
			for _, e := range audit(t, db) {
				k := [2]string{e.Action, e.Target}
				if actor, ok := want[k]; ok {
					if e.Actor != actor {
						t.Errorf("audit %s %s: actor %q, want %q", e.Action, e.Target, e.Actor, actor)
					}
					if e.Action == "user create" && e.BatchID == "" {
						t.Errorf("audit %s %s: no batch", e.Action, e.Target)
					}
					delete(want, k)
				}
				if e.Action == "user delete" && e.Target == "v2@contoso.com" {
					t.Errorf("audit log has a refused delete: %+v", e)
				}
			}
			for k := range want {
				t.Errorf("audit log has no %s %s", k[0], k[1])
			}
		})
	})
}

func audit(t *testing.T, url string) []sqldb.AuditEntry {
	t.Helper()
	db, err := sqldb.Open(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	es, err := db.Audit(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return es
}

func showUserRoles(t *testing.T, db, upn string) []any {
	t.Helper()
	var u map[string]any
	decodeJSON(t, mustRun(t, 0, db, "", "user", "show", upn, "--format", "json"), &u)
	roles, _ := u["roles"].([]any)
	return roles
}

// importCSV has three good rows and two bad ones, at rows 3 and 5.
const importCSV = "User Name,First Name,Last Name\n" +
	"alice@contoso.com,Alice,Anders\n" +
	"bad..name@contoso.com,Bad,Name\n" +
	"bob@contoso.com,Bob,Berg\n" +
	"x@northwind.example,Xavier,Young\n" +
	"carol@fabrikam.com,Carol,Cruz\n"

var goodUPNs = []string{"alice@contoso.com", "bob@contoso.com", "carol@fabrikam.com"}

// resultRows returns the data rows of the Results sheet of path.
func resultRows(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatalf("open results: %v", err)
	}
	defer f.Close()
	rows, err := f.GetRows("Results")
	if err != nil {
		t.Fatalf("Results sheet: %v", err)
	}
	want := []string{"Row", "User Name", "Display Name", "Outcome", "License Status", "Licenses", "Message", "User ID"}
	if len(rows) == 0 || !slices.Equal(rows[0], want) {
		t.Fatalf("Results header %q, want %q", rows, want)
	}
	data := rows[1:]
	for i := range data {
		for len(data[i]) < len(want) { // GetRows drops trailing empty cells
			data[i] = append(data[i], "")
		}
	}
	return data
}

// checkOutcomes checks the Results rows' Row, User Name and Outcome columns.
func checkOutcomes(t *testing.T, rows [][]string, outcomes ...string) {
	t.Helper()
	if len(rows) != len(outcomes) {
		t.Fatalf("Results has %d data rows, want %d: %q", len(rows), len(outcomes), rows)
	}
	upns := []string{"alice@contoso.com", "bad..name@contoso.com", "bob@contoso.com", "x@northwind.example", "carol@fabrikam.com"}
	for i, r := range rows {
		if r[0] != strconv.Itoa(i+2) || r[1] != upns[i] || r[3] != outcomes[i] {
			t.Errorf("Results row %d: Row %q, User Name %q, Outcome %q; want %d, %s, %s (message %q)",
				i+1, r[0], r[1], r[3], i+2, upns[i], outcomes[i], r[6])
		}
	}
}

// Scenario 9: the import command on a file with good and bad rows.
func TestImport(t *testing.T) {
	eachDB(t, func(t *testing.T, db string) {
		initDemo(t, db)
		writeFile(t, "users.csv", importCSV)

		r := mustRun(t, 1, db, "", "import", "users.csv")
		if l := lastLine(r.stdout); !strings.Contains(l, "3 created") || !strings.Contains(l, "2 failed") {
			t.Errorf("last line %q, want 3 created and 2 failed", l)
		}
		rows := resultRows(t, "users.results.xlsx")
		checkOutcomes(t, rows, "Created", "Failed", "Created", "Failed", "Created")
		for _, i := range []int{1, 3} {
			if msg := rows[i][6]; !strings.Contains(msg, "User Name:") {
				t.Errorf("Results row %s: message %q does not name the column User Name", rows[i][0], msg)
			}
		}
		if msg := rows[3][6]; !strings.Contains(msg, "northwind.example") {
			t.Errorf("Results row 5: message %q does not name the unverified domain", msg)
		}
		for _, i := range []int{0, 2, 4} {
			if rows[i][6] != "" || rows[i][7] == "" || rows[i][4] != "None" {
				t.Errorf("Results row %s: message %q, user ID %q, license status %q; want no message, an ID, None",
					rows[i][0], rows[i][6], rows[i][7], rows[i][4])
			}
		}

		st, err := os.Stat("users.credentials.txt")
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("users.credentials.txt has mode %v, want 0600", st.Mode().Perm())
		}
		creds := credentials(t, "users.credentials.txt")
		if got := sortedKeys(creds); !slices.Equal(got, goodUPNs) {
			t.Errorf("credentials for %v, want %v", got, goodUPNs)
		}
		for upn, pw := range creds {
			if r := signIn(t, db, upn, pw); r.code != 0 || r.stdout != "ok: password change required\n" {
				t.Errorf("signin %s with its notice password: exit %d, %q", upn, r.code, r.stdout)
			}
		}
		for _, out := range []string{r.stdout, r.stderr} {
			for _, pw := range creds {
				if strings.Contains(out, pw) {
					t.Error("a password is in the command's output")
				}
			}
		}

		t.Run("AgainCreate", func(t *testing.T) {
			r := mustRun(t, 1, db, "", "import", "users.csv")
			if l := lastLine(r.stdout); !strings.Contains(l, "0 created") || !strings.Contains(l, "5 failed") {
				t.Errorf("last line %q, want 0 created and 5 failed", l)
			}
			// A second batch of the file never overwrites the first's results.
			if l := lastLine(r.stdout); !strings.Contains(l, "results users.results.2.xlsx") {
				t.Errorf("last line %q, want results in users.results.2.xlsx", l)
			}
			checkOutcomes(t, resultRows(t, "users.results.xlsx"), "Created", "Failed", "Created", "Failed", "Created")
			rows := resultRows(t, "users.results.2.xlsx")
			checkOutcomes(t, rows, "Failed", "Failed", "Failed", "Failed", "Failed")
			for _, i := range []int{0, 2, 4} {
				if !strings.Contains(rows[i][6], "already exists") {
					t.Errorf("Results row %s: message %q, want already exists", rows[i][0], rows[i][6])
				}
			}
			if m, _ := filepath.Glob("users.credentials*.txt"); len(m) != 1 {
				t.Errorf("credentials files %v, want only the first batch's", m)
			}
		})
		t.Run("AgainUpsert", func(t *testing.T) {
			r := mustRun(t, 1, db, "", "import", "--mode", "upsert", "users.csv")
			if l := lastLine(r.stdout); !strings.Contains(l, "3 unchanged") || !strings.Contains(l, "2 failed") {
				t.Errorf("last line %q, want 3 unchanged and 2 failed", l)
			}
			checkOutcomes(t, resultRows(t, "users.results.3.xlsx"), "Unchanged", "Failed", "Unchanged", "Failed", "Unchanged")
		})
		if got, want := listUPNs(t, db, "--all"), append([]string{admin}, goodUPNs...); !slices.Equal(got, sorted(want)) {
			t.Errorf("users %v, want %v", got, sorted(want))
		}
	})
}

// Scenario 9: a dry run changes nothing and gives no notice.
func TestImportDryRun(t *testing.T) {
	eachDB(t, func(t *testing.T, db string) {
		initDemo(t, db)
		writeFile(t, "users.csv", importCSV)
		r := mustRun(t, 1, db, "", "import", "--dry-run", "users.csv")
		if l := lastLine(r.stdout); !strings.Contains(l, "dry run") || !strings.Contains(l, "3 created") || !strings.Contains(l, "2 failed") {
			t.Errorf("last line %q, want a dry run with 3 created and 2 failed", l)
		}
		if l := lastLine(r.stdout); !strings.Contains(l, "results users.dry-run.xlsx") {
			t.Errorf("last line %q, want results in users.dry-run.xlsx", l)
		}
		checkOutcomes(t, resultRows(t, "users.dry-run.xlsx"), "Created", "Failed", "Created", "Failed", "Created")
		if _, err := os.Stat("users.results.xlsx"); err == nil {
			t.Error("a dry run wrote users.results.xlsx")
		}
		if got := listUPNs(t, db, "--all"); !slices.Equal(got, []string{admin}) {
			t.Errorf("users after a dry run: %v, want only %s", got, admin)
		}
		if m, _ := filepath.Glob("*credentials*"); len(m) > 0 {
			t.Errorf("a dry run wrote %v", m)
		}
	})
}

// Scenario 9: files that cannot be imported at all.
func TestImportRejectedFile(t *testing.T) {
	eachDB(t, func(t *testing.T, db string) {
		initDemo(t, db)
		writeFile(t, "photo.csv", "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06\x00\x00\x00\x1f\xf3\xffa")
		writeFile(t, "nocolumn.csv", "First Name,Last Name\nAnn,Lee\n")
		for _, tc := range []struct{ name, file, say string }{
			{"Missing", "nosuch.csv", "nosuch.csv"},
			{"Binary", "photo.csv", ".xlsx"},
			{"NoUserNameColumn", "nocolumn.csv", "User Name"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := mustRun(t, 2, db, "", "import", tc.file)
				if !strings.Contains(r.stderr, tc.say) {
					t.Errorf("stderr %q, want it to mention %q", r.stderr, tc.say)
				}
				if r.stdout != "" {
					t.Errorf("stdout %q, want nothing", r.stdout)
				}
				if m, _ := filepath.Glob("*.results.*"); len(m) > 0 {
					t.Errorf("a rejected import wrote %v", m)
				}
				if m, _ := filepath.Glob("*credentials*"); len(m) > 0 {
					t.Errorf("a rejected import wrote %v", m)
				}
			})
		}
		if got := listUPNs(t, db, "--all"); !slices.Equal(got, []string{admin}) {
			t.Errorf("users after rejected imports: %v, want only %s", got, admin)
		}
	})
}

// credentials returns the UPN → password lines of a credentials notice.
func credentials(t *testing.T, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for line := range strings.Lines(string(b)) {
		line = strings.TrimRight(line, "\r\n")
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		upn, pw, ok := strings.Cut(line, "\t")
		if !ok || pw == "" || strings.Contains(pw, "\t") {
			t.Errorf("%s: line %q is not UPN<TAB>password", path, line)
			continue
		}
		if _, dup := m[upn]; dup {
			t.Errorf("%s: %s twice", path, upn)
		}
		m[upn] = pw
	}
	return m
}

func keys(m map[string]any) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func sortedKeys(m map[string]string) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	sort.Strings(s)
	return s
}

// SPEC §3, newcomer default: with no --db and no userimport.db, import
// creates it with the demo tenant and says so in one line on stderr.
func TestImportNewcomer(t *testing.T) {
	clearEnv(t)
	t.Chdir(t.TempDir())
	writeFile(t, "users.csv", "User Name,First Name,Last Name,Licenses,Usage Location\n"+
		"gina@contoso.com,Gina,Green,ENTERPRISEPACK,US\n")
	r := mustRun(t, 0, "", "", "import", "users.csv")
	if strings.Count(r.stderr, "demo tenant") != 1 || !strings.Contains(r.stderr, "userimport.db") {
		t.Errorf("stderr %q, want one line saying userimport.db was created with the demo tenant", r.stderr)
	}
	if _, err := os.Stat("userimport.db"); err != nil {
		t.Fatalf("userimport.db: %v", err)
	}
	if got := licenseStatus(t, "", "gina@contoso.com", "ENTERPRISEPACK"); got != "assigned" {
		t.Errorf("gina: ENTERPRISEPACK %q, want assigned", got)
	}
	// Now that it exists, the directory is used, not made again.
	r = mustRun(t, 1, "", "", "import", "users.csv")
	if strings.Contains(r.stderr, "demo") {
		t.Errorf("second import: stderr %q, want no new demo tenant", r.stderr)
	}
	if got := listUPNs(t, ""); !slices.Equal(got, []string{admin, "gina@contoso.com"}) {
		t.Errorf("users %v", got)
	}
}
