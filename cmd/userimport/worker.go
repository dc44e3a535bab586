package main

import (
	"context"
	"runtime"

	"github.com/spf13/cobra"
	"go.uber.org/zap"
)

type workerOptions struct {
	data string
}

func newWorkerCmd(g *globals) *cobra.Command {
	var opts workerOptions
	cmd := &cobra.Command{
		Use:   "worker [--data DIR]",
		Short: "Run only the job workers, to add a machine to a PostgreSQL directory",
		RunE: func(cmd *cobra.Command, args []string) error {
			return asStopped(cmd.Context(), runWorker(cmd.Context(), g, opts))
		},
	}
	dataFlag(cmd, &opts.data)
	return cmd
}

// runWorker works jobs until ctx is done (SIGTERM, SIGINT), then stops
// taking jobs, lets those in flight finish and returns nil.
func runWorker(ctx context.Context, g *globals, opts workerOptions) error {
	if err := makeDataDir(g, opts.data); err != nil {
		return err
	}
	db, err := g.openDB(ctx, true)
	if err != nil {
		return err
	}
	defer db.Close()
	// Twice as many chunks as cores: the process's hasher keeps the
	// hashing to one per core, and the chunks waiting for it keep it busy
	// while others are fetched and written.
	engine, err := g.openEngine(ctx, db, workerPoll, 0, nil, 2*runtime.NumCPU())
	if err != nil {
		return err
	}
	defer engine.Close()
	g.log.Info("working", zap.String("data", opts.data))
	if err := engine.Run(ctx); err != nil {
		return err
	}
	g.log.Info("stopped")
	return nil
}
