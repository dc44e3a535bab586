package importer

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/google/uuid"
	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"
)

// batch runs the import for real: a journaled batch, resumed if the same
// file's batch was left unfinished.
func (r *run) batch(ctx context.Context) error {
	r.runID = newRunID()
	unlock := r.lockRun()
	defer unlock()
	b, err := r.dir.ResumableBatch(ctx, r.rep.Summary.SHA256, r.o.Mode)
	if err != nil {
		return err
	}
	done := map[int]bool{}
	staged := map[int]*Planned{}
	if b != nil {
		if err := r.claim(ctx, b); err != nil {
			return err
		}
		r.batchID = b.ID
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
		// The admin who resumes is the batch's acting admin from now on:
		// rows staged under another admin's rights are checked again.
		if err := r.recheck(ctx, b, staged, done); err != nil {
			return err
		}
		r.o.Progress.resume(len(done))
		r.journaledRows.Store(int64(len(done) + len(staged)))
		if b.NoticeName != "" {
			// A name, not a path: the notice is in this run's output folder.
			r.rep.NoticePath = filepath.Join(r.o.OutDir, filepath.Base(b.NoticeName))
		}
		if err := r.reconcileNotice(ctx); err != nil {
			return err
		}
	} else {
		if err := r.cancelStale(ctx); err != nil {
			return err
		}
		b = r.newBatch()
		b.Owner = r.runID
		create := r.dir.CreateBatch
		if r.o.BatchID != "" {
			create = r.dir.AdoptBatch // the preview the admin chose to start
		}
		if err := create(ctx, b); err != nil {
			return err
		}
		r.batchID = b.ID
	}
	r.rep.Summary.BatchID = b.ID
	cd, jobs := r.jobs()
	if jobs {
		if err := r.openKey(ctx, cd, b, r.rep.Resumed); err != nil {
			return err
		}
		if r.rep.Resumed {
			// Whatever became of the old jobs, the staged rows get new
			// ones; a job whose rows are written by then does nothing.
			if _, err := cd.Requeue(ctx, b.ID, jobChunk); err != nil {
				return err
			}
		}
	}
	if err := r.openResults(ctx, b.ResultsName); err != nil {
		return err
	}
	if jobs {
		return r.finish(ctx, r.runJobs(ctx, cd, done, staged))
	}

	r.follow = newFollower()
	chunks := make(chan []Row, 2)
	work := make(chan []Work, r.o.Workers)
	hashed := make(chan []Work, r.o.Workers)
	g, gctx := errgroup.WithContext(ctx)
	if !r.o.NoPasswords {
		countCtx, stopCounting := context.WithCancel(gctx)
		defer stopCounting()
		go r.countRows(countCtx)
	}
	var stages sync.WaitGroup
	stage := func(f func() error) {
		stages.Add(1)
		g.Go(func() error { defer stages.Done(); return f() })
	}
	stage(func() error { return r.readChunks(gctx, chunks) })
	plans := make(chan planned, 1)
	stage(func() error { return r.planAll(gctx, chunks, plans, done, staged) })
	stage(func() error { return r.write(gctx, plans, work) })
	var hashers sync.WaitGroup
	for range runtime.NumCPU() {
		hashers.Add(1)
		stage(func() error { defer hashers.Done(); return r.hash(gctx, work, hashed) })
	}
	go func() { hashers.Wait(); close(hashed) }()
	for range r.o.Workers {
		stage(func() error { return r.provision(gctx, hashed) })
	}
	// The results follower and the heartbeat belong to the batch too: a
	// workbook that cannot be written, or a lease another run took, stops it.
	stagesDone := make(chan struct{})
	go func() { stages.Wait(); close(stagesDone) }()
	g.Go(func() error { return r.writeResults(gctx, stagesDone) })
	g.Go(func() error { return r.heartbeat(gctx, stagesDone) })
	return r.finish(ctx, g.Wait())
}

// runJobs is the pipeline of the job path: read, plan, and stage chunk
// jobs, while following the jobs' progress until every row is written.
func (r *run) runJobs(ctx context.Context, cd ChunkDirectory, done map[int]bool, staged map[int]*Planned) error {
	chunks := make(chan []Row, 2)
	plans := make(chan planned, 1)
	g, gctx := errgroup.WithContext(ctx)
	countCtx, stopCounting := context.WithCancel(gctx)
	defer stopCounting()
	go r.countRows(countCtx)
	stagedAll := make(chan struct{})
	following := make(chan struct{})
	g.Go(func() error { return r.readChunks(gctx, chunks) })
	g.Go(func() error { return r.planAll(gctx, chunks, plans, done, staged) })
	g.Go(func() error {
		if err := r.writeJobs(gctx, cd, plans); err != nil {
			return err
		}
		close(stagedAll)
		return nil
	})
	g.Go(func() error { defer close(following); return r.followJobs(gctx, cd, stagedAll) })
	g.Go(func() error { return r.heartbeat(gctx, following) })
	return g.Wait()
}

// newBatch returns the batch record of this run's file and options.
func (r *run) newBatch() *Batch {
	id := r.o.BatchID
	if id == "" {
		id = r.o.NewBatchID
	}
	if id == "" {
		id = uuid.NewString()
	}
	return &Batch{
		ID: id, File: r.o.FileName, SHA256: r.rep.Summary.SHA256, Mode: r.o.Mode, Options: r.optionsText(),
		Source: r.o.Source, ActingAdmin: r.o.Actor.UserPrincipalName, Started: r.rep.Summary.Started,
	}
}

// openResults opens the batch's results writer: under the name the batch
// chose before (a resumed batch rewrites its own), else under the first
// free name, which the batch records.
func (r *run) openResults(ctx context.Context, name string) error {
	w, xlsx, csv, err := createResults(r.o, r.base, name)
	if err != nil {
		return err
	}
	if name == "" {
		if err := r.dir.SetOutputNames(ctx, r.batchID, filepath.Base(xlsx), ""); err != nil {
			w.Abort()
			return err
		}
	}
	r.results, r.rep.ResultsPath, r.rep.CSVPath = w, xlsx, csv
	return nil
}

// cancelStale cancels the unfinished batches of a file of this name whose
// bytes were other (the file changed since) and that no run holds: they
// can never be resumed, and their reserved seats would be held forever.
func (r *run) cancelStale(ctx context.Context) error {
	stale, err := r.dir.StaleBatches(ctx, r.o.FileName, r.o.Mode, r.rep.Summary.SHA256, r.o.Now().Add(-staleAfter))
	if err != nil {
		return err
	}
	for _, b := range stale {
		reason := fmt.Sprintf("cancelled: the batch was interrupted, and %s changed before it was resumed; %s started a new batch of the changed file",
			b.File, r.o.Actor.UserPrincipalName)
		n, err := r.dir.CancelBatch(ctx, b.ID, r.o.Actor.UserPrincipalName, reason, r.o.Now().Add(-staleAfter))
		if ErrorCode(err) == ECONFLICT {
			continue // resumed or cancelled meanwhile
		}
		if err != nil {
			return err
		}
		r.o.Log.Warn("an interrupted batch of an earlier version of this file can no longer be resumed: it is cancelled, and the seats it held for its unwritten rows are freed",
			zap.String("batch", b.ID), zap.Time("started", b.Started), zap.Int("rowsCancelled", n))
	}
	return nil
}

// finish closes the notice, writes the results for every row done and
// records the batch's state. It does so after an interruption or an error
// too, so that what was done is kept, reported and resumable. A batch is
// done only once its outputs are written: until then it stays interrupted,
// and the same command writes them again.
func (r *run) finish(ctx context.Context, runErr error) error {
	ctx = context.WithoutCancel(ctx)
	defer r.results.Abort() // a no-op once the workbook is closed
	if errors.Is(runErr, errLostLease) {
		r.rep.ResultsPath, r.rep.CSVPath = "", ""
		return runErr // the batch is another run's now
	}
	if r.o.StopWork != nil {
		// This process's chunks in flight finish now, so that their
		// passwords reach the notice and their rows the results.
		if err := r.o.StopWork(); err != nil {
			r.o.Log.Warn("the job engine did not stop cleanly", zap.Error(err))
		}
	}
	outErr := r.wrapUp(ctx)
	state := BatchDone
	if runErr != nil || outErr != nil {
		state = BatchInterrupted
	}
	if outErr != nil {
		r.rep.ResultsPath, r.rep.CSVPath = "", ""
		r.rep.Summary.Finished = time.Time{}
	}
	if n := int(r.counted.Load()); r.rep.Total < 0 && n > 0 {
		r.rep.Total = n
	}
	counts, err := r.dir.FinishBatch(ctx, r.batchID, r.runID, state, r.shown)
	if err == nil {
		r.rep.Summary.Rows = counts.Rows
	}
	if err == nil && counts.Created >= refreshAfter {
		if serr := r.dir.RefreshStatistics(ctx); serr != nil {
			r.o.Log.Warn("cannot refresh the database's statistics", zap.Error(serr))
		}
	}
	if _, jobs := r.jobs(); jobs && err == nil && state == BatchDone {
		os.Remove(r.keyPath()) // every password is in the notice: the key has done its work
	}
	s := &r.rep.Summary
	switch {
	case runErr != nil && errors.Is(runErr, context.Canceled):
		return runErr
	case runErr != nil && s.Rows > 0:
		return &PartialError{Err: runErr, Done: s.Rows}
	case runErr != nil:
		return runErr
	case outErr != nil:
		return &PartialError{Err: outErr, Done: s.Rows}
	case err != nil:
		return err
	}
	return failedErr(s)
}

// refreshAfter is how many users a batch creates before the database's
// statistics are refreshed (Directory.RefreshStatistics).
const refreshAfter = 10_000

// wrapUp closes the notice and writes the results workbook.
func (r *run) wrapUp(ctx context.Context) error {
	if cd, jobs := r.jobs(); jobs {
		if err := r.noticeSealed(ctx, cd); err != nil {
			return err
		}
	}
	if r.notice != nil {
		if err := r.notice.Close(); err != nil {
			return fmt.Errorf("write the credentials notice: %w", err)
		}
	}
	counts, err := r.dir.BatchCounts(ctx, r.batchID)
	if err != nil {
		return err
	}
	r.shown = &counts
	s := &r.rep.Summary
	s.Rows, s.Created, s.Updated, s.Unchanged, s.Failed = counts.Rows, counts.Created, counts.Updated, counts.Unchanged, counts.Failed
	s.LicensesAssigned, s.LicensesPending = counts.LicensesAssigned, counts.LicensesPending
	if s.Products, err = r.dir.Products(ctx); err != nil {
		return err
	}
	if err := r.writeResultsUpTo(ctx, 0); err != nil {
		return err
	}
	s.Finished = r.o.Now()
	if err := r.results.Close(*s); err != nil {
		return fmt.Errorf("write the results workbook: %w", err)
	}
	return nil
}
