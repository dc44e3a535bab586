package sqldb

import (
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strings"
	"syscall"

	"github.com/lib/pq"

	"userimport/importer"
)

// ConnectionLost reports whether err, anywhere in its chain, says that the
// connection to the database broke or could not be made: the driver's
// ErrBadConn, an EOF or reset in the middle of a reply, a network error, or
// a PostgreSQL connection exception (SQLSTATE class 08) or shutdown (57P01–
// 57P03). The drivers' types and sentinels are told apart here once.
func ConnectionLost(err error) bool {
	if err == nil {
		return false
	}
	var pe *pq.Error
	if errors.As(err, &pe) {
		switch pe.Code {
		case "57P01", "57P02", "57P03":
			return true
		}
		return pe.Code.Class() == "08"
	}
	var ne net.Error
	return errors.Is(err, driver.ErrBadConn) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.As(err, &ne)
}

// unreachable is the error of a database that Open cannot reach: EUNAVAILABLE
// (the caller may try again later), saying what to check.
func unreachable(dialect, rawURL string, err error) error {
	if dialect != Postgres {
		return importer.Errorf(importer.EUNAVAILABLE, "cannot open the SQLite database %s: %v", redactURL(rawURL), err)
	}
	host, port, dbname, role, sslmode := "localhost", "5432", "", "", os.Getenv("PGSSLMODE")
	if u, perr := url.Parse(rawURL); perr == nil {
		if u.Hostname() != "" {
			host = u.Hostname()
		}
		if u.Port() != "" {
			port = u.Port()
		}
		if u.User != nil {
			role = u.User.Username()
		}
		if len(u.Path) > 1 {
			dbname = u.Path[1:]
		}
		if s := u.Query().Get("sslmode"); s != "" {
			sslmode = s
		}
	}
	if sslmode == "" {
		sslmode = "prefer"
	}
	what := fmt.Sprintf("host %s, port %s, role %q, database %q, sslmode %s", host, port, role, dbname, sslmode)
	var pe *pq.Error
	if errors.As(err, &pe) {
		switch pe.Code {
		case "28P01", "28000":
			return importer.Errorf(importer.EUNAVAILABLE,
				"the PostgreSQL server refused the role (%s): check the role's name and password in --db, and that pg_hba.conf lets it in (%s)", pe.Message, what)
		case "3D000":
			return importer.Errorf(importer.EUNAVAILABLE,
				"the PostgreSQL database %q does not exist: create it (see README, PostgreSQL) or fix --db (%s)", dbname, what)
		}
		return importer.Errorf(importer.EUNAVAILABLE, "the PostgreSQL server answered %s (%s)", pe.Message, what)
	}
	hint := "check that the server runs and listens there, and the host and port in --db"
	if !ConnectionLost(err) {
		hint = "check sslmode (the server may not offer TLS: add ?sslmode=disable on a local machine) and the host and port in --db"
	}
	return importer.Errorf(importer.EUNAVAILABLE, "cannot reach the PostgreSQL database (%s): %v; %s", what, redact(err, rawURL), hint)
}

// redact keeps a password of rawURL out of a driver's error text.
func redact(err error, rawURL string) string {
	s := err.Error()
	if u, perr := url.Parse(rawURL); perr == nil && u.User != nil {
		if pw, ok := u.User.Password(); ok && pw != "" {
			s = strings.ReplaceAll(s, pw, "xxxxx")
		}
	}
	return s
}
