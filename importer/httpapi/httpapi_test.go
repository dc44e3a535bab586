package httpapi_test

import (
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"userimport/importer"
	"userimport/importer/httpapi"
	"userimport/importer/sqldb"
)

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		name     string
		l        httpapi.Listen
		ok, warn bool
	}{
		{"Default", httpapi.Listen{Addr: httpapi.DefaultListen}, true, false},
		{"IPv6Loopback", httpapi.Listen{Addr: "[::1]:8080"}, true, false},
		{"Localhost", httpapi.Listen{Addr: "localhost:8080"}, true, false},
		{"OtherLoopback", httpapi.Listen{Addr: "127.0.0.2:8080"}, true, false},
		{"ErrAllInterfaces", httpapi.Listen{Addr: "0.0.0.0:8080"}, false, false},
		{"ErrNoHost", httpapi.Listen{Addr: ":8080"}, false, false},
		{"ErrIPv6Any", httpapi.Listen{Addr: "[::]:8080"}, false, false},
		{"ErrLAN", httpapi.Listen{Addr: "10.1.2.3:8080"}, false, false},
		{"ErrHostName", httpapi.Listen{Addr: "userimport.example.com:8080"}, false, false},
		{"ErrNoPort", httpapi.Listen{Addr: "127.0.0.1"}, false, false},
		{"InsecureHTTP", httpapi.Listen{Addr: "0.0.0.0:8080", InsecureHTTP: true}, true, true},
		{"TLS", httpapi.Listen{Addr: "0.0.0.0:8443", CertFile: "c.pem", KeyFile: "k.pem"}, true, false},
		{"ErrCertWithoutKey", httpapi.Listen{Addr: "0.0.0.0:8443", CertFile: "c.pem"}, false, false},
		{"ErrKeyWithoutCert", httpapi.Listen{Addr: "127.0.0.1:8443", KeyFile: "k.pem"}, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			warn, err := httpapi.Check(tc.l)
			if tc.ok != (err == nil) {
				t.Fatalf("Check(%+v) = %v, want ok=%v", tc.l, err, tc.ok)
			}
			if err != nil && importer.ErrorCode(err) != importer.EINVALID {
				t.Fatalf("Check(%+v): code %s, want invalid", tc.l, importer.ErrorCode(err))
			}
			if tc.warn != (warn != "") {
				t.Fatalf("Check(%+v) warning %q, want one: %v", tc.l, warn, tc.warn)
			}
		})
	}
	_, err := httpapi.Check(httpapi.Listen{Addr: "0.0.0.0:8080"})
	for _, want := range []string{"--tls-cert", "--insecure-http", "127.0.0.1"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the refusal %q does not mention %s", err, want)
		}
	}
}

// TestHealthz: 200 ok while the directory answers, 503 once it does not;
// every response, errors too, carries the security headers.
func TestHealthz(t *testing.T) {
	db, err := sqldb.Open(t.Context(), "sqlite:"+filepath.Join(t.TempDir(), "userimport.db"))
	if err != nil {
		t.Fatal(err)
	}
	h := httpapi.New(httpapi.Config{Health: []httpapi.Pinger{db}})
	get := func(method, path string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
		for k, v := range map[string]string{
			"X-Content-Type-Options":  "nosniff",
			"Referrer-Policy":         "no-referrer",
			"Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
		} {
			if got := rec.Header().Get(k); got != v {
				t.Errorf("%s %s: %s = %q, want %q", method, path, k, got, v)
			}
		}
		return rec
	}
	if rec := get("GET", "/healthz"); rec.Code != 200 || rec.Body.String() != "ok\n" {
		t.Fatalf("GET /healthz: %d %q, want 200 ok", rec.Code, rec.Body)
	}
	if rec := get("POST", "/healthz"); rec.Code != 405 {
		t.Fatalf("POST /healthz: %d, want 405", rec.Code)
	}
	if rec := get("GET", "/metrics"); rec.Code != 404 {
		t.Fatalf("GET /metrics without metrics: %d, want 404", rec.Code)
	}
	db.Close()
	if rec := get("GET", "/healthz"); rec.Code != 503 || strings.Contains(rec.Body.String(), "ok") {
		t.Fatalf("GET /healthz with the directory closed: %d %q, want 503", rec.Code, rec.Body)
	}
}
