package main

import (
	"strings"
	"testing"
)

// TestTableAligned: columns line up on a terminal whatever the script of
// the names before them, and a cell cannot break the layout or send the
// terminal an escape sequence.
func TestTableAligned(t *testing.T) {
	tb := table{
		header: []string{"User Name", "Display Name", "Licenses"},
		rows: [][]string{
			{"chen@contoso.com", "陈伟", "SPE_E3"},
			{"zoe@contoso.com", "Zoë", "SPB"},
			{"jose@contoso.com", "Jose\u0301 Garci\u0301a", "SPE_E5"},
			{"evil@contoso.com", "Evil\x1b[31m\nName", "SPB"},
		},
	}
	var b strings.Builder
	if err := tb.print(&b, "table"); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != 5 {
		t.Fatalf("%d lines, want 5:\n%s", len(lines), b.String())
	}
	col := -1
	for _, l := range lines {
		i := strings.Index(l, "  S")
		if strings.HasPrefix(l, "User Name") {
			i = strings.Index(l, "  Licenses")
		}
		if i < 0 {
			t.Fatalf("no third column in %q", l)
		}
		w := displayWidth(l[:i])
		if col >= 0 && w != col {
			t.Errorf("third column starts at column %d in %q, %d in the line before", w, l, col)
		}
		col = w
	}
	if strings.ContainsAny(b.String(), "\x1b\r") || !strings.Contains(b.String(), "Evil\uFFFD[31m\uFFFDName") {
		t.Errorf("control characters reached the terminal:\n%q", b.String())
	}
}

func TestDisplayWidth(t *testing.T) {
	for s, want := range map[string]int{
		"abc": 3, "陈伟": 4, "Ｆｕｌｌ": 8, "Jose\u0301": 4, "Zoë": 3, "👍": 2, "a\u200db": 2, "": 0,
	} {
		if got := displayWidth(s); got != want {
			t.Errorf("displayWidth(%q) = %d, want %d", s, got, want)
		}
	}
}
