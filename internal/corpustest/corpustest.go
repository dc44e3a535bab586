// Package corpustest finds the shared test corpora (../shared/corpora: the
// Big List of Naughty Strings, csv-spectrum) for the tests that read them.
package corpustest

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
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

// NaughtyStrings returns the Big List of Naughty Strings at blnsPath
// (from the test's package directory) and the hostile cells every reader
// and writer of ours is tried on besides: every control character, line
// and paragraph separators, NUL, invalid UTF-8, a byte order mark, and a
// cell of a mebibyte. A package appends what is hostile to it alone.
func NaughtyStrings(tb testing.TB, blnsPath string) []string {
	tb.Helper()
	var ss []string
	if err := json.Unmarshal(ReadFile(tb, blnsPath), &ss); err != nil {
		tb.Fatalf("%s: %v", blnsPath, err)
	}
	var controls strings.Builder
	for r := rune(0); r < 0x20; r++ {
		controls.WriteRune(r)
	}
	return append(ss,
		controls.String(), "\x7f\u0085\u2028\u2029", "a\x00b",
		"\xff", "\xc3", "\xed\xa0\x80", "jakob\xff@contoso.com", "\xef\xbb\xbfjakob@contoso.com",
		strings.Repeat("a", 1<<20),
	)
}
