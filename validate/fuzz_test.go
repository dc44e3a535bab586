package validate

import (
	"strings"
	"testing"
)

func FuzzUsername(f *testing.F) {
	for _, seed := range []struct{ s, def string }{
		{"jakob.smith@contoso.com", ""},
		{"Jakob.Smith@CONTOSO.COM", ""},
		{"jakob", "contoso.com"},
		{"jakob", ""},
		{"jakob..smith@contoso.com", ""},
		{".a@b.co", ""},
		{"a.@b.co", ""},
		{"o'brien@contoso.com", ""},
		{"x!#^~y@contoso.com", ""},
		{"josé@contoso.com", ""},
		{"jose\u0301@contoso.com", ""},
		{"a@b@contoso.com", ""},
		{"@contoso.com", ""},
		{"jakob@", ""},
		{"jakob\u200b@contoso.com", ""},
		{"\u202ejakob@contoso.com", ""},
		{"jakob@-contoso.com", ""},
		{"jakob@10.0.0.1", ""},
		{strings.Repeat("a", 64) + "@" + strings.Repeat("d", 44) + ".com", ""},
		{strings.Repeat("a", 65) + "@contoso.com", ""},
		{"jakob\xff@contoso.com", ""},
		{"", "contoso.com"},
	} {
		f.Add(seed.s, seed.def)
	}
	f.Fuzz(func(t *testing.T, s, def string) {
		upn, alias, domain, err := Username(s, def)
		upn2, alias2, domain2, err2 := Username(s, def)
		if upn != upn2 || alias != alias2 || domain != domain2 || errText(err) != errText(err2) {
			t.Fatalf("Username(%q, %q) is not the same twice", s, def)
		}
		if err != nil {
			if upn != "" || alias != "" || domain != "" {
				t.Fatalf("Username(%q, %q) failed but returned %q, %q, %q", s, def, upn, alias, domain)
			}
			if !isOneLine(err.Error()) || err.Error() == "" {
				t.Fatalf("Username(%q, %q): bad error text %q", s, def, err)
			}
			return
		}
		checkUsername(t, s, def, upn, alias, domain)
		// Accepted names are plain ASCII: nothing invisible can hide in them.
		for i := 0; i < len(upn); i++ {
			if c := upn[i]; c <= ' ' || c >= 0x7f {
				t.Fatalf("Username(%q, %q) accepted byte %#x", s, def, c)
			}
		}
		// Accepting is stable: the result is accepted as itself.
		if upn3, _, _, err := Username(upn, ""); err != nil || upn3 != upn {
			t.Fatalf("Username(%q) = %q, %v; want it back", upn, upn3, err)
		}
	})
}

func FuzzPassword(f *testing.F) {
	for _, seed := range []struct{ pw, alias string }{
		{"Correct-Horse-9", "jakob"},
		{"Abcdef1", ""},
		{"Abcdefg1", ""},
		{"abcdEFGH", ""},
		{"abcd EFG", ""},
		{"xxJakob99!", "jakob"},
		{"Jo123456!", "jo"},
		{"Pässwort123!", ""},
		{"Pass\tword1", ""},
		{"Password1\x00", ""},
		{"lower-case letters", ""},
		{"Aa1" + strings.Repeat("x", 253), ""},
		{"Aa1" + strings.Repeat("x", 254), ""},
	} {
		f.Add(seed.pw, seed.alias)
	}
	// The error's text must come from this fixed set: it may not depend on
	// the password.
	texts := map[string]bool{
		"": true,
		"may hold only printable ASCII characters and spaces":                                  true,
		"must be at least 8 characters":                                                        true,
		"must be at most 256 characters":                                                       true,
		"must have at least three of: lower-case letters, upper-case letters, digits, symbols": true,
		"must not contain the user's alias":                                                    true,
	}
	f.Fuzz(func(t *testing.T, pw, alias string) {
		err := Password(pw, alias)
		if errText(err) != errText(Password(pw, alias)) {
			t.Fatalf("Password(%q, %q) is not the same twice", pw, alias)
		}
		if !texts[errText(err)] {
			t.Fatalf("Password(%q, %q) = %q, not a fixed text", pw, alias, err)
		}
		if err != nil {
			return
		}
		if n := len(pw); n < MinPasswordLen || n > MaxPasswordLen {
			t.Fatalf("Password accepted %q of %d characters", pw, n)
		}
		kinds := 0
		for _, set := range []string{"abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "0123456789", " !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"} {
			if strings.ContainsAny(pw, set) {
				kinds++
			}
		}
		if kinds < 3 {
			t.Fatalf("Password accepted %q with %d kinds", pw, kinds)
		}
		for i := 0; i < len(pw); i++ {
			if c := pw[i]; c < ' ' || c > '~' {
				t.Fatalf("Password accepted %q with byte %#x", pw, c)
			}
		}
		if len(alias) >= 3 && strings.Contains(strings.ToLower(pw), strings.ToLower(alias)) {
			t.Fatalf("Password accepted %q, which contains the alias %q", pw, alias)
		}
	})
}

func FuzzRow(f *testing.F) {
	good := goodInput()
	f.Add(good.UserName, good.Password, good.Licenses, good.UsageLocation, good.Country, good.DisplayName, false)
	f.Add("jakob", "", "SPB", "", "Deutschland", "", true)
	f.Add("jakob..smith@contoso.com", "short", "E5;;SPB", "Mars", "", "\x00", false)
	f.Add("josé@northwind.example", "Pässwort1", "office 365 e3", "uk", "U.K.", strings.Repeat("x", 300), true)
	f.Add("\xff@\xff", "\xff", "\xff", "\xff", "\xff", "\xff", false)
	f.Fuzz(func(t *testing.T, userName, password, licenses, usageLocation, country, displayName string, existing bool) {
		in := goodInput()
		in.UserName, in.Password, in.Licenses, in.UsageLocation, in.Country, in.DisplayName = userName, password, licenses, usageLocation, country, displayName
		c := demoContext()
		c.DefaultDomain = "contoso.com"
		if existing {
			c.Existing = &Existing{UsageLocation: country, Licenses: []string{licenses}}
		}
		checkRow(t, in, c)
	})
}

// FuzzAliasOrEmployeeID: whatever the names and the Employee ID, the
// alias --upn makes is one the alias rules accept (plain ASCII, at most 64
// characters), or there is a one-line error; an alias from the Employee ID
// is that ID, lower case.
func FuzzAliasOrEmployeeID(f *testing.F) {
	for _, seed := range []struct{ pattern, first, last, id, fold string }{
		{"{first}.{last}", "John", "Smith", "E1", ""},
		{"{first}.{last}", "Jörg", "Groß", "E2", "de"},
		{"{f}{last}", "Élodie", "Durand", "", ""},
		{"{first}.{last}", "敏", "张", "E0126135", ""},
		{"{first}.{last}", "敏", "张", "E 01/26", ""},
		{"{first}.{last}", "\u202eevil", "\u200bname", "E3", ""},
		{"{first}.{last}", strings.Repeat("a", 70), strings.Repeat("b", 70), "E4", ""},
		{"{first}..{last}", ".", ".", "..", ""},
		{"{nick}", "a", "b", "E5", ""},
		{"{first}.{last}", "a\xffb", "c", "E6\xff", ""},
	} {
		f.Add(seed.pattern, seed.first, seed.last, seed.id, seed.fold)
	}
	f.Fuzz(func(t *testing.T, pattern, first, last, id, fold string) {
		alias, fromID, err := AliasOrEmployeeID(pattern, first, last, id, fold)
		if err != nil {
			if alias != "" || fromID || !isOneLine(err.Error()) || err.Error() == "" {
				t.Fatalf("AliasOrEmployeeID(%q, %q, %q, %q) = %q, %t, %q", pattern, first, last, id, alias, fromID, err)
			}
			return
		}
		if aerr := Alias(alias); aerr != nil || len(alias) > 64 {
			t.Fatalf("AliasOrEmployeeID(%q, %q, %q, %q) = %q, which the alias rules refuse: %v", pattern, first, last, id, alias, aerr)
		}
		for i := 0; i < len(alias); i++ {
			if c := alias[i]; c <= ' ' || c >= 0x7f {
				t.Fatalf("AliasOrEmployeeID(%q, %q, %q, %q) = %q: byte %#x", pattern, first, last, id, alias, c)
			}
		}
		if fromID && alias != strings.ToLower(strings.TrimSpace(id)) {
			t.Fatalf("an alias from Employee ID %q: %q", id, alias)
		}
	})
}
