package metrics_test

import (
	"fmt"
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
	"userimport/internal/dirtest"
	"userimport/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

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
	dirtest.EachDemo(t, func(t *testing.T, url string, db *sqldb.DB) {
		m := metrics.New(db, nil)
		text := scrape(t, m)
		hasLine(t, text, `userimport_seats_assigned{sku="EXCHANGESTANDARD"} 0`)
		hasLine(t, text, `userimport_batches{state="done"} 0`)

		// EXCHANGESTANDARD has 5 seats: the sixth user waits.
		var plans []*importer.Planned
		for i := range 6 {
			plans = append(plans, dirtest.NewUser(fmt.Sprintf("u%d@contoso.com", i), "EXCHANGESTANDARD"))
		}
		dirtest.MustProvision(t, db, dirtest.Admin, plans...)
		text = scrape(t, m)
		hasLine(t, text, `userimport_seats_assigned{sku="EXCHANGESTANDARD"} 5`)
		hasLine(t, text, `userimport_seats_pending{sku="EXCHANGESTANDARD"} 1`)
		hasLine(t, text, `userimport_seats_assigned{sku="SPB"} 0`)
		hasLine(t, text, `userimport_batches{state="done"} 1`)
		hasLine(t, text, `userimport_batches{state="running"} 0`)
		hasLine(t, text, `userimport_jobs{state="available"} 0`)
	})
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
