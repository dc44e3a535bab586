package importer

import (
	"context"
	"fmt"
	"sync"
)

// follower tells when results can be written while the batch runs: once
// every row of the first unwritten chunks is done, their rows' results are
// final, and they go to the workbook in row order. A chunk written whole
// may come with its results: when the chunks before it are complete, they
// are kept for the workbook (up to maxKept chunks), which then need not
// read them back from the journal. Safe for concurrent use.
type follower struct {
	mu      sync.Mutex
	pending map[int]int // chunk → rows still being written
	last    map[int]int // chunk → its last row number
	next    int         // the first chunk not yet complete
	upTo    int         // every row up to this one is done
	kept    []kept      // results of complete chunks, in row order, not yet written
	signal  chan struct{}
}

// kept is the results of the rows after row after, up to row last.
type kept struct {
	after, last int
	results     []Result
}

// maxKept is how many chunks' results the follower keeps at most.
const maxKept = 4

func newFollower() *follower {
	return &follower{pending: map[int]int{}, last: map[int]int{}, signal: make(chan struct{}, 1)}
}

// register says chunk is journaled, with pending rows left to write; a
// chunk with none left may come with the results of all its rows.
func (f *follower) register(chunk, lastRow, pending int, results []Result) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if pending == 0 && results != nil && chunk == f.next && len(f.kept) < maxKept {
		f.kept = append(f.kept, kept{after: f.upTo, last: lastRow, results: results})
	}
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

// doneUpTo returns the row up to which every row is done.
func (f *follower) doneUpTo() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.upTo
}

// take returns the kept results that go on from row written, in row
// order, and forgets the rest: their rows are read from the journal, with
// the rows before them that were not kept.
func (f *follower) take(written int) []kept {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []kept
	for _, k := range f.kept {
		if k.after != written {
			break
		}
		out, written = append(out, k), k.last
	}
	f.kept = nil
	return out
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
		if err := r.writeResultsUpTo(ctx, r.follow.doneUpTo()); err != nil {
			return err
		}
	}
}

// writeResultsUpTo writes the results of the done rows after the last one
// written, up to row last (0: every done row): those the follower kept
// that go on from the last row written, as they are; the others from the
// journal. It remembers each row it wrote, so that after an error it
// goes on from there, never writing a row twice. Only one goroutine calls
// it at a time: the follower while the batch runs, finish after.
func (r *run) writeResultsUpTo(ctx context.Context, last int) error {
	if r.follow != nil {
		for _, k := range r.follow.take(r.written) {
			for _, res := range k.results {
				if err := r.writeResult(res); err != nil {
					return err
				}
			}
			r.written = k.last
		}
	}
	return r.readResults(ctx, last)
}

// readResults writes the journal's results of the done rows after the
// last one written, up to row last (0: every done row).
func (r *run) readResults(ctx context.Context, last int) error {
	if last != 0 && last <= r.written {
		return nil
	}
	err := r.dir.Results(ctx, r.batchID, r.written+1, last, r.writeResult)
	if err == nil && last != 0 {
		r.written = last
	}
	return err
}

func (r *run) writeResult(res Result) error {
	if err := r.results.Write(res); err != nil {
		return fmt.Errorf("write the results workbook: %w", err)
	}
	r.written = res.Row
	return nil
}
