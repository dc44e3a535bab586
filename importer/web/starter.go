package web

import (
	"context"
	"sync"

	"userimport/importer"
)

// Starter runs a started batch. The serve process wires a LocalStarter;
// a job engine may take its place (River jobs that any process works on).
type Starter interface {
	// Start runs the import o describes in the background and calls done
	// with importer.Run's answer when it ends. id names the run for
	// Cancel.
	Start(id string, o importer.Options, done func(importer.Report, error)) error
	// Cancel stops the run of id as Ctrl-C stops `userimport import`:
	// rows in flight finish or roll back, and the outputs are written for
	// what was done. It reports whether id was running.
	Cancel(id string) bool
}

// LocalStarter runs batches in goroutines of this process, each with
// importer.Run on its directory. Safe for concurrent use.
type LocalStarter struct {
	ctx  context.Context
	dir  importer.Directory
	mu   sync.Mutex
	runs map[string]context.CancelFunc
	wg   sync.WaitGroup
}

// NewLocalStarter returns a LocalStarter whose runs stop when ctx ends.
func NewLocalStarter(ctx context.Context, dir importer.Directory) *LocalStarter {
	return &LocalStarter{ctx: ctx, dir: dir, runs: map[string]context.CancelFunc{}}
}

// Start runs o in a new goroutine; a second Start of a running id is
// ECONFLICT.
func (s *LocalStarter) Start(id string, o importer.Options, done func(importer.Report, error)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.runs[id]; ok {
		return importer.Errorf(importer.ECONFLICT, "batch %s is running", id)
	}
	ctx, cancel := context.WithCancel(s.ctx)
	s.runs[id] = cancel
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		rep, err := importer.Run(ctx, s.dir, o)
		s.mu.Lock()
		delete(s.runs, id)
		s.mu.Unlock()
		cancel()
		done(rep, err)
	}()
	return nil
}

// Cancel cancels the run of id.
func (s *LocalStarter) Cancel(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	cancel, ok := s.runs[id]
	if ok {
		cancel()
	}
	return ok
}

// Wait waits for every run to end (after ctx ended, at shutdown).
func (s *LocalStarter) Wait() { s.wg.Wait() }
