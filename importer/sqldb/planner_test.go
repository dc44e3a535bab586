package sqldb

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"userimport/internal/pgtest"
)

// TestByKeysProbesTheIndex: on PostgreSQL, looking up a chunk's keys in a
// table of 20,000 users probes the index once per key. With = ANY and a
// literal array the planner scans the whole table, for every chunk of a
// big import: the import slows down as the table fills.
func TestByKeysProbesTheIndex(t *testing.T) {
	ctx := context.Background()
	d, err := Open(ctx, pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.db.ExecContext(ctx, `INSERT INTO users (id, upn, upn_key, employee_id, employee_id_key, created_at, updated_at)
		SELECT 'id' || g, 'u' || g || '@contoso.com', 'u' || g || '@contoso.com', 'E' || g, 'e' || g, 0, 0
		FROM generate_series(1, 20000) g`); err != nil {
		t.Fatal(err)
	}
	keys := make([]string, 500)
	for i := range keys {
		keys[i] = fmt.Sprintf("new%d@contoso.com", i)
	}
	for _, c := range []struct{ col, table string }{
		{"upn_key", "users"}, {"employee_id_key", "users"}, {"user_id", "license_assignments"}, {"user_id", "user_roles"},
	} {
		q, args, err := d.inList(`EXPLAIN SELECT x.* FROM `+d.byKeys(c.col)(c.table, "x"), keys)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		if err := d.db.SelectContext(ctx, &plan, q, args...); err != nil {
			t.Fatal(err)
		}
		text := strings.Join(plan, "\n")
		if strings.Contains(text, "Seq Scan on "+c.table) || !strings.Contains(text, "Index") {
			t.Errorf("%s by %s is not one index probe per key:\n%s", c.table, c.col, text)
		}
	}
}

// TestSessionsRunWithoutJIT: sessions have jit off unless the URL says
// otherwise (a JIT compile costs about 80 ms, more than the query).
func TestSessionsRunWithoutJIT(t *testing.T) {
	ctx := context.Background()
	base := pgtest.URL(t)
	for _, c := range []struct{ url, want string }{{base, "off"}, {base + "&jit=on", "on"}} {
		if !strings.Contains(base, "?") {
			c.url = strings.Replace(c.url, "&", "?", 1)
		}
		d, err := Open(ctx, c.url)
		if err != nil {
			t.Fatal(err)
		}
		var jit string
		if err := d.db.GetContext(ctx, &jit, "SHOW jit"); err != nil {
			t.Fatal(err)
		}
		d.Close()
		if jit != c.want {
			t.Errorf("%s: jit = %s, want %s", c.url, jit, c.want)
		}
	}
}
