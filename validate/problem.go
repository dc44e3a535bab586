// Package validate holds the rules for one row of an import file (SPEC §5)
// and the role matrix that says which admin may do what (SPEC §2).
//
// Everything here is a pure function of its arguments: no database, no
// clock, no package-level state that changes (the tables are constant).
// The functions are safe for concurrent use and never panic, whatever the
// input: invalid UTF-8, NULs, control characters and huge strings all give
// an ordinary error or Problem.
//
// The field rules (Alias, Domain, Username, Password, …) return nil or an
// error whose text is only the rule that was broken, starting lower case,
// with neither the column nor the value in it, so that callers can say
// which column and value it was about. Row applies every rule to one row and
// returns every broken one as a Problem.
package validate

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Problem is one broken rule of one cell.
type Problem struct {
	Column string // the column's name in our template (SPEC §4), e.g. "User Name"
	Value  string // the offending cell as given; "" when there is none to show (never a password)
	Rule   string // what is wrong, starting lower case: "two periods in a row are not allowed"
}

// maxShown is how many characters of a value a message shows.
const maxShown = 60

// String returns the problem as an admin reads it, always on one line:
//
//	User Name: two periods in a row are not allowed ("jakob..smith")
//
// The value is left out when it is empty, shortened to its first 60
// characters and "…" when longer, and quoted in Go syntax, so that control
// characters, invisible characters and invalid bytes show as escapes
// ("\t", "\u200b", "\xff") rather than breaking the line or hiding.
func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(oneLine(p.Column))
	b.WriteString(": ")
	b.WriteString(oneLine(p.Rule))
	if p.Value != "" {
		b.WriteString(" (")
		b.WriteString(quote(p.Value))
		b.WriteString(")")
	}
	return b.String()
}

// Message joins the problems' strings with "; ", as the result workbook's
// Message column shows them. It returns "" for no problems.
func Message(ps []Problem) string {
	var b strings.Builder
	for i, p := range ps {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.String())
	}
	return b.String()
}

// quote returns s in double quotes for a message: at most maxShown
// characters of it (then "…"), with anything unprintable escaped.
func quote(s string) string {
	return strconv.Quote(shorten(s, maxShown))
}

// shorten returns s cut to its first n characters followed by "…" when it
// is longer than n characters. An invalid byte counts as one character.
func shorten(s string, n int) string {
	i := 0
	for range n {
		if i >= len(s) {
			return s
		}
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	if i >= len(s) {
		return s
	}
	return s[:i] + "…"
}

// oneLine returns s with every unprintable character (line breaks, tabs,
// invisible characters, invalid bytes) escaped as strconv.Quote would, so
// that text that may hold user input can never break a message's line.
func oneLine(s string) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || !unicode.IsPrint(r) && r != ' ' {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	q := strconv.Quote(s)
	return q[1 : len(q)-1]
}
