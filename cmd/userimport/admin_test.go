package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"userimport/importer/sqldb"
	"userimport/internal/pgtest"
)

// runBinary runs the built binary with --db db and args in dir, with stdin,
// and none of the developer's USERIMPORT_ settings.
func runBinary(t *testing.T, dir, db, stdin string, args ...string) result {
	t.Helper()
	c := exec.Command(binary(t), append([]string{"--db", db}, args...)...)
	c.Dir = dir
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "USERIMPORT_") {
			c.Env = append(c.Env, kv)
		}
	}
	c.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	c.Stdout, c.Stderr = &out, &errb
	err := c.Run()
	code := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return result{stdout: out.String(), stderr: errb.String(), code: code}
}

// TestUserAdminCannotTakeOverGlobalAdmin (issue 10, item 3), on the built
// binary: a User admin's set-password, block and delete of the Global
// admin, and an upsert that changes its alternate email address, all fail
// and change nothing; the same on a plain user works.
func TestUserAdminCannotTakeOverGlobalAdmin(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			dir := t.TempDir()
			db := "sqlite:" + filepath.Join(dir, "userimport.db")
			if backend == "postgres" {
				db = pgtest.URL(t)
			}
			ui := func(want int, stdin string, args ...string) result {
				t.Helper()
				r := runBinary(t, dir, db, stdin, args...)
				if r.code != want {
					t.Fatalf("userimport %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, want, r.stdout, r.stderr)
				}
				return r
			}
			password := passwordLine.FindStringSubmatch(ui(0, "", "init", "--demo").stdout)[1]
			os.WriteFile(filepath.Join(dir, "staff.csv"), []byte("User Name,Display Name,Roles\nua@contoso.com,UA,User admin\nplain@contoso.com,Plain,\n"), 0o644)
			ui(0, "", "import", "staff.csv")
			const rule = "only a Global admin may change, block, delete, restore or set the password of a Global admin"
			as := []string{"--as", "ua@contoso.com"}
			for _, args := range [][]string{
				{"user", "set-password", admin},
				{"user", "block", admin},
				{"user", "delete", admin},
			} {
				r := ui(2, "New-Pa55word!\n", append(as, args...)...)
				if !strings.Contains(r.stderr, rule) {
					t.Errorf("%s: stderr %q, want the rule %q", strings.Join(args, " "), r.stderr, rule)
				}
			}
			os.WriteFile(filepath.Join(dir, "takeover.csv"), []byte("User Name,Alternate email address\n"+admin+",attacker@example.com\n"), 0o644)
			ui(1, "", append(as, "import", "takeover.csv", "--mode", "upsert")...)
			res := resultRows(t, filepath.Join(dir, "takeover.results.xlsx"))
			if len(res) != 1 || res[0][3] != "Failed" || !strings.Contains(res[0][6], "Alternate email address: "+rule) {
				t.Errorf("the takeover row: %v, want Failed naming the column and the rule", res)
			}
			var u struct {
				AccountEnabled bool   `json:"accountEnabled"`
				Deleted        bool   `json:"deleted"`
				AlternateEmail string `json:"alternateEmail"`
			}
			if err := json.Unmarshal([]byte(ui(0, "", "user", "show", admin, "--format", "json").stdout), &u); err != nil {
				t.Fatal(err)
			}
			if !u.AccountEnabled || u.Deleted || u.AlternateEmail != "" {
				t.Errorf("the Global admin after the attempts: %+v", u)
			}
			if r := ui(0, password+"\n", "signin", admin); !strings.HasPrefix(r.stdout, "ok") {
				t.Errorf("the Global admin's password changed: %q", r.stdout)
			}
			// The same on a plain user works.
			ui(0, "", append(as, "user", "block", "plain@contoso.com")...)
			ui(0, "", append(as, "user", "delete", "plain@contoso.com")...)
		})
	}
}

// TestLicenseAssignRemoveCommand: license assign and remove, the seat of a
// removed license going to the oldest pending assignment.
func TestLicenseAssignRemoveCommand(t *testing.T) {
	eachDB(t, func(t *testing.T, db string) {
		initDemo(t, db)
		writeFile(t, "people.csv", "User Name,Display Name,Usage Location\na@contoso.com,A,US\nb@contoso.com,B,US\nla@contoso.com,LA,US\n")
		mustRun(t, 0, db, "", "import", "people.csv")
		mustRun(t, 0, db, "", "role", "assign", "la@contoso.com", "License admin")
		mustRun(t, 0, db, "", "license", "set-seats", "SPB", "1")
		as := []string{"--as", "la@contoso.com"}
		if r := mustRun(t, 0, db, "", append(as, "license", "assign", "a@contoso.com", "SPB", "--disabled-apps", "TEAMS1;INTUNE_A")...); !strings.Contains(r.stdout, "SPB assigned") {
			t.Errorf("assign: %q", r.stdout)
		}
		if r := mustRun(t, 0, db, "", append(as, "license", "assign", "b@contoso.com", "Microsoft 365 Business Premium")...); !strings.Contains(r.stdout, "SPB pending") {
			t.Errorf("assign with no seat free: %q", r.stdout)
		}
		u := showUser(t, db, "a@contoso.com")
		if len(u.Licenses) != 1 || strings.Join(sorted(u.Licenses[0].DisabledPlans), ";") != "INTUNE_A;TEAMS1" {
			t.Errorf("a's licenses %+v", u.Licenses)
		}
		mustRun(t, 0, db, "", append(as, "license", "remove", "a@contoso.com", "SPB")...)
		if s := licenseStatus(t, db, "b@contoso.com", "SPB"); s != "assigned" {
			t.Errorf("b's SPB after a's was removed: %q, want assigned", s)
		}
		if s := licenseStatus(t, db, "a@contoso.com", "SPB"); s != "" {
			t.Errorf("a still holds SPB (%s)", s)
		}
		r := mustRun(t, 2, db, "", append(as, "license", "remove", "a@contoso.com", "SPB")...)
		if !strings.Contains(r.stderr, "does not hold SPB") {
			t.Errorf("removing what is not held: %q", r.stderr)
		}
		if r := mustRun(t, 2, db, "", "license", "assign", "b@contoso.com", "NOPE"); !strings.Contains(r.stderr, `no license "NOPE"`) {
			t.Errorf("unknown license: %q", r.stderr)
		}
	})
}

// TestBlockUnblockCommand: a blocked user's sign-in fails; unblocked, it
// works again. A License admin may not block.
func TestBlockUnblockCommand(t *testing.T) {
	eachDB(t, func(t *testing.T, db string) {
		initDemo(t, db)
		writeFile(t, "people.csv", "User Name,Display Name,Password,Require Password Change,Roles\nb@contoso.com,B,Bl0cked-Pass!,No,\nla@contoso.com,LA,,,License admin\n")
		mustRun(t, 0, db, "", "import", "people.csv")
		mustRun(t, 0, db, "", "user", "block", "b@contoso.com")
		if r := signIn(t, db, "b@contoso.com", "Bl0cked-Pass!"); r.code != 1 {
			t.Errorf("blocked sign-in: exit %d %q", r.code, r.stdout)
		}
		if r := mustRun(t, 2, db, "", "--as", "la@contoso.com", "user", "unblock", "b@contoso.com"); !strings.Contains(r.stderr, "may not change users") {
			t.Errorf("License admin unblocks: %q", r.stderr)
		}
		mustRun(t, 0, db, "", "user", "unblock", "b@contoso.com")
		if r := signIn(t, db, "b@contoso.com", "Bl0cked-Pass!"); r.code != 0 || r.stdout != "ok\n" {
			t.Errorf("unblocked sign-in: exit %d %q", r.code, r.stdout)
		}
	})
}

// TestOrgCommand: org show and org set, with their rules; the sign-in URL
// set reaches the notice.
func TestOrgCommand(t *testing.T) {
	eachDB(t, func(t *testing.T, db string) {
		initDemo(t, db)
		for _, tc := range []struct {
			args []string
			text string
		}{
			{[]string{"--password-expiry-days", "7"}, "0 (never) or from 14 to 730"},
			{[]string{"--time-zone", "Europe/Atlantis"}, "IANA"},
			{[]string{"--signin-url", "login.contoso.com"}, "absolute http"},
			{[]string{"--usage-location", "ZZ"}, "--usage-location"},
			{nil, "give at least one"},
		} {
			r := mustRun(t, 2, db, "", append([]string{"org", "set"}, tc.args...)...)
			if !strings.Contains(r.stderr, tc.text) {
				t.Errorf("org set %v: %q, want %q", tc.args, r.stderr, tc.text)
			}
		}
		mustRun(t, 0, db, "", "org", "set", "--name", "Contoso Ltd", "--password-expiry-days", "0",
			"--usage-location", "de", "--signin-url", "https://sso.contoso.com", "--time-zone", "Europe/Berlin")
		var s map[string]any
		decodeJSON(t, mustRun(t, 0, db, "", "org", "show", "--format", "json"), &s)
		want := map[string]any{"name": "Contoso Ltd", "passwordExpiryDays": 0.0, "usageLocation": "DE", "signInUrl": "https://sso.contoso.com", "timeZone": "Europe/Berlin"}
		for k, v := range want {
			if s[k] != v {
				t.Errorf("org show: %s = %v, want %v", k, s[k], v)
			}
		}
		if r := mustRun(t, 0, db, "", "org", "show"); !strings.Contains(r.stdout, "Europe/Berlin") || !strings.Contains(r.stdout, "never") {
			t.Errorf("org show table:\n%s", r.stdout)
		}
		hires(t, "org.csv", 1)
		mustRun(t, 0, db, "", "import", "org.csv")
		if n := mustRead(t, "org.credentials.txt"); !strings.Contains(n, "https://sso.contoso.com") {
			t.Errorf("the notice does not have the sign-in URL set:\n%s", n)
		}
		mustRun(t, 0, db, "", "user", "set-password", "h1@contoso.com")
		if r := mustRun(t, 2, db, "", "--as", "h1@contoso.com", "org", "show"); !strings.Contains(r.stderr, "no admin") {
			t.Errorf("a plain user reads the settings: %q", r.stderr)
		}
	})
}

// TestCommandLineDetails: issue 10, item 22.
func TestCommandLineDetails(t *testing.T) {
	clearEnv(t)
	dir := t.TempDir()
	t.Chdir(dir)
	db := "sqlite:" + filepath.Join(dir, "userimport.db")
	initDemo(t, db)
	t.Run("SetSeatsNegative", func(t *testing.T) {
		r := mustRun(t, 2, db, "", "license", "set-seats", "SPB", "-1")
		if !strings.Contains(r.stderr, "seats must be 0 or more") || strings.Contains(r.stderr, "shorthand") {
			t.Errorf("set-seats SPB -1: %q", r.stderr)
		}
		mustRun(t, 0, db, "", "license", "set-seats", "SPB", "12")
	})
	t.Run("TemplateHelpOneDefault", func(t *testing.T) {
		r := mustRun(t, 0, db, "", "template", "--help")
		for _, line := range strings.Split(r.stdout, "\n") {
			if strings.Contains(line, "--format string") && strings.Count(line, "default") != 1 {
				t.Errorf("template --help: %q says default %d times", line, strings.Count(line, "default"))
			}
		}
		mustRun(t, 0, db, "", "template", "--out", "t.xlsx")
		if b, _ := os.ReadFile("t.xlsx"); !bytes.HasPrefix(b, []byte("PK")) {
			t.Error("template --out t.xlsx is no XLSX")
		}
	})
	t.Run("NotifyWithoutSMTPURL", func(t *testing.T) {
		hires(t, "n.csv", 1)
		r := mustRun(t, 2, db, "", "import", "n.csv", "--notify", "it@contoso.com")
		if strings.Contains(r.stderr, "no scheme") || !strings.Contains(r.stderr, "set USERIMPORT_SMTP_URL=smtp://") {
			t.Errorf("--notify without USERIMPORT_SMTP_URL: %q", r.stderr)
		}
	})
	t.Run("ListCSV", func(t *testing.T) {
		writeFile(t, "evil.csv", "User Name,Display Name\nevil@contoso.com,\"=HYPERLINK(\"\"x\"\"), \"\"a\"\"\"\n")
		mustRun(t, 0, db, "", "import", "evil.csv")
		r := mustRun(t, 0, db, "", "user", "list", "--format", "csv")
		lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
		if lines[0] != "User Name,Display Name,Enabled,Usage Location,Licenses,Roles,Deleted" {
			t.Errorf("CSV header %q", lines[0])
		}
		if !strings.Contains(r.stdout, `evil@contoso.com,"'=HYPERLINK(""x""), ""a""",Yes`) {
			t.Errorf("the formula is not defused, or quoting is off:\n%s", r.stdout)
		}
		r = mustRun(t, 0, db, "", "domain", "list", "--format", "csv")
		if r.stdout != "Domain,Verified\ncontoso.com,Yes\nfabrikam.com,Yes\nnorthwind.example,No\n" {
			t.Errorf("domain list CSV:\n%s", r.stdout)
		}
	})
}

// TestImportPasswordHashes: Google's Password Hash Function column on the
// command line: the old system's password signs in; no notice line; a
// Suspended user cannot sign in.
func TestImportPasswordHashes(t *testing.T) {
	eachDB(t, func(t *testing.T, db string) {
		initDemo(t, db)
		writeFile(t, "google.csv", "First Name [Required],Last Name [Required],Email Address [Required],Password [Required],Password Hash Function [UPLOAD ONLY],Change Password at Next Sign-In,New Status [UPLOAD ONLY]\n"+
			"Ann,A,ann@contoso.com,$1$saltstri$KnFSieJu09tVEV42GQJ8k1,crypt,FALSE,Active\n"+
			"Bob,B,bob@contoso.com,874572e7a5ae6a49466a6ac578b98adba78c6aa6,SHA-1,TRUE,\n"+
			"Cy,C,cy@contoso.com,$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW,crypt,FALSE,Suspended\n"+
			"Di,D,di@contoso.com,5f4dcc3b5aa765d61d8327deb882cf9,MD5,FALSE,\n")
		r := mustRun(t, 1, db, "", "import", "google.csv")
		if strings.Contains(r.stdout, "credentials") {
			t.Errorf("a notice was written for users whose passwords are not ours: %s", r.stdout)
		}
		rows := resultRows(t, "google.results.xlsx")
		if rows[3][3] != "Failed" || !strings.Contains(rows[3][6], "Password: not a valid MD5 hash") {
			t.Errorf("the short MD5 row: %v", rows[3])
		}
		if r := signIn(t, db, "ann@contoso.com", "Tr0ub4dor&3"); r.stdout != "ok\n" {
			t.Errorf("ann (MD5-crypt): %q", r.stdout)
		}
		if r := signIn(t, db, "bob@contoso.com", "Tr0ub4dor&3"); r.stdout != "ok: password change required\n" {
			t.Errorf("bob (SHA-1, change at next sign-in): %q", r.stdout)
		}
		if r := signIn(t, db, "bob@contoso.com", "874572e7a5ae6a49466a6ac578b98adba78c6aa6"); r.code != 1 {
			t.Errorf("bob with the hash as password: %q", r.stdout)
		}
		if r := signIn(t, db, "cy@contoso.com", "U*U"); r.code != 1 {
			t.Errorf("cy is Suspended and signs in: %q", r.stdout)
		}
	})
}

// TestDatabaseUnreachable (issue 10, item 21): a PostgreSQL that cannot be
// reached at start says what to check, exit 3; one that goes away in the
// middle of a batch says so, and that the same command goes on.
func TestDatabaseUnreachable(t *testing.T) {
	t.Run("AtStart", func(t *testing.T) {
		clearEnv(t)
		t.Chdir(t.TempDir())
		r := run(t, "postgres://importer@127.0.0.1:1/directory?sslmode=disable", "", "user", "list")
		if r.code != exitInternal {
			t.Errorf("exit %d, want 3", r.code)
		}
		for _, want := range []string{"127.0.0.1", "port 1", `role "importer"`, `database "directory"`, "sslmode disable"} {
			if !strings.Contains(r.stderr, want) {
				t.Errorf("stderr %q does not say %q", r.stderr, want)
			}
		}
		if strings.Contains(r.stderr, "internal error") {
			t.Errorf("stderr says internal error: %q", r.stderr)
		}
	})
	t.Run("MidBatch", func(t *testing.T) {
		srv, err := pgtest.Start(t.Context())
		if err != nil {
			if os.Getenv(pgtest.RequireEnv) != "require" && errors.Is(err, pgtest.ErrNotInstalled) {
				t.Skip(err)
			}
			t.Fatal(err)
		}
		defer srv.Stop()
		db, err := srv.NewDatabase(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		if r := runBinary(t, dir, db, "", "init", "--demo"); r.code != 0 {
			t.Fatalf("init: %s", r.stderr)
		}
		var b strings.Builder
		b.WriteString("User Name,First Name,Last Name\n")
		for i := 1; i <= 400; i++ {
			fmt.Fprintf(&b, "g%03d@contoso.com,G,N%d\n", i, i)
		}
		os.WriteFile(filepath.Join(dir, "big.csv"), []byte(b.String()), 0o644)
		c := exec.Command(binary(t), "--db", db, "import", "big.csv", "--workers", "1")
		c.Dir = dir
		var errb bytes.Buffer
		c.Stderr = &errb
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		// Wait for rows to be written, then take the database away.
		store, err := sqldb.Open(t.Context(), db)
		if err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(60 * time.Second)
		for {
			us, _ := store.Users(context.Background(), false)
			if len(us) > 5 {
				break
			}
			if time.Now().After(deadline) {
				c.Process.Kill()
				t.Fatalf("no rows written; stderr:\n%s", errb.String())
			}
			time.Sleep(10 * time.Millisecond)
		}
		store.Close()
		srv.Stop()
		err = c.Wait()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != exitInternal {
			t.Fatalf("import after the database went away: %v, want exit 3\n%s", err, errb.String())
		}
		msg := errb.String()
		if !strings.Contains(msg, "the database went away") || !strings.Contains(msg, "run the same command again") {
			t.Errorf("stderr does not say the database went away and how to go on:\n%s", msg)
		}
		if strings.Contains(msg, "error: internal error") || strings.Contains(msg, "driver: bad connection\n") {
			t.Errorf("stderr shows raw driver text as the error:\n%s", msg)
		}
	})
}
