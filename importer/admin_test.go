package importer_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"userimport/importer"
	"userimport/importer/argon2id"
	"userimport/importer/sqldb"
	"userimport/internal/dirtest"
	"userimport/validate"
)

// cheap hashes with the test-only parameters.
var cheap = argon2id.NewHasher(argon2id.InsecureTestParams(), 0)

// importCSV runs a real import of content (a CSV) as actor and returns the
// report and error.
func importCSV(t *testing.T, db *sqldb.DB, actor importer.User, mode, content string) (importer.Report, error) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "people.csv")
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	o := options(t, db, path)
	o.Mode, o.Actor = mode, actor
	return importer.Run(context.Background(), db, o)
}

func mustUser(t *testing.T, db *sqldb.DB, upn string) importer.User {
	t.Helper()
	u, err := db.User(context.Background(), upn)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// staff creates ua (User admin), la (License admin) and plain users, and
// returns them.
func staff(t *testing.T, db *sqldb.DB) (ua, la importer.User) {
	t.Helper()
	_, err := importCSV(t, db, admin(t, db), importer.ModeCreate,
		"User Name,Display Name,Roles,Usage Location\n"+
			"ua@contoso.com,UA,User admin,US\nla@contoso.com,LA,License admin,US\n"+
			"p1@contoso.com,P1,,US\np2@contoso.com,P2,,US\np3@contoso.com,P3,,US\n"+
			"p4@contoso.com,P4,,US\np5@contoso.com,P5,,US\np6@contoso.com,P6,,US\n")
	if err != nil {
		t.Fatal(err)
	}
	return mustUser(t, db, "ua@contoso.com"), mustUser(t, db, "la@contoso.com")
}

func wantCode(t *testing.T, what string, err error, code, text string) {
	t.Helper()
	if importer.ErrorCode(err) != code || !strings.Contains(importer.ErrorMessage(err), text) {
		t.Errorf("%s: %v (code %q), want %s saying %q", what, err, importer.ErrorCode(err), code, text)
	}
}

// TestGlobalAdminProtected: only a Global admin changes, blocks, deletes,
// restores or sets the password of a Global admin (SPEC §2), in the core
// functions the commands call.
func TestGlobalAdminProtected(t *testing.T) {
	dirtest.EachDemo(t, func(t *testing.T, url string, db *sqldb.DB) {
		ctx := context.Background()
		ua, la := staff(t, db)
		const rule = "only a Global admin may change, block, delete, restore or set the password of a Global admin"
		_, err := importer.SetPassword(ctx, db, cheap, ua, "admin@contoso.com", "")
		wantCode(t, "User admin sets the Global admin's password", err, importer.EFORBIDDEN, rule)
		err = importer.BlockSignIn(ctx, db, nil, ua, "admin@contoso.com", true)
		wantCode(t, "User admin blocks the Global admin", err, importer.EFORBIDDEN, rule)
		err = importer.DeleteUser(ctx, db, ua, "admin@contoso.com")
		wantCode(t, "User admin deletes the Global admin", err, importer.EFORBIDDEN, rule)
		if a := mustUser(t, db, "admin@contoso.com"); a.Deleted || !a.AccountEnabled {
			t.Errorf("the Global admin is deleted %v, enabled %v after refused changes", a.Deleted, a.AccountEnabled)
		}
		if r, _ := importer.SignIn(ctx, db, cheap, time.Now(), "admin@contoso.com", dirtest.AdminPassword); r == importer.SignInFailed {
			t.Error("the Global admin's password changed after a refused set-password")
		}
		// A License admin sets no one's password, and changes no admin.
		_, err = importer.SetPassword(ctx, db, cheap, la, "p1@contoso.com", "")
		wantCode(t, "License admin sets a password", err, importer.EFORBIDDEN, "may not set passwords")
		// But a User admin acts on plain users, and on other User admins.
		if pw, err := importer.SetPassword(ctx, db, cheap, ua, "p1@contoso.com", ""); err != nil || pw == "" {
			t.Errorf("User admin sets p1's password: %q, %v", pw, err)
		}
		if err := importer.DeleteUser(ctx, db, ua, "p2@contoso.com"); err != nil {
			t.Errorf("User admin deletes p2: %v", err)
		}
		if err := importer.RestoreUser(ctx, db, ua, "p2@contoso.com"); err != nil {
			t.Errorf("User admin restores p2: %v", err)
		}
		// The Global admin may act on another Global admin.
		if err := db.AssignRole(ctx, "admin@contoso.com", "p3@contoso.com", importer.GlobalAdmin); err != nil {
			t.Fatal(err)
		}
		if err := importer.BlockSignIn(ctx, db, nil, admin(t, db), "p3@contoso.com", true); err != nil {
			t.Errorf("Global admin blocks another Global admin: %v", err)
		}
		if err := importer.DeleteUser(ctx, db, admin(t, db), "p3@contoso.com"); err != nil {
			t.Fatalf("Global admin deletes another Global admin: %v", err)
		}
		err = importer.RestoreUser(ctx, db, ua, "p3@contoso.com")
		wantCode(t, "User admin restores a Global admin", err, importer.EFORBIDDEN, rule)
		if !mustUser(t, db, "p3@contoso.com").Deleted {
			t.Error("a User admin restored a Global admin")
		}
	})
}

// TestGuardAtWrite: the role rule is checked on the users as they are
// when the store writes: an actor whose role was taken after it was read
// is refused.
func TestGuardAtWrite(t *testing.T) {
	dirtest.EachDemo(t, func(t *testing.T, url string, db *sqldb.DB) {
		ctx := context.Background()
		ua, _ := staff(t, db)
		if err := db.RemoveRole(ctx, "admin@contoso.com", "ua@contoso.com", importer.UserAdmin); err != nil {
			t.Fatal(err)
		}
		err := importer.BlockSignIn(ctx, db, nil, ua, "p1@contoso.com", true) // ua as read before
		wantCode(t, "a former User admin blocks p1", err, importer.EFORBIDDEN, "may not change users")
		if !mustUser(t, db, "p1@contoso.com").AccountEnabled {
			t.Error("p1 was blocked by an actor who is no admin any more")
		}
	})
}

// TestUpsertGlobalAdminByUserAdmin: an upsert row that changes the Global
// admin, as a User admin, fails with the rule; the same row for a plain
// user is updated.
func TestUpsertGlobalAdminByUserAdmin(t *testing.T) {
	dirtest.EachDemo(t, func(t *testing.T, url string, db *sqldb.DB) {
		ua, _ := staff(t, db)
		rep, err := importCSV(t, db, ua, importer.ModeUpsert,
			"User Name,Alternate email address\nadmin@contoso.com,evil@example.com\np1@contoso.com,p1@example.com\n")
		var failed *importer.RowsFailedError
		if !errors.As(err, &failed) || failed.Failed != 1 {
			t.Fatalf("upsert: %v, want 1 failed row", err)
		}
		rows := results(t, rep.ResultsPath)
		const rule = "Alternate email address: only a Global admin may change, block, delete, restore or set the password of a Global admin"
		if rows[0]["Outcome"] != "Failed" || !strings.Contains(rows[0]["Message"], rule) {
			t.Errorf("the Global admin's row: %s %q, want Failed naming the rule", rows[0]["Outcome"], rows[0]["Message"])
		}
		if rows[1]["Outcome"] != "Updated" {
			t.Errorf("p1's row: %s %q, want Updated", rows[1]["Outcome"], rows[1]["Message"])
		}
		rep, err = importCSV(t, db, ua, importer.ModeUpsert, "User Name,Block Sign In\nadmin@contoso.com,Yes\n")
		if !errors.As(err, &failed) || failed.Failed != 1 {
			t.Fatalf("upsert that blocks the Global admin: %v, want 1 failed row", err)
		}
		if m := results(t, rep.ResultsPath)[0]["Message"]; !strings.Contains(m, "Block Sign In: only a Global admin") {
			t.Errorf("blocking row: %q", m)
		}
		if a := mustUser(t, db, "admin@contoso.com"); a.AlternateEmail != "" || !a.AccountEnabled {
			t.Errorf("the Global admin has alternate email %q, enabled %v", a.AlternateEmail, a.AccountEnabled)
		}
	})
}

// TestImportedHashes: a Password Hash Function row stores the hash as
// given, writes no notice line, signs in with the old system's password,
// and has its hash replaced by ours at that first sign-in; Suspended
// blocks sign-in.
func TestImportedHashes(t *testing.T) {
	dirtest.EachDemo(t, func(t *testing.T, url string, db *sqldb.DB) {
		ctx := context.Background()
		rep, err := importCSV(t, db, admin(t, db), importer.ModeCreate,
			"User Name,Display Name,Password,Password Hash Function,Status,Require Password Change\n"+
				"md5@contoso.com,M,4ece57a61323b52ccffdbef021956754,MD5,,No\n"+
				"sha@contoso.com,S,874572e7a5ae6a49466a6ac578b98adba78c6aa6,SHA-1,Active,No\n"+
				"crypt@contoso.com,C,$6$saltstring$XikFVg.7EhH1eUDEUpzvo18fWP5xsooAUeVrPgDQF0pycEsAR1KJFDpioiNUhrHfBTxVAip6F1kkOGFYRBADj/,crypt,,No\n"+
				"gone@contoso.com,G,$1$saltstri$KnFSieJu09tVEV42GQJ8k1,crypt,Suspended,No\n"+
				"bad@contoso.com,B,$1$saltstri$KnFSieJu09,crypt,,No\n"+
				"new@contoso.com,N,,,,No\n")
		var failed *importer.RowsFailedError
		if !errors.As(err, &failed) || failed.Failed != 1 {
			t.Fatalf("import: %v, want 1 failed row", err)
		}
		rows := results(t, rep.ResultsPath)
		if !strings.Contains(rows[4]["Message"], "Password: not a valid crypt hash") || strings.Contains(rows[4]["Message"], "KnFSieJu09") {
			t.Errorf("bad hash row message %q", rows[4]["Message"])
		}
		notice, err := os.ReadFile(rep.NoticePath)
		if err != nil {
			t.Fatal(err)
		}
		for _, upn := range []string{"md5@", "sha@", "crypt@", "gone@"} {
			if strings.Contains(string(notice), upn) {
				t.Errorf("the notice has a line for %s, whose password is not ours to know", upn)
			}
		}
		if !strings.Contains(string(notice), "new@contoso.com\t") {
			t.Errorf("the notice has no line for new@contoso.com:\n%s", notice)
		}
		for _, upn := range []string{"md5@contoso.com", "sha@contoso.com", "crypt@contoso.com"} {
			before, _ := db.Credentials(ctx, upn)
			if r, err := importer.SignIn(ctx, db, cheap, time.Now(), upn, "Tr0ub4dor&3x"); r != importer.SignInFailed || err != nil {
				t.Errorf("%s with a wrong password: %v, %v", upn, r, err)
			}
			if r, err := importer.SignIn(ctx, db, cheap, time.Now(), upn, "Tr0ub4dor&3"); r != importer.SignInOK || err != nil {
				t.Errorf("%s with the old system's password: %v, %v; want ok", upn, r, err)
			}
			after, _ := db.Credentials(ctx, upn)
			if !strings.HasPrefix(after.PasswordHash, "$argon2id$") || after.PasswordHash == before.PasswordHash {
				t.Errorf("%s: hash %.12q… after the first sign-in, want our argon2id hash", upn, after.PasswordHash)
			}
			if !after.PasswordSetAt.Equal(before.PasswordSetAt) {
				t.Errorf("%s: the password's set time moved at its rehash", upn)
			}
			if r, _ := importer.SignIn(ctx, db, cheap, time.Now(), upn, "Tr0ub4dor&3"); r != importer.SignInOK {
				t.Errorf("%s: second sign-in %v", upn, r)
			}
		}
		if r, _ := importer.SignIn(ctx, db, cheap, time.Now(), "gone@contoso.com", "Tr0ub4dor&3"); r != importer.SignInFailed {
			t.Errorf("a Suspended user signs in: %v", r)
		}
	})
}

// TestSignInRules: must change, expiry by the clock passed in, blocked,
// wrong and unknown users.
func TestSignInRules(t *testing.T) {
	dirtest.EachDemo(t, func(t *testing.T, url string, db *sqldb.DB) {
		ctx := context.Background()
		staff(t, db)
		const pw = "Given-Pa55word"
		if _, err := importer.SetPassword(ctx, db, cheap, admin(t, db), "p1@contoso.com", pw); err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		if r, _ := importer.SignIn(ctx, db, cheap, now, "p1@contoso.com", pw); r != importer.SignInChangeRequired {
			t.Errorf("after set-password: %v, want change required", r)
		}
		const next = "N3w-Pa55word!"
		if err := importer.ChangePassword(ctx, db, cheap, "p1@contoso.com", pw, "weak"); importer.ErrorCode(err) != importer.EINVALID {
			t.Errorf("a weak new password: %v", err)
		}
		if err := importer.ChangePassword(ctx, db, cheap, "p1@contoso.com", "wrong", next); importer.ErrorCode(err) != importer.EINVALID {
			t.Errorf("a wrong current password: %v", err)
		}
		if err := importer.ChangePassword(ctx, db, cheap, "p1@contoso.com", pw, next); err != nil {
			t.Fatal(err)
		}
		if r, _ := importer.SignIn(ctx, db, cheap, now, "p1@contoso.com", next); r != importer.SignInOK {
			t.Errorf("after passwd: %v, want ok", r)
		}
		if r, _ := importer.SignIn(ctx, db, cheap, now.Add(91*24*time.Hour), "p1@contoso.com", next); r != importer.SignInChangeRequired {
			t.Errorf("91 days later (expiry 90): %v, want change required", r)
		}
		if r, _ := importer.SignIn(ctx, db, cheap, now.Add(89*24*time.Hour), "p1@contoso.com", next); r != importer.SignInOK {
			t.Errorf("89 days later: %v, want ok", r)
		}
		if err := importer.BlockSignIn(ctx, db, nil, admin(t, db), "p1@contoso.com", true); err != nil {
			t.Fatal(err)
		}
		if r, _ := importer.SignIn(ctx, db, cheap, now, "p1@contoso.com", next); r != importer.SignInFailed {
			t.Errorf("blocked: %v, want failed", r)
		}
		if err := importer.BlockSignIn(ctx, db, nil, admin(t, db), "p1@contoso.com", false); err != nil {
			t.Fatal(err)
		}
		if r, _ := importer.SignIn(ctx, db, cheap, now, "p1@contoso.com", next); r != importer.SignInOK {
			t.Errorf("unblocked: %v, want ok", r)
		}
		if r, err := importer.SignIn(ctx, db, cheap, now, "ghost@contoso.com", next); r != importer.SignInFailed || err != nil {
			t.Errorf("unknown user: %v, %v", r, err)
		}
	})
}

type sessions struct{ ended []string }

func (s *sessions) EndSessions(_ context.Context, upn string) error {
	s.ended = append(s.ended, upn)
	return nil
}

// TestBlockEndsSessions: blocking hands the user to the session store;
// unblocking does not.
func TestBlockEndsSessions(t *testing.T) {
	dirtest.EachDemo(t, func(t *testing.T, url string, db *sqldb.DB) {
		ctx := context.Background()
		ua, _ := staff(t, db)
		var s sessions
		if err := importer.BlockSignIn(ctx, db, &s, ua, "p1@contoso.com", true); err != nil {
			t.Fatal(err)
		}
		if err := importer.BlockSignIn(ctx, db, &s, ua, "p1@contoso.com", false); err != nil {
			t.Fatal(err)
		}
		if len(s.ended) != 1 || s.ended[0] != "p1@contoso.com" {
			t.Errorf("sessions ended for %v, want [p1@contoso.com]", s.ended)
		}
		wantCode(t, "block yourself", importer.BlockSignIn(ctx, db, &s, ua, "ua@contoso.com", true), importer.ECONFLICT, "your own")
	})
}

// TestLicenseAssignRemove: seats go in order; a removed license's seat goes
// to the oldest pending assignment; a License admin may do both; apps must
// be plans of the product.
func TestLicenseAssignRemove(t *testing.T) {
	dirtest.EachDemo(t, func(t *testing.T, url string, db *sqldb.DB) {
		ctx := context.Background()
		_, la := staff(t, db)
		// EXCHANGESTANDARD has 5 seats.
		for i, upn := range []string{"p1", "p2", "p3", "p4", "p5", "p6", "ua"} {
			sku, status, err := importer.AssignLicense(ctx, db, la, upn+"@contoso.com", "Exchange Online (Plan 1)", nil)
			want := importer.LicenseAssigned
			if i >= 5 {
				want = importer.LicensePending
			}
			if err != nil || sku != "EXCHANGESTANDARD" || status != want {
				t.Fatalf("assign to %s: %s %s %v, want EXCHANGESTANDARD %s", upn, sku, status, err, want)
			}
		}
		_, _, err := importer.AssignLicense(ctx, db, la, "p1@contoso.com", "EXCHANGESTANDARD", nil)
		wantCode(t, "assign twice", err, importer.ECONFLICT, "already")
		_, _, err = importer.AssignLicense(ctx, db, la, "p1@contoso.com", "SPB", []string{"NOSUCHAPP"})
		wantCode(t, "unknown app", err, importer.EINVALID, "has no app")
		_, _, err = importer.AssignLicense(ctx, db, la, "p1@contoso.com", "NOSUCH", nil)
		wantCode(t, "unknown license", err, importer.ENOTFOUND, "no license")
		if _, _, err := importer.AssignLicense(ctx, db, la, "p1@contoso.com", "SPB", []string{"teams1"}); err != nil {
			t.Fatal(err)
		}
		if ls := mustUser(t, db, "p1@contoso.com").Licenses; len(ls) != 2 || ls[1].SKU != "SPB" || len(ls[1].DisabledPlans) != 1 || ls[1].DisabledPlans[0] != "TEAMS1" {
			t.Errorf("p1's licenses %+v, want SPB with TEAMS1 disabled", ls)
		}

		if _, err := importer.RemoveLicense(ctx, db, la, "p2@contoso.com", "EXCHANGESTANDARD"); err != nil {
			t.Fatal(err)
		}
		status := func(upn string) string {
			for _, l := range mustUser(t, db, upn).Licenses {
				if l.SKU == "EXCHANGESTANDARD" {
					return l.Status
				}
			}
			return ""
		}
		if s6, sua := status("p6@contoso.com"), status("ua@contoso.com"); s6 != importer.LicenseAssigned || sua != importer.LicensePending {
			t.Errorf("after removing p2's: p6 %q (oldest pending), ua %q; want assigned, pending", s6, sua)
		}
		if s := status("p2@contoso.com"); s != "" {
			t.Errorf("p2 still holds EXCHANGESTANDARD (%s)", s)
		}
		// A pending one removed frees no seat.
		if _, err := importer.RemoveLicense(ctx, db, la, "ua@contoso.com", "EXCHANGESTANDARD"); err != nil {
			t.Fatal(err)
		}
		ps, _ := db.Products(ctx)
		for _, p := range ps {
			if p.SKU == "EXCHANGESTANDARD" && (p.Assigned != 5 || p.Pending != 0) {
				t.Errorf("EXCHANGESTANDARD: %d assigned, %d pending; want 5, 0", p.Assigned, p.Pending)
			}
		}
		_, err = importer.RemoveLicense(ctx, db, la, "p2@contoso.com", "EXCHANGESTANDARD")
		wantCode(t, "remove what is not held", err, importer.ENOTFOUND, "does not hold")
		// A plain user is no admin at all.
		_, err = importer.RemoveLicense(ctx, db, mustUser(t, db, "p3@contoso.com"), "p1@contoso.com", "SPB")
		wantCode(t, "a plain user removes a license", err, importer.EFORBIDDEN, "may not assign licenses")
	})
}

// TestInitTenant: the first Global admin's password works and must be
// changed at first sign-in.
func TestInitTenant(t *testing.T) {
	ctx := context.Background()
	db, err := sqldb.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "userimport.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	d, err := importer.NewTenant("Fabrikam", "Fabrikam.COM", "boss")
	if err != nil {
		t.Fatal(err)
	}
	upn, pw, err := importer.InitTenant(ctx, db, cheap, d)
	if err != nil || upn != "boss@fabrikam.com" {
		t.Fatalf("InitTenant = %q, %v", upn, err)
	}
	if r, _ := importer.SignIn(ctx, db, cheap, time.Now(), upn, pw); r != importer.SignInChangeRequired {
		t.Errorf("first sign-in with init's password: %v, want change required", r)
	}
	if _, _, err := importer.InitTenant(ctx, db, cheap, d); importer.ErrorCode(err) != importer.ECONFLICT {
		t.Errorf("a second init: %v, want conflict", err)
	}
	if _, err := importer.NewTenant("X", "not a domain", "admin"); importer.ErrorCode(err) != importer.EINVALID {
		t.Errorf("a bad domain: %v", err)
	}
	if _, err := importer.NewTenant("X", "x.com", ".admin"); importer.ErrorCode(err) != importer.EINVALID {
		t.Errorf("a bad alias: %v", err)
	}
}

// TestSetSettings: the rules of org set, Global admin only.
func TestSetSettings(t *testing.T) {
	dirtest.EachDemo(t, func(t *testing.T, url string, db *sqldb.DB) {
		ctx := context.Background()
		ua, _ := staff(t, db)
		p := func(s string) *string { return &s }
		n := func(i int) *int { return &i }
		_, err := importer.SetSettings(ctx, db, ua, importer.SettingsChange{Name: p("Evil")})
		wantCode(t, "User admin sets the name", err, importer.EFORBIDDEN, "only a Global admin")
		for _, tt := range []struct {
			ch   importer.SettingsChange
			text string
		}{
			{importer.SettingsChange{PasswordExpiryDays: n(7)}, "--password-expiry-days 7"},
			{importer.SettingsChange{PasswordExpiryDays: n(731)}, "from 14 to 730"},
			{importer.SettingsChange{TimeZone: p("Mars/Olympus")}, "IANA"},
			{importer.SettingsChange{TimeZone: p("Local")}, "IANA"},
			{importer.SettingsChange{SignInURL: p("login.contoso.com")}, "absolute http"},
			{importer.SettingsChange{UsageLocation: p("XX")}, "--usage-location"},
			{importer.SettingsChange{Name: p(" ")}, "--name"},
		} {
			_, err := importer.SetSettings(ctx, db, admin(t, db), tt.ch)
			wantCode(t, tt.text, err, importer.EINVALID, tt.text)
		}
		s, err := importer.SetSettings(ctx, db, admin(t, db), importer.SettingsChange{
			Name: p("Contoso Ltd"), PasswordExpiryDays: n(0), UsageLocation: p("de"),
			SignInURL: p("https://sso.contoso.com/start"), TimeZone: p("Europe/Berlin"),
		})
		if err != nil {
			t.Fatal(err)
		}
		got, err := db.Settings(ctx)
		want := importer.Settings{Name: "Contoso Ltd", PasswordExpiryDays: 0, DefaultUsageLocation: "DE",
			SignInURL: "https://sso.contoso.com/start", TimeZone: "Europe/Berlin"}
		if err != nil || got != want || s != want {
			t.Errorf("settings %+v (returned %+v), %v; want %+v", got, s, err, want)
		}
		// A flag not given stays.
		if _, err := importer.SetSettings(ctx, db, admin(t, db), importer.SettingsChange{PasswordExpiryDays: n(30)}); err != nil {
			t.Fatal(err)
		}
		if got, _ := db.Settings(ctx); got.TimeZone != "Europe/Berlin" || got.PasswordExpiryDays != 30 {
			t.Errorf("after a second set: %+v", got)
		}
	})
}

type failingMailer struct{ calls int }

func (m *failingMailer) SendNotice(context.Context, []string, string, []byte) error {
	m.calls++
	return errors.New("connection refused")
}

// TestNotify: the --notify rules, and a failure to mail is a warning.
func TestNotify(t *testing.T) {
	if _, err := importer.NotifyRecipients([]string{"a@x.com", "b@x.com", "c@x.com", "d@x.com", "e@x.com", "f@x.com"}, false); importer.ErrorCode(err) != importer.EINVALID {
		t.Errorf("6 addresses: %v", err)
	}
	if _, err := importer.NotifyRecipients([]string{"not an address"}, false); importer.ErrorCode(err) != importer.EINVALID {
		t.Errorf("a bad address: %v", err)
	}
	if _, err := importer.NotifyRecipients([]string{"a@x.com"}, true); importer.ErrorCode(err) != importer.EINVALID {
		t.Errorf("with --no-passwords: %v", err)
	}
	if to, err := importer.NotifyRecipients([]string{"a@x.com"}, false); err != nil || len(to) != 1 {
		t.Errorf("one address: %v, %v", to, err)
	}
	path := filepath.Join(t.TempDir(), "n.credentials.txt")
	os.WriteFile(path, []byte("# notice\n"), 0o600)
	var m failingMailer
	if importer.MailNotice(context.Background(), &m, zap.NewNop(), []string{"a@x.com"}, importer.Report{NoticePath: path}) || m.calls != 1 {
		t.Errorf("a failing mailer: reported sent, or called %d times", m.calls)
	}
	if importer.MailNotice(context.Background(), &m, zap.NewNop(), []string{"a@x.com"}, importer.Report{}) || m.calls != 1 {
		t.Error("no notice: mailed anyway")
	}
}

// TestActingAdminAndAuthorize: who acts (--as, else init's Global admin),
// and the permissions the commands ask for.
func TestActingAdminAndAuthorize(t *testing.T) {
	dirtest.EachDemo(t, func(t *testing.T, url string, db *sqldb.DB) {
		ctx := context.Background()
		ua, la := staff(t, db)
		if u, err := importer.ActingAdmin(ctx, db, ""); err != nil || u.UserPrincipalName != dirtest.Admin {
			t.Errorf("default actor: %q, %v", u.UserPrincipalName, err)
		}
		if u, err := importer.ActingAdmin(ctx, db, "UA@contoso.com"); err != nil || u.UserPrincipalName != "ua@contoso.com" {
			t.Errorf("--as UA@contoso.com: %q, %v", u.UserPrincipalName, err)
		}
		_, err := importer.ActingAdmin(ctx, db, "p1@contoso.com")
		wantCode(t, "--as a plain user", err, importer.EFORBIDDEN, "is no admin")
		_, err = importer.ActingAdmin(ctx, db, "ghost@contoso.com")
		wantCode(t, "--as nobody", err, importer.EFORBIDDEN, "no such user")
		for _, tt := range []struct {
			actor importer.User
			p     importer.Permission
			text  string // "" allowed
		}{
			{admin(t, db), importer.GlobalAdminOnly("add domains"), ""},
			{ua, importer.GlobalAdminOnly("add domains"), "only a Global admin may add domains (ua@contoso.com is User admin)"},
			{ua, importer.Allows(validate.CreateUser), ""},
			{la, importer.Allows(validate.CreateUser), "la@contoso.com (License admin) may not create users"},
			{la, importer.Allows(validate.AssignLicense), ""},
			{la, importer.AnyAdmin(), ""},
			{mustUser(t, db, "p1@contoso.com"), importer.AnyAdmin(), "is no admin"},
		} {
			err := importer.Authorize(tt.actor, tt.p)
			if tt.text == "" && err != nil || tt.text != "" && (importer.ErrorCode(err) != importer.EFORBIDDEN || !strings.Contains(err.Error(), tt.text)) {
				t.Errorf("Authorize(%s, %+v) = %v, want %q", tt.actor.UserPrincipalName, tt.p, err, tt.text)
			}
		}
	})
}

// TestAssignLicenseConcurrent: assignments at once, on separate
// connections, never take more seats than there are; the rest wait.
func TestAssignLicenseConcurrent(t *testing.T) {
	dirtest.EachDemo(t, func(t *testing.T, url string, db *sqldb.DB) {
		ctx := context.Background()
		_, la := staff(t, db)
		if err := db.SetSeats(ctx, "admin@contoso.com", "SPB", 3); err != nil {
			t.Fatal(err)
		}
		// A second store for half of them: another process's connections.
		other, err := sqldb.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer other.Close()
		upns := []string{"p1", "p2", "p3", "p4", "p5", "p6", "ua", "la"}
		statuses := make(chan string, len(upns))
		errs := make(chan error, len(upns))
		start := make(chan struct{})
		for i, upn := range upns {
			store := db
			if i%2 == 1 {
				store = other
			}
			go func() {
				<-start
				_, s, err := importer.AssignLicense(ctx, store, la, upn+"@contoso.com", "SPB", nil)
				statuses <- s
				errs <- err
			}()
		}
		close(start)
		n := map[string]int{}
		for range upns {
			if err := <-errs; err != nil {
				t.Error(err)
			}
			n[<-statuses]++
		}
		if n[importer.LicenseAssigned] != 3 || n[importer.LicensePending] != 5 {
			t.Errorf("statuses %v, want 3 assigned, 5 pending", n)
		}
		ps, _ := db.Products(ctx)
		for _, p := range ps {
			if p.SKU == "SPB" && (p.Assigned != 3 || p.Pending != 5) {
				t.Errorf("SPB: %d assigned, %d pending; want 3, 5", p.Assigned, p.Pending)
			}
		}
	})
}
