package validate

import (
	"strings"
	"testing"
)

func TestProblemString(t *testing.T) {
	for _, tt := range []struct {
		name string
		p    Problem
		want string
	}{
		{"WithValue", Problem{"User Name", "jakob..smith", "two periods in a row are not allowed"},
			`User Name: two periods in a row are not allowed ("jakob..smith")`},
		{"WithoutValue", Problem{"Display Name", "", "required when First Name and Last Name are blank"},
			`Display Name: required when First Name and Last Name are blank`},
		{"QuoteInValue", Problem{"Fax", `5"5`, "bad"}, `Fax: bad ("5\"5")`},
		{"NonASCIIShown", Problem{"User Name", "josé@contoso.com", "bad"}, `User Name: bad ("josé@contoso.com")`},
		{"Newline", Problem{"City", "Paris\nFrance", "bad"}, `City: bad ("Paris\nFrance")`},
		{"CRLF", Problem{"City", "a\r\nb", "bad"}, `City: bad ("a\r\nb")`},
		{"LineSeparator", Problem{"City", "a\u2028b", "bad"}, `City: bad ("a\u2028b")`},
		{"NUL", Problem{"City", "a\x00b", "bad"}, `City: bad ("a\x00b")`},
		{"ZeroWidthSpace", Problem{"City", "a\u200bb", "bad"}, `City: bad ("a\u200bb")`},
		{"RTLOverride", Problem{"City", "\u202eabc", "bad"}, `City: bad ("\u202eabc")`},
		{"InvalidUTF8", Problem{"City", "a\xffb", "bad"}, `City: bad ("a\xffb")`},
		{"Exactly60", Problem{"City", strings.Repeat("a", 60), "bad"}, `City: bad ("` + strings.Repeat("a", 60) + `")`},
		{"Over60Shortened", Problem{"City", strings.Repeat("a", 61), "bad"}, `City: bad ("` + strings.Repeat("a", 60) + `…")`},
		{"ShortenedByCharacters", Problem{"City", strings.Repeat("é", 100), "bad"}, `City: bad ("` + strings.Repeat("é", 60) + `…")`},
		{"ShortenedInvalidUTF8", Problem{"City", strings.Repeat("\xff", 100), "bad"}, `City: bad ("` + strings.Repeat(`\xff`, 60) + `…")`},
		{"RuleWithNewline", Problem{"City", "", "bad\nrule"}, `City: bad\nrule`},
		{"ColumnWithNewline", Problem{"Ci\nty", "", "bad"}, `Ci\nty: bad`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.p.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestMessage(t *testing.T) {
	ps := []Problem{
		{"User Name", "jakob..smith", "two periods in a row are not allowed"},
		{"Display Name", "", "required when First Name and Last Name are blank"},
	}
	want := `User Name: two periods in a row are not allowed ("jakob..smith"); Display Name: required when First Name and Last Name are blank`
	if got := Message(ps); got != want {
		t.Errorf("Message = %q, want %q", got, want)
	}
	if got := Message(nil); got != "" {
		t.Errorf("Message(nil) = %q", got)
	}
}
