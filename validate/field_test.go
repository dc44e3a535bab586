package validate

import (
	"slices"
	"strings"
	"testing"
)

func TestMaxLen(t *testing.T) {
	for _, tt := range []struct {
		name string
		s    string
		n    int
		err  string
	}{
		{"Empty", "", 64, ""},
		{"AtLimit", strings.Repeat("a", 64), 64, ""},
		{"OverLimit", strings.Repeat("a", 65), 64, "must be at most 64 characters (has 65)"},
		{"CountsCharactersNotBytes", strings.Repeat("é", 64), 64, ""},
		{"CJKAtLimit", strings.Repeat("山", 40), 40, ""},
		{"CJKOverLimit", strings.Repeat("山", 41), 40, "must be at most 40 characters (has 41)"},
		{"CombiningMarksCount", strings.Repeat("e\u0301", 33), 64, "must be at most 64 characters (has 66)"},
		{"InvalidBytesCountOneEach", strings.Repeat("\xff", 65), 64, "must be at most 64 characters (has 65)"},
		{"Zero", "a", 0, "must be at most 0 characters (has 1)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := errText(MaxLen(tt.s, tt.n)); got != tt.err {
				t.Errorf("MaxLen(%.40q, %d) = %q, want %q", tt.s, tt.n, got, tt.err)
			}
		})
	}
}

func TestPhone(t *testing.T) {
	for _, tt := range []struct {
		name, phone, err string
	}{
		{"OK", "+1 (425) 555-0100", ""},
		{"Extension", "+1 425 555 0100 x123", ""},
		{"ExtensionUpperX", "425.555.0100 X9", ""},
		{"Slash", "089/1234567", ""},
		{"DigitsOnly", "4255550100", ""},
		{"Max64", strings.Repeat("1", 64), ""},
		{"Over64", strings.Repeat("1", 65), "must be at most 64 characters (has 65)"},
		{"NoDigit", "+() -", "must have at least one digit"},
		{"Empty", "", "must have at least one digit"},
		{"Letters", "555-CALL-NOW", `may not contain "C" (only digits, spaces and + - ( ) . / x)`},
		{"Ext", "555 0100 ext 12", `may not contain "e" (only digits, spaces and + - ( ) . / x)`},
		{"Formula", "=1+2", `may not contain "=" (only digits, spaces and + - ( ) . / x)`},
		{"ArabicIndicDigits", "٤٢٥", `may not contain "٤" (only digits, spaces and + - ( ) . / x)`},
		{"Tab", "425\t555", "may not contain invisible or control characters (U+0009)"},
		{"ZeroWidthSpace", "425\u200b555", "may not contain invisible or control characters (U+200B)"},
		{"InvalidUTF8", "425\xff", "contains bytes that are not valid UTF-8"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := errText(Phone(tt.phone)); got != tt.err {
				t.Errorf("Phone(%.40q) = %q, want %q", tt.phone, got, tt.err)
			}
		})
	}
}

func TestEmail(t *testing.T) {
	const invalid = "is not a valid email address"
	// email256 has 64 + 1 + 63 + 1 + 63 + 1 + 59 + 4 = 256 characters.
	email256 := strings.Repeat("a", 64) + "@" + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 59) + ".com"
	for _, tt := range []struct {
		name, email, err string
	}{
		{"OK", "jakob@example.com", ""},
		{"Plus", "jakob+hr@example.com", ""},
		{"Subdomain", "jakob@mail.example.co.uk", ""},
		{"UpperCase", "Jakob@Example.COM", ""},
		{"Max256", email256, ""},
		{"Over256", "a" + email256, "must be at most 256 characters (has 257)"},
		{"NoAt", "jakob.example.com", "is not an email address: write it as name@example.com"},
		{"Empty", "", "is not an email address: write it as name@example.com"},
		{"TwoAts", "jakob@@example.com", invalid},
		{"NoLocal", "@example.com", invalid},
		{"NoDomain", "jakob@", invalid},
		{"DomainWithoutDot", "jakob@localhost", "the address's domain needs at least two parts, like contoso.com"},
		{"DisplayName", "Jakob Smith <jakob@example.com>", "must be just the address, without a name or <>"},
		{"Space", "jakob smith@example.com", invalid},
		{"AngleBrackets", "<jakob@example.com>", "must be just the address, without a name or <>"},
		{"TwoPeriods", "jakob..smith@example.com", invalid},
		{"QuotedLocal", `"jakob smith"@example.com`, invalid},
		{"IPLiteral", "jakob@[10.0.0.1]", `the address's domain may not contain "[" (only letters A–Z, digits, hyphens and periods)`},
		{"IDN", "jakob@münchen.de", `the address's domain may not contain "ü" (write an international domain in its xn-- form)`},
		{"TrailingDot", "jakob@example.com.", invalid},
		{"Comment", "jakob@example.com(work)", invalid},
		{"ZeroWidthSpace", "ja\u200bkob@example.com", "may not contain invisible or control characters (U+200B)"},
		{"NUL", "jakob\x00@example.com", "may not contain invisible or control characters (U+0000)"},
		{"InvalidUTF8", "jakob\xff@example.com", "contains bytes that are not valid UTF-8"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := errText(Email(tt.email)); got != tt.err {
				t.Errorf("Email(%.60q) = %q, want %q", tt.email, got, tt.err)
			}
		})
	}
}

func TestBool(t *testing.T) {
	for _, tt := range []struct {
		name   string
		in     string
		v, set bool
		err    string
	}{
		{"Blank", "", false, false, ""},
		{"Spaces", "  ", false, false, ""},
		{"Yes", "Yes", true, true, ""},
		{"YES", "YES", true, true, ""},
		{"yes", "yes", true, true, ""},
		{"Y", "y", true, true, ""},
		{"True", "TRUE", true, true, ""},
		{"One", "1", true, true, ""},
		{"No", "No", false, true, ""},
		{"N", "n", false, true, ""},
		{"False", "false", false, true, ""},
		{"Zero", "0", false, true, ""},
		{"Padded", " Yes ", true, true, ""},
		{"Maybe", "maybe", false, false, "must be Yes or No"},
		{"Oui", "Oui", false, false, "must be Yes or No"},
		{"Two", "2", false, false, "must be Yes or No"},
		{"YesNo", "Yes/No", false, false, "must be Yes or No"},
		{"InvalidUTF8", "Y\xff", false, false, "must be Yes or No"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			v, set, err := Bool(tt.in)
			if v != tt.v || set != tt.set || errText(err) != tt.err {
				t.Errorf("Bool(%q) = %v, %v, %q, want %v, %v, %q", tt.in, v, set, errText(err), tt.v, tt.set, tt.err)
			}
		})
	}
}

func TestList(t *testing.T) {
	for _, tt := range []struct {
		name string
		in   string
		want []string
	}{
		{"Blank", "", nil},
		{"OnlySeparators", " ; , ;", nil},
		{"One", "ENTERPRISEPACK", []string{"ENTERPRISEPACK"}},
		{"Semicolons", "ENTERPRISEPACK;SPB", []string{"ENTERPRISEPACK", "SPB"}},
		{"Commas", "ENTERPRISEPACK,SPB", []string{"ENTERPRISEPACK", "SPB"}},
		{"Mixed", " Office 365 E3 ; SPB,EXCHANGESTANDARD ", []string{"Office 365 E3", "SPB", "EXCHANGESTANDARD"}},
		{"BlanksDropped", ";;a;;b;", []string{"a", "b"}},
		{"KeepsDuplicates", "a;a", []string{"a", "a"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := List(tt.in); !slices.Equal(got, tt.want) {
				t.Errorf("List(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
