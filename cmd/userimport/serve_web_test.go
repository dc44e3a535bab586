package main

import (
	"bufio"
	"crypto/tls"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
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
