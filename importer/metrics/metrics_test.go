package metrics_test

import (
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"userimport/importer"
	"userimport/importer/metrics"
	"userimport/importer/sqldb"
	"userimport/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

const admin = "admin@contoso.com"

// scrape returns the text /metrics serves.
func scrape(t *testing.T, m *metrics.Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	b, _ := io.ReadAll(rec.Result().Body)
	if rec.Code != 200 {
		t.Fatalf("/metrics: %d\n%s", rec.Code, b)
	}
	return string(b)
}

func hasLine(t *testing.T, text, line string) {
	t.Helper()
	for _, l := range strings.Split(text, "\n") {
		if l == line {
			return
		}
	}
	t.Errorf("/metrics has no line %q", line)
}

// TestGauges reads seats, batches and jobs from a real directory at scrape
// time, on SQLite and PostgreSQL.
func TestGauges(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			url := "sqlite:" + filepath.Join(t.TempDir(), "userimport.db")
			if backend == "postgres" {
				url = pgtest.URL(t)
			}
			ctx := t.Context()
			db, err := sqldb.Open(ctx, url)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			err = db.Init(ctx, sqldb.InitParams{
				Settings: importer.Settings{Name: "Contoso", PasswordExpiryDays: 90},
				Domains:  []importer.Domain{{Name: "contoso.com", Verified: true}},
				Products: []importer.Product{{SKU: "SPB", Name: "Business Premium", Seats: 1, Plans: []string{"TEAMS1"}}},
				AdminUPN: admin, AdminDisplayName: "Admin", AdminPasswordHash: "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaA",
			})
			if err != nil {
				t.Fatal(err)
			}
			m := metrics.New(db, nil)
			hasLine(t, scrape(t, m), `userimport_seats_assigned{sku="SPB"} 0`)

			for _, alias := range []string{"ann", "bob", "cy"} {
				u := sqldb.NewUser{User: importer.User{UserPrincipalName: alias + "@contoso.com", DisplayName: alias},
					Requests: []sqldb.LicenseRequest{{SKU: "SPB"}}}
				if _, err := db.AddUser(ctx, admin, u); err != nil {
					t.Fatal(err)
				}
			}
			text := scrape(t, m)
			hasLine(t, text, `userimport_seats_assigned{sku="SPB"} 1`)
			hasLine(t, text, `userimport_seats_pending{sku="SPB"} 2`)
			hasLine(t, text, `userimport_batches{state="running"} 0`)
			hasLine(t, text, `userimport_jobs{state="available"} 0`)
		})
	}
}

// TestCounters: what the pipeline reports shows at the next scrape.
func TestCounters(t *testing.T) {
	m := metrics.New(nil, nil)
	text := scrape(t, m)
	hasLine(t, text, `userimport_rows_total{outcome="created"} 0`)
	hasLine(t, text, `userimport_signin_failures_total 0`)

	m.Row(importer.Created)
	m.Rows(importer.Created, 2)
	m.Row(importer.Failed)
	m.HashTime(30 * time.Millisecond)
	m.SignInFailed()
	text = scrape(t, m)
	hasLine(t, text, `userimport_rows_total{outcome="created"} 3`)
	hasLine(t, text, `userimport_rows_total{outcome="failed"} 1`)
	hasLine(t, text, `userimport_rows_total{outcome="updated"} 0`)
	hasLine(t, text, `userimport_hash_seconds_count 1`)
	hasLine(t, text, `userimport_hash_seconds_bucket{le="0.04"} 1`)
	hasLine(t, text, `userimport_hash_seconds_bucket{le="0.02"} 0`)
	hasLine(t, text, `userimport_signin_failures_total 1`)
}

// TestDirectoryGone: when the directory does not answer, its gauges are
// left out of the scrape, and the counters are still served.
func TestDirectoryGone(t *testing.T) {
	db, err := sqldb.Open(t.Context(), "sqlite:"+filepath.Join(t.TempDir(), "userimport.db"))
	if err != nil {
		t.Fatal(err)
	}
	m := metrics.New(db, nil)
	hasLine(t, scrape(t, m), `userimport_batches{state="running"} 0`)
	db.Close()
	m.Row(importer.Updated)
	text := scrape(t, m)
	for _, name := range []string{"userimport_batches{", "userimport_jobs{", "userimport_seats_assigned{"} {
		if strings.Contains(text, name) {
			t.Errorf("%s… is shown although the directory is closed", name)
		}
	}
	hasLine(t, text, `userimport_rows_total{outcome="updated"} 1`)
}
