package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"userimport/importer/sqldb"
	"userimport/internal/dirtest"
	"userimport/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// result is what one run of the command left: its output and exit code.
type result struct {
	stdout, stderr string
	code           int
}

// run runs the command with --db db (none when db is "") and args, stdin as
// its standard input, exactly as main does: build the root command, execute
// it, map the error to an exit code.
func run(t *testing.T, db, stdin string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	root := newRootCmd(strings.NewReader(stdin), &out, &errb)
	if db != "" {
		args = append([]string{"--db", db}, args...)
	}
	root.SetArgs(args)
	ctx := t.Context()
	err := root.ExecuteContext(ctx)
	code := exitCode(ctx, err, &errb)
	return result{stdout: out.String(), stderr: errb.String(), code: code}
}

// mustRun runs the command and fails t unless it exits with want.
func mustRun(t *testing.T, want int, db, stdin string, args ...string) result {
	t.Helper()
	r := run(t, db, stdin, args...)
	if r.code != want {
		t.Fatalf("userimport %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s",
			strings.Join(args, " "), r.code, want, r.stdout, r.stderr)
	}
	return r
}

// eachDB runs fn as subtests "sqlite" and "postgres" (dirtest.EachURL),
// each on a fresh, empty database and in its own temporary working
// directory, which is also where the SQLite file lives.
func eachDB(t *testing.T, fn func(t *testing.T, db string)) {
	t.Helper()
	clearEnv(t)
	dirtest.EachURL(t, func(t *testing.T, db string) {
		dir := t.TempDir()
		if path := sqldb.SQLitePath(db); path != "" {
			dir = filepath.Dir(path)
		}
		t.Chdir(dir)
		fn(t, db)
	})
}

// clearEnv unsets the variables the command reads as defaults for its
// flags, so that a developer's own settings do not leak into the tests.
func clearEnv(t testing.TB) {
	t.Helper()
	for _, name := range []string{"USERIMPORT_DB", "USERIMPORT_AS", "USERIMPORT_LOG_FORMAT", "USERIMPORT_LOG_LEVEL", "USERIMPORT_SMTP_URL"} {
		t.Setenv(name, "")
	}
}

var passwordLine = regexp.MustCompile(`(?m)^password: (\S+)$`)

// initDemo runs `init --demo` and returns the admin's password, which it
// prints once on a line of its own.
func initDemo(t *testing.T, db string) string {
	t.Helper()
	r := mustRun(t, 0, db, "", "init", "--demo")
	m := passwordLine.FindAllStringSubmatch(r.stdout, -1)
	if len(m) != 1 {
		t.Fatalf("init --demo printed %d password lines, want 1:\n%s", len(m), r.stdout)
	}
	return m[0][1]
}

// decodeJSON decodes what a --format json listing printed into v.
func decodeJSON(t *testing.T, r result, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(r.stdout), v); err != nil {
		t.Fatalf("decode JSON: %v\n%s", err, r.stdout)
	}
}

// writeFile writes content to name in the working directory.
func writeFile(t *testing.T, name, content string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// lastLine returns the last non-empty line of s.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}
