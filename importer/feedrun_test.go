package importer_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/xuri/excelize/v2"

	"userimport/importer"
	"userimport/importer/sheet"
	"userimport/importer/sqldb"
	"userimport/internal/dirtest"
	"userimport/report"
)

// mailbox is a real SMTP server on the loopback interface that keeps what
// it is sent.
type mailbox struct {
	mu   sync.Mutex
	msgs []mail
	addr string
}

type mail struct {
	to   []string
	data string
}

func startMailbox(t *testing.T) *mailbox {
	t.Helper()
	mb := &mailbox{}
	s := smtp.NewServer(mb)
	s.Domain = "localhost"
	s.ReadTimeout, s.WriteTimeout = 10*time.Second, 10*time.Second
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Skipf("cannot listen: %v", err)
	}
	mb.addr = l.Addr().String()
	go func() { _ = s.Serve(l) }()
	t.Cleanup(func() { _ = s.Close() })
	return mb
}

func (mb *mailbox) NewSession(*smtp.Conn) (smtp.Session, error) { return &mailSession{mb: mb}, nil }

func (mb *mailbox) messages() []mail {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	return append([]mail(nil), mb.msgs...)
}

type mailSession struct {
	mb  *mailbox
	msg mail
}

func (s *mailSession) Reset()                               { s.msg = mail{} }
func (s *mailSession) Logout() error                        { return nil }
func (s *mailSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *mailSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.msg.to = append(s.msg.to, to)
	return nil
}
func (s *mailSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.msg.data = string(b)
	s.mb.mu.Lock()
	s.mb.msgs = append(s.mb.msgs, s.msg)
	s.mb.mu.Unlock()
	return nil
}

// clock is the time the tests pass in; they move it, never sleep.
type clock struct{ t time.Time }

func (c *clock) now() time.Time       { return c.t }
func (c *clock) add(d time.Duration)  { c.t = c.t.Add(d) }
func newClock() *clock                { return &clock{time.Date(2026, 12, 1, 2, 30, 0, 0, time.UTC)} }
func (c *clock) days(n int) time.Time { return c.t.AddDate(0, 0, n) }
func (mb *mailbox) url() string       { return "smtp://" + mb.addr }

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// feedRun is a real run's wiring: the real reader with the feed's mapping,
// real outputs, cheap hashing, the test's clock and mailbox.
func feedRun(t testing.TB, f importer.Feed, path string, c *clock, mb *mailbox) importer.FeedRun {
	fr := importer.FeedRun{
		Feed: f, Path: path, OutDir: filepath.Dir(path), Workers: 2,
		Open: func(p string) (importer.RowSource, error) {
			return sheet.Open(p, sheet.Options{Rename: f.Rename(), UserNameOptional: true})
		},
		Hasher: cheap, Outputs: report.Outputs(), Now: c.now,
	}
	if mb != nil {
		cfg, err := report.ParseSMTPURL(mb.url())
		must(t, err)
		m := report.Mailer{Config: cfg}
		fr.Mail = func(ctx context.Context, to []string, subject, body string) error {
			return m.SendNotice(ctx, to, subject, []byte(body))
		}
	}
	return fr
}

// applyNight runs feed f on a night of people written in dir as name, and
// returns the feed as the directory then holds it (its last run and rows).
func applyNight(t *testing.T, db *sqldb.DB, f importer.Feed, c *clock, dir, name string, ps []person) importer.Feed {
	t.Helper()
	_, err := importer.RunFeed(context.Background(), db, db, feedRun(t, f, writeNight(t, dir, name, ps), c, nil))
	must(t, err)
	f, err = db.Feed(context.Background(), f.Name)
	must(t, err)
	return f
}

// person is one employee of a night's file.
type person struct {
	id, first, last, dept, license, status, start string
}

const nightHeader = "WorkerID,FirstName,LastName,Department,Licenses,WorkerStatus,Usage Location,HireDate"

func writeNight(t *testing.T, dir, name string, people []person) string {
	t.Helper()
	var b strings.Builder
	b.WriteString(nightHeader + "\n")
	for _, p := range people {
		status := p.status
		if status == "" {
			status = "Active"
		}
		fmt.Fprintf(&b, "%s,%s,%s,%s,%s,%s,DE,%s\n", p.id, p.first, p.last, p.dept, p.license, status, p.start)
	}
	path := filepath.Join(dir, name)
	must(t, os.WriteFile(path, []byte(b.String()), 0o644))
	return path
}

func sheetRows(t *testing.T, path, name string) []map[string]string {
	t.Helper()
	f, err := excelize.OpenFile(path)
	must(t, err)
	defer f.Close()
	rows, err := f.GetRows(name)
	must(t, err)
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

// auditedIn checks that the audit log has an entry of action naming
// target under the batch: what a feed's run did before its import (its
// leavers, rehires, adoptions) is the batch's, as the import's rows are.
func auditedIn(t *testing.T, db *sqldb.DB, action, target, batchID string) {
	t.Helper()
	es, err := db.Audit(context.Background())
	must(t, err)
	for _, e := range es {
		if e.Action == action && strings.Contains(e.Target, target) {
			if e.BatchID != batchID {
				t.Errorf("audit %q of %s: batch %q, want the run's batch %q", action, target, e.BatchID, batchID)
			}
			return
		}
	}
	t.Errorf("no audit entry %q of %s", action, target)
}

func summaryOf(t *testing.T, path string) map[string]string {
	out := map[string]string{}
	for _, r := range sheetRows(t, path, "Summary") {
		out[r["Item"]] = r["Value"]
	}
	return out
}

func byUPN(t *testing.T, db *sqldb.DB, upn string) importer.User {
	t.Helper()
	u, err := db.User(context.Background(), upn)
	if err != nil {
		t.Fatalf("user %s: %v", upn, err)
	}
	return u
}

func hrFeed(t *testing.T, db *sqldb.DB, dir string) importer.Feed {
	t.Helper()
	f := importer.NewFeed("hr")
	f.Dir = dir
	f.Map, _ = importer.ParseMap("Employee ID=WorkerID;First Name=FirstName;Last Name=LastName;Start Date=HireDate")
	f.StatusColumn, f.LeaverValues = "WorkerStatus", []string{"Terminated", "Inactive"}
	f.UPN, f.Domain = "{first}.{last}", "contoso.com"
	f.NoPasswords = true
	f.DeleteAfter = 7
	f.Notify = []string{"hr-ops@contoso.com"}
	must(t, importer.AddFeed(context.Background(), db, admin(t, db), f))
	got, err := db.Feed(context.Background(), "hr")
	must(t, err)
	return got
}

// TestJoinerNeverTakesAUserByName: a sync feed matches people by Employee
// ID only. A joiner whose User Name belongs to a user made by hand (with
// another Employee ID, or none) fails alone, saying so; that user is left
// as it was, and is not the feed's. A joiner whose name --upn can make
// nothing of gets the Employee ID as user name.
func TestJoinerNeverTakesAUserByName(t *testing.T) {
	dirtest.EachDemo(t, func(t *testing.T, url string, db *sqldb.DB) {
		ctx := context.Background()
		c := newClock()
		_, err := importCSV(t, db, admin(t, db), importer.ModeCreate,
			"User Name,Display Name,Employee ID,Office Phone\n"+
				"mette.sorensen@contoso.com,Mette Sørensen,E2012,+45 1111\n"+
				"no.id@contoso.com,No Id,,+45 2222\n")
		must(t, err)
		dir := t.TempDir()
		f := hrFeed(t, db, dir)
		path := filepath.Join(dir, "night1.csv")
		must(t, os.WriteFile(path, []byte("WorkerID,FirstName,LastName,User Name,Office Phone,WorkerStatus,HireDate\n"+
			"D0001,Mette,Sorensen,mette.sorensen@contoso.com,+45 9999,Active,\n"+
			"D0002,No,Id,no.id@contoso.com,+45 9999,Active,\n"+
			"D0003,New,Person,new.person@contoso.com,+45 9999,Active,\n"+
			"D0004,敏,张,,+86 9999,Active,\n"), 0o644))
		rep, err := importer.RunFeed(ctx, db, db, feedRun(t, f, path, c, nil))
		if !isRowsFailedErr(err) {
			t.Fatalf("run: %v, want two rows failed", err)
		}
		if s := rep.Summary; s.Created != 2 || s.Updated != 0 || s.Failed != 2 {
			t.Errorf("summary: %d created, %d updated, %d failed; want 2, 0, 2", s.Created, s.Updated, s.Failed)
		}
		res := sheetRows(t, rep.ResultsPath, "Results")
		for i, want := range []string{"Employee ID: E2012", "Employee ID: none"} {
			m := res[i]["Message"]
			if res[i]["Outcome"] != "Failed" || !strings.Contains(m, "User Name") || !strings.Contains(m, "already taken by another user ("+want+")") ||
				!strings.Contains(m, "never by name") {
				t.Errorf("row %d: %s %q, want Failed naming the column, the value and the rule", i+2, res[i]["Outcome"], m)
			}
		}
		for upn, want := range map[string]string{"mette.sorensen@contoso.com": "E2012", "no.id@contoso.com": ""} {
			u := byUPN(t, db, upn)
			if u.Source == f.Source() || u.EmployeeID != want || u.OfficePhone == "+45 9999" {
				t.Errorf("%s was taken by the feed: source %s, Employee ID %q, phone %s", upn, u.Source, u.EmployeeID, u.OfficePhone)
			}
		}
		if u := byUPN(t, db, "new.person@contoso.com"); u.Source != f.Source() || u.EmployeeID != "D0003" {
			t.Errorf("the joiner: %+v", u)
		}
		// A name of which --upn can use no letter: the Employee ID.
		if res[3]["User Name"] != "d0004@contoso.com" || !strings.Contains(res[3]["Message"], "made from the Employee ID") {
			t.Errorf("the joiner named in Chinese: %s, %q; want d0004@contoso.com, saying why", res[3]["User Name"], res[3]["Message"])
		}
	})
}

// TestThreeNights is issue 14's story. Night 1 creates 1,000 employees;
// night 2 has 20 leavers (18 gone from the file, 2 terminated in it), 30
// movers (department; 10 also a new last name, user name kept), 25
// joiners (anna.berg and anna.berg2; Müller → muller); the morning after,
// 2 of the leavers are rehired (and, with --fold de, a new Müller is
// mueller); night 3, truncated to 400 rows, is held with an email and
// nothing written, and approving it applies it. A user made by hand is
// never disabled; one whose Employee ID is in the file becomes the feed's.
// The leavers' seats are freed by housekeeping once --delete-after days
// have passed, and go to the pending assignments, oldest first.
func TestThreeNights(t *testing.T) {
	dirtest.EachDemo(t, func(t *testing.T, url string, db *sqldb.DB) {
		ctx := context.Background()
		c := newClock()
		mb := startMailbox(t)
		dir := t.TempDir()
		db = db.At(c.now)
		must(t, db.SetSeats(ctx, dirtest.Admin, "ENTERPRISEPACK", 25))

		// By hand: one user the files never name, one they do (E0999), and
		// one who waits for an E3 seat since before the feed.
		_, err := importCSV(t, db, admin(t, db), importer.ModeCreate,
			"User Name,Display Name,Employee ID,Usage Location,Licenses\n"+
				"hand.made@contoso.com,Hand Made,HAND1,DE,\n"+
				"pre.existing@contoso.com,Pre Existing,E0999,DE,\n")
		must(t, err)

		var night1 []person
		for i := 1; i <= 1000; i++ {
			p := person{id: fmt.Sprintf("E%04d", i), first: "Emp", last: fmt.Sprintf("N%04d", i), dept: "Sales"}
			if i <= 2 || (i >= 21 && i <= 43) { // 25 seats: two leavers-to-be hold one each
				p.license = "ENTERPRISEPACK"
			}
			night1 = append(night1, p)
		}
		f := hrFeed(t, db, dir)
		rep, err := importer.RunFeed(ctx, db, db, feedRun(t, f, writeNight(t, dir, "night1.csv", night1), c, mb))
		must(t, err)
		if s := rep.Summary; s.Created != 999 || s.Updated+s.Unchanged != 1 || s.Disabled != 0 || s.Failed != 0 {
			t.Fatalf("night 1: %+v", s)
		}
		if u := byUPN(t, db, "emp.n0001@contoso.com"); u.Source != "feed:hr" || !u.AccountEnabled || u.EmployeeID != "E0001" {
			t.Errorf("night 1 user: %+v", u)
		}
		pre := byUPN(t, db, "pre.existing@contoso.com")
		if pre.Source != "feed:hr" {
			t.Errorf("pre.existing's source = %q, want feed:hr", pre.Source)
		}
		auditedIn(t, db, "feed adopt", "pre.existing@contoso.com", rep.Summary.BatchID)
		res1 := sheetRows(t, rep.ResultsPath, "Results")
		if m := res1[998]["Message"]; !strings.Contains(m, "now a user of feed hr (before: created by hand)") {
			t.Errorf("row of E0999: %v", res1[998])
		}
		// A waiting E3 request, older than night 2's joiners.
		_, err = importCSV(t, db, admin(t, db), importer.ModeCreate, "User Name,Display Name,Usage Location,Licenses\nwaiting@contoso.com,Waiting,DE,ENTERPRISEPACK\n")
		must(t, err)
		if got := licenseOf(t, db, "waiting@contoso.com", "ENTERPRISEPACK"); got != importer.LicensePending {
			t.Fatalf("waiting's E3 is %s", got)
		}

		// Night 2.
		c.add(24 * time.Hour)
		var night2 []person
		for i, p := range night1 {
			n := i + 1
			switch {
			case n <= 18:
				continue // gone
			case n <= 20:
				p.status = "Terminated"
			case n >= 101 && n <= 130:
				p.dept = "Engineering"
				if n <= 110 {
					p.last = "Married" + p.last
				}
			}
			night2 = append(night2, p)
		}
		joiners := []person{
			{id: "J001", first: "Anna", last: "Berg", dept: "Legal", license: "ENTERPRISEPACK"},
			{id: "J002", first: "Anna", last: "Berg", dept: "Legal", license: "ENTERPRISEPACK"},
			{id: "J003", first: "Hans", last: "Müller", dept: "Legal", license: "ENTERPRISEPACK"},
		}
		for i := 4; i <= 25; i++ {
			joiners = append(joiners, person{id: fmt.Sprintf("J%03d", i), first: "New", last: fmt.Sprintf("Joiner%02d", i), dept: "Legal"})
		}
		night2 = append(night2, joiners...)
		rep, err = importer.RunFeed(ctx, db, db, feedRun(t, f, writeNight(t, dir, "night2.csv", night2), c, mb))
		must(t, err)
		s := rep.Summary
		if s.Created != 25 || s.Updated != 30 || s.Disabled != 20 || s.Restored != 0 || s.Failed != 0 {
			t.Errorf("night 2: created %d updated %d disabled %d restored %d failed %d", s.Created, s.Updated, s.Disabled, s.Restored, s.Failed)
		}
		for _, upn := range []string{"anna.berg@contoso.com", "anna.berg2@contoso.com", "hans.muller@contoso.com"} {
			if u := byUPN(t, db, upn); u.Source != "feed:hr" || !u.AccountEnabled {
				t.Errorf("joiner %s: %+v", upn, u)
			}
		}
		moved := byUPN(t, db, "emp.n0105@contoso.com")
		if moved.Department != "Engineering" || moved.LastName != "MarriedN0105" {
			t.Errorf("mover: %+v", moved)
		}
		for _, upn := range []string{"emp.n0001@contoso.com", "emp.n0019@contoso.com"} {
			if u := byUPN(t, db, upn); u.AccountEnabled || u.Deleted {
				t.Errorf("leaver %s: enabled %t, deleted %t; want disabled, not deleted", upn, u.AccountEnabled, u.Deleted)
			}
		}
		if u := byUPN(t, db, "hand.made@contoso.com"); !u.AccountEnabled {
			t.Error("a user made by hand was disabled by the feed")
		}
		auditedIn(t, db, "feed disable", "emp.n0001@contoso.com", rep.Summary.BatchID)
		leavers := sheetRows(t, rep.ResultsPath, "Leavers")
		if len(leavers) != 20 || leavers[0]["User Name"] != "emp.n0001@contoso.com" || leavers[0]["Outcome"] != "Disabled" ||
			leavers[0]["Employee ID"] != "E0001" || leavers[0]["Display Name"] != "Emp N0001" {
			t.Errorf("Leavers sheet: %d lines, first %v", len(leavers), leavers[0])
		}
		sum := summaryOf(t, rep.ResultsPath)
		if sum["Mode"] != "sync" || sum["Disabled"] != "20" || sum["Restored"] != "0" || sum["Deleted"] != "0" {
			t.Errorf("Summary: %v", sum)
		}
		res2 := sheetRows(t, rep.ResultsPath, "Results")
		outcomes := map[string]string{}
		for _, r := range res2 {
			outcomes[r["User Name"]] = r["Outcome"] + " " + r["Message"]
		}
		if o := outcomes["emp.n0019@contoso.com"]; !strings.HasPrefix(o, "Disabled ") || !strings.Contains(o, "Terminated") {
			t.Errorf("terminated row: %q", o)
		}
		if o := outcomes["emp.n0105@contoso.com"]; !strings.HasPrefix(o, "Updated ") || !strings.Contains(o, "Last Name") {
			t.Errorf("mover row: %q", o)
		}
		// The joiners asked for E3, and no seat is free: they wait.
		if got := licenseOf(t, db, "anna.berg@contoso.com", "ENTERPRISEPACK"); got != importer.LicensePending {
			t.Errorf("anna.berg's E3: %s", got)
		}

		// The morning after: two leavers are rehired; a German Müller.
		c.add(6 * time.Hour)
		f, err = importer.SetFeed(ctx, db, admin(t, db), "hr", func(f *importer.Feed) { f.Fold = "de" })
		must(t, err)
		morning := append(append([]person(nil), night2...), night1[0], night1[1],
			person{id: "J026", first: "Eva", last: "Müller", dept: "Legal"})
		for i := range morning {
			if morning[i].status == "Terminated" {
				morning[i].status = "Inactive" // still gone: no rehire
			}
		}
		rep, err = importer.RunFeed(ctx, db, db, feedRun(t, f, writeNight(t, dir, "night2b.csv", morning), c, mb))
		must(t, err)
		if s := rep.Summary; s.Restored != 2 || s.Created != 1 || s.Disabled != 0 {
			t.Errorf("rehires: restored %d created %d disabled %d", s.Restored, s.Created, s.Disabled)
		}
		if u := byUPN(t, db, "emp.n0001@contoso.com"); !u.AccountEnabled {
			t.Error("the rehire is still blocked")
		}
		auditedIn(t, db, "feed rehire", "emp.n0001@contoso.com", rep.Summary.BatchID)
		if u := byUPN(t, db, "eva.mueller@contoso.com"); u.EmployeeID != "J026" {
			t.Errorf("eva.mueller: %+v", u)
		}

		// Night 3: truncated. Held, nothing written, an email.
		c.add(18 * time.Hour)
		rep, err = importer.RunFeed(ctx, db, db, feedRun(t, f, writeNight(t, dir, "night3.csv", morning[:400]), c, mb))
		must(t, err)
		if rep.Held == nil {
			t.Fatalf("night 3 was not held: %+v", rep.Summary)
		}
		if u := byUPN(t, db, "emp.n0998@contoso.com"); !u.AccountEnabled {
			t.Fatal("a held run disabled a user")
		}
		msgs := mb.messages()
		if len(msgs) != 1 || msgs[0].to[0] != "hr-ops@contoso.com" ||
			!strings.Contains(msgs[0].data, "userimport batch approve "+rep.Held.BatchID) || !strings.Contains(msgs[0].data, "400") {
			t.Fatalf("hold email: %+v", msgs)
		}
		// Approving plans the file again, against the directory as it is
		// now.
		approve := feedRun(t, f, "", c, mb)
		approve.OutDir = dir
		arep, err := importer.ApproveHeld(ctx, db, db, admin(t, db), rep.Held.BatchID, approve)
		must(t, err)
		if arep.Summary.Disabled < 600 || arep.Held != nil {
			t.Errorf("approved night 3: %+v", arep.Summary)
		}
		if u := byUPN(t, db, "emp.n0998@contoso.com"); u.AccountEnabled {
			t.Error("approved night 3 did not disable emp.n0999")
		}
		if u := byUPN(t, db, "emp.n0300@contoso.com"); !u.AccountEnabled {
			t.Error("approved night 3 disabled emp.n0300, who is in it")
		}
		if u := byUPN(t, db, "hand.made@contoso.com"); !u.AccountEnabled {
			t.Error("a user made by hand was disabled by the feed")
		}
		_, err = db.HeldBatch(ctx, rep.Held.BatchID)
		wantCode(t, "approve twice", err, importer.ECONFLICT, "not held")

		// Two more wait for an E3 seat, after "waiting".
		_, err = importCSV(t, db, admin(t, db), importer.ModeCreate, "User Name,Display Name,Usage Location,Licenses\n"+
			"later1@contoso.com,Later 1,DE,ENTERPRISEPACK\nlater2@contoso.com,Later 2,DE,ENTERPRISEPACK\n")
		must(t, err)

		// Housekeeping: leavers go after 7 days, with their seats, which go
		// to the oldest pending assignments first.
		chores, err := importer.Housekeep(ctx, db, c.days(3))
		must(t, err)
		if chores.Deleted != 0 {
			t.Errorf("housekeeping deleted %d leavers before their time", chores.Deleted)
		}
		c.t = c.days(8)
		chores, err = importer.Housekeep(ctx, db, c.t)
		must(t, err)
		if chores.Deleted < 18 {
			t.Errorf("housekeeping deleted %d", chores.Deleted)
		}
		if u := byUPN(t, db, "emp.n0002@contoso.com"); !u.Deleted {
			t.Error("leaver emp.n0002 not deleted after 7 days")
		}
		// The E3 seats freed are emp.n0001's and emp.n0002's (night 3's
		// leavers; E0021–E0043 are in night 3): the two oldest waiting
		// assignments get them. The joiners' waiting ones went with them.
		for upn, want := range map[string]string{"waiting@contoso.com": importer.LicenseAssigned,
			"later1@contoso.com": importer.LicenseAssigned, "later2@contoso.com": importer.LicensePending} {
			if got := licenseOf(t, db, upn, "ENTERPRISEPACK"); got != want {
				t.Errorf("%s's E3 after housekeeping: %s, want %s", upn, got, want)
			}
		}
		c.t = c.days(31)
		chores, err = importer.Housekeep(ctx, db, c.t)
		must(t, err)
		if chores.Purged == 0 {
			t.Error("housekeeping purged no user deleted more than 30 days ago")
		}
		if _, err := db.User(ctx, "emp.n0002@contoso.com"); importer.ErrorCode(err) != importer.ENOTFOUND {
			t.Errorf("purged user: %v", err)
		}
	})
}

// csv2scimMap is the --map the README gives for files in the format of
// Microsoft's CSV2SCIM sample (Entra API-driven inbound provisioning).
const csv2scimMap = "Employee ID=WorkerID;User Name=UserID;First Name=FirstName;Last Name=LastName;Display Name=FullName;" +
	"Job Title=JobTitle;Department=Department;Address=StreetAddress;City=City;ZIP or Postal Code=ZipCode;" +
	"Country or Region=CountryCode;Mobile Phone=PrivatePhone;Start Date=HireDate"

// TestCSV2SCIM: a file in the format of Microsoft's CSV2SCIM sample is
// imported with the README's --map: inactive workers are not created, a
// future starter beyond --prehire waits, one within it is created blocked
// and enabled by housekeeping on its start date in the organization's
// time zone.
func TestCSV2SCIM(t *testing.T) {
	dirtest.EachDemo(t, func(t *testing.T, url string, db *sqldb.DB) {
		ctx := context.Background()
		c := newClock() // 2026-12-01 02:30 UTC
		db = db.At(c.now)
		s, err := db.Settings(ctx)
		must(t, err)
		s.TimeZone = "Europe/Berlin"
		must(t, db.SetSettings(ctx, dirtest.Admin, s))
		dir := t.TempDir()
		f := importer.NewFeed("workday")
		f.Dir = dir
		f.Map, err = importer.ParseMap(csv2scimMap)
		must(t, err)
		f.StatusColumn, f.LeaverValues, f.Domain, f.NoPasswords = "WorkerStatus", []string{"Inactive"}, "contoso.com", true
		must(t, importer.AddFeed(ctx, db, admin(t, db), f))
		f, err = db.Feed(ctx, "workday")
		must(t, err)
		csv := "WorkerID,WorkerStatus,WorkerType,UserID,FirstName,LastName,FullName,Email,JobTitle,Department,Company,ManagerID,StreetAddress,City,ZipCode,CountryCode,PrivatePhone,HireDate\n" +
			"21001,Active,Employee,andy.kinsley,Andy,Kinsley,Andy Kinsley,andy@example.org,Engineer,R&D,Contoso,,1 Main St,Seattle,98101,US,+1 206 555 0100,2020-01-15\n" +
			"21002,Active,Contractor,bea.lind,Béa,Lind,Béa Lind,,Analyst,Finance,Contoso,21001,2 Main St,Seattle,98101,US,,2021-03-01\n" +
			"21003,Inactive,Employee,carl.old,Carl,Old,Carl Old,,Clerk,Finance,Contoso,21001,,Seattle,98101,US,,2010-01-01\n" +
			"21004,Active,Employee,dana.soon,Dana,Soon,Dana Soon,,Clerk,Finance,Contoso,21001,,Seattle,98101,US,," + c.date(5) + "\n" +
			"21005,Active,Employee,eve.later,Eve,Later,Eve Later,,Clerk,Finance,Contoso,21001,,Seattle,98101,US,," + c.date(40) + "\n"
		path := filepath.Join(dir, "WorkdayExport.csv")
		must(t, os.WriteFile(path, []byte(csv), 0o644))
		rep, err := importer.RunFeed(ctx, db, db, feedRun(t, f, path, c, nil))
		must(t, err)
		if rep.Summary.Created != 3 || rep.Summary.Failed != 0 {
			t.Fatalf("CSV2SCIM file: %+v", rep.Summary)
		}
		andy := byUPN(t, db, "andy.kinsley@contoso.com")
		if andy.EmployeeID != "21001" || andy.DisplayName != "Andy Kinsley" || andy.Department != "R&D" || andy.UsageLocation != "US" || !andy.AccountEnabled {
			t.Errorf("andy: %+v", andy)
		}
		res := sheetRows(t, rep.ResultsPath, "Results")
		if res[2]["Outcome"] != "Unchanged" || !strings.Contains(res[2]["Message"], "not created") {
			t.Errorf("inactive worker: %v", res[2])
		}
		if res[4]["Outcome"] != "Unchanged" || !strings.Contains(res[4]["Message"], "starts on "+c.date(40)) {
			t.Errorf("starter beyond --prehire: %v", res[4])
		}
		dana := byUPN(t, db, "dana.soon@contoso.com")
		if dana.AccountEnabled {
			t.Fatal("a future starter can sign in before the start date")
		}
		berlin, _ := time.LoadLocation("Europe/Berlin")
		start, _ := time.ParseInLocation(time.DateOnly, c.date(5), berlin)
		_, err = importer.Housekeep(ctx, db, start.Add(-time.Minute))
		must(t, err)
		if byUPN(t, db, "dana.soon@contoso.com").AccountEnabled {
			t.Error("enabled a minute before midnight in Berlin")
		}
		_, err = importer.Housekeep(ctx, db, start.Add(time.Minute))
		must(t, err)
		if !byUPN(t, db, "dana.soon@contoso.com").AccountEnabled {
			t.Error("not enabled on the start date")
		}
	})
}

// TestFeedSafeguards: a dry run changes nothing and shows the leavers; a
// file with fewer than --min-rows rows is held; a file that lost a mapped
// column is rejected before anything is written.
func TestFeedSafeguards(t *testing.T) {
	dirtest.EachDemo(t, func(t *testing.T, url string, db *sqldb.DB) {
		ctx := context.Background()
		c := newClock()
		dir := t.TempDir()
		f := applyNight(t, db, hrFeed(t, db, dir), c, dir, "n1.csv", people(1, 50))

		dry := feedRun(t, f, writeNight(t, dir, "n2.csv", people(1, 45)), c, nil)
		dry.DryRun = true
		rep, err := importer.RunFeed(ctx, db, db, dry)
		must(t, err)
		if rep.Summary.Disabled != 5 || len(sheetRows(t, rep.ResultsPath, "Leavers")) != 5 || !strings.HasSuffix(rep.ResultsPath, "n2.dry-run.xlsx") {
			t.Errorf("dry run: %+v, %s", rep.Summary, rep.ResultsPath)
		}
		if n := feedUsers(t, db); n != 50 {
			t.Errorf("a dry run disabled users: %d active", n)
		}

		f, err = importer.SetFeed(ctx, db, admin(t, db), "hr", func(f *importer.Feed) { f.MinRows = 48 })
		must(t, err)
		rep, err = importer.RunFeed(ctx, db, db, feedRun(t, f, writeNight(t, dir, "n3.csv", people(1, 47)), c, nil))
		must(t, err)
		if rep.Held == nil || !strings.Contains(rep.Held.Reason, "--min-rows 48") {
			t.Errorf("47 rows with --min-rows 48: %+v", rep.Held)
		}
		if n := feedUsers(t, db); n != 50 {
			t.Errorf("a held run disabled users: %d active", n)
		}

		lost := filepath.Join(dir, "n4.csv")
		must(t, os.WriteFile(lost, []byte("WorkerID,FirstName,Department\nD0001,Drop,Ops\n"), 0o644))
		_, err = importer.RunFeed(ctx, db, db, feedRun(t, f, lost, c, nil))
		wantCode(t, "a file without LastName", err, importer.EINVALID, `"LastName"`)
		if n := feedUsers(t, db); n != 50 {
			t.Errorf("a rejected file disabled users: %d active", n)
		}
	})
}

// date is the day n days after the clock's, as a Start Date cell.
func (c *clock) date(n int) string { return c.days(n).Format(time.DateOnly) }

// TestResumedFeedRunAudit: a feed's run that resumes the unfinished batch
// of its file (the run before was interrupted) audits what it does before
// the import (here, adopting a user made by hand meanwhile) under that
// batch, the one its Results show.
func TestResumedFeedRunAudit(t *testing.T) {
	dirtest.EachDemo(t, func(t *testing.T, url string, db *sqldb.DB) {
		ctx := context.Background()
		c := newClock()
		dir := t.TempDir()
		f := applyNight(t, db, hrFeed(t, db, dir), c, dir, "n1.csv", people(1, 2))
		f, err := importer.SetFeed(ctx, db, admin(t, db), "hr", func(f *importer.Feed) { f.NoPasswords = false })
		must(t, err)
		c.add(time.Hour)
		night := append(people(1, 2), person{id: "J001", first: "Jo", last: "Iner", dept: "Ops"},
			person{id: "J002", first: "Jay", last: "Iner", dept: "Ops"})
		path := writeNight(t, dir, "n2.csv", night)
		interrupted, cancel := context.WithCancel(ctx)
		fr := feedRun(t, f, path, c, nil)
		fr.Hasher = importer.HashFunc(func(ctx context.Context, pw string) (string, error) {
			cancel() // interrupted at its first password
			return cheap.Hash(ctx, pw)
		})
		first, err := importer.RunFeed(interrupted, db, db, fr)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("interrupted run: %v", err)
		}
		// Meanwhile, by hand: a user with a joiner's Employee ID.
		_, err = importCSV(t, db, admin(t, db), importer.ModeCreate, "User Name,Display Name,Employee ID\nby.hand@contoso.com,By Hand,J002\n")
		must(t, err)
		rep, err := importer.RunFeed(ctx, db, db, feedRun(t, f, path, c, nil))
		if err != nil && !isRowsFailedErr(err) {
			t.Fatal(err)
		}
		if !rep.Report.Resumed || rep.Summary.BatchID != first.Summary.BatchID {
			t.Fatalf("second run: resumed %v, batch %s; want batch %s resumed", rep.Report.Resumed, rep.Summary.BatchID, first.Summary.BatchID)
		}
		auditedIn(t, db, "feed adopt", "by.hand@contoso.com", rep.Summary.BatchID)
	})
}
