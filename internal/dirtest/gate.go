package dirtest

import (
	"context"
	"sync"
	"sync/atomic"

	"userimport/importer"
)

// Gate is a hasher that hashes its first n passwords, then waits for the
// run to end or the gate to open: a batch stopped at a known row whatever
// the machine's speed.
type Gate struct {
	h       importer.Hasher
	n       int64
	used    atomic.Int64
	once    sync.Once
	Blocked chan struct{} // closed once a hash waits
	opened  chan struct{} // closed by Open
}

// NewGate returns a gate that hashes with h.
func NewGate(h importer.Hasher, n int64) *Gate {
	return &Gate{h: h, n: n, Blocked: make(chan struct{}), opened: make(chan struct{})}
}

// Open lets every later hash through.
func (g *Gate) Open() { close(g.opened) }

// Hash implements importer.Hasher.
func (g *Gate) Hash(ctx context.Context, pw string) (string, error) {
	if g.used.Add(1) > g.n {
		g.once.Do(func() { close(g.Blocked) })
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-g.opened:
		}
	}
	return g.h.Hash(ctx, pw)
}
