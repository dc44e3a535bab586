package importer

import (
	"context"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"go.uber.org/zap"
)

// heartbeatEvery is how often a running batch says it is alive; a batch
// silent for staleAfter is taken to be dead.
const (
	heartbeatEvery = 5 * time.Second
	staleAfter     = 30 * time.Second
)

// processOwner names this process: "host:pid".
func processOwner() string {
	host, _ := os.Hostname()
	return host + ":" + strconv.Itoa(os.Getpid())
}

// claim takes over the unfinished batch b for owner, unless the process
// that owns it is still running it.
func (r *run) claim(ctx context.Context, b *Batch, owner string) error {
	if b.Owner != "" && ownerAlive(b.Owner) && r.o.Now().Sub(b.Heartbeat) < staleAfter {
		return Errorf(ECONFLICT, "%s is being imported right now by another process (%s, batch %s); wait for it to finish, then run this command again",
			b.File, b.Owner, b.ID)
	}
	ok, err := r.dir.ClaimBatch(ctx, b.ID, b.Owner, owner)
	if err != nil {
		return err
	}
	if !ok {
		return Errorf(ECONFLICT, "%s was just taken over by another process (batch %s); wait for it to finish, then run this command again", b.File, b.ID)
	}
	return nil
}

// ownerAlive reports whether the "host:pid" owner may still be running:
// on this host, whether that process exists; elsewhere, true (the
// heartbeat's age decides).
func ownerAlive(owner string) bool {
	host, pid, ok := strings.Cut(owner, ":")
	me, _ := os.Hostname()
	if !ok || host != me {
		return true
	}
	n, err := strconv.Atoi(pid)
	if err != nil || n <= 0 {
		return false
	}
	if n == os.Getpid() {
		return false // our own earlier run in this process (tests): it is over
	}
	p, err := os.FindProcess(n)
	if err != nil {
		return false
	}
	return p.Signal(syscall.Signal(0)) == nil
}

// heartbeat says the batch is alive every heartbeatEvery until ctx ends.
func (r *run) heartbeat(ctx context.Context) {
	t := time.NewTicker(heartbeatEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := r.dir.Heartbeat(ctx, r.batchID); err != nil && ctx.Err() == nil {
				r.o.Log.Warn("batch heartbeat failed", zap.Error(err))
			}
		}
	}
}
