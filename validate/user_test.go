package validate

import (
	"strings"
	"testing"
)

// errText returns err's text, or "" for nil, so that tables can say "" for
// "no error".
func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

const allowedAliasSymbols = " (allowed: A–Z a–z 0–9 ' . - _ ! # ^ ~)"

func TestAlias(t *testing.T) {
	for _, tt := range []struct {
		name, alias, err string
	}{
		{"OK", "jakob.smith", ""},
		{"OneChar", "a", ""},
		{"Max64", strings.Repeat("a", 64), ""},
		{"Over64", strings.Repeat("a", 65), "the alias must be at most 64 characters (has 65)"},
		{"Huge", strings.Repeat("a", 1<<20), "the alias must be at most 64 characters (has 1048576)"},
		{"Empty", "", "the alias (the part before @) is empty"},
		{"Apostrophe", "o'brien", ""},
		{"EverySymbol", "x!#^~y", ""},
		{"AllAllowed", "AZaz09'.-_!#^~x", ""},
		{"Digits", "12345", ""},
		{"UpperCase", "JSmith", ""},
		{"TwoPeriods", "a..b", "two periods in a row are not allowed"},
		{"ThreePeriods", "a...b", "two periods in a row are not allowed"},
		{"PeriodFirst", ".a", "the alias may not start with a period"},
		{"PeriodLast", "a.", "the alias may not end with a period"},
		{"OnlyPeriod", ".", "the alias may not start with a period"},
		{"HyphenEnds", "-a-", ""},
		{"Accented", "josé", `accented letters are not allowed in the alias ("é"): write "e" instead`},
		{"AccentedUpper", "JOSÉ", `accented letters are not allowed in the alias ("É"): write "E" instead`},
		{"Umlaut", "müller", `accented letters are not allowed in the alias ("ü"): write "u" instead`},
		{"Eszett", "strauß", `accented letters are not allowed in the alias ("ß"): write "ss" instead`},
		{"CombiningMark", "jose\u0301", "accent marks are not allowed in the alias (U+0301)"},
		{"Cyrillic", "иван", `letters other than A–Z are not allowed in the alias ("и")`},
		{"CJK", "山田", `letters other than A–Z are not allowed in the alias ("山")`},
		{"RTLLetters", "שלום", `letters other than A–Z are not allowed in the alias ("ש")`},
		{"RTLOverride", "abc\u202edef", "invisible and control characters are not allowed in the alias (U+202E)"},
		{"ZeroWidthSpace", "jo\u200bhn", "invisible and control characters are not allowed in the alias (U+200B)"},
		{"NUL", "jo\x00hn", "invisible and control characters are not allowed in the alias (U+0000)"},
		{"Tab", "jo\thn", "invisible and control characters are not allowed in the alias (U+0009)"},
		{"Space", "john smith", "spaces are not allowed in the alias"},
		{"LeadingSpace", " john", "spaces are not allowed in the alias"},
		{"NoBreakSpace", "john\u00a0smith", "invisible and control characters are not allowed in the alias (U+00A0)"},
		{"At", "a@b", `the character "@" is not allowed in the alias` + allowedAliasSymbols},
		{"Plus", "john+tag", `the character "+" is not allowed in the alias` + allowedAliasSymbols},
		{"Quote", `jo"hn`, `the character "\"" is not allowed in the alias` + allowedAliasSymbols},
		{"Emoji", "jo😀", `the character "😀" is not allowed in the alias` + allowedAliasSymbols},
		{"FullwidthLetter", "ｊｏｈｎ", `letters other than A–Z are not allowed in the alias ("ｊ")`},
		{"InvalidUTF8", "jo\xffhn", "contains bytes that are not valid UTF-8"},
		// A bad character is reported before the length: it is the rule to fix.
		{"Over64WithAccent", strings.Repeat("é", 65), `accented letters are not allowed in the alias ("é"): write "e" instead`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := errText(Alias(tt.alias)); got != tt.err {
				t.Errorf("Alias(%.80q) = %q, want %q", tt.alias, got, tt.err)
			}
		})
	}
}

func TestDomain(t *testing.T) {
	// label48 is a domain of exactly 48 characters.
	label48 := strings.Repeat("a", 44) + ".com"
	for _, tt := range []struct {
		name, domain, err string
	}{
		{"OK", "contoso.com", ""},
		{"Subdomain", "mail.eu.contoso.com", ""},
		{"Digits", "365.contoso.com", ""},
		{"Hyphen", "con-toso.com", ""},
		{"UpperCase", "CONTOSO.COM", ""},
		{"Max48", label48, ""},
		{"Over48", "a" + label48, "the domain must be at most 48 characters (has 49)"},
		{"Empty", "", "the domain is empty"},
		{"OneLabel", "contoso", "the domain needs at least two parts, like contoso.com"},
		{"TwoPeriods", "contoso..com", "two periods in a row are not allowed in the domain"},
		{"PeriodFirst", ".contoso.com", "the domain may not start with a period"},
		{"TrailingPeriod", "contoso.com.", "the domain may not end with a period"},
		{"HyphenFirst", "-contoso.com", `a part of the domain may not start or end with a hyphen ("-contoso")`},
		{"HyphenLast", "contoso-.com", `a part of the domain may not start or end with a hyphen ("contoso-")`},
		{"HyphenTLD", "contoso.-com", `a part of the domain may not start or end with a hyphen ("-com")`},
		{"Punycode", "xn--mnchen-3ya.de", ""},
		{"IDN", "münchen.de", `the domain may not contain "ü" (write an international domain in its xn-- form)`},
		{"CombiningMark", "mu\u0308nchen.de", `the domain may not contain the accent mark U+0308 (write an international domain in its xn-- form)`},
		{"Underscore", "con_toso.com", `the domain may not contain "_" (only letters A–Z, digits, hyphens and periods)`},
		{"At", "a@contoso.com", `the domain may not contain "@" (only letters A–Z, digits, hyphens and periods)`},
		{"Space", "contoso .com", "the domain may not contain spaces"},
		{"ZeroWidthSpace", "contoso\u200b.com", "the domain may not contain invisible or control characters (U+200B)"},
		{"RTLOverride", "\u202econtoso.com", "the domain may not contain invisible or control characters (U+202E)"},
		{"NUL", "contoso\x00.com", "the domain may not contain invisible or control characters (U+0000)"},
		{"IPAddress", "10.0.0.1", "the last part of the domain may not be all digits"},
		{"NumericLabelsButAlphaTLD", "10.0.0.com", ""},
		{"InvalidUTF8", "conto\xc3so.com", "contains bytes that are not valid UTF-8"},
		{"Huge", strings.Repeat("a.", 1<<19) + "com", "the domain must be at most 48 characters (has 1048579)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := errText(Domain(tt.domain)); got != tt.err {
				t.Errorf("Domain(%.80q) = %q, want %q", tt.domain, got, tt.err)
			}
		})
	}
}

func TestDomainLabelOver63(t *testing.T) {
	// Unreachable through Domain's 48-character limit, so checked through
	// the email rule's longer one.
	err := checkDomain(strings.Repeat("a", 64)+".com", "the domain", 253)
	if got, want := errText(err), "each part of the domain must be at most 63 characters"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if err := checkDomain(strings.Repeat("a", 63)+".com", "the domain", 253); err != nil {
		t.Errorf("63-character label: %v", err)
	}
}

func TestUsername(t *testing.T) {
	alias64 := strings.Repeat("a", 64)
	domain48 := strings.Repeat("d", 44) + ".com"
	for _, tt := range []struct {
		name, in, defaultDomain string
		upn, alias, domain      string
		err                     string
	}{
		{name: "OK", in: "jakob.smith@contoso.com", upn: "jakob.smith@contoso.com", alias: "jakob.smith", domain: "contoso.com"},
		{name: "UpperCaseDomainLowered", in: "Jakob.Smith@CONTOSO.COM", upn: "Jakob.Smith@contoso.com", alias: "Jakob.Smith", domain: "contoso.com"},
		{name: "DefaultDomain", in: "jakob", defaultDomain: "Contoso.com", upn: "jakob@contoso.com", alias: "jakob", domain: "contoso.com"},
		{name: "OwnDomainBeatsDefault", in: "jakob@fabrikam.com", defaultDomain: "contoso.com", upn: "jakob@fabrikam.com", alias: "jakob", domain: "fabrikam.com"},
		{name: "NoDomain", in: "jakob", err: "has no @domain: write alias@domain, or pass --domain"},
		{name: "BadDefaultDomain", in: "jakob", defaultDomain: "contoso", err: "the --domain value needs at least two parts, like contoso.com"},
		{name: "Max113", in: alias64 + "@" + domain48, upn: alias64 + "@" + domain48, alias: alias64, domain: domain48},
		{name: "Over113AliasTooLong", in: alias64 + "a@" + domain48, err: "the alias must be at most 64 characters (has 65)"},
		{name: "Over113DomainTooLong", in: alias64 + "@d" + domain48, err: "the domain must be at most 48 characters (has 49)"},
		{name: "Empty", in: "", err: "the user name is empty"},
		{name: "OnlyAt", in: "@", err: "the alias (the part before @) is empty"},
		{name: "NoAlias", in: "@contoso.com", err: "the alias (the part before @) is empty"},
		{name: "NoDomainAfterAt", in: "jakob@", err: "the domain is empty"},
		{name: "TwoAts", in: "a@b@contoso.com", err: "more than one @ is not allowed"},
		{name: "TwoAtsInARow", in: "a@@contoso.com", err: "more than one @ is not allowed"},
		{name: "TwoPeriods", in: "jakob..smith@contoso.com", err: "two periods in a row are not allowed"},
		{name: "PeriodBeforeAt", in: "jakob.@contoso.com", err: "the alias may not end with a period"},
		{name: "PeriodAfterAt", in: "jakob@.contoso.com", err: "the domain may not start with a period"},
		{name: "Accented", in: "josé@contoso.com", err: `accented letters are not allowed in the alias ("é"): write "e" instead`},
		{name: "Apostrophe", in: "o'brien@contoso.com", upn: "o'brien@contoso.com", alias: "o'brien", domain: "contoso.com"},
		{name: "Spaces", in: "jakob smith@contoso.com", err: "spaces are not allowed in the alias"},
		{name: "SpaceAroundAt", in: "jakob @contoso.com", err: "spaces are not allowed in the alias"},
		{name: "DisplayNameForm", in: "Jakob <jakob@contoso.com>", err: "spaces are not allowed in the alias"},
		{name: "ZeroWidthSpace", in: "jakob\u200b@contoso.com", err: "invisible and control characters are not allowed in the alias (U+200B)"},
		{name: "FullwidthAt", in: "jakob＠contoso.com", err: "has no @domain: write alias@domain, or pass --domain"},
		{name: "InvalidUTF8", in: "jakob\xff@contoso.com", err: "contains bytes that are not valid UTF-8"},
		{name: "HugeAlias", in: strings.Repeat("a", 1<<20) + "@contoso.com", err: "the alias must be at most 64 characters (has 1048576)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			upn, alias, domain, err := Username(tt.in, tt.defaultDomain)
			if got := errText(err); got != tt.err {
				t.Fatalf("Username(%.80q, %q) error = %q, want %q", tt.in, tt.defaultDomain, got, tt.err)
			}
			if upn != tt.upn || alias != tt.alias || domain != tt.domain {
				t.Errorf("Username(%.80q, %q) = %q, %q, %q, want %q, %q, %q", tt.in, tt.defaultDomain, upn, alias, domain, tt.upn, tt.alias, tt.domain)
			}
		})
	}
}
