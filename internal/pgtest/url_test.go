package pgtest_test

import (
	"database/sql"
	"os"
	"testing"

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
