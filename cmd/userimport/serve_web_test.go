package main

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"userimport/internal/pgtest"
)

var csrfValue = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// signInPage signs in to the page at base as upn with pw and returns the
// answer to POST /signin (not followed).
func signInPage(t *testing.T, client *http.Client, base, upn, pw string) *http.Response {
	t.Helper()
	_, body := get(t, client, base+"/signin")
	m := csrfValue.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("GET /signin has no csrf field:\n%s", body)
	}
	resp, err := client.PostForm(base+"/signin", url.Values{"username": {upn}, "password": {pw}, "csrf": {m[1]}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func pageClient(tr http.RoundTripper) *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// TestServeWebPageTLS: serve mounts the web page beside /healthz; under
// TLS the session cookie is Secure.
func TestServeWebPageTLS(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite:" + dir + "/userimport.db"
	r := runBinary(t, dir, db, "", "init", "--demo")
	m := regexp.MustCompile(`(?m)^password: (.+)$`).FindStringSubmatch(r.stdout)
	if r.code != 0 || m == nil {
		t.Fatalf("init --demo: exit %d, no password line:\n%s", r.code, r.stdout)
	}
	cert, key, pool := selfSigned(t, dir)
	s := startService(t, dir, db, nil, "serve", "--listen", "127.0.0.1:0", "--tls-cert", cert, "--tls-key", key)
	client := pageClient(&http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}})
	base := s.url
	resp := signInPage(t, client, base, "admin@contoso.com", m[1])
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/me/password" {
		t.Fatalf("sign-in with init's password: %d to %q, want 303 to /me/password", resp.StatusCode, resp.Header.Get("Location"))
	}
	secure := false
	for _, c := range resp.Cookies() {
		secure = secure || c.Name == "userimport_session" && c.Secure && c.HttpOnly
	}
	if !secure {
		t.Errorf("the session cookie under TLS is not Secure and HttpOnly: %v", resp.Header.Values("Set-Cookie"))
	}
	hr, _ := get(t, client, base+"/healthz")
	if hr.StatusCode != 200 {
		t.Errorf("/healthz beside the page: %d", hr.StatusCode)
	}
	if code := s.stop(t); code != 0 {
		t.Errorf("exit %d, want 0", code)
	}
}

// TestServeNewcomer: on a fresh folder, `serve` alone creates the demo
// directory and says where to open the page and the admin's password,
// which signs in and must be changed.
func TestServeNewcomer(t *testing.T) {
	dir := t.TempDir()
	c := exec.Command(binary(t), "serve", "--listen", "127.0.0.1:0")
	c.Dir = dir
	c.Env = serviceEnv()
	out, err := c.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	c.Stderr = io.Discard
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Process.Kill(); c.Wait() })
	lines := make(chan string, 8)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var base, pw string
	deadline := time.After(30 * time.Second)
	for base == "" || pw == "" {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatal("serve ended before it said where to sign in")
			}
			if m := regexp.MustCompile(`^Open (http://\S+)/ in a browser`).FindStringSubmatch(l); m != nil {
				base = m[1]
			}
			if p, ok := strings.CutPrefix(l, "password: "); ok {
				pw = p
			}
		case <-deadline:
			t.Fatal("serve did not say where to sign in within 30 s")
		}
	}
	if _, err := os.Stat(dir + "/userimport.db"); err != nil {
		t.Errorf("no userimport.db: %v", err)
	}
	resp := signInPage(t, pageClient(nil), base, "admin@contoso.com", pw)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/me/password" {
		t.Errorf("sign-in with the printed password: %d to %q, want 303 to /me/password", resp.StatusCode, resp.Header.Get("Location"))
	}
}

// TestServeImportFromThePage: the built serve takes an upload, previews
// it, runs it as chunk jobs that it works itself, and serves the notice
// once, on SQLite and PostgreSQL.
func TestServeImportFromThePage(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			dir := t.TempDir()
			db := "sqlite:" + dir + "/userimport.db"
			if backend == "postgres" {
				db = pgtest.URL(t)
			}
			r := runBinary(t, dir, db, "", "init", "--demo")
			m := regexp.MustCompile(`(?m)^password: (.+)$`).FindStringSubmatch(r.stdout)
			if r.code != 0 || m == nil {
				t.Fatalf("init --demo: exit %d", r.code)
			}
			s := startService(t, dir, db, nil, "serve", "--listen", "127.0.0.1:0", "--data", dir+"/data")
			client := pageClient(nil)
			signInPage(t, client, s.url, "admin@contoso.com", m[1])
			_, body := get(t, client, s.url+"/me/password")
			csrf := csrfValue.FindStringSubmatch(body)[1]
			resp, err := client.PostForm(s.url+"/me/password", url.Values{"current": {m[1]}, "new": {"Fresh-Adm1n-pass"}, "csrf": {csrf}})
			if err != nil || resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("change password: %v %v", resp, err)
			}
			sample, err := os.ReadFile("../../samples/new-hires.xlsx")
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			mw := multipart.NewWriter(&buf)
			mw.WriteField("csrf", csrf)
			fw, _ := mw.CreateFormFile("file", "new-hires.xlsx")
			fw.Write(sample)
			mw.Close()
			resp, err = client.Post(s.url+"/batches", mw.FormDataContentType(), &buf)
			if err != nil || resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("upload: %v %v", resp, err)
			}
			batch := s.url + resp.Header.Get("Location")
			resp, err = client.PostForm(batch+"/start", url.Values{"csrf": {csrf}})
			if err != nil || resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("start: %v %v", resp, err)
			}
			var info struct {
				State            string
				Created, Failed  int
				LicensesAssigned int
			}
			deadline := time.Now().Add(60 * time.Second)
			for info.State != "done" {
				if time.Now().After(deadline) {
					t.Fatalf("the batch is %q after 60 s:\n%s", info.State, s.log())
				}
				time.Sleep(100 * time.Millisecond) // polling, as the page's script does
				_, body := get(t, client, batch+".json")
				json.Unmarshal([]byte(body), &info)
			}
			if info.Created != 14 || info.Failed != 6 {
				t.Errorf("the batch: %+v, want 14 created and 6 failed", info)
			}
			// The page records the end a moment after the directory does.
			var notice *http.Response
			for notice == nil || notice.StatusCode == http.StatusNotFound && time.Now().Before(deadline) {
				time.Sleep(50 * time.Millisecond)
				notice, body = get(t, client, batch+"/credentials.txt")
			}
			if notice.StatusCode != 200 || strings.Count(body, "\t") != 14 {
				t.Errorf("the notice: %d with %d users, want 200 with 14", notice.StatusCode, strings.Count(body, "\t"))
			}
			if again, _ := get(t, client, batch+"/credentials.txt"); again.StatusCode != http.StatusGone {
				t.Errorf("the notice again: %d, want 410", again.StatusCode)
			}
			if code := s.stop(t); code != 0 {
				t.Errorf("exit %d", code)
			}
		})
	}
}
