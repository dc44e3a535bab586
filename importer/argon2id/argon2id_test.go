package argon2id

import (
	"context"
	"errors"
	"regexp"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestHashVerify(t *testing.T) {
	t.Run("DefaultParamsPHC", func(t *testing.T) {
		h, err := Hash("Correct horse 1", DefaultParams())
		if err != nil {
			t.Fatal(err)
		}
		re := regexp.MustCompile(`^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)
		if !re.MatchString(h) {
			t.Fatalf("hash %q is not in the PHC form SPEC gives", h)
		}
		ok, err := Verify("Correct horse 1", h)
		if err != nil || !ok {
			t.Fatalf("Verify(right password) = %v, %v", ok, err)
		}
		ok, err = Verify("Correct horse 2", h)
		if err != nil || ok {
			t.Fatalf("Verify(wrong password) = %v, %v", ok, err)
		}
	})
	t.Run("SaltIsFresh", func(t *testing.T) {
		a, _ := Hash("same", InsecureTestParams())
		b, _ := Hash("same", InsecureTestParams())
		if a == b {
			t.Fatal("two hashes of one password are equal: salt not random")
		}
	})
	t.Run("ErrMalformed", func(t *testing.T) {
		for _, h := range []string{"", "plain", "$argon2i$v=19$m=64,t=1,p=1$c2FsdA$aGFzaA",
			"$argon2id$v=18$m=64,t=1,p=1$c2FsdA$aGFzaA", "$argon2id$v=19$m=0,t=1,p=1$c2FsdA$aGFzaA",
			"$argon2id$v=19$m=64,t=1,p=1$!!$aGFzaA", "$argon2id$v=19$m=99999999,t=1,p=1$c2FsdA$aGFzaA"} {
			if _, err := Verify("x", h); err != ErrMalformed {
				t.Errorf("Verify(%q) error = %v, want ErrMalformed", h, err)
			}
		}
	})
}

// BenchmarkHash prints the time of one production hash: the figure the
// import pipeline's ceiling (cores ÷ hash time) is measured against.
func BenchmarkHash(b *testing.B) {
	p := DefaultParams()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		if _, err := Hash("Correct horse 1", p); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(time.Since(start).Milliseconds())/float64(b.N), "ms/hash")
}

// TestHasherLimit: however many goroutines hash through one Hasher, no more
// than its limit of hashes run at once, and a waiting caller whose context
// ends gets its error.
func TestHasherLimit(t *testing.T) {
	h := NewHasher(InsecureTestParams(), 2)
	var running, most atomic.Int32
	release := make(chan struct{})
	entered := make(chan struct{}, 8)
	h.hash = func(pw string, p Params) (string, error) {
		n := running.Add(1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		entered <- struct{}{}
		<-release
		running.Add(-1)
		return Hash(pw, p)
	}
	var wg sync.WaitGroup
	for range 6 {
		wg.Add(1)
		go func() { defer wg.Done(); h.Hash(context.Background(), "pw") }()
	}
	<-entered
	<-entered // the limit's worth are in; the other four wait for a slot
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := h.Hash(ctx, "pw"); !errors.Is(err, context.Canceled) {
		t.Errorf("a waiting Hash with its context ended: %v, want context.Canceled", err)
	}
	close(release)
	wg.Wait()
	if m := most.Load(); m != 2 {
		t.Errorf("%d hashes ran at once, want at most (and here exactly) the limit of 2", m)
	}
}
