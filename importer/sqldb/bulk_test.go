package sqldb

import (
	"context"
	"fmt"
	"io"
	"net"
	neturl "net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"userimport/importer"
	"userimport/internal/corpustest"
	"userimport/internal/pgtest"
)

// eachBackend runs fn on a fresh directory of each backend, SQLite and
// PostgreSQL (dirtest.EachDB's, for the package's own tests).
func eachBackend(t *testing.T, fn func(t *testing.T, d *DB)) {
	for _, backend := range []string{SQLite, Postgres} {
		t.Run(backend, func(t *testing.T) {
			url := "sqlite:" + filepath.Join(t.TempDir(), "userimport.db")
			if backend == Postgres {
				url = pgtest.URL(t)
			}
			d, err := Open(context.Background(), url)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			fn(t, d)
		})
	}
}

// TestUpdateUsersInBulk: updateUsers writes every row of a chunk larger
// than one SQLite statement may bind in one call, without falling back
// (Provision would retry row by row on a short count, and hide it).
func TestUpdateUsersInBulk(t *testing.T) {
	eachBackend(t, func(t *testing.T, d *DB) {
		ctx := context.Background()
		const n = 3000
		var rows [][]any
		var plans []*importer.Planned
		for i := range n {
			u := importer.User{ID: fmt.Sprintf("id%d", i), UserPrincipalName: fmt.Sprintf("u%d@contoso.com", i), Source: "cli"}
			rows = append(rows, insertValues(&u, false, "", u.Source, 1))
			u.JobTitle, u.EmployeeID = "T", fmt.Sprintf("E%d", i)
			p := &importer.Planned{Action: importer.ActionUpdate, User: u, Blocked: true,
				Changed: []string{importer.ColJobTitle.Key(), importer.ColEmployeeID.Key(), importer.ColBlockSignIn.Key()}}
			for _, c := range profile {
				*c.field(&p.User) = "x"
				p.Changed = append(p.Changed, c.col.Key())
			}
			plans = append(plans, p)
		}
		err := d.inTx(ctx, func(tx *sqlx.Tx) error {
			if err := d.insertRows(ctx, tx, "users", insertColumns(), rows); err != nil {
				return err
			}
			return d.updateUsers(ctx, tx, plans, newChangeKeys(), 2)
		})
		if err != nil {
			t.Fatal(err)
		}
		var changed int
		if err := d.db.GetContext(ctx, &changed, `SELECT COUNT(*) FROM users
				WHERE blocked AND job_title = 'x' AND employee_id_key LIKE 'e%' AND updated_at = 2`); err != nil {
			t.Fatal(err)
		}
		if changed != n {
			t.Fatalf("%d of %d users updated", changed, n)
		}
	})
}

// TestNaughtyTextRoundTrip: every naughty string a database holds (valid
// UTF-8 without NUL: the readers repair or reject the rest before any
// cell reaches the directory) is written by insertRows (COPY on
// PostgreSQL) and read back unchanged, and a lookup of the whole list (one
// text[] parameter on PostgreSQL) finds each.
func TestNaughtyTextRoundTrip(t *testing.T) {
	var want []string
	seen := map[string]bool{}
	for _, s := range corpustest.NaughtyStrings(t, "../../../shared/corpora/blns/blns.json") {
		if utf8.ValidString(s) && !strings.ContainsRune(s, 0) && !seen[s] {
			want, seen[s] = append(want, s), true
		}
	}
	want = append(want, `"quoted" and \back\slashed`, `{"a","b"}`, "NULL", `\N`, "", "tab\there", "line\nbreak\r\n")
	eachBackend(t, func(t *testing.T, d *DB) {
		ctx := context.Background()
		rows := make([][]any, len(want))
		for i, s := range want {
			rows[i] = []any{i, "tester", "naughty", "t", s, "b"}
		}
		err := d.inTx(ctx, func(tx *sqlx.Tx) error {
			return d.insertRows(ctx, tx, "audit_log", []string{"at", "actor", "action", "target", "detail", "batch_id"}, rows)
		})
		if err != nil {
			t.Fatal(err)
		}
		var got []struct {
			At     int
			Detail string
		}
		if err := d.db.SelectContext(ctx, &got, `SELECT at, detail FROM audit_log WHERE action = 'naughty' ORDER BY at`); err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Fatalf("%d rows read back, %d written", len(got), len(want))
		}
		for i, g := range got {
			if g.At != i || g.Detail != want[i] {
				t.Errorf("row %d: read back %q, written %q", i, short(g.Detail), short(want[i]))
			}
		}
		q, args, err := d.inList(`SELECT detail FROM audit_log WHERE action = 'naughty' AND detail IN (?)`, want)
		if err != nil {
			t.Fatal(err)
		}
		var found []string
		if err := d.db.SelectContext(ctx, &found, q, args...); err != nil {
			t.Fatal(err)
		}
		if len(found) != len(want) {
			t.Fatalf("the lookup of %d strings found %d", len(want), len(found))
		}
	})
}

func short(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}

// TestCopyOnABrokenConnection: a COPY whose connection broke (the network
// or the server went away) fails, and its transaction ends, instead of
// hanging; the pool goes on with other connections. The test's connections
// go through a proxy of its own, which it cuts in mid-transaction.
func TestCopyOnABrokenConnection(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t)
	p := newCutProxy(t, url)
	d, err := Open(ctx, p.url)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	done := make(chan error, 1)
	go func() {
		done <- d.inTx(ctx, func(tx *sqlx.Tx) error {
			var one int
			if err := tx.GetContext(ctx, &one, `SELECT 1`); err != nil {
				return err
			}
			p.cut()
			return d.insertRows(ctx, tx, "audit_log", []string{"at", "actor", "action", "target", "detail", "batch_id"},
				[][]any{{1, "tester", "broken", "t", "d", "b"}})
		})
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "copy into audit_log") {
			t.Errorf("inTx = %v, want the COPY's failure", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("a COPY on a broken connection hangs")
	}
	if n := len(d.conns.m); n != 0 {
		t.Errorf("%d transactions' connections still known", n)
	}
	var n int
	if err := d.db.GetContext(ctx, &n, `SELECT COUNT(*) FROM audit_log WHERE action = 'broken'`); err != nil || n != 0 {
		t.Errorf("after the broken COPY: %d rows, %v; want 0 and a working pool", n, err)
	}
}

// cutProxy forwards TCP connections to a PostgreSQL server; cut closes
// those open so far, as a network failure would.
type cutProxy struct {
	url   string // the server's URL, through the proxy
	mu    sync.Mutex
	conns []net.Conn
}

func newCutProxy(t *testing.T, serverURL string) *cutProxy {
	t.Helper()
	u, err := neturl.Parse(serverURL)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	target := u.Host
	u.Host = l.Addr().String()
	p := &cutProxy{url: u.String()}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, s)
			p.mu.Unlock()
			go func() { io.Copy(s, c); s.Close() }()
			go func() { io.Copy(c, s); c.Close() }()
		}
	}()
	return p
}

func (p *cutProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}
