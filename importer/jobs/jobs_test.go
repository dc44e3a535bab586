package jobs_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"userimport/importer/jobs"
	"userimport/importer/sqldb"
	"userimport/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// echo is a job whose worker hands its word back on a channel.
type echo struct {
	Word string `json:"word"`
}

func (echo) Kind() string { return "test.echo" }

type echoWorker struct {
	river.WorkerDefaults[echo]
	got chan string
}

func (w *echoWorker) Work(ctx context.Context, j *river.Job[echo]) error {
	w.got <- j.Args.Word
	return nil
}

// eachBackend runs fn on a fresh, migrated directory on SQLite and on
// PostgreSQL, giving the --db URL and a plain pool of the application's.
func eachBackend(t *testing.T, fn func(t *testing.T, url string, app *sql.DB)) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			url := "sqlite:" + filepath.Join(t.TempDir(), "userimport.db")
			if backend == "postgres" {
				url = pgtest.URL(t)
			}
			d, err := sqldb.Open(t.Context(), url)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { d.Close() })
			dialect, dsn, _ := sqldb.ParseURL(url)
			if dialect == sqldb.SQLite {
				dsn = "file:" + dsn + "?_txlock=immediate&_pragma=busy_timeout(30000)"
			}
			app, err := sql.Open(dialect, dsn)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { app.Close() })
			fn(t, url, app)
		})
	}
}

// running opens an engine with workers and runs it until the test ends;
// the cleanup checks that Run returned nil after its context ended.
func running(t *testing.T, url string, workers *river.Workers) *jobs.Engine {
	t.Helper()
	e, err := jobs.Open(t.Context(), url, jobs.Config{Workers: workers, PollInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
		e.Close()
	})
	return e
}

func receive(t *testing.T, ch <-chan string) string {
	t.Helper()
	select {
	case w := <-ch:
		return w
	case <-time.After(30 * time.Second):
		t.Fatal("no job was worked within 30 s")
		return ""
	}
}

// TestRoundTrip inserts a job, and the registered worker of a running
// engine works it; River then records it as completed.
func TestRoundTrip(t *testing.T) {
	eachBackend(t, func(t *testing.T, url string, app *sql.DB) {
		w := &echoWorker{got: make(chan string, 4)}
		workers := river.NewWorkers()
		river.AddWorker(workers, w)
		e := running(t, url, workers)

		id, err := e.Insert(t.Context(), echo{Word: "hello"})
		if err != nil {
			t.Fatal(err)
		}
		if got := receive(t, w.got); got != "hello" {
			t.Fatalf("worker got %q, want hello", got)
		}
		deadline := time.Now().Add(30 * time.Second)
		for {
			state, err := e.JobState(t.Context(), id)
			if err != nil {
				t.Fatal(err)
			}
			if state == "completed" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("job %d is %s, want completed", id, state)
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}

// TestInsertManyTx inserts jobs in a transaction of the application's own
// pool: rolled back, no job runs; committed, every job runs once.
func TestInsertManyTx(t *testing.T) {
	eachBackend(t, func(t *testing.T, url string, app *sql.DB) {
		w := &echoWorker{got: make(chan string, 8)}
		workers := river.NewWorkers()
		river.AddWorker(workers, w)
		e := running(t, url, workers)

		tx, err := app.BeginTx(t.Context(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.InsertManyTx(t.Context(), tx, []river.JobArgs{echo{"rolled"}, echo{"back"}}); err != nil {
			t.Fatal(err)
		}
		if err := tx.Rollback(); err != nil {
			t.Fatal(err)
		}

		tx, err = app.BeginTx(t.Context(), nil)
		if err != nil {
			t.Fatal(err)
		}
		ids, err := e.InsertManyTx(t.Context(), tx, []river.JobArgs{echo{"a"}, echo{"b"}, echo{"c"}})
		if err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		if len(ids) != 3 {
			t.Fatalf("InsertManyTx returned %d IDs, want 3", len(ids))
		}
		got := map[string]int{}
		for range 3 {
			got[receive(t, w.got)]++
		}
		if len(got) != 3 || got["a"] != 1 || got["b"] != 1 || got["c"] != 1 {
			t.Fatalf("worked %v, want a, b and c once each", got)
		}
		var n int
		if err := app.QueryRowContext(t.Context(), "SELECT COUNT(*) FROM river_job").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 3 {
			t.Fatalf("river_job holds %d jobs, want the 3 committed ones", n)
		}
	})
}

// slow is a job whose worker says it started, then waits for release or
// for its context to end.
type slow struct{}

func (slow) Kind() string { return "test.slow" }

type slowWorker struct {
	river.WorkerDefaults[slow]
	started chan struct{}
	release chan struct{}
}

func (w *slowWorker) Work(ctx context.Context, j *river.Job[slow]) error {
	w.started <- struct{}{}
	select {
	case <-w.release:
		// A graceful stop must not have cancelled the job meanwhile.
		return ctx.Err()
	case <-ctx.Done():
		return ctx.Err()
	}
}

// startSlow runs an engine with a slowWorker and one slow job in flight;
// it returns the worker, the job's ID, the engine, the cancel of Run's
// context and Run's result.
func startSlow(t *testing.T, url string, stopTimeout time.Duration) (*slowWorker, int64, *jobs.Engine, context.CancelFunc, chan error) {
	t.Helper()
	w := &slowWorker{started: make(chan struct{}, 1), release: make(chan struct{})}
	workers := river.NewWorkers()
	river.AddWorker(workers, w)
	e, err := jobs.Open(t.Context(), url, jobs.Config{Workers: workers, StopTimeout: stopTimeout, PollInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	id, err := e.Insert(t.Context(), slow{})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-w.started:
	case <-time.After(30 * time.Second):
		t.Fatal("the slow job did not start within 30 s")
	}
	return w, id, e, cancel, done
}

// TestStopLetsJobsFinish: when Run's context ends, a job in flight runs on
// to its end, Run returns nil only after it, and the job is completed.
func TestStopLetsJobsFinish(t *testing.T) {
	eachBackend(t, func(t *testing.T, url string, app *sql.DB) {
		w, id, e, cancel, done := startSlow(t, url, time.Minute)
		cancel()
		select {
		case err := <-done:
			t.Fatalf("Run returned %v while a job was in flight", err)
		case w.release <- struct{}{}:
		}
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("Run did not return within 30 s of the job's end")
		}
		if state, err := e.JobState(t.Context(), id); err != nil || state != "completed" {
			t.Fatalf("job after a graceful stop: %s, %v; want completed", state, err)
		}
	})
}

// TestStopTimeout: a job still running when the stop timeout has passed
// has its context cancelled; Run returns nil, and the job is left to be
// retried, not lost.
func TestStopTimeout(t *testing.T) {
	eachBackend(t, func(t *testing.T, url string, app *sql.DB) {
		_, id, e, cancel, done := startSlow(t, url, 100*time.Millisecond)
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("Run did not return within 30 s")
		}
		if state, err := e.JobState(t.Context(), id); err != nil || (state != "retryable" && state != "available") {
			t.Fatalf("job cancelled by the stop timeout: %s, %v; want retryable", state, err)
		}
	})
}
