package main

import (
	"context"
	"os"
	"strconv"
	"sync/atomic"
	"time"

	"userimport/importer"
	"userimport/importer/argon2id"
)

// testHashGate names the test-only environment variable that makes the
// process hash only its first N passwords and then wait, as if hashing
// took forever, until the command is interrupted or killed. Tests of
// Ctrl-C and kill -9 use it to stop a batch at a known point whatever the
// machine's speed; production never sets it.
const testHashGate = "USERIMPORT_TEST_HASH_GATE"

// newHasher returns the process's one password hasher: argon2id with the
// production parameters, at most one hash per CPU for every batch the
// process runs.
func newHasher() importer.Hasher {
	params := argon2id.DefaultParams()
	if os.Getenv(testCheapHash) == "1" {
		params = argon2id.InsecureTestParams()
	}
	h := argon2id.NewHasher(params, 0)
	if n, err := strconv.Atoi(os.Getenv(testHashGate)); err == nil && n >= 0 {
		return &gatedHasher{h: h, left: int64(n)}
	}
	return h
}

// testCheapHash names the test-only environment variable that makes the
// process hash with argon2id's cheap test parameters, so that tests of
// thousands of users across processes take seconds; production never sets
// it, and the hashes still verify as argon2id.
const testCheapHash = "USERIMPORT_TEST_CHEAP_HASH"

// gatedHasher hashes its first left passwords, then blocks until ctx ends.
type gatedHasher struct {
	h    importer.Hasher
	left int64
	used atomic.Int64
}

func (g *gatedHasher) Hash(ctx context.Context, password string) (string, error) {
	if g.used.Add(1) > g.left {
		<-ctx.Done()
		return "", ctx.Err()
	}
	return g.h.Hash(ctx, password)
}

// testStallAfter names the test-only environment variable that shortens
// how long an import waits for chunks whose worker died before it hands
// them out again (a minute in production), so that a test that kills a
// worker needs no minute of waiting.
const testStallAfter = "USERIMPORT_TEST_STALL_AFTER"

func stallAfter() time.Duration {
	d, _ := time.ParseDuration(os.Getenv(testStallAfter))
	return d
}
