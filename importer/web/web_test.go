package web_test

import (
	"bytes"
	"context"
	"html"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"userimport/importer"
	"userimport/importer/argon2id"
	"userimport/importer/metrics"
	"userimport/importer/sqldb"
	"userimport/importer/web"
	"userimport/internal/dirtest"
	"userimport/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// clock is the tests' clock: it moves only when told.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// site is a web page under test: the handler on a test server, its
// directory, its clock and the starter whose runs the tests wait for.
type site struct {
	t       testing.TB
	stop    func() // stops the runs, as serve's SIGTERM does
	metrics *metrics.Metrics
	db      *sqldb.DB
	srv     *httptest.Server
	clock   *clock
	starter *web.LocalStarter
	data    string
	h       *web.Handler
}

func hasher() importer.Hasher { return argon2id.NewHasher(argon2id.InsecureTestParams(), 2) }

func newSite(t testing.TB, db *sqldb.DB, edit ...func(*web.Config)) *site {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &site{t: t, db: db, clock: &clock{t: time.Now()}, starter: web.NewLocalStarter(ctx, db), data: t.TempDir(),
		metrics: metrics.New(db, nil)}
	cfg := web.Config{Store: db, Hasher: hasher(), Starter: s.starter, DataDir: s.data, Now: s.clock.Now, Metrics: s.metrics}
	for _, e := range edit {
		e(&cfg)
	}
	s.data = cfg.DataDir
	h, err := web.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s.h = h
	s.srv = httptest.NewServer(h)
	s.stop = func() { cancel(); s.starter.Wait() }
	t.Cleanup(func() {
		s.stop()
		s.srv.Close()
	})
	return s
}

// metricsText is the site's /metrics, as serve serves it.
func metricsText(t *testing.T, s *site) string {
	t.Helper()
	rec := httptest.NewRecorder()
	s.metrics.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	return rec.Body.String()
}

// client is one browser: its own cookies, redirects not followed.
type client struct {
	s    *site
	hc   *http.Client
	csrf string
}

func (s *site) client() *client {
	jar, _ := cookiejar.New(nil)
	return &client{s: s, hc: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

type answer struct {
	status int
	body   string
	header http.Header
}

func (c *client) do(req *http.Request) answer {
	c.s.t.Helper()
	resp, err := c.hc.Do(req)
	if err != nil {
		c.s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, body: string(b), header: resp.Header}
	if m := csrfField.FindStringSubmatch(a.body); m != nil {
		c.csrf = m[1]
	}
	return a
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (c *client) get(path string) answer {
	c.s.t.Helper()
	req, _ := http.NewRequest("GET", c.s.srv.URL+path, nil)
	return c.do(req)
}

// post sends form to path, with the csrf field of the last page unless
// form has one.
func (c *client) post(path string, form url.Values, header ...string) answer {
	c.s.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if !form.Has("csrf") && c.csrf != "" {
		form.Set("csrf", c.csrf)
	}
	req, _ := http.NewRequest("POST", c.s.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return c.do(req)
}

// signIn signs in as upn with pw and returns the answer to POST /signin.
func (c *client) signIn(upn, pw string) answer {
	c.s.t.Helper()
	c.get("/signin")
	return c.post("/signin", url.Values{"username": {upn}, "password": {pw}})
}

// mustSignIn signs in and fails the test unless it worked (303).
func (c *client) mustSignIn(upn, pw string) {
	c.s.t.Helper()
	if a := c.signIn(upn, pw); a.status != http.StatusSeeOther {
		c.s.t.Fatalf("sign in as %s: %d %s", upn, a.status, a.body)
	}
	c.get("/me") // for the session's csrf token
}

// upload posts file (its bytes, named name) to POST /batches with fields.
func (c *client) upload(name string, content []byte, fields map[string]string) answer {
	c.s.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("csrf", c.csrf)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(content)
	mw.Close()
	req, _ := http.NewRequest("POST", c.s.srv.URL+"/batches", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return c.do(req)
}

// user creates upn with password pw (hashed at the test cost) and roles.
func (s *site) user(upn, pw string, roles ...importer.Role) {
	s.t.Helper()
	ctx := context.Background()
	p := dirtest.NewUser(upn)
	p.User.UsageLocation = "US"
	dirtest.MustProvision(s.t, s.db, dirtest.Admin, p)
	h, err := argon2id.Hash(pw, argon2id.InsecureTestParams())
	if err != nil {
		s.t.Fatal(err)
	}
	if err := s.db.SetPassword(ctx, dirtest.Admin, upn, h, false); err != nil {
		s.t.Fatal(err)
	}
	for _, r := range roles {
		if err := s.db.AssignRole(ctx, dirtest.Admin, upn, r); err != nil {
			s.t.Fatal(err)
		}
	}
}

func TestSignIn(t *testing.T) {
	dirtest.EachDemo(t, func(t *testing.T, _ string, db *sqldb.DB) {
		s := newSite(t, db)
		c := s.client()
		if a := c.get("/users"); a.status != http.StatusSeeOther || a.header.Get("Location") != "/signin?next=%2Fusers" {
			t.Fatalf("an admin page without a session: %d %s, want 303 to /signin", a.status, a.header.Get("Location"))
		}
		if a := c.get("/batches/x.json"); a.status != http.StatusUnauthorized {
			t.Errorf("JSON without a session: %d, want 401", a.status)
		}
		if a := c.signIn(dirtest.Admin, "wrong"); a.status != http.StatusUnauthorized || !strings.Contains(a.body, "wrong") {
			t.Errorf("a wrong password: %d, want 401 and the form again", a.status)
		}
		c.get("/signin?next=/users")
		a := c.post("/signin", url.Values{"username": {dirtest.Admin}, "password": {dirtest.AdminPassword}, "next": {"/users"}})
		if a.status != http.StatusSeeOther || a.header.Get("Location") != "/users" {
			t.Fatalf("sign-in: %d to %q, want 303 to /users", a.status, a.header.Get("Location"))
		}
		var cookie string
		for _, v := range a.header.Values("Set-Cookie") {
			if strings.HasPrefix(v, "userimport_session=") {
				cookie = v
			}
		}
		for _, want := range []string{"userimport_session=", "HttpOnly", "SameSite=Lax", "Path=/"} {
			if !strings.Contains(cookie, want) {
				t.Errorf("session cookie %q lacks %s", cookie, want)
			}
		}
		if strings.Contains(cookie, "Secure") {
			t.Errorf("session cookie %q is Secure without TLS", cookie)
		}
		token := strings.TrimPrefix(strings.SplitN(cookie, ";", 2)[0], "userimport_session=")
		if _, err := db.Session(context.Background(), token); importer.ErrorCode(err) != importer.ENOTFOUND {
			t.Errorf("the directory keeps the session under its token in clear (err %v)", err)
		}
		if _, err := db.Session(context.Background(), importer.TokenHash(token)); err != nil {
			t.Errorf("the session is not in the directory under its token's hash: %v", err)
		}
		if a := c.get("/me"); a.status != http.StatusOK || !strings.Contains(a.body, dirtest.Admin) {
			t.Errorf("/me: %d", a.status)
		}
		for k, want := range map[string]string{
			"Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
			"X-Content-Type-Options":  "nosniff",
			"Referrer-Policy":         "same-origin",
		} {
			if got := c.get("/me").header.Get(k); got != want {
				t.Errorf("%s: %q, want %q", k, got, want)
			}
		}
	})
}

func TestSignInNextIsThisSite(t *testing.T) {
	dirtest.EachDemo(t, func(t *testing.T, _ string, db *sqldb.DB) {
		s := newSite(t, db)
		for _, next := range []string{"//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"} {
			c := s.client()
			c.get("/signin")
			a := c.post("/signin", url.Values{"username": {dirtest.Admin}, "password": {dirtest.AdminPassword}, "next": {next}})
			if a.status != http.StatusSeeOther || a.header.Get("Location") != "/" {
				t.Errorf("next=%q: %d to %q, want 303 to /", next, a.status, a.header.Get("Location"))
			}
		}
	})
}

func TestSessionTimeouts(t *testing.T) {
	dirtest.EachDemo(t, func(t *testing.T, _ string, db *sqldb.DB) {
		s := newSite(t, db)
		c := s.client()
		c.mustSignIn(dirtest.Admin, dirtest.AdminPassword)
		for i := 0; i < 12; i++ { // used every 59 minutes: never idle, but over 12 h old at last
			s.clock.Add(59 * time.Minute)
			if a := c.get("/me"); a.status != http.StatusOK {
				t.Fatalf("after %d×59 min of use: %d, want 200", i+1, a.status)
			}
		}
		s.clock.Add(59 * time.Minute) // 12 h 47 min after sign-in
		if a := c.get("/me"); a.status != http.StatusSeeOther {
			t.Errorf("12 h after sign-in: %d, want 303 to /signin", a.status)
		}
		c.mustSignIn(dirtest.Admin, dirtest.AdminPassword)
		s.clock.Add(time.Hour)
		if a := c.get("/me"); a.status != http.StatusSeeOther {
			t.Errorf("an hour idle: %d, want 303 to /signin", a.status)
		}
	})
}

func TestLockout(t *testing.T) {
	dirtest.EachDemo(t, func(t *testing.T, _ string, db *sqldb.DB) {
		s := newSite(t, db)
		for _, upn := range []string{dirtest.Admin, "nobody@contoso.com"} {
			c := s.client()
			for i := 1; i <= 10; i++ {
				if a := c.signIn(upn, "wrong-password"); a.status != http.StatusUnauthorized {
					t.Fatalf("%s: wrong password %d: %d, want 401", upn, i, a.status)
				}
				s.clock.Add(time.Second)
			}
			a := c.signIn(upn, "wrong-password")
			if a.status != http.StatusTooManyRequests {
				t.Errorf("%s: the 11th wrong password within a minute: %d, want 429", upn, a.status)
			}
			if upn == dirtest.Admin {
				if a := c.signIn(upn, dirtest.AdminPassword); a.status != http.StatusTooManyRequests {
					t.Errorf("the right password while locked: %d, want 429", a.status)
				}
			}
		}
		if body := metricsText(t, s); !strings.Contains(body, "userimport_signin_failures_total 23") {
			t.Errorf("sign-in failures in /metrics: want 23 (10 wrong and the locked ones: 12 for the admin, 11 for nobody):\n%s", body)
		}
		// Another process (another handler on the same directory) agrees.
		other := newSite(t, db)
		other.clock.t = s.clock.Now()
		if a := other.client().signIn(dirtest.Admin, dirtest.AdminPassword); a.status != http.StatusTooManyRequests {
			t.Errorf("another serve process: %d, want 429", a.status)
		}
		s.clock.Add(time.Minute)
		if a := s.client().signIn(dirtest.Admin, dirtest.AdminPassword); a.status != http.StatusSeeOther {
			t.Errorf("a minute later: %d, want 303", a.status)
		}
	})
}

func TestSignOutEndsTheSession(t *testing.T) {
	dirtest.EachDemo(t, func(t *testing.T, _ string, db *sqldb.DB) {
		s := newSite(t, db)
		c := s.client()
		c.mustSignIn(dirtest.Admin, dirtest.AdminPassword)
		u, _ := url.Parse(s.srv.URL)
		cookies := c.hc.Jar.Cookies(u)
		if a := c.post("/signout", nil); a.status != http.StatusSeeOther {
			t.Fatalf("sign-out: %d", a.status)
		}
		// The old cookie, replayed by another client, opens nothing.
		thief := s.client()
		thief.hc.Jar.SetCookies(u, cookies)
		if a := thief.get("/me"); a.status != http.StatusSeeOther {
			t.Errorf("/me with the cookie after sign-out: %d, want 303 to /signin", a.status)
		}
		if a := thief.get("/batches/00000000-0000-0000-0000-000000000000.json"); a.status != http.StatusUnauthorized {
			t.Errorf("JSON with the cookie after sign-out: %d, want 401", a.status)
		}
	})
}

func TestForgedRequests(t *testing.T) {
	dirtest.EachDemo(t, func(t *testing.T, _ string, db *sqldb.DB) {
		s := newSite(t, db)
		s.user("ua@contoso.com", "Us3r-admin-pw", importer.UserAdmin)
		c := s.client()
		c.mustSignIn(dirtest.Admin, dirtest.AdminPassword)
		if a := c.post("/users/ua@contoso.com/block", url.Values{"csrf": {""}}); a.status != http.StatusForbidden {
			t.Errorf("POST without csrf: %d, want 403", a.status)
		}
		if a := c.post("/users/ua@contoso.com/block", nil, "Sec-Fetch-Site", "cross-site"); a.status != http.StatusForbidden {
			t.Errorf("a cross-origin POST: %d, want 403", a.status)
		}
		if a := c.post("/users/ua@contoso.com/block", nil, "Origin", "https://evil.example"); a.status != http.StatusForbidden {
			t.Errorf("a POST from another origin: %d, want 403", a.status)
		}
		if u, _ := db.User(context.Background(), "ua@contoso.com"); !u.AccountEnabled {
			t.Fatal("a forged request blocked the user")
		}
		fresh := s.client()
		if a := fresh.post("/signin", url.Values{"username": {dirtest.Admin}, "password": {dirtest.AdminPassword}}); a.status != http.StatusForbidden {
			t.Errorf("POST /signin without csrf: %d, want 403", a.status)
		}
		if a := c.post("/users/ua@contoso.com/block", nil); a.status != http.StatusOK {
			t.Errorf("the same POST with its csrf: %d, want 200", a.status)
		}
	})
}

func TestRoles(t *testing.T) {
	dirtest.EachDemo(t, func(t *testing.T, _ string, db *sqldb.DB) {
		s := newSite(t, db)
		s.user("ua@contoso.com", "Us3r-admin-pw", importer.UserAdmin)
		s.user("jo@contoso.com", "Plain-us3r-pw")
		ua := s.client()
		ua.mustSignIn("ua@contoso.com", "Us3r-admin-pw")
		if a := ua.get("/domains"); a.status != http.StatusForbidden {
			t.Errorf("a User admin opens Domains: %d, want 403", a.status)
		}
		if a := ua.post("/users/"+dirtest.Admin+"/reset-password", nil); a.status != http.StatusForbidden {
			t.Errorf("a User admin resets a Global admin's password: %d, want 403", a.status)
		}
		if a := ua.get("/users"); a.status != http.StatusOK {
			t.Errorf("a User admin opens Users: %d, want 200", a.status)
		}
		a := ua.post("/users/jo@contoso.com/reset-password", nil)
		pw := regexp.MustCompile(`class="secret">([^<]+)<`).FindStringSubmatch(a.body)
		if pw != nil {
			pw[1] = html.UnescapeString(pw[1])
		}
		if a.status != http.StatusOK || pw == nil {
			t.Fatalf("a User admin resets a user's password: %d, no password shown", a.status)
		}
		jo := s.client()
		if a := jo.signIn("jo@contoso.com", "Plain-us3r-pw"); a.status != http.StatusUnauthorized {
			t.Errorf("the old password after a reset: %d, want 401", a.status)
		}
		if a := jo.signIn("jo@contoso.com", pw[1]); a.status != http.StatusSeeOther || a.header.Get("Location") != "/me/password" {
			t.Errorf("the reset password: %d to %q, want 303 to /me/password", a.status, a.header.Get("Location"))
		}
		if a := jo.get("/me"); a.status != http.StatusSeeOther || a.header.Get("Location") != "/me/password" {
			t.Errorf("/me before the change: %d to %q, want 303 to /me/password", a.status, a.header.Get("Location"))
		}
		jo.get("/me/password")
		if a := jo.post("/me/password", url.Values{"current": {pw[1]}, "new": {"N3w-password-jo"}}); a.status != http.StatusSeeOther {
			t.Fatalf("change password: %d %s", a.status, a.body)
		}
		for _, p := range []string{"/import", "/batches", "/users", "/users/" + dirtest.Admin, "/licenses", "/domains", "/template",
			"/template/template.csv", "/batches/00000000-0000-0000-0000-000000000000", "/batches/00000000-0000-0000-0000-000000000000.json"} {
			if a := jo.get(p); a.status != http.StatusForbidden {
				t.Errorf("a user who is no admin opens %s: %d, want 403", p, a.status)
			}
		}
		for _, p := range []string{"/batches", "/users/" + dirtest.Admin + "/block", "/licenses/SPB/seats", "/domains"} {
			if a := jo.post(p, nil); a.status != http.StatusForbidden {
				t.Errorf("a user who is no admin posts %s: %d, want 403", p, a.status)
			}
		}
		if a := jo.get("/me"); a.status != http.StatusOK || !strings.Contains(a.body, "jo@contoso.com") {
			t.Errorf("a user who is no admin opens /me: %d, want 200", a.status)
		}
	})
}

func TestBlockEndsSessions(t *testing.T) {
	dirtest.EachDemo(t, func(t *testing.T, _ string, db *sqldb.DB) {
		s := newSite(t, db)
		s.user("jo@contoso.com", "Plain-us3r-pw")
		jo := s.client()
		jo.mustSignIn("jo@contoso.com", "Plain-us3r-pw")
		admin := s.client()
		admin.mustSignIn(dirtest.Admin, dirtest.AdminPassword)
		if a := admin.post("/users/jo@contoso.com/block", nil); a.status != http.StatusOK {
			t.Fatalf("block: %d", a.status)
		}
		if _, err := db.Session(context.Background(), importer.TokenHash(jo.sessionToken())); importer.ErrorCode(err) != importer.ENOTFOUND {
			t.Errorf("the blocked user's session is still in the directory (%v)", err)
		}
		if a := jo.get("/me"); a.status != http.StatusSeeOther {
			t.Errorf("a blocked user's session: %d, want 303 to /signin", a.status)
		}
	})
}

// sessionToken is the client's session cookie.
func (c *client) sessionToken() string {
	u, _ := url.Parse(c.s.srv.URL)
	for _, k := range c.hc.Jar.Cookies(u) {
		if k.Name == "userimport_session" {
			return k.Value
		}
	}
	return ""
}

func TestPathTraversal(t *testing.T) {
	dirtest.EachDemo(t, func(t *testing.T, _ string, db *sqldb.DB) {
		s := newSite(t, db)
		os.WriteFile(filepath.Join(s.data, "secret.txt"), []byte("secret"), 0o600)
		c := s.client()
		c.mustSignIn(dirtest.Admin, dirtest.AdminPassword)
		for _, p := range []string{"/batches/..%2Fsecret.txt", "/batches/..%2F..%2Fsecret.txt/results.xlsx", "/batches/%2e%2e/results.xlsx",
			"/batches/..%2Fbatches/credentials.txt", "/batches/..%5C..%5Csecret.txt.json", "/users/..%2F..%2Fsecret.txt",
			"/batches/00000000-0000-0000-0000-000000000000/..%2F..%2F..%2Fsecret.txt"} {
			if a := c.get(p); a.status != http.StatusNotFound || strings.Contains(a.body, "secret\n") {
				t.Errorf("%s: %d, want 404", p, a.status)
			}
		}
	})
}

func TestUploadLimit(t *testing.T) {
	dirtest.EachDemo(t, func(t *testing.T, _ string, db *sqldb.DB) {
		s := newSite(t, db, func(c *web.Config) { c.MaxUpload = 1024 })
		c := s.client()
		c.mustSignIn(dirtest.Admin, dirtest.AdminPassword)
		c.get("/import")
		big := append([]byte("User Name,Display Name\n"), bytes.Repeat([]byte("a@contoso.com,A\n"), 100)...)
		if a := c.upload("big.csv", big, nil); a.status != http.StatusRequestEntityTooLarge {
			t.Errorf("an upload over the limit: %d, want 413", a.status)
		}
		if ents, _ := os.ReadDir(filepath.Join(s.data, "batches")); len(ents) != 0 {
			t.Errorf("a refused upload left %d folders", len(ents))
		}
	})
	if web.MaxUpload != 256<<20 {
		t.Errorf("MaxUpload = %d, want 256 MiB", web.MaxUpload)
	}
}

func TestUploadRejectedFile(t *testing.T) {
	dirtest.EachDemo(t, func(t *testing.T, _ string, db *sqldb.DB) {
		s := newSite(t, db)
		c := s.client()
		c.mustSignIn(dirtest.Admin, dirtest.AdminPassword)
		c.get("/import")
		a := c.upload("people.csv", []byte("First,Last\nA,B\n"), nil)
		if a.status != http.StatusBadRequest || !strings.Contains(a.body, "User Name") {
			t.Errorf("a file without User Name: %d, want 400 naming the column; %s", a.status, a.body)
		}
		if ents, _ := os.ReadDir(filepath.Join(s.data, "batches")); len(ents) != 0 {
			t.Errorf("a rejected upload left %d folders", len(ents))
		}
	})
}

func TestNamesInTheFileAreEscaped(t *testing.T) {
	dirtest.EachDemo(t, func(t *testing.T, _ string, db *sqldb.DB) {
		s := newSite(t, db)
		c := s.client()
		c.mustSignIn(dirtest.Admin, dirtest.AdminPassword)
		c.get("/import")
		csv := "User Name,Display Name\n\"x<script>alert(1)</script>@contoso.com\",<img src=x onerror=alert(2)>\n"
		a := c.upload("<b>evil</b>\".csv", []byte(csv), nil)
		if a.status != http.StatusSeeOther {
			t.Fatalf("upload: %d %s", a.status, a.body)
		}
		page := c.get(a.header.Get("Location"))
		for _, bad := range []string{"<script>alert", "<img src=x", "<b>evil"} {
			if strings.Contains(page.body, bad) {
				t.Errorf("the preview shows %q unescaped", bad)
			}
		}
		if !strings.Contains(page.body, "&lt;img src=x onerror=alert(2)&gt;") {
			t.Errorf("the preview does not show the display name, escaped")
		}
		dl := c.get(a.header.Get("Location") + "/dry-run.xlsx")
		if cd := dl.header.Get("Content-Disposition"); dl.status != http.StatusOK || strings.ContainsAny(strings.TrimPrefix(cd, "attachment; filename="), "<>\"/\\") && !strings.Contains(cd, "filename*=") {
			t.Errorf("the dry-run workbook: %d, Content-Disposition %q", dl.status, cd)
		}
	})
}

func TestStaticFiles(t *testing.T) {
	dirtest.EachDemo(t, func(t *testing.T, _ string, db *sqldb.DB) {
		c := newSite(t, db).client()
		for path, want := range map[string]int{"/static/app.css": 200, "/static/progress.js": 200, "/static/": 404, "/static/..%2Fweb_test.go": 404} {
			if a := c.get(path); a.status != want {
				t.Errorf("%s: %d, want %d", path, a.status, want)
			}
		}
	})
}

func TestEndedSessionsAreSwept(t *testing.T) {
	dirtest.EachDemo(t, func(t *testing.T, _ string, db *sqldb.DB) {
		s := newSite(t, db)
		old := s.client()
		old.mustSignIn(dirtest.Admin, dirtest.AdminPassword)
		s.clock.Add(2 * time.Hour) // never used again, never signed out
		s.client().mustSignIn(dirtest.Admin, dirtest.AdminPassword)
		if _, err := db.Session(context.Background(), importer.TokenHash(old.sessionToken())); importer.ErrorCode(err) != importer.ENOTFOUND {
			t.Errorf("a session idle for 2 h is still in the directory after another sign-in (%v)", err)
		}
	})
}
