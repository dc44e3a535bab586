package importer

import (
	"context"
	"fmt"
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

// writeResults writes results as the follower allows, until done closes.
func (r *run) writeResults(ctx context.Context, done <-chan struct{}) error {
	for {
		select {
		case <-r.follow.signal:
		case <-done:
			return nil
		case <-ctx.Done():
			return nil // finish writes the rest
		}
		r.follow.mu.Lock()
		upTo := r.follow.upTo
		r.follow.mu.Unlock()
		if err := r.writeResultsUpTo(ctx, upTo); err != nil {
			return err
		}
	}
}

// writeResultsUpTo writes the results of the done rows after the last one
// written, up to row last (0: every done row). It remembers each row it
// wrote, so that after an error it goes on from there, never writing a row
// twice. Only one goroutine calls it at a time: the follower while the
// batch runs, finish after.
func (r *run) writeResultsUpTo(ctx context.Context, last int) error {
	if last != 0 && last <= r.written {
		return nil
	}
	err := r.dir.Results(ctx, r.batchID, r.written+1, last, func(res Result) error {
		if err := r.results.Write(res); err != nil {
			return fmt.Errorf("write the results workbook: %w", err)
		}
		r.written = res.Row
		return nil
	})
	if err == nil && last != 0 {
		r.written = last
	}
	return err
}
