// Package corpustest finds the shared test corpora (../shared/corpora: the
// Big List of Naughty Strings, csv-spectrum) for the tests that read them.
package corpustest

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// RequireEnv names the environment variable that, set to "require", makes
// [ReadFile] and [Glob] fail a test instead of skipping it when a corpus is
// missing. CI sets it so that a missing corpus cannot pass
// unnoticed.
const RequireEnv = "USERIMPORT_TEST_CORPORA"

// ReadFile returns the corpus file at path. When it does not exist,
// ReadFile skips tb, or fails it when USERIMPORT_TEST_CORPORA is
// "require"; any other error fails tb.
func ReadFile(tb testing.TB, path string) []byte {
	tb.Helper()
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		Missing(tb, path, os.Getenv(RequireEnv))
	}
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

// Glob returns the corpus files that match pattern. When none does, Glob
// skips tb, or fails it when USERIMPORT_TEST_CORPORA is "require".
func Glob(tb testing.TB, pattern string) []string {
	tb.Helper()
	names, err := filepath.Glob(pattern)
	if err != nil {
		tb.Fatal(err)
	}
	if len(names) == 0 {
		Missing(tb, pattern, os.Getenv(RequireEnv))
	}
	return names
}

// Missing skips tb because the corpus at path is missing, or fails it when
// require is "require".
func Missing(tb testing.TB, path, require string) {
	tb.Helper()
	if require == "require" {
		tb.Fatalf("the test corpus %s is missing (%s=require)", path, RequireEnv)
	}
	tb.Skipf("the test corpus %s is missing; skipping (set %s=require to fail instead)", path, RequireEnv)
}
