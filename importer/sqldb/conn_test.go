package sqldb_test

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"syscall"
	"testing"

	"github.com/lib/pq"

	"userimport/importer"
	"userimport/importer/sqldb"
	"userimport/internal/pgtest"
)

func TestConnectionLost(t *testing.T) {
	for _, tt := range []struct {
		err  error
		lost bool
	}{
		{fmt.Errorf("provision: %w", driver.ErrBadConn), true},
		{fmt.Errorf("commit: %w", io.EOF), true},
		{fmt.Errorf("read: %w", io.ErrUnexpectedEOF), true},
		{fmt.Errorf("dial: %w", syscall.ECONNREFUSED), true},
		{&pq.Error{Code: "57P01", Message: "terminating connection due to administrator command"}, true},
		{&pq.Error{Code: "08006"}, true},
		{&pq.Error{Code: "23505"}, false},
		{importer.Errorf(importer.ECONFLICT, "exists"), false},
		{errors.New("EOF"), false}, // text alone is no connection error
		{nil, false},
	} {
		if got := sqldb.ConnectionLost(tt.err); got != tt.lost {
			t.Errorf("ConnectionLost(%v) = %v, want %v", tt.err, got, tt.lost)
		}
	}
}

// TestOpenUnreachable: a database that cannot be reached is EUNAVAILABLE
// with what to check, never the password of the URL.
func TestOpenUnreachable(t *testing.T) {
	ctx := context.Background()
	_, err := sqldb.Open(ctx, "postgres://importer:Secr3t-pw@127.0.0.1:1/directory?sslmode=disable")
	if importer.ErrorCode(err) != importer.EUNAVAILABLE {
		t.Fatalf("closed port: %v, want EUNAVAILABLE", err)
	}
	for _, want := range []string{"host 127.0.0.1", "port 1", `role "importer"`, `database "directory"`, "sslmode disable"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q does not say %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "Secr3t-pw") {
		t.Errorf("the message has the password: %q", err)
	}
	u, perr := url.Parse(pgtest.URL(t))
	if perr != nil {
		t.Fatal(perr)
	}
	u.Path = "/no_such_directory"
	_, err = sqldb.Open(ctx, u.String())
	if importer.ErrorCode(err) != importer.EUNAVAILABLE || !strings.Contains(err.Error(), `database "no_such_directory" does not exist: create it`) {
		t.Errorf("missing database: %v", err)
	}
}

// TestOpenNewDatabaseAtOnce: several processes (here, pools) opening one
// brand-new PostgreSQL directory at the same moment, as serve and workers
// started together do, all get it migrated once: none fails on a half-made
// schema or a migration run twice.
func TestOpenNewDatabaseAtOnce(t *testing.T) {
	url := pgtest.URL(t)
	const n = 4
	errs := make(chan error, n)
	for range n {
		go func() {
			db, err := sqldb.Open(t.Context(), url)
			if err == nil {
				err = db.Close()
			}
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Errorf("open a new directory at once: %v", err)
		}
	}
}
