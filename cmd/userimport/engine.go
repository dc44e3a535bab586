package main

import (
	"context"
	"sync"
	"time"

	"github.com/riverqueue/river"

	"userimport/importer"
	"userimport/importer/jobs"
	"userimport/importer/metrics"
	"userimport/importer/seal"
	"userimport/importer/sqldb"
)

// importPoll is how often `import` looks for chunk jobs: it inserts its
// own and waits for them, so that it looks often. importStop is how long
// its chunks in flight may take to finish when it ends: a chunk is a few
// rows, and an admin waits for the prompt.
const (
	importPoll = 100 * time.Millisecond
	importStop = 5 * time.Second
)

// workerPoll is how often serve and worker look for chunk jobs that other
// processes inserted (lib/pq gives River no notifications).
const workerPoll = 200 * time.Millisecond

// openEngine opens the job engine on the directory db for this process:
// it works the chunk jobs of every batch on the directory with the
// process's one hasher, and db inserts the jobs of the batches this process
// stages through it.
func (g *globals) openEngine(ctx context.Context, db *sqldb.DB, poll, stop time.Duration, m *metrics.Metrics, concurrency int) (*jobs.Engine, error) {
	workers := river.NewWorkers()
	hasher := g.hasher
	var done func([]importer.Result)
	if m != nil {
		hasher = timedHasher{hasher, m}
		done = func(rs []importer.Result) {
			for _, r := range rs {
				m.Row(r.Outcome)
			}
		}
	}
	if err := jobs.AddChunkWorker(workers, db, hasher, seal.Keys{}, done); err != nil {
		return nil, err
	}
	e, err := jobs.Open(ctx, g.dbURL(), jobs.Config{Workers: workers, Log: g.log, PollInterval: poll, StopTimeout: stop,
		Concurrency: concurrency})
	if err != nil {
		return nil, err
	}
	db.SetQueue(e)
	return e, nil
}

// runEngine works jobs in the background until the returned func is
// called, which stops the engine (jobs in flight finish), closes it and
// returns how it ran; calling it again returns the same.
func runEngine(ctx context.Context, e *jobs.Engine) (stop func() error) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	return sync.OnceValue(func() error {
		cancel()
		err := <-done
		if cerr := e.Close(); err == nil {
			err = cerr
		}
		return err
	})
}

// timedHasher records each hash's time in the metrics.
type timedHasher struct {
	h importer.Hasher
	m *metrics.Metrics
}

func (t timedHasher) Hash(ctx context.Context, password string) (string, error) {
	start := time.Now()
	h, err := t.h.Hash(ctx, password)
	if err == nil {
		t.m.HashTime(time.Since(start))
	}
	return h, err
}
