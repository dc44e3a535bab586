// Package sqldb is the directory: a SQL database reached through sqlx, on
// SQLite (modernc.org/sqlite, the embedded default) or PostgreSQL (lib/pq).
// Both backends run the same queries and pass the same tests.
//
// Every exported method owns one transaction and hands it to unexported
// (ctx, tx, …) helpers. A *DB is safe for concurrent use, also by several
// processes sharing one database: the seat invariant (assigned ≤ seats) is a
// CHECK constraint, and seat changes lock the product row first.
//
// Where things are: db.go opens the database, migrates it and runs
// transactions; bulk.go writes many rows in few statements (COPY,
// multi-row INSERT, UPDATE … FROM); user.go has the users columns and the
// admin operations on users and roles; lookup.go the plan step's lookups;
// stage.go journals planned rows and reserves their seats; provision.go
// writes them; journal.go reads the journal back (resume, notice, results);
// batch.go keeps a batch's lifecycle and lease; product.go products and
// seats; domain.go domains; settings.go init, settings and the audit log.
package sqldb

import (
	"bytes"
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"testing/fstest"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/pressly/goose/v3"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"userimport/importer"
)

//go:embed migrations
var migrations embed.FS

// Dialects.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// DB is the directory database.
type DB struct {
	db      *sqlx.DB
	dialect string
	url     string

	clock func() time.Time // time.Now unless At says

	queue ChunkQueue // the job engine's, once SetQueue was called

	conns *txConns // PostgreSQL: the connection of each transaction inTx runs, for copyRows
}

// txConns maps the transactions inTx runs on PostgreSQL to their
// connections: copyRows sends COPY data on the connection itself.
type txConns struct {
	mu sync.Mutex
	m  map[*sqlx.Tx]*sqlx.Conn
}

func (c *txConns) set(tx *sqlx.Tx, conn *sqlx.Conn) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if conn == nil {
		delete(c.m, tx)
		return
	}
	c.m[tx] = conn
}

func (c *txConns) get(tx *sqlx.Tx) *sqlx.Conn {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[tx]
}

// ParseURL splits a --db value into dialect and driver data source name.
// "sqlite:PATH" (or a bare path ending in .db) is SQLite; "postgres://…" or
// "postgresql://…" is PostgreSQL, whose sslmode is "prefer" unless the URL
// or PGSSLMODE says otherwise (lib/pq alone would require TLS), and whose
// sessions run with jit=off unless the URL sets jit: the import's queries
// are short, and on tables without statistics yet (a first big import)
// PostgreSQL's estimates make it JIT-compile them, at about 80 ms each.
func ParseURL(s string) (dialect, dsn string, err error) {
	switch {
	case strings.HasPrefix(s, "postgres://"), strings.HasPrefix(s, "postgresql://"):
		u, err := url.Parse(s)
		if err != nil {
			return "", "", importer.Errorf(importer.EINVALID, "--db: not a valid postgres:// URL")
		}
		q := u.Query()
		if q.Get("sslmode") == "" && os.Getenv("PGSSLMODE") == "" {
			q.Set("sslmode", "prefer")
		}
		if q.Get("jit") == "" {
			q.Set("jit", "off")
		}
		u.RawQuery = q.Encode()
		return Postgres, u.String(), nil
	case strings.HasPrefix(s, "sqlite:"):
		path := strings.TrimPrefix(strings.TrimPrefix(s, "sqlite:"), "//")
		if path == "" {
			return "", "", importer.Errorf(importer.EINVALID, "--db sqlite: needs a file path, e.g. sqlite:userimport.db")
		}
		return SQLite, path, nil
	case strings.HasSuffix(s, ".db") && !strings.Contains(s, "://"):
		return SQLite, s, nil
	}
	return "", "", importer.Errorf(importer.EINVALID, "--db %q: use sqlite:PATH or postgres://user@host/dbname", redactURL(s))
}

// SQLitePath returns the file path of a sqlite: URL, or "" for other URLs.
func SQLitePath(s string) string {
	d, dsn, err := ParseURL(s)
	if err != nil || d != SQLite {
		return ""
	}
	return dsn
}

func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// Open opens the database named by url and brings its schema up to date.
// It does not require the directory to be initialized; see Initialized.
func Open(ctx context.Context, rawURL string) (*DB, error) {
	dialect, dsn, err := ParseURL(rawURL)
	if err != nil {
		return nil, err
	}
	var db *sqlx.DB
	switch dialect {
	case SQLite:
		if dir := filepath.Dir(dsn); dir != "" {
			if _, err := os.Stat(dir); err != nil {
				return nil, importer.Errorf(importer.EINVALID, "--db: folder %q does not exist", dir)
			}
		}
		if err := createPrivate(dsn); err != nil {
			return nil, err
		}
		// _txlock=immediate takes the write lock at BEGIN, so two writers
		// queue on the busy timeout instead of failing to upgrade a read lock.
		q := "?_txlock=immediate&_pragma=busy_timeout(30000)&_pragma=journal_mode(WAL)" +
			"&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_pragma=cache_size(-16384)"
		db, err = sqlx.Open("sqlite", "file:"+dsn+q)
	case Postgres:
		db, err = sqlx.Open("postgres", dsn)
		if err == nil {
			db.SetMaxOpenConns(32)
			db.SetMaxIdleConns(32)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, unreachable(dialect, rawURL, err)
	}
	d := &DB{db: db, dialect: dialect, url: rawURL, clock: time.Now, conns: &txConns{m: map[*sqlx.Tx]*sqlx.Conn{}}}
	if err := d.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return d, nil
}

// createPrivate creates the SQLite database file at path, if there is
// none, with mode 0600 whatever the umask: it holds password hashes. SQLite
// gives the -wal, -shm and -journal files it creates beside it the
// database file's mode. An existing file keeps its mode.
func createPrivate(path string) error {
	if path == ":memory:" {
		return nil
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return importer.Errorf(importer.EINVALID, "--db: cannot create %s: %v", path, err)
	}
	err = f.Chmod(0o600) // the umask may have taken the owner's bits too
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("create database file: %w", err)
	}
	return nil
}

// schemaMigrationLock is the PostgreSQL advisory lock the directory's
// migrations are run under (the job engine's have their own).
const schemaMigrationLock = 0x75696d6967 // "uimig"

func (d *DB) migrate(ctx context.Context) error {
	sub, err := migrationsFor(d.dialect)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	gd := goose.DialectSQLite3
	if d.dialect == Postgres {
		gd = goose.DialectPostgres
		// Processes started together on a new directory (serve and its
		// workers) take turns: one migrates, the others wait on the lock
		// (held by a connection of its own, given back at its close) and
		// then find nothing to do.
		conn, err := d.db.Conn(ctx)
		if err != nil {
			return fmt.Errorf("migrations: %w", err)
		}
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", schemaMigrationLock); err != nil {
			return fmt.Errorf("migrations: lock: %w", err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", schemaMigrationLock)
	}
	p, err := goose.NewProvider(gd, d.db.DB, sub)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate schema: %w", err)
	}
	return d.migrateRiver(ctx)
}

// migrationsFor returns the migrations in dialect's SQL: they are written
// for SQLite, and PostgreSQL's auto-numbered keys differ in name only.
func migrationsFor(dialect string) (fs.FS, error) {
	files, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	out := fstest.MapFS{}
	for _, name := range files {
		b, err := fs.ReadFile(migrations, name)
		if err != nil {
			return nil, err
		}
		if dialect == Postgres {
			b = bytes.ReplaceAll(b, []byte("INTEGER PRIMARY KEY AUTOINCREMENT"), []byte("BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"))
		}
		out[path.Base(name)] = &fstest.MapFile{Data: b}
	}
	return out, nil
}

// Close closes the database.
func (d *DB) Close() error { return d.db.Close() }

// Dialect returns SQLite or Postgres.
func (d *DB) Dialect() string { return d.dialect }

func (d *DB) now() int64 { return d.clock().UnixMicro() }

// At returns the directory as seen by a clock of its own: the same
// database and pool, with every time it records and every rule about time
// (the restore window, say) taken from now. For tests and for jobs that are
// told the time.
func (d *DB) At(now func() time.Time) *DB {
	c := *d
	c.clock = now
	return &c
}

// begin starts a transaction. On SQLite the connection string makes it take
// the write lock at once.
func (d *DB) begin(ctx context.Context) (*sqlx.Tx, error) {
	tx, err := d.db.BeginTxx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	return tx, nil
}

// inTx runs fn in a transaction, committing when it returns nil. On
// PostgreSQL the transaction runs on a connection of its own, which
// copyRows uses.
func (d *DB) inTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	var tx *sqlx.Tx
	var err error
	if d.dialect == Postgres {
		conn, cerr := d.db.Connx(ctx)
		if cerr != nil {
			return fmt.Errorf("begin: %w", cerr)
		}
		defer conn.Close()
		if tx, err = conn.BeginTxx(ctx, nil); err != nil {
			return fmt.Errorf("begin: %w", err)
		}
		d.conns.set(tx, conn)
		defer d.conns.set(tx, nil)
	} else if tx, err = d.begin(ctx); err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return mapErr(fmt.Errorf("commit: %w", err))
	}
	return nil
}

// forUpdate is the row-lock suffix: PostgreSQL locks the selected rows
// (NO KEY UPDATE, so that foreign-key checks of concurrent inserts of
// license assignments, which take KEY SHARE locks, never wait on it);
// SQLite's immediate transactions already hold the database's write lock.
func (d *DB) forUpdate() string {
	if d.dialect == Postgres {
		return " FOR NO KEY UPDATE"
	}
	return ""
}

// forUpdateOf is forUpdate for the rows of the query's table alias only.
func (d *DB) forUpdateOf(alias string) string {
	if d.dialect == Postgres {
		return " FOR NO KEY UPDATE OF " + alias
	}
	return ""
}

// Constraint violations, told apart once here from the drivers' codes.
var (
	errUnique = errors.New("unique constraint")
	errCheck  = errors.New("check constraint")
)

// mapErr wraps driver errors for unique and check violations so that callers
// can test them with errors.Is(err, errUnique).
func mapErr(err error) error {
	if err == nil {
		return nil
	}
	var pe *pq.Error
	if errors.As(err, &pe) {
		switch pe.Code {
		case "23505":
			return fmt.Errorf("%w: %w", errUnique, err)
		case "23514":
			return fmt.Errorf("%w: %w", errCheck, err)
		}
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return fmt.Errorf("%w: %w", errUnique, err)
		case sqlite3.SQLITE_CONSTRAINT_CHECK:
			return fmt.Errorf("%w: %w", errCheck, err)
		}
	}
	return err
}

func nullTime(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := time.UnixMicro(v.Int64)
	return &t
}
