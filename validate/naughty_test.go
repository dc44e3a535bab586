package validate

import (
	"reflect"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"userimport/internal/corpustest"
)

// blnsPath is the Big List of Naughty Strings, from the package directory.
const blnsPath = "../../shared/corpora/blns/blns.json"

// naughtyStrings returns the shared naughty strings and a few more of our
// own: huge cells, formula-like and combining-mark values.
func naughtyStrings(t *testing.T) []string {
	t.Helper()
	return append(corpustest.NaughtyStrings(t, blnsPath),
		strings.Repeat("é", 1<<18), strings.Repeat("@", 1000),
		strings.Repeat(".", 1000), strings.Repeat("a.", 1000)+"com", strings.Repeat("\xff", 1000),
		"=cmd|' /C calc'!A0", "+1-555", "@SUM(1+1)", "\tjakob", "e\u0301\u0301\u0301\u0301",
	)
}

// isOneLine reports whether s can be shown as one line of a message: valid
// UTF-8 with no control characters and no line or paragraph separators.
func isOneLine(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return false
		}
	}
	return true
}

// TestNaughtyStrings puts every naughty string through every rule and
// through Row in every column: nothing panics, each answer is the same
// twice, and every message is one line.
func TestNaughtyStrings(t *testing.T) {
	ss := naughtyStrings(t)
	checkErr := func(t *testing.T, what, s string, err error) {
		t.Helper()
		if err != nil && !isOneLine(err.Error()) {
			t.Errorf("%s(%.40q): error is not one line: %q", what, s, err)
		}
	}
	for _, s := range ss {
		// The rules that return only an error.
		for name, rule := range map[string]func(string) error{
			"Alias": Alias, "Domain": Domain, "Phone": Phone, "Email": Email,
			"PasswordWithoutAlias": func(s string) error { return Password(s, "") },
			"PasswordOfItself":     func(s string) error { return Password(s, s) },
			"MaxLen":               func(s string) error { return MaxLen(s, 64) },
		} {
			err1, err2 := rule(s), rule(s)
			if errText(err1) != errText(err2) {
				t.Errorf("%s(%.40q) gave %q, then %q", name, s, errText(err1), errText(err2))
			}
			checkErr(t, name, s, err1)
		}
		for _, def := range []string{"", "contoso.com", s} {
			a1, a2, a3, err := Username(s, def)
			b1, b2, b3, err2 := Username(s, def)
			if a1 != b1 || a2 != b2 || a3 != b3 || errText(err) != errText(err2) {
				t.Errorf("Username(%.40q, %.40q) is not the same twice", s, def)
			}
			checkErr(t, "Username", s, err)
			if err == nil {
				checkUsername(t, s, def, a1, a2, a3)
			}
		}
		code, ok := CountryCode(s)
		if c2, ok2 := CountryCode(s); code != c2 || ok != ok2 {
			t.Errorf("CountryCode(%.40q) is not the same twice", s)
		}
		if ok && !isCountry(code) {
			t.Errorf("CountryCode(%.40q) = %q, no code", s, code)
		}
		loc, err := UsageLocation(s)
		checkErr(t, "UsageLocation", s, err)
		if err == nil && !isCountry(loc) {
			t.Errorf("UsageLocation(%.40q) = %q, no code", s, loc)
		}
		_, _, err = Bool(s)
		checkErr(t, "Bool", s, err)
		for _, item := range List(s) {
			if item == "" || item != strings.TrimSpace(item) || strings.ContainsAny(item, ";,") {
				t.Errorf("List(%.40q) has item %q", s, item)
			}
		}
		RoleName(s)
		IsAdmin([]string{s})
		Allowed([]string{s}, GiveRole)
		if p := (Problem{Column: s, Value: s, Rule: s}).String(); !isOneLine(p) {
			t.Errorf("Problem of %.40q is not one line: %q", s, p)
		}
	}

	// Row: each string in each column of a good row, then in all of them.
	for _, s := range ss {
		for col := range numColumns {
			in := goodInput()
			setCell(&in, col, s)
			checkRow(t, in, demoContext())
		}
		var in Input
		for col := range numColumns {
			setCell(&in, col, s)
		}
		c := demoContext()
		c.DefaultDomain = "contoso.com"
		checkRow(t, in, c)
		c.Existing = &Existing{UsageLocation: s, Licenses: []string{s}}
		checkRow(t, in, c)
	}
}

// checkUsername checks what Username accepted against its contract.
func checkUsername(t *testing.T, s, defaultDomain, upn, alias, domain string) {
	t.Helper()
	if err := Alias(alias); err != nil {
		t.Errorf("Username(%.40q) accepted alias %q: %v", s, alias, err)
	}
	if err := Domain(domain); err != nil {
		t.Errorf("Username(%.40q) accepted domain %q: %v", s, domain, err)
	}
	if domain != strings.ToLower(domain) {
		t.Errorf("Username(%.40q) domain %q is not lower-case", s, domain)
	}
	if upn != alias+"@"+domain {
		t.Errorf("Username(%.40q) upn %q is not %q@%q", s, upn, alias, domain)
	}
	if n := utf8.RuneCountInString(upn); n > MaxUPNLen {
		t.Errorf("Username(%.40q) upn has %d characters", s, n)
	}
	want := s
	if !strings.Contains(s, "@") {
		want = s + "@" + defaultDomain
	}
	if !strings.EqualFold(upn, want) {
		t.Errorf("Username(%.40q, %q) upn %q is not the input", s, defaultDomain, upn)
	}
}

// checkRow runs Row twice and checks its answers against its contract.
func checkRow(t *testing.T, in Input, c Context) {
	t.Helper()
	u1, ps1 := Row(in, c)
	u2, ps2 := Row(in, c)
	if !reflect.DeepEqual(u1, u2) || !reflect.DeepEqual(ps1, ps2) {
		t.Errorf("Row(%+.40v) is not the same twice", in)
	}
	for _, p := range ps1 {
		if s := p.String(); !isOneLine(s) {
			t.Errorf("problem is not one line: %q", s)
		}
		if p.Column == "Password" && p.Value != "" {
			t.Errorf("problem shows the password: %q", p.String())
		}
		if p.Rule == "" || p.Column == "" {
			t.Errorf("problem without a rule or column: %+v", p)
		}
	}
	if len(ps1) == 0 {
		checkUsername(t, in.UserName, c.DefaultDomain, u1.UPN, u1.Alias, u1.Domain)
		if !c.VerifiedDomains[u1.Domain] {
			t.Errorf("Row accepted unverified domain %q", u1.Domain)
		}
		if in.Password != "" {
			if err := Password(u1.Password, u1.Alias); err != nil {
				t.Errorf("Row accepted a bad password: %v", err)
			}
		}
	}
}

// setCell sets the cell of column col: Input's fields are in column order.
func setCell(in *Input, col int, v string) {
	reflect.ValueOf(in).Elem().Field(col).SetString(v)
}

func TestInputColumns(t *testing.T) {
	typ := reflect.TypeFor[Input]()
	if typ.NumField() != numColumns {
		t.Fatalf("Input has %d fields, want %d", typ.NumField(), numColumns)
	}
	for col := range numColumns {
		var in Input
		setCell(&in, col, "x")
		if in.cell(col) != "x" {
			t.Errorf("field %s is not column %d (%s)", typ.Field(col).Name, col, columnNames[col])
		}
	}
}
