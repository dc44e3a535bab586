package pgtest_test

import (
	"database/sql"
	"os"
	"testing"
	"time"

	_ "github.com/lib/pq"

	"userimport/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// TestURL uses the package the way store tests do.
func TestURL(t *testing.T) {
	first, second := pgtest.URL(t), pgtest.URL(t)
	if first == second {
		t.Fatalf("URL returned %q twice", first)
	}
	names := map[string]bool{}
	for _, url := range []string{first, second} {
		db, err := sql.Open("postgres", url)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var name string
		if err := db.QueryRowContext(t.Context(), "select current_database()").Scan(&name); err != nil {
			t.Fatalf("%s: %v", url, err)
		}
		names[name] = true
	}
	if len(names) != 2 {
		t.Errorf("both URLs lead to the same database: %v", names)
	}
}

// TestCPUSeconds: the CPU a query takes on the shared server shows in
// CPUSeconds, both while its backend lives and once it has exited.
func TestCPUSeconds(t *testing.T) {
	db, err := sql.Open("postgres", pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	before := pgtest.CPUSeconds()
	if before < 0 {
		t.Fatal("CPUSeconds = -1 with the shared server running")
	}
	var n int
	if err := db.QueryRowContext(t.Context(), "SELECT count(*) FROM generate_series(1, 5000000)").Scan(&n); err != nil {
		t.Fatal(err)
	}
	during := pgtest.CPUSeconds()
	if during <= before {
		t.Errorf("CPUSeconds %.2f after a query of 5,000,000 rows, %.2f before", during, before)
	}
	db.Close() // its backend exits; the postmaster reaps it
	// Until the postmaster has reaped it, an exited backend's time shows
	// nowhere: wait for that (an event, however long it takes).
	var after float64
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if after = pgtest.CPUSeconds(); after >= during {
			break
		}
	}
	if after < during {
		t.Errorf("CPUSeconds %.2f once the backend exited, %.2f while it ran", after, during)
	}
}
