package importer

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"go.uber.org/zap"
)

// heartbeatEvery is how often a run renews its batch's lease; a lease not
// renewed for staleAfter may be taken over by another run.
const (
	heartbeatEvery = 5 * time.Second
	staleAfter     = 30 * time.Second
)

// newRunID returns a random ID for one run of a batch: leases belong to
// runs, not to processes, so two runs in one process never share one.
func newRunID() string {
	b := make([]byte, 16)
	rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}

// claim takes the lease of the unfinished batch b for this run, unless
// another run holds it: one that renewed it within staleAfter and, if it
// ran on this machine with the same output folder, still holds its lock
// file there (the kernel frees that lock when a process dies, so a batch
// killed a moment ago is resumed at once rather than in 30 s).
func (r *run) claim(ctx context.Context, b *Batch) error {
	dead := ""
	if b.Owner != "" && r.ownerGone(b.Owner) {
		dead = b.Owner
	}
	ok, err := r.dir.ClaimBatch(ctx, b.ID, r.runID, r.o.Actor.UserPrincipalName, dead, r.o.Now().Add(-staleAfter))
	if err != nil {
		return err
	}
	if !ok {
		return Errorf(ECONFLICT, "%s is being imported right now by another run (batch %s); wait for it to finish, then run this command again",
			b.File, b.ID)
	}
	if dead != "" {
		os.Remove(r.lockPath(dead))
	}
	return nil
}

// lockPath is where run keeps its lock file while it runs a batch.
func (r *run) lockPath(run string) string {
	return filepath.Join(r.o.OutDir, ".userimport-run-"+run+".lock")
}

// lockRun creates and locks this run's lock file; the returned func
// unlocks and removes it. A folder where no lock can be taken only costs
// the quick takeover after a crash.
func (r *run) lockRun() (unlock func()) {
	path := r.lockPath(r.runID)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return func() {}
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		os.Remove(path)
		return func() {}
	}
	return func() { os.Remove(path); f.Close() }
}

// ownerGone reports whether run, the holder of a lease, ran on this
// machine in this output folder and has ended: its lock file is there and
// nobody holds its lock.
func (r *run) ownerGone(run string) bool {
	for _, c := range run {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false // not one of our run IDs: no file name to make of it
		}
	}
	f, err := os.OpenFile(r.lockPath(run), os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return false
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return false // held: the run is alive
	}
	return true
}

// errLostLease stops a run whose batch another run took over.
var errLostLease = errors.New("lease lost")

func lostLease(batchID string) error {
	return fmt.Errorf("batch %s was taken over by another run after this one could not renew its lease for %s; this run stopped, and the other goes on: %w",
		batchID, staleAfter, errLostLease)
}

// heartbeat renews the batch's lease every heartbeatEvery until done
// closes or ctx ends (keepLease).
func (r *run) heartbeat(ctx context.Context, done <-chan struct{}) error {
	return keepLease(ctx, func(ctx context.Context) (bool, error) { return r.dir.Heartbeat(ctx, r.batchID, r.runID) },
		lostLease(r.batchID), r.o.Log, done)
}

// keepLease renews a lease every heartbeatEvery until done closes or ctx
// ends; renew reports whether the run still holds it. A lease taken over
// by another run is the error, lost (its holder must stop); so is one not
// renewed for selfStopAfter (the database is away, or a renewal hangs), so
// that the run stops before another may take the lease over (staleAfter
// after its last renewal): a failed renewal is logged and tried again at
// the next tick until then. Each renewal may take heartbeatEvery at most.
func keepLease(ctx context.Context, renew func(context.Context) (bool, error), lost error, log *zap.Logger, done <-chan struct{}) error {
	return keepLeaseEvery(ctx, heartbeatEvery, selfStopAfter, renew, lost, log, done)
}

// keepLeaseEvery is keepLease renewing every every, stopping after
// selfStop without a renewal.
func keepLeaseEvery(ctx context.Context, every, selfStop time.Duration, renew func(context.Context) (bool, error), lost error, log *zap.Logger, done <-chan struct{}) error {
	t := time.NewTicker(every)
	defer t.Stop()
	deadline := time.NewTimer(selfStop)
	defer deadline.Stop()
	renewed := time.Now() // the lease was just taken
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-done:
			return nil
		case <-deadline.C:
			return lost
		case <-t.C:
			attempt := time.Now() // the time the store records is no later than this
			rctx, cancel := context.WithTimeout(ctx, every)
			ok, err := renew(rctx)
			cancel()
			switch {
			case err != nil && ctx.Err() == nil:
				log.Warn("lease renewal failed", zap.Error(err))
			case err == nil && !ok:
				return lost
			case err == nil:
				renewed = attempt
				deadline.Reset(selfStop - time.Since(renewed))
			}
			if time.Since(renewed) >= selfStop {
				return lost
			}
		}
	}
}

// selfStopAfter is how long a run goes on without renewing its lease: a
// renewal is tried every heartbeatEvery and may take as long, so the run
// notices by selfStopAfter+heartbeatEvery at the latest, before another
// run may take the lease (staleAfter).
const selfStopAfter = staleAfter - 2*heartbeatEvery
