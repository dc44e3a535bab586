package validate

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits of a user name (SPEC §5).
const (
	MaxAliasLen  = 64  // characters of the part before @
	MaxDomainLen = 48  // characters of the domain
	MaxUPNLen    = 113 // characters of alias@domain
)

// aliasSymbols are the characters other than ASCII letters and digits an
// alias may hold.
const aliasSymbols = "'.-_!#^~"

var errNotUTF8 = errors.New("contains bytes that are not valid UTF-8")

// Alias reports whether s is a valid alias, the part of a user name before
// the @. The grammar:
//
//	alias = char { char }            1 to 64 characters
//	char  = "A"…"Z" | "a"…"z" | "0"…"9" | "'" | "." | "-" | "_" | "!" | "#" | "^" | "~"
//
// and a period may not come first, last, or twice in a row. Accented
// letters (é, ü, ñ), letters of other scripts, spaces and invisible
// characters are refused with a rule that names them.
func Alias(s string) error {
	if !utf8.ValidString(s) {
		return errNotUTF8
	}
	if s == "" {
		return errors.New("the alias (the part before @) is empty")
	}
	for _, r := range s {
		if !isAliasChar(r) {
			return aliasCharError(r)
		}
	}
	if n := len(s); n > MaxAliasLen { // all ASCII by now: bytes are characters
		return fmt.Errorf("the alias must be at most %d characters (has %d)", MaxAliasLen, n)
	}
	switch {
	case s[0] == '.':
		return errors.New("the alias may not start with a period")
	case s[len(s)-1] == '.':
		return errors.New("the alias may not end with a period")
	case strings.Contains(s, ".."):
		return errors.New("two periods in a row are not allowed")
	}
	return nil
}

func isAliasChar(r rune) bool {
	return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' ||
		r < utf8.RuneSelf && strings.ContainsRune(aliasSymbols, r)
}

// aliasCharError says why the character r may not be in an alias, in
// words an admin recognizes ("accented letters"), with a fix when there is
// an obvious one.
func aliasCharError(r rune) error {
	switch {
	case r == ' ':
		return errors.New("spaces are not allowed in the alias")
	case unicode.Is(unicode.Mn, r):
		return fmt.Errorf("accent marks are not allowed in the alias (U+%04X)", r)
	case unicode.IsLetter(r):
		if plain, ok := fold(r); ok {
			if unicode.IsUpper(r) {
				plain = strings.ToUpper(plain)
			}
			return fmt.Errorf("accented letters are not allowed in the alias (%q): write %q instead", string(r), plain)
		}
		return fmt.Errorf("letters other than A–Z are not allowed in the alias (%q)", string(r))
	case !unicode.IsPrint(r):
		return fmt.Errorf("invisible and control characters are not allowed in the alias (U+%04X)", r)
	}
	return fmt.Errorf("the character %q is not allowed in the alias (allowed: A–Z a–z 0–9 ' . - _ ! # ^ ~)", string(r))
}

// Domain reports whether s is a valid domain name for a user name. The
// grammar, DNS's host name syntax in ASCII:
//
//	domain = label "." label { "." label }        at most 48 characters
//	label  = let-dig [ { let-dig-hyp } let-dig ]  1 to 63 characters
//	let-dig = "A"…"Z" | "a"…"z" | "0"…"9"
//	let-dig-hyp = let-dig | "-"
//
// Case does not matter. The last label may not be all digits (that is an
// IP address, not a domain). International domain names must be given in
// their ASCII ("xn--") form.
func Domain(s string) error {
	return checkDomain(s, "the domain", MaxDomainLen)
}

// checkDomain checks s against Domain's grammar with at most max
// characters, naming it subject in its errors.
func checkDomain(s, subject string, max int) error {
	if !utf8.ValidString(s) {
		return errNotUTF8
	}
	if s == "" {
		return fmt.Errorf("%s is empty", subject)
	}
	for _, r := range s {
		switch {
		case 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '-' || r == '.':
		case r == ' ':
			return fmt.Errorf("%s may not contain spaces", subject)
		case unicode.Is(unicode.Mn, r):
			return fmt.Errorf("%s may not contain the accent mark U+%04X (write an international domain in its xn-- form)", subject, r)
		case unicode.IsLetter(r):
			return fmt.Errorf("%s may not contain %q (write an international domain in its xn-- form)", subject, string(r))
		case !unicode.IsPrint(r):
			return fmt.Errorf("%s may not contain invisible or control characters (U+%04X)", subject, r)
		default:
			return fmt.Errorf("%s may not contain %q (only letters A–Z, digits, hyphens and periods)", subject, string(r))
		}
	}
	if n := len(s); n > max {
		return fmt.Errorf("%s must be at most %d characters (has %d)", subject, max, n)
	}
	switch {
	case s[0] == '.':
		return fmt.Errorf("%s may not start with a period", subject)
	case s[len(s)-1] == '.':
		return fmt.Errorf("%s may not end with a period", subject)
	case strings.Contains(s, ".."):
		return fmt.Errorf("two periods in a row are not allowed in %s", subject)
	}
	labels := strings.Split(s, ".")
	if len(labels) < 2 {
		return fmt.Errorf("%s needs at least two parts, like contoso.com", subject)
	}
	for _, l := range labels {
		if len(l) > 63 {
			return fmt.Errorf("each part of %s must be at most 63 characters", subject)
		}
		if l[0] == '-' || l[len(l)-1] == '-' {
			return fmt.Errorf("a part of %s may not start or end with a hyphen (%q)", subject, l)
		}
	}
	if strings.Trim(labels[len(labels)-1], "0123456789") == "" {
		return fmt.Errorf("the last part of %s may not be all digits", subject)
	}
	return nil
}

// Username parses and checks a User Name cell. The grammar:
//
//	username = alias "@" domain   |   alias          (the second only with a default domain)
//
// where alias is as Alias says and domain as Domain says, and the whole
// user principal name, alias "@" domain, is at most 113 characters. When s
// has no @, defaultDomain (--domain) is used; with none, s is refused with a
// rule that says to add @domain or pass --domain.
//
// On success it returns the user principal name alias + "@" + domain, the
// alias with its case kept and the domain lower-cased. On failure it returns
// empty strings and an error that says the first rule s breaks.
func Username(s, defaultDomain string) (upn, alias, domain string, err error) {
	if !utf8.ValidString(s) {
		return "", "", "", errNotUTF8
	}
	if s == "" {
		return "", "", "", errors.New("the user name is empty")
	}
	switch strings.Count(s, "@") {
	case 0:
		if defaultDomain == "" {
			return "", "", "", errors.New("has no @domain: write alias@domain, or pass --domain")
		}
		if err := checkDomain(defaultDomain, "the --domain value", MaxDomainLen); err != nil {
			return "", "", "", err
		}
		alias, domain = s, defaultDomain
	case 1:
		alias, domain, _ = strings.Cut(s, "@")
	default:
		return "", "", "", errors.New("more than one @ is not allowed")
	}
	if err := Alias(alias); err != nil {
		return "", "", "", err
	}
	if err := checkDomain(domain, "the domain", MaxDomainLen); err != nil {
		return "", "", "", err
	}
	domain = strings.ToLower(domain)
	upn = alias + "@" + domain
	// Unreachable while the alias and domain limits add up to this one;
	// kept so that the UPN limit holds whatever they become.
	if n := len(upn); n > MaxUPNLen {
		return "", "", "", fmt.Errorf("the user name must be at most %d characters (has %d)", MaxUPNLen, n)
	}
	return upn, alias, domain, nil
}
