package main

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"userimport/importer/jobs"
	"userimport/importer/seal"
	"userimport/importer/sqldb"
)

// importPoll is how often `import` looks for chunk jobs: it inserts its
// own and waits for them, so that it looks often.
const importPoll = 100 * time.Millisecond

// openEngine opens the job engine on the directory db for this process:
// it works the chunk jobs of every batch on the directory with the
// process's one hasher, and db inserts the jobs of the batches this process
// stages through it.
func (g *globals) openEngine(ctx context.Context, db *sqldb.DB, poll time.Duration) (*jobs.Engine, error) {
	workers := river.NewWorkers()
	if err := jobs.AddChunkWorker(workers, db, g.hasher, seal.Keys{}); err != nil {
		return nil, err
	}
	e, err := jobs.Open(ctx, g.dbURL(), jobs.Config{Workers: workers, Log: g.log, PollInterval: poll})
	if err != nil {
		return nil, err
	}
	db.SetQueue(e)
	return e, nil
}

// runEngine works jobs in the background until the returned func is
// called, which stops the engine (jobs in flight finish), closes it and
// returns how it ran.
func runEngine(ctx context.Context, e *jobs.Engine) (stop func() error) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	return func() error {
		cancel()
		err := <-done
		if cerr := e.Close(); err == nil {
			err = cerr
		}
		return err
	}
}
