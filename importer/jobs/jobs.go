// Package jobs is the job engine: River (github.com/riverqueue/river) on the
// directory's own database, riverdatabasesql over lib/pq on PostgreSQL and
// riversqlite on SQLite. River's tables are created by the directory's
// migrations (sqldb.Open); this package only uses them.
//
// An Engine has a connection pool of its own, apart from the application's:
// River's leader election and fetch loops hold connections, and sharing the
// application's pool makes them fail under load (river#695).
//
// Work that outlives a request is a job; the kinds a process works are the
// workers handed to Open. Any number of processes may share one PostgreSQL
// directory and work the same jobs; SQLite is one machine.
package jobs

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"go.uber.org/zap"

	"userimport/importer"
	"userimport/importer/sqldb"
)

// QueueImport is the queue of import work (chunks of batches). Its
// concurrency is the number of CPUs by default: import work is bound by
// password hashing.
const QueueImport = "import"

// Defaults of Config.
const (
	// DefaultJobTimeout bounds one job. Import work is cut into chunk jobs
	// of a few rows (a fraction of a second each), so that a job this late
	// belongs to a process that hangs; work that takes longer is cut into
	// jobs too, or holds a lease of its own.
	DefaultJobTimeout = 45 * time.Second
	// rescueAfter is how long after it started a job still "running" is
	// taken to belong to a dead process (killed, its machine gone) and is
	// handed out again: within a minute, as SPEC §10 wants of a killed
	// worker's chunks. River wants it longer than the job timeout.
	rescueAfter = time.Minute
	// DefaultStopTimeout is how long Stop lets jobs in flight finish before
	// cancelling their contexts (their rows then roll back and the job is
	// retried). It is below systemd's default TimeoutStopSec (90 s).
	DefaultStopTimeout = 30 * time.Second
	// DefaultPollInterval is how often a process looks for jobs inserted by
	// others. lib/pq gives River no LISTEN/NOTIFY, so it polls.
	DefaultPollInterval = time.Second
)

// Config configures an Engine. The zero value works the built-in Ping kind
// in the import queue with the defaults above.
type Config struct {
	// Workers are the job kinds this process works, added with
	// river.AddWorker. Nil means none besides Ping, which Open always adds.
	Workers *river.Workers
	// Concurrency is how many jobs of the import queue run at once in this
	// process; 0 means runtime.NumCPU().
	Concurrency int
	// JobTimeout bounds each job; 0 means DefaultJobTimeout.
	JobTimeout time.Duration
	// StopTimeout bounds how long Stop waits for jobs in flight; 0 means
	// DefaultStopTimeout.
	StopTimeout time.Duration
	// PollInterval is how often to look for new jobs; 0 means
	// DefaultPollInterval.
	PollInterval time.Duration
	// Log receives River's messages (its informational ones at debug level).
	// Nil discards them.
	Log *zap.Logger
}

// Engine runs River on the directory database. Its methods are safe for
// concurrent use.
type Engine struct {
	pool        *sql.DB
	client      *river.Client[*sql.Tx]
	stopTimeout time.Duration
}

// Open connects River to the directory at dbURL (as --db takes it), on a
// pool of its own, and makes a client that works cfg's workers. It does not
// start working: see Run. The directory must have been migrated by
// sqldb.Open first.
func Open(ctx context.Context, dbURL string, cfg Config) (*Engine, error) {
	return open(ctx, dbURL, cfg, sqlitePool{conns: 1, immediate: true})
}

// sqlitePool is how River's pool on SQLite is set up; the benchmark
// compares the choices.
type sqlitePool struct {
	conns     int  // most open connections
	immediate bool // transactions take the write lock at BEGIN
}

func open(ctx context.Context, dbURL string, cfg Config, sp sqlitePool) (*Engine, error) {
	dialect, dsn, err := sqldb.ParseURL(dbURL)
	if err != nil {
		return nil, err
	}
	pool, driver, err := openPool(dialect, dsn, sp)
	if err != nil {
		return nil, err
	}
	if err := pool.PingContext(ctx); err != nil {
		pool.Close()
		return nil, importer.Errorf(importer.EINTERNAL, "job engine: cannot reach the database: %v", err)
	}
	workers := cfg.Workers
	if workers == nil {
		workers = river.NewWorkers()
	}
	if err := river.AddWorkerSafely(workers, river.WorkFunc(func(context.Context, *river.Job[Ping]) error { return nil })); err != nil {
		pool.Close()
		return nil, fmt.Errorf("job engine: %w", err)
	}
	jobTimeout := cmp.Or(cfg.JobTimeout, DefaultJobTimeout)
	poll := cmp.Or(cfg.PollInterval, DefaultPollInterval)
	rc := &river.Config{
		Queues: map[string]river.QueueConfig{
			QueueImport: {MaxWorkers: cmp.Or(cfg.Concurrency, runtime.NumCPU())},
		},
		Workers:    workers,
		JobTimeout: jobTimeout,
		// A job still "running" this long after it started belongs to a
		// process that died: River makes it available again.
		RescueStuckJobsAfter: max(rescueAfter, jobTimeout+15*time.Second),
		SoftStopTimeout:      cmp.Or(cfg.StopTimeout, DefaultStopTimeout),
		FetchPollInterval:    poll,
		FetchCooldown:        min(poll, river.FetchCooldownDefault),
		Logger:               slogFor(cfg.Log),
	}
	client, err := river.NewClient(driver, rc)
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("job engine: %w", err)
	}
	return &Engine{pool: pool, client: client, stopTimeout: rc.SoftStopTimeout}, nil
}

// openPool opens River's own pool. On SQLite it is one connection, as in
// River's own tests: SQLite runs one writer at a time, and River's loops
// would otherwise fight over the lock. Transactions take the write lock at
// BEGIN (_txlock=immediate), so that River's read-then-write transactions
// queue on the busy timeout behind the application's writers instead of
// failing with SQLITE_BUSY on the upgrade.
func openPool(dialect, dsn string, sp sqlitePool) (*sql.DB, riverdriver.Driver[*sql.Tx], error) {
	switch dialect {
	case sqldb.SQLite:
		q := "?_pragma=busy_timeout(30000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)"
		if sp.immediate {
			q += "&_txlock=immediate"
		}
		pool, err := sql.Open("sqlite", "file:"+dsn+q)
		if err != nil {
			return nil, nil, fmt.Errorf("job engine: %w", err)
		}
		pool.SetMaxOpenConns(sp.conns)
		return pool, riversqlite.New(pool), nil
	case sqldb.Postgres:
		pool, err := sql.Open("postgres", dsn)
		if err != nil {
			return nil, nil, fmt.Errorf("job engine: %w", err)
		}
		// Leader election, the fetch loop, the completer and maintenance
		// each hold a connection at times; jobs use the application's pool.
		pool.SetMaxOpenConns(8)
		pool.SetMaxIdleConns(8)
		return pool, riverdatabasesql.New(pool), nil
	}
	return nil, nil, fmt.Errorf("job engine: unknown dialect %q", dialect)
}

// Run works jobs until ctx is done, then stops taking jobs and lets those
// in flight finish for up to the stop timeout (after which their contexts
// are cancelled), and returns nil. It returns an error when the engine
// cannot start or stops on its own.
func (e *Engine) Run(ctx context.Context) error {
	// Start gets a context that is never cancelled: cancelling it would be
	// River's hard stop, which cancels jobs in flight at once.
	if err := e.client.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("start the job engine: %w", err)
	}
	select {
	case <-ctx.Done():
	case <-e.client.Stopped():
		return errors.New("the job engine stopped on its own")
	}
	// Stop escalates to cancelling jobs after SoftStopTimeout; the extra
	// bound is for jobs that ignore their context.
	stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), e.stopTimeout+10*time.Second)
	defer cancel()
	if err := e.client.Stop(stopCtx); err != nil {
		return fmt.Errorf("stop the job engine: %w", err)
	}
	return nil
}

// Insert inserts a job outside any transaction and returns its ID.
func (e *Engine) Insert(ctx context.Context, args river.JobArgs) (int64, error) {
	res, err := e.client.Insert(ctx, args, &river.InsertOpts{Queue: QueueImport})
	if err != nil {
		return 0, fmt.Errorf("insert job %s: %w", args.Kind(), err)
	}
	return res.Job.ID, nil
}

// InsertManyTx inserts jobs in tx, a transaction on the directory (also one
// of the application's pool, not the engine's): they become visible to
// workers when tx commits, and vanish if it rolls back. Jobs go to the
// import queue unless their InsertOpts say otherwise.
func (e *Engine) InsertManyTx(ctx context.Context, tx *sql.Tx, args []river.JobArgs) ([]int64, error) {
	params := make([]river.InsertManyParams, len(args))
	for i, a := range args {
		params[i] = river.InsertManyParams{Args: a, InsertOpts: &river.InsertOpts{Queue: QueueImport}}
	}
	res, err := e.client.InsertManyTx(ctx, tx, params)
	if err != nil {
		return nil, fmt.Errorf("insert jobs: %w", err)
	}
	ids := make([]int64, len(res))
	for i, r := range res {
		ids[i] = r.Job.ID
	}
	return ids, nil
}

// JobState returns the state of job id as River names it (available,
// running, completed, retryable, discarded, …).
func (e *Engine) JobState(ctx context.Context, id int64) (string, error) {
	j, err := e.client.JobGet(ctx, id)
	if err != nil {
		return "", fmt.Errorf("job %d: %w", id, err)
	}
	return string(j.State), nil
}

// Ping says whether the engine's pool reaches the database.
func (e *Engine) Ping(ctx context.Context) error {
	if err := e.pool.PingContext(ctx); err != nil {
		return fmt.Errorf("job engine: %w", err)
	}
	return nil
}

// Close closes the engine's pool. Call it after Run has returned.
func (e *Engine) Close() error { return e.pool.Close() }

// Ping is a job that does nothing. Every engine works it, so that a process
// can start before other kinds are registered, and so that an admin or a
// test can see that workers take jobs.
type Ping struct{}

// Kind names the job kind in river_job.
func (Ping) Kind() string { return "userimport.ping" }
