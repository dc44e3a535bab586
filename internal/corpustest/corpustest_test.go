package corpustest

import (
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// fakeTB records how a test ended; Skipf and Fatalf end the goroutine as the
// real ones do.
type fakeTB struct {
	testing.TB
	ended string
}

func (f *fakeTB) Helper() {}

func (f *fakeTB) Skipf(format string, args ...any) {
	f.ended = "skip: " + fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (f *fakeTB) Fatalf(format string, args ...any) {
	f.ended = "fatal: " + fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (f *fakeTB) Fatal(args ...any) {
	f.ended = "fatal: " + fmt.Sprint(args...)
	runtime.Goexit()
}

func TestMissing(t *testing.T) {
	absent := filepath.Join(t.TempDir(), "absent.json")
	for _, tt := range []struct {
		name, require, want string
	}{
		{"Skips", "", "skip: the test corpus " + absent},
		{"Required", "require", "fatal: the test corpus " + absent},
		{"OtherValueSkips", "yes", "skip: "},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(RequireEnv, tt.require)
			tb := &fakeTB{TB: t}
			done := make(chan struct{})
			go func() {
				defer close(done)
				ReadFile(tb, absent)
			}()
			<-done
			if !strings.HasPrefix(tb.ended, tt.want) {
				t.Errorf("ReadFile ended %q, want %q…", tb.ended, tt.want)
			}
			tb.ended = ""
			done = make(chan struct{})
			go func() {
				defer close(done)
				Glob(tb, absent)
			}()
			<-done
			if !strings.HasPrefix(tb.ended, tt.want) {
				t.Errorf("Glob ended %q, want %q…", tb.ended, tt.want)
			}
		})
	}
}
