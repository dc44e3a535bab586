package jobs

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"userimport/importer/sqldb"
)

type noop struct{}

func (noop) Kind() string { return "bench.noop" }

type countWorker struct {
	river.WorkerDefaults[noop]
	n    atomic.Int64
	want int64
	all  chan struct{}
}

func (w *countWorker) Work(context.Context, *river.Job[noop]) error {
	if w.n.Add(1) == w.want {
		close(w.all)
	}
	return nil
}

// BenchmarkSQLitePool compares set-ups of River's pool on SQLite while the
// application writes to the same file as an import does (one small
// transaction after another on its own pool): jobs are inserted in
// batches in the application's transactions and worked by a noop worker.
// It prints jobs/s, the application's writes/s in the same time, and how
// many errors River logged (SQLITE_BUSY and the like).
//
//	go test -run '^$' -bench SQLitePool -benchtime 1x ./importer/jobs/
func BenchmarkSQLitePool(b *testing.B) {
	const jobs = 400
	for _, writer := range []bool{false, true} {
		for _, sp := range []sqlitePool{{1, true}, {4, true}, {1, false}, {4, false}} {
			b.Run(fmt.Sprintf("writer=%v/conns=%d,immediate=%v", writer, sp.conns, sp.immediate), func(b *testing.B) {
				for b.Loop() {
					benchSQLitePool(b, sp, jobs, writer)
				}
			})
		}
	}
}

func benchSQLitePool(b *testing.B, sp sqlitePool, jobs int, writer bool) {
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "userimport.db")
	d, err := sqldb.Open(ctx, "sqlite:"+path)
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	app, err := sql.Open("sqlite", "file:"+path+"?_txlock=immediate&_pragma=busy_timeout(30000)&_pragma=journal_mode(WAL)")
	if err != nil {
		b.Fatal(err)
	}
	defer app.Close()
	if _, err := app.Exec("CREATE TABLE scratch (n INTEGER)"); err != nil {
		b.Fatal(err)
	}

	var errorsLogged atomic.Int64
	log := zap.New(zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), zapcore.AddSync(discard{}), zap.WarnLevel),
		zap.Hooks(func(e zapcore.Entry) error {
			if e.Level >= zap.ErrorLevel {
				errorsLogged.Add(1)
			}
			return nil
		}))
	w := &countWorker{want: int64(jobs), all: make(chan struct{})}
	workers := river.NewWorkers()
	river.AddWorker(workers, w)
	e, err := open(ctx, "sqlite:"+path, Config{Workers: workers, Concurrency: 50, PollInterval: 50 * time.Millisecond, Log: log}, sp)
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- e.Run(runCtx) }()

	var writes atomic.Int64
	writing, stopWriting := context.WithCancel(ctx)
	wrote := make(chan struct{})
	go func() {
		defer close(wrote)
		for writer && writing.Err() == nil {
			if _, err := app.ExecContext(writing, "INSERT INTO scratch (n) VALUES (1)"); err == nil {
				writes.Add(1)
			}
		}
	}()

	start := time.Now()
	for i := 0; i < jobs; i += 50 {
		tx, err := app.BeginTx(ctx, nil)
		if err != nil {
			b.Fatal(err)
		}
		args := make([]river.JobArgs, 50)
		for j := range args {
			args[j] = noop{}
		}
		if _, err := e.InsertManyTx(ctx, tx, args); err != nil {
			b.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
	}
	select {
	case <-w.all:
	case <-time.After(2 * time.Minute):
		b.Fatalf("%d of %d jobs worked in 2 minutes", w.n.Load(), jobs)
	}
	elapsed := time.Since(start)
	stopWriting()
	<-wrote
	stop()
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(jobs)/elapsed.Seconds(), "jobs/s")
	b.ReportMetric(float64(writes.Load())/elapsed.Seconds(), "app-writes/s")
	b.ReportMetric(float64(errorsLogged.Load()), "river-errors")
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
