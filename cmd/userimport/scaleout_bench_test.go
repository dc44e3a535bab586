package main

import (
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// BenchmarkScaleOut prints how much faster a batch with passwords (1,200
// users, production argon2id) is finished by two worker processes pinned
// to one core each (taskset -c 0, taskset -c 1) than by one pinned worker,
// on one PostgreSQL directory; the import itself works none of the chunks
// (--workers 0). Target (issue 12): at least 1.8×. It takes about a minute.
//
//	USERIMPORT_TEST_POSTGRES=require go test ./cmd/userimport -run '^$' -bench ScaleOut -benchtime 1x
func BenchmarkScaleOut(b *testing.B) {
	if _, err := exec.LookPath("taskset"); err != nil {
		b.Skip("no taskset")
	}
	for b.Loop() {
		one := scaleOutRun(b, "one", []string{"0"})
		two := scaleOutRun(b, "two", []string{"0", "1"})
		b.ReportMetric(one.Seconds(), "s-one-worker")
		b.ReportMetric(two.Seconds(), "s-two-workers")
		b.ReportMetric(one.Seconds()/two.Seconds(), "speedup")
	}
}

// scaleOutRun imports 1,200 users with workers pinned to the given cores
// and returns how long the import took.
func scaleOutRun(b *testing.B, name string, cores []string) time.Duration {
	b.Helper()
	const n = 1200
	c := newBenchCluster(b)
	var workers []*exec.Cmd
	for _, core := range cores {
		w := exec.Command("taskset", "-c", core, c.bin, "--db", c.url, "worker")
		w.Dir = b.TempDir()
		w.Env = c.env(nil)
		if err := w.Start(); err != nil {
			b.Fatal(err)
		}
		workers = append(workers, w)
	}
	defer func() {
		for _, w := range workers {
			w.Process.Signal(syscall.SIGTERM)
			w.Wait()
		}
	}()
	dir := c.roster(name+".csv", n)
	start := time.Now()
	out := c.must(dir, nil, "import", name+".csv", "--workers", "0")
	took := time.Since(start)
	if !strings.Contains(out, fmt.Sprintf("%d rows: %d created", n, n)) {
		b.Fatalf("import:\n%s", out)
	}
	return took
}
