package importer

import (
	"context"
	"sync"
)

// follower tells when results can be written while the batch runs: once
// every row of the first unwritten chunks is done, their rows' results are
// final, and they go to the workbook in row order. Safe for concurrent use.
type follower struct {
	mu      sync.Mutex
	pending map[int]int // chunk → rows still being written
	last    map[int]int // chunk → its last row number
	next    int         // the first chunk not yet complete
	upTo    int         // every row up to this one is done
	signal  chan struct{}
}

func newFollower() *follower {
	return &follower{pending: map[int]int{}, last: map[int]int{}, signal: make(chan struct{}, 1)}
}

// register says chunk is journaled, with pending rows left to write.
func (f *follower) register(chunk, lastRow, pending int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pending[chunk], f.last[chunk] = pending, lastRow
	f.advance()
}

// done says n rows of chunk are written.
func (f *follower) done(chunk, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pending[chunk] -= n
	f.advance()
}

func (f *follower) advance() {
	moved := false
	for {
		p, ok := f.pending[f.next]
		if !ok || p > 0 {
			break
		}
		f.upTo = f.last[f.next]
		delete(f.pending, f.next)
		delete(f.last, f.next)
		f.next++
		moved = true
	}
	if moved {
		select {
		case f.signal <- struct{}{}:
		default:
		}
	}
}

// writeResults writes results as the follower allows, until stop closes.
func (r *run) writeResults(ctx context.Context, stop <-chan struct{}) error {
	for {
		select {
		case <-r.follow.signal:
		case <-stop:
			return nil
		}
		r.follow.mu.Lock()
		upTo := r.follow.upTo
		r.follow.mu.Unlock()
		if upTo > r.written {
			if err := r.dir.Results(ctx, r.batchID, r.written+1, upTo, r.results.Write); err != nil {
				return err
			}
			r.written = upTo
		}
	}
}
