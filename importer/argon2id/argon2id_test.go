package argon2id

import (
	"regexp"
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
