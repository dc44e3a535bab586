package validate

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// Folds of a feed's generated user names (--fold).
const (
	FoldDefault = "default" // diacritics dropped: Müller → muller
	FoldGerman  = "de"      // German transliteration first: Müller → mueller, ß → ss
)

// Fold checks a --fold value: "" (FoldDefault), FoldDefault or FoldGerman.
func Fold(s string) (string, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", FoldDefault:
		return FoldDefault, nil
	case FoldGerman:
		return FoldGerman, nil
	}
	return "", fmt.Errorf("use default or de")
}

// patternFields are the placeholders of a user-name pattern.
var patternFields = []string{"{first}", "{last}", "{f}", "{l}"}

// UPNPattern checks a feed's user-name pattern (--upn). The grammar:
//
//	pattern     = 1*( placeholder / literal )
//	placeholder = "{first}" / "{last}" / "{f}" / "{l}"
//	literal     = a character the alias rules allow (see Alias)
//
// {first} and {last} are the First and Last Name cells, {f} and {l} their
// first letters. At least one placeholder is required; a brace that opens
// no placeholder is refused, and so is a literal the alias rules refuse.
func UPNPattern(p string) error {
	if p == "" {
		return errors.New("is empty: use e.g. {first}.{last}")
	}
	placeholders := 0
	for rest := p; rest != ""; {
		if rest[0] == '{' {
			matched := false
			for _, f := range patternFields {
				if strings.HasPrefix(rest, f) {
					rest, matched = rest[len(f):], true
					placeholders++
					break
				}
			}
			if !matched {
				return fmt.Errorf("%q: the placeholders are {first}, {last}, {f} and {l}", rest)
			}
			continue
		}
		r := []rune(rest)[0]
		if !isAliasChar(r) {
			return fmt.Errorf("the character %q is not allowed in a user name", r)
		}
		rest = rest[len(string(r)):]
	}
	if placeholders == 0 {
		return errors.New("has no placeholder: use {first}, {last}, {f} or {l}")
	}
	return nil
}

// AliasFromPattern makes a user name's alias from pattern (see UPNPattern)
// and the person's first and last name: lower case, diacritics folded as
// fold says (FoldDefault: Müller → muller; FoldGerman: Müller → mueller,
// ß → ss), characters the alias rules refuse dropped, and periods never
// first, last or twice in a row; at most 64 characters. It fails when the
// pattern is bad or nothing usable is left (a name in a script the alias
// rules do not allow, say).
func AliasFromPattern(pattern, first, last, fold string) (string, error) {
	if err := UPNPattern(pattern); err != nil {
		return "", err
	}
	f, l := foldName(first, fold), foldName(last, fold)
	initial := func(s string) string {
		if s == "" {
			return ""
		}
		return s[:1] // foldName leaves ASCII only
	}
	r := strings.NewReplacer("{first}", f, "{last}", l, "{f}", initial(f), "{l}", initial(l))
	alias := tidyAlias(strings.ToLower(r.Replace(pattern)))
	if alias == "" || Alias(alias) != nil {
		return "", fmt.Errorf("no user name can be made from First Name %q and Last Name %q with %s", first, last, pattern)
	}
	return alias, nil
}

// AliasOrEmployeeID is AliasFromPattern, except for a name that gives no
// alias (written in a script the alias rules do not allow, Chinese say):
// then the alias is the employee ID, lower case, when that is one, and
// fromID says so. A bad pattern, or a name and an ID that give none, fail.
func AliasOrEmployeeID(pattern, first, last, employeeID, fold string) (alias string, fromID bool, err error) {
	alias, err = AliasFromPattern(pattern, first, last, fold)
	if err == nil || UPNPattern(pattern) != nil {
		return alias, false, err
	}
	if id := strings.ToLower(strings.TrimSpace(employeeID)); id != "" && Alias(id) == nil {
		return id, true, nil
	}
	return "", false, err
}

// germanFolds are the transliterations of --fold de.
var germanFolds = map[rune]string{'ä': "ae", 'ö': "oe", 'ü': "ue", 'ß': "ss", 'Ä': "ae", 'Ö': "oe", 'Ü': "ue", 'ẞ': "ss"}

// foldName lower-cases a name, folds its diacritics and keeps only the
// characters an alias allows.
func foldName(s, mode string) string {
	var b strings.Builder
	for _, r := range s {
		if mode == FoldGerman {
			if g, ok := germanFolds[r]; ok {
				b.WriteString(g)
				continue
			}
		}
		if unicode.Is(unicode.Mn, r) {
			continue // a combining accent of a decomposed letter
		}
		f, _ := fold(r)
		for _, c := range f {
			if c < unicode.MaxASCII && isAliasChar(c) {
				b.WriteRune(c)
			}
		}
	}
	return b.String()
}

// tidyAlias removes periods that the alias rules refuse (first, last, two
// in a row) and cuts the alias to 64 characters.
func tidyAlias(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r == '.' && (b.Len() == 0 || strings.HasSuffix(b.String(), ".")) {
			continue
		}
		b.WriteRune(r)
	}
	out := b.String()
	if len(out) > 64 {
		out = out[:64]
	}
	return strings.TrimRight(out, ".")
}

// FreeAlias returns base when it is free, else base with the first free
// numeric suffix from 2 (john.smith2, john.smith3, …). taken reports
// whether an alias is taken: by any user of the directory, deleted ones
// included, or by an earlier row of the file. A suffix that would make the
// alias longer than 64 characters shortens base instead.
func FreeAlias(base string, taken func(alias string) bool) string {
	if !taken(base) {
		return base
	}
	for n := 2; ; n++ {
		suffix := strconv.Itoa(n)
		b := base
		if len(b)+len(suffix) > 64 {
			b = strings.TrimRight(b[:64-len(suffix)], ".")
		}
		if a := b + suffix; !taken(a) {
			return a
		}
	}
}

// FieldPair is one entry of a feed's --map: our column's name and the
// feed's header that holds it.
type FieldPair struct {
	Ours, Theirs string
}

// FieldMap parses a --map value: "Our Column=Their Column;…", entries
// separated by ";" (or newlines), names trimmed. Each entry needs both
// names; our column may be named once only, and so may theirs. Whether our
// name is a column is for the caller to know.
func FieldMap(s string) ([]FieldPair, error) {
	var out []FieldPair
	seenOurs, seenTheirs := map[string]bool{}, map[string]bool{}
	for _, entry := range strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == '\n' }) {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		ours, theirs, ok := strings.Cut(entry, "=")
		ours, theirs = strings.TrimSpace(ours), strings.TrimSpace(theirs)
		if !ok || ours == "" || theirs == "" {
			return nil, fmt.Errorf("%q: each entry is Our Column=Their Column", entry)
		}
		if seenOurs[strings.ToLower(ours)] {
			return nil, fmt.Errorf("%q is mapped twice", ours)
		}
		if seenTheirs[strings.ToLower(theirs)] {
			return nil, fmt.Errorf("their column %q is mapped twice", theirs)
		}
		seenOurs[strings.ToLower(ours)], seenTheirs[strings.ToLower(theirs)] = true, true
		out = append(out, FieldPair{Ours: ours, Theirs: theirs})
	}
	return out, nil
}

// LeaverValues parses --leaver-values: values separated by ";" or ",",
// trimmed, blanks dropped.
func LeaverValues(s string) []string {
	var out []string
	for _, v := range strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == ',' }) {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// IsLeaver reports whether a status cell holds one of the leaver values,
// case and surrounding space ignored.
func IsLeaver(values []string, cell string) bool {
	cell = strings.TrimSpace(cell)
	if cell == "" {
		return false
	}
	for _, v := range values {
		if strings.EqualFold(v, cell) {
			return true
		}
	}
	return false
}
