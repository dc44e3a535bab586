package importer

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"sync"

	"github.com/google/uuid"
	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"
)

// batch runs the import for real: a journaled batch, resumed if the same
// file's batch was left unfinished.
func (r *run) batch(ctx context.Context) error {
	b, err := r.dir.ResumableBatch(ctx, r.rep.Summary.SHA256, r.o.Mode)
	if err != nil {
		return err
	}
	owner := processOwner()
	if b != nil {
		if err := r.claim(ctx, b, owner); err != nil {
			return err
		}
	}
	done := map[int]bool{}
	staged := map[int]*Planned{}
	if b != nil {
		r.rep.Resumed = true
		r.rep.Summary.Started = b.Started
		r.o.Log.Info("resuming the unfinished batch of this file", zap.String("batch", b.ID))
		err := r.dir.Journal(ctx, b.ID, func(row int, plan *Planned) error {
			if plan == nil {
				done[row] = true
			} else {
				staged[row] = plan
			}
			return nil
		})
		if err != nil {
			return err
		}
		r.rep.NoticePath = b.NoticePath
		r.batchID = b.ID
		if err := r.reconcileNotice(ctx); err != nil {
			return err
		}
	} else {
		b = &Batch{
			ID: uuid.NewString(), File: filepath.Base(r.o.Path), SHA256: r.rep.Summary.SHA256, Mode: r.o.Mode,
			Options: r.optionsText(), ActingAdmin: r.o.Actor.UserPrincipalName, Started: r.rep.Summary.Started,
			Owner: owner,
		}
		if err := r.dir.CreateBatch(ctx, b); err != nil {
			return err
		}
		r.batchID = b.ID
	}
	r.rep.Summary.BatchID = b.ID

	if r.results, err = r.o.Outputs.Results(r.rep.ResultsPath, r.rep.CSVPath); err != nil {
		return err
	}
	r.follow = newFollower()
	stop := make(chan struct{})
	followed := make(chan error, 1)
	go func() { followed <- r.writeResults(context.WithoutCancel(ctx), stop) }()

	beat, stopBeat := context.WithCancel(context.WithoutCancel(ctx))
	defer stopBeat()
	go r.heartbeat(beat)

	chunks := make(chan []Row, 2)
	work := make(chan []Work, r.o.Workers)
	hashed := make(chan []Work, r.o.Workers)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return r.readChunks(gctx, chunks) })
	plans := make(chan planned, 1)
	g.Go(func() error { return r.planAll(gctx, chunks, plans, done, staged) })
	g.Go(func() error { return r.write(gctx, plans, work) })
	var hashers sync.WaitGroup
	for range runtime.NumCPU() {
		hashers.Add(1)
		g.Go(func() error { defer hashers.Done(); return r.hash(gctx, work, hashed) })
	}
	go func() { hashers.Wait(); close(hashed) }()
	for range r.o.Workers {
		g.Go(func() error { return r.provision(gctx, hashed) })
	}
	runErr := g.Wait()
	close(stop)
	if err := <-followed; err != nil && runErr == nil {
		runErr = err
	}
	return r.finish(ctx, runErr)
}

// finish closes the notice, records the batch's state and writes the
// results for every row done. It does so after an interruption or an
// error too, so that what was done is kept, reported and resumable.
func (r *run) finish(ctx context.Context, runErr error) error {
	ctx = context.WithoutCancel(ctx)
	defer r.results.Abort() // a no-op once the workbook is closed
	if err := r.wrapUp(ctx, runErr == nil); err != nil {
		if runErr != nil {
			return runErr
		}
		return err
	}
	s := &r.rep.Summary
	switch {
	case runErr == nil:
		return failedErr(s)
	case errors.Is(runErr, context.Canceled):
		return runErr
	case s.Rows > 0:
		return &PartialError{Err: runErr, Done: s.Rows}
	}
	return runErr
}

func (r *run) wrapUp(ctx context.Context, complete bool) error {
	if r.notice != nil {
		if err := r.notice.Sync(); err != nil {
			return fmt.Errorf("write the credentials notice: %w", err)
		}
		if err := r.notice.Close(); err != nil {
			return fmt.Errorf("write the credentials notice: %w", err)
		}
		if err := r.dir.MarkNoticed(ctx, r.batchID); err != nil {
			return err
		}
	}
	state := "finished"
	if !complete {
		state = "interrupted"
	}
	counts, err := r.dir.FinishBatch(ctx, r.batchID, state)
	if err != nil {
		return err
	}
	s := &r.rep.Summary
	s.Rows, s.Created, s.Updated, s.Unchanged, s.Failed = counts.Rows, counts.Created, counts.Updated, counts.Unchanged, counts.Failed
	s.LicensesAssigned, s.LicensesPending = counts.LicensesAssigned, counts.LicensesPending
	if s.Products, err = r.dir.Products(ctx); err != nil {
		return err
	}
	if err := r.dir.Results(ctx, r.batchID, r.written+1, 0, r.results.Write); err != nil {
		return err
	}
	s.Finished = r.o.Now()
	return r.results.Close(*s)
}
