package validate

import (
	"strings"
	"testing"
)

func TestPassword(t *testing.T) {
	const (
		tooShort   = "must be at least 8 characters"
		tooLong    = "must be at most 256 characters"
		fewKinds   = "must have at least three of: lower-case letters, upper-case letters, digits, symbols"
		notASCII   = "may hold only printable ASCII characters and spaces"
		hasAlias   = "must not contain the user's alias"
		threeKinds = "Abcdefg1" // 8 characters: upper, lower, digit
	)
	for _, tt := range []struct {
		name, pw, alias, err string
	}{
		{"OK", "Correct-Horse-9", "jakob", ""},
		{"Min8", threeKinds, "", ""},
		{"Under8", "Abcdef1", "", tooShort},
		{"Empty", "", "", tooShort},
		{"Max256", "Aa1" + strings.Repeat("x", 253), "", ""},
		{"Over256", "Aa1" + strings.Repeat("x", 254), "", tooLong},
		{"Huge", "Aa1" + strings.Repeat("x", 1<<20), "", tooLong},
		{"TwoKindsLowerUpper", "abcdEFGH", "", fewKinds},
		{"TwoKindsLowerDigit", "abcd1234", "", fewKinds},
		{"OneKind", "abcdefgh", "", fewKinds},
		{"ThreeKindsLowerUpperSymbol", "abcdEFG!", "", ""},
		{"ThreeKindsLowerDigitSymbol", "abcd123!", "", ""},
		{"ThreeKindsUpperDigitSymbol", "ABCD123!", "", ""},
		{"FourKinds", "aB3$aB3$", "", ""},
		{"SpaceIsASymbol", "abcd EFG", "", ""},
		{"EveryPrintableASCII", " !\"#$%&'()*+,-./09:;<=>?@AZ[\\]^_`az{|}~", "", ""},
		{"AliasInside", "xxJakob99!", "jakob", hasAlias},
		{"AliasInsideOtherCase", "xxJAKOB99!", "Jakob", hasAlias},
		{"AliasIsWholePassword", "Jakob.Smith1", "jakob.smith1", hasAlias},
		{"AliasOf3Checked", "Bob12345!", "bob", hasAlias},
		{"AliasOf2NotChecked", "Jo123456!", "jo", ""},
		{"AliasNotInside", "Correct-Horse-9", "jakob", ""},
		{"NonASCII", "Pässwort123!", "", notASCII},
		{"Emoji", "Password1😀", "", notASCII},
		{"Tab", "Pass\tword1", "", notASCII},
		{"Newline", "Password1\n", "", notASCII},
		{"NUL", "Password1\x00", "", notASCII},
		{"DEL", "Password1\x7f", "", notASCII},
		{"NoBreakSpace", "Pass\u00a0word1", "", notASCII},
		{"InvalidUTF8", "Password1\xff", "", notASCII},
		// Characters are checked first, so that a short password of
		// non-ASCII characters is told about them, not about its length.
		{"ShortNonASCII", "é", "", notASCII},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := errText(Password(tt.pw, tt.alias))
			if err != tt.err {
				t.Errorf("Password(%.40q, %q) = %q, want %q", tt.pw, tt.alias, err, tt.err)
			}
			if tt.pw != "" && strings.Contains(err, tt.pw) {
				t.Errorf("the error %q shows the password", err)
			}
		})
	}
}

func TestGeneratePassword(t *testing.T) {
	seen := make(map[string]bool)
	for i := range 1000 {
		pw, err := GeneratePassword()
		if err != nil {
			t.Fatal(err)
		}
		if len(pw) != GeneratedPasswordLen {
			t.Fatalf("draw %d: %q has %d characters, want %d", i, pw, len(pw), GeneratedPasswordLen)
		}
		if err := Password(pw, "someone"); err != nil {
			t.Fatalf("draw %d: %q: %v", i, pw, err)
		}
		for _, kind := range []string{genLower, genUpper, genDigits, genSymbols} {
			if !strings.ContainsAny(pw, kind) {
				t.Fatalf("draw %d: %q has none of %q", i, pw, kind)
			}
		}
		if strings.ContainsAny(pw, "0O1lI") {
			t.Fatalf("draw %d: %q has a character that is easily misread", i, pw)
		}
		if seen[pw] {
			t.Fatalf("draw %d: %q drawn twice", i, pw)
		}
		seen[pw] = true
	}
}

func TestGeneratePasswordFor(t *testing.T) {
	// A three-letter alias turns up in about 1 draw in 2700: with 5000
	// draws, a retry almost surely happens.
	for range 5000 {
		pw, err := GeneratePasswordFor("abc")
		if err != nil {
			t.Fatal(err)
		}
		if err := Password(pw, "abc"); err != nil {
			t.Fatalf("%q: %v", pw, err)
		}
	}
}
